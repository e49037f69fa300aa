"""Issue 15 on Kubernetes: the hub and the proxy fail or roll while two users work.

One hub (tests/fixtures/fault_hub.py) with alice and bob logged in, their labs running, a file
each, and alice's kernel busy behind an open websocket, shared by the cases in file order; the
hub's own deletion comes last. A probe requests each lab through the public entry point every
0.2 s during each fault; every case records what the users saw (docs/reliability.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from stellars_operator.kube import resource_path
from tests.fixtures.fault_hub import FaultHub, kill_container
from tests.fixtures.fault_probe import LabUser, logged_in, marker_intact, write_marker
from tests.fixtures.fault_report import FaultReport
from tests.fixtures.hub_story import apply_hub, hub_path, small_hub
from tests.fixtures.polling import wait_for

pytestmark = pytest.mark.kubelet

# The proxy keeps its routes in memory; the hub puts them back (stellars_hub/proxy_routes.py).
ROUTES_BACK_WITHIN_S = 10
ROUTES_RESTORED_LOG = "proxy lost its routes"


def _assert_unharmed(outcome: dict[str, dict[str, Any]]) -> None:
    for name, seen in outcome.items():
        assert not seen["lab_restarted"], f"{name}'s lab restarted: {outcome}"
        assert not seen["logged_out"], f"{name} was logged out: {outcome}"
        assert seen["files_intact"], f"{name}'s file changed: {outcome}"


def _assert_kernel_socket_survived(hub: FaultHub) -> None:
    assert hub.kernel is not None
    assert hub.kernel.is_open, "alice's kernel websocket was closed"
    assert hub.kernel.receives_new_output(), "alice's open websocket no longer receives output"


def _hub_goes_away_and_back(
    hub: FaultHub, report: FaultReport, *, case: str, fault: Callable[[dict[str, Any]], None]
) -> None:
    """Labs answer through the proxy the whole time; the hub comes back on its own, finds the
    running servers, and nobody logs in again."""
    before = hub.lab_states()
    hub_before = hub.incarnations("hub")
    with hub.probe() as probe:
        fault(hub.pod("hub"))
        back_s = hub.wait_new_ready("hub", hub_before, timeout=240)
        hub.wait_hub_api()
    outcome = hub.outcome(probe, before)
    report.record(
        case=case, path="kubernetes", users=outcome, note=f"hub Ready again after {back_s:.0f} s"
    )
    for name in outcome:
        assert probe.failures(name) == 0, f"{name}'s lab failed {probe.failures(name)} requests"
    _assert_unharmed(outcome)
    _assert_kernel_socket_survived(hub)
    servers = hub.admin.api("GET", "/users").json()
    running = {u["name"] for u in servers if (u.get("servers") or {}).get("", {}).get("ready")}
    assert running >= set(hub.users), f"the new hub does not know the running servers: {servers}"


def test_hub_pod_deleted(fault_hub: FaultHub, fault_report: FaultReport) -> None:
    def delete(pod: dict[str, Any]) -> None:
        fault_hub.kube.delete(
            resource_path("v1", "Pod", namespace=fault_hub.namespace, name=pod["metadata"]["name"])
        )

    _hub_goes_away_and_back(fault_hub, fault_report, case="hub pod deleted", fault=delete)


def test_hub_killed_with_sigkill(fault_hub: FaultHub, fault_report: FaultReport) -> None:
    _hub_goes_away_and_back(
        fault_hub,
        fault_report,
        case="hub killed (SIGKILL)",
        fault=lambda pod: kill_container(pod, "hub"),
    )


def test_hub_upgrade(fault_hub: FaultHub, fault_report: FaultReport) -> None:
    """A hub setting changes (an extraConfig snippet): the operator rolls the hub; no lab
    restarts, the open websocket survives, the API answers once the new hub is Ready."""
    before = fault_hub.lab_states()
    hub_before = fault_hub.incarnations("hub")
    snippet = {"50-upgrade": "c.JupyterHub.shutdown_on_logout = False\n"}
    path = resource_path(
        "stellars.io/v1alpha1", "StellarsHub", namespace=fault_hub.namespace, name=fault_hub.name
    )
    with fault_hub.probe() as probe:
        fault_hub.kube.merge_patch(path, {"spec": {"hub": {"extraConfig": snippet}}})
        rolled_s = fault_hub.wait_new_ready("hub", hub_before, timeout=240)
        fault_hub.wait_hub_api()
    outcome = fault_hub.outcome(probe, before)
    fault_report.record(
        case="hub upgrade (a hub setting rolls the hub)",
        path="kubernetes",
        users=outcome,
        note=f"new hub Ready {rolled_s:.0f} s after the change",
    )
    assert {uid for uid, _ in fault_hub.incarnations("hub")}.isdisjoint(
        {uid for uid, _ in hub_before}
    ), "the hub was not rolled"
    _assert_unharmed(outcome)
    _assert_kernel_socket_survived(fault_hub)


def test_proxy_pod_deleted(fault_hub: FaultHub, fault_report: FaultReport) -> None:
    """The new proxy starts with an empty route table; the hub sees that and re-adds the
    routes at once (no periodic check), and no lab restarts."""
    before = fault_hub.lab_states()
    proxy_before = fault_hub.incarnations("proxy")
    hub_pod = fault_hub.pod("hub")["metadata"]["name"]
    with fault_hub.probe() as probe:
        pod = fault_hub.pod("proxy")["metadata"]["name"]
        fault_hub.kube.delete(resource_path("v1", "Pod", namespace=fault_hub.namespace, name=pod))
        fault_hub.wait_new_ready("proxy", proxy_before, timeout=120)
        ready_at = time.monotonic()

        def every_lab_answers() -> bool:
            users = fault_hub.users.values()
            return all(u.lab_get("api/status", timeout=2).status_code == 200 for u in users)

        wait_for(
            every_lab_answers,
            timeout=ROUTES_BACK_WITHIN_S,
            interval=0.2,
            what="every lab routed again by the new proxy",
            retry_on=(OSError,),
        )
        routes_back_s = time.monotonic() - ready_at
    outcome = fault_hub.outcome(probe, before)
    fault_report.record(
        case="proxy pod deleted",
        path="kubernetes",
        users=outcome,
        note=f"routes back {routes_back_s:.1f} s after the new proxy was Ready",
    )
    assert fault_hub.pod("hub")["metadata"]["name"] == hub_pod, "the hub restarted"
    assert ROUTES_RESTORED_LOG in fault_hub.log_of("hub"), "routes back, but not from the hub"
    _assert_unharmed(outcome)


def test_delete_user_data_takes_only_that_hubs_data(
    fault_hub: FaultHub, fault_report: FaultReport
) -> None:
    """A second hub in the namespace, with deleteUserDataOnHubDelete: true and a user with a
    file, is deleted: its user's volumes go; the fault hub's users keep working, untouched."""
    scratch = FaultHub(
        kube=fault_hub.kube,
        kube_config=fault_hub.kube_config,
        namespace=fault_hub.namespace,
        name="scratch",
        operator=fault_hub.operator,
        open_service=fault_hub.open_service,
    )
    spec = small_hub(gpu_mode="off")
    spec["storage"]["deleteUserDataOnHubDelete"] = True
    apply_hub(fault_hub.kube, fault_hub.namespace, scratch.name, spec)
    scratch.connect()
    scratch.log_in_users(("carol",), sign_up=True)
    scratch.start_labs()
    write_marker(scratch.users["carol"])
    doomed = scratch.claims_of("carol")
    kept = {claim for name in fault_hub.users for claim in fault_hub.claims_of(name)}
    assert doomed and kept and not doomed & kept, (doomed, kept)

    everything = fault_hub.claim_names()
    doomed |= fault_hub.claim_names(f"app.kubernetes.io/instance={scratch.name}")
    before = fault_hub.lab_states()
    with fault_hub.probe() as probe:
        fault_hub.kube.delete(hub_path(fault_hub.namespace, scratch.name))
        wait_for(
            lambda: not fault_hub.claim_names() & doomed,
            timeout=180,
            what=f"scratch's data {sorted(doomed)} deleted",
        )
    outcome = fault_hub.outcome(probe, before)
    fault_report.record(
        case="another hub deleted with deleteUserDataOnHubDelete",
        path="kubernetes",
        users=outcome,
        note=f"that hub's {len(doomed)} volumes of its user deleted; this hub's kept",
    )
    assert fault_hub.claim_names() == everything - doomed, "a volume of another hub went"
    _assert_unharmed(outcome)


def test_hub_deleted_and_recreated(fault_hub: FaultHub, fault_report: FaultReport) -> None:
    """Deleting the StellarsHub stops the labs (by design); re-created under the same name,
    every user logs in with the same password and finds their files."""
    old_sessions = {name: user.session for name, user in fault_hub.users.items()}
    fault_hub.close_kernel()
    began = time.monotonic()
    fault_hub.kube.delete(hub_path(fault_hub.namespace, fault_hub.name))
    wait_for(
        lambda: fault_hub.kube.get(hub_path(fault_hub.namespace, fault_hub.name)) is None,
        timeout=120,
        what="hub gone",
    )
    apply_hub(fault_hub.kube, fault_hub.namespace, fault_hub.name, small_hub(gpu_mode="off"))
    fault_hub.connect()
    # Were the users' sessions kept? Their old cookies, against the re-created hub.
    still_in = {}
    for name, session in old_sessions.items():
        probe_session = requests.Session()
        probe_session.verify = False
        probe_session.trust_env = False
        for cookie in session.cookies:
            probe_session.cookies.set(cookie.name, cookie.value or "", path=cookie.path)
        user = fault_hub.users[name]
        still_in[name] = logged_in(
            LabUser(
                name=name,
                lab_url=f"{fault_hub.base}/user/{name}/",
                session=probe_session,
                token=user.token,
                verify=False,
            )
        )
    # The same accounts: each user logs in with the password they signed up with.
    fault_hub.log_in_users(sign_up=False)
    fault_hub.start_labs()
    back_s = time.monotonic() - began
    outcome = {
        name: {
            "unavailable_s": round(back_s, 2),
            "lab_restarted": True,
            "logged_out": not still_in[name],
            "files_intact": marker_intact(user, fault_hub.markers[name]),
        }
        for name, user in fault_hub.users.items()
    }
    fault_report.record(
        case="StellarsHub deleted and re-created (same name)",
        path="kubernetes",
        users=outcome,
        note="labs stop with their hub by design; unavailable until the user's lab runs again",
    )
    for name, seen in outcome.items():
        assert seen["files_intact"], f"{name}'s file is not back: {outcome}"
