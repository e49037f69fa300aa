"""KubeSpawner configuration: the operator's files, the pods and claims that come out of them."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kubespawner.spawner
import pytest
from kubernetes_asyncio.client.exceptions import ApiException
from traitlets.config import Config

from stellars_hub.contract import GpuPlacement, LabSettings, SignupPolicy
from stellars_hub.kube_settings import load_lab_settings, parse_lab_settings, read_gpu_placement
from stellars_hub.kube_spawner import StellarsKubeSpawner, configure_kubernetes
from stellars_hub.kube_spawner_config import apply_gpu_placement, kube_spawner_traits
from stellars_hub.names import safe_name
from stellars_hub.proxy_routes import RouteRestoringProxy
from stellars_hub.settings import HubSettings, SettingsError, load_settings
from stellars_hub.volume_owner import OWNER_KEY, VolumeRefusedError

LABELS = {
    "app.kubernetes.io/name": "stellars-jupyterhub",
    "app.kubernetes.io/instance": "demo",
    "app.kubernetes.io/component": "singleuser",
    "app.kubernetes.io/managed-by": "stellars-operator",
    "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
}
# The example of docs/hub-settings.md.
SETTINGS_JSON: dict[str, Any] = {
    "hubName": "demo",
    "notebookImage": "stellars/jupyterlab-slim:0.1.0",
    "imagePullPolicy": "IfNotPresent",
    "userServiceAccount": "demo-user",
    "storage": {"storageClass": None, "home": "1Gi", "workspace": "5Gi", "cache": "1Gi"},
    "sharedClaim": "demo-shared",
    "resources": {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    },
    "extraEnv": {"NAME": "value", "LITERAL": "{username} stays {{as is}}"},
    "startTimeout": 300,
    "labels": LABELS,
}
GPU_JSON: dict[str, Any] = {
    "enabled": True,
    "resource": "nvidia.com/gpu",
    "count": 1,
    "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H200"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "reason": "2 GPUs allocatable on node gpu-1",
}
USER = "Jane.Doe@example.com"
NAME = safe_name(USER)


def hub_settings(gpu_file: Path) -> HubSettings:
    return load_settings(
        {
            "JUPYTERHUB_SPAWNER": "kubernetes",
            "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
            "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
            "POD_NAMESPACE": "team-a",
            "STELLARS_GPU_SETTINGS": str(gpu_file),
        }
    )


class FakeCoreApi:
    def __init__(self) -> None:
        self.claims: list[Any] = []
        # Claims that exist already, by name (their metadata only).
        self.existing: dict[str, Any] = {}

    async def create_namespaced_persistent_volume_claim(self, *, namespace: str, body: Any) -> None:
        if body.metadata.name in self.existing:
            raise ApiException(status=409)
        self.claims.append((namespace, body))
        self.existing[body.metadata.name] = body

    async def read_namespaced_persistent_volume_claim(self, *, name: str, namespace: str) -> Any:
        if name not in self.existing:
            raise ApiException(status=404)
        return self.existing[name]


@pytest.fixture
def spawner_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A StellarsKubeSpawner configured like the hub, without a cluster."""
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda _: FakeCoreApi())

    def make(lab: LabSettings | None = None) -> StellarsKubeSpawner:
        c = Config()
        configure_kubernetes(c, hub_settings(tmp_path / "gpu.json"), lab or LAB)
        spawner = StellarsKubeSpawner(config=c, _mock=True)
        spawner.user.name = USER
        spawner.user.orm_user = SimpleNamespace(created=datetime(2026, 1, 2, 3, 4, 5))
        spawner.volume_record_file = str(tmp_path / "volume-owners.json")
        # Names are computed in __init__; recompute them for this user.
        spawner.pod_name = spawner._expand_user_properties(spawner.pod_name_template)
        return spawner

    return make


LAB = parse_lab_settings(SETTINGS_JSON, source="settings.json")


def manifest(spawner: StellarsKubeSpawner) -> dict[str, Any]:
    pod = asyncio.run(spawner.get_pod_manifest())
    return dict(pod.to_dict())


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["env"]}


def test_the_contract_example_reads_into_lab_settings() -> None:
    assert LAB.hub_name == "demo"
    assert LAB.notebook_image == "stellars/jupyterlab-slim:0.1.0"
    assert LAB.user_service_account == "demo-user"
    assert LAB.storage.storage_class is None
    assert (LAB.storage.home, LAB.storage.workspace, LAB.storage.cache) == ("1Gi", "5Gi", "1Gi")
    assert LAB.shared_claim == "demo-shared"
    assert LAB.requests == {"cpu": "100m", "memory": "256Mi"}
    assert LAB.limits == {"cpu": "2", "memory": "2Gi"}
    assert LAB.extra_env["NAME"] == "value"
    assert LAB.start_timeout == 300
    assert LAB.labels == LABELS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"notebookImage": None}, "settings.json: notebookImage=null is not valid"),
        ({"storage": {"home": 5}}, "settings.json: storage.home=5 is not valid"),
        (
            {"imagePullPolicy": "Sometimes"},
            'settings.json: imagePullPolicy="Sometimes" is not valid: '
            "expected Always or IfNotPresent or Never",
        ),
        ({"startTimeout": 0}, "settings.json: startTimeout=0 is not valid"),
        ({"labels": ["a"]}, 'settings.json: labels=["a"] is not valid: expected an object'),
    ],
)
def test_a_bad_settings_file_names_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_lab_settings({**SETTINGS_JSON, **change}, source="settings.json")

    assert str(caught.value).startswith(message)


def test_the_signup_policy_is_optional_in_the_settings_file() -> None:
    assert LAB.signup == SignupPolicy()
    signup = {"enabled": True, "openSignup": True, "minimumPasswordLength": 8}
    lab = parse_lab_settings({**SETTINGS_JSON, "signup": signup}, source="s")
    assert lab.signup == SignupPolicy(enabled=True, open_signup=True, minimum_password_length=8)
    with pytest.raises(SettingsError, match=r"^s: signup\.openSignup=\"yes\" is not valid"):
        parse_lab_settings({**SETTINGS_JSON, "signup": {"openSignup": "yes"}}, source="s")


def test_a_missing_or_broken_settings_file_stops_the_hub(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"settings\.json: cannot be read"):
        load_lab_settings(tmp_path / "settings.json")
    (tmp_path / "broken.json").write_text("{nope")
    with pytest.raises(SettingsError, match=r"broken\.json: not valid JSON"):
        load_lab_settings(tmp_path / "broken.json")
    (tmp_path / "good.json").write_text(json.dumps(SETTINGS_JSON))
    assert load_lab_settings(tmp_path / "good.json") == LAB


def test_user_pods_are_named_labelled_and_restricted(spawner_for: Any) -> None:
    spawner = spawner_for()
    pod = manifest(spawner)

    assert pod["metadata"]["name"] == f"demo-jupyter-{NAME}"
    assert spawner.namespace == "team-a"
    assert LABELS.items() <= pod["metadata"]["labels"].items()
    spec = pod["spec"]
    assert spec["service_account_name"] == "demo-user"
    assert spec["automount_service_account_token"] is False
    assert spec["security_context"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 100,
        "fsGroup": 100,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    for container in [*spec["containers"], *spec["init_containers"]]:
        context = container["security_context"]
        assert context["runAsNonRoot"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_user_pods_mount_three_claims_and_the_shared_one(spawner_for: Any) -> None:
    spec = manifest(spawner_for())["spec"]
    lab = spec["containers"][0]

    claims = {v["name"]: v["persistent_volume_claim"]["claimName"] for v in spec["volumes"]}
    assert claims == {
        "home": f"demo--{NAME}-home",
        "workspace": f"demo--{NAME}-workspace",
        "cache": f"demo--{NAME}-cache",
        "shared": "demo-shared",
    }
    assert [(m["name"], m["mount_path"]) for m in lab["volume_mounts"]] == [
        ("home", "/home"),
        ("workspace", "/home/lab/workspace"),
        ("cache", "/home/lab/.cache"),
        ("shared", "/mnt/shared"),
    ]
    assert lab["working_dir"] == "/home/lab/workspace"
    [prepare] = spec["init_containers"]
    assert prepare["command"] == ["sh", "-c", "mkdir -p /home/lab/workspace /home/lab/.cache"]
    # Started in the claim's root: the image's WORKDIR would otherwise be created there as root.
    assert prepare["working_dir"] == "/home"
    # Init containers are passed as API-shaped dicts: their keys stay camelCase.
    assert [m["mountPath"] for m in prepare["volume_mounts"]] == ["/home"]


def test_without_a_shared_claim_nothing_is_mounted_at_mnt_shared() -> None:
    lab = parse_lab_settings({**SETTINGS_JSON, "sharedClaim": None}, source="s")

    traits = kube_spawner_traits(hub_settings(Path("/gpu.json")), lab)

    assert "/mnt/shared" not in [m["mountPath"] for m in traits["volume_mounts"]]


def test_resources_env_and_timeout_come_from_the_file(spawner_for: Any) -> None:
    spawner = spawner_for()
    lab = manifest(spawner)["spec"]["containers"][0]

    assert lab["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}
    assert lab["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    env = env_of(lab)
    assert env["NAME"] == "value"
    assert env["LITERAL"] == "{username} stays {{as is}}"
    assert env["ENABLE_SERVICE_MLFLOW"] == "1"
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert spawner.start_timeout == 300
    assert lab["image"] == "stellars/jupyterlab-slim:0.1.0"


def test_the_gpu_decision_is_read_at_every_spawn(spawner_for: Any, tmp_path: Path) -> None:
    spawner = spawner_for()
    gpu_file = tmp_path / "gpu.json"

    missing = manifest(spawner)
    gpu_file.write_text(json.dumps(GPU_JSON))
    with_gpu = manifest(spawner)
    gpu_file.write_text(json.dumps({"enabled": False, "reason": "no GPU nodes"}))
    switched_off = manifest(spawner)

    for pod in (missing, switched_off):
        lab = pod["spec"]["containers"][0]
        assert "nvidia.com/gpu" not in lab["resources"]["limits"]
        assert env_of(lab)["NVIDIA_VISIBLE_DEVICES"] == "void"
        assert env_of(lab)["ENABLE_GPU_SUPPORT"] == "0"
        assert not pod["spec"]["tolerations"]
    lab = with_gpu["spec"]["containers"][0]
    assert lab["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "nvidia.com/gpu" not in lab["resources"]["requests"]
    assert env_of(lab)["ENABLE_GPU_SUPPORT"] == "1"
    assert env_of(lab)["NVIDIA_DETECTED"] == "1"
    assert "NVIDIA_VISIBLE_DEVICES" not in env_of(lab)
    assert with_gpu["spec"]["node_selector"] == {"nvidia.com/gpu.product": "NVIDIA-H200"}
    [toleration] = with_gpu["spec"]["tolerations"]
    assert (toleration["key"], toleration["operator"], toleration["effect"]) == (
        "nvidia.com/gpu",
        "Exists",
        "NoSchedule",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no GPU decision file at"),
        ("{broken", "is not valid JSON"),
        (json.dumps({"enabled": "yes"}), "ignored: "),
        (json.dumps({**GPU_JSON, "count": 0}), "count=0 is not valid"),
        (json.dumps({"enabled": False, "reason": "no GPU nodes"}), "no GPU nodes"),
    ],
)
def test_anything_but_an_enabled_decision_is_no_gpu_with_a_reason(
    tmp_path: Path, content: str | None, reason: str
) -> None:
    path = tmp_path / "gpu.json"
    if content is not None:
        path.write_text(content)

    placement = read_gpu_placement(path)

    assert not placement.enabled
    assert reason in placement.reason


def test_gpu_placement_adds_to_what_the_pod_already_has(spawner_for: Any) -> None:
    pod = asyncio.run(spawner_for().get_pod_manifest())
    pod.spec.node_selector = {"zone": "a"}
    placement = GpuPlacement(
        enabled=True, reason="r", count=2, node_selector={"gpu": "yes"}, tolerations=()
    )

    apply_gpu_placement(pod, placement)

    assert pod.spec.node_selector == {"zone": "a", "gpu": "yes"}
    assert pod.spec.containers[0].resources.limits["nvidia.com/gpu"] == "2"
    names = [item.name for item in pod.spec.containers[0].env]
    assert names.count("ENABLE_GPU_SUPPORT") == 1


def test_each_user_gets_three_labelled_claims_before_the_spawn(spawner_for: Any) -> None:
    lab = parse_lab_settings(
        {**SETTINGS_JSON, "storage": {"storageClass": "fast", "workspace": "20Gi"}}, source="s"
    )
    spawner = spawner_for(lab)

    asyncio.run(spawner.run_pre_spawn_hook())

    claims = {body.metadata.name: (namespace, body) for namespace, body in spawner.api.claims}
    assert list(claims) == [
        f"demo--{NAME}-home",
        f"demo--{NAME}-workspace",
        f"demo--{NAME}-cache",
    ]
    sizes = [body.spec.resources.requests["storage"] for _, body in claims.values()]
    assert sizes == ["1Gi", "20Gi", "1Gi"]
    for namespace, body in claims.values():
        assert namespace == "team-a"
        assert body.spec.storage_class_name == "fast"
        assert body.spec.access_modes == ["ReadWriteOnce"]
        assert body.metadata.labels == LABELS
        assert body.metadata.annotations[OWNER_KEY] == USER
        assert body.metadata.annotations["hub.jupyter.org/username"] == USER
    # A second spawn finds its own stamped claims and goes ahead.
    asyncio.run(spawner.run_pre_spawn_hook())


def test_a_claim_of_another_user_under_this_users_name_is_refused(spawner_for: Any) -> None:
    spawner = spawner_for()
    claim = f"demo--{NAME}-home"
    victim = {OWNER_KEY: "someone-else", "hub.jupyter.org/username": "someone-else"}
    spawner.api.existing[claim] = SimpleNamespace(
        metadata=SimpleNamespace(name=claim, labels=LABELS, annotations=victim)
    )

    with pytest.raises(
        VolumeRefusedError, match=f"Your volume {claim} was not mounted: it belongs"
    ):
        asyncio.run(spawner.run_pre_spawn_hook())


def _old_claim(spawner: Any, name: str, *, hub: str, user: str) -> None:
    """A claim as an older hub made it: instance label, KubeSpawner's username annotation."""
    labels = {**LABELS, "app.kubernetes.io/instance": hub}
    spawner.api.existing[name] = SimpleNamespace(
        metadata=SimpleNamespace(
            name=name, labels=labels, annotations={"hub.jupyter.org/username": user}
        )
    )


def _mounted_claims(spawner: Any) -> dict[str, str]:
    spec = manifest(spawner)["spec"]
    return {v["name"]: v["persistent_volume_claim"]["claimName"] for v in spec["volumes"]}


def test_a_user_of_an_older_hub_keeps_the_claims_of_the_old_name(
    spawner_for: Any, tmp_path: Path
) -> None:
    spawner = spawner_for()
    # The account predates the stamps, so its unstamped claims are its own (volume_owner.py).
    (tmp_path / "volume-owners.json").write_text(
        json.dumps({"hub_data": "h", "since": "2027-01-01T00:00:00.000000", "adopted": {}})
    )
    _old_claim(spawner, f"demo-{NAME}-home", hub="demo", user=USER)

    asyncio.run(spawner.run_pre_spawn_hook())

    # Home keeps its old claim; workspace and cache (none of the old name) get new ones.
    created = [body.metadata.name for _, body in spawner.api.claims]
    assert created == [f"demo--{NAME}-workspace", f"demo--{NAME}-cache"]
    assert _mounted_claims(spawner) == {
        "home": f"demo-{NAME}-home",
        "workspace": f"demo--{NAME}-workspace",
        "cache": f"demo--{NAME}-cache",
        "shared": "demo-shared",
    }


def test_another_hubs_claim_under_the_old_name_is_left_alone(spawner_for: Any) -> None:
    # Hub `demo-ml`'s user `x` had `demo-ml-x-home`: this hub's user `ml-x` gets its own claim.
    spawner = spawner_for()
    spawner.user.name = "ml-x"
    _old_claim(spawner, "demo-ml-x-home", hub="demo-ml", user="x")

    asyncio.run(spawner.run_pre_spawn_hook())

    created = [body.metadata.name for _, body in spawner.api.claims]
    assert created == ["demo--ml-x-home", "demo--ml-x-workspace", "demo--ml-x-cache"]
    assert _mounted_claims(spawner)["home"] == "demo--ml-x-home"
    assert spawner.api.existing["demo-ml-x-home"].metadata.annotations == {
        "hub.jupyter.org/username": "x"
    }


def test_the_new_name_wins_over_an_old_one(spawner_for: Any) -> None:
    spawner = spawner_for()
    asyncio.run(spawner.run_pre_spawn_hook())
    _old_claim(spawner, f"demo-{NAME}-home", hub="demo", user=USER)

    asyncio.run(spawner.run_pre_spawn_hook())

    assert _mounted_claims(spawner)["home"] == f"demo--{NAME}-home"


def test_configure_kubernetes_uses_the_operators_proxy_and_hub_service(tmp_path: Path) -> None:
    c = Config()

    configure_kubernetes(c, hub_settings(tmp_path / "gpu.json"), LAB)

    assert c.JupyterHub.spawner_class is StellarsKubeSpawner
    assert c.JupyterHub.proxy_class is RouteRestoringProxy
    assert c.ConfigurableHTTPProxy.should_start is False
    assert c.ConfigurableHTTPProxy.api_url == "http://demo-proxy-api:8001"
    assert c.JupyterHub.hub_connect_url == "http://demo-hub:8081"
    assert c.KubeSpawner.common_labels == LABELS
    assert c.KubeSpawner.component_label == "singleuser"
    assert c.KubeSpawner.delete_pvc is False
