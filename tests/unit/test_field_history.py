"""Field changes by JSON pointer: only what differs, objects member by member, anything else whole."""

from __future__ import annotations

from typing import Any

from rapport.field_history import field_changes, pointer


def shown(before: Any, after: Any, *path: str) -> list[tuple[str, Any, Any]]:
    return [(change.field, change.before, change.after) for change in field_changes(before, after, tuple(path))]


def test_a_pointer_escapes_tilde_and_slash():
    assert pointer(("custom", "a/b~c")) == "/custom/a~1b~0c"
    assert pointer(()) == ""


def test_only_the_members_that_differ_show_nested_ones_by_their_pointer():
    before = {"city": "Paris", "zip": "75001", "geo": {"lat": 1, "lon": 2}}
    after = {"city": "Lyon", "zip": "75001", "geo": {"lat": 1, "lon": 3}}
    assert shown(before, after, "address") == [("/address/city", "Paris", "Lyon"), ("/address/geo/lon", 2, 3)]


def test_an_object_that_comes_or_goes_shows_each_of_its_values():
    assert shown(None, {"city": "Lyon"}, "address") == [("/address/city", None, "Lyon")]
    assert shown({"city": "Lyon"}, None, "address") == [("/address/city", "Lyon", None)]


def test_lists_and_scalars_are_one_value_and_equal_values_show_nothing():
    assert shown(["a"], ["a", "b"], "tags") == [("/tags", ["a"], ["a", "b"])]
    assert shown("x", {"a": 1}, "odd") == [("/odd", "x", {"a": 1})]
    assert shown({"a": 1}, {"a": 1}, "same") == []
    assert shown({}, None, "empty") == [("/empty", {}, None)]
