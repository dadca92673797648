"""The cursor codec: round trips, tamper detection, query binding, secrets."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddbwrap.errors import InvalidCursorError, ValidationError
from ddbwrap.read.page import MAX_CURSOR_CHARS, CursorCodec, fingerprint

SECRET = "unit-test-secret-0123456789abcdef"

key_values = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(min_size=1, max_size=50)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**20), 10**20)),
    st.builds(lambda b: {"B": b}, st.binary(min_size=1, max_size=40)),
)
keys = st.dictionaries(st.text(min_size=1, max_size=20), key_values, min_size=1, max_size=4)


def _raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@given(key=keys, query=st.text(max_size=30))
def test_cursor_round_trips_any_key(key: dict[str, dict[str, Any]], query: str) -> None:
    codec = CursorCodec(SECRET)
    assert codec.decode(codec.encode(key, query), query) == key


@given(key=keys)
def test_cursor_is_url_safe(key: dict[str, dict[str, Any]]) -> None:
    cursor = CursorCodec(SECRET).encode(key, "q")
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(key=keys, position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_altered_byte_is_refused(
    key: dict[str, dict[str, Any]], position: int, flip: int
) -> None:
    codec = CursorCodec(SECRET)
    raw = bytearray(_raw(codec.encode(key, "q")))
    raw[position % len(raw)] ^= flip
    with pytest.raises(InvalidCursorError):
        codec.decode(_text(bytes(raw)), "q")


@given(key=keys, cut=st.integers(min_value=1, max_value=40))
def test_truncated_cursor_is_refused(key: dict[str, dict[str, Any]], cut: int) -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode(key, "q")
    with pytest.raises(InvalidCursorError):
        codec.decode(cursor[: max(1, len(cursor) - cut)], "q")


def test_cursor_of_another_query_is_refused() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode({"pk": {"S": "a"}}, "query-1")
    with pytest.raises(InvalidCursorError, match="another query"):
        codec.decode(cursor, "query-2")


def test_cursor_signed_with_another_secret_is_refused() -> None:
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q")
    with pytest.raises(InvalidCursorError, match="signature"):
        CursorCodec("another-secret-0123456789abcdef").decode(cursor, "q")


def test_forged_payload_with_a_guessed_mac_is_refused() -> None:
    payload = json.dumps([1, "q", {"pk": ["S", "admin"]}]).encode()
    with pytest.raises(InvalidCursorError, match="signature"):
        CursorCodec(SECRET).decode(_text(bytes(16) + payload), "q")


def test_rotated_secrets_accept_cursors_of_the_old_secret() -> None:
    old = CursorCodec("old-secret-0123456789abcdef")
    cursor = old.encode({"pk": {"S": "a"}}, "q")
    rotated = CursorCodec(["new-secret-0123456789abcdef", "old-secret-0123456789abcdef"])
    assert rotated.decode(cursor, "q") == {"pk": {"S": "a"}}


def test_rotated_secrets_sign_with_the_first() -> None:
    rotated = CursorCodec(["new-secret-0123456789abcdef", "old-secret-0123456789abcdef"])
    cursor = rotated.encode({"pk": {"S": "a"}}, "q")
    assert CursorCodec("new-secret-0123456789abcdef").decode(cursor, "q") == {"pk": {"S": "a"}}


def test_cursor_without_secret_works_in_the_same_process() -> None:
    cursor = CursorCodec().encode({"pk": {"N": "7"}}, "q")
    assert CursorCodec().decode(cursor, "q") == {"pk": {"N": "7"}}


def test_per_process_cursor_refusal_explains_cursor_secret() -> None:
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q")
    with pytest.raises(InvalidCursorError, match="pass the same cursor_secret"):
        CursorCodec().decode(cursor, "q")


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16 bytes"):
        CursorCodec("short")


@pytest.mark.parametrize("cursor", ["", "not base64!", "a" * (MAX_CURSOR_CHARS + 1), "YQ"])
def test_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        CursorCodec(SECRET).decode(cursor, "q")


def test_cursor_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidCursorError):
        CursorCodec(SECRET).decode(123, "q")  # type: ignore[arg-type]


def test_signed_but_malformed_key_is_refused() -> None:
    codec = CursorCodec(SECRET)
    payload = json.dumps([1, "q", {"pk": ["BOOL", "true"]}]).encode()
    forged = _text(codec._mac(codec._keys[0], payload) + payload)
    with pytest.raises(InvalidCursorError, match="malformed"):
        codec.decode(forged, "q")


def test_fingerprint_is_stable_and_order_independent() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})


def test_fingerprint_differs_for_different_queries() -> None:
    assert fingerprint({"key": "#n0 = :v0", "v": "a"}) != fingerprint(
        {"key": "#n0 = :v0", "v": "b"}
    )
