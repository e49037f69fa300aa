"""Issue 5, end to end: a StellarsHub on the full cluster serves a user from sign-up to lab.

The user story: the admin applies a StellarsHub and waits for Ready; a user signs up and waits
for approval; the admin approves; the user logs in, starts a server (a pod with its own volumes,
no API token, a restricted security context), writes a file in the workspace, and finds it again
after the server was stopped and started. The lab has the /dev/shm, the read-only data set and the
admin's extraConfig snippet the spec asks for, and reaches what spec.network.egress allows and
nothing else; a snippet that does not compile leaves the hub Degraded, not restarted. Deleting
the hub stops the servers and keeps the data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.e2e.kubernetes.lab_extras import (
    DATASET_DIR,
    DATASET_FILE,
    DATASET_TEXT,
    EXTRA_CONFIG_ENV,
    SERVICE_LABELS,
    fill_dataset,
    lab_extras_spec,
    start_listeners,
)
from tests.e2e.kubernetes.lab_network import (
    LISTEN_PORT,
    METADATA_ADDRESS,
    PUBLIC_ADDRESS,
    LabProbe,
    stand_in_internet,
)
from tests.fixtures.hub_client import HubClient, login_error
from tests.fixtures.hub_story import (
    PublicService,
    admin_password,
    apply_hub,
    hub_path,
    is_true,
    small_hub,
    wait_hub,
)
from tests.fixtures.kubectl import kubectl_exec
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import conditions_of

pytestmark = pytest.mark.kubelet

HUB = "lab"
USER = "ada"
PASSWORD = "ada-s3cret-pass"
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def _pvc_phase(kube: Kube, namespace: str, name: str) -> str | None:
    pvc = kube.get(resource_path("v1", "PersistentVolumeClaim", namespace=namespace, name=name))
    return ((pvc or {}).get("status") or {}).get("phase")


def _assert_locked_down(pod: dict[str, Any]) -> None:
    """No service-account token, and what PodSecurity "restricted" asks of every container."""
    spec = pod["spec"]
    assert spec.get("automountServiceAccountToken") is False, spec
    assert spec["securityContext"].get("runAsNonRoot") is True, spec["securityContext"]
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in spec["containers"] + spec.get("initContainers", []):
        mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
        assert TOKEN_PATH not in mounts, (container["name"], mounts)
        context = container.get("securityContext") or {}
        assert context.get("allowPrivilegeEscalation") is False, (container["name"], context)
        assert context.get("capabilities", {}).get("drop") == ["ALL"], (container["name"], context)


def _hub_and_proxy_cannot_write_their_root(kube: Kube, namespace: str, kube_config: str) -> None:
    """Root filesystems read-only (a write fails with EROFS), /tmp writable."""
    for component in ("hub", "proxy"):
        pods = kube.list(
            resource_path("v1", "Pod", namespace=namespace),
            label_selector=f"app.kubernetes.io/instance={HUB},app.kubernetes.io/component={component}",
        )
        running = [p["metadata"]["name"] for p in pods if p["status"].get("phase") == "Running"]
        assert running, (component, pods)
        for path, writable in (("/probe", False), ("/srv/probe", False), ("/tmp/probe", True)):
            written = kubectl_exec(
                running[0],
                "sh",
                "-c",
                f"touch {path} && rm {path}",
                kubeconfig=kube_config,
                namespace=namespace,
            )
            assert (written.returncode == 0) is writable, (component, path, written.stderr)
            if not writable:
                assert "Read-only file system" in written.stderr, (component, written.stderr)


def _pod_owned_by_the_hub_claims_by_nobody(
    kube: Kube, namespace: str, pod_name: str, hub: dict[str, Any]
) -> list[dict[str, Any]]:
    pod = kube.get(resource_path("v1", "Pod", namespace=namespace, name=pod_name))
    assert pod, pod_name
    owners: list[dict[str, Any]] = pod["metadata"].get("ownerReferences") or []
    assert [(o["kind"], o["name"], o["uid"]) for o in owners] == [
        ("StellarsHub", HUB, hub["metadata"]["uid"])
    ], owners
    # Neither controller nor blockOwnerDeletion: the hub holds no right on its StellarsHub.
    assert not owners[0].get("controller") and not owners[0].get("blockOwnerDeletion"), owners
    for suffix in ("home", "workspace", "cache"):
        claim = kube.get(
            resource_path(
                "v1", "PersistentVolumeClaim", namespace=namespace, name=f"{HUB}--{USER}-{suffix}"
            )
        )
        assert claim and not claim["metadata"].get("ownerReferences"), claim
    return owners


def _late_pod(kube: Kube, namespace: str, owners: list[dict[str, Any]], *, image: str) -> str:
    """A pod with the lab's owner and no labels; its path."""
    name = f"{HUB}-late-spawn"
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "ownerReferences": owners},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 1000,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "lab",
                        "image": image,
                        "imagePullPolicy": "Never",
                        "command": ["sleep", "3600"],
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
            },
        }
    )
    return resource_path("v1", "Pod", namespace=namespace, name=name)


def _with_extras() -> dict[str, Any]:
    """small_hub's spec with the lab extras; resources merged, not replaced."""
    extras = lab_extras_spec()
    resources = small_hub(gpu_mode="off")["resources"]
    user = {**resources["user"], **extras.pop("resources")["user"]}
    return {**extras, "resources": {**resources, "user": user}}


def _lab_has_shm_dataset_and_extra_config(lab: LabProbe) -> None:
    # /dev/shm: a 256Mi tmpfs (spec.resources.user.shm).
    df = lab.run("df", "-k", "/dev/shm")
    assert df.returncode == 0, df.stderr
    assert df.stdout.split("\n")[1].split()[1] == str(256 * 1024), df.stdout
    # The data set is there, and read-only.
    data = lab.run("cat", f"{DATASET_DIR}/{DATASET_FILE}")
    assert data.returncode == 0 and data.stdout == DATASET_TEXT, (data.stdout, data.stderr)
    write = lab.run("touch", f"{DATASET_DIR}/mine")
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write
    # The admin's snippet ran after the hub's own configuration.
    env = lab.run("printenv", EXTRA_CONFIG_ENV)
    assert env.stdout.strip() == "loaded", (env.stdout, env.stderr)


def _lab_reaches_what_egress_allows(kube: Kube, namespace: str, lab: LabProbe) -> None:
    """Public on by default, private and metadata off; each switch and an extra rule, in turn."""
    node = kube.list(resource_path("v1", "Node"))[0]
    node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    proxy_api = kube.get(
        resource_path("v1", "Service", namespace=namespace, name=f"{HUB}-proxy-api")
    )
    labels = {
        "app.kubernetes.io/name": "stellars-jupyterhub",
        "app.kubernetes.io/instance": HUB,
        "app.kubernetes.io/component": "singleuser",
    }
    ips = start_listeners(kube, namespace, other_lab_labels=labels)
    targets = {
        "public": f"{PUBLIC_ADDRESS}:{LISTEN_PORT}",
        "metadata": f"{METADATA_ADDRESS}:{LISTEN_PORT}",
        "api (ClusterIP)": "10.96.0.1:443",
        "api (node)": f"{node_ip}:6443",
        "proxy api": f"{(proxy_api or {})['spec']['clusterIP']}:8001",
        "other lab": f"{ips['other-lab']}:8888",
        "service 5000": f"{ips['mlflow-e2e']}:5000",
        "service 5001": f"{ips['mlflow-e2e']}:5001",
    }

    def expect(*reachable: str) -> None:
        wanted = {name: name in reachable for name in targets}
        seen: list[dict[str, bool]] = [{}]

        def probe() -> bool:
            reached = lab.reaches(*targets.values())
            seen[0] = {name: reached[target] for name, target in targets.items()}
            return seen[0] == wanted

        wait_for(probe, timeout=90, what=f"lab reaches only {reachable} (last: {seen[0]})")

    def set_egress(egress: dict[str, Any]) -> None:
        kube.merge_patch(hub_path(namespace, HUB), {"spec": {"network": {"egress": egress}}})

    lab_pod = kube.get(resource_path("v1", "Pod", namespace=namespace, name=lab.pod)) or {}
    with stand_in_internet(f"{lab_pod['status']['podIP']}/32"):
        expect("public")
        allow = [{"podSelector": {"matchLabels": SERVICE_LABELS}, "ports": [{"port": 5000}]}]
        set_egress({"publicInternet": False, "allow": allow})
        expect("service 5000")
        set_egress({"cloudMetadata": True})
        expect("service 5000", "metadata")


def _broken_snippet_leaves_the_hub_degraded(kube: Kube, namespace: str) -> None:
    hub_pods = f"app.kubernetes.io/instance={HUB},app.kubernetes.io/component=hub"
    before = {
        p["metadata"]["uid"]
        for p in kube.list(resource_path("v1", "Pod", namespace=namespace), label_selector=hub_pods)
    }
    broken = {"90-broken": "c.JupyterHub.log_level = 'DEBUG'\nif True\n"}
    kube.merge_patch(hub_path(namespace, HUB), {"spec": {"hub": {"extraConfig": broken}}})
    hub = wait_hub(
        kube, namespace, HUB, lambda h: is_true(h, "Degraded"), timeout=60, what="hub Degraded"
    )
    message = conditions_of(hub)["Degraded"]["message"]
    assert "spec.hub.extraConfig.90-broken: line 2" in message, message
    after = {
        p["metadata"]["uid"]
        for p in kube.list(resource_path("v1", "Pod", namespace=namespace), label_selector=hub_pods)
    }
    assert after == before, "the hub was restarted with a snippet that does not compile"


def test_a_user_signs_up_is_approved_and_keeps_files_in_the_lab(
    hub_images: None,
    operator: OperatorProcess,
    kube: Kube,
    kube_config: str,
    namespace: str,
    public_service: Callable[[str, str], PublicService],
) -> None:
    started = time.monotonic()
    # A data set the labs get read-only, filled beforehand.
    fill_dataset(kube, namespace)
    # The admin applies a StellarsHub and waits until it says Ready.
    apply_hub(kube, namespace, HUB, {**small_hub(gpu_mode="off"), **_with_extras()})
    hub = wait_hub(
        kube, namespace, HUB, lambda h: is_true(h, "Ready"), timeout=300, what="hub Ready"
    )
    pods = kube.list(
        resource_path("v1", "Pod", namespace=namespace),
        label_selector=f"app.kubernetes.io/instance={HUB},app.kubernetes.io/component=hub",
    )
    assert any(
        c["type"] == "Ready" and c["status"] == "True"
        for p in pods
        for c in p["status"].get("conditions", [])
    ), pods
    print(f"hub Ready after {time.monotonic() - started:.0f}s")

    # Everyone comes in through the proxy's public Service.
    service = public_service(namespace, f"{HUB}-proxy-public")
    print(f"reaching {HUB}-proxy-public via {service.via} ({service.address})")
    base = f"http://{service.address}/jupyterhub"
    admin = HubClient(base)
    wait_for(lambda: admin.page("/hub/login").status_code == 200, timeout=120, what="login page")
    assert admin.log_in("admin", admin_password(kube, namespace, hub)).status_code == 302
    assert admin.is_logged_in()

    # A user signs up and cannot log in before the admin approves.
    user = HubClient(base)
    user.sign_up(USER, PASSWORD)
    before = user.log_in(USER, PASSWORD)
    assert before.status_code != 302
    assert "has not been authorized" in login_error(before.text)
    assert f"authorize/{USER}" in admin.page("/hub/authorize").text
    assert admin.page(f"/hub/authorize/{USER}").status_code == 200

    # Approved, the user logs in and starts a server.
    assert user.log_in(USER, PASSWORD).status_code == 302
    user.create_token(USER)
    user.start_server(USER, timeout_s=300)
    print(f"server ready after {time.monotonic() - started:.0f}s")

    pod_name = f"{HUB}-jupyter-{USER}"
    pod = kube.get(resource_path("v1", "Pod", namespace=namespace, name=pod_name))
    assert pod and pod["status"]["phase"] == "Running", pod
    _assert_locked_down(pod)
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }
    expected = {
        f"{HUB}--{USER}-home",
        f"{HUB}--{USER}-workspace",
        f"{HUB}--{USER}-cache",
        f"{HUB}-shared",
    }
    assert expected <= claims, claims
    for claim in expected:
        assert _pvc_phase(kube, namespace, claim) == "Bound", claim

    # The lab answers through the proxy; a file written in the workspace survives a restart.
    status = user.lab("GET", USER, "/api/status")
    assert status.status_code == 200, status.text
    # That hub and its proxy cannot change their own images' files.
    read_only_started = time.monotonic()
    _hub_and_proxy_cannot_write_their_root(kube, namespace, kube_config)
    print(f"read-only roots checked in {time.monotonic() - read_only_started:.1f}s")
    note = {"type": "file", "format": "text", "content": "kept across restarts\n"}
    written = user.lab("PUT", USER, "/api/contents/note.txt", json=note)
    assert written.status_code in (200, 201), written.text
    first_uid = pod["metadata"]["uid"]
    user.stop_server(USER)
    wait_for(
        lambda: kube.get(resource_path("v1", "Pod", namespace=namespace, name=pod_name)) is None,
        timeout=120,
        what="user pod gone after stop",
    )
    user.start_server(USER, timeout_s=300)
    pod = kube.get(resource_path("v1", "Pod", namespace=namespace, name=pod_name))
    assert pod and pod["metadata"]["uid"] != first_uid
    read = user.lab("GET", USER, "/api/contents/note.txt?content=1&type=file&format=text")
    assert read.status_code == 200, read.text
    assert read.json()["content"] == "kept across restarts\n"

    lab = LabProbe(pod_name, namespace, kube_config)
    extras_started = time.monotonic()
    _lab_has_shm_dataset_and_extra_config(lab)
    _lab_reaches_what_egress_allows(kube, namespace, lab)
    _broken_snippet_leaves_the_hub_degraded(kube, namespace)
    print(f"lab extras and egress checked in {time.monotonic() - extras_started:.0f}s")

    # The lab pod names the StellarsHub as its owner (for garbage collection), its claims do not.
    owners = _pod_owned_by_the_hub_claims_by_nobody(kube, namespace, pod_name, hub)
    # A pod the hub is creating as it is deleted (mid-spawn): the operator's finalizer does not
    # know it yet (no lab labels), only its owner says whose it is.
    late_pod = _late_pod(kube, namespace, owners, image=pod["spec"]["containers"][0]["image"])

    # Deleting the hub stops the user's server and keeps the user's volumes.
    kube.delete(hub_path(namespace, HUB))
    wait_for(lambda: kube.get(hub_path(namespace, HUB)) is None, timeout=120, what="hub gone")
    wait_for(
        lambda: kube.get(resource_path("v1", "Pod", namespace=namespace, name=pod_name)) is None,
        timeout=120,
        what="user pod stopped on hub delete",
    )
    # Garbage collection removes it with its StellarsHub.
    late_started = time.monotonic()
    try:
        wait_for(lambda: kube.get(late_pod) is None, timeout=120, what="late pod collected")
    finally:
        kube.delete(late_pod)
    print(f"late pod collected in {time.monotonic() - late_started:.1f}s")
    for claim in (f"{HUB}--{USER}-home", f"{HUB}--{USER}-workspace", f"{HUB}--{USER}-cache"):
        assert _pvc_phase(kube, namespace, claim) == "Bound", f"{claim} not kept"
    print(f"story done in {time.monotonic() - started:.0f}s")
