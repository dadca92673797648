"""Results of reads: ``Page`` (one page of a query or scan), ``BatchResult``, and the cursor codec.

A cursor is an opaque, URL-safe string that continues a query where a page ended. It is
``base64url(mac || payload)`` where ``payload`` is compact JSON ``[1, fingerprint, key]``:
``key`` is the position (DynamoDB's ExclusiveStartKey, in wire form) and ``fingerprint`` a
hash of what the query *is* (operation, table, index, key condition, filter, direction,
segment). ``mac`` is a truncated HMAC-SHA256 of the payload under the ReadApi's cursor secret.

So a cursor that was edited, truncated or forged fails the MAC, and a genuine cursor handed
to another query (other table, index, partition value, sort condition, filter or direction)
fails the fingerprint: both raise ``InvalidCursorError`` before anything is sent. Cursors are
signed, not encrypted: they carry the key of the last item returned, which the caller has seen.

Without an explicit ``cursor_secret`` the key is random per process: cursors then only work
in the process that issued them (a restart or another instance behind a load balancer refuses
them). Web apps pass the same ``cursor_secret`` to every instance; a list of secrets signs with
the first and accepts any, so secrets can be rotated without breaking live cursors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import CorruptItemError, InvalidCursorError, ValidationError

T_co = TypeVar("T_co", covariant=True)

CURSOR_VERSION = 1
MAC_BYTES = 16
MAX_CURSOR_CHARS = 4096
"""Longer strings are refused before decoding (a key is at most ~2 KB of wire form)."""

_PROCESS_SECRET = secrets.token_bytes(32)

Secret = str | bytes
KeyItem = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Page(Generic[T_co]):
    """One page of results: ``items`` in order, and ``cursor`` to continue (None at the end).

    ``scanned_count`` is how many items DynamoDB evaluated (before the filter) and
    ``consumed_capacity`` the raw ConsumedCapacity entries, when the read asked for them
    (``capacity=True``). ``corrupt`` lists the items skipped with ``on_corrupt="skip"``.
    """

    items: tuple[T_co, ...]
    cursor: str | None = None
    corrupt: tuple[CorruptItemError, ...] = ()
    scanned_count: int = 0
    requests: int = 0
    consumed_capacity: tuple[Mapping[str, Any], ...] = ()

    @property
    def has_more(self) -> bool:
        """True when ``cursor`` can fetch more (the next page may still turn out empty)."""
        return self.cursor is not None

    @property
    def count(self) -> int:
        """Number of items returned."""
        return len(self.items)

    @property
    def capacity_units(self) -> float | None:
        """Total read capacity consumed, when it was asked for."""
        if not self.consumed_capacity:
            return None
        return float(sum(c.get("CapacityUnits", 0) for c in self.consumed_capacity))

    def __iter__(self) -> Iterator[T_co]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class BatchResult(Generic[T_co]):
    """Items read by key, in the order the keys were asked for.

    ``items`` has the found items, one per distinct key, in request order. ``results[i]`` is
    the item of the i-th key asked for, or None when it does not exist (a key asked for twice
    appears twice). ``missing`` lists the distinct keys not found, as field-value dicts, and
    ``corrupt`` the items skipped with ``on_corrupt="skip"``.
    """

    items: tuple[T_co, ...]
    results: tuple[T_co | None, ...]
    missing: tuple[Mapping[str, Any], ...] = ()
    corrupt: tuple[CorruptItemError, ...] = ()

    def __iter__(self) -> Iterator[T_co]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# --- cursors --------------------------------------------------------------------------------


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


def fingerprint(parts: Mapping[str, Any]) -> str:
    """A short stable hash of what a query is (its JSON-able description)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=_json_default)
    return _b64encode(hashlib.sha256(text.encode()).digest()[:12])


def _json_default(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "b64:" + base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset)):
        return json.dumps(sorted(value, key=repr), default=_json_default)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def key_to_json(key: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """A wire-form key (S/N/B values only) as JSON-able ``{attr: [type, text]}``."""
    out: dict[str, list[str]] = {}
    for name, av in key.items():
        ((kind, raw),) = av.items()
        if kind == "B":
            out[name] = ["B", base64.b64encode(bytes(raw)).decode("ascii")]
        elif kind in ("S", "N"):
            out[name] = [kind, str(raw)]
        else:
            raise InvalidCursorError(f"key attribute {name!r} has non-key type {kind}")
    return out


def key_from_json(data: object) -> KeyItem:
    """The inverse of :func:`key_to_json`; anything malformed raises ``InvalidCursorError``."""
    if not isinstance(data, dict) or not data:
        raise InvalidCursorError("cursor key is not an object")
    key: KeyItem = {}
    for name, value in data.items():
        if not (
            isinstance(name, str)
            and isinstance(value, list)
            and len(value) == 2
            and value[0] in ("S", "N", "B")
            and isinstance(value[1], str)
        ):
            raise InvalidCursorError("cursor key is malformed")
        kind, text = value
        if kind == "B":
            try:
                key[name] = {"B": base64.b64decode(text, validate=True)}
            except (binascii.Error, ValueError) as exc:
                raise InvalidCursorError("cursor key is malformed") from exc
        else:
            key[name] = {kind: text}
    return key


class CursorCodec:
    """Signs and checks cursors with one secret (or several, for rotation)."""

    __slots__ = ("_keys",)

    def __init__(self, secret: Secret | Sequence[Secret] | None = None) -> None:
        if secret is None:
            keys = [_PROCESS_SECRET]
        elif isinstance(secret, (str, bytes)):
            keys = [_secret_bytes(secret)]
        else:
            keys = [_secret_bytes(s) for s in secret]
        if not keys:
            raise ValidationError("cursor_secret list is empty; pass at least one secret")
        self._keys: tuple[bytes, ...] = tuple(keys)

    @property
    def per_process(self) -> bool:
        """True when no secret was given: cursors only work in this process."""
        return self._keys == (_PROCESS_SECRET,)

    def encode(self, key: Mapping[str, Mapping[str, Any]], query: str) -> str:
        """The cursor that resumes the query fingerprinted ``query`` after ``key``."""
        payload = json.dumps(
            [CURSOR_VERSION, query, key_to_json(key)], separators=(",", ":"), sort_keys=True
        ).encode()
        return _b64encode(self._mac(self._keys[0], payload) + payload)

    def decode(self, cursor: str, query: str) -> KeyItem:
        """The ExclusiveStartKey of a cursor issued for the query fingerprinted ``query``."""
        if not isinstance(cursor, str) or not cursor:
            raise InvalidCursorError("a cursor must be a non-empty string (or None to start)")
        if len(cursor) > MAX_CURSOR_CHARS:
            raise InvalidCursorError(f"cursor is longer than {MAX_CURSOR_CHARS} characters")
        try:
            raw = _b64decode(cursor)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursorError(
                "cursor is not valid URL-safe base64; pass it back exactly as it was issued"
            ) from exc
        mac, payload = raw[:MAC_BYTES], raw[MAC_BYTES:]
        if len(mac) < MAC_BYTES or not any(
            hmac.compare_digest(mac, self._mac(k, payload)) for k in self._keys
        ):
            hint = (
                " (no cursor_secret is set, so cursors only work in the process that issued "
                "them: pass the same cursor_secret to every instance)"
                if self.per_process
                else ""
            )
            raise InvalidCursorError(
                f"cursor signature does not match: it was altered, or signed with another "
                f"secret{hint}"
            )
        try:
            version, issued_for, key = json.loads(payload)
        except (ValueError, TypeError) as exc:
            raise InvalidCursorError("cursor payload is malformed") from exc
        if version != CURSOR_VERSION:
            raise InvalidCursorError(f"cursor version {version!r} is not supported")
        if issued_for != query:
            raise InvalidCursorError(
                "cursor belongs to another query (table, index, key values, sort condition, "
                "filter or direction differ); start again without a cursor"
            )
        return key_from_json(key)

    @staticmethod
    def _mac(key: bytes, payload: bytes) -> bytes:
        return hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def _secret_bytes(secret: Secret) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode()
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise ValidationError(
            "cursor_secret must be at least 16 bytes (e.g. secrets.token_urlsafe(32)) so that "
            "cursors cannot be forged"
        )
    return secret
