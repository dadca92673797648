"""``ReadApi[M]``: the query half of CQRS for one domain model.

Subclass it per domain (``class PipelineConfigReadApi(ReadApi[PipelineConfig])``) and add
query methods named after the access patterns, or use it directly as
``ReadApi[PipelineConfig](gateway)``. Every method builds its request with the pure functions
of :mod:`ddbwrap.read.requests` (also reachable as ``reads.explain.<method>(...)``), makes the
call through the gateway, and transforms the response with pure functions.

``BaseReadApi`` holds what ``ReadApi`` and its async twin ``ddbwrap.aio.AsyncReadApi`` share:
the model binding, the configuration and, for every read, the checked plan and the flow it
runs; each facade only drives those flows (``self._run``) with its own driver.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    TypeVar,
    cast,
    get_args,
    get_origin,
    overload,
)

from .._engine.steps import Flow, R
from .._engine.threads import in_caller_context
from .._redact import follows_gateway_setting
from ..codec import codec_for
from ..errors import (
    ItemNotFoundError,
    ModelDefinitionError,
    check_on_corrupt,
    on_corrupt_in_force,
)
from ..expressions import Condition, SortCondition
from ..gateway import TableGateway, require_gateway
from ..keys import KeyLike
from ..model import DomainModel
from .core import Clock, ReadCore, check_positive, utc_now
from .explain import Explain
from .page import BatchResult, CursorCodec, MaxAge, Page, Secret
from .parallel import parallel_items
from .requests import (
    OnCorrupt,
    ReadPlan,
    check_view,
    merge_partition,
    page_request,
    query_plan,
    scan_plan,
    segment_bounds,
    segment_scan_plans,
)
from .view import View, ViewOf

logger = logging.getLogger("ddbwrap.read")

M = TypeVar("M", bound=DomainModel)
V = TypeVar("V", bound=View[Any])

_MODEL_VARIABLE: Any = M
_BOUND: dict[tuple[type, Any], type] = {}


class BaseReadApi(Generic[M]):
    """What ``ReadApi`` and ``ddbwrap.aio.AsyncReadApi`` share (internal: subclass those).

    The model binding (``ReadApi[Model]``, subclasses), the configuration, and for every read
    its checked plan and the flow that performs it; the facades drive the flows.
    """

    __ddb_model__: ClassVar[type[DomainModel] | None] = None
    __ddb_model_var__: ClassVar[Any] = _MODEL_VARIABLE
    _api_name: ClassVar[str] = "ReadApi"

    if not TYPE_CHECKING:

        def __class_getitem__(cls, params):
            """``ReadApi[Model]`` is a real subclass bound to ``Model`` (cached), so that
            ``ReadApi[Model](gateway)`` knows its model while ``__init__`` runs."""
            alias = super().__class_getitem__(params)
            args = params if isinstance(params, tuple) else (params,)
            if not all(isinstance(a, type) and issubclass(a, DomainModel) for a in args):
                return alias
            key = (cls, args)
            bound = _BOUND.get(key)
            if bound is None:
                names = ", ".join(a.__name__ for a in args)
                bound = types.new_class(f"{cls.__name__}[{names}]", (alias,))
                bound.__module__ = cls.__module__
                bound.__qualname__ = f"{cls.__qualname__}[{names}]"
                bound = _BOUND.setdefault(key, bound)  # threads racing here agree on one class
            return bound

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if not (isinstance(origin, type) and issubclass(origin, BaseReadApi)):
                continue
            if origin.__ddb_model__ is not None:
                continue
            variable = origin.__ddb_model_var__
            parameters = getattr(origin, "__parameters__", ())
            if variable not in parameters:
                continue
            arg = get_args(base)[parameters.index(variable)]
            if isinstance(arg, TypeVar):
                cls.__ddb_model_var__ = arg
            elif isinstance(arg, type) and issubclass(arg, DomainModel):
                codec_for(arg)  # a model without Meta fails here, at class definition
                cls.__ddb_model__ = arg
            else:
                raise ModelDefinitionError(
                    cls.__name__,
                    f"{cls._api_name}[{arg!r}]: the parameter must be a DomainModel class",
                )

    def __init__(
        self,
        gateway: Any,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
        cursor_max_age: MaxAge | None = None,
        on_corrupt: OnCorrupt | None = None,
        clock: Clock = utc_now,
    ) -> None:
        model = type(self).__ddb_model__
        if model is None:
            api = self._api_name
            raise ModelDefinitionError(
                type(self).__name__,
                f"does not know its model: write {api}[YourModel](gateway) or subclass "
                f"{api}[YourModel]",
            )
        self._model: type[M] = cast("type[M]", model)
        self._gateway = self._checked_gateway(gateway)
        self._schema = codec_for(self._model).schema
        self._core = ReadCore(
            self._model,
            self._gateway.physical_table_name(self._schema.table_name),
            CursorCodec(cursor_secret, max_age=cursor_max_age),
            clock=clock,
        )
        self._policy = self._gateway.retry
        self._on_corrupt = check_on_corrupt(on_corrupt, type(self).__name__)

    @property
    def on_corrupt(self) -> OnCorrupt:
        """What a query, scan or batch read does with an item that does not validate, unless
        the call says (``on_corrupt=``): this API's ``on_corrupt``, else its gateway's, else
        ``"raise"``."""
        return self._corrupt_policy(None)

    def _corrupt_policy(self, on_corrupt: OnCorrupt | None) -> OnCorrupt:
        in_force: OnCorrupt = on_corrupt_in_force(
            on_corrupt, self._on_corrupt, self._gateway, type(self).__name__
        )
        return in_force

    def _checked_gateway(self, gateway: object) -> Any:
        """``gateway`` when it is the kind of gateway this facade drives (else an error)."""
        raise NotImplementedError

    # -- introspection ---------------------------------------------------------------------

    @property
    def gateway(self) -> Any:
        """The gateway this API reads through."""
        return self._gateway

    @property
    def model(self) -> type[M]:
        """The domain model this API reads."""
        return self._model

    @property
    def cursors(self) -> CursorCodec:
        """The codec that issues and checks this API's pagination cursors."""
        return self._core.cursors

    @property
    def explain(self) -> Explain:
        """Pure request builders with the signatures of the reads: ``reads.explain.query(...)``
        returns the parameters that ``reads.query(...)`` would send first, sending nothing."""
        return Explain(self._core)

    # -- the flow of every read (checked when built; run by the facade) ---------------------

    @follows_gateway_setting
    def _get_flow(
        self,
        key: KeyLike | None,
        key_values: Mapping[str, object],
        view: type[View[Any]] | None,
        consistent: bool,
        *,
        required: bool = False,
        include_expired: bool = False,
    ) -> Flow[Any]:
        """GetItem of one key; ``required``: a missing item raises ``ItemNotFoundError``
        (an expired one too, unless ``include_expired``)."""
        params, values = self._core.get_request(key, key_values, view, consistent)
        now = self._core.now(include_expired)
        flow = self._core.get(self._policy, params, values, view, now)
        return self._required(flow, values) if required else flow

    def _required(self, flow: Flow[Any], values: dict[str, Any]) -> Flow[Any]:
        found = yield from flow
        if found is None:
            raise ItemNotFoundError(self._schema.table_name, values)
        return found

    @follows_gateway_setting
    def _batch_get_flow(
        self,
        keys: Iterable[KeyLike],
        view: type[View[Any]] | None,
        consistent: bool,
        on_corrupt: OnCorrupt | None,
        include_expired: bool = False,
    ) -> Flow[BatchResult[Any]]:
        check_view(self._model, view)
        requested = self._core.keys(keys)
        policy = self._corrupt_policy(on_corrupt)
        now = self._core.now(include_expired)
        return self._core.batch_get(self._policy, requested, view, consistent, policy, now)

    @follows_gateway_setting
    def _transact_get_flow(
        self,
        keys: Iterable[KeyLike],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt | None,
        include_expired: bool = False,
    ) -> Flow[BatchResult[Any]]:
        check_view(self._model, view)
        requested = self._core.keys(keys)
        policy = self._corrupt_policy(on_corrupt)
        now = self._core.now(include_expired)
        return self._core.transact_get(self._policy, requested, view, policy, now)

    @follows_gateway_setting
    def _query_plan(
        self,
        partition: Mapping[str, object] | None,
        key_values: Mapping[str, object],
        *,
        index: str | None,
        sort: SortCondition | object | None,
        filter: Condition | None,
        view: type[View[Any]] | None = None,
        descending: bool = False,
        consistent: bool,
        capacity: bool = False,
        fetch_full: bool = False,
        count: bool = False,
        include_expired: bool = False,
    ) -> ReadPlan:
        return query_plan(
            self._model,
            merge_partition(partition, key_values, self._schema.model_name),
            index=index,
            sort=sort,
            filter=filter,
            view=view,
            descending=descending,
            consistent=consistent,
            capacity=capacity,
            fetch_full=fetch_full,
            count=count,
            expiry=self._core.expiry(include_expired),
        )

    @follows_gateway_setting
    def _scan_plan(
        self,
        index: str | None,
        filter: Condition | None,
        view: type[View[Any]] | None,
        consistent: bool,
        capacity: bool,
        segment: tuple[int, int] | None,
        include_expired: bool = False,
    ) -> ReadPlan:
        bounds = segment_bounds(segment)
        return scan_plan(
            self._model,
            index=index,
            filter=filter,
            view=view,
            consistent=consistent,
            capacity=capacity,
            segment=bounds[0],
            segments=bounds[1],
            expiry=self._core.expiry(include_expired),
        )

    @follows_gateway_setting
    def _segment_plans(
        self,
        segments: int,
        index: str | None,
        filter: Condition | None,
        view: type[View[Any]] | None,
        consistent: bool,
        *,
        count: bool = False,
        include_expired: bool = False,
    ) -> list[ReadPlan]:
        """One scan plan per segment of a parallel scan; a single plan for ``segments=1``
        (one clock reading for all of them)."""
        return segment_scan_plans(
            self._model,
            segments,
            index=index,
            filter=filter,
            view=view,
            consistent=consistent,
            count=count,
            expiry=self._core.expiry(include_expired),
        )

    @follows_gateway_setting
    def _page_flow(
        self,
        plan: ReadPlan,
        view: type[View[Any]] | None,
        limit: int | None,
        cursor: str | None,
        page_size: int | None,
        on_corrupt: OnCorrupt | None,
    ) -> Flow[Page[Any]]:
        """One page of a query or scan (``limit``, ``cursor`` and ``page_size`` checked now)."""
        params = self._core.first_request(plan, limit, cursor, page_size)
        policy = self._corrupt_policy(on_corrupt)
        return self._core.page(self._policy, plan, params, view, limit, policy, page_size)

    @follows_gateway_setting
    def _pages_flow(
        self, plan: ReadPlan, view: type[View[Any]] | None, page_size: int | None
    ) -> Flow[None]:
        """Every page's raw items of a streamed query or scan (``page_size`` checked now);
        ``_page_items`` turns each into items as the consumer takes them."""
        check_positive("page_size", page_size, self._schema.model_name)
        return self._core.raw_pages(self._policy, plan, page_request(plan, page_size), view)

    def _page_items(
        self, raw_items: Any, view: type[View[Any]] | None, on_corrupt: OnCorrupt | None
    ) -> list[Any]:
        """One streamed page decoded (in the consumer's frame, outside the driver): error
        messages follow the gateway's ``redact_values`` here too."""
        policy = self._corrupt_policy(on_corrupt)
        with self._gateway.redaction():
            return self._core.decoded(raw_items, view, policy)

    def _count_flow(self, plan: ReadPlan) -> Flow[int]:
        return self._core.count(self._policy, plan)


class ReadApi(BaseReadApi[M]):
    """Typed reads of one DomainModel: get, batch/transactional get, query, scan, count.

    ``cursor_secret`` signs pagination cursors; without it cursors are signed with a random
    per-process key and only work in the process that issued them (see ``docs/reading.md``).
    ``on_corrupt`` is what queries, scans and batch reads do with an item that does not
    validate when the call does not say: ``"raise"``, ``"skip"`` (reported on the page) or a
    callable that takes the ``CorruptItemError``; unset, the gateway's ``on_corrupt`` applies
    (``"raise"`` by default). ``clock``: "now" for hiding expired items (a model with
    ``Meta.ttl_attribute``: an item whose TTL has passed is not returned, counted or found
    unless the call passes ``include_expired=True``); injectable for tests, as
    ``WriteApi(clock=...)``.
    """

    _gateway: TableGateway

    def __init__(
        self,
        gateway: TableGateway,
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

    def _checked_gateway(self, gateway: object) -> TableGateway:
        return require_gateway(gateway, type(self).__name__)

    @property
    def gateway(self) -> TableGateway:
        return self._gateway

    # -- get -------------------------------------------------------------------------------

    @overload
    def get(
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
    def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: ViewOf[M, V],
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> V | None: ...

    def get(
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
        return self._run(
            self._get_flow(key, key_values, view, consistent, include_expired=include_expired)
        )

    @overload
    def require(
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
    def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: ViewOf[M, V],
        consistent: bool = False,
        include_expired: bool = False,
        **key_values: object,
    ) -> V: ...

    def require(
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
        return self._run(
            self._get_flow(
                key, key_values, view, consistent, required=True, include_expired=include_expired
            )
        )

    # -- batch and transactional get ---------------------------------------------------------

    @overload
    def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: None = None,
        consistent: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[M]: ...

    @overload
    def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: ViewOf[M, V],
        consistent: bool = False,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[V]: ...

    def batch_get(
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
        return self._run(self._batch_get_flow(keys, view, consistent, on_corrupt, include_expired))

    @overload
    def transact_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: None = None,
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[M]: ...

    @overload
    def transact_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: ViewOf[M, V],
        on_corrupt: OnCorrupt | None = None,
        include_expired: bool = False,
    ) -> BatchResult[V]: ...

    def transact_get(
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
        return self._run(self._transact_get_flow(keys, view, on_corrupt, include_expired))

    # -- query -------------------------------------------------------------------------------

    @overload
    def query(
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
    def query(
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

    def query(
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
        return self._run(self._page_flow(plan, view, limit, cursor, page_size, on_corrupt))

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
    ) -> Iterator[M]: ...

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
    ) -> Iterator[V]: ...

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
    ) -> Iterator[Any]:
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

    def count(
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
        return self._count(plan)

    # -- scan --------------------------------------------------------------------------------

    @overload
    def scan(
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
    def scan(
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

    def scan(
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
        return self._run(self._page_flow(plan, view, limit, cursor, page_size, on_corrupt))

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
    ) -> Iterator[M]: ...

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
    ) -> Iterator[V]: ...

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
    ) -> Iterator[Any]:
        """Every item of a Scan, streamed. ``segments=N`` runs N parallel segment scans in
        threads; items arrive in no particular order, a bounded number of pages in memory."""
        plans = self._segment_plans(
            segments, index, filter, view, consistent, include_expired=include_expired
        )
        if len(plans) == 1:
            return self._stream(plans[0], view, page_size, on_corrupt)
        return self._parallel(plans, view, page_size, on_corrupt)

    def scan_count(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        consistent: bool = False,
        segments: int = 1,
        include_expired: bool = False,
    ) -> int:
        """How many items a scan matches (Select=COUNT), with ``segments`` parallel workers."""
        plans = self._segment_plans(
            segments, index, filter, None, consistent, count=True, include_expired=include_expired
        )
        if len(plans) == 1:
            return self._count(plans[0])
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            return sum(pool.map(in_caller_context(self._count), plans))

    # -- running flows ---------------------------------------------------------------------

    def _run(self, flow: Flow[R]) -> R:
        """Drive one of the core's flows (the async API drives the same flows)."""
        return self._gateway.run(flow)

    def _stream(
        self,
        plan: ReadPlan,
        view: type[View[Any]] | None,
        page_size: int | None,
        on_corrupt: OnCorrupt | None,
    ) -> Iterator[Any]:
        flow = self._pages_flow(plan, view, page_size)
        return self._items(self._gateway.iterate(flow), view, on_corrupt)

    def _items(
        self, pages: Iterator[Any], view: type[View[Any]] | None, on_corrupt: OnCorrupt | None
    ) -> Iterator[Any]:
        for raw_items in pages:
            items = self._page_items(raw_items, view, on_corrupt)
            del raw_items  # hold one page, decoded, while the next one is fetched
            yield from items
            del items

    def _parallel(
        self,
        plans: list[ReadPlan],
        view: type[View[Any]] | None,
        page_size: int | None,
        on_corrupt: OnCorrupt | None,
    ) -> Iterator[Any]:
        """Scan every segment in its own thread (``parallel_items``)."""
        flows = [self._pages_flow(plan, view, page_size) for plan in plans]  # checked now
        return parallel_items(
            self._gateway, flows, lambda raw: self._page_items(raw, view, on_corrupt)
        )

    def _count(self, plan: ReadPlan) -> int:
        return self._run(self._count_flow(plan))


__all__ = ["BaseReadApi", "Explain", "ReadApi"]
