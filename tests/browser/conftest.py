"""The browser tier's fixtures: Chromium in a network namespace of its own, one per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.chromium import (
    BROWSER_IP,
    BROWSER_SIDE,
    CHROMIUM,
    CHROMIUM_ARGS,
    HOST_IP,
    HOST_SIDE,
    NETNS,
    NO_IPV6,
    PREFIX,
    ip,
    remove_browser_network,
    wait_until_up,
)


@pytest.fixture(scope="module")
def chromium_in_quiet_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Chromium in a network namespace of its own; the path of a wrapper that starts it there.

    Chromium drops a request in flight (ERR_NETWORK_CHANGED, or reloads the page itself) when
    the host's network interfaces change, and Docker and the test cluster add and remove some
    whenever a container or a pod comes or goes. In its own namespace it sees none of that and
    reaches the platform's published ports at the host's end of the veth pair."""
    remove_browser_network()  # what an interrupted run left
    ip("netns", "add", NETNS)
    ip("link", "add", HOST_SIDE, "type", "veth", "peer", "name", BROWSER_SIDE)
    ip("link", "set", BROWSER_SIDE, "netns", NETNS)
    ip("address", "add", HOST_IP + PREFIX, "dev", HOST_SIDE)
    ip("link", "set", HOST_SIDE, "up")
    # No IPv6 inside: a link-local address appearing a moment after the link comes up would
    # be a network change too, in the middle of the first page load.
    ip("netns", "exec", NETNS, "sysctl", "-q", "-w", *NO_IPV6)
    inside = ["netns", "exec", NETNS, "ip"]
    ip(*inside, "link", "set", "lo", "up")
    ip(*inside, "address", "add", BROWSER_IP + PREFIX, "dev", BROWSER_SIDE)
    ip(*inside, "link", "set", BROWSER_SIDE, "up")
    ip(*inside, "route", "add", "default", "via", HOST_IP)
    wait_until_up(BROWSER_SIDE)
    wrapper = tmp_path_factory.mktemp("chromium") / "chromium"
    # exec keeps the pipes Playwright drives Chromium through.
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {NETNS} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    try:
        yield wrapper
    finally:
        remove_browser_network()


@pytest.fixture(scope="module")
def browser(chromium_in_quiet_network: Path) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_in_quiet_network), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
