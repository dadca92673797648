"""``AsyncCollection``: ``Collection``'s async twin, on the same flows.

``AsyncCollection(gateway, Order, OrderLine)`` is an ``AsyncCollection[Order | OrderLine]``;
``await shop.query(customer_id="c1")`` returns a ``Page[Order | OrderLine]`` and
``shop.query_all(...)`` an async iterator. Same checks, plans, flows and decoding as
:class:`ddbwrap.read.collection.Collection` (``BaseCollection``), driven by the async driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar, overload

from .._engine.steps import Flow
from ..expressions import Condition, SortCondition
from ..model import DomainModel
from ..read.collection import BaseCollection
from ..read.core import Clock, utc_now
from ..read.page import MaxAge, Page, Secret
from ..read.requests import OnCorrupt
from .drive import close
from .gateway import AsyncTableGateway, require_async_gateway
from .parallel import parallel_items

__all__ = ["AsyncCollection"]

T = TypeVar("T", bound=DomainModel)
A = TypeVar("A", bound=DomainModel)
B = TypeVar("B", bound=DomainModel)
C = TypeVar("C", bound=DomainModel)
D = TypeVar("D", bound=DomainModel)


class AsyncCollection(BaseCollection[T]):
    """Async reads of several entities of one table: each item decoded as its own model."""

    _api_name = "AsyncCollection"
    _gateway: AsyncTableGateway

    @overload
    def __init__(
        self: AsyncCollection[A],
        gateway: AsyncTableGateway,
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
        self: AsyncCollection[A | B],
        gateway: AsyncTableGateway,
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
        self: AsyncCollection[A | B | C],
        gateway: AsyncTableGateway,
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
        self: AsyncCollection[A | B | C | D],
        gateway: AsyncTableGateway,
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
        gateway: AsyncTableGateway,
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

    def _checked_gateway(self, gateway: object) -> AsyncTableGateway:
        return require_async_gateway(gateway, self._api_name)

    @property
    def gateway(self) -> AsyncTableGateway:
        return self._gateway

    async def query(
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
        """One page of a Query of a partition: see ``Collection.query``."""
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
        flow = self._page_flow(plan, limit, cursor, page_size, on_corrupt)
        page: Page[T] = await self._gateway.run(flow)
        return page

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
    ) -> AsyncIterator[T]:
        """Every item of a query, lazily (the request is checked now, sent when iterated)."""
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

    async def scan(
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
        """One page of a Scan of the table (or index): see ``Collection.scan``."""
        plan = self._scan_plan(index, filter, consistent, capacity, segment, include_expired)
        flow = self._page_flow(plan, limit, cursor, page_size, on_corrupt)
        page: Page[T] = await self._gateway.run(flow)
        return page

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
    ) -> AsyncIterator[T]:
        """Every item of a Scan, lazily; ``segments=N``: N parallel segment scans, in tasks
        (see ``Collection.scan_all``)."""
        flows = self._segment_flows(segments, index, filter, consistent, page_size, include_expired)
        if len(flows) == 1:
            return self._items(flows[0], on_corrupt)
        return parallel_items(self._gateway, flows, lambda raw: self._page_items(raw, on_corrupt))

    async def _items(self, flow: Flow[None], on_corrupt: OnCorrupt | None) -> AsyncIterator[T]:
        pages: AsyncIterator[Any] = self._gateway.iterate(flow)
        try:
            async for raw_items in pages:
                items = self._page_items(raw_items, on_corrupt)
                del raw_items
                for item in items:
                    yield item
        finally:
            await close(pages)
