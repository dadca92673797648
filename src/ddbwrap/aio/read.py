"""``AsyncReadApi[M]``: ``ReadApi``'s async twin, on the same flows.

Every method has its sync twin's name, parameters, checks, errors and result (awaited, or an
async iterator for ``query_all``/``scan_all``), because it runs the very flow its twin runs
(``BaseReadApi`` builds them; ``ddbwrap.read.core.ReadCore`` holds them) with the async driver.

::

    class GoalReads(AsyncReadApi[Goal]):
        async def active(self, tenant_id: str) -> Page[GoalSummary]:
            return await self.query(index="tenant-index", tenant_id=tenant_id, view=GoalSummary)

    goal = await GoalReads(gateway).get(goal_id="g1")        # Goal | None
    async for goal in reads.query_all(tenant_id="t1"):       # one page in memory at a time
        ...
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from .._engine.steps import Flow, R
from ..expressions import Condition, SortCondition
from ..keys import KeyLike
from ..model import DomainModel
from ..read.api import BaseReadApi
from ..read.core import Clock, utc_now
from ..read.page import BatchResult, MaxAge, Page, Secret
from ..read.requests import OnCorrupt, ReadPlan
from ..read.view import View, ViewOf
from .drive import close
from .gateway import AsyncTableGateway, require_async_gateway
from .parallel import parallel_items

__all__ = ["AsyncReadApi"]

M = TypeVar("M", bound=DomainModel)
V = TypeVar("V", bound=View[Any])


class AsyncReadApi(BaseReadApi[M]):
    """Typed async reads of one DomainModel: the methods of ``ReadApi``, awaited.

    ``cursor_secret`` signs pagination cursors (see ``ReadApi``); cursors of the two APIs are
    interchangeable when they share the secret. ``on_corrupt``: as ``ReadApi``'s (this API's
    default, else the gateway's, else ``"raise"``). ``clock`` and every read's
    ``include_expired=``: as ``ReadApi``'s (expired TTL items hidden, by the same core).
    """

    _api_name = "AsyncReadApi"
    _gateway: AsyncTableGateway

    def __init__(
        self,
        gateway: AsyncTableGateway,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(
            gateway,
            cursor_secret=cursor_secret,
            cursor_max_age=cursor_max_age,
            on_corrupt=on_corrupt,
            clock=clock,
        )

    def _checked_gateway(self, gateway: object) -> AsyncTableGateway:
        return require_async_gateway(gateway, type(self).__name__)

    @property
    def gateway(self) -> AsyncTableGateway:
        return self._gateway

    # -- get -------------------------------------------------------------------------------

    @overload
    async def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: None = None,
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> M | None: ...

    @overload
    async def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: ViewOf[M, V],
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> V | None: ...

    async def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> Any:
        """The item with this key (as the model, or as ``view``), or None when there is none.

        Pass the key fields as keyword arguments (``get(pipeline_id="p1")``; for a
        ``KeyTemplate`` key, the fields it names), or one mapping or model instance.
        """
        return await self._run(
            self._get_flow(key, key_values, view, consistent, include_expired=include_expired)
        )

    @overload
    async def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: None = None,
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> M: ...

    @overload
    async def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: ViewOf[M, V],
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> V: ...

    async def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> Any:
        """Like :meth:`get`, but a missing item raises ``ItemNotFoundError`` (table and key)."""
        return await self._run(
            self._get_flow(
                key, key_values, view, consistent, required=True, include_expired=include_expired
            )
        )

    # -- batch and transactional get ---------------------------------------------------------

    @overload
    async def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: None = None,
        consistent: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[M]: ...

    @overload
    async def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: ViewOf[M, V],
        consistent: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[V]: ...

    async def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        consistent: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Any:
        """Read any number of items by key (BatchGetItem, 100 keys per request, retried).

        Duplicate keys are read once; the result follows the order of ``keys`` and reports
        the missing ones. Unread leftovers after the retries raise ``UnprocessedItemsError``.
        """
        return await self._run(
            self._batch_get_flow(keys, view, consistent, on_corrupt, include_expired)
        )

    @overload
    async def transact_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[M]: ...

    @overload
    async def transact_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: ViewOf[M, V],
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[V]: ...

    async def transact_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Any:
        """Read up to 100 items as one consistent snapshot (TransactGetItems).

        More than 100 distinct keys is an error before sending; for several models at once
        use :func:`ddbwrap.read.transact_get`.
        """
        return await self._run(self._transact_get_flow(keys, view, on_corrupt, include_expired))

    # -- query -------------------------------------------------------------------------------

    @overload
    async def query(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: None = None,
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        fetch_full: bool = False,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> Page[M]: ...

    @overload
    async def query(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: ViewOf[M, V],
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        fetch_full: bool = False,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> Page[V]: ...

    async def query(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        fetch_full: bool = False,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> Any:
        """One page of a Query on the table or on the declared index ``index``.

        The partition key fields are keyword arguments; ``sort`` is a sort-key condition
        (``between``, ``begins_with``, ``gt``... or a plain value for equality). ``limit``
        is the number of items returned: with a ``filter`` that leaves pages short, reading
        goes on until ``limit`` items or the end, and ``cursor`` resumes right after the
        last item returned. Without ``limit`` a page is what one request returns (up to
        1 MB; with a filter it can be short, even empty, while ``cursor`` is not None).
        """
        plan = self._query_plan(
            partition,
            key_values,
            include_expired=include_expired,
            index=index,
            sort=sort,
            filter=filter,
            view=view,
            descending=descending,
            consistent=consistent,
            capacity=capacity,
            fetch_full=fetch_full,
        )
        return await self._run(self._page_flow(plan, view, limit, cursor, page_size, on_corrupt))

    @overload
    def query_all(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: None = None,
        descending: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
        fetch_full: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> AsyncIterator[M]: ...

    @overload
    def query_all(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: ViewOf[M, V],
        descending: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
        fetch_full: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> AsyncIterator[V]: ...

    def query_all(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        descending: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
        fetch_full: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
        **key_values: object,
    ) -> AsyncIterator[Any]:
        """Every item of a query, lazily: one page in memory at a time.

        The request is built (and checked) now; pages are fetched as the iterator is used.
        """
        plan = self._query_plan(
            partition,
            key_values,
            include_expired=include_expired,
            index=index,
            sort=sort,
            filter=filter,
            view=view,
            descending=descending,
            consistent=consistent,
            fetch_full=fetch_full,
        )
        return self._stream(plan, view, page_size, on_corrupt)

    async def count(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> int:
        """How many items a query matches (Select=COUNT over every page; no items sent)."""
        plan = self._query_plan(
            partition,
            key_values,
            include_expired=include_expired,
            index=index,
            sort=sort,
            filter=filter,
            consistent=consistent,
            count=True,
        )
        return await self._count(plan)

    # -- scan --------------------------------------------------------------------------------

    @overload
    async def scan(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: None = None,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        segment: tuple[int, int] | None = None,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Page[M]: ...

    @overload
    async def scan(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: ViewOf[M, V],
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        segment: tuple[int, int] | None = None,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Page[V]: ...

    async def scan(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        segment: tuple[int, int] | None = None,
        capacity: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> Any:
        """One page of a Scan of the whole table (or index): explicit, never a fallback.

        ``segment=(i, n)`` scans segment ``i`` of ``n`` (one worker of a parallel scan).
        ``limit`` and ``cursor`` work as in :meth:`query`.
        """
        plan = self._scan_plan(index, filter, view, consistent, capacity, segment, include_expired)
        return await self._run(self._page_flow(plan, view, limit, cursor, page_size, on_corrupt))

    @overload
    def scan_all(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: None = None,
        consistent: bool = False,
        segments: int = 1,
        page_size: int | None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> AsyncIterator[M]: ...

    @overload
    def scan_all(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: ViewOf[M, V],
        consistent: bool = False,
        segments: int = 1,
        page_size: int | None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> AsyncIterator[V]: ...

    def scan_all(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: Any = None,  # a ViewOf[M, V] or None (the overloads)
        consistent: bool = False,
        segments: int = 1,
        page_size: int | None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> AsyncIterator[Any]:
        """Every item of a Scan, streamed. ``segments=N`` runs N parallel segment scans as
        tasks; items arrive in no particular order, a bounded number of pages in memory."""
        plans = self._segment_plans(
            segments, index, filter, view, consistent, include_expired=include_expired
        )
        if len(plans) == 1:
            return self._stream(plans[0], view, page_size, on_corrupt)
        return self._parallel(plans, view, page_size, on_corrupt)

    async def scan_count(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        consistent: bool = False,
        segments: int = 1,
        include_expired: bool = False,
    ) -> int:
        """How many items a scan matches (Select=COUNT), with ``segments`` parallel tasks."""
        plans = self._segment_plans(
            segments, index, filter, None, consistent, count=True, include_expired=include_expired
        )
        if len(plans) == 1:
            return await self._count(plans[0])
        return sum(await asyncio.gather(*(self._count(plan) for plan in plans)))

    # -- running flows ---------------------------------------------------------------------

    async def _run(self, flow: Flow[R]) -> R:
        """Drive one of the core's flows (the sync API drives the same flows)."""
        return await self._gateway.run(flow)

    async def _count(self, plan: ReadPlan) -> int:
        return await self._run(self._count_flow(plan))

    def _stream(
        self,
        plan: ReadPlan,
        view: type[View[Any]] | None,
        page_size: int | None,
        on_corrupt: OnCorrupt | None,
    ) -> AsyncIterator[Any]:
        flow = self._pages_flow(plan, view, page_size)  # checked now, sent when iterated
        return self._items(self._gateway.iterate(flow), view, on_corrupt)

    async def _items(
        self, pages: AsyncIterator[Any], view: type[View[Any]] | None, on_corrupt: OnCorrupt | None
    ) -> AsyncIterator[Any]:
        try:
            async for raw_items in pages:
                items = self._page_items(raw_items, view, on_corrupt)
                del raw_items  # hold one page, decoded, while the next one is fetched
                for item in items:
                    yield item
                del items
        finally:
            await close(pages)

    def _parallel(
        self,
        plans: list[ReadPlan],
        view: type[View[Any]] | None,
        page_size: int | None,
        on_corrupt: OnCorrupt | None,
    ) -> AsyncIterator[Any]:
        """Scan every segment in its own task (``parallel_items``)."""
        flows = [self._pages_flow(plan, view, page_size) for plan in plans]  # checked now
        return parallel_items(
            self._gateway, flows, lambda raw: self._page_items(raw, view, on_corrupt)
        )
