"""`rapport.merge_patch.apply` against RFC 7396: its examples, and properties of its definition."""

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport import merge_patch

KEYS = st.sampled_from(["a", "b", "c", "d"])
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=3)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=4)
PATCHES = VALUES


def rfc_merge_patch(target: Any, patch: Any) -> Any:
    """The pseudo-code of RFC 7396 section 2, line by line."""
    if isinstance(patch, dict):
        if not isinstance(target, dict):
            target = {}
        for name, value in patch.items():
            if value is None:
                if name in target:
                    del target[name]
            else:
                target[name] = rfc_merge_patch(target.get(name), value)
        return target
    return patch


# RFC 7396 appendix A: original, patch, result.
EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), EXAMPLES)
def test_the_rfc_examples(original, patch, result):
    assert merge_patch.apply(original, patch) == result


@given(DOCUMENTS, PATCHES)
def test_it_is_the_rfc_definition_and_changes_neither_argument(target, patch):
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    assert merge_patch.apply(target, patch) == rfc_merge_patch(copy.deepcopy(target), copy.deepcopy(patch))
    assert (target, patch) == (target_before, patch_before)


@given(DOCUMENTS, PATCHES)
def test_applying_a_patch_twice_is_applying_it_once(target, patch):
    once = merge_patch.apply(target, patch)
    assert merge_patch.apply(once, patch) == once


@given(DOCUMENTS, st.dictionaries(KEYS, VALUES, max_size=4))
def test_null_removes_arrays_replace_objects_merge_and_the_rest_is_kept(target, patch):
    merged = merge_patch.apply(target, patch)
    for name, value in patch.items():
        if value is None:
            assert name not in merged
        elif isinstance(value, dict):
            assert merged[name] == merge_patch.apply(target.get(name), value)
        else:
            assert merged[name] == value
    for name in target.keys() - patch.keys():
        assert merged[name] == target[name]


@given(DOCUMENTS)
def test_an_empty_patch_changes_nothing(target):
    assert merge_patch.apply(target, {}) == target
