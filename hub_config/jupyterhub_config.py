"""JupyterHub configuration for both paths (Compose and Kubernetes); stellars_hub does the work.

A bad setting stops the hub here with one line on stderr that names the variable; so does an
admin snippet (spec.hub.extraConfig) that fails, naming the snippet and its line.
"""

import sys

from stellars_hub.config import configure
from stellars_hub.extra_config import ExtraConfigError, load_extra_config
from stellars_hub.settings import SettingsError

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - JupyterHub provides get_config

try:
    settings = configure(c)
    load_extra_config(c, settings.extra_config_dir)
except (SettingsError, ExtraConfigError) as error:
    print(f"stellars-hub: configuration error: {error}", file=sys.stderr)
    sys.exit(2)
