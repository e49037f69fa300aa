"""The sign-up -> approval -> login story in a real browser (headless Chromium) against the Compose
platform through Traefik over HTTPS. A failing step leaves a screenshot in .build/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

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
NETWORK_CHANGED = "ERR_NETWORK_CHANGED"
STILL_NAVIGATING = "page is navigating"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def interrupted(page: Page) -> bool:
    """Whether Chromium shows its own error page for a dropped request."""
    for _ in range(10):
        try:
            return NETWORK_CHANGED in page.content()
        except PlaywrightError as error:
            # A redirect chain (POST, 302, GET) may still be running: let it land, then read.
            if STILL_NAVIGATING not in str(error):
                raise
            page.wait_for_load_state()
    raise AssertionError(f"{page.url}: the page kept navigating")


def visit(page: Page, url: str) -> None:
    """page.goto, again when Chromium dropped the request because the host's network changed
    (Docker adds and removes interfaces whenever any container starts or stops)."""
    for _ in range(5):
        try:
            page.goto(url)
        except PlaywrightError as error:
            if NETWORK_CHANGED not in str(error):
                raise
            continue
        if not interrupted(page):
            return
    raise AssertionError(f"{url}: the request kept being interrupted ({NETWORK_CHANGED})")


def submit(page: Page, url: str, fields: dict[str, str], button: str) -> None:
    """Open the form at `url`, fill it and press `button`, again if the request was dropped."""
    for _ in range(5):
        visit(page, url)
        for selector, value in fields.items():
            page.fill(selector, value)
        try:
            # Wait for the navigation the click starts, not for the page that is already there.
            with page.expect_navigation():
                page.click(button)
        except PlaywrightError as error:
            if NETWORK_CHANGED not in str(error):
                raise
            continue
        if not interrupted(page):
            return
    raise AssertionError(f"{url}: the form kept being interrupted ({NETWORK_CHANGED})")


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
    url = compose_stack.url
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
        for _ in range(3):
            visit(admin, f"{url}/hub/authorize")
            row = admin.locator("tr", has_text=name)
            if row.get_by_role("button", name="Unauthorize", exact=True).count():
                break
            try:
                with admin.expect_navigation():
                    row.get_by_role("button", name="Authorize", exact=True).click()
            except PlaywrightError as error:
                if NETWORK_CHANGED not in str(error):
                    raise
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
