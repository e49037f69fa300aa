"""credentials.py: secrets generated once, never rotated."""

import re

from stellars_operator.credentials import complete_secret_values


def test_missing_values_are_generated() -> None:
    values = complete_secret_values({})
    assert set(values) == {"cookie-secret", "proxy-token", "admin-password"}
    assert re.fullmatch(r"[0-9a-f]{64}", values["cookie-secret"])  # 32 bytes, hex
    assert re.fullmatch(r"[0-9a-f]{64}", values["proxy-token"])
    assert len(values["admin-password"]) >= 16


def test_existing_values_are_kept() -> None:
    existing = {"cookie-secret": "a" * 64, "proxy-token": "t", "admin-password": "p"}
    assert complete_secret_values(existing) == existing


def test_only_missing_or_empty_keys_are_filled() -> None:
    values = complete_secret_values({"cookie-secret": "c", "proxy-token": ""})
    assert values["cookie-secret"] == "c"
    assert values["proxy-token"]
    assert values["admin-password"]


def test_generated_values_differ_between_hubs() -> None:
    assert complete_secret_values({}) != complete_secret_values({})
