"""Pure request builders and failure interpreters of the write side: no I/O here.

Every write is three steps: build a ``WritePlan`` (these functions), send it (the gateway: one
PutItem/UpdateItem/DeleteItem, or one TransactWriteItems when guard items are involved), and
transform the response. A plan is an ordinary value, so a test (or a curious user) can look at
the exact requests a write would send::

    plan = update_plan(User, {"user_id": "u1"}, Rename(name="Ada"), expected_version=3, now=now)
    plan.requests()   # [("UpdateItem", {"TableName": "users", "Key": ..., ...})]

Requests carry the *logical* table name; the gateway maps it to the physical one. Every name
goes through a ``#n`` placeholder and every value through a ``:v`` placeholder.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import ValidationError as PydanticValidationError

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
from ..expressions import Condition, Placeholders, Update
from ..keys import KeyLike, key_fields
from ..model import DomainModel, schema_of
from ..schema import TableSchema
from . import unique
from .dto import CreateDTO, UpdateDTO
from .locking import ExpectedVersion, resolve_expected

M = TypeVar("M", bound=DomainModel)

Params = dict[str, Any]
ActionKind = Literal["Put", "Update", "Delete", "ConditionCheck"]


class _Unread:
    """The type of ``UNREAD``."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD = _Unread()
"""``current=UNREAD``: the stored item was not read (fine unless unique guards must move)."""

Current = Mapping[str, AttributeValue] | None | _Unread
"""The stored item a write is based on: a raw item, None (there is none), or UNREAD."""


# --- plans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
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
                f"={self.unique_value!r} in table {self.table!r}"
            )
        return (
            f"{self.operation} of {self.model.__name__} {key_description(self.key)} "
            f"in table {self.table!r}"
        )


@dataclass(frozen=True)
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

    @property
    def main(self) -> WriteAction:
        """The action on the item itself (guards follow it)."""
        return self.actions[0]

    @property
    def transactional(self) -> bool:
        """True when the plan is sent as one TransactWriteItems."""
        return len(self.actions) > 1

    def requests(self) -> list[tuple[str, Params]]:
        """``[(operation, params)]`` exactly as they will be handed to the gateway."""
        if self.transactional:
            items = [action.transact_item() for action in self.actions]
            return [("TransactWriteItems", {"TransactItems": items})]
        action = self.main
        params = dict(action.params)
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if self.return_values != "NONE":
            params["ReturnValues"] = self.return_values
        operation = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}[action.kind]
        return [(operation, params)]


# --- keys and values ------------------------------------------------------------------------


def key_values(model: type[DomainModel], key: KeyLike) -> dict[str, Any]:
    """The validated primary-key field values of ``key`` (a mapping or a model instance)."""
    return key_fields(model, schema_of(model).key_fields, key, {}, "primary key")


def wire_key(model: type[DomainModel], key: KeyLike) -> Item:
    """The primary key in wire form."""
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
    args = [_render_operand(a) if hasattr(a, "path") else repr(a) for a in condition.args]
    if op in _INFIX:
        return f"{_render_operand(subject)} {_INFIX[op]} {args[0]}"
    if op == "in":
        return f"{_render_operand(subject)}.is_in([{', '.join(args)}])"
    return f"{_render_operand(subject)}.{_METHODS.get(op, op)}({', '.join(args)})"


# --- expression assembly --------------------------------------------------------------------


_CLAUSE = re.compile(r"(?:^| )(SET|REMOVE|ADD|DELETE) ")


class _Expression:
    """Collects SET/REMOVE/ADD/DELETE actions and condition parts sharing one Placeholders."""

    def __init__(self) -> None:
        self.placeholders = Placeholders()
        self.clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
        self.conditions: list[str] = []

    def name(self, attribute: str) -> str:
        return self.placeholders.name(attribute)

    def value(self, av: AttributeValue) -> str:
        return self.placeholders.value(av)

    def set(self, attribute: str, av: AttributeValue) -> None:
        self.clauses["SET"].append(f"{self.name(attribute)} = {self.value(av)}")

    def set_if_missing(self, attribute: str, av: AttributeValue) -> None:
        name = self.name(attribute)
        self.clauses["SET"].append(f"{name} = if_not_exists({name}, {self.value(av)})")

    def bump(self, attribute: str) -> None:
        name = self.name(attribute)
        zero, one = self.value({"N": "0"}), self.value({"N": "1"})
        self.clauses["SET"].append(f"{name} = if_not_exists({name}, {zero}) + {one}")

    def remove(self, attribute: str) -> None:
        self.clauses["REMOVE"].append(self.name(attribute))

    def merge(self, compiled: str) -> None:
        """Fold in a compiled ``Update`` (its text holds only placeholders and keywords)."""
        parts = _CLAUSE.split(compiled)
        for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
            self.clauses[keyword].append(body.strip())

    def update_expression(self) -> str:
        return " ".join(f"{k} {', '.join(v)}" for k, v in self.clauses.items() if v)

    def require(self, text: str) -> None:
        self.conditions.append(text)

    def exists(self, attribute: str) -> None:
        self.require(f"attribute_exists({self.name(attribute)})")

    def not_exists(self, attribute: str) -> None:
        self.require(f"attribute_not_exists({self.name(attribute)})")

    def version(self, attribute: str | None, expected: int | None) -> None:
        """Require the stored version to be ``expected`` (nothing to require without either)."""
        if attribute is None or expected is None:
            return
        name, value = self.name(attribute), self.value({"N": str(expected)})
        if expected == 0:
            self.require(f"(attribute_not_exists({name}) OR {name} = {value})")
        else:
            self.require(f"{name} = {value}")

    def user(self, model: type[DomainModel], condition: Condition | None) -> None:
        if condition is not None:
            if not isinstance(condition, Condition):
                raise ValidationError(
                    f"condition= takes a condition built with Attr(...), not "
                    f"{type(condition).__name__}",
                    model=model.__name__,
                )
            self.require(f"({condition.compile(model, self.placeholders)})")

    def condition_params(self) -> Params:
        if not self.conditions:
            return {}
        return {"ConditionExpression": " AND ".join(self.conditions)}

    def params(self) -> Params:
        return {**self.condition_params(), **self.placeholders.params()}


# --- server-managed fields and unique guards ------------------------------------------------


def _server_values(schema: TableSchema, now: dt.datetime, *, version: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if schema.version_field:
        values[schema.version_field] = version
    if schema.created_at_field:
        values[schema.created_at_field] = now
    if schema.updated_at_field:
        values[schema.updated_at_field] = now
    return values


def _stored(current: Mapping[str, AttributeValue], attribute: str) -> AttributeValue | None:
    av = current.get(attribute)
    return None if av is None or "NULL" in av else dict(av)


@dataclass
class _GuardWork:
    actions: list[WriteAction] = field(default_factory=list)
    seen: dict[str, AttributeValue | None] = field(default_factory=dict)


def _move_guards(
    model: type[DomainModel],
    expr: _Expression,
    owner: Item,
    new_values: Mapping[str, AttributeValue | None],
    current: Current,
    operation: str,
) -> _GuardWork:
    """Guard claims/releases for unique fields whose stored value changes, plus the condition
    that the item still holds the values this was computed from."""
    schema = schema_of(model)
    work = _GuardWork()
    if not new_values:
        return work
    if isinstance(current, _Unread):
        raise ValidationError(
            f"{operation}: changing unique field(s) {', '.join(new_values)} needs the stored "
            "item (its current values name the guards to release); read it first",
            model=model.__name__,
        )
    pk = schema.partition_key.attribute
    if current is not None:
        expr.exists(pk)
    for name, new in new_values.items():
        attribute = schema.field_attributes[name]
        old = _stored(current, attribute) if current is not None else None
        if current is not None:
            work.seen[attribute] = old
            if old is None:
                placeholder = expr.name(attribute)
                null = expr.value({"S": "NULL"})
                expr.require(
                    f"(attribute_not_exists({placeholder}) OR "
                    f"attribute_type({placeholder}, {null}))"
                )
            else:
                expr.require(f"{expr.name(attribute)} = {expr.value(old)}")
        if unique.value_text(old) == unique.value_text(new):
            continue
        if old is not None and unique.value_text(old) is not None:
            work.actions.append(_guard_action(model, "release", name, old, owner))
        if new is not None and unique.value_text(new) is not None:
            work.actions.append(_guard_action(model, "claim", name, new, owner))
    return work


def _guard_action(
    model: type[DomainModel],
    operation: Literal["claim", "release"],
    name: str,
    av: AttributeValue,
    owner: Item,
) -> WriteAction:
    schema = schema_of(model)
    assert schema.unique_table is not None
    if operation == "claim":
        params = unique.claim_params(schema, name, av, owner)
        kind: ActionKind = "Put"
    else:
        params = unique.release_params(schema, name, av, owner)
        kind = "Delete"
    return WriteAction(
        kind=kind,
        operation=operation,
        model=model,
        table=schema.unique_table,
        key=unique.guard_key(schema, name, av),
        params=params,
        unique_field=name,
        unique_value=decode_value(av),
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
    return "; ".join(
        ".".join(str(p) for p in e["loc"]) + ": " + e["msg"]
        for e in exc.errors(include_url=False)
    )


def _target(
    model: type[DomainModel], key: KeyLike, expected_version: ExpectedVersion, operation: str
) -> tuple[int | None, Item]:
    """The version a write of ``key`` expects (from ``key`` when it is an instance) and the
    key in wire form."""
    instance = key if isinstance(key, model) else None
    expected = resolve_expected(schema_of(model), expected_version, instance, operation)
    return expected, codec_for(model).key(key_values(model, key))


def _item_action(
    kind: ActionKind,
    operation: str,
    model: type[DomainModel],
    key: Item,
    expr: _Expression,
    condition: Condition | None,
    *,
    item: Item | None = None,
    expected_version: int | None = None,
    must_exist: bool = False,
    must_not_exist: bool = False,
    seen_unique: Mapping[str, AttributeValue | None] | None = None,
    assumed_missing: bool = False,
) -> WriteAction:
    """The action on the item itself, once ``expr`` holds everything but the caller's
    condition (added here, last): a Put sends ``item``, the others the key."""
    expr.user(model, condition)
    table = schema_of(model).table_name
    params: Params = {"TableName": table, **({"Item": item} if item is not None else {"Key": key})}
    if kind == "Update":
        params["UpdateExpression"] = expr.update_expression()
    return WriteAction(
        kind=kind,
        operation=operation,
        model=model,
        table=table,
        key=key,
        params={**params, **expr.params()},
        condition=condition_text(condition),
        expected_version=expected_version,
        must_exist=must_exist,
        must_not_exist=must_not_exist,
        seen_unique=seen_unique,
        assumed_missing=assumed_missing,
    )


# --- create ---------------------------------------------------------------------------------


def new_instance(model: type[M], obj: M | CreateDTO[M], now: dt.datetime) -> M:
    """The item ``create`` stores: from a CreateDTO (validated by ``M``) or an instance, with the
    server-managed fields set (version 1, created_at = updated_at = now)."""
    schema = schema_of(model)
    server = _server_values(schema, now, version=1)
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


def create_plan(
    model: type[M],
    obj: M | CreateDTO[M],
    *,
    now: dt.datetime,
    condition: Condition | None = None,
) -> WritePlan[M]:
    """Store a new item; refuse to overwrite (``attribute_not_exists`` on the partition key).

    With unique fields, one guard claim per non-empty unique value joins the same transaction.
    """
    schema = schema_of(model)
    codec = codec_for(model)
    instance = new_instance(model, obj, now)
    item = codec.encode(instance)
    key = codec.key_of(instance)
    expr = _Expression()
    expr.not_exists(schema.partition_key.attribute)
    main = _item_action(
        "Put", "create", model, key, expr, condition, item=item, must_not_exist=True
    )
    guards = [
        _guard_action(model, "claim", name, item[schema.field_attributes[name]], key)
        for name in schema.unique
        if unique.value_text(item.get(schema.field_attributes[name])) is not None
    ]
    return WritePlan("create", model, key, (main, *guards), item=instance)


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
    operation = "replace" if must_exist else "put"
    _check_model(model, instance, operation)
    schema = schema_of(model)
    codec = codec_for(model)
    expected = resolve_expected(schema, expected_version, instance, operation)
    server = _server_values(schema, now, version=0)
    stamped = instance.model_copy(
        update={k: v for k, v in server.items() if k == schema.updated_at_field}
    )
    item = codec.encode(stamped)
    key = codec.key_of(instance)
    skip = {k.attribute for k in schema.key_attributes}
    expr = _Expression()
    if schema.version_attribute:
        skip.add(schema.version_attribute)
        expr.bump(schema.version_attribute)
    if schema.created_at_field:
        created = schema.field_attributes[schema.created_at_field]
        skip.add(created)
        expr.set_if_missing(created, codec.encode_field(schema.created_at_field, now) or {})
    for attribute, av in item.items():
        if attribute not in skip:
            expr.set(attribute, av)
    known = set(schema.field_attributes.values()) | set(schema.index_key_attributes)
    for attribute in sorted(known - skip - set(item)):
        expr.remove(attribute)
    if must_exist:
        expr.exists(schema.partition_key.attribute)
    expr.version(schema.version_attribute, expected)
    new_unique = {name: item.get(schema.field_attributes[name]) for name in schema.unique}
    guards = _move_guards(model, expr, key, new_unique, current, operation)
    if current is None and new_unique:
        expr.not_exists(schema.partition_key.attribute)
    main = _item_action(
        "Update",
        operation,
        model,
        key,
        expr,
        condition,
        expected_version=expected,
        must_exist=must_exist,
        seen_unique=guards.seen if current is not None and new_unique else None,
        assumed_missing=current is None and bool(new_unique),
    )
    return WritePlan(operation, model, key, (main, *guards.actions), return_values="ALL_NEW")


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
    schema = schema_of(model)
    codec = codec_for(model)
    expected, wkey = _target(model, key, expected_version, "update")
    expr = _Expression()
    new_unique: dict[str, AttributeValue | None] = {}
    touched: set[str]
    if isinstance(changes, UpdateDTO):
        touched = _dto_actions(model, codec, expr, changes, new_unique)
    elif isinstance(changes, Update):
        touched = _builder_actions(model, expr, changes)
    else:
        raise ValidationError(
            f"update takes an UpdateDTO[{model.__name__}] or an Update(), not "
            f"{type(changes).__name__}",
            model=model.__name__,
        )
    if schema.updated_at_field and schema.updated_at_field not in touched:
        av = codec.encode_field(schema.updated_at_field, now)
        assert av is not None
        expr.set(schema.field_attributes[schema.updated_at_field], av)
    if schema.version_attribute:
        expr.bump(schema.version_attribute)
    if must_exist:
        expr.exists(schema.partition_key.attribute)
    else:
        _check_bare_item(model, key_values(model, key), touched, now)
        if schema.created_at_field and schema.created_at_field not in touched:
            created = codec.encode_field(schema.created_at_field, now)
            assert created is not None
            expr.set_if_missing(schema.field_attributes[schema.created_at_field], created)
    expr.version(schema.version_attribute, expected)
    guards = _move_guards(model, expr, wkey, new_unique, current, "update")
    main = _item_action(
        "Update",
        "update",
        model,
        wkey,
        expr,
        condition,
        expected_version=expected,
        must_exist=must_exist,
        seen_unique=guards.seen if new_unique and current is not None else None,
    )
    return WritePlan("update", model, wkey, (main, *guards.actions), return_values="ALL_NEW")


def _check_bare_item(
    model: type[DomainModel], key: Mapping[str, Any], touched: set[str], now: dt.datetime
) -> None:
    """An update that may create the item must not create one the model cannot read back:
    every required field must be in the key, set by the update, or server-managed."""
    server = _server_values(schema_of(model), now, version=1)
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


def unique_fields_changed(model: type[DomainModel], changes: UpdateDTO[Any] | Update) -> bool:
    """True when an update touches a unique field (so guards may move and the item is read)."""
    schema = schema_of(model)
    if isinstance(changes, UpdateDTO):
        return any(name in schema.unique for name in changes.model_fields_set)
    return False


def _dto_actions(
    model: type[DomainModel],
    codec: ItemCodec[Any],
    expr: _Expression,
    dto: UpdateDTO[Any],
    new_unique: dict[str, AttributeValue | None],
) -> set[str]:
    schema = schema_of(model)
    _check_dto(model, dto, "update")
    changes = dto.changes()
    if not changes:
        raise ValidationError(
            f"the {type(dto).__name__} sets no field, so there is nothing to update; set at "
            "least one field (fields left out are not written)",
            model=model.__name__,
        )
    for name, value in changes.items():
        attribute = schema.field_attributes[name]
        av = None if value is None else codec.encode_field(name, value)
        if av is None:
            expr.remove(attribute)
        else:
            expr.set(attribute, av)
        if name in schema.unique:
            new_unique[name] = av
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
            expr.remove(key.attribute)
        else:
            expr.set(key.attribute, codec.index_key(changes, (key,))[key.attribute])
    return set(changes)


def _builder_actions(model: type[DomainModel], expr: _Expression, update: Update) -> set[str]:
    schema = schema_of(model)
    managed = {schema.version_field, schema.created_at_field, schema.updated_at_field} - {None}
    template_parts = {
        part: key
        for key in schema.index_key_attributes.values()
        if key.template is not None
        for part in key.template.fields
    }
    touched: set[str] = set()
    for path in update.paths:
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
        if why is not None:
            raise ValidationError(f"Update() on {head!r}: {why}", model=model.__name__, field=head)
    expr.merge(update.compile(model, expr.placeholders))
    return touched


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
    expr = _Expression()
    expr.version(schema.version_attribute, expected)
    actions: list[WriteAction] = []
    seen: dict[str, AttributeValue | None] | None = None
    assumed_missing = False
    if schema.unique:
        if isinstance(current, _Unread):
            raise ValidationError(
                "delete: the stored item is needed to release its unique guards; read it first",
                model=model.__name__,
            )
        if current is not None:
            guards = _move_guards(
                model, expr, wkey, dict.fromkeys(schema.unique), current, "delete"
            )
            actions, seen = guards.actions, guards.seen
        else:
            expr.not_exists(schema.partition_key.attribute)
            assumed_missing = True
    main = _item_action(
        "Delete",
        "delete",
        model,
        wkey,
        expr,
        condition,
        expected_version=expected,
        seen_unique=seen,
        assumed_missing=assumed_missing,
    )
    return WritePlan(
        "delete", model, wkey, (main, *actions), return_values="ALL_OLD" if return_old else "NONE"
    )


def check_plan(model: type[M], key: KeyLike, condition: Condition) -> WritePlan[M]:
    """A ConditionCheck (transactions only): the transaction goes through only if it holds."""
    wkey = wire_key(model, key)
    if condition is None:
        raise ValidationError("check needs a condition", model=model.__name__)
    main = _item_action("ConditionCheck", "check", model, wkey, _Expression(), condition)
    return WritePlan("check", model, wkey, (main,))


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
    if action.must_not_exist and old:
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
    stale = _staleness(action, old)
    if stale is not None:
        return StaleUniqueValueError(
            f"{where}: {stale} since it was read, and its unique guards were computed from "
            "that read; nothing was written. Re-read and retry",
            table=action.table,
            key=plain_key,
            item=item,
        )
    text = action.condition or "the item's state"
    return ConditionFailedError(
        f"{where}: condition {text} did not hold; nothing was written. The current item is "
        "on .item: re-read and decide, or change the condition",
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
        if unique.value_text(_stored(old, attribute)) != unique.value_text(seen):
            return f"unique attribute {attribute!r} changed"
    return None


def first_failure(
    actions: Sequence[WriteAction], failed: Sequence[tuple[int, Mapping[str, Any] | None]]
) -> DdbwrapError:
    """The most telling error among failed actions: the item's own before its guards'."""
    index, old = min(failed, key=lambda pair: (actions[pair[0]].is_guard, pair[0]))
    return explain_failure(actions[index], old)
