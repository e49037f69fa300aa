"""The KubeSpawner the hub runs in Kubernetes mode, and its wiring into the hub's config.

Three things KubeSpawner does not do by itself: name users' objects with `names.safe_name`,
create three claims per user (it manages one; an older user keeps claims of the old name,
claim_names.py), and read the GPU decision at every spawn so an operator's change needs no hub
restart. The decisions themselves live in
`kube_spawner_config.py`.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any, Final

from jupyterhub.utils import exponential_backoff, maybe_future
from kubernetes_asyncio.client.exceptions import ApiException
from kubespawner import KubeSpawner
from kubespawner.objects import make_pvc
from traitlets import Dict, List, Unicode
from traitlets.config import Config

from stellars_hub.account_record import RECORD_FILE, spawner_identity
from stellars_hub.claim_names import keeps_old_claim
from stellars_hub.contract import LabSettings
from stellars_hub.kube_profiles import apply_profile
from stellars_hub.kube_settings import read_gpu_placement, read_profiles
from stellars_hub.kube_spawner_config import (
    apply_gpu_placement,
    kube_spawner_traits,
    use_claim_names,
    user_claims,
)
from stellars_hub.names import safe_name
from stellars_hub.profile_choice import chosen_profile, configure_profile_choice
from stellars_hub.profiles import Profile
from stellars_hub.proxy_routes import RouteRestoringProxy
from stellars_hub.settings import DEFAULT_GPU_SETTINGS_PATH, HubSettings
from stellars_hub.volume_owner import (
    LEGACY_INSTANCE_KEY,
    LEGACY_USERNAME_KEY,
    Existing,
    VolumeRefusedError,
    check_volume,
)

_USERNAME_FIELD: Final = re.compile(r"(?<!\{)\{username\}(?!\})")
INSTANCE_KEY: Final = LEGACY_INSTANCE_KEY
NOT_FOUND: Final = 404
# How an admin gives a newer account the claims of its name (volume_owner.py).
ADOPT_ON_KUBERNETES: Final = (
    "kubectl -n {namespace} exec deploy/{hub}-hub -- "
    "python -m stellars_hub.account_record adopt {user}"
)


class StellarsKubeSpawner(KubeSpawner):  # type: ignore[misc]
    """KubeSpawner with safe names, three user claims and a per-spawn GPU decision."""

    gpu_settings_path = Unicode(
        DEFAULT_GPU_SETTINGS_PATH, config=True, help="The operator's gpu.json."
    )
    user_claim_templates = List(
        Dict(),
        config=True,
        help="Claims to create before each spawn: volume, name and oldName (templates), size, "
        "storageClass.",
    )
    user_claim_labels = Dict(config=True, help="Labels of the users' claims.")
    volume_record_file = Unicode(
        "/data/volume-owners.json", config=True, help="The hub's account record (account_record)."
    )

    def _expand_user_properties(self, template: str, slug_scheme: str | None = None) -> str:
        # Every template ({username} in pod, claim and volume names) gets the same safe name
        # as the Docker path; the safe name has no braces, so formatting it again is harmless.
        # An escaped `{{username}}` is literal text and stays as it is.
        named = _USERNAME_FIELD.sub(safe_name(self.user.name), template)
        return str(super()._expand_user_properties(named, slug_scheme))

    async def run_pre_spawn_hook(self) -> None:
        await self._ensure_user_claims()
        await maybe_future(super().run_pre_spawn_hook())

    def offered_profiles(self) -> tuple[Profile, ...]:
        """The operator's current list (it follows the nodes): read at every form and spawn."""
        return read_profiles(Path(self.gpu_settings_path))

    async def load_user_options(self) -> None:
        # The profile was checked and kept by `apply_user_options` (profile_choice.py);
        # KubeSpawner's own profile_list is not used.
        return None

    async def get_pod_manifest(self) -> Any:
        pod = await super().get_pod_manifest()
        use_claim_names(pod, getattr(self, "_claim_names", {}))
        profile = chosen_profile(self)
        if profile is not None:
            self.log.info(
                "Profile for %s/%s: %s (%d GPU)",
                self.namespace,
                self.pod_name,
                profile.slug,
                profile.gpus,
            )
            return apply_profile(pod, profile)
        placement = read_gpu_placement(Path(self.gpu_settings_path))
        self.log.info(
            "GPU for %s/%s: %s (%s)",
            self.namespace,
            self.pod_name,
            f"{placement.count} x {placement.resource}" if placement.enabled else "none",
            placement.reason,
        )
        return apply_gpu_placement(pod, placement)

    async def _ensure_user_claims(self) -> None:
        spawner = spawner_identity(
            Path(self.volume_record_file), user=self.user.name, created=self.user.orm_user.created
        )
        hub_name = self.user_claim_labels.get(INSTANCE_KEY, "")
        how_to_adopt = ADOPT_ON_KUBERNETES.format(
            namespace=self.namespace, hub=hub_name, user=self.user.name
        )
        self._claim_names: dict[str, str] = {}
        for claim in self.user_claim_templates:
            name = self._expand_user_properties(claim["name"])
            old_name = self._expand_user_properties(claim["oldName"])
            if await self._read_claim(name) is None and keeps_old_claim(
                await self._read_claim(old_name), user=self.user.name, hub_name=hub_name
            ):
                # An older hub's name for this user's claim: keep it (claim_names.py).
                name = old_name
            self._claim_names[claim["volume"]] = name
            pvc = make_pvc(
                name=name,
                storage_class=claim.get("storageClass"),
                access_modes=["ReadWriteOnce"],
                selector=None,
                storage=claim["size"],
                labels=dict(self.user_claim_labels),
                annotations={LEGACY_USERNAME_KEY: self.user.name, **spawner.stamp()},
            )
            # KubeSpawner's own request treats "already exists" as success: the claim read
            # back must then carry this account's stamp (volume_owner.py) before any pod
            # mounts it.
            await exponential_backoff(
                partial(self._make_create_pvc_request, pvc, self.k8s_api_request_timeout),
                f"Could not create PVC {name}",
                timeout=self.k8s_api_request_retry_timeout,
            )
            verdict = check_volume(
                await self._read_claim(name), spawner, hub_name=hub_name, how_to_adopt=how_to_adopt
            )
            if not verdict.allowed:
                self.log.warning("%s: %s", self.user.name, verdict.refusal)
                raise VolumeRefusedError(verdict.refusal)

    async def _read_claim(self, name: str) -> Existing | None:
        try:
            live = await self.api.read_namespaced_persistent_volume_claim(
                name=name, namespace=self.namespace
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise
        return Existing(name, live.metadata.labels or {}, live.metadata.annotations or {})


def configure_kubernetes(c: Config, settings: HubSettings, lab: LabSettings) -> None:
    """Spawn labs as pods next to the hub; the proxy is the operator's own Deployment."""
    c.JupyterHub.spawner_class = StellarsKubeSpawner
    for name, value in kube_spawner_traits(settings, lab).items():
        setattr(c.KubeSpawner, name, value)
    c.StellarsKubeSpawner.gpu_settings_path = str(settings.gpu_settings_path)
    c.StellarsKubeSpawner.user_claim_templates = [
        {
            "volume": claim.volume,
            "name": claim.name_template,
            "oldName": claim.old_name_template,
            "size": claim.size,
            "storageClass": claim.storage_class,
        }
        for claim in user_claims(lab)
    ]
    c.StellarsKubeSpawner.user_claim_labels = dict(lab.labels)
    c.StellarsKubeSpawner.volume_record_file = str(settings.data_dir / RECORD_FILE)
    configure_profile_choice(c, "StellarsKubeSpawner")
    c.JupyterHub.hub_connect_url = settings.hub_connect_url
    # The proxy is a Deployment of its own: the hub refills its routes when a new pod lost them.
    c.JupyterHub.proxy_class = RouteRestoringProxy
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = settings.proxy_api_url
