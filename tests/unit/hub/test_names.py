"""Safe Docker/Kubernetes names for user names."""

from __future__ import annotations

import re

import pytest

from stellars_hub.names import MAX_SAFE_NAME_LENGTH, is_safe_name, safe_name

SAFE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


@pytest.mark.parametrize("name", ["bob", "alice-smith", "user1", "a", "x" * MAX_SAFE_NAME_LENGTH])
def test_safe_names_are_kept(name: str) -> None:
    assert safe_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "Bob",
        "a.b",
        "jane@example.com",
        "josé",
        "ñandú",
        "用户",
        "under_score",
        "double--dash",
        "-leading",
        "trailing-",
        "x" * (MAX_SAFE_NAME_LENGTH + 1),
        "A" * 200,
    ],
)
def test_unsafe_names_become_safe_short_and_marked(name: str) -> None:
    result = safe_name(name)

    assert SAFE.match(result), result
    assert len(result) <= MAX_SAFE_NAME_LENGTH
    assert "--" in result
    assert is_safe_name(result) is False  # a rewritten name can never be someone's kept name


def test_the_slug_keeps_what_it_can_of_the_name() -> None:
    assert safe_name("Bob").startswith("bob--")
    assert safe_name("a.b").startswith("a-b--")
    assert safe_name("jane@example.com").startswith("jane-example-com--")
    assert safe_name("josé").startswith("jose--")
    assert safe_name("用户").startswith("user--")


@pytest.mark.parametrize(
    ("first", "second"),
    [("Bob", "bob"), ("a.b", "a-b"), ("a.b", "a_b"), ("A.B", "a.b"), ("x" * 40, "x" * 41)],
)
def test_names_that_look_alike_do_not_collide(first: str, second: str) -> None:
    assert safe_name(first) != safe_name(second)


def test_the_mapping_is_stable() -> None:
    # Volume and claim names depend on it: it must never change between releases.
    assert safe_name("Bob") == "bob--cd9fb1e1"
    assert safe_name("a.b") == safe_name("a.b")


def test_the_empty_name_of_a_default_server_stays_empty() -> None:
    assert safe_name("") == ""
