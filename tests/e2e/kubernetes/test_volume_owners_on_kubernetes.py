"""Issue 13, items 4 and 5 on Kubernetes: two hubs in one namespace never share a claim name,
claims are mounted only for their own hub and account, an older user keeps claims of the old
name, and a hub's account database lives as long as its users' claims.

Hub `team` with user `ml-alice` and hub `team-ml` with user `alice` both named their home claim
`team-ml-alice-home` before claims were named `<hub>--<user>-<volume>`. That old claim, as hub
`team-ml` made it for alice (KubeSpawner's `hub.jupyter.org/username` annotation, the hub's
instance label, no stamp), is left alone by `team`'s ml-alice, whose lab starts on
`team--ml-alice-*`; `team-ml`'s alice keeps it (once the admin adopts it: it predates her
account). Both labs run at once, and each reads only its own file. A claim of the old name
stamped by an earlier account is refused to bob, naming the admin's command; after it, bob's lab
starts on that old-name claim. Deleting `team` then keeps its account database and Secret (no
owner reference left); the re-created hub knows its accounts: the admin and ml-alice log in with
their passwords, without signing up again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stellars_hub.volume_owner import ACCOUNT_KEY, HUB_DATA_KEY, OWNER_KEY
from stellars_operator.kube import Kube, resource_path
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
from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.spawn_refusal import refused_start

pytestmark = pytest.mark.kubelet

HUB = "team"
USER = "ml-alice"
PASSWORD = "ml-alice-s3cret"
OTHER_HUB = "team-ml"
OTHER_USER = "alice"
# What hub `team-ml` made for its user `alice` before claims were stamped and named with `--`:
# also the old name of `team`'s ml-alice's home.
OTHER_HUBS_CLAIM = "team-ml-alice-home"
ADOPT = "python -m stellars_hub.account_record adopt"


def _claim(kube: Kube, namespace: str, name: str) -> dict[str, Any] | None:
    return kube.get(resource_path("v1", "PersistentVolumeClaim", namespace=namespace, name=name))


def _make_claim(
    kube: Kube, namespace: str, name: str, *, hub: str, annotations: dict[str, str]
) -> None:
    """A user claim made by hand, as hub `hub` would have made it."""
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/instance": hub,
                "app.kubernetes.io/component": "singleuser",
                "app.kubernetes.io/managed-by": "stellars-operator",
            },
            "annotations": annotations,
        },
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Mi"}}},
    }
    path = resource_path("v1", "PersistentVolumeClaim", namespace=namespace)
    kube.request("POST", path, body=claim)


def _signed_up(admin: HubClient, base: str, name: str, password: str) -> HubClient:
    user = HubClient(base)
    user.sign_up(name, password)
    assert admin.page(f"/hub/authorize/{name}").status_code == 200
    assert user.log_in(name, password).status_code == 302
    user.create_token(name)
    return user


def _hub_ready(kube: Kube, namespace: str, name: str = HUB) -> dict[str, Any]:
    return wait_hub(
        kube, namespace, name, lambda h: is_true(h, "Ready"), timeout=300, what=f"hub {name} Ready"
    )


def _admin(
    kube: Kube,
    namespace: str,
    name: str,
    public_service: Callable[[str, str], PublicService],
) -> tuple[HubClient, str, str]:
    """The hub's admin, logged in; the hub's URL and the admin's password."""
    password = admin_password(kube, namespace, _hub_ready(kube, namespace, name))
    base = f"http://{public_service(namespace, f'{name}-proxy-public').address}/jupyterhub"
    admin = HubClient(base)
    wait_for(lambda: admin.page("/hub/login").status_code == 200, timeout=120, what="login page")
    assert admin.log_in("admin", password).status_code == 302
    return admin, base, password


def _claims_of(kube: Kube, namespace: str, pod_name: str) -> set[str]:
    pod = kube.get(resource_path("v1", "Pod", namespace=namespace, name=pod_name))
    assert pod is not None, f"no pod {pod_name}"
    return {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }


def _in_lab(cli: ClusterCli, namespace: str, pod_name: str, script: str) -> str:
    """Run `script` in the lab container, as the lab user."""
    done = cli.kubectl(
        "-n", namespace, "exec", pod_name, "-c", "notebook", "--", "sh", "-c", script
    )
    return done.stdout


def test_a_claim_of_another_hub_is_refused_and_a_recreated_hub_keeps_its_accounts(
    hub_images: None,
    operator: OperatorProcess,
    kube: Kube,
    kube_config: str,
    namespace: str,
    public_service: Callable[[str, str], PublicService],
) -> None:
    started = time.monotonic()
    cli = ClusterCli(kubeconfig=Path(kube_config))
    spec = small_hub(gpu_mode="off")
    spec["storage"]["shared"] = {"enabled": False}
    _make_claim(
        kube,
        namespace,
        OTHER_HUBS_CLAIM,
        hub=OTHER_HUB,
        annotations={"hub.jupyter.org/username": OTHER_USER},
    )
    apply_hub(kube, namespace, HUB, spec)
    apply_hub(kube, namespace, OTHER_HUB, spec)
    admin, base, password = _admin(kube, namespace, HUB, public_service)
    user = _signed_up(admin, base, USER, PASSWORD)

    # Item 5: `team`'s ml-alice starts on claims of her own name; the other hub's claim under
    # her old claim name is neither mounted nor changed.
    user.start_server(USER, timeout_s=300)
    pod_name = f"{HUB}-jupyter-{USER}"
    mounted = _claims_of(kube, namespace, pod_name)
    assert mounted == {f"{HUB}--{USER}-{v}" for v in ("home", "workspace", "cache")}, mounted
    kept = _claim(kube, namespace, OTHER_HUBS_CLAIM)
    assert kept is not None
    assert kept["metadata"]["annotations"] == {"hub.jupyter.org/username": OTHER_USER}
    print(f"ml-alice of {HUB} started after {time.monotonic() - started:.0f}s")

    # `team-ml`'s alice finds her hub's old claim (it predates her account: the admin adopts
    # it), and her lab runs beside ml-alice's.
    other_admin, other_base, _ = _admin(kube, namespace, OTHER_HUB, public_service)
    alice = _signed_up(other_admin, other_base, OTHER_USER, "alice-s3cret-pass")
    message = refused_start(alice, OTHER_USER)
    assert f"Your volume {OTHER_HUBS_CLAIM} was not mounted: it predates this account" in message
    adopt = f"kubectl -n {namespace} exec deploy/{OTHER_HUB}-hub -- {ADOPT} {OTHER_USER}"
    assert adopt in message, message
    assert "now belong to" in cli.kubectl(*adopt.split()[1:]).stdout
    alice.start_server(OTHER_USER, timeout_s=300)
    other_pod = f"{OTHER_HUB}-jupyter-{OTHER_USER}"
    assert _claims_of(kube, namespace, other_pod) == {
        OTHER_HUBS_CLAIM,
        f"{OTHER_HUB}--{OTHER_USER}-workspace",
        f"{OTHER_HUB}--{OTHER_USER}-cache",
    }
    # Each writes a file in its home and reads only its own.
    for pod, owner in ((pod_name, f"{USER} of {HUB}"), (other_pod, f"{OTHER_USER} of {OTHER_HUB}")):
        _in_lab(cli, namespace, pod, f"echo '{owner}' > /home/lab/whose.txt")
    for pod, owner in ((pod_name, f"{USER} of {HUB}"), (other_pod, f"{OTHER_USER} of {OTHER_HUB}")):
        seen = _in_lab(cli, namespace, pod, "cat /home/lab/whose.txt")
        assert seen == f"{owner}\n", (pod, seen)
    alice.stop_server(OTHER_USER)
    user.stop_server(USER)
    print(f"both labs read their own files after {time.monotonic() - started:.0f}s")

    # Item 4: a claim an earlier account of the name made (re-made account, or a hub whose
    # database was deleted) is refused, naming the command; the admin runs it; the lab starts.
    earlier = {
        "hub.jupyter.org/username": "bob",
        OWNER_KEY: "bob",
        ACCOUNT_KEY: "2000-01-01T00:00:00.000000",
        HUB_DATA_KEY: "a-deleted-database",
    }
    # Named as older hubs named claims: bob keeps it by the old name.
    _make_claim(kube, namespace, f"{HUB}-bob-home", hub=HUB, annotations=earlier)
    bob = _signed_up(admin, base, "bob", "bob-s3cret-pass")
    message = refused_start(bob, "bob")
    adopt = f"kubectl -n {namespace} exec deploy/{HUB}-hub -- {ADOPT} bob"
    assert "another hub's account of that name made it" in message and adopt in message, message
    adopted = cli.kubectl(*adopt.split()[1:])
    assert "now belong to its account created" in adopted.stdout, adopted.stdout
    try:
        bob.start_server("bob", timeout_s=300)
    except AssertionError:
        print(cli.kubectl("-n", namespace, "logs", f"deploy/{HUB}-hub", "--tail=80").stdout)
        print(cli.kubectl("-n", namespace, "get", "events").stdout[-3000:])
        raise
    assert _claims_of(kube, namespace, f"{HUB}-jupyter-bob") == {
        f"{HUB}-bob-home",
        f"{HUB}--bob-workspace",
        f"{HUB}--bob-cache",
    }
    print(f"adopted claim mounted after {time.monotonic() - started:.0f}s")

    # Item 4: the hub goes, its account database and Secret stay, unowned.
    kube.delete(hub_path(namespace, HUB))
    wait_for(lambda: kube.get(hub_path(namespace, HUB)) is None, timeout=120, what="hub gone")
    for kind, name in (("PersistentVolumeClaim", "team-hub-data"), ("Secret", "team-secrets")):
        found = kube.get(resource_path("v1", kind, namespace=namespace, name=name))
        assert found is not None, f"{kind} {name} deleted with the hub"
        assert not found["metadata"].get("ownerReferences"), found["metadata"]
        assert not found["metadata"].get("deletionTimestamp"), found["metadata"]

    # Re-created, the hub knows its accounts: nobody signs up again.
    apply_hub(kube, namespace, HUB, spec)
    hub = _hub_ready(kube, namespace)
    assert admin_password(kube, namespace, hub) == password
    service = public_service(namespace, f"{HUB}-proxy-public")
    base = f"http://{service.address}/jupyterhub"
    again = HubClient(base)
    wait_for(lambda: again.page("/hub/login").status_code == 200, timeout=120, what="login page")
    response = again.log_in(USER, PASSWORD)
    assert response.status_code == 302, login_error(response.text)
    assert HubClient(base).log_in("admin", password).status_code == 302
    print(f"done after {time.monotonic() - started:.0f}s")
