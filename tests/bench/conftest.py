"""The benchmark session: where results go, the namespaces and operator of the Kubernetes
figures, a Ready hub, and both platforms with an admin logged in.

The families run in one pytest session (as `make test` runs everything) so they share the
cluster, the Compose fixtures and one hub; each test writes its family's JSON.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from stellars_operator.kube import Kube, resource_path
from tests.bench import hub_lifecycle, profile
from tests.bench.k8s import admin_password, hub_path, public_address
from tests.bench.labs import LAB_PORT, ContainerCopy, PodCopy, inspect_container
from tests.bench.spawning import Platform
from tests.fixtures.docker import ComposeStack, StackFactory, docker
from tests.fixtures.hub_client import HubClient
from tests.fixtures.hub_story import HUB_IMAGE, LAB_IMAGE
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.stellarshub import delete_hubs

BENCH_HUB = "bench"


@pytest.fixture(scope="session")
def counts() -> profile.Counts:
    return profile.selected()


@pytest.fixture(scope="session")
def bench_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = profile.out_dir(tmp_path_factory.mktemp("bench-results"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="session")
def record(bench_out: Path, counts: profile.Counts) -> Callable[[str, dict[str, Any]], Path]:
    """record(family, figures): bench_out/<family>.json, with the profile and the time."""

    def write(family: str, figures: dict[str, Any]) -> Path:
        path = bench_out / f"{family}.json"
        document = {
            "family": family,
            "profile": counts.name,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "figures": figures,
        }
        path.write_text(json.dumps(document, indent=2) + "\n")
        return path

    return write


def _namespace(kube: Kube, name: str) -> str:
    kube.request(
        "POST",
        "/api/v1/namespaces",
        body={"metadata": {"name": name, "labels": {"stellars.io/test": "true"}}},
    )
    path = resource_path("v1", "ServiceAccount", namespace=name, name="default")
    deadline = time.monotonic() + 30
    while kube.get(path) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return name


@pytest.fixture(scope="session")
def bench_namespaces(kube: Kube) -> Iterator[Callable[[str], str]]:
    """namespace("op") -> a fresh namespace `b<session>-op`; all deleted at the end."""
    session = secrets.token_hex(3)
    made: list[str] = []

    def make(role: str) -> str:
        made.append(_namespace(kube, f"b{session}-{role}"))
        return made[-1]

    yield make
    for name in made:
        try:
            kube.request("DELETE", f"/api/v1/namespaces/{name}")
        except ApiException as error:
            if error.status != 404:
                raise


@pytest.fixture(scope="session")
def bench_images(load_images: Callable[..., None]) -> None:
    load_images(HUB_IMAGE, LAB_IMAGE)


@pytest.fixture(scope="session")
def watched_namespace(bench_namespaces: Callable[[str], str]) -> str:
    return bench_namespaces("op")


@pytest.fixture(scope="session")
def bench_operator(
    kube: Kube,
    kube_config: str,
    crd: dict[str, Any],
    hub_cluster_role: str,
    watched_namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OperatorProcess]:
    """The operator with its own default resync (not the tests' fast one), on one namespace."""
    process = OperatorProcess(
        kube_config=kube_config,
        namespace=watched_namespace,
        log_path=tmp_path_factory.mktemp("bench-operator") / "operator.log",
        resync_seconds=None,
    )
    process.start()
    try:
        yield process
    finally:
        delete_hubs(kube, watched_namespace)
        process.stop()


@pytest.fixture(scope="session")
def apply_to_ready(
    kube: Kube,
    kube_config: str,
    bench_images: None,
    bench_operator: OperatorProcess,
    watched_namespace: str,
    bench_namespaces: Callable[[str], str],
    counts: profile.Counts,
) -> dict[str, Any]:
    """The apply -> Ready pairs; they leave the hub BENCH_HUB Ready for the figures after."""
    return hub_lifecycle.measure_apply_to_ready(
        kube,
        kubeconfig=kube_config,
        watched=watched_namespace,
        unwatched=bench_namespaces("direct"),
        repetitions=counts.repetitions,
        keep=BENCH_HUB,
    )


@pytest.fixture(scope="session")
def kubernetes_platform(
    kube: Kube, apply_to_ready: dict[str, Any], watched_namespace: str
) -> Platform:
    namespace = watched_namespace
    hub = kube.get(hub_path(namespace, BENCH_HUB)) or {}
    url = f"http://{public_address(kube, namespace, BENCH_HUB)}/jupyterhub"
    admin = HubClient(url)
    deadline = time.monotonic() + 120
    while admin.page("/hub/login").status_code != 200 and time.monotonic() < deadline:
        time.sleep(1)
    if admin.log_in("admin", admin_password(kube, namespace, hub)).status_code != 302:
        pytest.fail("the admin could not log in to the bench hub")
    serial = itertools.count(1)
    session = namespace.split("-")[0]

    def lab_copy(user: str, copy_name: str) -> PodCopy:
        path = resource_path("v1", "Pod", namespace=namespace, name=f"{BENCH_HUB}-jupyter-{user}")
        return PodCopy(kube, kube.get(path) or {}, name=copy_name)

    def lab_url(user: str) -> str | None:
        path = resource_path("v1", "Pod", namespace=namespace, name=f"{BENCH_HUB}-jupyter-{user}")
        ip = ((kube.get(path) or {}).get("status") or {}).get("podIP")
        return f"http://{ip}:{LAB_PORT}/" if ip else None

    return Platform(
        name="kubernetes",
        url=url,
        admin=admin,
        new_user=lambda: f"k{session}x{next(serial)}",
        lab_copy=lab_copy,
        lab_url=lab_url,
    )


@pytest.fixture(scope="session")
def bench_stack(compose_stack_factory: StackFactory) -> ComposeStack:
    """A Compose stack of the bench's own: every bench client comes from one address, so
    Traefik's login rate limit (per client address) is off here."""
    return compose_stack_factory(LOGIN_RATE_LIMIT="0")


@pytest.fixture(scope="session")
def docker_platform(bench_stack: ComposeStack, compose_stack_factory: StackFactory) -> Platform:
    compose_stack = bench_stack
    admin = HubClient(compose_stack.url)
    if admin.log_in("admin", compose_stack.admin_password()).status_code != 302:
        pytest.fail("the admin could not log in to the Compose hub")

    def lab_copy(user: str, copy_name: str) -> ContainerCopy:
        return ContainerCopy(inspect_container(f"jupyterlab-{user}"), name=copy_name)

    def lab_url(user: str) -> str | None:
        template = f'{{{{(index .NetworkSettings.Networks "{compose_stack.network}").IPAddress}}}}'
        found = docker("inspect", "-f", template, f"jupyterlab-{user}", check=False)
        ip = found.stdout.strip() if found.returncode == 0 else ""
        return f"http://{ip}:{LAB_PORT}/" if ip else None

    return Platform(
        name="docker",
        url=compose_stack.url,
        admin=admin,
        new_user=compose_stack_factory.user_name,
        lab_copy=lab_copy,
        lab_url=lab_url,
    )
