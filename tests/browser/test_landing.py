"""Where people land, in a real browser: after login everyone is on the hub's home page with no
lab started; the admin's navigation bar shows how many sign-ups wait, and leads to them; a user
starts their lab from home. A failing step leaves a screenshot in .build/browser/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.chromium import SCREENSHOTS, seen_from_the_browser, submit
from tests.fixtures.docker import BASE_URL, INSECURE_OK, ComposeStack, StackFactory

pytestmark = [pytest.mark.docker, pytest.mark.browser, INSECURE_OK]

HOME = re.compile(re.escape(f"{BASE_URL}/hub/home") + r"$")
# The slim lab on 2 shared cores: pulling nothing, but starting JupyterLab takes a while.
LAB_TIMEOUT_MS = 120_000


def log_in_from_the_login_page(page: Page, url: str, name: str, password: str) -> None:
    """The login form as a person meets it: no `next`, so the hub decides where they land."""
    fields = {"#username_input": name, "#password_input": password}
    submit(page, f"{url}/hub/login", fields, "#login_submit")


def waiting(page: Page) -> int:
    """The number on the admin's "Authorize users" link; 0 when it shows none."""
    badge = page.locator("#stellars-pending-signups")
    if badge.count() == 0:
        return 0
    return int(badge.inner_text().split()[0])


def test_login_lands_on_home_the_admin_sees_who_waits_and_a_user_starts_a_lab(
    browser: Browser,
    compose_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    request: pytest.FixtureRequest,
) -> None:
    url = seen_from_the_browser(compose_stack.url)
    name, password = compose_stack_factory.user_name(), "browser-Landing-Pass-77"
    admin_context = browser.new_context(ignore_https_errors=True)
    user_context = browser.new_context(ignore_https_errors=True)
    admin, user = admin_context.new_page(), user_context.new_page()
    step = "admin logs in"
    try:
        log_in_from_the_login_page(admin, url, "admin", compose_stack.admin_password())
        expect(admin).to_have_url(HOME)
        # Home, not a lab: the admin's server was never started.
        expect(admin.locator("#start")).to_contain_text("Start My Server")
        authorize = admin.locator("#stellars-authorize-link")
        expect(authorize).to_be_visible()
        before = waiting(admin)

        step = "a user signs up"
        fields = {
            "#username_input": name,
            "#password_input": password,
            "#password_confirmation_input": password,
        }
        submit(user, f"{url}/hub/signup", fields, "#signup_submit")
        expect(user.locator(".alert")).to_contain_text("sent to the admin")

        step = "the admin sees the sign-up waiting and approves it"
        admin.reload()
        expect(admin.locator("#stellars-pending-signups")).to_have_text(f"{before + 1} waiting")
        with admin.expect_navigation():
            authorize.click()
        expect(admin).to_have_url(re.compile(r"/hub/authorize$"))
        with admin.expect_navigation():
            admin.locator("tr", has_text=name).get_by_role(
                "button", name="Authorize", exact=True
            ).click()
        expect(admin.locator("#stellars-pending-signups")).to_have_count(1 if before else 0)

        step = "the user logs in and lands on home"
        log_in_from_the_login_page(user, url, name, password)
        expect(user).to_have_url(HOME)
        expect(user.locator("#stellars-authorize-link")).to_have_count(0)

        step = "the user starts their lab from home"
        user.locator("#start").click()
        expect(user).to_have_url(re.compile(rf"/user/{name}/lab"), timeout=LAB_TIMEOUT_MS)
        expect(user.locator("#jp-main-dock-panel")).to_be_visible(timeout=LAB_TIMEOUT_MS)
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
