"""Pure request builders and failure interpreters of the write side: no I/O here.

Every write is three steps: build a ``WritePlan`` (these functions), send it (the gateway: one
PutItem/UpdateItem/DeleteItem, or one TransactWriteItems when guard items are involved), and
transform the response. A plan is an ordinary value, so a test (or a curious user) can look at
the exact requests a write would send::

    plan = update_plan(User, {"user_id": "u1"}, Rename(name="Ada"), expected_version=3, now=now)
    plan.requests()   # [("UpdateItem", {"TableName": "users", "Key": ..., ...})]

Requests carry the *logical* table name; the gateway maps it to the physical one. Every name
goes through a ``#n`` placeholder and every value through a ``:v`` placeholder.

How a plan is built: the caller's changes become update actions as data (an ``UpdateDTO``'s
fields here, an ``Update()`` through ``Update.clauses``); the write hooks
(``ddbwrap.write.hooks``: existence, timestamps, version, unique guards) add theirs in one
fixed order; the caller's condition comes last; and the whole ``WriteExpression`` is rendered
once with one ``Placeholders``. An action keeps that data (``WriteAction.expression``), which
is what ``WritePlan.is_own_write`` and ``WritePlan.is_idempotent`` reason about.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .._redact import loc_text, shown
from ..codec import AttributeValue, Item, ItemCodec, codec_for, decode_value, key_description
from ..errors import (
    AlreadyExistsError,
    ConditionFailedError,
    CorruptItemError,
    DdbwrapError,
    ItemNotFoundError,
    UniqueConstraintError,
    ValidationError,
    VersionConflictError,
)
from ..expressions import And, Comparison, Condition, Not, Or, Update, resolve
from ..expressions._clauses import (
    AttributeCheck,
    CallerCondition,
    ConditionPart,
    UpdateAction,
    WriteExpression,
    make_action,
    same_value,
    value_at,
)
from ..expressions.paths import Path
from ..gateway import transact_write_request
from ..keys import KeyLike, key_fields, text_key_reader
from ..model import DomainModel, schema_of
from ..schema import TableSchema
from . import unique
from .dto import CreateDTO, UpdateDTO
from .hooks import (
    UNREAD,
    Current,
    GuardMove,
    Operation,
    PendingWrite,
    apply_hooks,
    server_values,
    stored_value,
    with_server_attributes,
)
from .locking import ExpectedVersion, resolve_expected

__all__ = [  # UNREAD and Current live in write.hooks; callers of the builders import them here
    "UNREAD",
    "ActionKind",
    "Current",
    "Params",
    "StaleUniqueValueError",
    "WriteAction",
    "WritePlan",
    "check_plan",
    "condition_text",
    "create_plan",
    "current_item_request",
    "decode_quietly",
    "delete_plan",
    "explain_failure",
    "first_failure",
    "key_values",
    "new_instance",
    "put_plan",
    "reads_current",
    "unique_fields_changed",
    "update_plan",
    "validation_details",
    "wire_key",
]

M = TypeVar("M", bound=DomainModel)

Params = dict[str, Any]
ActionKind = Literal["Put", "Update", "Delete", "ConditionCheck"]


# --- plans ----------------------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class WriteAction:
    """One item-level write: its wire parameters plus what is needed to explain a failure."""

    kind: ActionKind
    operation: str
    """create | put | replace | update | delete | check | claim (a guard) | release (a guard)"""
    model: type[DomainModel]
    """The model written (for a guard: the model whose unique value it guards)."""
    table: str
    """Logical table name."""
    key: Item
    params: Params
    """The request body, without ``ReturnValues`` options (valid inside a transaction)."""
    condition: str | None = None
    """The caller's condition as written (``str`` of the builder), for messages."""
    expected_version: int | None = None
    must_exist: bool = False
    must_not_exist: bool = False
    unique_field: str | None = None
    unique_value: Any = None
    seen_unique: Mapping[str, AttributeValue | None] | None = None
    """Stored values of unique attributes this write assumed (None: did not assume)."""
    assumed_missing: bool = False
    """The write was computed from a read that found no item (its guards depend on that)."""
    expression: WriteExpression | None = None
    """The update actions and condition parts ``params`` were rendered from (None: a guard)."""

    def __init__(
        self,
        kind: ActionKind,
        operation: str,
        model: type[DomainModel],
        table: str,
        key: Item,
        params: Params,
        condition: str | None = None,
        expected_version: int | None = None,
        must_exist: bool = False,
        must_not_exist: bool = False,
        unique_field: str | None = None,
        unique_value: Any = None,
        seen_unique: Mapping[str, AttributeValue | None] | None = None,
        assumed_missing: bool = False,
        expression: WriteExpression | None = None,
    ) -> None:
        # the fields above, filled at once: the generated frozen __init__ sets them one by one
        # through object.__setattr__, which doubles the cost of building every plan
        object.__setattr__(self, "__dict__", {
            "kind": kind, "operation": operation, "model": model, "table": table, "key": key,
            "params": params, "condition": condition, "expected_version": expected_version,
            "must_exist": must_exist, "must_not_exist": must_not_exist,
            "unique_field": unique_field, "unique_value": unique_value,
            "seen_unique": seen_unique, "assumed_missing": assumed_missing,
            "expression": expression,
        })  # fmt: skip

    @property
    def is_guard(self) -> bool:
        return self.unique_field is not None

    def transact_item(self) -> Params:
        """This action as one entry of ``TransactItems``."""
        return {self.kind: dict(self.params)}

    def describe(self) -> str:
        """``update of User {user_id='u1'} in table 'users'`` (never an item value)."""
        if self.is_guard:
            return (
                f"{self.operation} of the unique guard {self.model.__name__}.{self.unique_field}"
                f"={shown(self.unique_value, unique=True)} in table {self.table!r}"
            )
        return (
            f"{self.operation} of {self.model.__name__} {key_description(self.key)} "
            f"in table {self.table!r}"
        )


@dataclass(frozen=True, init=False)
class WritePlan(Generic[M]):
    """The requests of one write operation: a single action, or actions for one transaction."""

    operation: str
    model: type[M]
    key: Item
    actions: tuple[WriteAction, ...]
    item: M | None = None
    """The item as it will be stored, when the plan knows it exactly (create)."""
    return_values: Literal["ALL_NEW", "ALL_OLD", "NONE"] = "NONE"
    """What a single-item request asks back (transactions return nothing)."""

    def __init__(
        self,
        operation: str,
        model: type[M],
        key: Item,
        actions: tuple[WriteAction, ...],
        item: M | None = None,
        return_values: Literal["ALL_NEW", "ALL_OLD", "NONE"] = "NONE",
    ) -> None:
        # filled at once, as WriteAction's
        object.__setattr__(self, "__dict__", {
            "operation": operation, "model": model, "key": key, "actions": actions,
            "item": item, "return_values": return_values,
        })  # fmt: skip

    @property
    def main(self) -> WriteAction:
        """The action on the item itself (guards follow it)."""
        return self.actions[0]

    @property
    def transactional(self) -> bool:
        """True when the plan is sent as one TransactWriteItems."""
        return len(self.actions) > 1

    def requests(self, *, idempotent: bool = False) -> list[tuple[str, Params]]:
        """``[(operation, params)]`` exactly as they will be handed to the gateway (but for a
        transaction's ``ClientRequestToken``: each send adds its own); ``idempotent``: a
        single write sent as a one-action transaction."""
        if self.transactional or idempotent:
            params = transact_write_request([action.transact_item() for action in self.actions])
            del params["ClientRequestToken"]
            return [("TransactWriteItems", params)]
        action = self.main
        params = dict(action.params)
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if self.return_values != "NONE":
            params["ReturnValues"] = self.return_values
        operation = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}[action.kind]
        return [(operation, params)]

    def is_own_write(self, stored: Mapping[str, AttributeValue] | None) -> bool:
        """True when ``stored`` (the item now under this plan's key, raw: what
        ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` returned, or a consistent read; None or
        empty when there is none) shows that THIS plan's write was applied.

        Judged on the main action (a transaction is atomic: its item shows it or nothing does):

        - a delete: the item is absent;
        - a create (Put of the whole item): every attribute of the item is stored with exactly
          the value sent;
        - a put, replace or update (UpdateItem): the item holds the key, every attribute SET to
          an absolute value is stored with exactly that value (the new ``updated_at`` too),
          every REMOVEd one is absent, every ``if_not_exists`` target is present (its value is
          the stored one or this write's, either way what the write leaves); when the plan
          required a version, the bump counts as the absolute value ``expected + 1``. Relative
          actions (counters, ``ADD``, appends, set ``DELETE``, a bump without a known version,
          anything at a list index) cannot be checked by value, so a plan with any is claimed
          only when the version proves it: bumped to a known value, and that value stored (a
          version check lets exactly one write go from the version read to the next);
        - a check: never (it writes nothing).

        Values compare as stored (``1.50`` equals ``1.5``, set elements in any order). What
        the item cannot tell: another writer that stored exactly the same absolute values —
        and, for relative actions, read the same version — is taken for this one. For absolute
        values that is harmless (the item is as this write would leave it); for relative ones
        it needs a concurrent writer with the same version and values, and ``updated_at``
        (this write's ``now``, to the microsecond) rules it out on a timestamped model.
        """
        action = self.main
        if action.kind == "Delete":
            return not stored
        if not stored or action.kind == "ConditionCheck":
            return False
        if action.kind == "Put":
            return _holds_all(stored, action.params["Item"])
        assert action.expression is not None
        version = schema_of(self.model).version_attribute
        updates = action.expression.updates
        return _holds_all(stored, action.key) and _shows_update(
            version, action.expected_version, updates, stored
        )

    def resend_hazards(self) -> tuple[str, ...]:
        """Why sending this plan's request a second time, right after it was applied, would
        not give the same outcome (stored item and response); empty when it would.

        - a relative update action (increment/decrement, append/prepend, ``ADD``, set
          ``DELETE``, anything at a list index) — including the version bump — applies again;
        - a condition that may no longer hold once the write is applied fails the re-send:
          ``attribute_not_exists`` of a created item, a version check (the write bumped it), a
          unique value the write changed, any check of a deleted item but absence, and the
          caller's condition when it reads an attribute the write changes (for a delete:
          always). A condition on attributes the write leaves alone holds again, since it held
          for the write itself;
        - a unique guard claim (``attribute_not_exists`` on the guard) fails once claimed;
          a release (``attribute_not_exists OR owner = me``) holds again;
        - a single request returning the old item (``delete(return_old=True)``) returns
          nothing the second time.
        """
        hazards: list[str] = []
        for action in self.actions:
            hazards.extend(_action_hazards(action))
        if self.return_values == "ALL_OLD" and not self.transactional:
            hazards.append("it returns the old item, which a re-send no longer finds")
        return tuple(hazards)

    def is_idempotent(self) -> bool:
        """True when re-sending the plan's request right after it was applied cannot change
        the outcome: no ``resend_hazards()`` (see there for the rules). Idempotent plans are,
        e.g., a put/update of an unversioned model without unique fields, counters or a
        caller's condition on what it writes, and a delete without a version check, condition
        or ``return_old``; creates, versioned writes and counters are not."""
        return not self.resend_hazards()


def _holds_all(stored: Mapping[str, AttributeValue], item: Mapping[str, AttributeValue]) -> bool:
    """Every attribute of ``item`` is in ``stored`` with the same value."""
    for attribute, av in item.items():
        found = stored.get(attribute)
        if found is None or not same_value(found, av):
            return False
    return True


def _shows_update(
    version: str | None,
    expected: int | None,
    updates: Sequence[UpdateAction],
    stored: Mapping[str, AttributeValue],
) -> bool:
    """The UpdateItem rules of ``WritePlan.is_own_write``."""
    bumped = None if expected is None or version is None else (version,)
    relative = False
    for action in updates:
        update = action
        if action.path == bumped and action.form == "increment":
            assert expected is not None
            update = UpdateAction("set", action.path, {"N": str(expected + 1)})
        if update.relative:
            relative = True
            continue
        found = value_at(stored, update.path)
        if update.form == "remove":
            if found is not None:
                return False
        elif found is None:
            return False  # SET and if_not_exists: present after the write
        elif update.form == "set" and not same_value(found, update.value or {}):
            return False
    return not relative or bumped is not None


_UNCHANGED: Any = object()
_UNKNOWN: Any = object()


def _after(action: WriteAction, attribute: str) -> Any:
    """What ``attribute`` holds once the action is applied: an AttributeValue, None (missing),
    ``_UNCHANGED`` (what it held before) or ``_UNKNOWN``."""
    if action.kind == "Delete":
        return None
    if attribute in action.key:
        return action.key[attribute]
    if action.kind == "Put":
        return action.params["Item"].get(attribute)
    assert action.expression is not None
    on = [u for u in action.expression.updates if u.attribute == attribute]
    if not on:
        return _UNCHANGED
    if len(on) == 1 and on[0].path == (attribute,) and on[0].form in ("set", "remove"):
        return on[0].value
    return _UNKNOWN


def _action_hazards(action: WriteAction) -> Iterable[str]:
    where = action.describe()
    if action.is_guard:
        if action.operation == "claim":
            yield f"{where}: its attribute_not_exists condition fails once it is claimed"
        return
    if action.expression is None:
        return
    for update in action.expression.updates:
        if update.relative:
            path = ".".join(str(s) for s in update.path)
            yield f"{where}: {update.form} of {path!r} would be applied again"
    for part in action.expression.conditions:
        if not _holds_after(action, part):
            what = (
                "the caller's condition"
                if isinstance(part, CallerCondition)
                else f"the condition {part.test} on {part.attribute!r}"
            )
            yield f"{where}: {what} may not hold once the write is applied"


def _holds_after(action: WriteAction, part: ConditionPart) -> bool:
    """Whether ``part`` surely holds again right after ``action`` was applied."""
    if action.kind == "ConditionCheck":
        return True
    if isinstance(part, CallerCondition):
        if action.kind == "Delete":
            return False
        reads = _reads(part.condition, part.model)
        return reads is not None and all(_after(action, a) is _UNCHANGED for a in reads)
    state = _after(action, part.attribute)
    held = state is _UNCHANGED or (state is not _UNKNOWN and part.holds_on(state))
    if held and part.test == "exists_and_live" and part.ttl is not None:
        ttl = _after(action, part.ttl)  # the write may set the TTL: live again only if future
        if ttl is _UNKNOWN:
            return False
        if ttl is not _UNCHANGED and ttl is not None:
            try:
                return bool(Decimal(ttl["N"]) > Decimal((part.value or {"N": "0"})["N"]))
            except (KeyError, TypeError, ArithmeticError, ValueError):
                return False
    return held


def _reads(condition: Condition, model: type[BaseModel]) -> set[str] | None:
    """The top-level stored attributes a condition reads (None: a condition of unknown shape)."""
    if isinstance(condition, (And, Or)):
        parts: Sequence[Condition] = condition.parts
    elif isinstance(condition, Not):
        parts = (condition.inner,)
    elif isinstance(condition, Comparison):
        operands = (condition.subject, *(a for a in condition.args if hasattr(a, "path")))
        return {str(resolve(model, operand.path).stored[0]) for operand in operands}
    else:
        return None
    reads: set[str] = set()
    for part in parts:
        found = _reads(part, model)
        if found is None:
            return None
        reads |= found
    return reads


# --- keys and values ------------------------------------------------------------------------


def key_values(model: type[DomainModel], key: KeyLike) -> dict[str, Any]:
    """The validated primary-key field values of ``key`` (a mapping or a model instance)."""
    return key_fields(model, schema_of(model).key_fields, key, {}, "primary key")


def wire_key(model: type[DomainModel], key: KeyLike) -> Item:
    """The primary key in wire form (the common text key read in one pass)."""
    read = text_key_reader(model)
    checked = read(key) if read is not None else None
    if checked is not None:
        return checked[1]
    return codec_for(model).key(key_values(model, key))


def current_item_request(model: type[DomainModel], wkey: Item) -> Params:
    """GetItem of the stored item a write is computed from: consistent, so it is the latest."""
    return {"TableName": schema_of(model).table_name, "Key": wkey, "ConsistentRead": True}


def condition_text(condition: Condition | None) -> str | None:
    """How a condition reads in messages: as it was written, ``(Attr('n') > 5) & ...``.

    Uses the builder's own ``__str__`` when it has one; otherwise renders the builder's
    (public, frozen) structure the same way.
    """
    if condition is None:
        return None
    if type(condition).__str__ is not object.__str__:
        return str(condition)
    return _render_condition(condition)


_INFIX = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_METHODS = {
    "between": "between",
    "in": "is_in",
    "begins_with": "begins_with",
    "contains": "contains",
    "exists": "exists",
    "not_exists": "not_exists",
    "attribute_type": "attribute_type",
}


def _render_operand(operand: Any) -> str:
    path = getattr(operand, "path", None)
    if path is None:
        return repr(operand)
    text = f"Attr({str(path)!r})"
    return text + ".size()" if type(operand).__name__ == "_SizeRef" else text


def _render_condition(condition: Any) -> str:
    parts = getattr(condition, "parts", None)
    if isinstance(condition, Condition) and parts is not None:
        joiner = " & " if type(condition).__name__ == "And" else " | "
        return joiner.join(f"({_render_condition(p)})" for p in parts)
    inner = getattr(condition, "inner", None)
    if inner is not None:
        return f"~({_render_condition(inner)})"
    op = getattr(condition, "op", None)
    subject = getattr(condition, "subject", None)
    if op is None or subject is None:
        return repr(condition)
    args = [_render_operand(a) if hasattr(a, "path") else shown(a) for a in condition.args]
    if op in _INFIX:
        return f"{_render_operand(subject)} {_INFIX[op]} {args[0]}"
    if op == "in":
        return f"{_render_operand(subject)}.is_in([{', '.join(args)}])"
    return f"{_render_operand(subject)}.{_METHODS.get(op, op)}({', '.join(args)})"


# --- building actions -----------------------------------------------------------------------


def _guard_action(model: type[DomainModel], move: GuardMove, owner: Item) -> WriteAction:
    schema = schema_of(model)
    assert schema.unique_table is not None
    kind: ActionKind
    if move.operation == "claim":
        params = unique.claim_params(schema, move.field, move.value, owner)
        kind = "Put"
    else:
        params = unique.release_params(schema, move.field, move.value, owner)
        kind = "Delete"
    return WriteAction(
        kind=kind,
        operation=move.operation,
        model=model,
        table=schema.unique_table,
        key=unique.guard_key(schema, move.field, move.value),
        params=params,
        unique_field=move.field,
        unique_value=decode_value(move.value),
    )


def _check_model(model: type[DomainModel], instance: object, operation: str) -> None:
    if not isinstance(instance, model):
        raise ValidationError(
            f"{operation} takes a {model.__name__} (or a CreateDTO[{model.__name__}]), not "
            f"{type(instance).__name__}",
            model=model.__name__,
        )


def _check_dto(
    model: type[DomainModel], dto: CreateDTO[Any] | UpdateDTO[Any], operation: str
) -> None:
    """Refuse a DTO of another model, naming the model it writes."""
    domain = type(dto).domain_model()
    if domain is not model:
        kind = "a CreateDTO" if isinstance(dto, CreateDTO) else "an UpdateDTO"
        raise ValidationError(
            f"{operation} takes {kind}[{model.__name__}], not a {type(dto).__name__} "
            f"({kind}[{domain.__name__}])",
            model=model.__name__,
        )


def validation_details(exc: PydanticValidationError) -> str:
    """``field: message; ...`` of a pydantic error, for a ddbwrap ValidationError's text."""
    return "; ".join(loc_text(e["loc"]) + ": " + e["msg"] for e in exc.errors(include_url=False))


def _target(
    model: type[DomainModel], key: KeyLike, expected_version: ExpectedVersion, operation: str
) -> tuple[int | None, Item]:
    """The version a write of ``key`` expects (from ``key`` when it is an instance) and the
    key in wire form."""
    instance = key if isinstance(key, model) else None
    expected = resolve_expected(schema_of(model), expected_version, instance, operation)
    return expected, wire_key(model, key)


def _plan(
    operation: Operation,
    kind: ActionKind,
    write: PendingWrite,
    changes: Sequence[UpdateAction],
    condition: Condition | None,
    *,
    item: Item | None = None,
    whole: Item | None = None,
) -> tuple[WriteAction, ...]:
    """Run the hooks on ``write`` and build its actions: the item's own, then the unique
    guards' moves. A Put sends ``item``; the others send the key.

    The item's update actions are the caller's partial ``changes``, then the hooks' actions,
    then — for a whole-item UpdateItem (put/replace) — a SET of every attribute of ``whole``
    and a REMOVE of every model attribute it lacks, except the keys and what hooks own. Its
    conditions are the hooks', then the caller's ``condition``. All of it is rendered once.
    """
    model, schema = write.model, write.schema
    modification = apply_hooks(write)
    updates = (*changes, *modification.updates)
    if whole is not None:
        skip = {k.attribute for k in schema.key_attributes} | modification.owns
        known = set(schema.field_attributes.values()) | set(schema.index_key_attributes)
        sets = [make_action(("set", (a,), av)) for a, av in whole.items() if a not in skip]
        removes = [make_action(("remove", (a,), None)) for a in sorted(known - skip - set(whole))]
        updates = (*updates, *sets, *removes)
    conditions = expiry_checks(schema, modification.conditions, write.now)
    if condition is not None:
        if not isinstance(condition, Condition):
            raise ValidationError(
                f"condition= takes a condition built with Attr(...), not "
                f"{type(condition).__name__}",
                model=model.__name__,
            )
        conditions = (*conditions, CallerCondition(condition, model))
    expression = WriteExpression(updates, conditions)
    params: Params = {"TableName": schema.table_name}
    if item is not None:
        params["Item"] = item
    else:
        params["Key"] = write.key
    expression.render(params, update=kind == "Update")
    main = WriteAction(
        kind,
        operation,
        model,
        schema.table_name,
        write.key,
        params,
        None if condition is None else condition_text(condition),
        write.expected_version,
        write.must_exist,
        operation == "create",  # must_not_exist
        None,  # unique_field: not a guard
        None,  # unique_value
        modification.seen_unique,
        modification.assumed_missing,
        expression,
    )
    if not modification.guards:
        return (main,)
    return (main, *(_guard_action(model, move, write.key) for move in modification.guards))


def expiry_checks(
    schema: TableSchema, conditions: tuple[ConditionPart, ...], now: dt.datetime | None
) -> tuple[ConditionPart, ...]:
    """The existence checks of a model with a TTL attribute, made to treat an expired item
    (TTL at or before ``now``; DynamoDB may keep it for days) as gone: a create replaces it
    (``attribute_not_exists(pk) OR ttl <= now``), a write that needs the item refuses it
    (``attribute_exists(pk) AND (attribute_not_exists(ttl) OR ttl > now)``)."""
    ttl = schema.ttl_attribute
    if ttl is None or now is None or not conditions:
        return conditions
    pk = schema.partition_key.attribute
    stamp: AttributeValue = {"N": str(int(now.timestamp()))}
    out: list[ConditionPart] = []
    tests: dict[str, Any] = {"not_exists": "not_exists_or_expired", "exists": "exists_and_live"}
    for part in conditions:
        if isinstance(part, AttributeCheck) and part.attribute == pk and part.test in tests:
            out.append(AttributeCheck(tests[part.test], pk, stamp, ttl))
        else:
            out.append(part)
    return tuple(out)


def expired_at(action: WriteAction, old: Mapping[str, Any] | None) -> bool:
    """True when ``old`` (the stored item) had expired by the time ``action`` was built: its
    TTL (a Number) at or before the ``now`` of the action's TTL-aware existence check."""
    if not old or action.expression is None:
        return False
    for part in action.expression.conditions:
        if isinstance(part, AttributeCheck) and part.ttl is not None and part.value:
            stored = old.get(part.ttl)
            if not (isinstance(stored, Mapping) and "N" in stored):
                return False
            try:
                return Decimal(stored["N"]) <= Decimal(part.value["N"])
            except (ArithmeticError, ValueError):
                return False
    return False


# --- create ---------------------------------------------------------------------------------


def new_instance(model: type[M], obj: M | CreateDTO[M], now: dt.datetime) -> M:
    """The item ``create`` stores: from a CreateDTO (validated by ``M``) or an instance, with the
    server-managed fields set (version 1, created_at = updated_at = now)."""
    server = server_values(schema_of(model), "create", now)
    if isinstance(obj, CreateDTO):
        _check_dto(model, obj, "create")
        try:
            return model.model_validate({**obj.values(), **server})
        except PydanticValidationError as exc:
            raise ValidationError(
                f"the CreateDTO {type(obj).__name__} does not make a valid {model.__name__}: "
                f"{validation_details(exc)}",
                model=model.__name__,
            ) from None
    _check_model(model, obj, "create")
    return obj.model_copy(update=server)


def _unique_values(model: type[DomainModel], item: Item) -> dict[str, AttributeValue | None]:
    """The stored values a whole item gives the model's unique fields."""
    schema = schema_of(model)
    return {name: item.get(schema.field_attributes[name]) for name in schema.unique}


def create_plan(
    model: type[M],
    obj: M | CreateDTO[M],
    *,
    now: dt.datetime,
    condition: Condition | None = None,
    current: Current = UNREAD,
) -> WritePlan[M]:
    """Store a new item; refuse to overwrite (``attribute_not_exists`` on the partition key).

    With unique fields, one guard claim per non-empty unique value joins the same transaction;
    ``current``, an expired item read under the key (a model with a TTL), has its guards
    released in it too.
    """
    codec = codec_for(model)
    instance = new_instance(model, obj, now)
    item = with_server_attributes(schema_of(model), "create", codec.encode(instance))
    key = codec.key_of(instance)
    write = PendingWrite(
        "create",
        model,
        schema_of(model),
        key,
        now,
        current=current,
        unique_values=_unique_values(model, item),
    )
    actions = _plan("create", "Put", write, (), condition, item=item)
    # what a read of the stored item returns: aware UTC datetimes, TTL in whole seconds
    return WritePlan("create", model, key, actions, item=codec.stored_instance(instance))


# --- put / replace --------------------------------------------------------------------------


def put_plan(
    model: type[M],
    instance: M,
    *,
    now: dt.datetime,
    condition: Condition | None = None,
    expected_version: ExpectedVersion = None,
    must_exist: bool = False,
    current: Current = UNREAD,
) -> WritePlan[M]:
    """Create or replace (``must_exist=True``: replace only) every model field of an item.

    Sent as an UpdateItem that SETs each field's stored form and REMOVEs model attributes the
    instance leaves out, so attributes the model does not know (another service's) survive.
    ``created_at`` keeps its stored value (set only when missing); the version is checked and
    incremented; ``updated_at`` is now.
    """
    operation: Operation = "replace" if must_exist else "put"
    _check_model(model, instance, operation)
    schema = schema_of(model)
    codec = codec_for(model)
    expected = resolve_expected(schema, expected_version, instance, operation)
    item = codec.encode(instance.model_copy(update=server_values(schema, operation, now)))
    item = with_server_attributes(schema, operation, item)
    key = codec.key_of(instance)
    unique_values = _unique_values(model, item)
    write = PendingWrite(
        operation,
        model,
        schema,
        key,
        now,
        expected,
        must_exist,
        current,
        unique_values=unique_values,
    )
    actions = _plan(operation, "Update", write, (), condition, whole=item)
    return WritePlan(operation, model, key, actions, return_values="ALL_NEW")


# --- update ---------------------------------------------------------------------------------


def update_plan(
    model: type[M],
    key: KeyLike,
    changes: UpdateDTO[M] | Update,
    *,
    now: dt.datetime,
    condition: Condition | None = None,
    expected_version: ExpectedVersion = None,
    must_exist: bool = True,
    current: Current = UNREAD,
) -> WritePlan[M]:
    """Write only what ``changes`` says: the fields an UpdateDTO's caller set (None removes the
    attribute), or the actions of an ``Update`` builder; nothing else on the item is touched.

    Index key templates built from changed fields are rebuilt (all their parts must be set).
    """
    expected, wkey = _target(model, key, expected_version, "update")
    new_unique: dict[str, AttributeValue | None] = {}
    caller: Sequence[UpdateAction]
    if isinstance(changes, UpdateDTO):
        caller, touched = _dto_actions(model, codec_for(model), changes, new_unique)
    elif isinstance(changes, Update):
        caller, touched = _builder_actions(model, changes)
    else:
        raise ValidationError(
            f"update takes an UpdateDTO[{model.__name__}] or an Update(), not "
            f"{type(changes).__name__}",
            model=model.__name__,
        )
    if not must_exist:
        _check_bare_item(model, key_values(model, key), touched, now)
    write = PendingWrite(
        "update",
        model,
        schema_of(model),
        wkey,
        now,
        expected,
        must_exist,
        current,
        touched,
        new_unique,
    )
    actions = _plan("update", "Update", write, caller, condition)
    return WritePlan("update", model, wkey, actions, return_values="ALL_NEW")


def _check_bare_item(
    model: type[DomainModel], key: Mapping[str, Any], touched: frozenset[str], now: dt.datetime
) -> None:
    """An update that may create the item must not create one the model cannot read back:
    every required field must be in the key, set by the update, or server-managed."""
    server = server_values(schema_of(model), "create", now)
    try:
        model.model_validate({**key, **server})
    except PydanticValidationError as exc:
        missing = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]} - touched)
        if not missing:
            return
        raise ValidationError(
            f"an update that may create the item (upsert) would store an item without "
            f"{', '.join(missing)}, which {model.__name__} requires; upsert with an UpdateDTO "
            "that sets them, or give them defaults",
            model=model.__name__,
        ) from None


def reads_current(
    model: type[DomainModel], operation: str, changes: UpdateDTO[Any] | Update | None = None
) -> bool:
    """True when ``operation`` on ``model`` reads the stored item first: to move unique guards
    (a put, a delete, an update of a unique field), or to release an expired item's (a create
    on a model with a TTL)."""
    schema = schema_of(model)
    if not schema.unique:
        return False
    if operation == "create":
        return schema.ttl_attribute is not None
    if operation == "update":
        return changes is not None and unique_fields_changed(model, changes)
    return True


def unique_fields_changed(model: type[DomainModel], changes: UpdateDTO[Any] | Update) -> bool:
    """True when an update touches a unique field (so guards may move and the item is read)."""
    schema = schema_of(model)
    if isinstance(changes, UpdateDTO):
        return any(name in schema.unique for name in changes.model_fields_set)
    return False


def _dto_actions(
    model: type[DomainModel],
    codec: ItemCodec[Any],
    dto: UpdateDTO[Any],
    new_unique: dict[str, AttributeValue | None],
) -> tuple[list[UpdateAction], frozenset[str]]:
    schema = schema_of(model)
    _check_dto(model, dto, "update")
    changes = dto.changes()
    if not changes:
        raise ValidationError(
            f"the {type(dto).__name__} sets no field, so there is nothing to update; set at "
            "least one field (fields left out are not written)",
            model=model.__name__,
        )
    actions: list[UpdateAction] = []
    for name, value in changes.items():
        attribute = schema.field_attributes[name]
        # None REMOVEs the attribute, unless the field stores NULL (codec.null_fields)
        av = codec.encode_field(name, value)
        actions.append(make_action(("remove" if av is None else "set", (attribute,), av)))
        if name in schema.unique:
            new_unique[name] = None if value is None else av
    for key in schema.index_key_attributes.values():
        template = key.template
        if template is None or key in schema.key_attributes:
            continue
        parts = set(template.fields)
        given = parts & set(changes)
        if not given:
            continue
        if given != parts:
            missing = sorted(parts - given)
            raise ValidationError(
                f"sets {', '.join(sorted(given))} but not {', '.join(missing)}: key template "
                f"{template.pattern!r} (stored as {key.attribute!r}) is rebuilt from all its "
                f"parts, so set {', '.join(missing)} too (to their current values if unchanged)",
                model=model.__name__,
                field=missing[0],
            )
        if any(changes[part] is None for part in template.fields):
            actions.append(UpdateAction("remove", (key.attribute,)))
        else:
            av = codec.index_key(changes, (key,))[key.attribute]
            actions.append(UpdateAction("set", (key.attribute,), av))
    return actions, frozenset(changes)


def _builder_actions(
    model: type[DomainModel], update: Update
) -> tuple[tuple[UpdateAction, ...], frozenset[str]]:
    touched = _builder_fields(model, update.paths)
    return update.clauses(model), touched


@functools.lru_cache(maxsize=1024)
def _builder_fields(model: type[DomainModel], paths: tuple[Path, ...]) -> frozenset[str]:
    """The fields an ``Update()`` on ``paths`` touches; refuses those only a DTO may set
    (server-managed, unique, key template parts) and stored names used as fields."""
    schema = schema_of(model)
    managed = {schema.version_field, schema.created_at_field, schema.updated_at_field} - {None}
    template_parts = {
        part: key
        for key in schema.index_key_attributes.values()
        if key.template is not None
        for part in key.template.fields
    }
    touched: set[str] = set()
    for path in paths:
        head = str(path.segments[0])
        touched.add(head)
        why = None
        if head in managed:
            why = "is server-managed (ddbwrap sets it on every write); leave it out"
        elif head in schema.unique:
            why = (
                "is unique: its guard item must move with it, which only an UpdateDTO "
                "does; set it through an UpdateDTO"
            )
        elif head in template_parts:
            key = template_parts[head]
            assert key.template is not None
            why = (
                f"is part of key template {key.template.pattern!r} (stored as "
                f"{key.attribute!r}), which must be rebuilt from all its parts; set "
                "them through an UpdateDTO"
            )
        elif head in schema.attribute_fields and head not in schema.field_attributes:
            why = f"is the stored name of field {schema.attribute_fields[head]!r}; use that"
        elif (composite := schema.index_key_attributes.get(head)) and composite.template:
            why = (  # set as is, it could put the item under any other key
                f"is rendered from {', '.join(composite.template.fields)} by key template "
                f"{composite.template.pattern!r}; set those fields through an UpdateDTO"
            )
        if why is not None:
            raise ValidationError(f"Update() on {head!r}: {why}", model=model.__name__, field=head)
    return frozenset(touched)


# --- delete / check -------------------------------------------------------------------------


def delete_plan(
    model: type[M],
    key: KeyLike,
    *,
    condition: Condition | None = None,
    expected_version: ExpectedVersion = None,
    return_old: bool = False,
    current: Current = UNREAD,
) -> WritePlan[M]:
    """Delete an item (a missing item is fine unless a condition or version says otherwise);
    its unique guards are released in the same transaction."""
    schema = schema_of(model)
    expected, wkey = _target(model, key, expected_version, "delete")
    write = PendingWrite(
        "delete",
        model,
        schema,
        wkey,
        expected_version=expected,
        current=current,
        unique_values=dict.fromkeys(schema.unique),
    )
    actions = _plan("delete", "Delete", write, (), condition)
    return WritePlan(
        "delete", model, wkey, actions, return_values="ALL_OLD" if return_old else "NONE"
    )


def check_plan(model: type[M], key: KeyLike, condition: Condition) -> WritePlan[M]:
    """A ConditionCheck (transactions only): the transaction goes through only if it holds."""
    wkey = wire_key(model, key)
    if condition is None:
        raise ValidationError("check needs a condition", model=model.__name__)
    write = PendingWrite("check", model, schema_of(model), wkey)
    return WritePlan("check", model, wkey, _plan("check", "ConditionCheck", write, (), condition))


# --- failures -------------------------------------------------------------------------------


class StaleUniqueValueError(ConditionFailedError):
    """A unique field changed between reading the item and writing it (the write is retried)."""

    code = "ddbwrap.write.stale_unique_value"


def decode_quietly(model: type[M], item: Mapping[str, Any] | None) -> M | None:
    """The item as ``M``, or None when there is none or it does not validate."""
    if not item:
        return None
    try:
        return codec_for(model).decode(item)
    except CorruptItemError:
        return None


def explain_failure(action: WriteAction, old: Mapping[str, Any] | None) -> DdbwrapError:
    """The ddbwrap error for an action whose condition failed, given the item DynamoDB returned
    (ALL_OLD; None when there was no item)."""
    model = action.model
    schema = schema_of(model)
    if action.is_guard:
        if action.operation == "claim":
            return UniqueConstraintError(
                model.__name__, str(action.unique_field), action.unique_value
            )
        return ConditionFailedError(
            f"{action.describe()}: the guard belongs to another item, so the guard table "
            "disagrees with the items; nothing was written. Check the guard's owner_key",
            table=action.table,
            key=action.key,
            condition="owner = this item",
        )
    where = action.describe()
    plain_key = {k: decode_value(v) for k, v in action.key.items()}
    item = decode_quietly(model, old)
    stale = _staleness(action, old)
    if action.must_not_exist and old and not (stale and expired_at(action, old)):
        return AlreadyExistsError(
            f"{where}: an item with this key already exists, and create never overwrites; "
            "use put() or replace() to overwrite it, or update() to change it",
            table=action.table,
            key=plain_key,
            condition="attribute_not_exists(partition key)",
            item=item,
        )
    if not old and (action.must_exist or action.expected_version not in (None, 0)):
        return ItemNotFoundError(
            action.table,
            plain_key,
            f"{where}: the item does not exist; nothing was written (create it first, or use "
            "upsert)",
        )
    if action.must_exist and expired_at(action, old):
        return ItemNotFoundError(
            action.table,
            plain_key,
            f"{where}: the item has expired (its TTL has passed; DynamoDB deletes such items "
            "within days) and is treated as gone; nothing was written (create it again)",
        )
    version_attribute = schema.version_attribute
    if action.expected_version is not None and old and version_attribute:
        stored = old.get(version_attribute)
        current = decode_value(stored) if stored and "N" in stored else None
        expected = action.expected_version
        if not (current == expected or (expected == 0 and current is None)):
            return VersionConflictError(
                f"{where}: expected version {expected} but the item is at version {current}; "
                "someone else wrote it since you read it. Re-read, re-apply and retry "
                "(see retry_on_conflict)",
                expected=expected,
                current=int(current) if current is not None else None,
                table=action.table,
                key=plain_key,
                item=item,
            )
    if stale is not None:
        return StaleUniqueValueError(
            f"{where}: {stale} since it was read, and its unique guards were computed from "
            "that read; nothing was written. Re-read and retry",
            table=action.table,
            key=plain_key,
            item=item,
        )
    text = action.condition or "the item's state"
    state = (
        "The current item is on .item: re-read and decide, or change the condition"
        if old
        else "The item does not exist (.item is None): create it first, or change the condition"
    )
    return ConditionFailedError(
        f"{where}: condition {text} did not hold; nothing was written. {state}",
        table=action.table,
        key=plain_key,
        condition=action.condition,
        item=item,
    )


def _staleness(action: WriteAction, old: Mapping[str, Any] | None) -> str | None:
    """What changed under a write whose guards were computed from an earlier read."""
    if action.assumed_missing and old:
        return "the item was created"
    if action.seen_unique is None:
        return None
    if not old:
        return "the item was deleted"
    for attribute, seen in action.seen_unique.items():
        if unique.value_text(stored_value(old, attribute)) != unique.value_text(seen):
            return f"unique attribute {attribute!r} changed"
    return None


def first_failure(
    actions: Sequence[WriteAction], failed: Sequence[tuple[int, Mapping[str, Any] | None]]
) -> DdbwrapError:
    """The most telling error among failed actions: the item's own before its guards'."""
    index, old = min(failed, key=lambda pair: (actions[pair[0]].is_guard, pair[0]))
    return explain_failure(actions[index], old)
