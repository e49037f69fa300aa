"""The sealed cluster never sends a packet off this machine (docs/testing.md).

The case that once leaked: a pod, allowed all egress by a NetworkPolicy (so kube-router accepts
its traffic), connects to a Service that has no endpoint. kube-proxy leaves such a connection
untranslated; without the seal it went out of the machine's interface, masqueraded, and something
outside answered. Now it is refused at once, like a stale pod IP of a node that does not exist
and any outside address, and the egress guard counts nothing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from kubernetes import client

from tests.fixtures.egress_guard import EgressGuard
from tests.fixtures.images import base_image
from tests.fixtures.pods import restricted_container
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.kubelet]

# Connects to each target once; prints {name: how it ended}: "connected" or the error's class.
DIAL = """
import json, socket, sys, time
ends = {}
for name, host, port in json.loads(sys.argv[1]):
    s = socket.socket(); s.settimeout(10)
    began = time.monotonic()
    try:
        s.connect((host, port)); end = "connected"
    except OSError as error:
        end = type(error).__name__
    ends[name] = {"end": end, "seconds": round(time.monotonic() - began, 3)}
print(json.dumps(ends))
"""


@pytest.fixture(scope="module")
def python_image(load_images: Callable[..., None]) -> str:
    image = base_image()
    load_images(image)
    return image


def seal_refusals() -> int:
    """Packets the cluster's seal (tests/cluster/lib.sh, install_seal) has refused so far."""
    listing = subprocess.run(
        ["nft", "list", "counter", "ip", "stellars_cluster_seal", "refused"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(listing.split("packets")[1].split()[0])


def dial_from_pod(
    core: client.CoreV1Api, namespace: str, image: str, targets: list[tuple[str, str, int]]
) -> dict[str, dict[str, object]]:
    """Runs DIAL in a restricted pod labelled app=dialer; returns what it printed."""
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="dialer", labels={"app": "dialer"}),
        spec=client.V1PodSpec(
            restart_policy="Never",
            termination_grace_period_seconds=1,
            containers=[
                restricted_container(
                    "dialer", image, command=["python3", "-c", DIAL, json.dumps(targets)]
                )
            ],
        ),
    )
    core.create_namespaced_pod(namespace, pod)

    def finished() -> str | None:
        phase = core.read_namespaced_pod("dialer", namespace).status.phase
        return phase if phase in ("Succeeded", "Failed") else None

    phase = wait_for(finished, timeout=120, what="the dialer pod to finish")
    log = core.read_namespaced_pod_log("dialer", namespace)
    assert phase == "Succeeded", f"dialer pod {phase}:\n{log[-2000:]}"
    ends: dict[str, dict[str, object]] = json.loads(log.strip().splitlines()[-1])
    return ends


def test_nothing_leaves_for_a_service_without_endpoint_a_stale_pod_ip_or_outside(
    kube_api: client.ApiClient, namespace: str, python_image: str, egress_guard: EgressGuard
) -> None:
    core = client.CoreV1Api(kube_api)
    service = core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="no-endpoint"),
            spec=client.V1ServiceSpec(
                selector={"app": "nobody-has-this-label"},
                ports=[client.V1ServicePort(port=8081, target_port=8081)],
            ),
        ),
    )
    # Allow the dialer every egress, so kube-router's firewall accepts its packets: the path
    # on which an untranslated Service connection used to leave the machine.
    client.NetworkingV1Api(kube_api).create_namespaced_network_policy(
        namespace,
        client.V1NetworkPolicy(
            metadata=client.V1ObjectMeta(name="dialer-egress-anywhere"),
            spec=client.V1NetworkPolicySpec(
                pod_selector=client.V1LabelSelector(match_labels={"app": "dialer"}),
                policy_types=["Egress"],
                egress=[client.V1NetworkPolicyEgressRule()],
            ),
        ),
    )
    left_before, refused_before = egress_guard.left(), seal_refusals()

    ends = dial_from_pod(
        core,
        namespace,
        python_image,
        [
            ("service without endpoint", service.spec.cluster_ip, 8081),
            ("stale pod IP of no node", "10.244.77.7", 8081),
            ("outside address", "198.51.100.7", 80),
        ],
    )

    refused = {name: end for name, end in ends.items() if end["end"] == "ConnectionRefusedError"}
    assert refused == ends, f"each connection must be refused on this machine: {ends}"
    assert egress_guard.left() == left_before, "a packet left the machine"
    # Refused by the cluster's own seal, not only by the guard that `make test` adds.
    assert seal_refusals() - refused_before >= len(ends)
