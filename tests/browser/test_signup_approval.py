"""The sign-up -> approval -> login story in a real browser (headless Chromium) against the Compose
platform through Traefik over HTTPS. A failing step leaves a screenshot in .build/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.fixtures.docker import INSECURE_OK, ROOT, ComposeStack, StackFactory

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def log_in(page: Page, url: str, name: str, password: str) -> None:
    page.goto(f"{url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")


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
        user.goto(f"{url}/hub/signup")
        user.fill("#username_input", name)
        user.fill("#password_input", password)
        user.fill("#password_confirmation_input", password)
        user.click("#signup_submit")
        expect(user.locator(".alert")).to_contain_text("sent to the admin")

        step = "log in before approval"
        log_in(user, url, name, password)
        expect(user.locator(".login_error")).to_contain_text("has not been authorized")

        step = "admin approves"
        log_in(admin, url, "admin", compose_stack.admin_password())
        expect(admin).not_to_have_url(re.compile(r"/hub/login"))
        admin.goto(f"{url}/hub/authorize")
        row = admin.locator("tr", has_text=name)
        row.get_by_role("button", name="Authorize", exact=True).click()
        approved = admin.locator("tr", has_text=name)
        expect(approved.get_by_role("button", name="Unauthorize", exact=True)).to_be_visible()

        step = "log in after approval"
        log_in(user, url, name, password)
        expect(user).not_to_have_url(re.compile(r"/hub/login"))
        expect(user.locator("#logout")).to_be_visible()
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for who, page in (("user", user), ("admin", admin)):
            shot = SCREENSHOTS / f"{request.node.name}-{who}.png"
            page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"step {step!r} failed; screenshots in {SCREENSHOTS}", pytrace=True)
    finally:
        user_context.close()
        admin_context.close()
