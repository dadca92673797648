"""``Collection``: one read over several entities of a shared table, each item as its own model.

::

    shop = Collection(gateway, Customer, Order, OrderLine)  # Collection[Customer | Order | ...]
    page = shop.query(customer_id="c1")                      # Page[Customer | Order | ...]
    for item in page:
        match item:
            case Order(): ...
            case OrderLine(): ...

The models must be models of one table (same logical table name and table key schema) whose
items can be told apart (:mod:`ddbwrap.entities`: key templates with different literal text,
or a ``Meta.entity`` discriminator); that is checked when the collection is built, with a
``ModelDefinitionError`` naming the two models that cannot be told apart. The *first* model
builds the requests: the partition key keywords, ``index=``, ``sort=`` and ``filter=`` are
those of its reads. Each item returned is decoded as the model it belongs to; items of none of
them are left out and reported on ``Page.skipped_keys`` (guard items silently), an item of one
of them that does not validate follows ``on_corrupt``.

``BaseCollection`` holds the checked plans and the flows (``ddbwrap.read.core.ReadCore``);
``Collection`` drives them with the sync driver, ``ddbwrap.aio.AsyncCollection`` with the
async one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, overload

from .._engine.steps import Flow
from .._redact import follows_gateway_setting
from ..codec import codec_for
from ..entities import check_distinguishable
from ..errors import ModelDefinitionError, check_on_corrupt, on_corrupt_in_force
from ..expressions import Condition, SortCondition
from ..gateway import TableGateway, require_gateway
from ..model import DomainModel
from .core import Clock, ReadCore, check_positive, utc_now
from .page import CursorCodec, MaxAge, Page, Secret, fingerprint
from .parallel import parallel_items
from .requests import (
    OnCorrupt,
    ReadPlan,
    merge_partition,
    page_request,
    query_plan,
    scan_plan,
    segment_bounds,
    segment_scan_plans,
)

T = TypeVar("T", bound=DomainModel)
A = TypeVar("A", bound=DomainModel)
B = TypeVar("B", bound=DomainModel)
C = TypeVar("C", bound=DomainModel)
D = TypeVar("D", bound=DomainModel)

MAX_COLLECTION_MODELS = 4


class BaseCollection(Generic[T]):
    """What ``Collection`` and ``ddbwrap.aio.AsyncCollection`` share (internal)."""

    _api_name: ClassVar[str] = "Collection"

    def __init__(
        self,
        gateway: Any,
        *models: type[DomainModel],
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None:
        name = self._api_name
        if not models or len(models) > MAX_COLLECTION_MODELS:
            raise ModelDefinitionError(
                name,
                f"takes 1 to {MAX_COLLECTION_MODELS} DomainModel classes of one table, got "
                f"{len(models)}",
            )
        for model in models:
            if not (isinstance(model, type) and issubclass(model, DomainModel)):
                raise ModelDefinitionError(
                    name, f"{model!r} is not a DomainModel class: pass the models of one table"
                )
        schemas = [codec_for(m).schema for m in models]
        check_distinguishable(schemas)
        self._models: tuple[type[DomainModel], ...] = tuple(models)
        self._gateway = self._checked_gateway(gateway)
        self._schema = schemas[0]
        self._core: ReadCore[Any] = ReadCore(
            models[0],
            self._gateway.physical_table_name(self._schema.table_name),
            CursorCodec(cursor_secret, max_age=cursor_max_age),
            models,
            clock=clock,
        )
        self._policy = self._gateway.retry
        self._names = [m.__name__ for m in models]
        self._on_corrupt = check_on_corrupt(on_corrupt, name)

    def _checked_gateway(self, gateway: object) -> Any:
        raise NotImplementedError

    @property
    def gateway(self) -> Any:
        """The gateway this collection reads through."""
        return self._gateway

    @property
    def models(self) -> tuple[type[DomainModel], ...]:
        """The models whose items this collection returns (the first builds the requests)."""
        return self._models

    @property
    def cursors(self) -> CursorCodec:
        """The codec that issues and checks this collection's pagination cursors."""
        return self._core.cursors

    @property
    def on_corrupt(self) -> OnCorrupt:
        """What a read does with an item of one of the models that does not validate, unless
        the call says: this collection's ``on_corrupt``, else its gateway's, else "raise"."""
        return self._corrupt_policy(None)

    def _corrupt_policy(self, on_corrupt: OnCorrupt | None) -> OnCorrupt:
        in_force: OnCorrupt = on_corrupt_in_force(
            on_corrupt, self._on_corrupt, self._gateway, self._api_name
        )
        return in_force

    def _page_items(self, raw_items: Any, on_corrupt: OnCorrupt | None) -> list[Any]:
        """One streamed page decoded (in the consumer's frame): error messages follow the
        gateway's ``redact_values`` here too."""
        policy = self._corrupt_policy(on_corrupt)
        with self._gateway.redaction():
            return self._core.decoded(raw_items, None, policy)

    # -- plans and flows --------------------------------------------------------------------

    def _bound(self, plan: ReadPlan) -> ReadPlan:
        """The plan with a fingerprint of this collection's models too (a cursor of one model's
        query is not a cursor of the collection's)."""
        marked = fingerprint({"collection": self._names, "plan": plan.fingerprint})
        return dataclasses.replace(plan, fingerprint=marked)

    @follows_gateway_setting
    def _query_plan(
        self,
        partition: Mapping[str, object] | None,
        key_values: Mapping[str, object],
        index: str | None,
        sort: SortCondition | object | None,
        filter: Condition | None,
        descending: bool,
        consistent: bool,
        capacity: bool,
        include_expired: bool = False,
    ) -> ReadPlan:
        plan = query_plan(
            self._models[0],
            merge_partition(partition, key_values, self._schema.model_name),
            index=index,
            sort=sort,
            filter=filter,
            descending=descending,
            consistent=consistent,
            capacity=capacity,
            narrow=False,  # every entity of the partition, not just the first model's
            expiry=self._core.expiry(include_expired),
        )
        return self._bound(plan)

    @follows_gateway_setting
    def _scan_plan(
        self,
        index: str | None,
        filter: Condition | None,
        consistent: bool,
        capacity: bool,
        segment: tuple[int, int] | None,
        include_expired: bool = False,
    ) -> ReadPlan:
        bounds = segment_bounds(segment)
        plan = scan_plan(
            self._models[0],
            index=index,
            filter=filter,
            consistent=consistent,
            capacity=capacity,
            segment=bounds[0],
            segments=bounds[1],
            expiry=self._core.expiry(include_expired),
        )
        return self._bound(plan)

    @follows_gateway_setting
    def _segment_flows(
        self,
        segments: int,
        index: str | None,
        filter: Condition | None,
        consistent: bool,
        page_size: int | None,
        include_expired: bool,
    ) -> list[Flow[None]]:
        """The pages flow of a scan, or of each of its ``segments`` (a parallel scan; one
        clock reading for all of them)."""
        plans = segment_scan_plans(
            self._models[0],
            segments,
            index=index,
            filter=filter,
            consistent=consistent,
            expiry=self._core.expiry(include_expired),
        )
        return [self._pages_flow(self._bound(plan), page_size) for plan in plans]

    @follows_gateway_setting
    def _page_flow(
        self,
        plan: ReadPlan,
        limit: int | None,
        cursor: str | None,
        page_size: int | None,
        on_corrupt: OnCorrupt | None,
    ) -> Flow[Page[Any]]:
        params = self._core.first_request(plan, limit, cursor, page_size)
        policy = self._corrupt_policy(on_corrupt)
        return self._core.page(self._policy, plan, params, None, limit, policy, page_size)

    @follows_gateway_setting
    def _pages_flow(self, plan: ReadPlan, page_size: int | None) -> Flow[None]:
        check_positive("page_size", page_size, self._schema.model_name)
        return self._core.raw_pages(self._policy, plan, page_request(plan, page_size), None)


class Collection(BaseCollection[T]):
    """Reads of several entities of one table: each item decoded as its own model.

    ``Collection(gateway, Order, OrderLine)`` is a ``Collection[Order | OrderLine]``: its
    pages are ``Page[Order | OrderLine]`` for ``mypy --strict`` (1 to 4 models).
    """

    _gateway: TableGateway

    @overload
    def __init__(
        self: Collection[A],
        gateway: TableGateway,
        a: type[A],
        /,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None: ...

    @overload
    def __init__(
        self: Collection[A | B],
        gateway: TableGateway,
        a: type[A],
        b: type[B],
        /,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None: ...

    @overload
    def __init__(
        self: Collection[A | B | C],
        gateway: TableGateway,
        a: type[A],
        b: type[B],
        c: type[C],
        /,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None: ...

    @overload
    def __init__(
        self: Collection[A | B | C | D],
        gateway: TableGateway,
        a: type[A],
        b: type[B],
        c: type[C],
        d: type[D],
        /,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None: ...

    def __init__(
        self,
        gateway: TableGateway,
        *models: type[DomainModel],
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(
            gateway,
            *models,
            cursor_secret=cursor_secret,
            cursor_max_age=cursor_max_age,
            on_corrupt=on_corrupt,
            clock=clock,
        )

    def _checked_gateway(self, gateway: object) -> TableGateway:
        return require_gateway(gateway, self._api_name)

    @property
    def gateway(self) -> TableGateway:
        return self._gateway

    def query(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> Page[T]:
        """One page of a Query of a partition (of the table or of ``index``): the items of
        every model of the collection, each as its own model, in key order. The partition key
        fields, ``sort`` and ``filter`` are the first model's; ``limit`` and ``cursor`` work as
        in ``ReadApi.query`` (items of other entities do not count towards ``limit``)."""
        plan = self._query_plan(
            partition,
            key_values,
            index,
            sort,
            filter,
            descending,
            consistent,
            capacity,
            include_expired,
        )
        return self._gateway.run(self._page_flow(plan, limit, cursor, page_size, on_corrupt))

    def query_all(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        descending: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> Iterator[T]:
        """Every item of a query, lazily (one page in memory at a time)."""
        plan = self._query_plan(
            partition,
            key_values,
            index,
            sort,
            filter,
            descending,
            consistent,
            False,
            include_expired,
        )
        return self._items(self._pages_flow(plan, page_size), on_corrupt)

    def scan(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        segment: tuple[int, int] | None = None,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Page[T]:
        """One page of a Scan of the table (or index): every model's items, as their models."""
        plan = self._scan_plan(index, filter, consistent, capacity, segment, include_expired)
        return self._gateway.run(self._page_flow(plan, limit, cursor, page_size, on_corrupt))

    def scan_all(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        consistent: bool = False,
        segments: int = 1,
        page_size: int | None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Iterator[T]:
        """Every item of a Scan, lazily. ``segments=N`` runs N parallel segment scans in
        threads; items arrive in no particular order, a bounded number of pages in memory."""
        flows = self._segment_flows(segments, index, filter, consistent, page_size, include_expired)
        if len(flows) == 1:
            return self._items(flows[0], on_corrupt)
        return parallel_items(self._gateway, flows, lambda raw: self._page_items(raw, on_corrupt))

    def _items(self, flow: Flow[None], on_corrupt: OnCorrupt | None) -> Iterator[T]:
        for raw_items in self._gateway.iterate(flow):
            items = self._page_items(raw_items, on_corrupt)
            del raw_items  # hold no raw page while the next one is fetched
            yield from items


__all__ = ["BaseCollection", "Collection"]
