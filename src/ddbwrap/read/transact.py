"""Transactional reads across models: one TransactGetItems, one consistent snapshot.

::

    pipeline = Get(PipelineConfig, pipeline_id="p1")
    table = Get(TableConfig, view=TableSummary, table_id="t1")
    snapshot = transact_get(gateway, [pipeline, table])
    snapshot[pipeline]   # PipelineConfig | None   (typed)
    snapshot[table]      # TableSummary | None
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from .._redact import shown_mapping
from ..codec import Item, codec_for
from ..entities import belongs_to
from ..errors import ItemNotFoundError, ValidationError
from ..expressions import Placeholders
from ..gateway import TableGateway, require_gateway
from ..keys import KeyLike, check_returned_key, key_fields, key_identity
from ..model import DomainModel
from .core import Clock, utc_now
from .requests import (
    MAX_TRANSACT_GET,
    Params,
    check_view,
    decode,
    is_expired,
    projection_params,
    ttl_attributes,
    wire_key,
)
from .view import View, view_attributes

T_co = TypeVar("T_co", covariant=True)
M = TypeVar("M", bound=DomainModel)
V = TypeVar("V", bound=View[Any])


class Get(Generic[T_co]):
    """One item to read in a transaction: a model, its key, and optionally a view."""

    __slots__ = ("key", "model", "values", "view")

    @overload
    def __init__(
        self: Get[M],
        model: type[M],
        key: KeyLike | None = None,
        /,
        *,
        view: None = None,
        **key_values: object,
    ) -> None: ...

    @overload
    def __init__(
        self: Get[V],
        model: type[DomainModel],
        key: KeyLike | None = None,
        /,
        *,
        view: type[V],
        **key_values: object,
    ) -> None: ...

    def __init__(
        self,
        model: type[DomainModel],
        key: KeyLike | None = None,
        /,
        *,
        view: type[View[Any]] | None = None,
        **key_values: object,
    ) -> None:
        codec = codec_for(model)
        check_view(model, view)
        self.model = model
        self.view = view
        self.values: dict[str, Any] = key_fields(
            model, codec.schema.key_fields, key, key_values, "key"
        )
        self.key: Item = wire_key(model, self.values)

    @property
    def table(self) -> str:
        """The logical table name."""
        return codec_for(self.model).schema.table_name

    def __repr__(self) -> str:
        target = self.view.__name__ if self.view else self.model.__name__
        return f"Get({target}, {shown_mapping(self.values)})"


class Snapshot:
    """The result of :func:`transact_get`: look items up by the ``Get`` that asked for them."""

    __slots__ = ("_results",)

    def __init__(self, results: Mapping[int, Any]) -> None:
        self._results = dict(results)

    def __getitem__(self, get: Get[T_co]) -> T_co | None:
        try:
            value: T_co | None = self._results[id(get)]
        except KeyError:
            raise KeyError(f"{get!r} was not part of this transaction") from None
        return value

    def require(self, get: Get[T_co]) -> T_co:
        """The item of ``get``; ``ItemNotFoundError`` when it does not exist."""
        value = self[get]
        if value is None:
            raise ItemNotFoundError(get.table, get.values)
        return value


def transact_get_request(gets: Sequence[Get[Any]]) -> list[Params]:
    """TransactGetItems actions for ``gets``, one per distinct item (DynamoDB refuses two
    actions on one item); a projection is sent when every read of that item uses a view."""
    groups = _group(gets)
    if len(groups) > MAX_TRANSACT_GET:
        raise ValidationError(
            f"transact_get takes at most {MAX_TRANSACT_GET} distinct items (DynamoDB's limit), "
            f"got {len(groups)}; split the read or use batch_get"
        )
    actions: list[Params] = []
    for members in groups.values():
        first = members[0]
        params: Params = {"TableName": first.table, "Key": first.key}
        if all(g.view is not None for g in members):
            attributes = set(first.key) | ttl_attributes(codec_for(first.model).schema)
            for g in members:
                assert g.view is not None
                attributes |= set(view_attributes(g.view).values())
            placeholders = Placeholders()
            params.update(projection_params(attributes, placeholders))
            params.update(placeholders.params())
        actions.append({"Get": params})
    return actions


def transact_get(
    gateway: TableGateway,
    gets: Sequence[Get[Any]],
    *,
    include_expired: bool = False,
    clock: Clock = utc_now,
) -> Snapshot:
    """Read up to 100 items of any models in one transaction (a consistent snapshot).

    An item of a model with ``Meta.ttl_attribute`` whose TTL is at or before ``clock()`` is
    read as missing (a post-read check), unless ``include_expired``."""
    require_gateway(gateway, "transact_get")
    with gateway.redaction():  # what the answer brings follows the gateway's redact_values
        return _snapshot(gateway, gets, include_expired, clock)


def _snapshot(
    gateway: TableGateway, gets: Sequence[Get[Any]], include_expired: bool, clock: Clock
) -> Snapshot:
    """What ``transact_get`` reads (its checks, the request and the decoding of the answer)."""
    if isinstance(gets, Get) or not gets:
        raise ValidationError("transact_get takes a non-empty list of Get(...) reads")
    actions = transact_get_request(gets)
    response = gateway.transact_get(actions)
    groups = _group(gets)
    now = None if include_expired else int(clock().timestamp())
    results: dict[int, Any] = {}
    for members, entry in zip(groups.values(), response.get("Responses", ()), strict=False):
        item = entry.get("Item")
        if item is not None:
            first = members[0]
            check_returned_key(first.model, first.values, item)
            schema = codec_for(first.model).schema
            if not belongs_to(schema, item):
                item = None  # another entity's item (or a guard item) at this key
            elif (
                now is not None
                and schema.ttl_attribute is not None
                and is_expired(item.get(schema.ttl_attribute), now)
            ):
                item = None  # expired: DynamoDB has not deleted it yet
        for g in members:
            results[id(g)] = None if item is None else decode(g.model, g.view, item)
    return Snapshot(results)


def _group(gets: Sequence[Get[Any]]) -> dict[tuple[Any, ...], list[Get[Any]]]:
    groups: dict[tuple[Any, ...], list[Get[Any]]] = {}
    for g in gets:
        if not isinstance(g, Get):
            raise ValidationError(f"transact_get takes Get(...) reads, got {type(g).__name__}")
        identity = (g.table, key_identity(g.key, sorted(g.key)))
        groups.setdefault(identity, []).append(g)
    return groups


__all__ = ["Get", "Snapshot", "transact_get", "transact_get_request"]
