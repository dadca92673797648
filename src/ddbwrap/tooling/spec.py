"""The tables a set of models needs: one ``TableSpec`` per table (guard tables included).

Models that share a table (single-table design) are merged: they must agree on the key schema,
billing mode and TTL attribute, and an index declared by several of them must be declared the
same way; their indexes and key attributes are united.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from ddbwrap.errors import ModelDefinitionError
from ddbwrap.model import schema_of
from ddbwrap.schema import TableSchema


@dataclass
class TableSpec:
    """What one table must look like, with logical names (no prefix/suffix)."""

    table: str
    kind: Literal["table", "unique"]
    params: dict[str, Any]
    """CreateTable keyword arguments (``TableName`` is the logical name)."""
    ttl_attribute: str | None = None
    models: list[str] = field(default_factory=list)
    schemas: list[TableSchema] = field(default_factory=list)

    @property
    def gsis(self) -> list[dict[str, Any]]:
        return list(self.params.get("GlobalSecondaryIndexes", ()))

    @property
    def lsis(self) -> list[dict[str, Any]]:
        return list(self.params.get("LocalSecondaryIndexes", ()))

    @property
    def index_count(self) -> int:
        return len(self.gsis) + len(self.lsis)

    def owners(self, models: Iterable[type[BaseModel]]) -> list[type[BaseModel]]:
        """Those of ``models`` whose items this table stores."""
        return [m for m in models if any(schema_of(m) is s for s in self.schemas)]


def table_specs(models: Iterable[type[BaseModel]]) -> list[TableSpec]:
    """The merged TableSpecs of ``models``: tables first (in model order), then guard tables."""
    tables: dict[str, TableSpec] = {}
    guards: dict[str, TableSpec] = {}
    for model in models:
        schema = schema_of(model)
        _merge(tables, schema, "table", schema.create_table_params(), schema.ttl_attribute)
        guard = schema.unique_table_params()
        if guard is not None:
            _merge(guards, schema, "unique", guard, None)
    clash = set(tables) & set(guards)
    if clash:
        name = sorted(clash)[0]
        raise ModelDefinitionError(
            guards[name].models[0],
            f"unique guard table {name!r} is also a model's table; set Meta.unique_table "
            "to another name",
        )
    return list(tables.values()) + list(guards.values())


def _merge(
    into: dict[str, TableSpec],
    schema: TableSchema,
    kind: Literal["table", "unique"],
    params: dict[str, Any],
    ttl: str | None,
) -> None:
    name = params["TableName"]
    spec = into.get(name)
    if spec is None:
        into[name] = TableSpec(
            name, kind, copy.deepcopy(params), ttl, [schema.model_name], [schema]
        )
        return
    owner = spec.models[0]
    problem = _conflict(spec, params, ttl)
    if problem:
        raise ModelDefinitionError(
            schema.model_name,
            f"shares table {name!r} with {owner} but {problem}; models sharing a table must "
            "declare the same keys, billing mode and TTL",
        )
    if schema.model_name not in spec.models:
        spec.models.append(schema.model_name)
        spec.schemas.append(schema)
    definitions = {d["AttributeName"]: d for d in spec.params["AttributeDefinitions"]}
    for definition in params["AttributeDefinitions"]:
        known = definitions.setdefault(definition["AttributeName"], definition)
        if known != definition:
            raise ModelDefinitionError(
                schema.model_name,
                f"key attribute {definition['AttributeName']!r} of table {name!r} has type "
                f"{definition['AttributeType']}, but {owner} uses {known['AttributeType']}",
            )
    spec.params["AttributeDefinitions"] = [definitions[n] for n in sorted(definitions)]
    for group in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        _merge_indexes(spec, params.get(group, ()), group, schema.model_name, owner)
    if spec.ttl_attribute is None:
        spec.ttl_attribute = ttl


def _conflict(spec: TableSpec, params: dict[str, Any], ttl: str | None) -> str:
    if spec.params["KeySchema"] != params["KeySchema"]:
        return f"its key schema {_keys(params['KeySchema'])} differs"
    if spec.params["BillingMode"] != params["BillingMode"]:
        return f"its billing mode {params['BillingMode']} differs"
    if ttl and spec.ttl_attribute and ttl != spec.ttl_attribute:
        return f"its TTL attribute {ttl!r} differs from {spec.ttl_attribute!r}"
    return ""


def _merge_indexes(
    spec: TableSpec, indexes: Sequence[dict[str, Any]], group: str, model: str, owner: str
) -> None:
    if not indexes:
        return
    known = {i["IndexName"]: i for i in spec.params.get(group, ())}
    for index in indexes:
        existing = known.setdefault(index["IndexName"], copy.deepcopy(index))
        if existing != index:
            raise ModelDefinitionError(
                model,
                f"index {index['IndexName']!r} of table {spec.table!r} is declared differently "
                f"by {owner}; declare it the same way in both models",
            )
    spec.params[group] = list(known.values())


def _keys(schema: Sequence[dict[str, str]]) -> str:
    return "(" + ", ".join(f"{k['AttributeName']} {k['KeyType']}" for k in schema) + ")"
