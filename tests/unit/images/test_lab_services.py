"""The data-science lab's services behind jupyter-server-proxy
(images/lab/jupyter_server_config.py): each registered, with a launcher card, only when its
ENABLE_SERVICE_* is 1, and always bound to the lab's loopback so only the lab's authenticated
server reaches it."""

from __future__ import annotations

import runpy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

CONFIG = Path(__file__).resolve().parents[3] / "images" / "lab" / "jupyter_server_config.py"
Services = Callable[[Mapping[str, str]], dict[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def proxied_services() -> Services:
    # Loaded as Jupyter would, minus get_config: only the pure function is defined.
    services: Services = runpy.run_path(str(CONFIG))["proxied_services"]
    return services


ALL_ON = {
    "ENABLE_SERVICE_MLFLOW": "1",
    "ENABLE_SERVICE_TENSORBOARD": "1",
    "ENABLE_SERVICE_GLANCES": "1",
    "HOME": "/home/lab",
}


def test_only_the_services_turned_on_are_registered(proxied_services: Services) -> None:
    assert set(proxied_services(ALL_ON)) == {"mlflow", "tensorboard", "glances"}
    assert proxied_services({}) == {}
    only_mlflow = {**ALL_ON, "ENABLE_SERVICE_TENSORBOARD": "0", "ENABLE_SERVICE_GLANCES": "no"}
    assert set(proxied_services(only_mlflow)) == {"mlflow"}
    assert set(proxied_services({**ALL_ON, "ENABLE_SERVICE_MLFLOW": "0"})) == {
        "tensorboard",
        "glances",
    }


def test_each_service_listens_on_loopback_and_has_a_launcher_card(
    proxied_services: Services,
) -> None:
    for name, server in proxied_services(ALL_ON).items():
        command = server["command"]
        bind = command[command.index("--host" if "--host" in command else "--bind") + 1]
        assert bind == "127.0.0.1", name
        assert command[command.index("--port") + 1] == "{port}", name
        assert server["launcher_entry"]["enabled"] is True
    titles = {s["launcher_entry"]["title"] for s in proxied_services(ALL_ON).values()}
    assert titles == {"MLflow", "TensorBoard", "Glances"}


def test_mlflow_keeps_its_store_in_the_home_volume_unless_told_otherwise(
    proxied_services: Services,
) -> None:
    command = proxied_services(ALL_ON)["mlflow"]["command"]
    assert command[command.index("--backend-store-uri") + 1] == (
        "sqlite:////home/lab/.mlflow/mlflow.db"
    )
    assert command[command.index("--default-artifact-root") + 1] == "/home/lab/.mlflow/artifacts"
    told = {**ALL_ON, "MLFLOW_BACKEND_STORE_URI": "sqlite:////mnt/mlflow/m.db"}
    command = proxied_services(told)["mlflow"]["command"]
    assert command[command.index("--backend-store-uri") + 1] == "sqlite:////mnt/mlflow/m.db"


def test_glances_shows_gpus_only_when_the_hub_gave_the_lab_gpus(
    proxied_services: Services,
) -> None:
    without = proxied_services(ALL_ON)["glances"]["command"]
    assert without[without.index("--disable-plugin") + 1] == "gpu"
    with_gpu = proxied_services({**ALL_ON, "ENABLE_GPU_SUPPORT": "1"})["glances"]["command"]
    assert "--disable-plugin" not in with_gpu
    assert "--disable-check-update" in with_gpu  # no call home for a newer version
