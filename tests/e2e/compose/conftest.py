"""Fixtures of the Compose platform's people: the admin (bootstrapped password) and a user with a
running lab (tests/fixtures/compose_people.py)."""

from __future__ import annotations

import pytest

from tests.fixtures.compose_people import User, log_in_admin, sign_up_and_approve
from tests.fixtures.docker import ComposeStack, StackFactory
from tests.fixtures.hub_client import HubClient


@pytest.fixture(scope="session")
def admin(compose_stack: ComposeStack) -> HubClient:
    """The admin, logged in with the password the hub generated into its data volume."""
    return log_in_admin(compose_stack)


@pytest.fixture(scope="session")
def lab_user(
    compose_stack: ComposeStack, compose_stack_factory: StackFactory, admin: HubClient
) -> User:
    """An approved, logged-in user whose lab server is running."""
    user = sign_up_and_approve(compose_stack, admin, compose_stack_factory.user_name())
    user.client.start_server(user.name)
    return user
