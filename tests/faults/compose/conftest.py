"""The Compose fault cases' stack with its two users (stack_faults.py), one per test module:
the cases of a module share it in file order; it is removed when the module ends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.faults.compose.stack_faults import FAULT_USERS, ComposeFaults
from tests.fixtures.compose_people import log_in_admin
from tests.fixtures.docker import HUB_IMAGE, StackFactory, docker
from tests.fixtures.fault_probe import write_marker


@pytest.fixture(scope="module")
def compose_faults(compose_stack_factory: StackFactory) -> Iterator[ComposeFaults]:
    began = time.monotonic()
    # The hub image under a tag of this module's own: `make up` recreates a hub whose image tag
    # moved, and on a shared machine a rebuild (scripts/build-images.sh) may move the usual one
    # in the middle of the cases.
    hub_image = f"{HUB_IMAGE.rsplit(':', 1)[0]}:faults-{compose_stack_factory.session}"
    docker("tag", HUB_IMAGE, hub_image)
    try:
        stack = compose_stack_factory(JUPYTERHUB_IMAGE=hub_image)
        faults = ComposeFaults(stack=stack, admin=log_in_admin(stack))
        try:
            for role in FAULT_USERS:
                faults.sign_up(role, compose_stack_factory.user_name())
            faults.start_labs()
            faults.markers = {role: write_marker(user) for role, user in faults.users.items()}
            faults.kernel_socket()
            print(
                f"compose fault stack and {len(faults.users)} labs ready in "
                f"{time.monotonic() - began:.0f}s (the stack {stack.started_s:.0f}s)"
            )
            yield faults
        finally:
            faults.close_kernel()
            stack.remove()
    finally:
        # Only the tag: the image stays while a container of any stack still runs it.
        docker("rmi", "--force", "--no-prune", hub_image, check=False)
