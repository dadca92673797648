"""V1's timezone helpers, on the standard library's ``zoneinfo``.

V1 stored naive datetimes as UTC and converted to a user's zone for display; these helpers keep
that behaviour. Every function returns an *aware* datetime, which is what V2 stores (the codec
refuses naive datetimes unless ``Meta.naive_datetime_zone`` says which zone they are in).

V2 needs no helper module: ``datetime.now(timezone.utc)``, ``dt.astimezone(ZoneInfo(name))``
and ``datetime.fromisoformat(text)`` do the same (``ddbwrap migrate check`` lists each call
with its replacement).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

from ..codec import datetime_text
from .exceptions import ValidationException

__all__ = [
    "UTC",
    "ensure_timezone_aware",
    "format_datetime",
    "from_epoch_seconds",
    "get_timezone",
    "is_valid_timezone",
    "now_utc",
    "parse_datetime",
    "to_epoch_seconds",
    "to_storage_string",
    "to_user_timezone",
    "to_utc",
]

UTC = dt.timezone.utc


@functools.lru_cache(maxsize=256)
def get_timezone(tz_name: str) -> dt.tzinfo:
    """The zone called ``tz_name`` (IANA, e.g. ``"Europe/Paris"``; ``"UTC"``);
    ``ValidationException`` when there is no such zone."""
    if tz_name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationException(
            f"{tz_name!r} is not an IANA time zone name (e.g. 'UTC', 'Europe/Paris')"
        ) from None


def is_valid_timezone(tz_name: str) -> bool:
    """True when ``tz_name`` names a time zone."""
    try:
        get_timezone(tz_name)
    except ValidationException:
        return False
    return True


def now_utc() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(UTC)


def ensure_timezone_aware(value: dt.datetime, default_tz: str = "UTC") -> dt.datetime:
    """``value`` unchanged when aware; a naive one is taken to be in ``default_tz``."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=get_timezone(default_tz))
    return value


def to_utc(value: dt.datetime, assume_tz: str = "UTC") -> dt.datetime:
    """``value`` in UTC; a naive value is taken to be in ``assume_tz`` (V1: UTC)."""
    return ensure_timezone_aware(value, assume_tz).astimezone(UTC)


def to_user_timezone(value: dt.datetime, tz_name: str) -> dt.datetime:
    """``value`` as wall-clock time in the user's zone ``tz_name`` (naive values are UTC)."""
    return ensure_timezone_aware(value).astimezone(get_timezone(tz_name))


def parse_datetime(
    value: str | dt.datetime | dt.date | int | float | Decimal, default_tz: str = "UTC"
) -> dt.datetime:
    """An aware datetime from ISO-8601 text (``Z`` or an offset; a date alone is midnight),
    epoch seconds, a date or a datetime; values without a zone are in ``default_tz``."""
    if isinstance(value, dt.datetime):
        return ensure_timezone_aware(value, default_tz)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=get_timezone(default_tz))
    if isinstance(value, bool):
        raise ValidationException(f"cannot read a datetime from {value!r}")
    if isinstance(value, (int, float, Decimal)):
        return from_epoch_seconds(value)
    if not isinstance(value, str):
        raise ValidationException(f"cannot read a datetime from a {type(value).__name__}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationException(
            f"{value!r} is not an ISO-8601 datetime (e.g. 2026-11-22T09:30:00Z)"
        ) from None
    return ensure_timezone_aware(parsed, default_tz)


def format_datetime(value: dt.datetime, tz_name: str | None = None) -> str:
    """ISO-8601 text with its offset, in ``tz_name`` when given (naive values are UTC)."""
    aware = ensure_timezone_aware(value)
    if tz_name is not None:
        aware = aware.astimezone(get_timezone(tz_name))
    return aware.isoformat()


def to_storage_string(value: dt.datetime) -> str:
    """The text DynamoDB holds for ``value``: UTC, fixed width (``...000000Z``), like V2 writes
    it, so it can be compared with stored values (naive values are UTC)."""
    return datetime_text(value, UTC)


def to_epoch_seconds(value: dt.datetime) -> int:
    """Whole seconds since 1970-01-01 UTC (naive values are UTC), e.g. for a TTL attribute."""
    return int(ensure_timezone_aware(value).timestamp())


def from_epoch_seconds(seconds: int | float | Decimal) -> dt.datetime:
    """The aware UTC datetime of epoch ``seconds``."""
    try:
        return dt.datetime.fromtimestamp(float(seconds), UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationException(f"{seconds!r} is not a valid epoch time in seconds") from None
