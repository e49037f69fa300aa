"""Issue 14 in a real browser against the Compose platform: a user signs in, sees the spawn
profiles their groups allow (not the research group's until they join it), picks one, and the
lab starts with it. The form's screenshot is .build/browser/spawn-form.png (docs/spawn-form.png
is a copy). A failing step leaves screenshots in .build/browser/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, expect

from tests.browser.chromium import SCREENSHOTS, log_in, seen_from_the_browser
from tests.fixtures.docker import INSECURE_OK, ComposeStack, StackFactory, docker
from tests.fixtures.hub_client import HubClient

pytestmark = [pytest.mark.docker, pytest.mark.browser, INSECURE_OK]

LAB_LOAD_MS = 120_000
PROFILES = {
    "profiles": [
        {
            "name": "small",
            "displayName": "Small lab",
            "description": "1 CPU and 1 GiB, for reading and light work.",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "extraEnv": {"STELLARS_PROFILE": "small"},
        },
        {
            "name": "research",
            "displayName": "Research lab",
            "description": "More memory, for the research group only.",
            "resources": {"limits": {"memory": "2Gi"}},
            "extraEnv": {"STELLARS_PROFILE": "research"},
            "groups": ["research"],
        },
        {
            "name": "research-gpus",
            "displayName": "Research, two GPUs",
            "description": "Two of the host's GPUs (not started here: this host has none).",
            "gpus": 2,
            "groups": ["research"],
        },
    ]
}


@pytest.fixture(scope="module")
def profiles_stack(
    compose_stack_factory: StackFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ComposeStack]:
    """A platform with two admin profiles in its profiles file; removed when the module ends."""
    folder = tmp_path_factory.mktemp("profiles")
    profiles = folder / "profiles.yaml"
    profiles.write_text(yaml.safe_dump(PROFILES))
    profiles.chmod(0o644)
    override = folder / "compose_override.yml"
    mount = f"{profiles}:/srv/jupyterhub/profiles.yaml:ro"
    override.write_text(yaml.safe_dump({"services": {"jupyterhub": {"volumes": [mount]}}}))
    stack = compose_stack_factory(Path(override))
    yield stack
    stack.remove()


def offered(page_text: str) -> list[str]:
    return re.findall(r'name="profile" id="profile-[^"]+" value="([^"]+)"', page_text)


def test_a_user_picks_a_profile_and_the_lab_starts_with_it(
    browser: Browser,
    profiles_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    request: pytest.FixtureRequest,
) -> None:
    url = seen_from_the_browser(profiles_stack.url)
    admin = HubClient(profiles_stack.url)
    assert admin.log_in("admin", profiles_stack.admin_password()).status_code == 302
    admin.create_token("admin")
    name, password = compose_stack_factory.user_name(), "pw-Profiles-Browser-5"
    HubClient(profiles_stack.url).sign_up(name, password)
    admin.page(f"/hub/authorize/{name}")
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    step = "sign in"
    try:
        log_in(page, url, name, password)
        expect(page.locator("#logout")).to_be_visible()

        step = "the form without the research group"
        page.goto(f"{url}/hub/spawn")
        expect(page.locator("#stellars-profiles")).to_be_visible()
        assert offered(page.content()) == ["cpu", "small"]
        expect(page.locator("#profile-cpu")).to_be_checked()

        step = "joins the research group"
        joined = admin.api("POST", "/groups/research", json={"users": [name]})
        assert joined.status_code == 201, joined.text
        page.goto(f"{url}/hub/spawn")
        assert offered(page.content()) == ["cpu", "small", "research", "research-gpus"]
        expect(page.locator("#profile-research-gpus + strong + .badge")).to_have_text("2 GPUs")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#spawn_form").screenshot(path=str(SCREENSHOTS / "spawn-form.png"))

        step = "picks the research lab"
        page.locator("#profile-research").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Start").click()
        expect(page).to_have_url(re.compile(rf"/user/{name}/"), timeout=LAB_LOAD_MS)
        inspected = json.loads(docker("inspect", f"jupyterlab-{name}").stdout)[0]
        env = dict(item.split("=", 1) for item in inspected["Config"]["Env"])
        assert env["STELLARS_PROFILE"] == "research"
        assert inspected["HostConfig"]["Memory"] == 2 * 1024**3
        remembered = admin.api("GET", f"/users/{name}").json()["servers"][""]["user_options"]
        assert remembered == {"profile": "research"}
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        pytest.fail(f"step {step!r} failed; screenshots in {SCREENSHOTS}")
    finally:
        context.close()
