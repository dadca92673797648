"""The stored attributes of a model: name, DynamoDB type(s), whether every item has them.

This follows the codec's storage rules: strings, datetimes, dates, times and UUIDs are ``S``;
ints, floats and Decimals ``N``; bools ``BOOL`` (``S`` ``"true"``/``"false"`` when a key);
bytes ``B``; lists and tuples ``L``; dicts and nested models ``M``; sets ``SS``/``NS``/``BS``
(omitted when empty); ``None`` is ``NULL``, except in index keys, where the attribute is omitted.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import types
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ddbwrap.codec import ItemCodec
from ddbwrap.model import schema_of
from ddbwrap.schema import TableSchema

ANY = "*"
"""Stands for "any DynamoDB type" (an ``Any`` field, or a type ddbwrap cannot tell)."""

_UNIONS: tuple[Any, ...] = (Union, types.UnionType)
_SET_TYPES = {"S": "SS", "N": "NS", "B": "BS"}


@dataclass(frozen=True)
class StoredAttribute:
    """One attribute of a stored item."""

    name: str
    types: tuple[str, ...]
    """DynamoDB types it is stored as (``NULL`` included when it may be null)."""
    required: bool
    """Present in every item the model accepts (no default, never omitted)."""
    field: str | None = None
    """The model field it stores; None for composite-key (template) attributes."""
    key: bool = False
    """A table or index key attribute."""
    collection: bool = False
    """A list, map or set whose size the model does not bound."""


def stored_attributes(model: type[BaseModel]) -> list[StoredAttribute]:
    """Every attribute an item of ``model`` may have: fields (by stored name) and key templates."""
    schema = schema_of(model)
    keys = schema.index_key_attributes
    out: list[StoredAttribute] = []
    for name, info in model.model_fields.items():
        attribute = schema.field_attributes[name]
        is_key = attribute in keys
        annotation = info.annotation
        kinds = dynamo_types(annotation, key=is_key)
        if name == schema.ttl_field:
            kinds = _ttl_types(model, name, kinds)
        nullable = "NULL" in kinds
        if is_key and nullable:
            kinds = tuple(k for k in kinds if k != "NULL")
        omitted = (is_key and nullable) or any(k in _SET_TYPES.values() for k in kinds)
        out.append(
            StoredAttribute(
                name=attribute,
                types=kinds,
                required=info.is_required() and not omitted,
                field=name,
                key=is_key,
                collection=is_unbounded_collection(annotation, info.metadata),
            )
        )
    for key in keys.values():
        if key.template is not None:
            out.append(
                StoredAttribute(
                    name=key.attribute,
                    types=("S",),
                    required=_template_always_rendered(model, schema, key.template.fields),
                    key=True,
                )
            )
    if schema.versioning is not None:  # Meta.schema_version_attribute (ddbwrap.upcast)
        out.append(StoredAttribute(name=schema.versioning.attribute, types=("N",), required=False))
    return out


def dynamo_types(annotation: Any, *, key: bool = False) -> tuple[str, ...]:
    """The DynamoDB types a value of ``annotation`` is stored as (sorted, no duplicates)."""
    found: set[str] = set()
    _collect(annotation, key, found)
    return tuple(sorted(found))


def _collect(annotation: Any, key: bool, found: set[str]) -> None:
    origin = get_origin(annotation)
    if origin is Annotated:
        _collect(get_args(annotation)[0], key, found)
    elif origin in _UNIONS:
        for arg in get_args(annotation):
            _collect(arg, key, found)
    elif origin is Literal:
        for value in get_args(annotation):
            found.add(_value_type(value, key))
    elif annotation is None or annotation is type(None):
        found.add("NULL")
    elif origin is not None:
        found.add(_generic_type(origin, get_args(annotation)))
    elif isinstance(annotation, type):
        found.add(_class_type(annotation, key))
    else:
        found.add(ANY)


def _class_type(cls: type, key: bool) -> str:
    if issubclass(cls, enum.Enum):
        kinds = {_value_type(member.value, key) for member in cls}
        return kinds.pop() if len(kinds) == 1 else ANY
    if issubclass(cls, bool):
        return "S" if key else "BOOL"
    if issubclass(cls, (str, dt.date, dt.time, uuid.UUID)):
        return "S"
    if issubclass(cls, (int, float, Decimal)):
        return "N"
    if issubclass(cls, (bytes, bytearray)):
        return "B"
    if issubclass(cls, (BaseModel, dict, cabc.Mapping)):
        return "M"
    if issubclass(cls, (set, frozenset)):
        return ANY
    if issubclass(cls, (list, tuple)):
        return "L"
    return ANY


def _generic_type(origin: Any, args: tuple[Any, ...]) -> str:
    if isinstance(origin, type) and issubclass(origin, cabc.Set):
        inner = dynamo_types(args[0]) if args else (ANY,)
        return _SET_TYPES.get(inner[0], ANY) if len(inner) == 1 else ANY
    if isinstance(origin, type) and issubclass(origin, cabc.Mapping):
        return "M"
    if isinstance(origin, type) and issubclass(origin, (cabc.Sequence, list, tuple)):
        return "L"
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        return "M"
    return ANY


def _value_type(value: object, key: bool) -> str:
    if isinstance(value, bool):
        return "S" if key else "BOOL"
    if isinstance(value, str):
        return "S"
    if isinstance(value, (int, float, Decimal)):
        return "N"
    if isinstance(value, bytes):
        return "B"
    return "NULL" if value is None else ANY


def is_unbounded_collection(annotation: Any, metadata: list[Any] | None = None) -> bool:
    """True for a list, map or set field without a ``max_length`` constraint."""
    kinds = set(dynamo_types(annotation)) - {"NULL"}
    if not kinds or not kinds <= {"L", "M", "SS", "NS", "BS"}:
        return False
    if kinds == {"M"} and _is_model(annotation):
        return False
    return not any(getattr(m, "max_length", None) is not None for m in metadata or ())


def _is_model(annotation: Any) -> bool:
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    return all(isinstance(a, type) and issubclass(a, BaseModel) for a in args)


def _ttl_types(model: type[BaseModel], name: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """How the codec stores the TTL field (a datetime TTL may be stored as epoch seconds)."""
    sample = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    if "S" not in kinds:
        return kinds
    try:
        stored = ItemCodec(model).encode_field(name, sample)
    except Exception:  # pragma: no cover - the codec refuses the sample: keep the static answer
        return kinds
    if stored is None:
        return kinds
    tag = next(iter(stored))
    return tuple(sorted({tag if k == "S" else k for k in kinds}))


def _template_always_rendered(
    model: type[BaseModel], schema: TableSchema, fields: tuple[str, ...]
) -> bool:
    infos = model.model_fields
    return all(
        infos[f].is_required() and "NULL" not in dynamo_types(infos[f].annotation) for f in fields
    ) or all(f in schema.key_fields for f in fields)
