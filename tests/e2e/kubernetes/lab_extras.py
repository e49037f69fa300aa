"""What the hub story adds to a lab, and the workloads it needs: a data set claim filled by a
one-shot pod, an in-cluster service for an egress rule to name, and another lab to stay out of."""

from __future__ import annotations

from typing import Any

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.hub_story import LAB_IMAGE
from tests.fixtures.polling import wait_for

DATASET_CLAIM = "datasets"
DATASET_DIR = "/mnt/datasets"
DATASET_FILE = "sample.csv"
DATASET_TEXT = "id,value\n1,42\n"
SHM = "256Mi"
EXTRA_CONFIG_ENV = "STELLARS_EXTRA_CONFIG"
# The in-cluster service an egress rule opens: port 5000 only, though 5001 listens too.
SERVICE_LABELS = {"app": "mlflow-e2e"}
SERVICE_PORTS = (5000, 5001)

_RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def lab_extras_spec() -> dict[str, Any]:
    """The spec fields the story adds: /dev/shm, a read-only data set, an extraConfig snippet."""
    return {
        "resources": {"user": {"shm": SHM}},
        "user": {
            "extraVolumes": [
                {
                    "name": "datasets",
                    "persistentVolumeClaim": {"claimName": DATASET_CLAIM, "readOnly": True},
                }
            ],
            "extraVolumeMounts": [{"name": "datasets", "mountPath": DATASET_DIR, "readOnly": True}],
        },
        "hub": {
            "extraConfig": {
                "50-lab-env": f"c.KubeSpawner.environment['{EXTRA_CONFIG_ENV}'] = 'loaded'\n"
            }
        },
    }


def _pod(name: str, labels: dict[str, str], command: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "main",
                    "image": LAB_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", command],
                    "securityContext": _RESTRICTED,
                    "workingDir": "/tmp",
                    **spec.pop("container", {}),
                }
            ],
            **spec,
        },
    }


def _create(kube: Kube, namespace: str, manifest: dict[str, Any]) -> None:
    manifest["metadata"]["namespace"] = namespace
    kube.apply(manifest)


def pod_path(namespace: str, name: str) -> str:
    return resource_path("v1", "Pod", namespace=namespace, name=name)


def fill_dataset(kube: Kube, namespace: str) -> None:
    """The data set claim, written once by a pod that then goes away."""
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": DATASET_CLAIM},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Mi"}}},
    }
    _create(kube, namespace, claim)
    writer = _pod(
        "dataset-writer",
        {"app": "dataset-writer"},
        f"printf '{DATASET_TEXT}' > /data/{DATASET_FILE}".replace("\n", "\\n"),
        restartPolicy="Never",
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": DATASET_CLAIM}}],
        container={"volumeMounts": [{"name": "data", "mountPath": "/data"}]},
    )
    _create(kube, namespace, writer)
    wait_for(
        lambda: ((kube.get(pod_path(namespace, "dataset-writer")) or {}).get("status") or {}).get(
            "phase"
        )
        == "Succeeded",
        timeout=120,
        what="data set written",
    )
    kube.delete(pod_path(namespace, "dataset-writer"))


def start_listeners(
    kube: Kube, namespace: str, *, other_lab_labels: dict[str, str]
) -> dict[str, str]:
    """The in-cluster service and another lab (listening on 8888); name -> pod IP."""
    service = " & ".join(f"python3 -m http.server {port}" for port in SERVICE_PORTS)
    _create(kube, namespace, _pod("mlflow-e2e", SERVICE_LABELS, f"{service} & wait"))
    _create(kube, namespace, _pod("other-lab", other_lab_labels, "python3 -m http.server 8888"))

    def ips() -> dict[str, str] | None:
        found = {}
        for name in ("mlflow-e2e", "other-lab"):
            status = (kube.get(pod_path(namespace, name)) or {}).get("status") or {}
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
            )
            if not ready or not status.get("podIP"):
                return None
            found[name] = status["podIP"]
        return found

    return wait_for(ips, timeout=120, what="listener pods running")
