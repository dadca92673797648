"""JSON Schema (draft 2020-12) of the *stored* items of models, views and DTOs.

Built on pydantic's ``model_json_schema(by_alias=True, mode="serialization")`` with the
differences the codec makes: every field is stored (``exclude`` too, computed fields never,
custom serializers ignored); an item is valid without fields that have a default (other
services may omit them); Decimals are numbers; bytes are base64 strings; sets are non-empty
arrays (an empty set is not stored); bool keys are ``"true"``/``"false"``; index keys are never
null (the attribute is omitted); composite keys (``KeyTemplate``) are string attributes.
The "plain JSON" an item is checked against is its AttributeValues decoded (boto3's
TypeDeserializer or ``ddbwrap.codec.decode_item``) with sets as arrays and bytes as base64.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from ddbwrap.meta import KeyTemplate
from ddbwrap.model import schema_of
from ddbwrap.schema import KeyAttribute, TableSchema

from .attributes import stored_attributes
from .discover import is_table_model

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_ID_BASE = "urn:ddbwrap:"
_REGEX_SPECIAL = re.compile(r"([\\^$.|?*+()\[\]{}/])")
"""ECMA-262 syntax characters (escaping anything else is an error in unicode mode)."""


class StoredFormSchema(GenerateJsonSchema):
    """pydantic's generator, adjusted to the codec's storage rules (see the module doc)."""

    def field_is_present(self, field: Any) -> bool:
        return True

    def field_is_required(self, field: Any, total: bool) -> bool:
        if field["type"] == "typed-dict-field":
            return bool(field.get("required", total))
        return bool(field["schema"]["type"] != "default")

    def ser_schema(self, schema: Any) -> JsonSchemaValue | None:
        return None

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        out: JsonSchemaValue = {"type": "number"}
        for name, keyword in (
            ("ge", "minimum"),
            ("le", "maximum"),
            ("gt", "exclusiveMinimum"),
            ("lt", "exclusiveMaximum"),
            ("multiple_of", "multipleOf"),
        ):
            value: Any = schema.get(name)
            if value is not None:
                out[keyword] = float(value) if value % 1 else int(value)
        return out

    def bytes_schema(self, schema: core_schema.BytesSchema) -> JsonSchemaValue:
        return {"type": "string", "contentEncoding": "base64"}

    def model_fields_schema(self, schema: core_schema.ModelFieldsSchema) -> JsonSchemaValue:
        schema = {**schema, "computed_fields": []}
        json_schema = super().model_fields_schema(schema)
        target = self.resolve_ref_schema(json_schema)
        for name, field in schema["fields"].items():
            if _is_set(field["schema"]):
                _omit_when_empty(target, field.get("serialization_alias") or name)
        return json_schema


def source_model(cls: type[BaseModel]) -> type[BaseModel] | None:
    """The table model whose items ``cls`` describes: itself, or the ``M`` of ``View[M]`` etc."""
    if is_table_model(cls):
        return cls
    domain = getattr(cls, "__ddb_domain__", None)
    if is_table_model(domain):
        return domain
    for base in cls.__mro__:
        metadata = getattr(base, "__pydantic_generic_metadata__", None) or {}
        for arg in metadata.get("args", ()):
            if is_table_model(arg):
                return arg  # type: ignore[no-any-return]
    return None


def stored_json_schema(
    cls: type[BaseModel], *, id_base: str | None = DEFAULT_ID_BASE
) -> dict[str, Any]:
    """The JSON Schema of the stored form of ``cls`` (a table model, view, DTO or any model)."""
    schema = cls.model_json_schema(
        by_alias=True, mode="serialization", schema_generator=StoredFormSchema
    )
    source = source_model(cls)
    if source is not None:
        table = schema_of(source)
        _apply_keys(schema, cls, table)
        if cls is source:
            _add_templates(schema, source, table)
        else:
            _rename_to_stored(schema, cls, table)
        _apply_ttl(schema, source, table)
        if not table.store_none:
            _none_is_omitted(schema)
        schema["x-ddbwrap"] = {
            "model": source.__name__,
            "table": table.table_name,
            "partition_key": table.partition_key.attribute,
            **({"sort_key": table.sort_key.attribute} if table.sort_key else {}),
            **({} if cls is source else {"role": "view or dto"}),
        }
    head: dict[str, Any] = {"$schema": DIALECT}
    if id_base is not None:
        head["$id"] = id_base + cls.__name__
    return {**head, **schema}


def json_schema_bundle(
    classes: Sequence[type[BaseModel]], *, id_base: str = DEFAULT_ID_BASE
) -> dict[str, Any]:
    """One document holding every class's schema under ``$defs`` (each its own resource)."""
    names = _unique_names(classes)
    defs = {}
    for cls, name in zip(classes, names, strict=True):
        schema = stored_json_schema(cls, id_base=None)
        schema.pop("$schema")
        defs[name] = {"$id": id_base + name, **schema}
    return {
        "$schema": DIALECT,
        "$id": id_base + "bundle",
        "title": "Stored items of " + ", ".join(names),
        "$defs": defs,
    }


def json_schema_document(
    classes: Sequence[type[BaseModel]], *, id_base: str = DEFAULT_ID_BASE
) -> dict[str, Any]:
    """The schema of the one class given, or a bundle of several."""
    if len(classes) == 1:
        return stored_json_schema(classes[0], id_base=id_base)
    return json_schema_bundle(classes, id_base=id_base)


def _unique_names(classes: Sequence[type[BaseModel]]) -> list[str]:
    short = [c.__name__ for c in classes]
    return [
        name if short.count(name) == 1 else f"{cls.__module__}.{cls.__qualname__}"
        for cls, name in zip(classes, short, strict=True)
    ]


def _is_set(schema: Any) -> bool:
    while schema.get("type") in ("default", "nullable"):
        schema = schema["schema"]
    return schema.get("type") in ("set", "frozenset")


def _omit_when_empty(target: JsonSchemaValue, name: str) -> None:
    prop = target.get("properties", {}).get(name)
    if prop is None:
        return
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") == "array":
            branch["minItems"] = max(1, branch.get("minItems", 0))
    required = target.get("required")
    if required and name in required:
        required.remove(name)


def _rename_to_stored(schema: JsonSchemaValue, cls: type[BaseModel], table: TableSchema) -> None:
    """A view's or DTO's properties under the attribute names the table model stores."""
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    renamed: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        current = info.alias or name
        stored = table.field_attributes.get(name, current)
        if current in properties:
            renamed[stored] = properties[current]
        if current in required:
            required[required.index(current)] = stored
    if properties:
        schema["properties"] = renamed


def _apply_keys(schema: JsonSchemaValue, cls: type[BaseModel], table: TableSchema) -> None:
    """Index keys in stored form: bools as "true"/"false", never null (omitted instead)."""
    properties = schema.get("properties", {})
    keys = table.index_key_attributes
    for name, info in cls.model_fields.items():
        attribute = table.field_attributes.get(name)
        if attribute is None or attribute not in keys:
            continue
        alias = info.alias or name
        prop = properties.get(alias)
        if prop is None:
            continue
        properties[alias] = _key_property(prop, keys[attribute])
        if _nullable(prop) and alias in schema.get("required", ()):
            schema["required"].remove(alias)


def _key_property(prop: JsonSchemaValue, key: KeyAttribute) -> JsonSchemaValue:
    notes: dict[str, Any] = {k: prop[k] for k in ("title", "description") if k in prop}
    if key.is_bool:
        out: JsonSchemaValue = {"type": "string", "enum": ["true", "false"], **notes}
        if isinstance(prop.get("default"), bool):
            out["default"] = "true" if prop["default"] else "false"
        return out
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    if "anyOf" not in prop:
        out = copy.deepcopy(prop)
    elif len(branches) == 1:
        out = {**copy.deepcopy(branches[0]), **notes}
    else:
        out = {"anyOf": branches, **notes}
    if out.get("default", 0) is None:
        del out["default"]
    return out


def _nullable(prop: JsonSchemaValue) -> bool:
    return any(b.get("type") == "null" for b in prop.get("anyOf", ()))


def _add_templates(schema: JsonSchemaValue, model: type[BaseModel], table: TableSchema) -> None:
    required = {a.name for a in stored_attributes(model) if a.required}
    for key in table.index_key_attributes.values():
        if key.template is None:
            continue
        schema.setdefault("properties", {})[key.attribute] = {
            "type": "string",
            "pattern": _template_pattern(key.template),
            "description": f"composite key rendered from {key.template.pattern!r}",
        }
        if key.attribute in required:
            schema.setdefault("required", []).append(key.attribute)


def _apply_ttl(schema: JsonSchemaValue, model: type[BaseModel], table: TableSchema) -> None:
    """A datetime TTL field is stored as epoch seconds (``N``): an integer, not an ISO string.

    Applies to the table model and to its views and DTOs (their properties carry the stored
    names by then). A TTL of None is never stored (the attribute is omitted, even with
    ``Meta.store_none``), so the property is not nullable and not required when it may be None.
    """
    if table.ttl_field is None:
        return
    attribute = table.field_attributes[table.ttl_field]
    stored = next(a for a in stored_attributes(model) if a.name == attribute)
    if "S" in stored.types:
        return
    properties = schema.get("properties", {})
    prop = properties.get(attribute)
    if prop is None:
        return
    branches = prop.get("anyOf", [prop])
    if not any(b.get("type") == "string" for b in branches):
        return  # an int TTL: already a number
    nullable = any(b.get("type") == "null" for b in branches)
    notes = {k: prop[k] for k in ("title",) if k in prop}
    properties[attribute] = {
        "type": "integer",
        "description": "expiry time in epoch seconds (DynamoDB TTL)",
        **notes,
    }
    required = schema.get("required")
    if nullable and required and attribute in required:
        required.remove(attribute)


def _none_is_omitted(schema: JsonSchemaValue) -> None:
    """Without ``Meta.store_none`` the codec omits a top-level attribute whose value is None, so
    a nullable property is never required (a view's ``x: str | None`` included)."""
    required = schema.get("required")
    if not required:
        return
    properties = schema.get("properties", {})
    schema["required"] = [n for n in required if not _nullable(properties.get(n, {}))]
    if not schema["required"]:
        del schema["required"]


def _template_pattern(template: KeyTemplate) -> str:
    """The rendered key as a regex: the literal text, and values without a separator."""
    value = ".+"
    if template.separators:
        escaped = (
            "\\" + c if _REGEX_SPECIAL.fullmatch(c) or c == "-" else c for c in template.separators
        )
        value = "[^" + "".join(escaped) + "]+"
    return "^" + value.join(_REGEX_SPECIAL.sub(r"\\\1", p) for p in template.literals) + "$"
