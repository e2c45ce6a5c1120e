import json

from hypothesis import given
from hypothesis import strategies as st

from rapport.api import body
from rapport.errors import InvalidInput, PayloadTooLarge

SCALARS = st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
DOCUMENTS = st.recursive(
    SCALARS | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@given(DOCUMENTS)
def test_any_json_document_within_the_bounds_passes(document):
    assert body.problem(json.dumps(document).encode()) is None


@given(st.text())
def test_brackets_and_digits_inside_strings_do_not_count(text):
    document = json.dumps({"text": text * 3 + "[" * 40 + "9" * 50 + '\\"'})
    assert body.problem(document.encode()) is None


def test_depth_is_bounded_without_recursion():
    assert body.problem(nested(body.MAX_DEPTH).encode()) is None
    refused = body.problem(nested(100_000).encode())
    assert isinstance(refused, InvalidInput)
    assert refused.errors[0].code == "too_deep"


def test_number_length_is_bounded():
    assert body.problem(("1" * body.MAX_NUMBER_LENGTH).encode()) is None
    refused = body.problem(("1" * (body.MAX_NUMBER_LENGTH + 1)).encode())
    assert isinstance(refused, InvalidInput)
    assert refused.errors[0].code == "number_too_long"


def test_size_is_bounded():
    assert isinstance(body.problem(b" " * (body.MAX_BYTES + 1)), PayloadTooLarge)


def test_a_body_that_is_not_utf8_is_refused():
    refused = body.problem(b'{"name": "\xff"}')
    assert isinstance(refused, InvalidInput)
    assert refused.errors[0].code == "encoding"


@given(st.integers(min_value=1, max_value=2 * body.MAX_DEPTH), st.text(max_size=8), st.booleans())
def test_exactly_the_documents_deeper_than_the_bound_are_refused(depth, text, objects):
    document: object = text
    for _ in range(depth):
        document = {"[{": document} if objects else [document, "]}"]
    refused = body.problem(json.dumps(document).encode())
    assert (refused is not None) == (depth > body.MAX_DEPTH)
