"""Server-managed times: auto timestamps and the TTL attribute's epoch-seconds form.

``created_at`` (``Meta.created_at_attribute``) is set once, when an item is created;
``updated_at`` (``Meta.updated_at_attribute``) on every write. Both come from one clock call per
write, so they are equal on create, and are timezone-aware UTC.

DynamoDB's TTL only deletes items whose TTL attribute is a Number of epoch seconds, while the
codec stores datetimes as ISO strings; the write layer therefore stores the TTL field (a
datetime or an int) as ``{"N": "<epoch seconds>"}``, truncating sub-second parts. Reading it
back works without help: pydantic parses an int into an aware UTC datetime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..codec import AttributeValue
from ..errors import ValidationError

Clock = Callable[[], dt.datetime]
"""Returns "now" as an aware datetime; injectable so tests can freeze time."""


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return dt.datetime.now(dt.timezone.utc)


def checked_now(clock: Clock) -> dt.datetime:
    """Call ``clock`` and insist on an aware datetime, normalised to UTC."""
    now = clock()
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValidationError(
            f"the write clock must return an aware datetime, got {now!r}; "
            "use e.g. lambda: datetime.now(timezone.utc)"
        )
    return now.astimezone(dt.timezone.utc)


def epoch_seconds(value: Any, *, zone: dt.tzinfo | None = None) -> int:
    """Whole epoch seconds of a TTL value: an aware datetime (or naive with ``zone``) or an int."""
    if isinstance(value, bool):
        raise ValidationError("a TTL value must be a datetime or epoch seconds, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            if zone is None:
                raise ValidationError(
                    f"naive TTL datetime {value.isoformat()} has no time zone; pass an aware "
                    "datetime or set Meta.naive_datetime_zone"
                )
            value = value.replace(tzinfo=zone)
        return int(value.timestamp())
    raise ValidationError(
        f"a TTL value must be a datetime or epoch seconds, not {type(value).__name__}"
    )


def ttl_value(value: Any, *, zone: dt.tzinfo | None = None) -> AttributeValue | None:
    """The stored form of a TTL field: ``{"N": epoch}``; None for None (attribute removed)."""
    if value is None:
        return None
    return {"N": str(epoch_seconds(value, zone=zone))}
