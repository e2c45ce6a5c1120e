import base64
import re

import pytest

from rapport import config
from rapport.errors import BadRequest
from rapport.pagination import decode_cursor, encode_cursor, fingerprint

POSITION = {"pk": "T#tenant-a#ACC#1", "sk": "A#META", "gsi1pk": "T#tenant-a#ACC", "gsi1sk": "acme#1"}
BOUND = fingerprint("tenant-a", "accounts:gsi1", {"q": "ac"})


def test_a_cursor_round_trips_for_its_own_tenant_and_query():
    cursor = encode_cursor(POSITION, BOUND)
    assert cursor is not None
    assert decode_cursor(cursor, BOUND) == POSITION


def test_no_position_means_no_cursor():
    assert encode_cursor(None, BOUND) is None
    assert decode_cursor(None, BOUND) is None


def test_the_cursor_is_opaque_url_safe_and_short():
    cursor = encode_cursor(POSITION, BOUND)
    assert cursor is not None
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for fragment in (b"tenant", b"ACC", b"acme", b"META", b"pk"):
        assert fragment not in raw
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert len(cursor) < 120
    assert encode_cursor(POSITION, BOUND) != cursor, "a new nonce each time"


@pytest.mark.parametrize(
    "other",
    [
        fingerprint("tenant-b", "accounts:gsi1", {"q": "ac"}),
        fingerprint("tenant-a", "accounts:gsi1", {"q": "zz"}),
        fingerprint("tenant-a", "contacts:gsi1", {"q": "ac"}),
    ],
)
def test_a_cursor_of_another_tenant_or_query_is_refused(other):
    cursor = encode_cursor(POSITION, BOUND)
    with pytest.raises(BadRequest) as refused:
        decode_cursor(cursor, other)
    assert refused.value.errors[0].field == "cursor"


@pytest.mark.parametrize("forged", ["garbage", "abc.def", "", "eyJwayI6IngifQ.AAAA", "%%%.###"])
def test_forged_cursors_are_refused(forged):
    if forged == "":
        assert decode_cursor(forged, BOUND) is None
        return
    with pytest.raises(BadRequest):
        decode_cursor(forged, BOUND)


def test_an_edited_cursor_is_refused_whichever_byte_changed():
    cursor = encode_cursor(POSITION, BOUND)
    assert cursor is not None
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for index in range(len(raw)):
        edited = bytearray(raw)
        edited[index] ^= 0x01
        with pytest.raises(BadRequest):
            decode_cursor(base64.urlsafe_b64encode(bytes(edited)).decode(), BOUND)


def test_a_cursor_made_with_another_secret_is_refused(monkeypatch):
    cursor = encode_cursor(POSITION, BOUND)
    monkeypatch.setenv("CURSOR_SECRET", "another-secret")
    config.reload()
    with pytest.raises(BadRequest):
        decode_cursor(cursor, BOUND)
