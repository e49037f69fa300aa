"""MLflow in the data-science lab (images/lab), in a real browser against the Compose platform:
with ENABLE_SERVICE_MLFLOW=1 a logged-in user opens MLflow's UI from the lab's launcher; another
user's session cannot open it; with the setting off the launcher does not offer it. A failing
step leaves screenshots in .build/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.chromium import SCREENSHOTS, log_in, seen_from_the_browser
from tests.fixtures.docker import DS_LAB_IMAGE, INSECURE_OK, ComposeStack, StackFactory, docker
from tests.fixtures.hub_client import HubClient

pytestmark = [pytest.mark.docker, pytest.mark.browser, INSECURE_OK]

# JupyterLab's first load and MLflow's on-demand start on a busy 2-core machine.
LAB_LOAD_MS, MLFLOW_START_MS = 90_000, 150_000


@pytest.fixture(scope="module")
def ds_stack(compose_stack_factory: StackFactory) -> Iterator[ComposeStack]:
    """A platform whose labs are the data-science lab with MLflow and TensorBoard on; removed
    with its labs when the module ends (the factory removes the users' volumes)."""
    if docker("image", "inspect", DS_LAB_IMAGE, check=False).returncode != 0:
        pytest.fail(f"{DS_LAB_IMAGE} is missing: run `make images` first")
    stack = compose_stack_factory(
        DOCKER_NOTEBOOK_IMAGE=DS_LAB_IMAGE,
        ENABLE_SERVICE_MLFLOW="1",
        ENABLE_SERVICE_TENSORBOARD="1",
        ENABLE_SERVICE_GLANCES="0",
    )
    yield stack
    stack.remove()


def approved_user(stack: ComposeStack, admin: HubClient, name: str) -> tuple[str, HubClient]:
    """A user who signed up and was approved (over HTTP: the sign-up story has its own test)."""
    password = f"pw-{name}-Lab-Services-9"
    client = HubClient(stack.url)
    client.sign_up(name, password)
    admin.page(f"/hub/authorize/{name}")
    assert client.log_in(name, password).status_code == 302, f"{name} cannot log in"
    client.create_token(name)
    return password, client


def open_lab(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/user/{name}/lab", timeout=LAB_LOAD_MS)
    expect(page.locator(".jp-Launcher")).to_be_visible(timeout=LAB_LOAD_MS)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts (one per person), closed afterwards."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def screenshots(contexts: list[BrowserContext], name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for index, context in enumerate(contexts):
        for number, page in enumerate(context.pages):
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{index}-{number}.png"), full_page=True)


def test_mlflow_opens_from_the_lab_for_its_user_only_and_only_when_on(
    browser: Browser,
    ds_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    contexts: list[BrowserContext],
    request: pytest.FixtureRequest,
) -> None:
    url = seen_from_the_browser(ds_stack.url)
    admin = HubClient(ds_stack.url)
    assert admin.log_in("admin", ds_stack.admin_password()).status_code == 302
    owner, other = compose_stack_factory.user_name(), compose_stack_factory.user_name()
    owner_password, owner_client = approved_user(ds_stack, admin, owner)
    other_password, other_client = approved_user(ds_stack, admin, other)
    owner_client.start_server(owner)
    try:
        # The owner opens MLflow from the launcher; it opens in a tab of its own, under the lab.
        owner_context = browser.new_context(ignore_https_errors=True)
        contexts.append(owner_context)
        page = owner_context.new_page()
        log_in(page, url, owner, owner_password)
        open_lab(page, url, owner)
        card = page.locator(".jp-LauncherCard", has_text="MLflow")
        expect(card).to_be_visible()
        with owner_context.expect_page(timeout=MLFLOW_START_MS) as opened:
            card.click()
        mlflow = opened.value
        mlflow_url = f"{url}/user/{owner}/mlflow/"
        expect(mlflow).to_have_url(re.compile(re.escape(mlflow_url)), timeout=MLFLOW_START_MS)
        expect(mlflow).to_have_title(re.compile("MLflow"), timeout=MLFLOW_START_MS)
        # The experiment list comes from MLflow's API through the same proxied path.
        expect(mlflow.get_by_text("Default", exact=True).first).to_be_visible(
            timeout=MLFLOW_START_MS
        )

        # Another user, logged in, cannot open the owner's MLflow.
        other_context = browser.new_context(ignore_https_errors=True)
        contexts.append(other_context)
        intruder = other_context.new_page()
        log_in(intruder, url, other, other_password)
        response = intruder.goto(mlflow_url)
        assert response is not None
        assert response.status == 403, f"{other} got {response.status} at {intruder.url}"
        expect(intruder).not_to_have_title(re.compile("MLflow"))

        # MLflow off (the hub restarted with ENABLE_SERVICE_MLFLOW=0): a new lab's launcher offers
        # TensorBoard, still on, and no MLflow; its MLflow URL does not exist.
        ds_stack.env["ENABLE_SERVICE_MLFLOW"] = "0"
        ds_stack.compose("up", "-d")
        ds_stack.wait_until_healthy()
        other_client.start_server(other)
        open_lab(intruder, url, other)
        expect(intruder.locator(".jp-LauncherCard", has_text="TensorBoard")).to_be_visible()
        expect(intruder.locator(".jp-LauncherCard", has_text="MLflow")).to_have_count(0)
        response = intruder.goto(f"{url}/user/{other}/mlflow/")
        assert response is not None
        assert response.status == 404
    except Exception:
        screenshots(contexts, request.node.name)
        raise
