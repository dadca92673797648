"""``reads.explain``: the requests a ``ReadApi`` would send, built and returned unsent.

Each method has the signature of the read it explains and builds its request with the same
code, so ``reads.explain.query(...)`` is exactly the first request of ``reads.query(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..expressions import Condition, SortCondition
from ..keys import KeyLike
from ..model import DomainModel
from .requests import (
    Params,
    batch_get_request,
    check_view,
    merge_partition,
    query_plan,
    scan_plan,
    segment_bounds,
)
from .view import View

if TYPE_CHECKING:
    from .core import ReadCore

__all__ = ["Explain"]


class Explain:
    """The requests a ReadApi would send, built without sending anything."""

    def __init__(self, core: ReadCore[Any]) -> None:
        self._core = core
        self._model: type[DomainModel] = core.model

    def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> Params:
        """GetItem parameters of ``reads.get(...)`` (GetItem has no filter: an expired item is
        hidden after it is read; a view's projection includes the TTL attribute for that)."""
        params, _ = self._core.get_request(key, key_values, view, consistent)
        return params

    def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        include_expired: bool = False,
    ) -> dict[str, Params]:
        """BatchGetItem ``RequestItems`` (before the gateway splits them into 100s)."""
        check_view(self._model, view)
        distinct = self._core.distinct(self._core.keys(keys))
        return batch_get_request(
            self._model, list(distinct.values()), view=view, consistent=consistent
        )

    def query(
        self,
        partition: Mapping[str, object] | None = None,
        /,
        *,
        index: str | None = None,
        sort: SortCondition | object | None = None,
        filter: Condition | None = None,
        view: type[View[Any]] | None = None,
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        fetch_full: bool = False,
        capacity: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> Params:
        """Parameters of the first Query request of ``reads.query(...)`` (with the TTL filter
        that hides expired items, unless ``include_expired``)."""
        plan = query_plan(
            self._model,
            merge_partition(partition, key_values, self._model.__name__),
            index=index,
            sort=sort,
            filter=filter,
            view=view,
            descending=descending,
            consistent=consistent,
            capacity=capacity,
            fetch_full=fetch_full,
            expiry=self._core.expiry(include_expired),
        )
        return self._core.first_request(plan, limit, cursor, page_size)

    def scan(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        segment: tuple[int, int] | None = None,
        capacity: bool = False,
        include_expired: bool = False,
    ) -> Params:
        """Parameters of the first Scan request of ``reads.scan(...)`` (with the TTL filter,
        unless ``include_expired``)."""
        plan = scan_plan(
            self._model,
            index=index,
            filter=filter,
            view=view,
            consistent=consistent,
            capacity=capacity,
            segment=segment_bounds(segment)[0],
            segments=segment_bounds(segment)[1],
            expiry=self._core.expiry(include_expired),
        )
        return self._core.first_request(plan, limit, cursor, page_size)
