"""Headless Chromium for the browser tests: its own network namespace, and the steps every story
takes (open a form, submit it, log in). The fixtures that start it are in conftest.py."""

from __future__ import annotations

import subprocess
import time
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from playwright.sync_api import Page

from tests.fixtures.docker import BASE_URL, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / ".build" / "browser"
# The browser's own network namespace, joined to the host by a veth pair.
NETNS = "stellars-browser"
HOST_SIDE, BROWSER_SIDE = "stbr-host", "stbr-ns"
HOST_IP, BROWSER_IP, PREFIX = "10.213.253.1", "10.213.253.2", "/30"
NO_IPV6 = ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")


def ip(*args: str, check: bool = True) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"ip {' '.join(args)} failed: {result.stderr}")


def wait_until_up(link: str, timeout_s: float = 10) -> None:
    """Until the veth's carrier is there: Chromium must start on a network that stays put."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["ip", "-netns", NETNS, "-brief", "link", "show", link],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if state[1:2] == ["UP"]:
            return
        time.sleep(0.1)
    pytest.fail(f"{link} in {NETNS} did not come up within {timeout_s}s")


def remove_browser_network() -> None:
    ip("netns", "delete", NETNS, check=False)
    ip("link", "delete", HOST_SIDE, check=False)


def seen_from_the_browser(url: str) -> str:
    """`url` with the host's address as the browser's namespace reaches it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{HOST_IP}:{parts.port}"))


def submit(page: Page, url: str, fields: dict[str, str], button: str) -> None:
    """Open the form at `url`, fill it in, press `button` and wait for the page it leads to."""
    page.goto(url)
    for selector, value in fields.items():
        page.fill(selector, value)
    # Wait for the navigation the click starts, not for the page that is already there.
    with page.expect_navigation():
        page.click(button)


def log_in(page: Page, url: str, name: str, password: str) -> None:
    # next=home: the default after login starts the user's server, which is not this story.
    home = quote(f"{BASE_URL}/hub/home", safe="")
    fields = {"#username_input": name, "#password_input": password}
    submit(page, f"{url}/hub/login?next={home}", fields, "#login_submit")
