"""``DomainModel``: a Pydantic v2 model whose ``Meta`` declares its DynamoDB table."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .entities import register
from .errors import ModelDefinitionError
from .schema import TableSchema, build_schema


class DomainModel(BaseModel):
    """Base class of table models; the schema is derived from ``Meta`` once, at definition.

    Attributes that the model does not know (written by other services) are ignored on read;
    a field may be stored under another name with a pydantic ``alias``.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    __ddb_schema__: ClassVar[TableSchema | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _refuse_misnamed_meta(cls)
        meta = cls.__dict__.get("Meta")
        if meta is None:
            parent = cls.__ddb_schema__
            cls.__ddb_schema__ = (
                build_schema(cls, _inherited_meta(cls)) if parent is not None else None
            )
            return
        schema = cls.__ddb_schema__ = build_schema(cls, meta)
        register(cls, schema)  # several models of one table must be told apart


def _refuse_misnamed_meta(cls: type) -> None:
    """``class meta:`` (or ``META``) would declare nothing, silently: refuse it at definition."""
    for name, value in vars(cls).items():
        if name != "Meta" and name.lower() == "meta" and isinstance(value, type):
            raise ModelDefinitionError(
                cls.__name__,
                f"declares `class {name}:`, which ddbwrap does not read: the table options "
                "class must be named `Meta`",
            )


def _inherited_meta(cls: type[DomainModel]) -> type:
    for base in cls.__mro__[1:]:
        meta = base.__dict__.get("Meta")
        if meta is not None:
            return meta  # type: ignore[no-any-return]
    raise ModelDefinitionError(cls.__name__, "no Meta found")  # pragma: no cover


def schema_of(model: type[BaseModel]) -> TableSchema:
    """The derived schema of a DomainModel class; a clear error for anything else."""
    schema = getattr(model, "__ddb_schema__", None)
    if not isinstance(schema, TableSchema):
        name = getattr(model, "__name__", repr(model))
        raise ModelDefinitionError(
            name,
            "is not a DomainModel with a Meta class; subclass ddbwrap.DomainModel and "
            "declare Meta.table_name and Meta.partition_key",
        )
    return schema
