"""People on the Compose platform: the admin's name, and a user who signed up and was approved."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fixtures.docker import ComposeStack
from tests.fixtures.hub_client import HubClient

ADMIN: str = "admin"


@dataclass
class User:
    name: str
    password: str
    client: HubClient


def sign_up_and_approve(stack: ComposeStack, admin: HubClient, name: str) -> User:
    """A user signs up, the admin approves them on NativeAuthenticator's page, they log in."""
    password = f"pw-{name}-Correct-Horse"
    client = HubClient(stack.url)
    client.sign_up(name, password)
    admin.page(f"/hub/authorize/{name}")
    response = client.log_in(name, password)
    assert response.status_code == 302, f"{name} could not log in after approval"
    client.create_token(name)
    return User(name, password, client)
