"""``Transaction``: all-or-nothing writes across models and tables (TransactWriteItems).

::

    with Transaction(gateway) as tx:
        tx.create(NewOrder(order_id="o1", user_id="u1"))
        tx.update(User, {"user_id": "u1"}, Update().increment("order_count"))
        tx.check(Stock, {"sku": "s1"}, Attr("count") > 0)
    # committed here; an exception inside the block discards it

Each call builds its actions at once (unique guard items included) and checks the limits
before anything is sent: at most 100 actions, never two on the same item. ``actions`` and
``params()`` show the request without sending it. A cancellation raises
``TransactionCanceledError`` whose ``reasons`` are ``ActionCancellationReason``s: one per
action, naming its operation, model, table and key, with the current item decoded and a ddbwrap
error (``VersionConflictError``, ``UniqueConstraintError``...) for those whose condition failed.

Every transaction carries a ``ClientRequestToken`` (generated unless given): calling ``commit()``
again after a network error is idempotent for 10 minutes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

from ..codec import codec_for, decode_value
from ..errors import (
    CancellationReason,
    DdbwrapError,
    TransactionCanceledError,
    ValidationError,
)
from ..expressions import Condition, Update
from ..gateway import MAX_TRANSACT_ITEMS, TableGateway, require_gateway
from ..keys import KeyLike
from ..model import DomainModel, schema_of
from . import unique
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
    current_item_request,
    decode_quietly,
    delete_plan,
    explain_failure,
    put_plan,
    unique_fields_changed,
    update_plan,
    wire_key,
)
from .timestamps import Clock, checked_now, utc_now

M = TypeVar("M", bound=DomainModel)

logger = logging.getLogger("ddbwrap.write")


@dataclass(frozen=True)
class ActionCancellationReason(CancellationReason):
    """A cancellation reason mapped back to the action it belongs to.

    ``item`` is the current item decoded as the action's model when DynamoDB returned it (the
    raw item if it does not validate); ``error`` the ddbwrap error this action's failure means.
    """

    operation: str = ""
    model: type[DomainModel] | None = None
    table: str = ""
    key: Mapping[str, Any] | None = None
    action: WriteAction | None = None
    error: DdbwrapError | None = None


def map_cancellation(
    actions: Sequence[WriteAction], exc: TransactionCanceledError
) -> TransactionCanceledError:
    """Re-state a gateway cancellation in terms of the actions that were sent."""
    reasons: list[ActionCancellationReason] = []
    failed: list[str] = []
    for reason in exc.reasons:
        action = actions[reason.index] if reason.index < len(actions) else None
        error: DdbwrapError | None = None
        item: Any = reason.item
        if action is not None:
            decoded = decode_quietly(action.model, reason.item) if not action.is_guard else None
            item = decoded if decoded is not None else reason.item
            if reason.code == "ConditionalCheckFailed":
                error = explain_failure(action, reason.item)
        reasons.append(
            ActionCancellationReason(
                index=reason.index,
                code=reason.code,
                message=reason.message,
                description=reason.description,
                item=item,
                operation=action.operation if action else "",
                model=action.model if action else None,
                table=action.table if action else "",
                key={k: decode_value(v) for k, v in action.key.items()} if action else None,
                action=action,
                error=error,
            )
        )
        if reason.code not in ("None", ""):
            what = action.describe() if action else "an unknown action"
            detail = error.message if error is not None else (reason.message or "")
            failed.append(f"action {reason.index} ({what}): {reason.code}: {detail}")
    summary = "; ".join(failed) or "no reason given"
    return TransactionCanceledError(
        f"the transaction was cancelled, nothing was written: {summary}. Inspect .reasons "
        "(.failed) for each action's model, key, current item and error",
        reasons,
    )


class Transaction:
    """Collects write actions across models and sends them as one TransactWriteItems."""

    def __init__(
        self,
        gateway: TableGateway,
        *,
        client_request_token: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if client_request_token is not None and not 1 <= len(client_request_token) <= 36:
            raise ValidationError(
                f"client_request_token must be 1 to 36 characters, got "
                f"{len(client_request_token)}; e.g. str(uuid.uuid4()) or a short id of yours"
            )
        self.gateway = require_gateway(gateway, "Transaction")
        self.client_request_token = client_request_token or str(uuid.uuid4())
        self._clock = clock
        self._actions: list[WriteAction] = []
        self._targets: dict[tuple[str, str], WriteAction] = {}
        self._committed = False

    # -- building -------------------------------------------------------------------------

    def create(self, obj: M | CreateDTO[M], *, condition: Condition | None = None) -> M:
        """Add a create (refuses to overwrite); returns the item as it will be stored."""
        model = _model_of(obj)
        plan = create_plan(model, obj, now=checked_now(self._clock), condition=condition)
        self._add(plan)
        assert plan.item is not None
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
        current = self._read(model, instance) if schema_of(model).unique else UNREAD
        plan = put_plan(
            model,
            instance,
            now=checked_now(self._clock),
            condition=condition,
            expected_version=expected_version,
            must_exist=must_exist,
            current=current,
        )
        self._add(plan)

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

        When it changes a unique field, the stored item is read now to find the guard to
        release, unless ``key`` is the instance you read (its values are then asserted).
        """
        current: Current = UNREAD
        if unique_fields_changed(model, changes):
            current = self._current(model, key)
        plan = update_plan(
            model,
            key,
            changes,
            now=checked_now(self._clock),
            condition=condition,
            expected_version=expected_version,
            current=current,
        )
        self._add(plan)

    def delete(
        self,
        model: type[M],
        key: KeyLike,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> None:
        """Add a delete (its unique guards are released in the same transaction)."""
        current = self._current(model, key) if schema_of(model).unique else UNREAD
        plan = delete_plan(
            model, key, condition=condition, expected_version=expected_version, current=current
        )
        self._add(plan)

    def check(self, model: type[M], key: KeyLike, condition: Condition) -> None:
        """Add a condition on an item that is not written: the transaction needs it to hold."""
        self._add(check_plan(model, key, condition))

    def _current(self, model: type[DomainModel], key: KeyLike) -> Current:
        if isinstance(key, model):
            return codec_for(model).encode(key)
        return self._read(model, key)

    def _read(self, model: type[DomainModel], key: KeyLike) -> Current:
        response = self.gateway.get_item(current_item_request(model, wire_key(model, key)))
        item: Current = response.get("Item")
        return item

    def _add(self, plan: WritePlan[Any]) -> None:
        if self._committed:
            raise ValidationError("this transaction was committed already; start a new one")
        total = len(self._actions) + len(plan.actions)
        if total > MAX_TRANSACT_ITEMS:
            guards = sum(1 for a in (*self._actions, *plan.actions) if a.is_guard)
            raise ValidationError(
                f"this {plan.operation} would make the transaction {total} actions long "
                f"({guards} of them unique guard items); DynamoDB allows at most "
                f"{MAX_TRANSACT_ITEMS}: split the work into several transactions"
            )
        targets: dict[tuple[str, str], WriteAction] = {}
        for action in plan.actions:
            target = (action.table, unique.owner_text(action.key))
            other = self._targets.get(target) or targets.get(target)
            if other is not None:
                raise ValidationError(
                    f"{action.describe()} touches the same item as {other.describe()}; "
                    "DynamoDB refuses two actions on one item in a transaction: combine them"
                )
            targets[target] = action
        self._targets.update(targets)
        self._actions.extend(plan.actions)

    # -- inspecting and sending -----------------------------------------------------------

    @property
    def actions(self) -> tuple[WriteAction, ...]:
        """The actions so far, in the order they will be sent (guards follow their item)."""
        return tuple(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def params(self) -> Params:
        """The TransactWriteItems request (logical table names), without sending it."""
        return {
            "TransactItems": [action.transact_item() for action in self._actions],
            "ClientRequestToken": self.client_request_token,
        }

    def commit(self) -> None:
        """Send the transaction (nothing to send is a no-op); all actions happen or none.

        Raises ``TransactionCanceledError`` with reasons mapped to the actions. After a network
        or service error, calling ``commit()`` again is safe: the request token makes it
        idempotent.
        """
        if self._committed:
            raise ValidationError("this transaction was committed already; start a new one")
        if not self._actions:
            self._committed = True
            return
        logger.debug(
            "transaction actions=%d tables=%s",
            len(self._actions),
            ",".join(sorted({a.table for a in self._actions})),
        )
        try:
            self.gateway.transact_write(
                [action.transact_item() for action in self._actions],
                client_request_token=self.client_request_token,
            )
        except TransactionCanceledError as exc:
            raise map_cancellation(self._actions, exc) from exc
        self._committed = True

    @property
    def committed(self) -> bool:
        return self._committed

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


def _model_of(obj: M | CreateDTO[M]) -> type[M]:
    """The model a create writes: the DTO's domain model, or the instance's class."""
    model: Any = type(obj).domain_model() if isinstance(obj, CreateDTO) else type(obj)
    if not (isinstance(model, type) and issubclass(model, DomainModel)):
        raise ValidationError(
            f"create takes a DomainModel instance or a CreateDTO, not {type(obj).__name__}"
        )
    return cast("type[M]", model)
