"""Issue 15, case 6: a release upgrade. The previous release (tests/fixtures/previous_release.py:
its chart and its own images) is installed with a hub; two users sign up, are approved, log in,
start their labs and write a file each; then the release is upgraded to this commit's chart and
images by the steps docs/helm.md gives, and nothing else. The same users are still logged in,
log in again with their passwords, and find their files; a probe requests each lab through the
public entry point during the upgrade, and the case records what they saw (docs/reliability.md).

The CRD is cluster-wide and shared with concurrent tests, so the previous release runs on
today's CRD (installed with --skip-crds); the test proves that today's CRD still serves every
field of the previous one, which is what keeps a stored hub valid across the upgrade.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.fault_probe import (
    AvailabilityProbe,
    LabUser,
    lab_started,
    logged_in,
    marker_intact,
    write_marker,
)
from tests.fixtures.fault_report import FaultReport
from tests.fixtures.hub_client import HubClient, login_error
from tests.fixtures.hub_story import PublicService, admin_password, small_hub
from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.paths import CHART, REPO
from tests.fixtures.polling import wait_for
from tests.fixtures.previous_release import PreviousRelease, previous_release

pytestmark = [pytest.mark.cluster, pytest.mark.kubelet, pytest.mark.timeout(3600)]

HUB: Final = "upgraded"
USERS: Final = ("alice", "bob")
HUB_READY_S: Final = 600


def _password(user: str) -> str:
    return f"{user}-upgrade-pass-1"


def _todays_images() -> dict[str, str]:
    listing = subprocess.run(
        [str(REPO / "scripts" / "project-images.sh"), "--build", "hub", "operator", "lab"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return {line.split()[0]: line.split()[2] for line in listing.splitlines()}


def _spec_properties(crd: dict[str, Any]) -> set[str]:
    """Every property path under the stored version's spec, e.g. "storage.shared.size"."""
    (version,) = [v for v in crd["spec"]["versions"] if v.get("storage")]
    paths: set[str] = set()

    def walk(schema: dict[str, Any], prefix: str) -> None:
        for name, child in (schema.get("properties") or {}).items():
            paths.add(prefix + name)
            walk(child, f"{prefix}{name}.")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], prefix)

    walk(version["schema"]["openAPIV3Schema"]["properties"]["spec"], "")
    return paths


@pytest.fixture
def cluster(kube_config: str) -> ClusterCli:
    return ClusterCli(kubeconfig=Path(kube_config))


@pytest.fixture(scope="module")
def old(tmp_path_factory: pytest.TempPathFactory) -> PreviousRelease:
    return previous_release(tmp_path_factory.mktemp("previous-release"))


def _lab_pods(kube: Kube, namespace: str) -> dict[str, str]:
    """User name -> the uid of their lab's pod."""
    pods = kube.list(
        resource_path("v1", "Pod", namespace=namespace),
        label_selector=f"app.kubernetes.io/instance={HUB},app.kubernetes.io/component=singleuser",
    )
    return {
        (p["metadata"].get("annotations") or {}).get("hub.jupyter.org/username", ""): str(
            p["metadata"]["uid"]
        )
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
    }


def _wait_ready(cluster: ClusterCli, namespace: str) -> None:
    cluster.kubectl(
        "-n",
        namespace,
        "wait",
        "--for=condition=Ready",
        f"stellarshub/{HUB}",
        f"--timeout={HUB_READY_S}s",
        timeout=HUB_READY_S + 60,
    )


def _hub_rolled_to(cluster: ClusterCli, namespace: str, image: str) -> None:
    """The hub Deployment runs `image`, rolled out."""

    def runs_image() -> bool:
        found = cluster.get("deployment", f"{HUB}-hub", namespace=namespace) or {}
        containers = found.get("spec", {}).get("template", {}).get("spec", {}).get("containers")
        return any(c["image"] == image for c in containers or [])

    wait_for(runs_image, timeout=HUB_READY_S, interval=2, what=f"the hub Deployment runs {image}")
    cluster.kubectl(
        "-n", namespace, "rollout", "status", f"deployment/{HUB}-hub", "--timeout=600s", timeout=660
    )


@pytest.fixture
def release(cluster: ClusterCli, namespace: str) -> Iterator[str]:
    """A release name of its own (the chart names cluster-scoped objects after it); uninstalled
    at the end, so its hub, operator and cluster-scoped objects go before the namespace."""
    name = f"upgrade-{secrets.token_hex(3)}"
    try:
        yield name
    finally:
        cluster.helm("uninstall", name, "-n", namespace, "--wait", "--timeout", "5m", check=False)


def test_release_upgrade_keeps_accounts_sessions_and_files(
    cluster: ClusterCli,
    kube: Kube,
    kube_config: str,
    namespace: str,
    release: str,
    old: PreviousRelease,
    load_images: Callable[..., None],
    fault_report: FaultReport,
    tmp_path: Path,
) -> None:
    today = _todays_images()
    load_images(*old.images.values(), *today.values())
    old_crd = yaml.safe_load((old.chart / "crds" / "stellarshub.yaml").read_text())
    new_crd = yaml.safe_load((CHART / "crds" / "stellarshub.yaml").read_text())
    assert _spec_properties(old_crd) <= _spec_properties(new_crd), (
        "today's CRD dropped fields of the previous release's: "
        f"{sorted(_spec_properties(old_crd) - _spec_properties(new_crd))}"
    )

    # 1. The previous release, installed as its docs said, with a hub of its images.
    values = tmp_path / "old-values.yaml"
    spec = {**small_hub(), "hubImage": old.images["hub"], "notebookImage": today["lab"]}
    values.write_text(
        yaml.safe_dump(
            {
                "watchNamespaces": [namespace],
                "operator": {"image": {"tag": old.tag}},
                "hub": {"create": True, "name": HUB, "spec": spec},
            }
        )
    )
    cluster.helm(
        "install",
        release,
        str(old.chart),
        "-n",
        namespace,
        "--skip-crds",
        "-f",
        str(values),
        "--wait",
        "--timeout",
        "10m",
    )
    _wait_ready(cluster, namespace)
    service = PublicService(kube, kube_config, namespace, f"{HUB}-proxy-public")
    try:
        _use_upgrade_use(cluster, kube, namespace, release, old, today, service, fault_report)
    finally:
        service.close()


def _use_upgrade_use(
    cluster: ClusterCli,
    kube: Kube,
    namespace: str,
    release: str,
    old: PreviousRelease,
    today: dict[str, str],
    service: PublicService,
    fault_report: FaultReport,
) -> None:
    base = f"http://{service.address}/jupyterhub"

    # 2. Users as on any working day: signed up, approved, logged in, labs running, a file each.
    admin = HubClient(base)
    wait_for(lambda: admin.page("/hub/login").status_code == 200, timeout=120, retry_on=(OSError,))
    hub = cluster.get("stellarshub", HUB, namespace=namespace)
    assert hub is not None
    assert admin.log_in("admin", admin_password(kube, namespace, hub)).status_code == 302
    admin.create_token("admin")
    users: dict[str, LabUser] = {}
    clients: dict[str, HubClient] = {}
    for name in USERS:
        client = HubClient(base)
        client.sign_up(name, _password(name))
        assert admin.page(f"/hub/authorize/{name}").status_code == 200
        assert client.log_in(name, _password(name)).status_code == 302, name
        client.create_token(name)
        clients[name] = client
        users[name] = LabUser(
            name=name,
            lab_url=f"{base}/user/{name}/",
            session=client.http,
            token=client.token,
            verify=False,
        )
    for name, client in clients.items():  # both spawns at once, then wait for both
        assert client.api("POST", f"/users/{name}/server").status_code in (201, 202), name
    for name, client in clients.items():
        client.wait_server(name, ready=True, timeout_s=300)
    markers = {name: write_marker(user) for name, user in users.items()}
    pods_before = _lab_pods(kube, namespace)
    started_before = {name: lab_started(user) for name, user in users.items()}
    old_role = cluster.get("role", f"{HUB}-hub", namespace=namespace)

    # 3. The upgrade, exactly as docs/helm.md says ("Upgrading the CRD", then the release),
    #    with today's images in place of the previous release's pinned ones.
    began = time.monotonic()
    with AvailabilityProbe(users.values()) as probe:
        cluster.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            str(CHART / "crds" / "stellarshub.yaml"),
        )
        cluster.helm(
            "upgrade",
            release,
            str(CHART),
            "-n",
            namespace,
            "--reset-then-reuse-values",
            "--set",
            f"operator.image.tag={today['operator'].rsplit(':', 1)[1]}",
            "--set",
            f"hub.spec.hubImage={today['hub']}",
            "--wait",
            "--timeout",
            "10m",
        )
        _hub_rolled_to(cluster, namespace, today["hub"])
        _wait_ready(cluster, namespace)
        wait_for(
            lambda: admin.api("GET", "/users").status_code == 200,
            timeout=120,
            retry_on=(OSError,),
            what="the hub's REST API",
        )
        upgraded_s = time.monotonic() - began
    hub = cluster.get("stellarshub", HUB, namespace=namespace)
    assert hub is not None and hub["metadata"]["namespace"] == namespace, "the hub moved"
    # The previous operator elects no leader: beside a surge pod it would go on reconciling, so
    # this upgrade replaced it instead of rolling (templates/operator-deployment.yaml).
    operator = cluster.get(
        "deployment", f"{release}-stellars-jupyterhub-operator", namespace=namespace
    )
    assert operator is not None
    assert operator["spec"]["strategy"]["type"] == "Recreate", operator["spec"]["strategy"]
    (container,) = operator["spec"]["template"]["spec"]["containers"]
    assert container["image"] == today["operator"], container["image"]

    # 4. The same people: still logged in, their passwords work, their files are where they were.
    outcome: dict[str, dict[str, Any]] = {}
    pods_after = _lab_pods(kube, namespace)
    for name, user in users.items():
        still_logged_in = logged_in(user)
        again = HubClient(base)
        response = again.log_in(name, _password(name))
        assert response.status_code == 302, f"{name}: {login_error(response.text)}"
        restarted = pods_after.get(name) != pods_before[name]
        if not restarted:
            restarted = lab_started(user) != started_before[name]
        else:
            clients[name].start_server(name, timeout_s=300)
        outcome[name] = {
            "unavailable_s": round(probe.unavailable_seconds(name), 2),
            "lab_restarted": restarted,
            "logged_out": not still_logged_in,
            "files_intact": marker_intact(user, markers[name]),
        }

    # 5. A lab the new release starts mounts the same volumes: each user's lab is stopped and
    #    started again by the new hub, and the file is there.
    for name, client in clients.items():
        assert client.api("DELETE", f"/users/{name}/server").status_code in (202, 204), name
    for name, client in clients.items():
        client.wait_server(name, ready=False, timeout_s=120)
        response = client.api("POST", f"/users/{name}/server")
        assert response.status_code in (201, 202), (name, response.status_code, response.text)
    for name, client in clients.items():
        client.wait_server(name, ready=True, timeout_s=300)
        outcome[name]["files_intact"] &= marker_intact(users[name], markers[name])
        if not outcome[name]["files_intact"]:
            outcome[name]["note"] = "file missing in the lab the new hub started"
    fault_report.record(
        case="release upgrade",
        path="kubernetes",
        users=outcome,
        note=f"chart {old.version} ({old.commit[:7]}) to this commit by docs/helm.md's steps; "
        f"hub Ready on the new images {upgraded_s:.0f} s after the upgrade began; labs "
        "restarted by the new hub afterwards find the same files",
    )
    for name, seen in outcome.items():
        assert seen["files_intact"], f"{name}'s file is gone after the upgrade: {outcome}"
        assert not seen["logged_out"], f"{name} was logged out by the upgrade: {outcome}"

    # 6. RBAC moved on: the previous operator's Role per hub is pruned, the hub's binding now
    #    names the chart's ClusterRole (docs/helm.md, RBAC).
    assert old_role, "the previous release made no Role for its hub"
    wait_for(
        lambda: cluster.get("role", f"{HUB}-hub", namespace=namespace) is None,
        timeout=60,
        what="the previous release's hub Role pruned",
    )
    binding = cluster.get("rolebinding", f"{HUB}-hub", namespace=namespace)
    assert binding is not None and binding["roleRef"]["kind"] == "ClusterRole", binding
