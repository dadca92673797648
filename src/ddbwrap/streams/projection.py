"""``Projection``: keep a read model in another table from a change stream, idempotently.

Every projection write carries the source record's sequence number, stored on the projection
item (``_ddbwrap_seq``, zero-padded to 40 digits so text order is number order), and is
conditioned on it: ``attribute_not_exists(seq) OR seq < :seq``. A record delivered again, or
older than what the item already reflects, fails the condition and changes nothing (outcome
``"stale"``), so redeliveries and reordering never regress the read model, and replaying the
stream from ``TRIM_HORIZON`` converges to the state one clean pass gives.

A remove leaves a *tombstone* by default: the projection item's key, the sequence number and
``_ddbwrap_deleted = true`` (and, when the read model declares ``Meta.ttl_attribute``, an expiry
``tombstone_ttl`` from now, so DynamoDB deletes it once no stream record can contradict it:
streams keep records 24 hours). Without it, an older insert delivered after the remove would
bring the item back. ``Projection.get`` reads a tombstone as None; tombstones hold no index
key, so they are in no GSI. ``on_remove="delete"`` deletes instead (conditioned the same way),
accepting that such a late record resurrects the item.

Sequence numbers order the records of one item (DynamoDB Streams keeps them in the order the
item was modified); a projection item must therefore reflect one source item.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from ..codec import Item, codec_for
from ..errors import ConditionFailedError, ValidationError
from ..expressions import Placeholders
from ..gateway import TableGateway, require_gateway
from ..model import DomainModel, schema_of
from .change import Change

S = TypeVar("S", bound=BaseModel)
P = TypeVar("P", bound=DomainModel)

ProjectionOutcome = Literal["written", "tombstoned", "deleted", "stale"]
SEQUENCE_ATTRIBUTE = "_ddbwrap_seq"
TOMBSTONE_ATTRIBUTE = "_ddbwrap_deleted"
SEQUENCE_DIGITS = 40
"""DynamoDB Streams sequence numbers have 21 to 40 digits."""


def sequence_text(sequence_number: str) -> str:
    """A sequence number zero-padded to 40 digits: text order is then number order."""
    if not (sequence_number.isdigit() and sequence_number.isascii()):
        raise ValidationError("a stream sequence number is made of digits only")
    if len(sequence_number) > SEQUENCE_DIGITS:
        raise ValidationError(
            f"a sequence number of {len(sequence_number)} digits is not a DynamoDB Streams one "
            f"(at most {SEQUENCE_DIGITS}); records delivered through Kinesis Data Streams are "
            "ordered by ApproximateCreationDateTime, not by their sequence number, and cannot "
            "be projected by sequence number"
        )
    return sequence_number.zfill(SEQUENCE_DIGITS)


class Projection(Generic[S, P]):
    """Maintains items of the read model ``target`` from changes of ``source``.

    ``project(source_item)`` gives the read-model item (or None: the item has no place in the
    read model, which is then handled like a remove). ``key(change.keys)`` gives the read-model
    key fields of a source key (default: the read model's key fields, taken by name from the
    source's keys); it locates the item to remove.
    """

    def __init__(
        self,
        gateway: TableGateway,
        source: type[S],
        target: type[P],
        project: Callable[[S], P | None],
        *,
        key: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
        on_remove: Literal["tombstone", "delete"] = "tombstone",
        tombstone_ttl: dt.timedelta = dt.timedelta(days=2),
        sequence_attribute: str = SEQUENCE_ATTRIBUTE,
        tombstone_attribute: str = TOMBSTONE_ATTRIBUTE,
    ) -> None:
        self.gateway = require_gateway(gateway, "Projection")
        if on_remove not in ("tombstone", "delete"):
            raise ValidationError("on_remove must be 'tombstone' or 'delete'")
        self.source = source
        self.target = target
        self.project = project
        self.codec = codec_for(target)
        self.schema = schema_of(target)
        stored = set(self.schema.field_attributes.values()) | set(self.schema.index_key_attributes)
        for attribute in (sequence_attribute, tombstone_attribute):
            if attribute in stored:
                raise ValidationError(
                    f"{attribute!r} is an attribute of {target.__name__}; give the projection "
                    "another sequence_attribute / tombstone_attribute",
                    model=target.__name__,
                )
        source_domain = getattr(source, "__ddb_domain__", None) or source
        source_keys = set(schema_of(source_domain).key_fields)
        missing = [f for f in self.schema.key_fields if f not in source_keys]
        if key is None and missing:
            raise ValidationError(
                f"the key of {target.__name__} needs {', '.join(missing)}, which the key of "
                f"{source_domain.__name__} does not hold; pass key=lambda keys: {{...}}",
                model=target.__name__,
                field=missing[0],
            )
        target_keys = self.schema.key_fields
        self.key = key or (lambda keys: {name: keys[name] for name in target_keys})
        self.on_remove = on_remove
        self.tombstone_ttl = tombstone_ttl
        self.sequence_attribute = sequence_attribute
        self.tombstone_attribute = tombstone_attribute

    # -- applying changes --------------------------------------------------------------------

    def apply(self, change: Change[S]) -> ProjectionOutcome:
        """Apply one change; ``"stale"`` when the read model already reflects it or a later
        record (nothing was written)."""
        if change.model is not self.source:
            raise ValidationError(
                f"this projection reads {self.source.__name__} changes, not "
                f"{change.model.__name__} ones",
                model=self.target.__name__,
            )
        sequence = sequence_text(change.sequence_number)
        if change.kind == "remove":
            return self._remove(change, sequence)
        if change.new is None:
            raise ValidationError(
                f"a {change.kind} record without its new image cannot be projected; the "
                "source table's stream must carry new images (Meta.stream = "
                "'NEW_AND_OLD_IMAGES' or 'NEW_IMAGE')",
                model=self.target.__name__,
            )
        projected = self.project(change.new)
        if projected is None:
            return self._remove(change, sequence)
        item = self.codec.encode(projected)
        expected = self._target_key(change)
        if {k: item.get(k) for k in expected} != expected:
            raise ValidationError(
                f"project() gave a {self.target.__name__} whose key differs from key(change.keys)"
                "; a projection item must be found again from its source's key",
                model=self.target.__name__,
            )
        item[self.sequence_attribute] = {"S": sequence}
        return "written" if self._write("PutItem", {"Item": item}, sequence) else "stale"

    def apply_all(self, changes: Iterable[Change[S]]) -> list[ProjectionOutcome]:
        """Apply changes in order."""
        return [self.apply(change) for change in changes]

    def _remove(self, change: Change[S], sequence: str) -> ProjectionOutcome:
        key = self._target_key(change)
        if self.on_remove == "delete":
            return "deleted" if self._write("DeleteItem", {"Key": key}, sequence) else "stale"
        tombstone: Item = {
            **key,
            self.sequence_attribute: {"S": sequence},
            self.tombstone_attribute: {"BOOL": True},
        }
        ttl = self.schema.ttl_attribute
        if ttl is not None:
            tombstone[ttl] = {"N": str(int(time.time() + self.tombstone_ttl.total_seconds()))}
        return "tombstoned" if self._write("PutItem", {"Item": tombstone}, sequence) else "stale"

    def _target_key(self, change: Change[S]) -> Item:
        return self.codec.key(self.key(change.keys))

    def _write(self, operation: str, target: dict[str, Any], sequence: str) -> bool:
        """One conditional write; False when the item holds this record or a later one."""
        placeholders = Placeholders()
        name = placeholders.name(self.sequence_attribute)
        value = placeholders.value({"S": sequence})
        params = {
            "TableName": self.schema.table_name,
            **target,
            "ConditionExpression": f"attribute_not_exists({name}) OR {name} < {value}",
            **placeholders.params(),
        }
        try:
            # Re-sending is harmless: once applied, the same write fails its own condition.
            self.gateway.send(operation, params, idempotent=True)
        except ConditionFailedError:
            return False
        return True

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: Mapping[str, Any] | None = None, /, **fields: Any) -> P | None:
        """The read-model item of a key (fields as a mapping or keywords); None when there is
        none or it is a tombstone. A strongly consistent read."""
        values = dict(key or {}, **fields)
        response = self.gateway.get_item(
            {
                "TableName": self.schema.table_name,
                "Key": self.codec.key(values),
                "ConsistentRead": True,
            }
        )
        item = response.get("Item")
        if item is None or self.is_tombstone(item):
            return None
        return self.codec.decode(item)

    def is_tombstone(self, item: Mapping[str, Any]) -> bool:
        """True for a raw item that marks a removed source item."""
        return self.tombstone_attribute in item

    def sequence_of(self, item: Mapping[str, Any]) -> str | None:
        """The (unpadded) sequence number a raw projection item reflects."""
        av = item.get(self.sequence_attribute)
        text = av.get("S") if isinstance(av, Mapping) else None
        return text.lstrip("0") or "0" if isinstance(text, str) else None
