"""Pages of stored items validated into models by pydantic-core in one call.

``ItemCodec.decoder`` turns each AttributeValue into a plain value in Python, then has pydantic
validate the plain dict: two walks over every item. ``page_decoder(codec)`` compiles, once per
model, a pydantic-core validator that reads the AttributeValues itself (a scalar field reads its
attribute's ``S``, ``N``, ``BOOL``, ``SS`` or ``NS`` through a validation alias path, a list or
map of scalars each element's tag through ``itemgetter``, in Rust), so only nested models,
lists and maps of other values, nullable and untyped fields still go through ``decode_value``
in Python; pydantic-core builds the model instances too. ``body_reader(codec)`` runs the same
validator on a Query, Scan, BatchGetItem or GetItem answer's JSON body, so the raw items are
never built as Python objects (the direct transport holds bodies).

For items in DynamoDB's form (every attribute an AttributeValue of one tag, as answers always
are) it gives what the per-item decoder gives, or nothing: anything the compiled validator does
not accept (a NULL, an attribute of another type, binary text, a corrupt item) makes it return
None, and the caller decodes the page the per-item way, which reads or reports it. A model it
cannot vouch for (upcasters, model validators, private attributes, ``model_post_init``, a
custom ``__init__``, strict fields, validation aliases of its own) gets None from
``page_decoder``: the per-item decoder serves it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

from .codec import _aware_text, _decode_list, _decode_map, decode_value
from .entities import GUARD_OWNER_TABLE_ATTRIBUTE
from .keys import keeps_text, stored_key_identity

if TYPE_CHECKING:
    from .codec import ItemCodec
    from .schema import KeyAttribute

__all__ = ["BodyReader", "DecodedItems", "PageDecoder", "body_reader", "page_decoder"]

Member = Literal["Items", "Responses", "Item"]
"""The answer member a body reader reads: Query/Scan's, BatchGetItem's or GetItem's."""

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


class DecodedItems(list[Any]):
    """Items read from an answer's body by a ``BodyReader``, in order: a Query or Scan page's
    ``Items`` as model instances; a batch get's items (each table's ``Responses``) as
    ``(identity, instance)`` pairs, ``identity`` the stored key's ``table_key_identity``, by which
    the read matches them to the keys asked."""

    __slots__ = ()


BodyReader = Callable[[bytes], "tuple[dict[str, Any], dict[str, Any]] | None"]
"""An answer's JSON body to ``(rest, decoded)``: the members it does not decode, as JSON
values (parsed further by the transport), and the one it decodes (``Items`` or ``Responses``,
holding ``DecodedItems``); None: the body is parsed and its items decoded the usual way (it
did not read as the model's, or is not JSON)."""


class _Compiled:
    """One model's compiled readers: of parsed pages, and of answer bodies (with or without the
    refusal of guard items), built on first use. pydantic-core builds the instances itself (a
    ``model`` schema around the aliased fields); ``settle`` makes them what the per-item decoder
    gives, where the model needs it."""

    def __init__(
        self, codec: ItemCodec[Any], plan: Any, model_schema: Any, definitions: Any, config: Any
    ) -> None:
        self._model_schema, self._definitions, self._config = model_schema, definitions, config
        self._bodies: dict[tuple[bool, Member], BodyReader | None] = {}
        self._key_attributes = codec.schema.key_attributes
        self._model: type[BaseModel] = codec.model
        always_set = frozenset(plan.set_fields | plan.none_fields)
        extra: dict[str, Any] | None = (
            {} if self._model.model_config.get("extra") == "allow" else None
        )
        aware = codec._aware if plan.nested_datetimes else None
        assign = object.__setattr__
        only_sets = extra is None and aware is None

        def settle(instances: list[Any], own: frozenset[str] = frozenset()) -> list[Any]:
            """The validator's instances as the per-item decoder gives them (in place): less
            the batch body reader's ``own`` fields, sets and None fills counted as set, an
            empty extra where the model allows extras, nested naive datetimes made aware."""
            if only_sets and not own:  # the common case: one set update per item at most
                if always_set:
                    for instance in instances:
                        instance.__pydantic_fields_set__.update(always_set)
                return instances
            for instance in instances:
                fields_set = instance.__pydantic_fields_set__
                fields_set.update(always_set)
                if own:
                    values = instance.__dict__
                    for field in own:
                        del values[field]
                    fields_set.difference_update(own)
                if extra is not None:
                    assign(instance, "__pydantic_extra__", {})
                if aware is not None:
                    aware(plan, instance)
            return instances

        self.settle = settle
        self.page: PageDecoder | None = None
        validate = self._validator(core_schema.list_schema(model_schema))
        if validate is not None:
            validate_page = validate.validate_python

            def decode_page(raws: Sequence[Mapping[str, Any]]) -> list[Any] | None:
                try:
                    instances = validate_page(raws)
                except Exception:  # the per-item decoder reads or reports the page
                    return None
                return settle(instances)

            self.page = decode_page

    def _validator(self, schema: Any) -> SchemaValidator | None:
        if self._definitions is not None:
            schema = core_schema.definitions_schema(schema, list(self._definitions))
        try:
            with _own_schema(self._model):
                return SchemaValidator(schema, self._config)
        except Exception:  # a schema pydantic-core will not compile: per-item decoding
            return None

    def body(self, refuse_guards: bool, member: Member) -> BodyReader | None:
        """The reader of answer bodies whose ``member`` holds the model's items: ``Items``
        (Query, Scan), ``Responses`` (BatchGetItem) or ``Item`` (GetItem); ``refuse_guards``: a
        body naming the guard owner's table attribute is left unread (the read core leaves
        guard items out; the name in a value declines it too, harmlessly)."""
        key = (refuse_guards, member)
        if key not in self._bodies:  # one validator per member, shared by both
            self._bodies[key] = (
                _refusing_guards(self.body(False, member)) if refuse_guards else self._body(member)
            )
        return self._bodies[key]

    def _body(self, member: Member) -> BodyReader | None:
        model_schema = self._model_schema
        fields = dict(model_schema["schema"]["fields"])
        own: frozenset[str] = frozenset()
        keyed = member != "Items"
        if keyed:  # each item's stored key attributes' texts (binary ones: no body reader)
            keys = self._verbatim_keys(fields)
            if keys is None:  # read as fields of the reader's own, dropped from the instances
                keys = {f"{_KEY}{k.attribute}": k for k in self._key_attributes}
                if any(k.type not in ("S", "N") for k in keys.values()):
                    return None
                own = frozenset(keys)
                for field, k in keys.items():
                    fields[field] = core_schema.model_field(
                        core_schema.str_schema(  # the stored text, whatever the model's config
                            strict=True, strip_whitespace=False, to_lower=False, to_upper=False
                        ),
                        validation_alias=[[k.attribute, cast(str | int, k.type)]],
                    )
            identity = stored_key_identity([k.type for k in keys.values()])
            texts: Callable[[dict[str, Any]], tuple[str, ...]] = itemgetter(*keys)
            if len(keys) == 1:  # itemgetter of one name gives the value itself
                (only,) = keys

                def texts(values: dict[str, Any]) -> tuple[str, ...]:
                    return (values[only],)

        item = {**model_schema, "schema": {**model_schema["schema"], "fields": fields}}
        schema: core_schema.CoreSchema = item
        if member == "Items":
            schema = core_schema.list_schema(item)
        elif member == "Responses":
            schema = core_schema.dict_schema(
                core_schema.str_schema(), core_schema.list_schema(item)
            )
        answer = core_schema.typed_dict_schema(
            {member: core_schema.typed_dict_field(schema, required=False)},
            extra_behavior="allow",
        )
        validator = self._validator(answer)
        if validator is None:
            return None
        validate_json, settle = validator.validate_json, self.settle

        def keyed_items(instances: list[Any]) -> DecodedItems:
            stored = [identity(texts(i.__dict__)) for i in instances]
            return DecodedItems(zip(stored, settle(instances, own), strict=True))

        def read(body: bytes) -> tuple[dict[str, Any], dict[str, Any]] | None:
            try:
                parsed: dict[str, Any] = validate_json(body)
            except Exception:  # not the model's items (or not JSON): parsed the usual way
                return None
            found = parsed.pop(member, None)
            if found is None:
                return parsed, {}
            if member == "Item":
                return parsed, {member: keyed_items([found])[0]}
            if member == "Responses":
                return parsed, {member: {table: keyed_items(v) for table, v in found.items()}}
            return parsed, {member: DecodedItems(settle(found, own))}

        return read

    def _verbatim_keys(self, fields: Mapping[str, Any]) -> dict[str, KeyAttribute] | None:
        """The table's key attributes by the field holding each one's stored text as it is (an
        ``S`` attribute read into a ``str`` field of its own that changes no text), or None when
        one is not: the batch reader then reads the stored attributes besides the fields."""
        keys: dict[str, KeyAttribute] = {}
        for k in self._key_attributes:
            name = k.field
            field = fields.get(name) if name is not None else None
            if (
                name is None
                or field is None
                or k.type != "S"
                or k.template is not None
                or k.is_bool
                or field["validation_alias"][0] != [k.attribute, "S"]
                or not keeps_text(field["schema"], self._config)
            ):
                return None
            keys[name] = k
        return keys if len(keys) == len(self._key_attributes) else None


_GUARD_NAME = b'"' + GUARD_OWNER_TABLE_ATTRIBUTE.encode() + b'"'
"""The guard owner's table attribute as a JSON string: a body holding it may hold guard items."""


def _refusing_guards(read: BodyReader | None) -> BodyReader | None:
    """``read``, declining any body that names the guard owner's table attribute."""
    if read is None:
        return None
    reader = read

    def refusing(body: bytes) -> tuple[dict[str, Any], dict[str, Any]] | None:
        return None if _GUARD_NAME in body else reader(body)

    return refusing


_KEY = "\x00key:"
"""The batch body reader's own fields: each stored key attribute (by name after the prefix)."""

_compiled: dict[int, tuple[ItemCodec[Any], _Compiled | None]] = {}


def _compiled_for(codec: ItemCodec[Any]) -> _Compiled | None:
    known = _compiled.get(id(codec))
    if known is None or known[0] is not codec:
        known = _compiled[id(codec)] = (codec, _compile(codec))
    return known[1]


def page_decoder(codec: ItemCodec[Any]) -> PageDecoder | None:
    """The compiled page decoder of ``codec``'s model (compiled on first use), or None when it
    cannot vouch for the model."""
    compiled = _compiled_for(codec)
    return None if compiled is None else compiled.page


def body_reader(
    codec: ItemCodec[Any], *, refuse_guards: bool, member: Member = "Items"
) -> BodyReader | None:
    """The compiled reader of answer bodies whose ``member`` holds ``codec``'s model's items
    (None when it cannot vouch for the model): ``Items`` (Query, Scan), ``Responses``
    (BatchGetItem, one table: each item as ``(its stored key's identity, instance)``) or
    ``Item`` (GetItem: the same pair). The items are read by the page decoder's schema straight
    from the JSON, without building the raw items first. Binary values decline the body (their
    base64 text is refused where bytes are read)."""
    compiled = _compiled_for(codec)
    if compiled is None or compiled.page is None:
        return None
    return compiled.body(refuse_guards, member)


def _compile(codec: ItemCodec[Any]) -> _Compiled | None:
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
    item = {**inner, "fields": fields, "extra_behavior": "ignore"}
    model_schema = {**top, "schema": item, "config": config}
    model_schema.pop("ref", None)
    return _Compiled(codec, plan, model_schema, definitions, config)


@contextmanager
def _own_schema(model: type[BaseModel]) -> Iterator[None]:
    """While building a validator: pydantic-core takes a complete model's own validator for any
    ``model`` schema of its class (``__pydantic_complete__``), where ours reads stored items."""
    with _building:
        complete = model.__pydantic_complete__
        model.__pydantic_complete__ = False
        try:
            yield
        finally:
            model.__pydantic_complete__ = complete


_building = threading.Lock()
"""Held while ``_own_schema`` builds: no thread sees the model made incomplete by another."""


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
        inlined = _inlined(schema)
        if inlined is not None:
            schema = inlined
        else:
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


_ELEMENTS = {"list": "items_schema", "dict": "values_schema"}
"""The schema key of a list's elements and a map's values."""


def _inlined(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """A list or map of scalars (``list[str]``, ``dict[str, int]``...) read in Rust: each
    element's one tag taken by ``itemgetter``, its value validated as the element's type; None
    for other containers (decoded in Python). An element of another tag raises ``KeyError``, a
    fallback AttributeValue of another tag (not a list, or a map of non-maps) ``TypeError`` or
    a validation error: the page is declined, as ``_list_value`` and ``_map_value`` would."""
    key = _ELEMENTS.get(schema.get("type", ""))
    if key is None:
        return None
    element = schema.get(key)
    if element is None or element.get("type") in _ZONED_ELEMENTS:
        return None
    tag = _tag(element)
    if tag is None or tag not in ("S", "N", "BOOL"):
        return None
    read = core_schema.no_info_plain_validator_function(itemgetter(tag))
    return {**schema, key: core_schema.chain_schema([read, element])}


_ZONED_ELEMENTS = frozenset({"datetime", "time"})
"""Element types the per-item decoder reads in the model's zone (left to it)."""


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
