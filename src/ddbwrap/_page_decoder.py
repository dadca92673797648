"""Pages of stored items validated into models by pydantic-core in one call.

``ItemCodec.decoder`` turns each AttributeValue into a plain value in Python, then has pydantic
validate the plain dict: two walks over every item. ``page_decoder(codec)`` compiles, once per
model, a pydantic-core validator that reads the AttributeValues itself (a scalar field reads its
attribute's ``S``, ``N``, ``BOOL``, ``SS`` or ``NS`` through a validation alias path, in Rust),
so only maps, lists, nullable and untyped fields still go through ``decode_value`` in Python.

For items in DynamoDB's form (every attribute an AttributeValue of one tag, as answers always
are) it
gives what the per-item decoder gives, or nothing: anything the compiled validator does not
accept (a NULL, an attribute of another type, a corrupt item) makes it return None, and the
caller decodes the page the per-item way, which reads or reports it. A model it cannot vouch for
(upcasters, model validators, private attributes, ``model_post_init``, a custom ``__init__``,
strict fields, validation aliases of its own) gets None from ``page_decoder``: the per-item
decoder serves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

from .codec import _aware_text, _decode_list, _decode_map, decode_value

if TYPE_CHECKING:
    from .codec import ItemCodec

__all__ = ["PageDecoder", "page_decoder"]

PageDecoder = Callable[[Sequence[Mapping[str, Any]]], "list[Any] | None"]
"""Raw items to model instances, in order; None when a page needs the per-item decoder."""

_SCALAR_TAGS = {
    "str": "S",
    "bool": "BOOL",
    "int": "N",
    "float": "N",
    "decimal": "N",
    "datetime": "S",
    "date": "S",
    "time": "S",
    "uuid": "S",
}
"""Core schema types read from one AttributeValue tag; pydantic converts the text (numbers
stay exact: a ``N`` string goes to ``int``, ``Decimal`` or ``float`` as the field says)."""

_SET_TAGS = {"str": "SS", "int": "NS", "float": "NS", "decimal": "NS"}

_compiled: dict[int, tuple[ItemCodec[Any], PageDecoder | None]] = {}


def page_decoder(codec: ItemCodec[Any]) -> PageDecoder | None:
    """The compiled page decoder of ``codec``'s model (compiled on first use), or None when it
    cannot vouch for the model."""
    known = _compiled.get(id(codec))
    if known is None or known[0] is not codec:
        known = _compiled[id(codec)] = (codec, _compile(codec))
    return known[1]


def _compile(codec: ItemCodec[Any]) -> PageDecoder | None:
    model = codec.model
    if codec._upcast is not None or not _plain_model(model):
        return None
    top: Any = model.__pydantic_core_schema__
    definitions = None
    if top.get("type") == "definitions":
        definitions = top.get("definitions")
        top = top["schema"]
        if top.get("type") == "definition-ref":  # a recursive model: its schema is a definition
            ref = top.get("schema_ref")
            top = next((d for d in definitions or () if d.get("ref") == ref), top)
    if top.get("type") != "model" or top.get("cls") is not model:
        return None
    inner: Any = top["schema"]
    if inner.get("type") != "model-fields" or top.get("post_init") or top.get("custom_init"):
        return None
    plan = codec._decode_plans.get(model) or codec._decode_plan(model)
    fields: dict[str, Any] = {}
    for name, field in inner["fields"].items():
        compiled = _field(codec, name, field, plan.set_fields, plan.none_fields)
        if compiled is None:
            return None
        fields[name] = compiled
    config: Any = dict(top.get("config") or {})
    config.update(validate_by_alias=True, validate_by_name=False, extra_fields_behavior="ignore")
    schema: Any = core_schema.list_schema({**inner, "fields": fields, "extra_behavior": "ignore"})
    if definitions is not None:
        schema = core_schema.definitions_schema(schema, list(definitions))
    try:
        validate = SchemaValidator(schema, config).validate_python
    except Exception:  # a schema pydantic-core will not compile: per-item decoding
        return None
    always_set = frozenset(plan.set_fields | plan.none_fields)
    extra: dict[str, Any] | None = {} if model.model_config.get("extra") == "allow" else None
    aware = codec._aware if plan.nested_datetimes else None
    new = model.__new__
    assign = object.__setattr__

    def decode_page(raws: Sequence[Mapping[str, Any]]) -> list[Any] | None:
        try:
            validated = validate(raws)
        except Exception:  # the per-item decoder reads or reports the page
            return None
        out = []
        for values, _, fields_set in validated:
            instance = new(model)
            assign(instance, "__dict__", values)
            assign(instance, "__pydantic_fields_set__", fields_set | always_set)
            assign(instance, "__pydantic_extra__", None if extra is None else {})
            assign(instance, "__pydantic_private__", None)
            out.append(instance if aware is None else aware(plan, instance))
        return out

    return decode_page


def _plain_model(model: type[BaseModel]) -> bool:
    """True for a model validated field by field and nothing else (no model validators, no
    private attributes or ``model_post_init``, not strict, not a root model)."""
    config = model.model_config
    return not (
        model.__private_attributes__
        or model.__pydantic_post_init__ is not None
        or config.get("strict")
        or getattr(model, "__pydantic_root_model__", False)
        or model.__pydantic_decorators__.model_validators
    )


def _field(
    codec: ItemCodec[Any],
    name: str,
    field: Any,
    set_fields: frozenset[str],
    none_fields: frozenset[str],
) -> dict[str, Any] | None:
    """The model-field schema reading ``name``'s stored attribute, or None (not compiled)."""
    info = codec.model.model_fields[name]
    attribute = info.alias or name
    if info.validation_alias is not None and info.validation_alias != attribute:
        return None
    schema = field["schema"]
    wrapper = None
    if schema.get("type") == "default":
        wrapper, schema = schema, schema["schema"]
    tag = _tag(schema)
    datetimes = name in codec._datetime_fields
    if datetimes and (schema.get("tz_constraint", "aware") != "aware" or "ref" in schema):
        tag = None  # naive-only or shared: read in Python, as the per-item decoder does
    container = _CONTAINERS.get(schema.get("type", "")) if not datetimes else None
    if tag is not None and name not in none_fields:
        alias: list[list[str | int]] = [[attribute, tag], [attribute]]
        if datetimes:  # naive text (read in the model's zone) is left to the per-item decoder
            schema = {**schema, "tz_constraint": "aware"}
    elif container is not None and name not in none_fields:
        alias = [[attribute, container], [attribute]]
        unwrap: Callable[[Any], Any] = _list_value if container == "L" else _map_value
        schema = core_schema.no_info_before_validator_function(unwrap, schema)
    else:
        alias = [[attribute]]
        read = _decoded(_zoned(codec.read_zone) if datetimes else None)
        schema = core_schema.no_info_before_validator_function(read, schema)
    if name in set_fields:  # a missing set reads as an empty set (how empty sets are stored)
        schema = core_schema.with_default_schema(schema, default_factory=set, validate_default=True)
    elif name in none_fields:  # a required field accepting None reads a missing one as None
        schema = core_schema.with_default_schema(schema, default=None, validate_default=True)
    elif wrapper is not None:
        schema = {**wrapper, "schema": schema}
    out = {**field, "schema": schema, "validation_alias": alias}
    out.pop("serialization_alias", None)
    return out


def _tag(schema: Mapping[str, Any]) -> str | None:
    """The one AttributeValue tag a bare scalar or set schema reads (None: decode in Python)."""
    kind = schema.get("type")
    if schema.get("strict"):
        return None
    if kind in _SCALAR_TAGS:
        return _SCALAR_TAGS[kind]
    if kind == "literal" and all(type(v) is str for v in schema.get("expected", ())):
        return "S"
    if kind == "enum" and schema.get("sub_type") == "str" and not schema.get("missing"):
        return "S"
    if kind in ("set", "frozenset"):
        items = schema.get("items_schema") or {}
        if items.get("strict") or set(items) - {"type"}:
            return None
        return _SET_TAGS.get(items.get("type", ""))
    return None


_CONTAINERS = {"list": "L", "tuple": "L", "dict": "M", "model": "M"}
"""Core schema types stored as a list (``L``) or a map (``M``)."""


def _list_value(value: Any) -> list[Any]:
    """An ``L`` tag's elements decoded. Anything else is the whole AttributeValue of another
    tag (the alias path's fallback, a dict), refused."""
    if type(value) is not list:
        raise ValueError("not a list AttributeValue")
    return _decode_list(value)


def _map_value(value: Any) -> dict[str, Any]:
    """An ``M`` tag's entries decoded. The fallback (the whole AttributeValue of another tag)
    is a dict too, but its one value is never a dict, where every entry of a map is an
    AttributeValue: refused. (An empty dict is an empty map: an AttributeValue always has a
    tag.)"""
    if type(value) is not dict or (value and type(next(iter(value.values()))) is not dict):
        raise ValueError("not a map AttributeValue")
    return _decode_map(value)


def _zoned(zone: dt.tzinfo) -> Callable[[Any], Any]:
    """A datetime field's text as the per-item decoder reads it: naive text taken to be in
    ``zone`` (anything else is left to validation)."""

    def read(value: Any) -> Any:
        if type(value) is str and value[-1:] != "Z":
            return _aware_text(value, zone)
        return value

    return read


def _decoded(then: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """An AttributeValue's plain value (passed to ``then``); anything else (a fill: an empty
    set, None) as it is."""
    if then is None:
        return lambda av: decode_value(av) if type(av) is dict else av
    return lambda av: then(decode_value(av)) if type(av) is dict else then(av)
