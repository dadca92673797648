"""Results of reads: ``Page`` (one page of a query or scan), ``BatchResult``, and the cursor codec.

A cursor is an opaque, URL-safe string that continues a query where a page ended. It is
encrypted and authenticated with AES-256-GCM (from ``cryptography``), so it discloses nothing:
not the key of an item a filter hid, not the key attributes a view left out. Its bytes are::

    version (1) | key id (4) | query tag (4) | table tag (4) | nonce (12) | ciphertext | tag (16)

The plaintext is compact JSON ``[issued_at_ms, key]`` padded with spaces to a multiple of 32
bytes: ``key`` is the position (DynamoDB's ExclusiveStartKey, in wire form) and ``issued_at_ms``
when the cursor was made (for ``cursor_max_age``). The associated data is the header, the
*physical* table name (prefix, logical name and suffix) and the query fingerprint, a hash of
what the query *is* (operation, table, index, key condition, filter, direction, segment). So a
cursor that was edited, truncated or forged fails authentication, and a genuine cursor handed to
another query or to the same model's table under another stage or tenant prefix is refused:
every case raises ``InvalidCursorError`` before anything is sent. The three 4-byte tags in
clear are keyed HMACs (of the secret, the query and the table): they reveal nothing without the
secret and only serve to say *why* a cursor is refused.

Keys are derived with HKDF-SHA256 from ``cursor_secret`` (or from ``$DDBWRAP_CURSOR_SECRET``,
comma-separated); a list of secrets encrypts with the first and accepts any, so secrets can be
rotated without breaking live cursors. With neither, the key is random per process: cursors
then only work in the process that issued them (a restart, another instance behind a load
balancer or another Lambda container refuses them), so the first cursor issued or refused under
that key emits a ``CursorSecretWarning`` (and a log warning), once per process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import CorruptItemError, InvalidCursorError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

T_co = TypeVar("T_co", covariant=True)

CURSOR_VERSION = 2
"""The first byte of every cursor. Version 1 (HMAC-signed JSON, readable) is refused."""
MAX_CURSOR_CHARS = 4096
"""Longer strings are refused before decoding (a key is at most ~2 KB of wire form)."""
CURSOR_SECRET_ENV = "DDBWRAP_CURSOR_SECRET"
"""The environment variable read when no ``cursor_secret`` is passed (comma-separated)."""
MIN_SECRET_BYTES = 16

_TAG_BYTES = 4
_NONCE_BYTES = 12
_GCM_TAG_BYTES = 16
_HEADER_BYTES = 1 + 3 * _TAG_BYTES
_MIN_CURSOR_BYTES = _HEADER_BYTES + _NONCE_BYTES + _GCM_TAG_BYTES + 1
_PAD_BLOCK = 32
_KDF_INFO = b"ddbwrap cursor v2: AES-256-GCM key | tag key"

_PROCESS_SECRET = secrets.token_bytes(32)

Secret = str | bytes
MaxAge = float | timedelta
KeyItem = dict[str, dict[str, Any]]

logger = logging.getLogger("ddbwrap.read")


class CursorSecretWarning(UserWarning):
    """Cursors are encrypted with a random per-process key: set ``cursor_secret``.

    Emitted once per process, when the first cursor is issued (or refused) without a
    ``cursor_secret`` and without ``$DDBWRAP_CURSOR_SECRET``.
    """


@dataclass(frozen=True)
class Page(Generic[T_co]):
    """One page of results: ``items`` in order, and ``cursor`` to continue (None at the end).

    ``scanned_count`` is how many items DynamoDB evaluated (before the filter) and
    ``consumed_capacity`` the raw ConsumedCapacity entries, when the read asked for them
    (``capacity=True``). ``corrupt`` lists the items skipped with ``on_corrupt="skip"``.

    ``skipped_keys`` holds the table keys (attribute name -> value, no other attribute) of
    the items left out because they are not items of the model read (another entity of a
    shared table, or an item of unknown shape), and ``skipped`` their number; unique-constraint
    guard items are left out without being reported (their keys hold the unique values).
    """

    items: tuple[T_co, ...]
    cursor: str | None = None
    corrupt: tuple[CorruptItemError, ...] = ()
    scanned_count: int = 0
    requests: int = 0
    consumed_capacity: tuple[Mapping[str, Any], ...] = ()
    skipped_keys: tuple[Mapping[str, Any], ...] = ()

    @property
    def skipped(self) -> int:
        """How many items were left out as items of another entity (or of unknown shape)."""
        return len(self.skipped_keys)

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


_PER_PROCESS_ADVICE = (
    "no cursor_secret is set, so cursors are encrypted with a random per-process key and only "
    "work in the process that issued them (not after a restart, on another instance behind a "
    "load balancer, or in another Lambda container); pass the same cursor_secret to every "
    "instance, e.g. ReadApi(gateway, cursor_secret=os.environ['CURSOR_SECRET']), or set "
    f"${CURSOR_SECRET_ENV} (comma-separated to rotate)"
)
_warned = threading.Event()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_warn_lock = threading.Lock()


def _warn_per_process(event: str) -> None:
    """The one-time (per process) warning that cursors use the per-process key."""
    with _warn_lock:
        if _warned.is_set():
            return
        _warned.set()
    message = f"ddbwrap {event} a pagination cursor, but {_PER_PROCESS_ADVICE}"
    logger.warning("%s", message)
    warnings.warn(message, CursorSecretWarning, stacklevel=_caller_level())


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside ddbwrap, seen from the caller."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        level, frame = level + 1, frame.f_back
    return level


@dataclass(frozen=True)
class _Key:
    """What one secret derives: the AEAD, the key of the clear tags, and the key id."""

    aead: AESGCM
    tags: bytes
    kid: bytes

    def tag(self, kind: bytes, value: str) -> bytes:
        data = kind + b"\0" + value.encode("utf-8", "surrogatepass")
        return hmac.new(self.tags, data, hashlib.sha256).digest()[:_TAG_BYTES]


def _derive(secret: bytes) -> _Key:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_KDF_INFO).derive(secret)
    tags = material[32:]
    kid = hmac.new(tags, b"key id", hashlib.sha256).digest()[:_TAG_BYTES]
    return _Key(AESGCM(material[:32]), tags, kid)


class CursorCodec:
    """Encrypts and checks cursors with one secret (or several, for rotation).

    ``secret``: a secret of at least 16 bytes, or a list (the first encrypts, any decrypts);
    when None, ``$DDBWRAP_CURSOR_SECRET`` (comma-separated), else a random per-process key.
    ``max_age``: seconds (or a ``timedelta``) after which a cursor is refused as expired;
    None for never. ``clock``: the time source in seconds (``time.time``), for tests.
    """

    __slots__ = ("_clock", "_derived", "_max_age", "_per_process", "_secrets")

    def __init__(
        self,
        secret: Secret | Sequence[Secret] | None = None,
        *,
        max_age: MaxAge | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        per_process = False
        if secret is None:
            found = _secrets_from_environment()
            if found is None:
                keys, per_process = [_PROCESS_SECRET], True
            else:
                keys = found
        elif isinstance(secret, (str, bytes)):
            keys = [_secret_bytes(secret)]
        else:
            keys = [_secret_bytes(s) for s in secret]
        if not keys:
            raise ValidationError("cursor_secret list is empty; pass at least one secret")
        self._secrets: tuple[bytes, ...] = tuple(keys)
        self._derived: tuple[_Key, ...] | None = None
        self._max_age = _max_age_seconds(max_age)
        self._clock = clock
        self._per_process = per_process

    @property
    def per_process(self) -> bool:
        """True when no secret was configured: cursors only work in this process."""
        return self._per_process

    @property
    def max_age(self) -> float | None:
        """Seconds after which a cursor expires (None: never)."""
        return self._max_age

    def encode(self, key: Mapping[str, Mapping[str, Any]], query: str, *, table: str) -> str:
        """The cursor that resumes the query fingerprinted ``query`` on the physical ``table``
        after ``key``."""
        if self.per_process:
            _warn_per_process("issued")
        issued_ms = math.floor(self._clock() * 1000)
        plain = json.dumps([issued_ms, key_to_json(key)], separators=(",", ":")).encode()
        plain += b" " * (-len(plain) % _PAD_BLOCK)
        current = self._keys()[0]
        header = (
            bytes([CURSOR_VERSION])
            + current.kid
            + current.tag(b"query", query)
            + current.tag(b"table", table)
        )
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = current.aead.encrypt(nonce, plain, _associated(header, query, table))
        return _b64encode(header + nonce + sealed)

    def decode(self, cursor: str, query: str, *, table: str) -> KeyItem:
        """The ExclusiveStartKey of a cursor issued for the query fingerprinted ``query`` on
        the physical ``table``; any other cursor raises ``InvalidCursorError``."""
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
        if raw[:1] != bytes([CURSOR_VERSION]) or len(raw) < _MIN_CURSOR_BYTES:
            raise self._unreadable(raw)
        header, nonce, sealed = (
            raw[:_HEADER_BYTES],
            raw[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES],
            raw[_HEADER_BYTES + _NONCE_BYTES :],
        )
        kid, query_tag, table_tag = (
            header[1 : 1 + _TAG_BYTES],
            header[1 + _TAG_BYTES : 1 + 2 * _TAG_BYTES],
            header[1 + 2 * _TAG_BYTES :],
        )
        candidates = [k for k in self._keys() if hmac.compare_digest(k.kid, kid)]
        if not candidates:
            if _looks_like_version_1(raw):
                raise _old_format()
            raise self._refused("it was issued under another cursor_secret, or altered")
        if not any(hmac.compare_digest(k.tag(b"query", query), query_tag) for k in candidates):
            raise InvalidCursorError(
                "cursor belongs to another query (table, index, key values, sort condition, "
                "filter or direction differ); start again without a cursor"
            )
        if not any(hmac.compare_digest(k.tag(b"table", table), table_tag) for k in candidates):
            raise InvalidCursorError(
                "cursor belongs to another physical table (the same model under another stage, "
                "tenant prefix or suffix); start again without a cursor"
            )
        plain = self._open(candidates, nonce, sealed, _associated(header, query, table))
        if plain is None:
            if _looks_like_version_1(raw):
                raise _old_format()
            raise InvalidCursorError(
                "cursor signature does not match: it was altered or truncated; pass it back "
                "exactly as it was issued"
            )
        try:
            issued_ms, key = json.loads(plain)
        except (ValueError, TypeError) as exc:
            raise InvalidCursorError("cursor payload is malformed") from exc
        if not isinstance(issued_ms, int) or isinstance(issued_ms, bool):
            raise InvalidCursorError("cursor payload is malformed")
        if self._max_age is not None:
            age = self._clock() - issued_ms / 1000
            if age > self._max_age:
                raise InvalidCursorError(
                    f"cursor expired: it was issued {age:.0f} s ago and cursors are valid for "
                    f"{self._max_age:g} s (cursor_max_age); start again without a cursor"
                )
        return key_from_json(key)

    # -- helpers ---------------------------------------------------------------------------

    def _keys(self) -> tuple[_Key, ...]:
        derived = self._derived
        if derived is None:
            derived = self._derived = tuple(_derive(s) for s in self._secrets)
        return derived

    @staticmethod
    def _open(keys: Sequence[_Key], nonce: bytes, sealed: bytes, associated: bytes) -> bytes | None:
        from cryptography.exceptions import InvalidTag

        for key in keys:
            try:
                return key.aead.decrypt(nonce, sealed, associated)
            except InvalidTag:
                continue
        return None

    def _unreadable(self, raw: bytes) -> InvalidCursorError:
        if _looks_like_version_1(raw):
            return _old_format()
        if raw[:1] == bytes([CURSOR_VERSION]):
            return InvalidCursorError("cursor is truncated; pass it back exactly as it was issued")
        return InvalidCursorError(
            "cursor is not a ddbwrap cursor of a supported version; pass it back exactly as "
            "it was issued, or start again without a cursor"
        )

    def _refused(self, why: str) -> InvalidCursorError:
        if self.per_process:
            _warn_per_process("refused")
            return InvalidCursorError(
                f"cursor signature does not match: {why}. The likely cause: {_PER_PROCESS_ADVICE}"
            )
        return InvalidCursorError(
            f"cursor signature does not match: {why}; check that every instance has the same "
            "cursor_secret (keep an old secret in the list while rotating)"
        )


def _associated(header: bytes, query: str, table: str) -> bytes:
    return header + json.dumps([table, query]).encode()


def _looks_like_version_1(raw: bytes) -> bool:
    """A version-1 cursor: a 16-byte HMAC, then JSON ``[1,...``."""
    return raw[16:19] == b"[1,"


def _old_format() -> InvalidCursorError:
    return InvalidCursorError(
        "cursor is in an old format (version 1) that is no longer accepted: cursors are "
        f"encrypted since version {CURSOR_VERSION}; start again without a cursor"
    )


def _secrets_from_environment() -> list[bytes] | None:
    value = os.environ.get(CURSOR_SECRET_ENV, "")
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts:
        return None
    out = []
    for position, part in enumerate(parts):
        if len(part.encode()) < MIN_SECRET_BYTES:
            raise ValidationError(
                f"${CURSOR_SECRET_ENV}: secret #{position + 1} is shorter than "
                f"{MIN_SECRET_BYTES} bytes; use e.g. secrets.token_urlsafe(32), and commas "
                "only to separate secrets"
            )
        out.append(part.encode())
    return out


def _max_age_seconds(max_age: MaxAge | None) -> float | None:
    if max_age is None:
        return None
    if isinstance(max_age, timedelta):
        seconds = max_age.total_seconds()
    elif isinstance(max_age, (int, float)) and not isinstance(max_age, bool):
        seconds = float(max_age)
    else:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValidationError(
            f"cursor_max_age must be a positive number of seconds or a timedelta (or None for "
            f"cursors that never expire), got {max_age!r}"
        )
    return seconds


def _secret_bytes(secret: Secret) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode()
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValidationError(
            "cursor_secret must be at least 16 bytes (e.g. secrets.token_urlsafe(32)) so that "
            "cursors cannot be forged"
        )
    return secret
