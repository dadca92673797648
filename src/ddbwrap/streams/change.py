"""``Change[M]``: one decoded stream record of a model (or of a view of it)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from .records import ChangeKind

M = TypeVar("M", bound=BaseModel)

_MISSING = object()


@dataclass(frozen=True)
class Change(Generic[M]):
    """What happened to one item, decoded through the model's codec exactly as reads decode.

    ``old`` and ``new`` are instances of ``model`` (a ``DomainModel``, or the ``View`` it was
    registered with) when the stream's view type carries them: ``NEW_AND_OLD_IMAGES`` gives
    both (``old`` is None for an insert, ``new`` for a remove), ``NEW_IMAGE`` only ``new``,
    ``OLD_IMAGE`` only ``old``, ``KEYS_ONLY`` neither. ``keys`` always holds the values of the
    table key fields (by field name; key templates are parsed back into their fields).
    """

    kind: ChangeKind
    model: type[M]
    table: str
    """The logical table name (the gateway's prefix and suffix removed)."""
    keys: Mapping[str, Any]
    old: M | None
    new: M | None
    sequence_number: str
    approximate_creation_time: dt.datetime | None
    """When the change was made (aware, UTC); DynamoDB Streams round it down to the second."""
    by_ttl: bool = False
    """True for a remove made by DynamoDB's TTL process (``userIdentity`` is the DynamoDB
    service), not by a caller."""
    event_id: str = ""
    shard: str = field(default="", repr=False, compare=False)
    stream_arn: str | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def diff(self) -> Mapping[str, tuple[Any, Any]]:
        """For a modify with both images: ``{field: (old value, new value)}`` of the fields
        whose decoded values differ, by model field name (aliases resolved). Empty when an image
        is missing (an insert, a remove, or a view type without both)."""
        old, new = self.old, self.new
        if old is None or new is None:
            return {}
        before, after = old.__dict__, new.__dict__
        changed: dict[str, tuple[Any, Any]] = {}
        for name in type(new).model_fields:
            was = before.get(name, _MISSING)
            now = after.get(name, _MISSING)
            if was != now:
                changed[name] = (None if was is _MISSING else was, None if now is _MISSING else now)
        return changed

    @property
    def item(self) -> M | None:
        """The item as it is after the change: ``new``, or None for a remove."""
        return None if self.kind == "remove" else self.new
