"""json_reader.py: typed reading of one JSON object, errors naming the dotted key."""

from __future__ import annotations

from typing import Any

import pytest

from stellars_hub.json_reader import JsonReader


class RefusedError(Exception):
    pass


def _fail(key: str, value: Any, accepts: str) -> RefusedError:
    return RefusedError(f"{key}|{value!r}|{accepts}")


def reader(document: Any, path: str = "") -> JsonReader:
    return JsonReader(document, fail=_fail, path=path)


def test_null_and_missing_both_mean_not_set() -> None:
    doc = reader({"a": None})
    assert doc.text("a", "x") == "x"
    assert doc.text("b", "y") == "y"
    assert not doc.has("a")
    assert doc.strings("a") == {}
    assert doc.objects("a") == ()
    assert doc.optional_integer("a") is None


def test_errors_name_the_dotted_key_the_value_and_what_is_accepted() -> None:
    nested = reader({"storage": {"home": 5}}, path="spec").child("storage")
    with pytest.raises(RefusedError, match=r"^spec\.storage\.home\|5\|a non-empty string$"):
        nested.text("home")
    with pytest.raises(RefusedError, match=r"^storage\|'big'\|an object$"):
        reader({"storage": "big"}).child("storage")
    with pytest.raises(RefusedError, match=r"^\|\[\]\|an object$"):
        reader([])


def test_lenient_text_reads_numbers_and_keeps_empty_strings() -> None:
    doc = reader({"cpu": 2, "memory": 0.5, "name": "", "flag": True})
    assert doc.text("cpu", lenient=True) == "2"
    assert doc.text("memory", lenient=True) == "0.5"
    assert doc.text("name", lenient=True) == ""
    with pytest.raises(RefusedError, match=r"a string$"):
        doc.text("flag", lenient=True)
    with pytest.raises(RefusedError, match=r"a non-empty string$"):
        doc.text("name")


def test_optional_text_is_none_when_unset_or_empty() -> None:
    doc = reader({"empty": "", "set": "fast"})
    assert doc.optional_text("empty") is None
    assert doc.optional_text("missing") is None
    assert doc.optional_text("set") == "fast"


def test_choices_booleans_and_integers() -> None:
    doc = reader({"policy": "Sometimes", "on": "yes", "zero": 0, "flag": True})
    with pytest.raises(RefusedError, match=r"Always or Never$"):
        doc.choice("policy", ("Always", "Never"))
    assert doc.choice("missing", ("Always", "Never"), "Never") == "Never"
    with pytest.raises(RefusedError, match=r"true or false$"):
        doc.boolean("on")
    assert doc.integer("zero") == 0
    with pytest.raises(RefusedError, match=r"a whole number above 0$"):
        doc.integer("zero", minimum=1)
    with pytest.raises(RefusedError, match=r"a whole number of at least 5$"):
        doc.integer("zero", minimum=5)
    with pytest.raises(RefusedError, match=r"an integer$"):
        doc.integer("flag")


def test_strings_and_objects() -> None:
    doc = reader({"env": {"A": "1", "N": 2}, "bad": {"A": True}, "list": [{"k": 1}], "no": [1]})
    assert doc.strings("env") == {"A": "1", "N": "2"}
    with pytest.raises(RefusedError, match=r"an object of string values$"):
        doc.strings("bad")
    assert doc.objects("list") == ({"k": 1},)
    with pytest.raises(RefusedError, match=r"a list of objects$"):
        doc.objects("no")
