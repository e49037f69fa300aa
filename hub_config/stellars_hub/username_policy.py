"""Which user names sign-up accepts: only names that are their own volume and pod name.

A name the policy accepts is kept unchanged by `names.safe_name` (lowercase ASCII letters and
digits, single hyphens between them, at most `MAX_SAFE_NAME_LENGTH` characters). So two accounts
made by sign-up can never share a volume: their names differ, and so do their volumes. Nothing
invisible or look-alike gets in either: no Unicode letters that look like ASCII ones, no
zero-width or other format characters, no spaces or control characters.

Accounts made before the policy keep their names (sign-in does not check it); their volumes are
protected by the ownership stamp (volume_owner.py) instead.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from stellars_hub.names import MAX_SAFE_NAME_LENGTH, is_safe_name

POLICY: Final = (
    f"lowercase letters a-z, digits 0-9 and single hyphens between them, "
    f"at most {MAX_SAFE_NAME_LENGTH} characters (for example alice or jo-smith)"
)


def username_problem(name: str) -> str | None:
    """Why sign-up refuses `name` (already normalized: lowercased), or None when it is fine."""
    if is_safe_name(name):
        return None
    if not name:
        return "The user name is empty."
    hidden = sorted({_describe(char) for char in name if _is_hidden(char)})
    if hidden:
        return f"The user name contains invisible characters ({', '.join(hidden)})."
    foreign = sorted({_describe(char) for char in name if not char.isascii()})
    if foreign:
        return (
            f"The user name contains characters outside a-z and 0-9 "
            f"({', '.join(foreign)}); some look like ASCII letters."
        )
    if len(name) > MAX_SAFE_NAME_LENGTH:
        return f"The user name is longer than {MAX_SAFE_NAME_LENGTH} characters."
    return "The user name may contain only a-z, 0-9 and single hyphens between them."


def refusal_message(name: str) -> str | None:
    """The message the sign-up page shows for a refused name, or None."""
    problem = username_problem(name)
    return None if problem is None else f"{problem} Allowed: {POLICY}."


def _is_hidden(char: str) -> bool:
    # Cc control, Cf format (zero-width joiners, bidi marks), Z* separators (every space).
    category = unicodedata.category(char)
    return category in {"Cc", "Cf", "Co", "Cn"} or category.startswith("Z")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
