"""The transactional outbox: domain events written in the same transaction as the business
write, published from the outbox table's stream.

::

    class OrderPlaced(OutboxEvent):           # a typed event
        order_id: str
        total: Decimal

    class OutboxRecord(OutboxItem):           # the outbox table (one per service)
        class Meta:
            table_name = "outbox"
            partition_key = "event_id"
            ttl_attribute = "expires_at"
            stream = "NEW_IMAGE"

    outbox = Outbox(OutboxRecord, retention=timedelta(days=7))
    with Transaction(gateway) as tx:
        tx.create(order)
        outbox.add(tx, OrderPlaced(order_id="o1", total=Decimal("9.90")), key="order-o1-placed")

    @outbox.on(router, OrderPlaced)            # the consumer, on the outbox's stream
    def publish(message: OutboxMessage[OrderPlaced]) -> None: ...

An event exists only if its transaction committed, so the stream carries exactly the committed
events. Its ``key`` (the idempotency key, the outbox item's key) is claimed with
``attribute_not_exists``: the same event cannot be added twice (the transaction is cancelled),
and consumers, which see each record at least once, can deduplicate by ``message.event_id``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ..errors import ModelDefinitionError, ValidationError
from ..model import DomainModel, schema_of
from .change import Change
from .errors import StreamRecordError
from .router import StreamRouter

E = TypeVar("E", bound="OutboxEvent")
R = TypeVar("R", bound="OutboxItem")
_UTC = dt.timezone.utc


class OutboxEvent(BaseModel):
    """Base of typed domain events. ``event_type`` (default: the class name) is stored with
    the event and picks the class again on the consumer's side."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str] = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__ or not cls.__dict__["event_type"]:
            cls.event_type = cls.__name__


class OutboxItem(DomainModel):
    """The fields of an outbox item; subclass it with a ``Meta`` naming the outbox table
    (partition key ``event_id``; ``ttl_attribute = "expires_at"`` to purge old events)."""

    event_id: str
    event_type: str
    payload: dict[str, Any]
    occurred_at: dt.datetime
    expires_at: dt.datetime | None = None


class _Transaction(Protocol):
    def create(self, obj: Any) -> Any: ...


@dataclass(frozen=True)
class OutboxMessage(Generic[E]):
    """An event as the consumer receives it."""

    event: E
    event_id: str
    """The idempotency key: deduplicate by it (each stream record arrives at least once)."""
    occurred_at: dt.datetime
    sequence_number: str


class Outbox(Generic[R]):
    """Writes events into the outbox table ``model`` and routes them to typed consumers."""

    def __init__(
        self,
        model: type[R],
        *,
        retention: dt.timedelta | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(_UTC),
    ) -> None:
        schema = schema_of(model)
        if not issubclass(model, OutboxItem) or schema.key_fields != ("event_id",):
            raise ModelDefinitionError(
                model.__name__,
                "an outbox table model subclasses OutboxItem with partition_key = 'event_id' "
                "(and no sort key)",
            )
        if retention is not None and schema.ttl_field != "expires_at":
            raise ModelDefinitionError(
                model.__name__,
                "retention needs Meta.ttl_attribute = 'expires_at' on the outbox model",
            )
        self.model = model
        self.retention = retention
        self._clock = clock
        self._types: dict[str, type[OutboxEvent]] = {}

    def item(self, event: OutboxEvent, *, key: str | None = None) -> R:
        """The outbox item of ``event`` (``key``: its idempotency key; a new UUID if None)."""
        if not isinstance(event, OutboxEvent):
            raise ValidationError(
                f"an outbox event subclasses OutboxEvent, not {type(event).__name__}"
            )
        if key is not None and (not isinstance(key, str) or not key):
            raise ValidationError("an outbox event's key must be a non-empty string")
        now = self._clock()
        return self.model(
            event_id=key or str(uuid.uuid4()),
            event_type=event.event_type,
            # empty sets as empty lists: a dict[str, Any] field cannot hold an empty set (it
            # would read back as a list), and the event type turns them back into sets on read
            payload=_lists_for_empty_sets(event.model_dump(by_alias=True)),
            occurred_at=now,
            expires_at=now + self.retention if self.retention is not None else None,
        )

    def add(self, tx: _Transaction, event: OutboxEvent, *, key: str | None = None) -> R:
        """Add the event to a transaction (``Transaction`` or ``AsyncTransaction``): written if
        and only if the transaction commits; a key already used cancels it."""
        item: R = tx.create(self.item(event, key=key))
        return item

    # -- consuming ---------------------------------------------------------------------------

    def on(
        self, router: StreamRouter, event_type: type[E]
    ) -> Callable[[Callable[[OutboxMessage[E]], object]], Callable[[OutboxMessage[E]], object]]:
        """Decorator: call the function with every committed event of ``event_type`` that the
        router sees on the outbox table's stream (inserts; other event types are left to their
        own handlers, or ignored)."""

        def decorate(
            handler: Callable[[OutboxMessage[E]], object],
        ) -> Callable[[OutboxMessage[E]], object]:
            self.add_handler(router, event_type, handler)
            return handler

        return decorate

    def add_handler(
        self,
        router: StreamRouter,
        event_type: type[E],
        handler: Callable[[OutboxMessage[E]], object],
    ) -> None:
        """``on`` without the decorator."""
        name = event_type.event_type
        known = self._types.setdefault(name, event_type)
        if known is not event_type:
            raise ValidationError(
                f"event type {name!r} is already {known.__name__}; give "
                f"{event_type.__name__} another event_type"
            )

        def deliver(change: Change[R]) -> None:
            item = change.new
            if item is None or item.event_type != name:
                return
            handler(self.message(event_type, change))

        router.add(self.model, deliver, "insert")

    def message(self, event_type: type[E], change: Change[R]) -> OutboxMessage[E]:
        """The typed message of an outbox insert; ``StreamRecordError`` when its payload does
        not validate (names the record and the fields, never a value)."""
        item = change.new
        assert item is not None
        try:
            event = event_type.model_validate(item.payload)
        except PydanticValidationError as exc:
            errors = [
                {"loc": e["loc"], "type": e["type"], "msg": e["msg"]}
                for e in exc.errors(include_url=False)
            ]
            raise StreamRecordError(
                f"the payload of event {item.event_id!r} does not match {event_type.__name__}",
                sequence_number=change.sequence_number,
                table=change.table,
                model=event_type.__name__,
                fields=[str(e["loc"][0]) for e in errors if e["loc"]],
                errors=errors,
            ) from None
        return OutboxMessage(event, item.event_id, item.occurred_at, change.sequence_number)


def _lists_for_empty_sets(value: Any) -> Any:
    """``value`` with every empty set in it (dicts and lists) replaced by an empty list."""
    if isinstance(value, (set, frozenset)):
        return value if value else []
    if isinstance(value, dict):
        return {k: _lists_for_empty_sets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lists_for_empty_sets(v) for v in value]
    return value
