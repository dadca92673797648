"""V1 models: ``pydantic.v1.BaseModel`` models, and pydantic v2 models written in the v1 style.

V1 repositories accept both. A pydantic v2 model keeps working with v1-style calls
(``class Config``, ``.dict()``, ``.parse_obj()`` are deprecated aliases in pydantic v2: they
work and warn); a ``pydantic.v1`` model is converted to plain values with ``.dict()``.

This module reads either kind in one shape (:class:`FieldSpec`), turns field annotations into
ones a pydantic v2 model accepts (nested v1 models become v2 models, v1 constrained types their
base type), and moves values between a V1 model and the V2 domain model derived from it.
Values always cross as plain Python values keyed by field name, nested models as mappings keyed
by their stored (alias) names, so both sides validate them with their own rules.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

import pydantic
import pydantic.v1 as pydantic_v1
from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

__all__ = [
    "FieldSpec",
    "dump",
    "field_specs",
    "is_model_class",
    "is_pydantic_v1_model",
    "load",
    "v2_annotation",
    "validation_errors",
]

_UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)
_SCALAR_BASES: tuple[type, ...] = (
    bool,
    int,
    float,
    Decimal,
    str,
    bytes,
    dt.datetime,
    dt.date,
    dt.time,
    dt.timedelta,
    uuid.UUID,
)
_REBUILDABLE: dict[Any, Any] = {
    list: list,
    set: set,
    frozenset: frozenset,
    dict: dict,
    tuple: tuple,
    typing.List: list,  # noqa: UP006 - the typing aliases V1 code uses
    typing.Set: set,  # noqa: UP006
    typing.FrozenSet: frozenset,  # noqa: UP006
    typing.Dict: dict,  # noqa: UP006
    typing.Tuple: tuple,  # noqa: UP006
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a V1 model (pydantic v1 or v2), in the terms a V2 model is declared in."""

    name: str
    alias: str
    """The stored attribute name (the alias, or the field name)."""
    annotation: Any
    """The annotation as a pydantic v2 model can declare it."""
    required: bool
    default: Any = PydanticUndefined
    default_factory: Callable[[], Any] | None = None
    description: str | None = None

    def field_info(self) -> FieldInfo:
        """A pydantic v2 ``Field(...)`` with this default, alias and description."""
        kwargs: dict[str, Any] = {}
        if self.alias != self.name:
            kwargs["alias"] = self.alias
        if self.description:
            kwargs["description"] = self.description
        if self.default_factory is not None:
            result: FieldInfo = pydantic.Field(default_factory=self.default_factory, **kwargs)
            return result
        if self.required:
            required: FieldInfo = pydantic.Field(**kwargs)
            return required
        default: FieldInfo = pydantic.Field(default=self.default, **kwargs)
        return default


def is_pydantic_v1_model(cls: object) -> bool:
    """True for a ``pydantic.v1.BaseModel`` subclass."""
    return isinstance(cls, type) and issubclass(cls, pydantic_v1.BaseModel)


def is_model_class(cls: object) -> bool:
    """True for a pydantic model class of either major version."""
    return isinstance(cls, type) and issubclass(cls, (BaseModel, pydantic_v1.BaseModel))


def field_specs(model: type[Any]) -> tuple[FieldSpec, ...]:
    """The fields of a pydantic v1 or v2 model class, in declaration order."""
    if is_pydantic_v1_model(model):
        return tuple(_v1_spec(name, field) for name, field in model.__fields__.items())
    if isinstance(model, type) and issubclass(model, BaseModel):
        return tuple(_v2_spec(name, info) for name, info in model.model_fields.items())
    raise TypeError(f"{model!r} is not a pydantic model class")


def _v1_spec(name: str, field: Any) -> FieldSpec:
    annotation = v2_annotation(field.annotation)
    if field.allow_none and not _allows_none(annotation):
        annotation = annotation | None
    required = bool(field.required) and field.default_factory is None
    return FieldSpec(
        name=name,
        alias=field.alias if field.has_alias else name,
        annotation=annotation,
        required=required,
        default=PydanticUndefined if required else field.default,
        default_factory=field.default_factory,
        description=field.field_info.description,
    )


def _v2_spec(name: str, info: FieldInfo) -> FieldSpec:
    factory = info.default_factory
    required = info.is_required()
    return FieldSpec(
        name=name,
        alias=info.alias or name,
        annotation=v2_annotation(info.annotation),
        required=required,
        default=PydanticUndefined if required or factory is not None else info.default,
        default_factory=factory,  # type: ignore[arg-type]  # pydantic also allows f(data)
        description=info.description,
    )


def _allows_none(annotation: Any) -> bool:
    if annotation is Any or annotation is None or annotation is type(None):
        return True
    return get_origin(annotation) in _UNION_ORIGINS and type(None) in get_args(annotation)


_CONVERTED: dict[type, type[BaseModel]] = {}


def v2_annotation(annotation: Any) -> Any:
    """``annotation`` as a pydantic v2 model can declare it.

    Nested ``pydantic.v1`` models become pydantic v2 models with the same fields and aliases
    (cached), v1 constrained types (``constr``, ``conint``...) their base type, typing aliases
    (``List[int]``) builtin generics; anything unknown becomes ``Any``.
    """
    if annotation is None or annotation is type(None):
        return type(None)
    if annotation is Any:
        return Any
    origin = get_origin(annotation)
    if origin is not None:
        return _generic(annotation, origin)
    if not isinstance(annotation, type):
        return Any
    if is_pydantic_v1_model(annotation):
        return _converted_model(annotation)
    if issubclass(annotation, (BaseModel, enum.Enum)):
        return annotation
    for base in _SCALAR_BASES:
        if issubclass(annotation, base):
            return base if annotation.__module__.startswith("pydantic") else annotation
    return Any


def _generic(annotation: Any, origin: Any) -> Any:
    args = get_args(annotation)
    if origin is Literal:
        return annotation
    if origin is typing.Annotated:
        return v2_annotation(args[0])
    if origin in _UNION_ORIGINS:
        converted = tuple(dict.fromkeys(v2_annotation(a) for a in args))
        if Any in converted:
            return Any
        union: Any = Union[converted]  # noqa: UP007 - built from a tuple at run time
        return union
    target = _REBUILDABLE.get(origin)
    if target is None:
        try:
            return origin[tuple(v2_annotation(a) for a in args)] if args else origin
        except TypeError:
            return Any
    if not args:
        return target
    if target is tuple and len(args) == 2 and args[1] is Ellipsis:
        return tuple[v2_annotation(args[0]), ...]  # type: ignore[misc]
    rebuilt: Any = target[tuple(v2_annotation(a) for a in args)]
    return rebuilt


def _converted_model(model: type[Any]) -> type[BaseModel]:
    """The pydantic v2 twin of a nested ``pydantic.v1`` model (same fields and aliases)."""
    converted = _CONVERTED.get(model)
    if converted is not None:
        return converted
    fields: dict[str, Any] = {
        spec.name: (spec.annotation, spec.field_info()) for spec in field_specs(model)
    }
    converted = pydantic.create_model(
        model.__name__,
        __config__=ConfigDict(populate_by_name=True),
        __doc__=model.__doc__,
        __module__=model.__module__,
        **fields,
    )
    _CONVERTED[model] = converted
    return converted


def dump(instance: Any) -> dict[str, Any]:
    """The values of a V1 model instance by stored (alias) name, nested models as mappings."""
    if isinstance(instance, pydantic_v1.BaseModel):
        return instance.dict(by_alias=True)
    if isinstance(instance, BaseModel):
        return instance.model_dump(by_alias=True)
    raise TypeError(f"{type(instance).__name__} is not a pydantic model instance")


def load(model: type[Any], data: Mapping[str, Any]) -> Any:
    """An instance of the V1 model ``model`` validated from ``data`` (keys: stored names)."""
    if is_pydantic_v1_model(model):
        return model.parse_obj(dict(data))
    return model.model_validate(dict(data))


def validation_errors(error: Exception) -> list[dict[str, Any]] | None:
    """The field errors of a pydantic (v1 or v2) ValidationError, or None for anything else."""
    if isinstance(error, pydantic.ValidationError):
        return [dict(e) for e in error.errors(include_url=False)]
    if isinstance(error, pydantic_v1.ValidationError):
        return [dict(e) for e in error.errors()]
    return None
