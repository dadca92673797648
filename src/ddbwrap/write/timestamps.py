"""Server-managed times: auto timestamps (the TTL's epoch-seconds form is the codec's job).

``created_at`` (``Meta.created_at_attribute``) is set once, when an item is created;
``updated_at`` (``Meta.updated_at_attribute``) on every write. Both come from one clock call per
write, so they are equal on create, and are timezone-aware UTC.

"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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
