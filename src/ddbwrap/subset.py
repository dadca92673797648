"""Checks shared by views and DTOs: a model whose fields are a subset of a DomainModel's."""

from __future__ import annotations

import difflib
import enum
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from .annotations import is_optional, strip_optional
from .errors import ModelDefinitionError
from .model import schema_of


def domain_model_of(cls: type[BaseModel], base: type) -> type[BaseModel] | None:
    """The DomainModel ``M`` of a class declared as ``class X(base[M])``, or None if unbound."""
    for klass in cls.__mro__:
        metadata = getattr(klass, "__pydantic_generic_metadata__", None)
        if metadata and metadata.get("origin") is base and metadata.get("args"):
            model = metadata["args"][0]
            return model if isinstance(model, type) and issubclass(model, BaseModel) else None
    return None


def check_subset(
    sub: type[BaseModel], domain: type[BaseModel], kind: str, *, narrowing: bool = False
) -> dict[str, str]:
    """Check that every field of ``sub`` exists in ``domain`` with a compatible type.

    Views read the domain's values, so their types must accept every domain value. Write
    models (``narrowing=True``) may also be narrower: a DTO may require what the domain allows
    to be None, since each of its values is validated by the domain's rules anyway.

    Returns the mapping field name -> stored attribute name (the domain's alias), which is how
    views and DTOs read and write items without redeclaring aliases.
    """
    schema = schema_of(domain)
    domain_fields = domain.model_fields
    attributes: dict[str, str] = {}
    for name, info in sub.model_fields.items():
        if name not in domain_fields:
            close = difflib.get_close_matches(name, list(domain_fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ModelDefinitionError(
                sub.__name__,
                f"{kind} field is not a field of {domain.__name__}{hint}",
                field=name,
            )
        expected = domain_fields[name].annotation
        if not compatible(info.annotation, expected) and not (
            narrowing
            and (
                compatible(expected, info.annotation)
                or narrows(strip_optional(info.annotation), strip_optional(expected))
            )
        ):
            raise ModelDefinitionError(
                sub.__name__,
                f"{kind} field has type {_name(info.annotation)} but {domain.__name__}.{name} "
                f"is {_name(expected)}; declare it as {_name(expected)} (or Optional of it)",
                field=name,
            )
        attributes[name] = schema.field_attributes[name]
    return attributes


def compatible(declared: Any, expected: Any) -> bool:
    """True when values of ``expected`` always validate as ``declared``."""
    if declared is Any or declared == expected:
        return True
    if is_optional(declared) and strip_optional(declared) == strip_optional(expected):
        return True
    inner, outer = strip_optional(declared), strip_optional(expected)
    if is_optional(expected) and not is_optional(declared):
        return False
    return isinstance(inner, type) and isinstance(outer, type) and issubclass(outer, inner)


def narrows(declared: Any, expected: Any) -> bool:
    """True when ``declared`` is a ``Literal`` whose every value ``expected`` holds: a write
    model may narrow ``str`` to ``Literal["active", "paused"]`` (known values only), or a
    ``Literal`` to some of its values."""
    if get_origin(declared) is not Literal:
        return False
    values = get_args(declared)
    if get_origin(expected) is Literal:
        allowed = get_args(expected)
        return all(any(v == a and type(v) is type(a) for a in allowed) for v in values)
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        return all(any(v == m.value for m in expected) for v in values)
    if not isinstance(expected, type):
        return False
    return all(
        isinstance(v, expected) and not (isinstance(v, bool) and expected is not bool)
        for v in values
    )


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)
