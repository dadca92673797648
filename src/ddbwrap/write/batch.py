"""``BatchWriter``: many puts and deletes of one model through BatchWriteItem.

::

    with writes.batch() as batch:
        for user in users:
            batch.put(user)
        batch.delete({"user_id": "old"})
    # sent in requests of 25 each time 100 are queued, the rest here; leftovers
    # (UnprocessedItems) re-sent with backoff

What a batch is *not* (use ``WriteApi``/``Transaction`` when you need these):

- not atomic: each request of 25 stands alone; when the retry budget runs out,
  ``UnprocessedItemsError.unprocessed`` lists exactly the ``BatchEntry``s not written and
  everything else *was* written;
- no conditions and no version checks: a put stores the instance exactly as given (version,
  timestamps and all), which suits loading and migrating data;
- a put replaces the whole item: BatchWriteItem has no update, so attributes the model does not
  know (written by another service) are lost on an existing item. Use ``WriteApi.put`` for
  items other services also write;
- no unique guards: models with ``Meta.unique`` are refused.

Writes are sent in the order given. A key written again (a put after a put or a delete) goes in
a later flush than its earlier write, sent once every answer of that one is in, so the last
write wins, as with single writes (DynamoDB refuses a request naming one key twice; the
requests of one flush go out together: they never share a key). Only the writes not yet sent
are kept: a batch of any size runs in the memory of one ``flush_at``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from .._engine import flows
from .._engine.steps import Flow
from .._redact import follows_gateway_setting
from ..codec import Item, codec_for, encoded_write, key_description
from ..errors import DdbwrapError, UnprocessedItemsError, ValidationError
from ..fastpath import SerializedWrite, serialized_write
from ..gateway import TableGateway
from ..keys import KeyLike, table_key_identity
from ..model import DomainModel, schema_of
from ..transport import serializes_writes
from .hooks import with_server_attributes
from .requests import Params, wire_key

M = TypeVar("M", bound=DomainModel)

logger = logging.getLogger("ddbwrap.write")

DEFAULT_FLUSH_AT = 100
"""Four BatchWriteItem requests' worth, sent at once (``flows.REQUESTS_AT_ONCE``): the puts
are encoded in one stretch, the server works on the four requests side by side and the client
waits once (less CPU and wall time per item than a request after every 25 puts, see
docs/performance.md). Memory stays bounded."""


@dataclass(frozen=True, slots=True)
class BatchEntry(Generic[M]):
    """One queued write: ``kind``, the item's primary key (wire form) and, for a put, the item."""

    kind: Literal["put", "delete"]
    key: Item
    item: M | None = None
    wire: Params | SerializedWrite = field(default_factory=dict, repr=False)
    """The WriteRequest as it is sent: a dict, or (a put on the direct transport) its JSON."""

    @property
    def request(self) -> Params:
        """The WriteRequest sent (``{"PutRequest": ...}`` or ``{"DeleteRequest": ...}``)."""
        wire = self.wire
        return wire.request() if isinstance(wire, SerializedWrite) else wire

    def describe(self) -> str:
        return f"{self.kind} {key_description(self.key)}"


class BaseBatchWriter(Generic[M]):
    """What ``BatchWriter`` and ``ddbwrap.aio.AsyncBatchWriter`` share (internal): the queue,
    its checks, the request of a flush and the accounting of its outcome."""

    gateway: Any

    def __init__(self, gateway: Any, model: type[M], *, flush_at: int = DEFAULT_FLUSH_AT) -> None:
        schema = schema_of(model)
        if schema.unique:
            raise ValidationError(
                f"batch writes cannot maintain the unique guard items of Meta.unique "
                f"({', '.join(schema.unique)}); write {model.__name__} with WriteApi.create/"
                "put/delete or a Transaction",
                model=model.__name__,
            )
        if flush_at < 1:
            raise ValidationError(f"flush_at must be at least 1, got {flush_at}")
        self.gateway = gateway
        self.model = model
        self.flush_at = flush_at
        self._schema = schema
        self._codec = codec_for(model)
        self._key_attributes = tuple(k.attribute for k in schema.key_attributes)
        self._serializes = serializes_writes(gateway.transport)
        """Whether puts are serialized as they are queued (the direct transport's wire form)."""
        self._pending: dict[tuple[Any, ...], BatchEntry[M]] = {}
        """The queued writes, in order, by key identity (one request may not name a key
        twice)."""
        self.written = 0
        """How many writes this batch has sent successfully so far."""

    @follows_gateway_setting
    def _put_entry(self, item: M) -> BatchEntry[M]:
        """The write of a put of ``item`` (checked and encoded)."""
        if not isinstance(item, self.model):
            raise ValidationError(
                f"batch.put takes a {self.model.__name__}, not {type(item).__name__}",
                model=self.model.__name__,
            )
        codec = self._codec
        encoded = with_server_attributes(self._schema, "put", codec._encode_unsized(item))
        key = {attribute: encoded[attribute] for attribute in self._key_attributes}
        request = encoded_write("PutRequest", "Item", encoded)
        wire = serialized_write(request, key) if self._serializes else request
        if type(wire) is SerializedWrite:  # its JSON bounds the item's size: no second dump
            codec._check_size(encoded, len(wire.json))
        else:
            codec.check_size(encoded)
        return BatchEntry("put", key, item, wire)

    @follows_gateway_setting
    def _delete_entry(self, key: KeyLike) -> BatchEntry[M]:
        """The write of a delete of ``key`` (checked)."""
        wkey = wire_key(self.model, key)
        request = encoded_write("DeleteRequest", "Key", wkey)
        return BatchEntry("delete", wkey, None, request)

    def _identity(self, entry: BatchEntry[M]) -> tuple[Any, ...]:
        """``entry``'s key identity: one queued already means the queue is sent first."""
        return table_key_identity(entry.key, self._key_attributes)

    def _queue(self, entry: BatchEntry[M], identity: tuple[Any, ...]) -> bool:
        """Queue ``entry`` (its key not queued); True when the queue reached ``flush_at``."""
        self._pending[identity] = entry
        return len(self._pending) >= self.flush_at

    def _requeue(self, entries: list[BatchEntry[M]]) -> None:
        """Put ``entries`` (not sent) back at the head of the queue (a write of the same key
        queued meanwhile is the later one: it keeps the key)."""
        self._pending = {**{self._identity(e): e for e in entries}, **self._pending}

    @property
    def pending(self) -> tuple[BatchEntry[M], ...]:
        """The queued writes not sent yet."""
        return tuple(self._pending.values())

    def requests(self) -> dict[str, list[Params]]:
        """The ``request_items`` the next flush hands to the gateway (logical table name)."""
        return {self._schema.table_name: [entry.request for entry in self._pending.values()]}

    def _take(self) -> tuple[list[BatchEntry[M]], list[tuple[str, Params]], Flow[None]] | None:
        """Start a flush: the queued entries (now out of the queue), the list the flow fills
        with what DynamoDB confirmed, and the flow; None when nothing is queued."""
        if not self._pending:
            return None
        entries, self._pending = list(self._pending.values()), {}
        logger.debug(
            "batch model=%s table=%s writes=%d",
            self.model.__name__,
            self._schema.table_name,
            len(entries),
        )
        confirmed: list[tuple[str, Params]] = []
        # a wire is a WriteRequest dict or its JSON (SerializedWrite), which the direct
        # transport's body takes as it is
        request_items: dict[str, list[Any]] = {
            self._schema.table_name: [entry.wire for entry in entries]
        }
        # the queue holds a key once, so its requests go out together
        flow = flows.batch_write(
            self.gateway.retry, request_items, confirmed, at_once=flows.REQUESTS_AT_ONCE
        )
        return entries, confirmed, flow

    def _unconfirmed(
        self, entries: list[BatchEntry[M]], confirmed: list[tuple[str, Params]]
    ) -> list[BatchEntry[M]]:
        """The entries of a stopped flush that DynamoDB did not confirm (the others counted)."""
        done = {id(request) for _, request in confirmed}
        missing = [entry for entry in entries if id(entry.wire) not in done]
        self.written += len(entries) - len(missing)
        return missing

    def _failed(
        self,
        entries: list[BatchEntry[M]],
        confirmed: list[tuple[str, Params]],
        exc: DdbwrapError,
        unsent: BatchEntry[M] | None = None,
    ) -> UnprocessedItemsError:
        """The error of a flush stopped by ``exc``: the unconfirmed entries, released so they
        may be queued again, then ``unsent`` (the write of a key already queued, which set off
        the flush: never queued)."""
        missing = self._unconfirmed(entries, confirmed)
        if unsent is not None:
            entries, missing = [*entries, unsent], [*missing, unsent]
        with self.gateway.redaction():  # the keys shown follow the gateway's redact_values
            shown = ", ".join(entry.describe() for entry in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        why = (
            "after the retry budget ran out"
            if isinstance(exc, UnprocessedItemsError)
            else f"because a request failed ({exc.message})"
        )
        return UnprocessedItemsError(
            f"batch of {self.model.__name__}: {len(missing)} of {len(entries)} writes were "
            f"not written {why} ({shown}{more}); all others were written. .unprocessed "
            "lists the BatchEntry objects: queue or send them again later",
            missing,
        )

    def _drop_pending(self) -> None:
        """Leaving the block by an exception: queued writes are dropped (and may be queued
        again)."""
        self._pending = {}


class BatchWriter(BaseBatchWriter[M]):
    """Queues puts/deletes of ``model`` and sends them with BatchWriteItem on ``flush``/exit.

    ``flush_at`` pending writes (100 unless given: four requests) trigger a flush on their own,
    bounding memory on big loads (``put``/``delete`` send only then). Leaving the ``with``
    block by an exception sends nothing more: queued writes are dropped (and may be queued
    again); what earlier flushes sent stays written.
    """

    gateway: TableGateway

    def __init__(
        self, gateway: TableGateway, model: type[M], *, flush_at: int = DEFAULT_FLUSH_AT
    ) -> None:
        super().__init__(gateway, model, flush_at=flush_at)

    def put(self, item: M) -> None:
        """Queue a put of the whole item (it replaces any stored item with this key)."""
        self._add(self._put_entry(item))

    def delete(self, key: KeyLike) -> None:
        """Queue a delete by key (a mapping of the key fields, or an instance)."""
        self._add(self._delete_entry(key))

    def _add(self, entry: BatchEntry[M]) -> None:
        identity = self._identity(entry)
        if identity in self._pending:
            self._flush(unsent=entry)
        if self._queue(entry, identity):
            self._flush()

    def flush(self) -> None:
        """Send every queued write; on any failure raise ``UnprocessedItemsError`` listing
        exactly the writes not confirmed (``written`` counts the others), which may be queued
        again: the writer stays usable."""
        self._flush()

    def _flush(self, unsent: BatchEntry[M] | None = None) -> None:
        started = self._take()
        if started is None:
            return
        entries, confirmed, flow = started
        try:
            self.gateway.run(flow)
        except DdbwrapError as exc:
            raise self._failed(entries, confirmed, exc, unsent) from exc
        self.written += len(entries)

    def __enter__(self) -> BatchWriter[M]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
        else:
            self._drop_pending()
