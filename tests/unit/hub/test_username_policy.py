"""username_policy.py: sign-up accepts only names that are their own volume name."""

from __future__ import annotations

import pytest

from stellars_hub.names import safe_name
from stellars_hub.username_policy import refusal_message, username_problem


@pytest.mark.parametrize("name", ["alice", "jo-smith", "a1", "x" * 32, "2fast"])
def test_plain_names_are_accepted_and_are_their_own_volume_name(name: str) -> None:
    assert username_problem(name) is None
    assert safe_name(name) == name


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("ali\u200bce", "invisible characters (U+200B ZERO WIDTH SPACE)"),
        ("alice\u00ad", "invisible characters (U+00AD SOFT HYPHEN)"),
        ("\u202ealice", "invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("al ice", "invisible characters (U+0020 SPACE)"),
        ("alice\u00a0", "invisible characters (U+00A0 NO-BREAK SPACE)"),
        ("alice\t", "invisible characters (U+0009 unnamed)"),
        ("\u0430lice", "outside a-z and 0-9 (U+0430 CYRILLIC SMALL LETTER A)"),
        ("\uff41lice", "outside a-z and 0-9 (U+FF41 FULLWIDTH LATIN SMALL LETTER A)"),
        ("al\u0131ce", "outside a-z and 0-9 (U+0131 LATIN SMALL LETTER DOTLESS I)"),
        ("x" * 33, "longer than 32 characters"),
        ("jo.smith", "only a-z, 0-9 and single hyphens"),
        ("jo_smith", "only a-z, 0-9 and single hyphens"),
        ("jo--smith", "only a-z, 0-9 and single hyphens"),
        ("-alice", "only a-z, 0-9 and single hyphens"),
        ("", "empty"),
    ],
)
def test_invisible_look_alike_and_other_names_are_refused_saying_why(name: str, said: str) -> None:
    problem = username_problem(name)
    assert problem is not None and said in problem
    message = refusal_message(name)
    assert message is not None and message.startswith(problem)
    assert "Allowed: lowercase letters a-z, digits 0-9 and single hyphens" in message


def test_every_accepted_name_is_distinct_from_every_rewritten_name() -> None:
    # A name sign-up accepts never contains "--"; every rewritten (older) name does.
    assert "--" in safe_name("jo.smith") and "--" in safe_name("\u0430lice")
    assert username_problem(safe_name("jo.smith")) is not None
