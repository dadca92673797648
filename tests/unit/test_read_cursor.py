"""The cursor codec: round trips, secrecy, tamper detection, query and table binding, expiry,
secrets (explicit, rotated, from the environment, per process) and the old format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddbwrap import DomainModel
from ddbwrap.errors import InvalidCursorError, ValidationError
from ddbwrap.gateway import TableGateway
from ddbwrap.read import ReadApi
from ddbwrap.read import page as page_module
from ddbwrap.read.page import (
    CURSOR_SECRET_ENV,
    CURSOR_VERSION,
    MAX_CURSOR_CHARS,
    CursorCodec,
    CursorSecretWarning,
    fingerprint,
)
from ddbwrap.read.requests import query_plan

SECRET = "unit-test-secret-0123456789abcdef"
OTHER_SECRET = "another-secret-0123456789abcdef"
TABLE = "dev-pipelines"

key_values = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(min_size=1, max_size=50)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**20), 10**20)),
    st.builds(lambda b: {"B": b}, st.binary(min_size=1, max_size=40)),
)
keys = st.dictionaries(st.text(min_size=1, max_size=20), key_values, min_size=1, max_size=4)


class Clock:
    """An injectable clock: ``now`` seconds, moved by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CURSOR_SECRET_ENV, raising=False)


@pytest.fixture
def fresh_warning(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if no cursor had been issued yet in this process."""
    monkeypatch.setattr(page_module, "_warned", threading.Event())
    yield


def _raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _version_1_cursor(secret: str, key: dict[str, list[str]], query: str) -> str:
    """A cursor exactly as version 1 made it: HMAC-SHA256[:16] || JSON [1, query, key]."""
    payload = json.dumps([1, query, key], separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    return _text(mac + payload)


# --- round trips ----------------------------------------------------------------------------


@given(key=keys, query=st.text(max_size=30), table=st.text(min_size=1, max_size=30))
def test_cursor_round_trips_any_key(key: dict[str, dict[str, Any]], query: str, table: str) -> None:
    codec = CursorCodec(SECRET)
    assert codec.decode(codec.encode(key, query, table=table), query, table=table) == key


@given(key=keys)
def test_cursor_is_url_safe(key: dict[str, dict[str, Any]]) -> None:
    cursor = CursorCodec(SECRET).encode(key, "q", table=TABLE)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cursor_starts_with_the_current_version() -> None:
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    assert _raw(cursor)[0] == CURSOR_VERSION == 2


def test_two_cursors_for_the_same_position_differ() -> None:
    codec = CursorCodec(SECRET)
    key = {"pk": {"S": "a"}}
    assert codec.encode(key, "q", table=TABLE) != codec.encode(key, "q", table=TABLE)


# --- nothing readable -------------------------------------------------------------------------


def test_cursor_discloses_no_key_value_or_attribute_name() -> None:
    hidden = {"pk": {"S": "hidden-item-7f3a"}, "tenant_sk": {"S": "TENANT#acme#USER#42"}}
    raw = _raw(CursorCodec(SECRET).encode(hidden, "q", table=TABLE))
    for secret_text in ("hidden-item-7f3a", "acme", "TENANT", "tenant_sk", '"S"'):
        assert secret_text.encode() not in raw
        assert secret_text.encode("utf-16-le") not in raw


def test_cursor_discloses_no_number_or_binary_key_value() -> None:
    raw = _raw(
        CursorCodec(SECRET).encode(
            {"n": {"N": "987654321"}, "b": {"B": b"\x01raw-id"}}, "q", table=TABLE
        )
    )
    assert b"987654321" not in raw
    assert b"raw-id" not in raw
    assert base64.b64encode(b"\x01raw-id") not in raw


@given(value=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789#-", min_size=6, max_size=40))
def test_no_string_key_value_appears_in_the_cursor_bytes(value: str) -> None:
    raw = _raw(CursorCodec(SECRET).encode({"pk": {"S": value}}, "q", table=TABLE))
    assert value.encode() not in raw


def test_cursor_length_does_not_follow_the_key_length_byte_by_byte() -> None:
    codec = CursorCodec(SECRET)
    lengths = {len(codec.encode({"pk": {"S": "x" * n}}, "q", table=TABLE)) for n in range(1, 20)}
    assert len(lengths) <= 2


# --- tampering --------------------------------------------------------------------------------


@given(key=keys, position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_altered_byte_is_refused(
    key: dict[str, dict[str, Any]], position: int, flip: int
) -> None:
    codec = CursorCodec(SECRET)
    raw = bytearray(_raw(codec.encode(key, "q", table=TABLE)))
    raw[position % len(raw)] ^= flip
    with pytest.raises(InvalidCursorError):
        codec.decode(_text(bytes(raw)), "q", table=TABLE)


def test_altered_ciphertext_is_refused_as_a_signature_mismatch() -> None:
    codec = CursorCodec(SECRET)
    raw = bytearray(_raw(codec.encode({"pk": {"S": "a"}}, "q", table=TABLE)))
    raw[-5] ^= 0x01
    with pytest.raises(InvalidCursorError, match="signature does not match: it was altered"):
        codec.decode(_text(bytes(raw)), "q", table=TABLE)


@given(key=keys, cut=st.integers(min_value=1, max_value=40))
def test_truncated_cursor_is_refused(key: dict[str, dict[str, Any]], cut: int) -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode(key, "q", table=TABLE)
    with pytest.raises(InvalidCursorError):
        codec.decode(cursor[: max(1, len(cursor) - cut)], "q", table=TABLE)


def test_forged_cursor_with_a_copied_header_is_refused() -> None:
    genuine = _raw(CursorCodec(SECRET).encode({"pk": {"S": "mine"}}, "q", table=TABLE))
    plain = json.dumps([0, {"pk": ["S", "admin"]}]).encode()
    forged = genuine[:25] + plain + bytes(16)
    with pytest.raises(InvalidCursorError, match="signature"):
        CursorCodec(SECRET).decode(_text(forged), "q", table=TABLE)


def test_authentic_but_malformed_key_is_refused() -> None:
    codec = CursorCodec(SECRET)
    current = codec._keys()[0]
    header = bytes([CURSOR_VERSION]) + current.kid + current.tag(b"query", "q")
    header += current.tag(b"table", TABLE)
    nonce = bytes(12)
    plain = json.dumps([0, {"pk": ["BOOL", "true"]}]).encode()
    sealed = current.aead.encrypt(nonce, plain, page_module._associated(header, "q", TABLE))
    with pytest.raises(InvalidCursorError, match="malformed"):
        codec.decode(_text(header + nonce + sealed), "q", table=TABLE)


@pytest.mark.parametrize("cursor", ["", "not base64!", "a" * (MAX_CURSOR_CHARS + 1), "YQ"])
def test_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        CursorCodec(SECRET).decode(cursor, "q", table=TABLE)


def test_cursor_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidCursorError):
        CursorCodec(SECRET).decode(123, "q", table=TABLE)  # type: ignore[arg-type]


def test_cursor_of_an_unknown_version_is_refused() -> None:
    raw = bytearray(_raw(CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)))
    raw[0] = 9
    with pytest.raises(InvalidCursorError, match="supported version"):
        CursorCodec(SECRET).decode(_text(bytes(raw)), "q", table=TABLE)


# --- the old format -----------------------------------------------------------------------------


def test_version_1_cursor_is_refused_as_an_old_format() -> None:
    old = _version_1_cursor(SECRET, {"pk": ["S", "a"]}, "q")
    with pytest.raises(InvalidCursorError, match=r"old format \(version 1\)"):
        CursorCodec(SECRET).decode(old, "q", table=TABLE)


@pytest.mark.parametrize("first_byte", [0, 1, 2, 255])
def test_version_1_cursor_is_refused_whatever_its_first_mac_byte(first_byte: int) -> None:
    raw = bytearray(_raw(_version_1_cursor(SECRET, {"pk": ["S", "a" * 40]}, "q")))
    raw[0] = first_byte
    with pytest.raises(InvalidCursorError, match="old format"):
        CursorCodec(SECRET).decode(_text(bytes(raw)), "q", table=TABLE)


# --- secrets and rotation ---------------------------------------------------------------------


def test_cursor_of_another_secret_is_refused() -> None:
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    with pytest.raises(InvalidCursorError, match=r"signature.*another cursor_secret"):
        CursorCodec(OTHER_SECRET).decode(cursor, "q", table=TABLE)


def test_rotated_secrets_accept_cursors_of_the_old_secret() -> None:
    cursor = CursorCodec(OTHER_SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    rotated = CursorCodec([SECRET, OTHER_SECRET])
    assert rotated.decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}


def test_rotated_secrets_encrypt_with_the_first() -> None:
    cursor = CursorCodec([SECRET, OTHER_SECRET]).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    assert CursorCodec(SECRET).decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}


def test_retired_secret_is_refused_after_rotation() -> None:
    cursor = CursorCodec(OTHER_SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    with pytest.raises(InvalidCursorError, match="signature"):
        CursorCodec(SECRET).decode(cursor, "q", table=TABLE)


def test_bytes_secret_works_like_its_text() -> None:
    cursor = CursorCodec(SECRET.encode()).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    assert CursorCodec(SECRET).decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16 bytes"):
        CursorCodec("short")


def test_empty_secret_list_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        CursorCodec([])


# --- query and table binding ------------------------------------------------------------------


def test_cursor_of_another_query_is_refused() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode({"pk": {"S": "a"}}, "query-1", table=TABLE)
    with pytest.raises(InvalidCursorError, match="another query"):
        codec.decode(cursor, "query-2", table=TABLE)


@pytest.mark.parametrize(
    "other", ["prod-pipelines", "pipelines", "dev-pipelines-eu", "b-pipelines"]
)
def test_cursor_of_another_physical_table_is_refused(other: str) -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode({"pk": {"S": "a"}}, "q", table=TABLE)
    with pytest.raises(InvalidCursorError, match="another physical table"):
        codec.decode(cursor, "q", table=other)


def test_table_binding_survives_a_forged_table_tag() -> None:
    codec = CursorCodec(SECRET)
    genuine = _raw(codec.encode({"pk": {"S": "a"}}, "q", table="a-pipelines"))
    current = codec._keys()[0]
    forged = genuine[:9] + current.tag(b"table", "b-pipelines") + genuine[13:]
    with pytest.raises(InvalidCursorError, match="signature"):
        codec.decode(_text(forged), "q", table="b-pipelines")


# --- expiry -----------------------------------------------------------------------------------


def test_cursor_within_its_max_age_is_accepted() -> None:
    clock = Clock()
    codec = CursorCodec(SECRET, max_age=60, clock=clock)
    cursor = codec.encode({"pk": {"S": "a"}}, "q", table=TABLE)
    clock.now += 60
    assert codec.decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}


def test_cursor_older_than_its_max_age_is_refused_as_expired() -> None:
    clock = Clock()
    codec = CursorCodec(SECRET, max_age=60, clock=clock)
    cursor = codec.encode({"pk": {"S": "a"}}, "q", table=TABLE)
    clock.now += 61
    with pytest.raises(InvalidCursorError, match=r"cursor expired.*61 s ago.*valid for 60 s"):
        codec.decode(cursor, "q", table=TABLE)


def test_max_age_accepts_a_timedelta() -> None:
    clock = Clock()
    codec = CursorCodec(SECRET, max_age=timedelta(minutes=15), clock=clock)
    cursor = codec.encode({"pk": {"S": "a"}}, "q", table=TABLE)
    clock.now += 15 * 60 + 1
    with pytest.raises(InvalidCursorError, match="expired"):
        codec.decode(cursor, "q", table=TABLE)


def test_expiry_applies_to_cursors_issued_without_one() -> None:
    clock = Clock()
    cursor = CursorCodec(SECRET, clock=clock).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    clock.now += 3600
    with pytest.raises(InvalidCursorError, match="expired"):
        CursorCodec(SECRET, max_age=600, clock=clock).decode(cursor, "q", table=TABLE)


def test_cursor_without_max_age_never_expires() -> None:
    clock = Clock()
    codec = CursorCodec(SECRET, clock=clock)
    cursor = codec.encode({"pk": {"S": "a"}}, "q", table=TABLE)
    clock.now += 10 * 365 * 86400
    assert codec.decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}


@pytest.mark.parametrize("max_age", [0, -5, timedelta(0), float("nan"), float("inf"), True, "60"])
def test_invalid_max_age_is_refused(max_age: Any) -> None:
    with pytest.raises(ValidationError, match="cursor_max_age"):
        CursorCodec(SECRET, max_age=max_age)


# --- the secret from the environment ----------------------------------------------------------


def test_secret_from_the_environment_is_used_when_none_is_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CURSOR_SECRET_ENV, SECRET)
    codec = CursorCodec()
    assert not codec.per_process
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    assert codec.decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}


def test_comma_separated_environment_secrets_rotate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_SECRET_ENV, f" {SECRET} , {OTHER_SECRET} ")
    old = CursorCodec(OTHER_SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    assert CursorCodec().decode(old, "q", table=TABLE) == {"pk": {"S": "a"}}
    new = CursorCodec().encode({"pk": {"S": "b"}}, "q", table=TABLE)
    assert CursorCodec(SECRET).decode(new, "q", table=TABLE) == {"pk": {"S": "b"}}


def test_short_environment_secret_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CURSOR_SECRET_ENV, f"{SECRET},tiny-s3cret")
    with pytest.raises(ValidationError, match=r"DDBWRAP_CURSOR_SECRET: secret #2") as caught:
        CursorCodec()
    assert "tiny-s3cret" not in str(caught.value)


def test_explicit_secret_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_SECRET_ENV, OTHER_SECRET)
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    assert CursorCodec(SECRET).decode(cursor, "q", table=TABLE) == {"pk": {"S": "a"}}
    with pytest.raises(InvalidCursorError):
        CursorCodec().decode(cursor, "q", table=TABLE)


def test_empty_environment_secret_means_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_SECRET_ENV, " , ")
    assert CursorCodec().per_process


# --- the per-process secret -------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_warning")
def test_cursor_without_secret_works_in_the_same_process() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CursorSecretWarning)
        cursor = CursorCodec().encode({"pk": {"N": "7"}}, "q", table=TABLE)
    assert CursorCodec().decode(cursor, "q", table=TABLE) == {"pk": {"N": "7"}}


@pytest.mark.usefixtures("fresh_warning")
def test_first_cursor_without_secret_warns_once_per_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    codec = CursorCodec()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        for n in range(3):
            codec.encode({"pk": {"N": str(n)}}, "q", table=TABLE)
        CursorCodec().encode({"pk": {"N": "9"}}, "q", table=TABLE)
    ours = [w for w in caught if issubclass(w.category, CursorSecretWarning)]
    assert len(ours) == 1
    message = str(ours[0].message)
    for words in ("per-process", "Lambda", "cursor_secret=os.environ", CURSOR_SECRET_ENV):
        assert words in message
    records = [r for r in caplog.records if "per-process" in r.getMessage()]
    assert len(records) == 1 and records[0].levelno == logging.WARNING


@pytest.mark.usefixtures("fresh_warning")
def test_cursor_with_a_secret_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CursorSecretWarning)
        CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)


@pytest.mark.usefixtures("fresh_warning")
def test_refusal_under_the_per_process_secret_names_it_as_the_likely_cause() -> None:
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CursorSecretWarning)
        with pytest.raises(InvalidCursorError) as caught:
            CursorCodec().decode(cursor, "q", table=TABLE)
    message = caught.value.message
    assert "likely cause" in message
    assert "random per-process key" in message
    assert "pass the same cursor_secret" in message
    assert CURSOR_SECRET_ENV in message


@pytest.mark.usefixtures("fresh_warning")
def test_first_refusal_under_the_per_process_secret_warns() -> None:
    cursor = CursorCodec(SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    with pytest.warns(CursorSecretWarning, match="refused"), pytest.raises(InvalidCursorError):
        CursorCodec().decode(cursor, "q", table=TABLE)


def test_refusal_under_a_configured_secret_does_not_blame_the_process() -> None:
    cursor = CursorCodec(OTHER_SECRET).encode({"pk": {"S": "a"}}, "q", table=TABLE)
    with pytest.raises(InvalidCursorError) as caught:
        CursorCodec(SECRET).decode(cursor, "q", table=TABLE)
    assert "per-process" not in caught.value.message


# --- through ReadApi ----------------------------------------------------------------------------


class CursorItem(DomainModel):
    item_id: str
    name: str = ""

    class Meta:
        table_name = "cursor_items"
        partition_key = "item_id"


def _gateway(prefix: str) -> TableGateway:
    """A gateway that is never called: explain() only builds requests."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
    )
    return TableGateway(client, table_prefix=prefix)


def test_read_api_takes_cursor_max_age() -> None:
    reads = ReadApi[CursorItem](_gateway("a-"), cursor_secret=SECRET, cursor_max_age=90)
    assert reads.cursors.max_age == 90


def test_read_api_refuses_an_invalid_cursor_max_age() -> None:
    with pytest.raises(ValidationError, match="cursor_max_age"):
        ReadApi[CursorItem](_gateway("a-"), cursor_secret=SECRET, cursor_max_age=-1)


def test_read_api_refuses_a_cursor_of_another_table_prefix() -> None:
    plan = query_plan(CursorItem, {"item_id": "i1"})
    start = {"item_id": {"S": "i1"}}
    cursor = CursorCodec(SECRET).encode(start, plan.fingerprint, table="a-cursor_items")
    same = ReadApi[CursorItem](_gateway("a-"), cursor_secret=SECRET)
    assert same.explain.query(item_id="i1", cursor=cursor)["ExclusiveStartKey"] == start
    other = ReadApi[CursorItem](_gateway("b-"), cursor_secret=SECRET)
    with pytest.raises(InvalidCursorError, match="another physical table"):
        other.explain.query(item_id="i1", cursor=cursor)


# --- fingerprints -------------------------------------------------------------------------------


def test_fingerprint_is_stable_and_order_independent() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})


def test_fingerprint_differs_for_different_queries() -> None:
    assert fingerprint({"key": "#n0 = :v0", "v": "a"}) != fingerprint(
        {"key": "#n0 = :v0", "v": "b"}
    )
