"""Fixed names shared by the renderers, the apply step and the handlers.

The contract they follow is in docs/architecture.md, "Names and labels".
"""

from typing import Final

GROUP: Final = "stellars.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "StellarsHub"
PLURAL: Final = "stellarshubs"

FIELD_MANAGER: Final = "stellars-operator"

# Ports of the hub and configurable-http-proxy inside their pods.
HUB_PORT: Final = 8081
PROXY_PUBLIC_PORT: Final = 8000
PROXY_API_PORT: Final = 8001
PROXY_SERVICE_PORT: Final = 80

# Where the hub pod finds what the operator mounts (docs/hub-settings.md).
HUB_DATA_DIR: Final = "/data"
SETTINGS_DIR: Final = "/etc/stellars"
SETTINGS_FILE: Final = "settings.json"
GPU_SETTINGS_DIR: Final = "/etc/stellars/gpu"
GPU_SETTINGS_FILE: Final = "gpu.json"
# spec.hub.extraConfig: `<hub>-config` keys `extra-config.<name>.py`, files `<name>.py` here.
EXTRA_CONFIG_DIR: Final = "/etc/stellars/extra-config"
EXTRA_CONFIG_KEY_PREFIX: Final = "extra-config."

# Keys of the `<hub>-secrets` Secret.
SECRET_COOKIE: Final = "cookie-secret"  # noqa: S105 (a key name)
SECRET_PROXY_TOKEN: Final = "proxy-token"  # noqa: S105
SECRET_ADMIN_PASSWORD: Final = "admin-password"  # noqa: S105

# The annotation on the hub pod template whose change rolls the hub.
CONFIG_HASH_ANNOTATION: Final = "stellars.io/config-hash"
# On the hub's and the proxy's pod templates: a Secret change rolls both together.
SECRETS_HASH_ANNOTATION: Final = "stellars.io/secrets-hash"
# The annotation on every applied child: the hash of the manifest the operator last applied
# (drift.py), so a field the operator stops rendering is noticed even after a restart.
MANIFEST_HASH_ANNOTATION: Final = "stellars.io/manifest-hash"

# Non-root identity of every pod we run (the hub image's user).
RUN_AS_USER: Final = 1000

# KubeSpawner's default port for user servers.
SINGLEUSER_PORT: Final = 8888
