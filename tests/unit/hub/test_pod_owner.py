"""Lab pods name their StellarsHub as owner (kube_spawner_config.PodOwner), so garbage collection
removes a pod a hub deleted mid-spawn leaves behind; the real collection is proven in
tests/e2e/kubernetes/test_hub_on_kubernetes.py."""

from __future__ import annotations

from kubernetes_asyncio.client.models import V1ObjectMeta, V1OwnerReference, V1Pod

from stellars_hub.contract import LabSettings
from stellars_hub.kube_spawner_config import PodOwner, kube_spawner_traits
from stellars_hub.settings import load_settings

OWNER = {"apiVersion": "stellars.io/v1alpha1", "kind": "StellarsHub", "name": "team", "uid": "u1"}
SETTINGS = load_settings(
    {
        "JUPYTERHUB_SPAWNER": "kubernetes",
        "STELLARS_HUB_CONNECT_URL": "http://team-hub:8081",
        "STELLARS_PROXY_API_URL": "http://team-proxy-api:8001",
        "POD_NAMESPACE": "ns",
    }
)


def lab(owner: dict[str, str]) -> LabSettings:
    return LabSettings(
        hub_name="team", notebook_image="lab:1", user_service_account="team-user", owner=owner
    )


def test_the_pod_gets_the_hub_as_owner_without_controller_or_blocking() -> None:
    hook = kube_spawner_traits(SETTINGS, lab(OWNER))["modify_pod_hook"]
    pod = hook(None, V1Pod(metadata=V1ObjectMeta(name="team-jupyter-ada")))

    assert pod.metadata.owner_references == [
        V1OwnerReference(
            api_version="stellars.io/v1alpha1", kind="StellarsHub", name="team", uid="u1"
        )
    ]
    assert pod.metadata.owner_references[0].controller is None
    assert pod.metadata.owner_references[0].block_owner_deletion is None


def test_an_existing_owner_is_kept() -> None:
    other = V1OwnerReference(api_version="v1", kind="ConfigMap", name="c", uid="c1")
    pod = PodOwner(OWNER)(None, V1Pod(metadata=V1ObjectMeta(owner_references=[other])))

    assert [ref.kind for ref in pod.metadata.owner_references] == ["ConfigMap", "StellarsHub"]


def test_without_an_owner_no_hook_is_set() -> None:
    assert "modify_pod_hook" not in kube_spawner_traits(SETTINGS, lab({}))
