"""A rough estimate of an item's stored size, from field types alone (for the contract).

DynamoDB counts attribute names plus values (see ``codec.item_size``). Without data, a value's
size is guessed from its type: a string's ``max_length`` (else 20 bytes), 27 bytes for a
datetime, 36 for a UUID, 8 for a number, 32 for bytes, and a collection as 4 elements. Measure
real items and put the number in the contract overrides when it matters.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import types
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ddbwrap.model import schema_of

STRING_GUESS = 20
COLLECTION_ELEMENTS = 4
_UNIONS: tuple[Any, ...] = (Union, types.UnionType)


def estimated_item_size(model: type[BaseModel]) -> int:
    """Estimated bytes of one stored item of ``model`` (names + values + composite keys)."""
    schema = schema_of(model)
    total = 0
    for name, info in model.model_fields.items():
        attribute = schema.field_attributes[name]
        limit = _max_length(info.metadata)
        total += len(attribute.encode()) + value_size(info.annotation, limit, 0)
    for key in schema.index_key_attributes.values():
        if key.template is not None:
            fields = len(key.template.fields)
            total += len(key.attribute) + len(key.template.pattern) + STRING_GUESS * fields
    return total


def value_size(annotation: Any, limit: int | None = None, depth: int = 0) -> int:
    """Estimated bytes of one value of ``annotation``."""
    if depth > 8:
        return STRING_GUESS
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return value_size(args[0], _max_length(args[1:]) or limit, depth)
    if origin in _UNIONS:
        sizes = [value_size(a, limit, depth) for a in args if a is not type(None)]
        return max(sizes, default=1)
    if origin is Literal:
        return max((len(str(v)) for v in args), default=1)
    if origin is not None:
        return _collection_size(origin, args, limit, depth)
    if not isinstance(annotation, type):
        return STRING_GUESS
    return _class_size(annotation, limit, depth)


def _class_size(cls: type, limit: int | None, depth: int) -> int:
    if issubclass(cls, enum.Enum):
        return max((len(str(m.value)) for m in cls), default=1)
    if issubclass(cls, bool):
        return 1
    if issubclass(cls, dt.datetime):
        return 27
    if issubclass(cls, (dt.date, dt.time)):
        return 10
    if issubclass(cls, uuid.UUID):
        return 36
    if issubclass(cls, str):
        return limit or STRING_GUESS
    if issubclass(cls, (int, float, Decimal)):
        return 8
    if issubclass(cls, (bytes, bytearray)):
        return limit or 32
    if issubclass(cls, BaseModel):
        return 3 + sum(
            1 + len(name) + value_size(info.annotation, _max_length(info.metadata), depth + 1)
            for name, info in cls.model_fields.items()
        )
    return 3 + COLLECTION_ELEMENTS * (1 + STRING_GUESS)


def _collection_size(origin: Any, args: tuple[Any, ...], limit: int | None, depth: int) -> int:
    count = limit or COLLECTION_ELEMENTS
    if isinstance(origin, type) and issubclass(origin, cabc.Mapping):
        inner = value_size(args[1], None, depth + 1) if len(args) == 2 else STRING_GUESS
        return 3 + count * (1 + STRING_GUESS // 2 + inner)
    inner = value_size(args[0], None, depth + 1) if args else STRING_GUESS
    return 3 + count * (1 + inner)


def _max_length(metadata: Any) -> int | None:
    for item in metadata or ():
        value = getattr(item, "max_length", None)
        if isinstance(value, int):
            return value
    return None
