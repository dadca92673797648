"""Run V1 call sites on V2 ``ReadApi``/``WriteApi`` objects, one handler at a time.

``V1Adapter(reads, writes)`` has the V1 repository's method names and return shapes
(``get`` -> item or None, ``list`` -> a list, ``delete`` -> bool), raises V1's exceptions
(which are ddbwrap's), and returns V2 model instances, which keep the v1-style ``.dict()``
(deprecated in pydantic v2, still working). So a handler written against a V1 repository can
be handed an adapter over the new V2 APIs and migrated later::

    repo = V1Adapter(PipelineConfigReadApi(gateway), WriteApi[PipelineConfig](gateway))
    handler(repo)                         # unchanged V1 code: repo.get("p1"), repo.list(...)

``BaseRepository`` itself runs on this adapter, over the V2 model derived from it.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from typing import Any, Generic, Protocol, TypeVar

from pydantic import ValidationError as PydanticValidationError

from ..errors import CorruptItemError, ValidationError
from ..expressions import Attr, Condition, SortCondition, Update, all_of
from ..model import DomainModel, schema_of
from ..read import ReadApi
from ..schema import KeyAttribute, TableSchema
from ..write import ANY_VERSION, WriteApi
from ..write.locking import ExpectedVersion
from .exceptions import v1_errors
from .models import dump, field_specs, is_model_class, validation_errors

__all__ = ["Filters", "RepositoryLike", "V1Adapter", "as_v1_repository"]

M = TypeVar("M", bound=DomainModel)
T = TypeVar("T")

logger = logging.getLogger("ddbwrap.v1")

Filters = Mapping[str, Any] | Condition
"""V1 filters: ``{"status": "active"}`` (every field equals its value) or a V2 condition."""


class RepositoryLike(Protocol[T]):
    """What V1 call sites use: satisfied by ``BaseRepository[T]`` and ``V1Adapter[T]``, so a
    handler annotated with it accepts either while it moves from one to the other."""

    def get(
        self, hash_key: Any, range_key: Any = None, *, consistent_read: bool = False
    ) -> T | None: ...

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
    ) -> builtins.list[T]: ...

    def list_all(
        self, *, filters: Filters | None = None, limit: int | None = None
    ) -> builtins.list[T]: ...

    def create(self, item: Any) -> T: ...

    def update(self, item_or_key: Any, changes: Mapping[str, Any] | None = None) -> T: ...

    def delete(self, hash_key_or_item: Any, range_key: Any = None) -> bool: ...


class V1Adapter(Generic[M]):
    """The V1 repository interface (``get``, ``list``, ``list_all``, ``create``, ``update``,
    ``delete``) over a V2 ``ReadApi[M]`` and ``WriteApi[M]`` of the same model."""

    def __init__(self, reads: ReadApi[M], writes: WriteApi[M]) -> None:
        if reads.model is not writes.model:
            raise ValidationError(
                f"the ReadApi reads {reads.model.__name__} but the WriteApi writes "
                f"{writes.model.__name__}; pass the two halves of one model"
            )
        self._reads = reads
        self._writes = writes
        self._model: type[M] = reads.model
        self._schema: TableSchema = schema_of(self._model)

    @property
    def reads(self) -> ReadApi[M]:
        """The V2 ReadApi underneath (for call sites already migrated)."""
        return self._reads

    @property
    def writes(self) -> WriteApi[M]:
        """The V2 WriteApi underneath."""
        return self._writes

    @property
    def model(self) -> type[M]:
        return self._model

    # -- reads ---------------------------------------------------------------------------

    def get(
        self, hash_key: Any, range_key: Any = None, *, consistent_read: bool = False
    ) -> M | None:
        """The item with this key, or None (V2: ``reads.get(**key)``).

        ``hash_key`` is the partition key value (``range_key`` the sort key value), or a
        mapping of the key fields, or an item.
        """
        with v1_errors():
            return self._reads.get(self.key(hash_key, range_key), consistent=consistent_read)

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
    ) -> builtins.list[M]:
        """The items of one partition (a Query; V2: ``reads.query_all(...)``), in sort-key
        order; on the index ``index_name`` when given. Without ``hash_key_value`` this is
        :meth:`list_all`, a Scan (and logs a warning saying so)."""
        if hash_key_value is None:
            return self.list_all(filters=filters, limit=limit, index_name=index_name)
        with v1_errors():
            partition = self._partition(hash_key_value, index_name)
            options: dict[str, Any] = {
                "index": index_name,
                "sort": range_key_condition,
                "filter": self._filter(filters),
                "descending": not ascending,
                "consistent": consistent_read,
            }
            if limit is not None:
                return builtins.list(self._reads.query(partition, limit=limit, **options))
            return builtins.list(self._reads.query_all(partition, **options))

    def list_all(
        self,
        *,
        filters: Filters | None = None,
        limit: int | None = None,
        index_name: str | None = None,
    ) -> builtins.list[M]:
        """Every item of the table: a full **Scan**, which reads (and bills) the whole table.

        Logs a warning each time; query a partition (``list(hash_key_value)``) or an index
        instead where you can. V2: ``reads.scan_all(...)``, explicit by name.
        """
        logger.warning(
            "list_all() on table %r is a full Scan: it reads every item of the table%s; "
            "query a partition or an index instead where you can",
            self._schema.table_name,
            f" (index {index_name!r})" if index_name else "",
        )
        with v1_errors():
            condition = self._filter(filters)
            if limit is not None:
                page = self._reads.scan(index=index_name, filter=condition, limit=limit)
                return builtins.list(page)
            return builtins.list(self._reads.scan_all(index=index_name, filter=condition))

    # -- writes --------------------------------------------------------------------------

    def create(self, item: M | Mapping[str, Any] | Any) -> M:
        """Store a new item; ``ItemAlreadyExistsException`` when the key is taken (V2:
        ``writes.create(...)``). ``item`` may also be a mapping or a V1 model instance."""
        with v1_errors():
            return self._writes.create(self.instance(item))

    def update(self, item_or_key: Any, changes: Mapping[str, Any] | None = None) -> M:
        """Update an existing item and return it as stored; ``ItemNotFoundException`` when
        there is none.

        ``update(item)`` writes every model field of ``item`` (V2: ``writes.replace(item)``);
        ``update(key, {"field": value})`` writes only those fields (V2: ``writes.update(key,
        UpdateDTO)``); the key is a hash key value, a ``(hash, range)`` tuple, a mapping of the
        key fields or an item. Attributes the model does not know are kept either way.
        """
        with v1_errors():
            expected = self._expected(item_or_key)
            if changes is None:
                instance = self.instance(item_or_key)
                return self._writes.replace(instance, expected_version=expected)
            key = self._key_of(item_or_key)
            return self._writes.update(key, self._update(changes), expected_version=expected)

    def delete(self, hash_key_or_item: Any, range_key: Any = None) -> bool:
        """Delete the item; True when there was one (V2: ``writes.delete(key)``)."""
        with v1_errors():
            key = self.key(hash_key_or_item, range_key)
            expected = self._expected(hash_key_or_item)
            try:
                old = self._writes.delete(key, expected_version=expected, return_old=True)
            except CorruptItemError:
                return True  # deleted; the old item just did not validate
            return old is not None

    # -- keys and values -----------------------------------------------------------------

    def key(self, hash_key: Any, range_key: Any = None) -> dict[str, Any]:
        """The table key as field values from V1-style arguments."""
        if isinstance(hash_key, self._model):
            return {name: getattr(hash_key, name) for name in self._schema.key_fields}
        if isinstance(hash_key, Mapping):
            fields = self._schema.key_fields
            if all(name in hash_key for name in fields):
                return {name: hash_key[name] for name in fields}
            return dict(hash_key)
        if is_model_class(type(hash_key)):
            values = self._values(hash_key)
            return {name: values.get(name) for name in self._schema.key_fields}
        pk, sk = self._schema.partition_key, self._schema.sort_key
        key = {_field(pk, self._schema, "hash key"): hash_key}
        if sk is not None:
            if range_key is None:
                raise ValidationError(
                    f"table {self._schema.table_name!r} has a range key ({sk.field}): pass "
                    "it as the second argument, or pass a mapping of the key fields",
                    model=self._schema.model_name,
                )
            key[_field(sk, self._schema, "range key")] = range_key
        elif range_key is not None:
            raise ValidationError(
                f"table {self._schema.table_name!r} has no range key, but one was given",
                model=self._schema.model_name,
            )
        return key

    def _expected(self, source: Any) -> ExpectedVersion:
        """The version a write expects: the one ``source`` carries (an item read before),
        else none at all, as V1 had no optimistic locking (the version still goes up)."""
        field = self._schema.version_field
        if field is None or isinstance(source, self._model):
            return None
        if isinstance(source, Mapping) and isinstance(source.get(field), int):
            version: int = source[field]
            return version
        if is_model_class(type(source)) and isinstance(getattr(source, field, None), int):
            found: int = getattr(source, field)
            return found
        return ANY_VERSION

    def _key_of(self, key: Any) -> dict[str, Any]:
        if isinstance(key, tuple) and len(key) == 2:
            return self.key(key[0], key[1])
        return self.key(key)

    def _partition(self, value: Any, index_name: str | None) -> dict[str, Any]:
        if isinstance(value, Mapping):
            return dict(value)
        pk = (
            self._schema.index(index_name).partition_key
            if index_name
            else self._schema.partition_key
        )
        return {_field(pk, self._schema, "partition key"): value}

    def instance(self, item: Any) -> M:
        """``item`` as the V2 model: itself, or validated from a mapping or a V1 model."""
        if isinstance(item, self._model):
            return item
        values = dict(item) if isinstance(item, Mapping) else self._values(item)
        try:
            return self._model.model_validate(values)
        except PydanticValidationError as exc:
            details = "; ".join(
                ".".join(str(p) for p in e.get("loc", ())) + ": " + str(e.get("msg", ""))
                for e in validation_errors(exc) or ()
            )
            raise ValidationError(
                f"the item is not a valid {self._model.__name__}: {details}",
                model=self._model.__name__,
            ) from None

    def _values(self, item: Any) -> dict[str, Any]:
        """A V1 model instance's values by field name (nested models by stored name)."""
        if not is_model_class(type(item)):
            raise ValidationError(
                f"expected a {self._model.__name__}, a mapping or a pydantic model, got "
                f"{type(item).__name__}",
                model=self._model.__name__,
            )
        data = dump(item)
        return {f.name: data[f.alias] for f in field_specs(type(item)) if f.alias in data}

    def _update(self, changes: Mapping[str, Any]) -> Update:
        if not changes:
            raise ValidationError(
                "update: the changes are empty; pass at least one field to change",
                model=self._schema.model_name,
            )
        update = Update()
        for name, value in changes.items():
            field = name if name in self._schema.field_attributes else None
            field = field or self._schema.attribute_fields.get(name, name)
            plain = dump(value) if is_model_class(type(value)) else value
            update = update.set(field, plain)
        return update

    def _filter(self, filters: Filters | None) -> Condition | None:
        if filters is None or isinstance(filters, Condition):
            return filters
        if not filters:
            return None
        return all_of(*(Attr(name) == value for name, value in filters.items()))


def _field(key: KeyAttribute, schema: TableSchema, role: str) -> str:
    if key.field is None:
        fields = ", ".join(key.fields)
        raise ValidationError(
            f"the {role} {key.attribute!r} is built from {fields} (a key template); pass a "
            "mapping of those fields instead of one value",
            model=schema.model_name,
        )
    return key.field


def as_v1_repository(reads: ReadApi[M], writes: WriteApi[M]) -> V1Adapter[M]:
    """``V1Adapter(reads, writes)``: V1 call sites on V2 APIs."""
    return V1Adapter(reads, writes)
