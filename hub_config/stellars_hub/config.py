"""`configure(c)`: the whole hub configuration, for both paths, from the environment.

`jupyterhub_config.py` calls this and nothing else. The health endpoint is JupyterHub's own
`/hub/health`; nothing here changes it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Final

from traitlets.config import Config

from stellars_hub.auth import configure_auth
from stellars_hub.culling import activity_environment, configure_culling
from stellars_hub.docker_profiles import configure_docker_profiles, load_profiles_file
from stellars_hub.docker_spawner import configure_docker
from stellars_hub.gpu.nvidia_smi import GpuInventory
from stellars_hub.gpu.probe import decide_gpu, detect_docker_gpus
from stellars_hub.landing import configure_landing
from stellars_hub.settings import HubSettings, load_settings

DATABASE_FILE: Final = "jupyterhub.sqlite"
COOKIE_SECRET_FILE: Final = "jupyterhub_cookie_secret"  # noqa: S105 - a file name
# Where 10-certificates.sh puts the self-signed certificate (the seed's paths).
SSL_CERT: Final = "/mnt/certs/server.crt"
SSL_KEY: Final = "/mnt/certs/server.key"
HUB_PORT: Final = 8081

# A child of JupyterHub's logger: same format and level as the hub's own lines.
log = logging.getLogger("JupyterHub.stellars")


def configure(c: Config, environ: Mapping[str, str] | None = None) -> HubSettings:
    """Fill `c` from the environment; `SettingsError` when a setting is unusable."""
    settings = load_settings(os.environ if environ is None else environ)
    configure_hub(c, settings)
    configure_landing(c, settings)
    if settings.spawner == "docker":
        configure_auth(c, settings)
        probed: list[GpuInventory] = []
        gpu = decide_gpu(
            settings.gpu_mode,
            probe=partial(
                _kept,
                probed,
                partial(
                    detect_docker_gpus,
                    image=settings.autodetect_image,
                    timeout_s=settings.autodetect_timeout_s,
                    cache_dir=settings.data_dir,
                ),
            ),
        )
        log.info("GPU for labs: %s (%s)", "on" if gpu.enabled else "off", gpu.reason)
        configure_docker(c, settings, gpu=gpu)
        _configure_docker_profiles(c, settings, inventory=probed[0] if probed else None)
        # Culling: IDLE_CULLER_* on Compose, spec.culling (settings.json) on Kubernetes.
        culling = settings.culling
        c.DockerSpawner.environment.update(activity_environment(culling))
    else:
        # Imported here so the Compose path never loads the Kubernetes client.
        from stellars_hub.kube_settings import load_lab_settings  # noqa: PLC0415
        from stellars_hub.kube_spawner import configure_kubernetes  # noqa: PLC0415

        lab = load_lab_settings(settings.hub_settings_path)
        configure_auth(c, settings, signup=lab.signup)
        configure_kubernetes(c, settings, lab)
        culling = lab.culling
        c.KubeSpawner.environment.update(activity_environment(culling))
    # The culler runs in the hub's container or pod and reaches the hub's API there.
    hub_api_url = f"http://127.0.0.1:{HUB_PORT}{settings.base_url}hub/api"
    configure_culling(c, culling, hub_api_url=hub_api_url)
    return settings


def _kept(into: list[GpuInventory], probe: Callable[[], GpuInventory]) -> GpuInventory:
    """Run the probe and keep its inventory: the GPU profiles are made from it."""
    into.append(probe())
    return into[-1]


def _configure_docker_profiles(
    c: Config, settings: HubSettings, *, inventory: GpuInventory | None
) -> None:
    admin, problems = load_profiles_file(settings.profiles_file)
    for problem in problems:
        log.warning("Profile left out: %s", problem)
    offered = configure_docker_profiles(c, admin=admin, inventory=inventory)
    log.info("Spawn profiles: %s", ", ".join(p.slug for p in offered) or "none (one lab shape)")


def configure_hub(c: Config, settings: HubSettings) -> None:
    """State on the data volume, URL prefix, TLS, and servers that outlive a hub restart."""
    c.JupyterHub.db_url = f"sqlite:///{settings.data_dir / DATABASE_FILE}"
    # JPY_COOKIE_SECRET, when set (Kubernetes: from the operator's Secret), wins over the file.
    c.JupyterHub.cookie_secret_file = str(settings.data_dir / COOKIE_SECRET_FILE)
    c.JupyterHub.base_url = settings.base_url
    # Labs reach the hub API from other containers or pods: listen on every interface. The bind
    # URL must be explicit: with only hub_connect_url set, JupyterHub binds to the connect URL's
    # host, which in Kubernetes is the hub Service's address and cannot be bound.
    c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{HUB_PORT}"
    # A hub restart (upgrade, config change) must not stop users' running labs.
    c.JupyterHub.cleanup_servers = False
    if settings.ssl:
        c.JupyterHub.ssl_cert = SSL_CERT
        c.JupyterHub.ssl_key = SSL_KEY
