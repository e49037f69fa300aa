"""The sign-up -> approval -> login story in a real browser (headless Chromium) against the Compose
platform through Traefik over HTTPS. Chromium runs in a network namespace of its own (see
`chromium_in_quiet_network`). A failing step leaves a screenshot in .build/browser/."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.fixtures.docker import BASE_URL, INSECURE_OK, ROOT, ComposeStack, StackFactory

pytestmark = [pytest.mark.docker, pytest.mark.browser, INSECURE_OK]

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


def test_sign_up_wait_for_approval_then_log_in(
    browser: Browser,
    compose_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    request: pytest.FixtureRequest,
) -> None:
    url = seen_from_the_browser(compose_stack.url)
    name, password = compose_stack_factory.user_name(), "browser-Signup-Pass-77"
    user_context = browser.new_context(ignore_https_errors=True)
    admin_context = browser.new_context(ignore_https_errors=True)
    user, admin = user_context.new_page(), admin_context.new_page()
    step = "sign up"
    try:
        fields = {
            "#username_input": name,
            "#password_input": password,
            "#password_confirmation_input": password,
        }
        submit(user, f"{url}/hub/signup", fields, "#signup_submit")
        expect(user.locator(".alert")).to_contain_text("sent to the admin")

        step = "log in before approval"
        log_in(user, url, name, password)
        expect(user.locator(".login_error")).to_contain_text("has not been authorized")

        step = "admin approves"
        log_in(admin, url, "admin", compose_stack.admin_password())
        expect(admin.locator("#logout")).to_be_visible()
        admin.goto(f"{url}/hub/authorize")
        with admin.expect_navigation():
            admin.locator("tr", has_text=name).get_by_role(
                "button", name="Authorize", exact=True
            ).click()
        approved = admin.locator("tr", has_text=name)
        expect(approved.get_by_role("button", name="Unauthorize", exact=True)).to_be_visible()

        step = "log in after approval"
        log_in(user, url, name, password)
        expect(user).not_to_have_url(re.compile(r"/hub/login"))
        expect(user.locator("#logout")).to_be_visible()
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for who, page in (("user", user), ("admin", admin)):
            page.screenshot(
                path=str(SCREENSHOTS / f"{request.node.name}-{who}.png"), full_page=True
            )
        pytest.fail(f"step {step!r} failed; screenshots in {SCREENSHOTS}")
    finally:
        user_context.close()
        admin_context.close()
