"""A lean AWS Signature Version 4 signer for the one request shape of DynamoDB's JSON API.

Every data-plane request the direct transport sends is ``POST /`` with no query string and the
same four signed headers (``content-type``, ``host``, ``x-amz-date``, ``x-amz-target``, plus
``x-amz-security-token`` with temporary credentials), so the canonical request is one string
format instead of botocore's generic walk over headers, path and query. The signing key
(four HMACs) changes once a day per secret key, and is cached with HMAC's two hash states
keyed by it, which each signature copies (half the cost of keying HMAC again). The result is
the header botocore's ``SigV4Auth`` computes for the same request
(``tests/unit/test_direct_transport.py`` checks it).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

ALGORITHM = "AWS4-HMAC-SHA256"
_SIGNED = "content-type;host;x-amz-date;x-amz-target"
_SIGNED_WITH_TOKEN = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
_sha256 = hashlib.sha256
_hmac_digest = hmac.digest
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))
_BLOCK = 64
"""SHA-256's block size: HMAC pads its key to it (a signing key is 32 bytes)."""


def amz_date(now: float | None = None) -> str:
    """``X-Amz-Date`` for ``now`` (seconds since the epoch; the current time by default)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


class Clock:
    """``X-Amz-Date`` of the current second, formatted once per second (thread-safe)."""

    __slots__ = ("_date",)

    def __init__(self) -> None:
        self._date: tuple[int, str] = (-1, "")

    def now(self) -> str:
        second = int(time.time())
        cached_second, text = self._date
        if cached_second != second:
            text = amz_date(second)
            self._date = (second, text)  # one tuple: readers never see a half-updated cache
        return text


class Signer:
    """Signs DynamoDB JSON requests to one host, region and service (thread-safe)."""

    __slots__ = ("_key", "host", "region", "service")

    def __init__(self, host: str, region: str, service: str) -> None:
        self.host = host
        self.region = region
        self.service = service
        self._key: tuple[str, str, bytes, Any, Any] = ("", "", b"", None, None)

    def signing_key(self, secret_key: str, day: str) -> bytes:
        """The derived key of ``day`` (``YYYYMMDD``), computed once per day and secret key."""
        return self._keyed(secret_key, day)[2]

    def _keyed(self, secret_key: str, day: str) -> tuple[str, str, bytes, Any, Any]:
        """(secret, day, signing key, HMAC's inner and outer hash states keyed by it)."""
        cached = self._key
        if cached[1] == day and cached[0] == secret_key:
            return cached
        key = _hmac_digest(("AWS4" + secret_key).encode("utf-8"), day.encode("utf-8"), "sha256")
        for part in (self.region, self.service, "aws4_request"):
            key = _hmac_digest(key, part.encode("utf-8"), "sha256")
        padded = key.ljust(_BLOCK, b"\0")
        keyed = (
            secret_key,
            day,
            key,
            _sha256(padded.translate(_INNER_PAD)),
            _sha256(padded.translate(_OUTER_PAD)),
        )
        self._key = keyed  # one tuple: readers never see a half-updated cache
        return keyed

    def authorization(
        self,
        *,
        access_key: str,
        secret_key: str,
        token: str | None,
        date: str,
        target: str,
        content_type: str,
        body: bytes,
    ) -> str:
        """The ``Authorization`` header of ``POST /`` with these headers and ``body``."""
        day = date[:8]
        if token:
            signed = _SIGNED_WITH_TOKEN
            headers = (
                f"content-type:{content_type}\nhost:{self.host}\nx-amz-date:{date}\n"
                f"x-amz-security-token:{token}\nx-amz-target:{target}\n"
            )
        else:
            signed = _SIGNED
            headers = (
                f"content-type:{content_type}\nhost:{self.host}\nx-amz-date:{date}\n"
                f"x-amz-target:{target}\n"
            )
        canonical = f"POST\n/\n\n{headers}\n{signed}\n{_sha256(body).hexdigest()}"
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"{ALGORITHM}\n{date}\n{scope}\n{_sha256(canonical.encode('utf-8')).hexdigest()}"
        *_, inner, outer = self._keyed(secret_key, day)
        inner = inner.copy()  # HMAC from the keyed states (never updated in place)
        inner.update(to_sign.encode("utf-8"))
        outer = outer.copy()
        outer.update(inner.digest())
        signature = outer.hexdigest()
        return (
            f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, "
            f"Signature={signature}"
        )
