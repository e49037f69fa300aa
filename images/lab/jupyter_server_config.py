"""The data-science lab's Jupyter server settings: MLflow, TensorBoard and Glances behind
jupyter-server-proxy, each only when its ENABLE_SERVICE_* variable is 1 (read at start).

A service is started on demand, the first time someone opens its URL (/user/<name>/<service>/,
or its launcher card), and listens on 127.0.0.1 only: it is reachable solely through the lab's
server, that is through the hub's authentication, never on a port of its own. Services that are
off are not registered at all, so the launcher does not offer them and their URLs answer 404.

Loaded by Jupyter from /etc/jupyter; the unit tests load it without Jupyter (no `get_config`)
and call `proxied_services`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

# The seed's variable names; "1" turns a service on.
TOGGLES = {
    "mlflow": "ENABLE_SERVICE_MLFLOW",
    "tensorboard": "ENABLE_SERVICE_TENSORBOARD",
    "glances": "ENABLE_SERVICE_GLANCES",
}
START_TIMEOUT_S = 120  # MLflow's first start on a busy 2-core machine takes a while


def _on(env: Mapping[str, str], service: str) -> bool:
    return env.get(TOGGLES[service], "0") == "1"


def _mlflow(env: Mapping[str, str], home: str) -> list[str]:
    store = env.get("MLFLOW_BACKEND_STORE_URI", f"sqlite:///{home}/.mlflow/mlflow.db")
    artifacts = env.get("MLFLOW_ARTIFACT_ROOT", f"{home}/.mlflow/artifacts")
    # One worker: a personal tracking server on a shared machine.
    return [
        "mlflow", "server", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1",
        "--backend-store-uri", store, "--default-artifact-root", artifacts,
    ]  # fmt: skip


def _tensorboard(env: Mapping[str, str]) -> list[str]:
    logdir = env.get("TENSORBOARD_LOGDIR", "/tmp/tensorboard")
    return ["tensorboard", "--logdir", logdir, "--host", "127.0.0.1", "--port", "{port}"]


def _glances(env: Mapping[str, str]) -> list[str]:
    command = ["glances", "-w", "--bind", "127.0.0.1", "--port", "{port}", "--disable-check-update"]
    if env.get("ENABLE_GPU_SUPPORT", "0") != "1":
        command += ["--disable-plugin", "gpu"]
    return command


def proxied_services(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """jupyter-server-proxy's `servers` for this environment: only the services turned on."""
    home = env.get("HOME", "/home/lab")
    commands = {
        "mlflow": ("MLflow", _mlflow(env, home)),
        "tensorboard": ("TensorBoard", _tensorboard(env)),
        "glances": ("Glances", _glances(env)),
    }
    return {
        name: {
            "command": command,
            "timeout": START_TIMEOUT_S,
            "launcher_entry": {"enabled": True, "title": title},
        }
        for name, (title, command) in commands.items()
        if _on(env, name)
    }


if "get_config" in globals():
    c = get_config()  # type: ignore[name-defined]  # noqa: F821
    c.ServerProxy.servers = proxied_services(os.environ)
    # Nothing in the lab asks the internet for news or newer versions.
    c.LabApp.news_url = None
    c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
