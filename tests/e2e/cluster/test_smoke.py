"""Smoke tests of the cluster itself: what the operator and chart tests take for granted.

Each test tells one story a person would check by hand on a fresh cluster: the node is Ready,
an imported image runs, a Service answers by DNS name, a volume keeps its data, a Deployment
rolls, PodSecurity rejects a privileged pod, kubectl and helm talk to the API server.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.fixtures import polling
from tests.fixtures.binaries import cluster_binary
from tests.fixtures.cluster import Cluster
from tests.fixtures.images import base_image
from tests.fixtures.kubectl import kubectl_exec
from tests.fixtures.pods import restricted_container

pytestmark = [pytest.mark.cluster, pytest.mark.kubelet]

SMOKE_IMAGE = "stellars/cluster-smoke:test"
SMOKE_PORT = 8080
# Pods take longer than API objects: the smoke tests wait 90 s unless they say otherwise.
wait_for = partial(polling.wait_for, timeout=90)


@pytest.fixture(scope="module")
def smoke_image(load_images: Callable[..., None]) -> str:
    """A tiny HTTP server image FROM the local base image, loaded into the cluster."""
    dockerfile = (
        f"FROM {base_image()}\n"
        "RUN mkdir -p /srv && echo smoke-ok > /srv/index.html\n"
        "WORKDIR /srv\n"
        f'CMD ["python3", "-m", "http.server", "{SMOKE_PORT}"]\n'
    )
    build = subprocess.run(
        ["docker", "build", "-q", "-t", SMOKE_IMAGE, "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if build.returncode != 0:
        pytest.fail(f"docker build {SMOKE_IMAGE} failed: {build.stderr[-2000:]}")
    load_images(SMOKE_IMAGE)
    return SMOKE_IMAGE


def pod(name: str, *containers: client.V1Container, **spec: Any) -> client.V1Pod:
    # python3 as PID 1 ignores SIGTERM: a short grace period keeps namespace deletion quick.
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1PodSpec(
            containers=list(containers), termination_grace_period_seconds=1, **spec
        ),
    )


def wait_pod_phase(core: client.CoreV1Api, namespace: str, name: str, phase: str) -> None:
    def reached() -> str | None:
        current = core.read_namespaced_pod(name, namespace).status.phase
        if current == "Failed" and phase != "Failed":
            log = core.read_namespaced_pod_log(name, namespace)
            pytest.fail(f"pod {namespace}/{name} failed:\n{log[-2000:]}")
        return current if current == phase else None

    wait_for(reached, what=f"pod {namespace}/{name} to be {phase}")


def wait_pod_ready(core: client.CoreV1Api, namespace: str, name: str) -> None:
    def ready() -> bool:
        conditions = core.read_namespaced_pod(name, namespace).status.conditions or []
        return any(c.type == "Ready" and c.status == "True" for c in conditions)

    wait_for(ready, what=f"pod {namespace}/{name} to be Ready")


def test_node_is_ready(kube_api: client.ApiClient) -> None:
    nodes = client.CoreV1Api(kube_api).list_node().items
    assert nodes, "the cluster has no node"
    for node in nodes:
        ready = {c.type: c.status for c in node.status.conditions}.get("Ready")
        assert ready == "True", f"node {node.metadata.name} is not Ready"


def test_pod_from_an_imported_image_runs(
    kube_api: client.ApiClient, namespace: str, smoke_image: str
) -> None:
    core = client.CoreV1Api(kube_api)
    probe = client.V1Probe(http_get=client.V1HTTPGetAction(path="/", port=SMOKE_PORT))
    server = restricted_container("web", smoke_image, readiness_probe=probe)
    core.create_namespaced_pod(namespace, pod("web", server))

    wait_pod_ready(core, namespace, "web")
    status = core.read_namespaced_pod("web", namespace).status
    assert status.pod_ip, "a running pod has an address on the pod network"
    assert status.container_statuses[0].image.endswith(smoke_image)


def test_a_pod_reaches_another_through_a_service_by_dns_name(
    kube_api: client.ApiClient, namespace: str, smoke_image: str
) -> None:
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_pod(namespace, pod("web", restricted_container("web", smoke_image)))
    service = client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(
            selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=SMOKE_PORT)]
        ),
    )
    core.create_namespaced_service(namespace, service)
    wait_pod_ready(core, namespace, "web")

    url = f"http://web.{namespace}.svc.cluster.local/"
    fetch = (
        "import time, urllib.request\n"
        "for attempt in range(30):\n"
        "    try:\n"
        f"        print(urllib.request.urlopen('{url}', timeout=5).read().decode()); break\n"
        "    except OSError as error:\n"
        "        print('retry:', error); time.sleep(1)\n"
        "else:\n"
        "    raise SystemExit(1)\n"
    )
    client_pod = restricted_container("fetch", smoke_image, command=["python3", "-c", fetch])
    core.create_namespaced_pod(namespace, pod("fetch", client_pod, restart_policy="Never"))

    wait_pod_phase(core, namespace, "fetch", "Succeeded")
    assert "smoke-ok" in core.read_namespaced_pod_log("fetch", namespace)


def test_a_claim_binds_and_keeps_its_data_across_pods(
    kube_api: client.ApiClient, namespace: str, smoke_image: str
) -> None:
    core = client.CoreV1Api(kube_api)
    claim = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "16Mi"}),
        ),
    )
    core.create_namespaced_persistent_volume_claim(namespace, claim)
    volume = client.V1Volume(
        name="data",
        persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name="data"),
    )
    mount = client.V1VolumeMount(name="data", mount_path="/data")

    def run_once(name: str, script: str) -> str:
        container = restricted_container(
            "main", smoke_image, command=["sh", "-c", script], volume_mounts=[mount]
        )
        core.create_namespaced_pod(
            namespace, pod(name, container, restart_policy="Never", volumes=[volume])
        )
        wait_pod_phase(core, namespace, name, "Succeeded")
        output = str(core.read_namespaced_pod_log(name, namespace))
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
        return output

    run_once("writer", "echo kept > /data/note && cat /data/note")
    bound = core.read_namespaced_persistent_volume_claim("data", namespace)
    assert bound.status.phase == "Bound"
    assert bound.spec.storage_class_name == "standard"  # the default StorageClass

    assert run_once("reader", "cat /data/note").strip() == "kept"


def test_a_deployment_rolls_to_a_new_replica_set(
    kube_api: client.ApiClient, namespace: str, smoke_image: str
) -> None:
    apps = client.AppsV1Api(kube_api)
    container = restricted_container(
        "web", smoke_image, env=[client.V1EnvVar(name="RELEASE", value="one")]
    )
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[container], termination_grace_period_seconds=1),
            ),
        ),
    )
    apps.create_namespaced_deployment(namespace, deployment)

    def rolled_out() -> bool:
        current = apps.read_namespaced_deployment("web", namespace)
        status = current.status
        return (
            status.observed_generation == current.metadata.generation
            and status.updated_replicas == 1
            and status.available_replicas == 1
            and (status.replicas or 0) == 1
        )

    wait_for(rolled_out, what="the first rollout")
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "web", "env": [{"name": "RELEASE", "value": "two"}]}]
                }
            }
        }
    }
    apps.patch_namespaced_deployment("web", namespace, patch)
    wait_for(rolled_out, what="the second rollout")

    replica_sets = apps.list_namespaced_replica_set(namespace, label_selector="app=web").items
    assert len(replica_sets) == 2
    (active,) = [rs for rs in replica_sets if rs.status.replicas]
    env = active.spec.template.spec.containers[0].env
    assert [(e.name, e.value) for e in env] == [("RELEASE", "two")]


def test_a_restricted_namespace_rejects_a_privileged_pod(
    kube_api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    core.patch_namespace(namespace, {"metadata": {"labels": labels}})
    privileged = client.V1Container(
        name="root",
        image=SMOKE_IMAGE,
        security_context=client.V1SecurityContext(privileged=True),
    )

    with pytest.raises(ApiException) as rejected:
        core.create_namespaced_pod(namespace, pod("root", privileged))

    assert rejected.value.status == 403
    assert "violates PodSecurity" in str(rejected.value.body)


def test_a_network_policy_admits_only_the_pods_it_names(
    kube_api: client.ApiClient,
    kube_cluster: Cluster,
    kube_config: str,
    namespace: str,
    smoke_image: str,
) -> None:
    if not kube_cluster.sealed or os.environ.get("STELLARS_NETWORK_POLICY") == "0":
        pytest.skip("enforcement depends on the cluster's network plugin; the sealed one has it")
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_pod(namespace, pod("web", restricted_container("web", smoke_image)))
    for name in ("friend", "stranger"):
        sleeper = restricted_container("main", smoke_image, command=["sleep", "600"])
        core.create_namespaced_pod(namespace, pod(name, sleeper))
    for name in ("web", "friend", "stranger"):
        wait_pod_ready(core, namespace, name)
    web_ip = core.read_namespaced_pod("web", namespace).status.pod_ip

    def reaches_web(name: str) -> bool:
        url = f"http://{web_ip}:{SMOKE_PORT}/"
        fetch = f"import urllib.request; urllib.request.urlopen('{url}', timeout=2)"
        result = kubectl_exec(
            name, "python3", "-c", fetch, kubeconfig=kube_config, namespace=namespace
        )
        return result.returncode == 0

    wait_for(lambda: reaches_web("stranger"), what="web to answer before any policy")
    only_friends = client.V1NetworkPolicy(
        metadata=client.V1ObjectMeta(name="web-only-friends"),
        spec=client.V1NetworkPolicySpec(
            pod_selector=client.V1LabelSelector(match_labels={"app": "web"}),
            policy_types=["Ingress"],
            ingress=[
                client.V1NetworkPolicyIngressRule(
                    _from=[
                        client.V1NetworkPolicyPeer(
                            pod_selector=client.V1LabelSelector(match_labels={"app": "friend"})
                        )
                    ]
                )
            ],
        ),
    )
    client.NetworkingV1Api(kube_api).create_namespaced_network_policy(namespace, only_friends)

    wait_for(lambda: not reaches_web("stranger"), timeout=60, what="the policy to block stranger")
    assert reaches_web("friend"), "the policy's named peer is let through"


def run_tool(kube_config: str, *command: str) -> str:
    result = subprocess.run(
        [cluster_binary(command[0]), *command[1:], "--kubeconfig", kube_config],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, f"{' '.join(command)} failed: {result.stderr[-2000:]}"
    return result.stdout


def test_kubectl_and_helm_talk_to_the_cluster(kube_config: str) -> None:
    version = json.loads(run_tool(kube_config, "kubectl", "version", "-o", "json"))
    assert version["serverVersion"]["gitVersion"].startswith("v1.")

    assert "v3." in run_tool(kube_config, "helm", "version", "--short")
    run_tool(kube_config, "helm", "list", "-A")
