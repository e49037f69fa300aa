"""profile_choice.py and kube_profiles.py: the form, the server-side check, the pod it makes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kubespawner.spawner
import pytest
from tornado import web
from traitlets.config import Config

from stellars_hub.kube_settings import parse_lab_settings, read_profiles
from stellars_hub.kube_spawner import StellarsKubeSpawner, configure_kubernetes
from stellars_hub.profile_choice import chosen_profile, render_form
from stellars_hub.profiles import Profile, ProfileGpu, offered_profiles, profiles_to_json
from stellars_hub.settings import load_settings

H200 = {"nvidia.com/gpu.product": "NVIDIA-H200"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
PROFILES = offered_profiles(
    [
        Profile(
            slug="big",
            display_name="Big <CPU>",
            description="for research",
            image="lab:big",
            limits={"cpu": "8", "memory": "32Gi"},
            groups=("research",),
            extra_env={"MODE": "big"},
        )
    ],
    [
        Profile(
            slug="nvidia-h200-x2",
            display_name="NVIDIA H200 x 2",
            gpu=ProfileGpu(count=2, product="NVIDIA-H200"),
            node_selector=H200,
            tolerations=(GPU_TOLERATION,),
        )
    ],
)
SETTINGS_JSON: dict[str, Any] = {
    "hubName": "demo",
    "notebookImage": "lab:1",
    "userServiceAccount": "demo-user",
    "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "2", "memory": "2Gi"}},
}


class FakeCoreApi:
    async def create_namespaced_persistent_volume_claim(self, *, namespace: str, body: Any) -> None:
        return None


@pytest.fixture
def gpu_file(tmp_path: Path) -> Path:
    path = tmp_path / "gpu.json"
    path.write_text(
        json.dumps({"enabled": False, "reason": "test", "profiles": profiles_to_json(PROFILES)})
    )
    return path


@pytest.fixture
def spawner_for(gpu_file: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda _: FakeCoreApi())

    def make(*groups: str) -> StellarsKubeSpawner:
        settings = load_settings(
            {
                "JUPYTERHUB_SPAWNER": "kubernetes",
                "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
                "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
                "POD_NAMESPACE": "team-a",
                "STELLARS_GPU_SETTINGS": str(gpu_file),
            }
        )
        c = Config()
        configure_kubernetes(c, settings, parse_lab_settings(SETTINGS_JSON, source="s"))
        spawner = StellarsKubeSpawner(config=c, _mock=True)
        spawner.user.name = "alice"
        spawner.user.groups = [SimpleNamespace(name=g) for g in groups]
        return spawner

    return make


def form(spawner: StellarsKubeSpawner) -> str:
    return str(asyncio.run(spawner.get_options_form()))


def apply(spawner: StellarsKubeSpawner, options: dict[str, Any]) -> None:
    asyncio.run(spawner._run_apply_user_options(options))


def pod_of(spawner: StellarsKubeSpawner) -> dict[str, Any]:
    return dict(asyncio.run(spawner.get_pod_manifest()).to_dict())


def test_the_form_shows_only_what_the_groups_allow(spawner_for: Any) -> None:
    outsider = form(spawner_for())
    assert 'value="cpu" data-gpus="0" checked' in outsider
    assert 'value="nvidia-h200-x2"' in outsider
    assert 'value="big"' not in outsider
    member = form(spawner_for("research"))
    assert 'value="big"' in member
    assert "Big &lt;CPU&gt;" in member


def test_the_last_used_profile_is_preselected(spawner_for: Any) -> None:
    spawner = spawner_for()
    spawner.user_options = {"profile": "nvidia-h200-x2"}
    assert 'value="nvidia-h200-x2" data-gpus="2" checked' in form(spawner)
    spawner.user_options = {"profile": "gone"}
    assert 'value="cpu" data-gpus="0" checked' in form(spawner)


def test_one_allowed_profile_means_no_form(spawner_for: Any, gpu_file: Path) -> None:
    gpu_file.write_text(json.dumps({"enabled": False, "profiles": profiles_to_json(PROFILES[:2])}))
    assert form(spawner_for()) == ""
    assert form(spawner_for("research")) != ""


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "big"}, "The profile 'big' is not available to you."),
        ({"profile": "nvidia-h200-x2", "gpus": "8"}, "gives at most 2 GPU(s); 8 were asked"),
    ],
)
def test_a_forged_choice_is_a_400_with_the_reason(
    spawner_for: Any, options: dict[str, Any], message: str
) -> None:
    spawner = spawner_for()
    with pytest.raises(web.HTTPError) as refused:
        apply(spawner, options)
    assert refused.value.status_code == 400
    assert message in refused.value.jupyterhub_message  # type: ignore[attr-defined]
    assert chosen_profile(spawner) is None


def test_a_gpu_profile_makes_its_pod(spawner_for: Any) -> None:
    spawner = spawner_for()
    apply(spawner, {"profile": "nvidia-h200-x2"})
    pod = pod_of(spawner)
    lab = pod["spec"]["containers"][0]
    assert lab["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert pod["spec"]["node_selector"] == H200
    assert [(t["key"], t["operator"]) for t in pod["spec"]["tolerations"]] == [
        ("nvidia.com/gpu", "Exists")
    ]
    env = {e["name"]: e["value"] for e in lab["env"]}
    assert env["ENABLE_GPU_SUPPORT"] == "1"


def test_a_cpu_profile_makes_a_pod_without_gpu(spawner_for: Any) -> None:
    spawner = spawner_for("research")
    apply(spawner, {"profile": "big"})
    pod = pod_of(spawner)
    lab = pod["spec"]["containers"][0]
    assert lab["image"] == "lab:big"
    assert lab["resources"]["limits"] == {"cpu": "8", "memory": "32Gi"}
    assert "nvidia.com/gpu" not in lab["resources"]["limits"]
    env = {e["name"]: e["value"] for e in lab["env"]}
    assert (env["MODE"], env["NVIDIA_VISIBLE_DEVICES"]) == ("big", "void")
    assert not pod["spec"].get("node_selector")


def test_no_choice_is_the_default(spawner_for: Any) -> None:
    spawner = spawner_for()
    apply(spawner, {})
    profile = chosen_profile(spawner)
    assert profile is not None and profile.slug == "cpu"


def test_without_profiles_options_are_ignored_and_the_placement_applies(
    spawner_for: Any, gpu_file: Path
) -> None:
    gpu_file.write_text(json.dumps({"enabled": True, "resource": "nvidia.com/gpu", "count": 1}))
    spawner = spawner_for()
    assert form(spawner) == ""
    apply(spawner, {"profile": "anything"})
    assert chosen_profile(spawner) is None
    lab = pod_of(spawner)["spec"]["containers"][0]
    assert lab["resources"]["limits"]["nvidia.com/gpu"] == "1"


@pytest.mark.parametrize("content", [None, "{broken", '{"profiles": [{"name": ""}]}', "[]"])
def test_an_unreadable_profile_list_offers_nothing(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "gpu.json"
    if content is not None:
        path.write_text(content)
    assert read_profiles(path) == ()


def test_the_form_escapes_and_orders() -> None:
    html = render_form(PROFILES, selected="big")
    assert html.index('value="cpu"') < html.index('value="big"') < html.index('"nvidia-h200-x2"')
    assert 'id="profile-big"' in html and "for research" in html
