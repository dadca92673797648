"""``Transaction``: all-or-nothing writes across models and tables (TransactWriteItems).

::

    with Transaction(gateway) as tx:
        tx.create(NewOrder(order_id="o1", user_id="u1"))
        tx.update(User, {"user_id": "u1"}, Update().increment("order_count"))
        tx.check(Stock, {"sku": "s1"}, Attr("count") > 0)
    # committed here; an exception inside the block discards it

Each call builds its actions at once (unique guard items included) and checks the limits
before anything is sent: at most 100 actions, never two on the same item. Adding an action
never sends anything: a write that moves a unique guard and must read the stored item first
(an update or put of a unique field by key, a create that may replace an expired item of a
model with a TTL) is read inside ``commit()``. ``actions`` and
``params()`` show the request without sending it (once such reads are done). A cancellation raises
``TransactionCanceledError`` whose ``reasons`` are ``ActionCancellationReason``s: one per
action, naming its operation, model, table and key, with the current item decoded and a ddbwrap
error (``VersionConflictError``, ``UniqueConstraintError``...) for those whose condition failed.

Every transaction carries a ``ClientRequestToken`` (generated unless given) and, once built,
one request body: a lost response is re-sent by ``commit()`` itself with both unchanged, and
calling ``commit()`` again after an ``OutcomeUnknownError`` or a service error re-sends the very
same request, which DynamoDB applies at most once (for 10 minutes).

``BaseTransaction`` (collecting actions, the commit flow) is shared with the async twin
``ddbwrap.aio.AsyncTransaction``, which only drives the commit flow with the async driver.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

from .._engine.steps import Flow
from .._redact import follows_gateway_setting
from ..codec import codec_for
from ..errors import ValidationError
from ..expressions import Condition, Update
from ..gateway import MAX_TRANSACT_ITEMS, TableGateway, require_gateway
from ..keys import KeyLike, key_identity
from ..model import DomainModel, schema_of
from . import flows
from .cancellation import ActionCancellationReason, map_cancellation
from .dto import CreateDTO, UpdateDTO
from .locking import ExpectedVersion
from .requests import (
    UNREAD,
    Current,
    Params,
    WriteAction,
    WritePlan,
    check_plan,
    create_plan,
    delete_plan,
    put_plan,
    reads_current,
    unique_fields_changed,
    update_plan,
    wire_key,
)
from .timestamps import Clock, checked_now, utc_now

M = TypeVar("M", bound=DomainModel)

logger = logging.getLogger("ddbwrap.write")

__all__ = ["ActionCancellationReason", "BaseTransaction", "Transaction", "map_cancellation"]

Build = Callable[[Current], WritePlan[Any]]
"""Builds an action's plan from the stored item (read inside ``commit()``)."""


class BaseTransaction:
    """What ``Transaction`` and ``ddbwrap.aio.AsyncTransaction`` share (internal): collecting
    actions without I/O, and the flow ``commit()`` runs."""

    gateway: Any

    def __init__(
        self,
        gateway: Any,
        *,
        client_request_token: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if client_request_token is not None and not 1 <= len(client_request_token) <= 36:
            raise ValidationError(
                f"client_request_token must be 1 to 36 characters, got "
                f"{len(client_request_token)}; e.g. str(uuid.uuid4()) or a short id of yours"
            )
        self.gateway = self._checked_gateway(gateway)
        self.client_request_token = client_request_token or str(uuid.uuid4())
        self._clock = clock
        self._entries: list[tuple[WriteAction, ...] | _Deferred] = []
        self._targets: dict[tuple[str, tuple[Any, ...]], WriteAction] = {}
        self._committed = False

    def _checked_gateway(self, gateway: object) -> Any:
        """``gateway`` when it is the kind of gateway this facade drives (else an error)."""
        raise NotImplementedError

    # -- building -------------------------------------------------------------------------

    def create(self, obj: M | CreateDTO[M], *, condition: Condition | None = None) -> M:
        """Add a create (refuses to overwrite); returns the item as it will be stored.

        On a model with a TTL and unique fields, the stored item is read inside ``commit()``
        (as ``WriteApi.create`` reads it): an expired item the create replaces has its unique
        guards released in the same transaction.
        """
        return self._create(obj, condition)

    @follows_gateway_setting
    def _create(self, obj: M | CreateDTO[M], condition: Condition | None) -> M:
        model = _model_of(obj)
        now = checked_now(self._clock)
        plan = create_plan(model, obj, now=now, condition=condition)
        assert plan.item is not None
        if not reads_current(model, "create"):
            self._add(plan.actions)
            return plan.item

        def build(current: Current) -> WritePlan[Any]:
            return create_plan(model, obj, now=now, condition=condition, current=current)

        self._add(plan.actions[:1], _Deferred(model, plan.item, build))
        return plan.item

    def put(
        self,
        instance: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> None:
        """Add a create-or-replace of every model field (unknown attributes are kept)."""
        self._put(instance, condition, expected_version, must_exist=False)

    def replace(
        self,
        instance: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> None:
        """Add a replace of every model field of an existing item (unknown attributes kept)."""
        self._put(instance, condition, expected_version, must_exist=True)

    def _put(
        self,
        instance: M,
        condition: Condition | None,
        expected_version: ExpectedVersion,
        *,
        must_exist: bool,
    ) -> None:
        model = type(instance)
        now = checked_now(self._clock)

        def build(current: Current) -> WritePlan[Any]:
            return put_plan(
                model,
                instance,
                now=now,
                condition=condition,
                expected_version=expected_version,
                must_exist=must_exist,
                current=current,
            )

        self._add_reading(model, instance, build, read=bool(schema_of(model).unique))

    def update(
        self,
        model: type[M],
        key: KeyLike,
        changes: UpdateDTO[M] | Update,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> None:
        """Add a partial update of an existing item (see ``WriteApi.update``).

        When it changes a unique field, the stored item is read inside ``commit()`` to find
        the guard to release, unless ``key`` is the instance you read (its values are then
        asserted).
        """
        now = checked_now(self._clock)

        def build(current: Current) -> WritePlan[Any]:
            return update_plan(
                model,
                key,
                changes,
                now=now,
                condition=condition,
                expected_version=expected_version,
                current=current,
            )

        self._add_reading(model, key, build, read=unique_fields_changed(model, changes))

    def delete(
        self,
        model: type[M],
        key: KeyLike,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> None:
        """Add a delete (its unique guards are released in the same transaction)."""

        def build(current: Current) -> WritePlan[Any]:
            return delete_plan(
                model, key, condition=condition, expected_version=expected_version, current=current
            )

        self._add_reading(model, key, build, read=bool(schema_of(model).unique))

    @follows_gateway_setting
    def check(self, model: type[M], key: KeyLike, condition: Condition) -> None:
        """Add a condition on an item that is not written: the transaction needs it to hold."""
        self._add(check_plan(model, key, condition).actions)

    @follows_gateway_setting
    def _add_reading(
        self, model: type[DomainModel], key: KeyLike, build: Build, *, read: bool
    ) -> None:
        """Add an action that needs the stored item: built now from the instance given as the
        key (or when no read is needed), else deferred to ``commit()``, which reads it."""
        if not read:
            self._add(build(UNREAD).actions)
        elif isinstance(key, model):
            self._add(build(codec_for(model).encode(key)).actions)
        else:
            probe = build(None)  # checks the arguments now; sends nothing
            self._add(probe.actions[:1], _Deferred(model, key, build))

    def _add(self, actions: tuple[WriteAction, ...], deferred: _Deferred | None = None) -> None:
        """Check the limits for ``actions`` and add them (or ``deferred`` in their place)."""
        if self._committed:
            raise ValidationError("this transaction was committed already; start a new one")
        total = len(self) + len(actions)
        if total > MAX_TRANSACT_ITEMS:
            known = [a for entry in self._entries if isinstance(entry, tuple) for a in entry]
            guards = sum(1 for a in (*known, *actions) if a.is_guard)
            raise ValidationError(
                f"this {actions[0].operation} would make the transaction {total} actions long "
                f"({guards} of them unique guard items); DynamoDB allows at most "
                f"{MAX_TRANSACT_ITEMS}: split the work into several transactions"
            )
        targets: dict[tuple[str, tuple[Any, ...]], WriteAction] = {}
        for action in actions:
            target = (action.table, key_identity(action.key, sorted(action.key)))
            other = self._targets.get(target) or targets.get(target)
            if other is not None:
                raise ValidationError(
                    f"{action.describe()} touches the same item as {other.describe()}; "
                    "DynamoDB refuses two actions on one item in a transaction: combine them"
                )
            targets[target] = action
        self._targets.update(targets)
        self._entries.append(actions if deferred is None else deferred)

    # -- inspecting and sending -----------------------------------------------------------

    @property
    def actions(self) -> tuple[WriteAction, ...]:
        """The actions, in the order they will be sent (guards follow their item).

        Raises ``ValidationError`` while an action waits for the read ``commit()`` makes.
        """
        return tuple(self._built())

    def __len__(self) -> int:
        """How many actions so far (a write waiting for its read counts as one)."""
        return sum(len(entry) if isinstance(entry, tuple) else 1 for entry in self._entries)

    def params(self) -> Params:
        """The TransactWriteItems request (logical table names), without sending it."""
        return {
            "TransactItems": [action.transact_item() for action in self._built()],
            "ClientRequestToken": self.client_request_token,
        }

    def _built(self) -> list[WriteAction]:
        waiting = [e.model.__name__ for e in self._entries if isinstance(e, _Deferred)]
        if waiting:
            raise ValidationError(
                "this transaction's request is known once commit() has read the items of its "
                f"writes that move unique values ({', '.join(waiting)}): updates, puts and "
                "deletes of unique fields, creates that may replace an expired item; pass the "
                "instance you read as the key to build an update, put or delete at once"
            )
        return [action for entry in self._entries if isinstance(entry, tuple) for action in entry]

    def _commit_flow(self) -> Flow[None]:
        """What ``commit()`` runs: once (a second commit is an error), marked done at its end."""
        if self._committed:
            raise ValidationError("this transaction was committed already; start a new one")
        yield from self._commit()
        self._committed = True

    def _commit(self) -> Flow[None]:
        if any(isinstance(entry, _Deferred) for entry in self._entries):
            yield from self._read_deferred()
        actions = self._built()
        if not actions:
            return
        logger.debug(
            "transaction actions=%d tables=%s",
            len(actions),
            ",".join(sorted({a.table for a in actions})),
        )
        yield from flows.transact(self.gateway.retry, actions, token=self.client_request_token)

    def _read_deferred(self) -> Flow[None]:
        """Read the items deferred writes need and fix the body for every later attempt."""
        built: list[tuple[WriteAction, ...]] = []
        for entry in self._entries:
            if isinstance(entry, _Deferred):
                wkey = wire_key(entry.model, entry.key)
                current = yield from flows.read_current(self.gateway.retry, entry.model, wkey)
                built.append(entry.build(current).actions)
            else:
                built.append(entry)
        entries, targets = self._entries, self._targets
        self._entries, self._targets = [], {}
        try:
            for actions in built:
                self._add(actions)
        except ValidationError:
            self._entries, self._targets = entries, targets
            raise

    @property
    def committed(self) -> bool:
        return self._committed


class Transaction(BaseTransaction):
    """Collects write actions across models and sends them as one TransactWriteItems."""

    gateway: TableGateway

    def __init__(
        self,
        gateway: TableGateway,
        *,
        client_request_token: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(gateway, client_request_token=client_request_token, clock=clock)

    def _checked_gateway(self, gateway: object) -> TableGateway:
        return require_gateway(gateway, "Transaction")

    def commit(self) -> None:
        """Send the transaction (nothing to send is a no-op); all actions happen or none.

        Reads what deferred actions need, then sends one request; a lost response is re-sent
        with the same token and body. Raises ``TransactionCanceledError`` with reasons mapped
        to the actions. After an ``OutcomeUnknownError`` or a service error, calling
        ``commit()`` again re-sends the same request (idempotent for 10 minutes).
        """
        self.gateway.run(self._commit_flow())

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._committed:
            self.commit()


@dataclass(frozen=True)
class _Deferred:
    """A write that needs its stored item, read inside ``commit()``."""

    model: type[DomainModel]
    key: KeyLike
    build: Build


def _model_of(obj: M | CreateDTO[M]) -> type[M]:
    """The model a create writes: the DTO's domain model, or the instance's class."""
    model: Any = type(obj).domain_model() if isinstance(obj, CreateDTO) else type(obj)
    if not (isinstance(model, type) and issubclass(model, DomainModel)):
        raise ValidationError(
            f"create takes a DomainModel instance or a CreateDTO, not {type(obj).__name__}"
        )
    return cast("type[M]", model)
