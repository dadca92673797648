"""Keys from callers: which fields a key needs, and their values validated as the model would.

Reads and writes both take a key as a mapping of field names, keyword arguments, or an instance
of the model (or of one of its views); this module turns any of those into checked values.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import SchemaValidator

from ._redact import shown
from .codec import AttributeValue, EncodedItem, Item, codec_for, render_key
from .errors import ForeignItemError, ValidationError
from .model import DomainModel
from .schema import IndexSchema, KeyAttribute

KeyLike = Mapping[str, object] | BaseModel
"""A key: a mapping of key field names to values, or a model/view instance that has them."""

FieldValidator = Callable[[Any], Any]


@functools.lru_cache(maxsize=2048)
def domain_field_validator(model: type[BaseModel], name: str) -> FieldValidator:
    """A function that validates one value exactly as ``model`` validates field ``name``.

    Built from the model's own core schema (type, constraints, field validators, model config),
    so nothing is re-declared; falls back to a TypeAdapter of the annotation and its metadata
    when the schema has an unexpected shape.
    """
    validator = _schema_validator(model, name)
    if validator is not None:
        return validator.validate_python
    info = model.model_fields[name]
    annotation: Any = info.annotation
    for constraint in info.metadata:  # Annotated[Annotated[T, a], b] == Annotated[T, a, b]
        annotation = Annotated[annotation, constraint]
    return TypeAdapter(annotation).validate_python


def _schema_validator(model: type[BaseModel], name: str) -> SchemaValidator | None:
    found = _field_schema(model, name)
    if found is None:
        return None
    field_schema, config, definitions = found
    if definitions:
        field_schema = {"type": "definitions", "schema": field_schema, "definitions": definitions}
    try:
        return SchemaValidator(field_schema, config)
    except Exception:  # an exotic schema: use the annotation-based fallback
        return None


def _field_schema(model: type[BaseModel], name: str) -> tuple[Any, Any, Any] | None:
    """Field ``name``'s core schema in ``model``'s, with the model's core config and
    definitions (None when the model's schema has an unexpected shape)."""
    schema: Any = model.__pydantic_core_schema__
    definitions = None
    if isinstance(schema, Mapping) and schema.get("type") == "definitions":
        definitions = schema.get("definitions")
        schema = schema.get("schema")
    config = None
    for _ in range(16):  # unwrap model validators (function-*) down to model-fields
        if not isinstance(schema, Mapping):
            return None
        kind = schema.get("type")
        if kind == "model":
            config = schema.get("config")
        if kind == "model-fields":
            break
        schema = schema.get("schema")
    else:
        return None
    if not isinstance(schema, Mapping) or schema.get("type") != "model-fields":
        return None
    field = schema.get("fields", {}).get(name)
    if field is None:
        return None
    return field["schema"], config, definitions


_TEXT_CHANGING_CONFIG = ("str_strip_whitespace", "str_to_lower", "str_to_upper")
"""Model config that makes a ``str`` field's value differ from the text it was read from."""

_TEXT_KEEPING_STR = frozenset({"type", "metadata", "min_length", "max_length", "pattern"})
"""A ``str`` schema's members that accept or refuse a text but never change it."""


def keeps_text(schema: Mapping[str, Any], config: Mapping[str, Any] | None) -> bool:
    """True for a ``str`` core schema whose valid texts validate to themselves (constraints may
    refuse one; nothing in the schema or the model's ``config`` changes one)."""
    return (
        schema.get("type") == "str"
        and set(schema) <= _TEXT_KEEPING_STR
        and not any((config or {}).get(name) for name in _TEXT_CHANGING_CONFIG)
    )


def _takes_any_text(model: type[BaseModel], name: str) -> bool:
    """True when field ``name`` validates every ``str`` to itself (a bare ``str``: no
    constraint, no text change in the field or the model config), so a key's text needs no
    validation call."""
    found = _field_schema(model, name)
    if found is None:
        return False
    schema, config, _ = found
    return (
        isinstance(schema, Mapping)
        and keeps_text(schema, config)
        and set(schema) <= {"type", "metadata"}
        and not any(value for key, value in (config or {}).items() if key.startswith("str_"))
    )


def check_field_value(model: type[DomainModel], field: str, value: object) -> Any:
    """``value`` validated exactly as ``model.field`` (wrong types fail before any request)."""
    try:
        return domain_field_validator(model, field)(value)
    except PydanticValidationError as exc:
        details = "; ".join(e["msg"] for e in exc.errors(include_url=False))
        raise ValidationError(
            f"key value {shown(value)} is not valid for this field: {details}",
            model=model.__name__,
            field=field,
        ) from None


def key_fields(
    model: type[DomainModel],
    needed: Sequence[str],
    key: KeyLike | None,
    kwargs: Mapping[str, object],
    what: str,
) -> dict[str, Any]:
    """The validated values of exactly the fields ``needed``, from a key object or kwargs.

    Unknown or missing names raise ``ValidationError`` naming the model and the field.
    """
    if type(key) is dict and not kwargs and len(key) == len(needed):  # the common key
        try:
            return {name: _checked(model, name, key[name]) for name in needed}
        except (KeyError, ValidationError):
            pass  # another name, or no value: said below
    given: dict[str, object]
    if key is None:
        given = dict(kwargs)
    else:
        if kwargs:
            raise ValidationError(
                f"pass the {what} either as one key object or as keyword arguments, not both",
                model=model.__name__,
                field=next(iter(kwargs)),
            )
        if isinstance(key, BaseModel):
            _check_instance(model, key)
            given = {name: getattr(key, name) for name in needed if hasattr(key, name)}
        elif isinstance(key, Mapping):
            given = dict(key)
        else:
            raise ValidationError(
                f"a {what} is a mapping of field names to values or a {model.__name__} "
                f"instance, not {type(key).__name__}",
                model=model.__name__,
            )
    for name in given:
        if name not in needed:
            expected = ", ".join(needed)
            if name in model.model_fields:
                why = f"is not part of the {what} ({expected})"
            else:
                close = difflib.get_close_matches(name, list(needed), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                why = f"is not a field of {model.__name__}; the {what} is {expected}{hint}"
            raise ValidationError(why, model=model.__name__, field=name)
    values: dict[str, Any] = {}
    for name in needed:
        if given.get(name) is None:
            raise ValidationError(
                f"is missing: the {what} needs {', '.join(needed)}",
                model=model.__name__,
                field=name,
            )
        values[name] = check_field_value(model, name, given[name])
    return values


CheckedKey = tuple[dict[str, Any], Item, tuple[Any, ...]]
"""A key read from a caller: its field values (checked), its wire form, its
``table_key_identity``."""


@functools.lru_cache(maxsize=2048)
def text_key_reader(model: type[DomainModel]) -> Callable[[object], CheckedKey | None] | None:
    """For a model whose table key attributes are each one field of its own (no templates): a
    function reading the common key, a dict of exactly those field names whose values
    validate to non-empty ASCII text, in one pass into what ``key_fields``, ``codec.key`` and
    ``table_key_identity`` give (None for any other key: the general path reads or refuses it).
    None for other models (cached per model). A batch read checks up to 100 keys per request,
    and every write by key checks its key: this is their per-key cost."""
    keys = codec_for(model).schema.key_attributes
    parts = tuple(
        (
            k.field,
            k.attribute,
            None if _takes_any_text(model, k.field) else domain_field_validator(model, k.field),
        )
        for k in keys
        if k.type == "S" and k.template is None and k.field is not None and not k.is_bool
    )
    if len(parts) != len(keys) or len({field for field, _, _ in parts}) != len(parts):
        return None
    size = len(parts)

    def read(key: object) -> CheckedKey | None:
        if type(key) is not dict or len(key) != size:
            return None
        values: dict[str, Any] = {}
        wire: Item = EncodedItem()
        try:
            for field, attribute, validate in parts:
                value = key[field] if validate is None else validate(key[field])
                if type(value) is not str or not value or not value.isascii():
                    return None
                values[field] = value
                wire[attribute] = {"S": value}
        except (KeyError, PydanticValidationError):
            return None
        return values, wire, tuple(values.values())

    return read


def _checked(model: type[DomainModel], name: str, value: object) -> Any:
    if value is None:
        raise ValidationError("no value", model=model.__name__, field=name)
    return check_field_value(model, name, value)


def _check_instance(model: type[DomainModel], key: BaseModel) -> None:
    if isinstance(key, model):
        return
    if getattr(type(key), "__ddb_domain__", None) is not model:  # a view of the model
        raise ValidationError(
            f"a {type(key).__name__} instance cannot be a key of {model.__name__}; pass a "
            f"{model.__name__} (or one of its views) or the key fields",
            model=model.__name__,
        )


# --- what came back --------------------------------------------------------------------------


def expected_key_attributes(
    model: type[DomainModel],
    requested: Mapping[str, Any],
    *,
    index: IndexSchema | str | None = None,
) -> dict[str, AttributeValue]:
    """The stored attributes, in wire form, that an item read for ``requested`` must hold.

    ``requested`` is either validated key field values (``{"tenant_id": "acme", ...}``, as
    ``key_fields`` returns them: a whole key, or a query's partition fields) or a wire key
    (attribute name -> AttributeValue, returned as is). From field values: each field as it is
    stored, plus every key attribute of the table (and of ``index``) whose fields are all given,
    rendered (so a key template is checked against the fields it is built from). Compute it
    once per request and pass it to ``check_returned_key`` for each item.
    """
    if _is_wire(requested):
        return dict(requested)
    codec = codec_for(model)
    schema = codec.schema
    expected: dict[str, AttributeValue] = {}
    for name, value in requested.items():
        if name not in schema.field_attributes:
            raise ValidationError(
                "is not a field of the model", model=schema.model_name, field=name
            )
        av = codec.encode_field(name, value) if value is not None else None
        if av is not None:
            expected[schema.field_attributes[name]] = av
    for key in _key_attributes(model, index):
        template = key.template
        if template is not None and all(requested.get(f) is not None for f in template.fields):
            text = render_key(template, requested, model=schema.model_name, zone=codec.zone)
            expected[key.attribute] = {"S": text}
    return expected


def check_returned_key(
    model: type[DomainModel],
    requested: Mapping[str, Any],
    item: Mapping[str, Mapping[str, Any]],
    *,
    index: IndexSchema | str | None = None,
) -> None:
    """Raise ``ForeignItemError`` when ``item`` (a raw item read back) is not one that was
    asked for: a key attribute, or a field a key is built from, differs from ``requested``.

    ``requested`` is what ``expected_key_attributes`` takes (field values or a wire key) or
    what it returns (cheapest: compute it once per request). Only those attributes are compared,
    as wire AttributeValues (numbers by value: ``1.50`` equals ``1.5``). The table's key
    attributes (and ``index``'s) must be present; another attribute missing from the item (a
    view's projection left it out) is not compared. The error names attributes, not values.
    """
    expected = (
        requested if _is_wire(requested) else expected_key_attributes(model, requested, index=index)
    )
    differ: list[str] = []
    for attribute, want in expected.items():
        got = item.get(attribute)
        if got == want:
            continue
        if got is None:
            if attribute in _required_attributes(model, index):
                differ.append(attribute)
        elif not _same_number(got, want):
            differ.append(attribute)
    if differ:
        raise ForeignItemError(codec_for(model).schema.model_name, differ)


def _is_wire(requested: Mapping[str, Any]) -> bool:
    """True for a wire key (every value an AttributeValue); key field values are scalars."""
    return bool(requested) and all(isinstance(v, Mapping) for v in requested.values())


def _key_attributes(
    model: type[DomainModel], index: IndexSchema | str | None
) -> list[KeyAttribute]:
    schema = codec_for(model).schema
    keys: list[KeyAttribute] = list(schema.key_attributes)
    if index is not None:
        target = schema.index(index) if isinstance(index, str) else index
        keys += target.key_attributes
    return keys


def _required_attributes(model: type[DomainModel], index: IndexSchema | str | None) -> set[str]:
    return {k.attribute for k in _key_attributes(model, index)}


def _same_number(got: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """Two N AttributeValues of one number written differently (``1.50``, ``1.5``)."""
    if "N" not in got or "N" not in want:
        return False
    try:
        return bool(Decimal(got["N"]) == Decimal(want["N"]))
    except (ArithmeticError, TypeError, ValueError):
        return False


def key_identity(
    item: Mapping[str, Mapping[str, Any]], attributes: Iterable[str]
) -> tuple[Any, ...]:
    """A hashable identity of an item's key: equal for equal keys whatever the number spelling."""
    out: list[Any] = []
    for name in attributes:
        av = item.get(name)
        if av is None:
            out.append((name, None))
            continue
        text = av.get("S")
        out.append((name, "S", text) if text is not None else (name, *_value_identity(av)))
    return tuple(out)


def table_key_identity(
    item: Mapping[str, Mapping[str, Any]], attributes: Sequence[str]
) -> tuple[Any, ...]:
    """A hashable identity of an item's key among the items of one table (whose key
    attributes each have one declared type, so their values alone tell keys apart): the
    values in ``attributes`` order, numbers in one spelling, None for a missing attribute."""
    out: list[Any] = []
    for name in attributes:
        av = item.get(name)
        if av is None:
            out.append(None)
            continue
        text = av.get("S")
        out.append(text if text is not None else _value_identity(av)[1])
    return tuple(out)


def stored_key_identity(types: Sequence[str]) -> Callable[[Sequence[str]], tuple[Any, ...]]:
    """``table_key_identity`` of a stored key given as the texts of its ``S`` or ``N``
    attributes, in order (of the declared ``types``): how a body reader identifies the items
    of a batch answer without building their key attributes."""
    if "N" not in types:
        return tuple
    numbers = tuple(kind == "N" for kind in types)

    def identity(texts: Sequence[str]) -> tuple[Any, ...]:
        return tuple([_number_identity(t) if n else t for n, t in zip(numbers, texts, strict=True)])

    return identity


def _value_identity(av: Mapping[str, Any]) -> tuple[str, Any]:
    """A key AttributeValue's tag and hashable value: numbers in one spelling, binary as
    bytes."""
    ((kind, raw),) = av.items()
    if kind == "N":
        return kind, _number_identity(raw)
    if kind == "B":
        return kind, bytes(raw)
    return kind, raw


def _number_identity(text: str) -> str:
    """One spelling of a number (``1.50`` and ``1.5`` are one key)."""
    return str(Decimal(text).normalize())
