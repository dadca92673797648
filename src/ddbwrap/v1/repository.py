"""``BaseRepository[T]``: V1's repository pattern, implemented on the V2 layers.

Declare the table on the repository class, as V1 did::

    class PipelineRepository(BaseRepository[PipelineConfig]):
        table_name = "pipeline_config"
        hash_key = "pipeline_id"
        range_key = None
        model_class = PipelineConfig
        indexes = {"tenant-index": ("tenant_id", "created_at")}   # GSIs: name -> keys

    repo = PipelineRepository(gateway)       # a TableGateway, a boto3 client, or None (env)
    repo.create(config); repo.get("p1"); repo.list("p1"); repo.update("p1", {"name": "x"})

Underneath, the repository derives a V2 ``DomainModel`` from its declaration
(:func:`ddbwrap.v1.to_domain_model`) and runs on ``ReadApi``/``WriteApi`` of that model through
:class:`~ddbwrap.v1.V1Adapter`: one codec, one gateway, one error hierarchy. So items written
here read back identically through V2 and the other way round, as long as the repository
declares the indexes the V2 model declares (boolean index keys are stored as "true"/"false").
Setting ``domain_model = TheV2Model`` makes the V2 model decide the storage outright.

Each repository class emits one ``DeprecationWarning`` (when first instantiated) pointing to
the migration guide.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ..errors import DOCS_ROOT, CorruptItemError
from ..gateway import TableGateway
from ..model import DomainModel, schema_of
from ..read import ReadApi
from ..write import WriteApi
from .adapter import Filters, V1Adapter
from .bridge import IndexDeclaration, repository_spec, to_domain_model
from .exceptions import v1_errors
from .models import field_specs, load, validation_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ..expressions import SortCondition

__all__ = ["MIGRATION_GUIDE", "BaseRepository"]

T = TypeVar("T")

MIGRATION_GUIDE = DOCS_ROOT + "migration.md"

_WARNED: set[type] = set()


class BaseRepository(Generic[T]):
    """V1's generic repository: ``get``, ``list``, ``list_all``, ``create``, ``update``,
    ``delete`` for one model and one table (deprecated: use ``ReadApi``/``WriteApi``).

    ``T`` is a pydantic v2 model (v1-style code is fine) or a ``pydantic.v1`` model.
    """

    table_name: ClassVar[str]
    hash_key: ClassVar[str]
    range_key: ClassVar[str | None] = None
    model_class: ClassVar[type[Any] | None] = None
    """The model; taken from ``BaseRepository[Model]`` when not set."""
    indexes: ClassVar[IndexDeclaration] = {}
    """GSIs: ``{"name": "hash_field"}`` or ``{"name": ("hash_field", "range_field")}``, or a
    list of ``GSI(...)``/``LSI(...)``. Declare every index the table has: a boolean index
    key is stored as "true"/"false", so the repository must know it is one."""
    naive_datetime_zone: ClassVar[str | None] = "UTC"
    """The zone of naive datetimes (V1 took them as UTC); None refuses them, like V2."""
    domain_model: ClassVar[type[DomainModel] | None] = None
    """A V2 model that decides the storage (checked against this declaration)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "table_name", None) and getattr(cls, "hash_key", None):
            to_domain_model(cls)  # a bad declaration fails here, at class definition

    def __init__(self, gateway: TableGateway | DynamoDBClient | None = None) -> None:
        cls = type(self)
        _warn_once(cls, stacklevel=3)
        domain = to_domain_model(cls)
        self._gateway = _as_gateway(gateway)
        self._domain: type[DomainModel] = domain
        self._model: type[Any] = repository_spec(cls).model_class
        self._adapter: V1Adapter[DomainModel] = V1Adapter(
            _bound(ReadApi, domain)(self._gateway), _bound(WriteApi, domain)(self._gateway)
        )
        attributes = {f.name: f.alias for f in field_specs(domain)}
        self._aliases = [(f.alias, attributes[f.name]) for f in field_specs(self._model)]

    @property
    def gateway(self) -> TableGateway:
        """The TableGateway every request goes through."""
        return self._gateway

    @property
    def adapter(self) -> V1Adapter[DomainModel]:
        """The V1 interface over the derived V2 model (returns V2 instances)."""
        return self._adapter

    @classmethod
    def to_domain_model(cls) -> type[DomainModel]:
        """The V2 DomainModel this repository stores its items as."""
        return to_domain_model(cls)

    # -- reads ---------------------------------------------------------------------------

    def get(
        self, hash_key: Any, range_key: Any = None, *, consistent_read: bool = False
    ) -> T | None:
        """The item with this key, or None when there is none."""
        with v1_errors():
            found = self._adapter.get(hash_key, range_key, consistent_read=consistent_read)
            return None if found is None else self._from_domain(found)

    def list(
        self,
        hash_key_value: Any = None,
        *,
        range_key_condition: SortCondition | object | None = None,
        index_name: str | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        ascending: bool = True,
        consistent_read: bool = False,
    ) -> builtins.list[T]:
        """The items with hash key ``hash_key_value`` (a Query), in range-key order; on the
        GSI ``index_name`` when given. ``range_key_condition`` is a value (equality) or a
        condition such as ``begins_with("2026-")`` or ``between(a, b)``; ``filters`` a dict of
        field values. Without ``hash_key_value`` this is ``list_all()``: a Scan."""
        with v1_errors():
            items = self._adapter.list(
                hash_key_value,
                range_key_condition=range_key_condition,
                index_name=index_name,
                filters=filters,
                limit=limit,
                ascending=ascending,
                consistent_read=consistent_read,
            )
            return [self._from_domain(item) for item in items]

    def list_all(
        self, *, filters: Filters | None = None, limit: int | None = None
    ) -> builtins.list[T]:
        """Every item of the table: a full **Scan** (reads and bills the whole table; logs a
        warning). Prefer ``list(hash_key_value)`` or an index."""
        with v1_errors():
            items = self._adapter.list_all(filters=filters, limit=limit)
            return [self._from_domain(item) for item in items]

    # -- writes --------------------------------------------------------------------------

    def create(self, item: T) -> T:
        """Store a new item; ``ItemAlreadyExistsException`` when one has the same key."""
        with v1_errors():
            return self._from_domain(self._adapter.create(item))

    def update(self, item_or_key: Any, changes: Mapping[str, Any] | None = None) -> T:
        """Update an existing item (``ItemNotFoundException`` when there is none); returns it
        as stored.

        ``update(item)`` writes every field of ``item``; ``update(key, {"field": value})``
        only the fields given (the key: hash key value, ``(hash, range)``, a dict, an item).
        """
        with v1_errors():
            return self._from_domain(self._adapter.update(item_or_key, changes))

    def delete(self, hash_key_or_item: Any, range_key: Any = None) -> bool:
        """Delete the item; True when there was one to delete."""
        with v1_errors():
            return self._adapter.delete(hash_key_or_item, range_key)

    # -- conversion ----------------------------------------------------------------------

    def _from_domain(self, item: DomainModel) -> T:
        """A V2 instance as the V1 model (validated by the V1 model's own rules)."""
        if type(item) is self._model:
            result: T = item  # type: ignore[assignment]  # the model is T
            return result
        data = item.model_dump(by_alias=True)
        values = {v1: data[v2] for v1, v2 in self._aliases if v2 in data}
        try:
            converted: T = load(self._model, values)
        except Exception as exc:
            errors = validation_errors(exc)
            if errors is None:
                raise
            schema = schema_of(self._domain)
            key = {k: values.get(k) for k in schema.key_fields}
            raise CorruptItemError(self._model.__name__, schema.table_name, key, errors) from exc
        return converted


def _warn_once(cls: type, *, stacklevel: int) -> None:
    if cls in _WARNED:
        return
    _WARNED.add(cls)
    warnings.warn(
        f"{cls.__name__} uses the V1 repository API (ddbwrap.v1.BaseRepository), which is "
        "deprecated: move to ReadApi/WriteApi and a DomainModel with a Meta (start with "
        f"`ddbwrap migrate scaffold`); migration guide: {MIGRATION_GUIDE}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def _as_gateway(gateway: TableGateway | DynamoDBClient | None) -> TableGateway:
    if gateway is None:
        return TableGateway.from_environment()
    if isinstance(gateway, TableGateway):
        return gateway
    return TableGateway(gateway)


def _bound(api: Any, model: type[DomainModel]) -> Any:
    """``api[model]`` for a model only known at run time."""
    return api[model]
