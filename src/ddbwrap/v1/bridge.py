"""Derive a V2 ``DomainModel`` from a V1 repository and its model.

A V1 repository declares its table on the repository class (``table_name``, ``hash_key``,
``range_key``, ``indexes``); V2 declares it in the model's ``Meta``. :func:`to_domain_model`
builds the V2 model from the V1 declaration with ``pydantic.create_model`` plus a ``Meta``, so
the V1 layer stores items exactly as V2 does (one codec, one schema), and so that the V2 model
of a V1 repository can be used, checked, exported or scaffolded (``ddbwrap migrate scaffold``).

When a repository names a V2 model (``domain_model = PipelineConfig``), that model decides the
storage instead, after a check that it agrees with the repository's declaration.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args, get_origin

import pydantic

from ..errors import ModelDefinitionError
from ..meta import GSI, LSI
from ..model import DomainModel, schema_of
from ..schema import TableSchema
from .models import FieldSpec, field_specs, is_model_class

__all__ = ["RepositorySpec", "derive_domain_model", "normalise_indexes", "to_domain_model"]

IndexDeclaration = (
    Mapping[str, str | tuple[str, str | None] | Mapping[str, str | None]] | Sequence[GSI | LSI]
)
"""``indexes`` of a V1 repository: ``{"name": "hash_field"}``, ``{"name": ("hash", "range")}``,
``{"name": {"hash_key": ..., "range_key": ...}}``, or a list of ``GSI(...)``/``LSI(...)``."""


@dataclass(frozen=True)
class RepositorySpec:
    """What a V1 repository class declares about its table."""

    name: str
    model_class: type[Any]
    table_name: str
    hash_key: str
    range_key: str | None
    indexes: tuple[GSI | LSI, ...]
    naive_datetime_zone: str | None
    domain_model: type[DomainModel] | None


def repository_spec(repository: type[Any]) -> RepositorySpec:
    """Read (and check) the declaration of a V1 repository class."""
    name = repository.__name__
    model = getattr(repository, "model_class", None) or model_argument(repository)
    if model is None or not is_model_class(model):
        raise ModelDefinitionError(
            name,
            "declares no model: set model_class = YourModel (a pydantic model) or subclass "
            "BaseRepository[YourModel]",
            field="model_class",
        )
    table_name = getattr(repository, "table_name", None)
    if not isinstance(table_name, str) or not table_name:
        raise ModelDefinitionError(
            name, "table_name is required (a non-empty string)", field="table_name"
        )
    hash_key = getattr(repository, "hash_key", None)
    if not isinstance(hash_key, str) or not hash_key:
        raise ModelDefinitionError(
            name, "hash_key is required (the name of a model field)", field="hash_key"
        )
    range_key = getattr(repository, "range_key", None)
    if range_key is not None and not isinstance(range_key, str):
        raise ModelDefinitionError(
            name, "range_key must be a field name or None", field="range_key"
        )
    domain = getattr(repository, "domain_model", None)
    if domain is not None and not (isinstance(domain, type) and issubclass(domain, DomainModel)):
        raise ModelDefinitionError(
            name, "domain_model must be a ddbwrap DomainModel class", field="domain_model"
        )
    spec = RepositorySpec(
        name=name,
        model_class=model,
        table_name=table_name,
        hash_key=hash_key,
        range_key=range_key,
        indexes=normalise_indexes(getattr(repository, "indexes", None) or (), name),
        naive_datetime_zone=getattr(repository, "naive_datetime_zone", "UTC"),
        domain_model=domain,
    )
    _check_fields(spec)
    return spec


def model_argument(repository: type[Any]) -> type[Any] | None:
    """``M`` of ``class Repo(BaseRepository[M])`` (searched through the class's bases)."""
    for klass in repository.__mro__:
        for base in klass.__dict__.get("__orig_bases__", ()):
            args = get_args(base)
            if get_origin(base) is not None and args and is_model_class(args[0]):
                model: type[Any] = args[0]
                return model
    return None


def normalise_indexes(declared: object, owner: str = "repository") -> tuple[GSI | LSI, ...]:
    """The ``indexes`` of a V1 repository as ``GSI``/``LSI`` declarations."""
    if isinstance(declared, Mapping):
        out: list[GSI | LSI] = []
        for index_name, keys in declared.items():
            if isinstance(keys, str):
                out.append(GSI(index_name, partition_key=keys))
            elif isinstance(keys, tuple) and len(keys) == 2:
                out.append(GSI(index_name, partition_key=keys[0], sort_key=keys[1]))
            elif isinstance(keys, Mapping) and "hash_key" in keys:
                out.append(
                    GSI(index_name, partition_key=keys["hash_key"], sort_key=keys.get("range_key"))
                )
            else:
                raise ModelDefinitionError(
                    owner,
                    f"index {index_name!r}: declare its keys as 'hash_field', "
                    "('hash_field', 'range_field') or {'hash_key': ..., 'range_key': ...}",
                    field="indexes",
                )
        return tuple(out)
    if isinstance(declared, Sequence) and not isinstance(declared, str):
        for index in declared:
            if not isinstance(index, (GSI, LSI)):
                raise ModelDefinitionError(
                    owner, f"indexes must hold GSI(...) or LSI(...), got {index!r}", field="indexes"
                )
        return tuple(declared)
    raise ModelDefinitionError(
        owner, "indexes must be a dict {index name: keys} or a list of GSI(...)", field="indexes"
    )


def _check_fields(spec: RepositorySpec) -> None:
    """V1 terms for the mistakes build_schema would otherwise report in V2 terms."""
    fields = [f.name for f in field_specs(spec.model_class)]
    named = [("hash_key", spec.hash_key), ("range_key", spec.range_key)]
    for index in spec.indexes:
        keys = (
            (index.partition_key, index.sort_key) if isinstance(index, GSI) else (index.sort_key,)
        )
        named += [(f"index {index.name!r}", k) for k in keys if isinstance(k, str)]
    for role, field in named:
        if field is not None and field not in fields:
            close = difflib.get_close_matches(field, fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ModelDefinitionError(
                spec.name,
                f"{role} names {field!r}, which is not a field of "
                f"{spec.model_class.__name__}{hint}",
                field=field,
            )


def derive_domain_model(
    model_class: type[Any],
    *,
    table_name: str,
    hash_key: str,
    range_key: str | None = None,
    indexes: Sequence[GSI | LSI] = (),
    naive_datetime_zone: str | None = "UTC",
    name: str | None = None,
) -> type[DomainModel]:
    """A V2 DomainModel with ``model_class``'s fields (types, defaults, aliases) and a Meta.

    ``naive_datetime_zone`` is the zone of naive datetimes (V1 took them as UTC). None fields
    are stored as NULL, as V1 stored them (``Meta.store_none = True``). Validators
    and constraints of the V1 model are not copied: the V1 model still checks its values.
    """
    specs = field_specs(model_class)
    # V1 stored None as NULL; its derived models keep doing so (V2 models omit None by default)
    meta_options: dict[str, Any] = {
        "table_name": table_name,
        "partition_key": hash_key,
        "store_none": True,
    }
    if range_key is not None:
        meta_options["sort_key"] = range_key
    gsis = [i for i in indexes if isinstance(i, GSI)]
    lsis = [i for i in indexes if isinstance(i, LSI)]
    if gsis:
        meta_options["gsis"] = gsis
    if lsis:
        meta_options["lsis"] = lsis
    if naive_datetime_zone:
        meta_options["naive_datetime_zone"] = naive_datetime_zone
    meta = type("Meta", (), meta_options)
    return _create(name or model_class.__name__, model_class, specs, meta)


def _create(
    name: str, source: type[Any], specs: Sequence[FieldSpec], meta: type
) -> type[DomainModel]:
    fields: dict[str, Any] = {s.name: (s.annotation, s.field_info()) for s in specs}
    meta.__module__ = source.__module__
    meta.__qualname__ = f"{name}.Meta"  # a nested class of the model: not a field
    derived: type[DomainModel] = pydantic.create_model(
        name,
        __base__=DomainModel,
        __module__=source.__module__,
        __qualname__=name,
        __doc__=f"V2 model derived from the V1 model {source.__module__}.{source.__qualname__}.",
        __namespace__={"Meta": meta},
        **fields,
    )
    return derived


def to_domain_model(repository: type[Any]) -> type[DomainModel]:
    """The V2 DomainModel of a V1 repository class (derived once, then cached on the class).

    Its ``Meta`` has the repository's table, hash key (partition key), range key (sort key),
    indexes (GSIs/LSIs) and the zone of naive datetimes; its fields are the V1 model's. When
    the repository names ``domain_model``, that model is checked against the repository's
    declaration and returned.
    """
    cached = repository.__dict__.get("__ddb_v1_domain__")
    if cached is not None:
        result: type[DomainModel] = cached
        return result
    spec = repository_spec(repository)
    declared = spec.domain_model
    schema = getattr(spec.model_class, "__ddb_schema__", None)
    if declared is None and isinstance(schema, TableSchema):
        declared = spec.model_class  # the model is a V2 model already
    if declared is not None:
        _check_declared(spec, declared)
        domain = declared
    else:
        try:
            domain = derive_domain_model(
                spec.model_class,
                table_name=spec.table_name,
                hash_key=spec.hash_key,
                range_key=spec.range_key,
                indexes=spec.indexes,
                naive_datetime_zone=spec.naive_datetime_zone,
            )
        except ModelDefinitionError as error:
            raise ModelDefinitionError(
                spec.name, f"cannot derive its V2 model: {error.message}", field=error.field
            ) from error
    repository.__ddb_v1_domain__ = domain
    return domain


def _check_declared(spec: RepositorySpec, domain: type[DomainModel]) -> None:
    """The V2 model named by ``domain_model`` must store what the repository declares."""
    schema = schema_of(domain)
    pk, sk = schema.partition_key, schema.sort_key
    problems = []
    if schema.table_name != spec.table_name:
        problems.append(f"table_name {spec.table_name!r} but its Meta says {schema.table_name!r}")
    if pk.field != spec.hash_key:
        problems.append(f"hash_key {spec.hash_key!r} but its partition key is {pk.field!r}")
    if (sk.field if sk else None) != spec.range_key:
        problems.append(
            f"range_key {spec.range_key!r} but its sort key is {sk.field if sk else None!r}"
        )
    domain_fields = {f.name: f for f in field_specs(domain)}
    managed = {schema.version_field, schema.created_at_field, schema.updated_at_field}
    v1_fields = {f.name: f for f in field_specs(spec.model_class)}
    for name in v1_fields.keys() - domain_fields.keys():
        problems.append(f"field {name!r} is not in {domain.__name__} (it would not be stored)")
    for name, field in domain_fields.items():
        if field.required and name not in v1_fields and name not in managed:
            problems.append(f"{domain.__name__} requires {name!r}, which the V1 model lacks")
    if problems:
        raise ModelDefinitionError(
            spec.name,
            f"domain_model {domain.__name__} does not match the repository: " + "; ".join(problems),
            field="domain_model",
        )
