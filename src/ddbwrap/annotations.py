"""Reading field annotations: optionality, and which DynamoDB key type a type can be stored as."""

from __future__ import annotations

import datetime as dt
import enum
import types
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

ScalarType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class StoreNull:
    """Field marker: store this field's ``None`` as a NULL attribute instead of omitting it.

    ``note: Annotated[str | None, StoreNull()] = None``. By default a ``None`` field is left
    out of the item (an ``update`` that sets it to None REMOVEs it), so that a GSI added later
    on the field never meets a NULL key; mark the fields that another service sharing the
    table expects to find as NULL (or set ``Meta.store_none = True`` for every field). Reads
    treat a missing attribute and a NULL one alike. Index keys are never stored as NULL.
    """


def stores_null(metadata: Any) -> bool:
    """True when a field's pydantic ``metadata`` list holds a ``StoreNull()`` marker."""
    return any(isinstance(m, StoreNull) or m is StoreNull for m in metadata or ())

_UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)


def is_optional(annotation: Any) -> bool:
    """True when ``None`` is an allowed value of the annotation."""
    if annotation is None or annotation is type(None):
        return True
    if get_origin(annotation) in _UNION_ORIGINS:
        return any(arg is type(None) for arg in get_args(annotation))
    return False


def strip_optional(annotation: Any) -> Any:
    """``X | None`` -> ``X``; other annotations unchanged."""
    if get_origin(annotation) in _UNION_ORIGINS:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def key_scalar_type(annotation: Any) -> ScalarType | None:
    """The DynamoDB type a key of this annotation is stored as, or None if it cannot be a key.

    Booleans, datetimes, dates, UUIDs and string enums are stored as strings so that they can
    be indexed; floats are refused (use ``Decimal`` or ``int`` for exact, sortable numbers).
    """
    annotation = strip_optional(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        kinds = {_literal_kind(v) for v in get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, bool):
        return "S"
    if issubclass(annotation, enum.Enum):
        kinds = {_literal_kind(m.value) for m in annotation}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    if issubclass(annotation, (str, dt.date, uuid.UUID)):
        return "S"
    if issubclass(annotation, (int, Decimal)):
        return "N"
    if issubclass(annotation, bytes):
        return "B"
    return None


def _literal_kind(value: object) -> ScalarType | None:
    if isinstance(value, bool):
        return "S"
    if isinstance(value, str):
        return "S"
    if isinstance(value, int):
        return "N"
    if isinstance(value, bytes):
        return "B"
    return None


def is_bool(annotation: Any) -> bool:
    """True for ``bool`` and ``bool | None`` (stored as ``"true"``/``"false"`` when a key)."""
    annotation = strip_optional(annotation)
    return isinstance(annotation, type) and issubclass(annotation, bool)


def is_int(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    return (
        isinstance(annotation, type)
        and issubclass(annotation, int)
        and not issubclass(annotation, bool)
    )


def is_datetime(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    return isinstance(annotation, type) and issubclass(annotation, dt.datetime)
