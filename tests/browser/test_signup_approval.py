"""The sign-up -> approval -> login story in a real browser (headless Chromium) against the Compose
platform through Traefik over HTTPS. Chromium runs in a network namespace of its own (see
`chromium_in_quiet_network`, conftest.py). A failing step leaves a screenshot in .build/browser/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.chromium import SCREENSHOTS, log_in, seen_from_the_browser, submit
from tests.fixtures.docker import INSECURE_OK, ComposeStack, StackFactory

pytestmark = [pytest.mark.docker, pytest.mark.browser, INSECURE_OK]


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
