"""``ReadApi[M]``: the query half of CQRS for one domain model.

Subclass it per domain (``class PipelineConfigReadApi(ReadApi[PipelineConfig])``) and add
query methods named after the access patterns, or use it directly as
``ReadApi[PipelineConfig](gateway)``. Every method builds its request with the pure functions
of :mod:`ddbwrap.read.requests` (also reachable as ``reads.explain.<method>(...)``), makes the
call through the gateway, and transforms the response with pure functions.
"""

from __future__ import annotations

import logging
import queue
import threading
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

from ..codec import Item, codec_for
from ..errors import (
    CorruptItemError,
    InvalidCursorError,
    ItemNotFoundError,
    ModelDefinitionError,
    ValidationError,
)
from ..expressions import Condition, SortCondition
from ..gateway import TableGateway, require_gateway
from ..keys import KeyLike, key_fields
from ..model import DomainModel
from .explain import Explain
from .page import BatchResult, CursorCodec, Page, Secret
from .requests import (
    MAX_TRANSACT_GET,
    OnCorrupt,
    Params,
    ReadPlan,
    batch_get_request,
    check_view,
    decode,
    decoder,
    get_request,
    key_identity,
    merge_partition,
    page_request,
    position_of,
    query_plan,
    scan_plan,
    segment_bounds,
    transact_get_action,
    wire_key,
)
from .view import View

logger = logging.getLogger("ddbwrap.read")

M = TypeVar("M", bound=DomainModel)
V = TypeVar("V", bound=View[Any])

_MODEL_VARIABLE: Any = M
_BOUND: dict[tuple[type, Any], type] = {}
_STOP = object()


class ReadApi(Generic[M]):
    """Typed reads of one DomainModel: get, batch/transactional get, query, scan, count.

    ``cursor_secret`` signs pagination cursors; without it cursors are signed with a random
    per-process key and only work in the process that issued them (see ``docs/reading.md``).
    """

    __ddb_model__: ClassVar[type[DomainModel] | None] = None
    __ddb_model_var__: ClassVar[Any] = _MODEL_VARIABLE

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
                _BOUND[key] = bound
            return bound

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if not (isinstance(origin, type) and issubclass(origin, ReadApi)):
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
                    cls.__name__, f"ReadApi[{arg!r}]: the parameter must be a DomainModel class"
                )

    def __init__(
        self,
        gateway: TableGateway,
        *,
        cursor_secret: Secret | Sequence[Secret] | None = None,
    ) -> None:
        model = type(self).__ddb_model__
        if model is None:
            raise ModelDefinitionError(
                type(self).__name__,
                "does not know its model: write ReadApi[YourModel](gateway) or subclass "
                "ReadApi[YourModel]",
            )
        self._model: type[M] = cast("type[M]", model)
        self._gateway = require_gateway(gateway, type(self).__name__)
        self._codec = codec_for(self._model)
        self._schema = self._codec.schema
        self._cursors = CursorCodec(cursor_secret)
        self._key_fields = self._schema.key_fields

    # -- introspection ---------------------------------------------------------------------

    @property
    def model(self) -> type[M]:
        """The domain model this API reads."""
        return self._model

    @property
    def gateway(self) -> TableGateway:
        return self._gateway

    @property
    def explain(self) -> Explain:
        """Pure request builders with the signatures of the reads: ``reads.explain.query(...)``
        returns the parameters that ``reads.query(...)`` would send first, sending nothing."""
        return Explain(self)

    # -- get -------------------------------------------------------------------------------

    @overload
    def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: None = None,
        consistent: bool = False,
        **key_values: object,
    ) -> M | None: ...

    @overload
    def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: type[V],
        consistent: bool = False,
        **key_values: object,
    ) -> V | None: ...

    def get(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        **key_values: object,
    ) -> Any:
        """The item with this key (as the model, or as ``view``), or None when there is none.

        Pass the key fields as keyword arguments (``get(pipeline_id="p1")``; for a
        ``KeyTemplate`` key, the fields it names), or one mapping or model instance.
        """
        found, _ = self._get(key, key_values, view, consistent)
        return found

    @overload
    def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: None = None,
        consistent: bool = False,
        **key_values: object,
    ) -> M: ...

    @overload
    def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: type[V],
        consistent: bool = False,
        **key_values: object,
    ) -> V: ...

    def require(
        self,
        key: KeyLike | None = None,
        /,
        *,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        **key_values: object,
    ) -> Any:
        """Like :meth:`get`, but a missing item raises ``ItemNotFoundError`` (table and key)."""
        found, values = self._get(key, key_values, view, consistent)
        if found is None:
            raise ItemNotFoundError(self._schema.table_name, values)
        return found

    def _get(
        self,
        key: KeyLike | None,
        key_values: Mapping[str, object],
        view: type[View[Any]] | None,
        consistent: bool,
    ) -> tuple[Any, dict[str, Any]]:
        params, values = self._get_request(key, key_values, view, consistent)
        response = self._gateway.get_item(params)
        item = response.get("Item")
        logger.debug("get table=%s found=%s", self._schema.table_name, item is not None)
        return (None if item is None else decode(self._model, view, item)), values

    def _get_request(
        self,
        key: KeyLike | None,
        key_values: Mapping[str, object],
        view: type[View[Any]] | None,
        consistent: bool,
    ) -> tuple[Params, dict[str, Any]]:
        """The GetItem parameters of a get, and its key's field values (checked first)."""
        check_view(self._model, view)
        values = key_fields(self._model, self._key_fields, key, key_values, "key")
        params = get_request(
            self._model, wire_key(self._model, values), view=view, consistent=consistent
        )
        return params, values

    # -- batch and transactional get ---------------------------------------------------------

    @overload
    def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: None = None,
        consistent: bool = False,
        on_corrupt: OnCorrupt = "raise",
    ) -> BatchResult[M]: ...

    @overload
    def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: type[V],
        consistent: bool = False,
        on_corrupt: OnCorrupt = "raise",
    ) -> BatchResult[V]: ...

    def batch_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        on_corrupt: OnCorrupt = "raise",
    ) -> Any:
        """Read any number of items by key (BatchGetItem, 100 keys per request, retried).

        Duplicate keys are read once; the result follows the order of ``keys`` and reports
        the missing ones. Unread leftovers after the retries raise ``UnprocessedItemsError``.
        """
        check_view(self._model, view)
        requested = self._keys(keys)
        distinct = self._distinct(requested)
        found: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        if distinct:
            request = batch_get_request(
                self._model, list(distinct.values()), view=view, consistent=consistent
            )
            response = self._gateway.batch_get(request)
            for raw in response.get(self._schema.table_name, ()):
                found[self._identity(raw)] = raw
        logger.debug(
            "batch_get table=%s requested=%d distinct=%d found=%d",
            self._schema.table_name,
            len(requested),
            len(distinct),
            len(found),
        )
        return self._assemble(requested, found, view, on_corrupt)

    @overload
    def transact_get(
        self, keys: Iterable[KeyLike], *, view: None = None, on_corrupt: OnCorrupt = "raise"
    ) -> BatchResult[M]: ...

    @overload
    def transact_get(
        self, keys: Iterable[KeyLike], *, view: type[V], on_corrupt: OnCorrupt = "raise"
    ) -> BatchResult[V]: ...

    def transact_get(
        self,
        keys: Iterable[KeyLike],
        *,
        view: type[View[Any]] | None = None,
        on_corrupt: OnCorrupt = "raise",
    ) -> Any:
        """Read up to 100 items as one consistent snapshot (TransactGetItems).

        More than 100 distinct keys is an error before sending; for several models at once
        use :func:`ddbwrap.read.transact_get`.
        """
        check_view(self._model, view)
        requested = self._keys(keys)
        distinct = self._distinct(requested)
        if len(distinct) > MAX_TRANSACT_GET:
            raise ValidationError(
                f"transact_get takes at most {MAX_TRANSACT_GET} distinct keys (DynamoDB's "
                f"limit), got {len(distinct)}; split the read or use batch_get",
                model=self._schema.model_name,
            )
        found: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        if distinct:
            actions = [transact_get_action(self._model, k, view) for k in distinct.values()]
            response = self._gateway.transact_get(actions)
            for identity, entry in zip(distinct, response.get("Responses", ()), strict=False):
                item = entry.get("Item")
                if item is not None:
                    found[identity] = item
        return self._assemble(requested, found, view, on_corrupt)

    def _keys(self, keys: Iterable[KeyLike]) -> list[tuple[dict[str, Any], Item]]:
        if isinstance(keys, (Mapping, str, bytes)):
            raise ValidationError(
                "keys must be a list of keys (mappings or model instances), not a single "
                f"{type(keys).__name__}",
                model=self._schema.model_name,
            )
        out = []
        for key in keys:
            values = key_fields(self._model, self._key_fields, key, {}, "key")
            out.append((values, wire_key(self._model, values)))
        return out

    def _identity(self, item: Mapping[str, Any]) -> tuple[Any, ...]:
        return key_identity(item, (k.attribute for k in self._schema.key_attributes))

    def _distinct(
        self, requested: Iterable[tuple[dict[str, Any], Item]]
    ) -> dict[tuple[Any, ...], Item]:
        """The keys to send for ``requested`` keys: each item's key once, by key identity."""
        distinct: dict[tuple[Any, ...], Item] = {}
        for _, wire in requested:
            distinct.setdefault(self._identity(wire), wire)
        return distinct

    def _assemble(
        self,
        requested: list[tuple[dict[str, Any], Item]],
        found: Mapping[tuple[Any, ...], Mapping[str, Any]],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
    ) -> BatchResult[Any]:
        decoded: dict[tuple[Any, ...], Any] = {}
        items: list[Any] = []
        missing: list[dict[str, Any]] = []
        corrupt: list[CorruptItemError] = []
        results: list[Any] = []
        for values, wire in requested:
            identity = self._identity(wire)
            if identity not in decoded:
                raw = found.get(identity)
                value = None
                if raw is None:
                    missing.append(values)
                else:
                    value = self._decode_one(raw, view, on_corrupt, corrupt)
                    if value is not None:
                        items.append(value)
                decoded[identity] = value
            results.append(decoded[identity])
        return BatchResult(tuple(items), tuple(results), tuple(missing), tuple(corrupt))

    def _decode_one(
        self,
        raw: Mapping[str, Any],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
    ) -> Any:
        try:
            return decode(self._model, view, raw)
        except CorruptItemError as exc:
            return self._corrupt(exc, on_corrupt, corrupt)

    def _decode_all(
        self,
        raws: Iterable[Mapping[str, Any]],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
    ) -> list[Any]:
        """``_decode_one`` over the items of a page, corrupt ones left out (or raised)."""
        decode_item = decoder(self._model, view)
        if on_corrupt == "raise":
            return [decode_item(raw) for raw in raws]
        out = []
        for raw in raws:
            try:
                out.append(decode_item(raw))
            except CorruptItemError as exc:
                self._corrupt(exc, on_corrupt, corrupt)
        return out

    def _corrupt(
        self, exc: CorruptItemError, on_corrupt: OnCorrupt, corrupt: list[CorruptItemError]
    ) -> None:
        """A corrupt item raised, or reported and skipped, as ``on_corrupt`` says."""
        if on_corrupt == "raise":
            raise exc
        if on_corrupt != "skip":
            if not callable(on_corrupt):
                raise ValidationError(
                    f"on_corrupt must be 'raise', 'skip' or a function, got {on_corrupt!r}",
                    model=self._schema.model_name,
                ) from None
            on_corrupt(exc)
        corrupt.append(exc)
        logger.warning(
            "skipped a corrupt item of table %s (model %s; invalid fields: %s)",
            self._schema.table_name,
            exc.model,
            ", ".join(sorted({".".join(map(str, e.get("loc", ()))) for e in exc.errors})),
        )

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
        on_corrupt: OnCorrupt = "raise",
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
        view: type[V],
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        fetch_full: bool = False,
        capacity: bool = False,
        on_corrupt: OnCorrupt = "raise",
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
        view: type[View[Any]] | None = None,
        descending: bool = False,
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        fetch_full: bool = False,
        capacity: bool = False,
        on_corrupt: OnCorrupt = "raise",
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
        plan = query_plan(
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
        )
        return self._page(plan, view, limit, cursor, page_size, on_corrupt)

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
        on_corrupt: OnCorrupt = "raise",
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
        view: type[V],
        descending: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
        fetch_full: bool = False,
        on_corrupt: OnCorrupt = "raise",
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
        view: type[View[Any]] | None = None,
        descending: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
        fetch_full: bool = False,
        on_corrupt: OnCorrupt = "raise",
        **key_values: object,
    ) -> Iterator[Any]:
        """Every item of a query, lazily: one page in memory at a time.

        The request is built (and checked) now; pages are fetched as the iterator is used.
        """
        plan = query_plan(
            self._model,
            merge_partition(partition, key_values, self._schema.model_name),
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
        **key_values: object,
    ) -> int:
        """How many items a query matches (Select=COUNT over every page; no items sent)."""
        plan = query_plan(
            self._model,
            merge_partition(partition, key_values, self._schema.model_name),
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
        on_corrupt: OnCorrupt = "raise",
    ) -> Page[M]: ...

    @overload
    def scan(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: type[V],
        consistent: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        segment: tuple[int, int] | None = None,
        capacity: bool = False,
        on_corrupt: OnCorrupt = "raise",
    ) -> Page[V]: ...

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
        on_corrupt: OnCorrupt = "raise",
    ) -> Any:
        """One page of a Scan of the whole table (or index): explicit, never a fallback.

        ``segment=(i, n)`` scans segment ``i`` of ``n`` (one worker of a parallel scan).
        ``limit`` and ``cursor`` work as in :meth:`query`.
        """
        plan = scan_plan(
            self._model,
            index=index,
            filter=filter,
            view=view,
            consistent=consistent,
            capacity=capacity,
            segment=segment_bounds(segment)[0],
            segments=segment_bounds(segment)[1],
        )
        return self._page(plan, view, limit, cursor, page_size, on_corrupt)

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
        on_corrupt: OnCorrupt = "raise",
    ) -> Iterator[M]: ...

    @overload
    def scan_all(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: type[V],
        consistent: bool = False,
        segments: int = 1,
        page_size: int | None = None,
        on_corrupt: OnCorrupt = "raise",
    ) -> Iterator[V]: ...

    def scan_all(
        self,
        *,
        index: str | None = None,
        filter: Condition | None = None,
        view: type[View[Any]] | None = None,
        consistent: bool = False,
        segments: int = 1,
        page_size: int | None = None,
        on_corrupt: OnCorrupt = "raise",
    ) -> Iterator[Any]:
        """Every item of a Scan, streamed. ``segments=N`` runs N parallel segment scans in
        threads; items arrive in no particular order, a bounded number of pages in memory."""
        plans = self._segment_plans(segments, index, filter, view, consistent)
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
    ) -> int:
        """How many items a scan matches (Select=COUNT), with ``segments`` parallel workers."""
        plans = self._segment_plans(segments, index, filter, None, consistent, count=True)
        if len(plans) == 1:
            return self._count(plans[0])
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            return sum(pool.map(self._count, plans))

    def _segment_plans(
        self,
        segments: int,
        index: str | None,
        filter: Condition | None,
        view: type[View[Any]] | None,
        consistent: bool,
        *,
        count: bool = False,
    ) -> list[ReadPlan]:
        """One scan plan per segment of a parallel scan; a single plan for ``segments=1``."""
        parallel = segments != 1
        return [
            scan_plan(
                self._model,
                index=index,
                filter=filter,
                view=view,
                consistent=consistent,
                count=count,
                segment=i if parallel else None,
                segments=segments if parallel else None,
            )
            for i in range(segments if isinstance(segments, int) and segments > 1 else 1)
        ]

    # -- paging machinery ------------------------------------------------------------------

    def _send(self, plan: ReadPlan, params: Params) -> Params:
        if plan.operation == "Query":
            return self._gateway.query(params)
        return self._gateway.scan(params)

    def _page(
        self,
        plan: ReadPlan,
        view: type[View[Any]] | None,
        limit: int | None,
        cursor: str | None,
        page_size: int | None,
        on_corrupt: OnCorrupt,
    ) -> Page[Any]:
        _check_positive("limit", limit, self._schema.model_name)
        _check_positive("page_size", page_size, self._schema.model_name)
        start = self._start_key(plan, cursor) if cursor is not None else None
        items: list[Any] = []
        raws: list[Mapping[str, Any]] = []
        corrupt: list[CorruptItemError] = []
        capacity: list[Mapping[str, Any]] = []
        scanned = requests = 0
        next_key: Mapping[str, Any] | None = None
        while True:
            wanted = None if limit is None else limit - len(raws if plan.fetch_full else items)
            params = page_request(plan, page_size, start=start, wanted=wanted)
            response = self._send(plan, params)
            requests += 1
            scanned += int(response.get("ScannedCount", 0))
            if "ConsumedCapacity" in response:
                capacity.append(response["ConsumedCapacity"])
            page_items = response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            stopped = False
            if limit is None and not plan.fetch_full:  # the whole page: one tight loop
                items.extend(self._decode_all(page_items, view, on_corrupt, corrupt))
            else:
                for position, raw in enumerate(page_items):
                    if plan.fetch_full:
                        raws.append(raw)
                        count = len(raws)
                    else:
                        value = self._decode_one(raw, view, on_corrupt, corrupt)
                        if value is not None:
                            items.append(value)
                        count = len(items)
                    if limit is not None and count >= limit:
                        stopped = True
                        if position < len(page_items) - 1:
                            last = position_of(raw, plan.position)
                        break
            if stopped or not last or limit is None:
                next_key = last or None
                break
            start = last
        if plan.fetch_full:
            items = self._fetch_full(raws, view, on_corrupt, corrupt)
        logger.debug(
            "%s table=%s index=%s items=%d scanned=%d requests=%d more=%s",
            plan.operation.lower(),
            self._schema.table_name,
            plan.index.name if plan.index else None,
            len(items),
            scanned,
            requests,
            next_key is not None,
        )
        return Page(
            items=tuple(items),
            cursor=self._cursors.encode(next_key, plan.fingerprint) if next_key else None,
            corrupt=tuple(corrupt),
            scanned_count=scanned,
            requests=requests,
            consumed_capacity=tuple(capacity),
        )

    def _start_key(self, plan: ReadPlan, cursor: str) -> dict[str, Any]:
        key = self._cursors.decode(cursor, plan.fingerprint)
        if set(key) != set(plan.position):
            raise InvalidCursorError("cursor position does not fit this table or index")
        if plan.partition is not None:
            name, value = plan.partition
            if key_identity(key, (name,)) != key_identity({name: value}, (name,)):
                raise InvalidCursorError("cursor belongs to another partition")
        return key

    def _stream(
        self,
        plan: ReadPlan,
        view: type[View[Any]] | None,
        page_size: int | None,
        on_corrupt: OnCorrupt,
    ) -> Iterator[Any]:
        _check_positive("page_size", page_size, self._schema.model_name)
        pages = self._pages(plan, page_request(plan, page_size))
        return self._items(plan, pages, view, on_corrupt)

    def _pages(self, plan: ReadPlan, params: Params) -> Iterator[Params]:
        if plan.operation == "Query":
            return self._gateway.query_pages(params)
        return self._gateway.scan_pages(params)

    def _items(
        self,
        plan: ReadPlan,
        pages: Iterator[Params],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
    ) -> Iterator[Any]:
        corrupt: list[CorruptItemError] = []
        decode_item = decoder(self._model, view)
        for response in pages:
            raw_items = response.get("Items", [])
            del response  # hold no page while the next one is fetched
            if plan.fetch_full:
                yield from self._fetch_full(raw_items, view, on_corrupt, corrupt)
            elif on_corrupt == "raise":  # the common case, without a generator in between
                for raw in raw_items:
                    yield decode_item(raw)
            else:
                yield from self._decoded(raw_items, view, on_corrupt)
            del raw_items

    def _decoded(
        self, raws: Iterable[Mapping[str, Any]], view: type[View[Any]] | None, on_corrupt: OnCorrupt
    ) -> Iterator[Any]:
        """The items of one page of a stream, decoded; corrupt ones raise or are skipped as
        ``on_corrupt`` says (a stream keeps no list of them)."""
        corrupt: list[CorruptItemError] = []
        decode_item = decoder(self._model, view)
        for raw in raws:
            try:
                value = decode_item(raw)
            except CorruptItemError as exc:
                self._corrupt(exc, on_corrupt, corrupt)
                continue
            yield value

    def _parallel(
        self,
        plans: list[ReadPlan],
        view: type[View[Any]] | None,
        page_size: int | None,
        on_corrupt: OnCorrupt,
    ) -> Iterator[Any]:
        """Scan every segment in its own thread; hand pages over a bounded queue."""
        _check_positive("page_size", page_size, self._schema.model_name)
        pages: queue.Queue[Any] = queue.Queue(maxsize=2 * len(plans))
        stop = threading.Event()

        def put(entry: object) -> bool:
            while not stop.is_set():
                try:
                    pages.put(entry, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def work(plan: ReadPlan) -> None:
            try:
                for response in self._gateway.scan_pages(page_request(plan, page_size)):
                    if not put(response):
                        return
            except BaseException as exc:  # handed to the consumer, which re-raises it
                put(exc)
                return
            put(_STOP)

        def consume() -> Iterator[Any]:
            threads = [
                threading.Thread(target=work, args=(p,), name=f"ddbwrap-scan-{i}", daemon=True)
                for i, p in enumerate(plans)
            ]
            for thread in threads:
                thread.start()
            running = len(threads)
            try:
                while running:
                    entry = pages.get()
                    if entry is _STOP:
                        running -= 1
                    elif isinstance(entry, BaseException):
                        raise entry
                    else:
                        yield from self._decoded(entry.get("Items", []), view, on_corrupt)
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=5)

        return consume()

    def _count(self, plan: ReadPlan) -> int:
        total = 0
        for response in self._pages(plan, dict(plan.params)):
            total += int(response.get("Count", 0))
        return total

    def _fetch_full(
        self,
        keys: Sequence[Mapping[str, Any]],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
    ) -> list[Any]:
        """Read the full items of index entries by table key, in the entries' order."""
        if not keys:
            return []
        attributes = [k.attribute for k in self._schema.key_attributes]
        wanted: dict[tuple[Any, ...], Item] = {}
        for raw in keys:
            wanted.setdefault(self._identity(raw), {a: dict(raw[a]) for a in attributes})
        request = batch_get_request(self._model, list(wanted.values()), view=view)
        found = {
            self._identity(raw): raw
            for raw in self._gateway.batch_get(request).get(self._schema.table_name, ())
        }
        out = []
        for raw in keys:
            item = found.get(self._identity(raw))
            if item is None:  # deleted between the index read and this one
                continue
            value = self._decode_one(item, view, on_corrupt, corrupt)
            if value is not None:
                out.append(value)
        return out


def _check_positive(name: str, value: int | None, model: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValidationError(f"{name} must be a positive int, got {value!r}", model=model)


__all__ = ["Explain", "ReadApi"]
