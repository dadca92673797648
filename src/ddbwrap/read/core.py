"""What ``ReadApi`` and its async twin share: request building, flows and decoding, no I/O.

Each read is a flow (``ddbwrap._engine.steps``): ``ReadApi`` drives it with the sync driver,
``ddbwrap.aio.AsyncReadApi`` with the async one, and ``reads.explain`` returns the first
request it would send. Paging with ``limit``, ``fetch_full`` and counting live here once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from .._engine import flows
from .._engine.steps import Flow, Params
from ..codec import Item, codec_for
from ..errors import CorruptItemError, InvalidCursorError, ValidationError
from ..keys import KeyLike, check_returned_key, key_fields, key_identity
from ..model import DomainModel
from ..retry import RetryPolicy
from .page import BatchResult, CursorCodec, Page
from .requests import (
    MAX_TRANSACT_GET,
    OnCorrupt,
    ReadPlan,
    batch_get_request,
    check_view,
    decode,
    decoder,
    get_request,
    page_request,
    position_of,
    transact_get_action,
    wire_key,
)
from .view import View

logger = logging.getLogger("ddbwrap.read")

M = TypeVar("M", bound=DomainModel)

Requested = list[tuple[dict[str, Any], Item]]
"""Keys asked for: their validated field values and their wire form, in the caller's order."""


class ReadCore(Generic[M]):
    """The reads of one model on one physical table: pure builders and the flows to run."""

    def __init__(self, model: type[M], table: str, cursors: CursorCodec) -> None:
        self.model = model
        self.codec = codec_for(model)
        self.schema = self.codec.schema
        self.physical_table = table
        self.cursors = cursors
        self._key_fields = self.schema.key_fields
        self._key_attributes = tuple(k.attribute for k in self.schema.key_attributes)

    # -- pure builders (also what ``reads.explain`` returns) ------------------------------------

    def get_request(
        self,
        key: KeyLike | None,
        key_values: Mapping[str, object],
        view: type[View[Any]] | None,
        consistent: bool,
    ) -> tuple[Params, dict[str, Any]]:
        """The GetItem parameters of a get, and its key's field values (checked first)."""
        check_view(self.model, view)
        values = key_fields(self.model, self._key_fields, key, key_values, "key")
        params = get_request(
            self.model, wire_key(self.model, values), view=view, consistent=consistent
        )
        return params, values

    def keys(self, keys: Iterable[KeyLike]) -> Requested:
        """Each key's field values and wire form, checked, in the caller's order."""
        if isinstance(keys, (Mapping, str, bytes)):
            raise ValidationError(
                "keys must be a list of keys (mappings or model instances), not a single "
                f"{type(keys).__name__}",
                model=self.schema.model_name,
            )
        out = []
        for key in keys:
            values = key_fields(self.model, self._key_fields, key, {}, "key")
            out.append((values, wire_key(self.model, values)))
        return out

    def distinct(self, requested: Requested) -> dict[tuple[Any, ...], Item]:
        """The keys to send for ``requested``: each item's key once, by key identity."""
        distinct: dict[tuple[Any, ...], Item] = {}
        for _, wire in requested:
            distinct.setdefault(self.identity(wire), wire)
        return distinct

    def identity(self, item: Mapping[str, Any]) -> tuple[Any, ...]:
        return key_identity(item, self._key_attributes)

    def start_key(self, plan: ReadPlan, cursor: str) -> dict[str, Any]:
        """The ExclusiveStartKey a cursor resumes from, checked against this query."""
        key = self.cursors.decode(cursor, plan.fingerprint, table=self.physical_table)
        if set(key) != set(plan.position):
            raise InvalidCursorError("cursor position does not fit this table or index")
        if plan.partition is not None:
            name, value = plan.partition
            if key_identity(key, (name,)) != key_identity({name: value}, (name,)):
                raise InvalidCursorError("cursor belongs to another partition")
        return key

    def first_request(
        self, plan: ReadPlan, limit: int | None, cursor: str | None, page_size: int | None
    ) -> Params:
        """The first Query/Scan request of a page read."""
        check_positive("limit", limit, self.schema.model_name)
        check_positive("page_size", page_size, self.schema.model_name)
        start = self.start_key(plan, cursor) if cursor is not None else None
        return page_request(plan, page_size, start=start, wanted=limit)

    # -- flows -------------------------------------------------------------------------------

    def get(
        self, policy: RetryPolicy, params: Params, values: Mapping[str, Any], view: Any
    ) -> Flow[Any]:
        """GetItem, the item checked to be the one asked for, decoded (None when missing)."""
        response = yield from flows.call(policy, "GetItem", params)
        item = response.get("Item")
        logger.debug("get table=%s found=%s", self.schema.table_name, item is not None)
        if item is None:
            return None
        check_returned_key(self.model, params["Key"], item)
        return decode(self.model, view, item)

    def batch_get(
        self,
        policy: RetryPolicy,
        requested: Requested,
        view: type[View[Any]] | None,
        consistent: bool,
        on_corrupt: OnCorrupt,
    ) -> Flow[BatchResult[Any]]:
        """BatchGetItem of the distinct keys, assembled in the order asked."""
        distinct = self.distinct(requested)
        found: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        if distinct:
            request = batch_get_request(
                self.model, list(distinct.values()), view=view, consistent=consistent
            )
            response = yield from flows.batch_get(policy, request)
            for raw in response.get(self.schema.table_name, ()):
                found[self.identity(raw)] = raw
        logger.debug(
            "batch_get table=%s requested=%d distinct=%d found=%d",
            self.schema.table_name,
            len(requested),
            len(distinct),
            len(found),
        )
        return self.assemble(requested, found, view, on_corrupt)

    def transact_get(
        self,
        policy: RetryPolicy,
        requested: Requested,
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
    ) -> Flow[BatchResult[Any]]:
        """TransactGetItems of up to 100 distinct keys, assembled in the order asked."""
        distinct = self.distinct(requested)
        if len(distinct) > MAX_TRANSACT_GET:
            raise ValidationError(
                f"transact_get takes at most {MAX_TRANSACT_GET} distinct keys (DynamoDB's "
                f"limit), got {len(distinct)}; split the read or use batch_get",
                model=self.schema.model_name,
            )
        found: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        if distinct:
            actions = [transact_get_action(self.model, k, view) for k in distinct.values()]
            response = yield from flows.call(policy, "TransactGetItems", {"TransactItems": actions})
            for (identity, wire), entry in zip(
                distinct.items(), response.get("Responses", ()), strict=False
            ):
                item = entry.get("Item")
                if item is not None:
                    check_returned_key(self.model, wire, item)
                    found[identity] = item
        return self.assemble(requested, found, view, on_corrupt)

    def page(
        self,
        policy: RetryPolicy,
        plan: ReadPlan,
        params: Params,
        view: type[View[Any]] | None,
        limit: int | None,
        on_corrupt: OnCorrupt,
        page_size: int | None,
    ) -> Flow[Page[Any]]:
        """One page of a query or scan: ``limit`` items returned (reading on past pages that
        a filter left short), the cursor resuming right after the last one."""
        items: list[Any] = []
        raws: list[Mapping[str, Any]] = []
        corrupt: list[CorruptItemError] = []
        capacity: list[Mapping[str, Any]] = []
        scanned = requests = 0
        next_key: Mapping[str, Any] | None = None
        while True:
            response = yield from flows.call(policy, plan.operation, params)
            requests += 1
            scanned += int(response.get("ScannedCount", 0))
            if "ConsumedCapacity" in response:
                capacity.append(response["ConsumedCapacity"])
            page_items = response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            stopped = False
            if limit is None and not plan.fetch_full:  # the whole page: one tight loop
                items.extend(self.decode_all(page_items, view, on_corrupt, corrupt))
            else:
                for position, raw in enumerate(page_items):
                    if plan.fetch_full:
                        raws.append(raw)
                        count = len(raws)
                    else:
                        value = self.decode_one(raw, view, on_corrupt, corrupt)
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
            wanted = limit - len(raws if plan.fetch_full else items)
            params = page_request(plan, page_size, start=last, wanted=wanted)
        if plan.fetch_full:
            full = yield from self.fetch_full(policy, raws, view)
            items = [
                value
                for raw in full
                if (value := self.decode_one(raw, view, on_corrupt, corrupt)) is not None
            ]
        logger.debug(
            "%s table=%s index=%s items=%d scanned=%d requests=%d more=%s",
            plan.operation.lower(),
            self.schema.table_name,
            plan.index.name if plan.index else None,
            len(items),
            scanned,
            requests,
            next_key is not None,
        )
        cursor = None
        if next_key:
            cursor = self.cursors.encode(next_key, plan.fingerprint, table=self.physical_table)
        return Page(
            items=tuple(items),
            cursor=cursor,
            corrupt=tuple(corrupt),
            scanned_count=scanned,
            requests=requests,
            consumed_capacity=tuple(capacity),
        )

    def raw_pages(
        self, policy: RetryPolicy, plan: ReadPlan, params: Params, view: type[View[Any]] | None
    ) -> Flow[None]:
        """Every page's raw items (full items for ``fetch_full``), emitted one page at a time."""

        def page_items(page: Params) -> Flow[Sequence[Mapping[str, Any]]]:
            raw_items: Sequence[Mapping[str, Any]] = page.get("Items", [])
            if plan.fetch_full:
                raw_items = yield from self.fetch_full(policy, raw_items, view)
            return raw_items

        return flows.pages(policy, plan.operation, params, emit=page_items)

    def count(self, policy: RetryPolicy, plan: ReadPlan) -> Flow[int]:
        """How many items every page of a Select=COUNT plan holds."""
        total = 0
        params = dict(plan.params)
        while True:
            response = yield from flows.call(policy, plan.operation, params)
            total += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            params = {**params, "ExclusiveStartKey": last}

    def fetch_full(
        self,
        policy: RetryPolicy,
        keys: Sequence[Mapping[str, Any]],
        view: type[View[Any]] | None,
    ) -> Flow[list[Mapping[str, Any]]]:
        """The full items of index entries, read by table key, in the entries' order (an
        entry whose item was deleted between the two reads is left out)."""
        if not keys:
            return []
        wanted: dict[tuple[Any, ...], Item] = {}
        for raw in keys:
            wanted.setdefault(self.identity(raw), {a: dict(raw[a]) for a in self._key_attributes})
        request = batch_get_request(self.model, list(wanted.values()), view=view)
        response = yield from flows.batch_get(policy, request)
        found = {self.identity(raw): raw for raw in response.get(self.schema.table_name, ())}
        return [item for raw in keys if (item := found.get(self.identity(raw))) is not None]

    # -- decoding ----------------------------------------------------------------------------

    def assemble(
        self,
        requested: Requested,
        found: Mapping[tuple[Any, ...], Mapping[str, Any]],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
    ) -> BatchResult[Any]:
        """A batch read's result in the order asked: items, per-key results, missing, corrupt."""
        decoded: dict[tuple[Any, ...], Any] = {}
        items: list[Any] = []
        missing: list[dict[str, Any]] = []
        corrupt: list[CorruptItemError] = []
        results: list[Any] = []
        for values, wire in requested:
            identity = self.identity(wire)
            if identity not in decoded:
                raw = found.get(identity)
                value = None
                if raw is None:
                    missing.append(values)
                else:
                    value = self.decode_one(raw, view, on_corrupt, corrupt)
                    if value is not None:
                        items.append(value)
                decoded[identity] = value
            results.append(decoded[identity])
        return BatchResult(tuple(items), tuple(results), tuple(missing), tuple(corrupt))

    def decode_one(
        self,
        raw: Mapping[str, Any],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
    ) -> Any:
        try:
            return decode(self.model, view, raw)
        except CorruptItemError as exc:
            return self.corrupt(exc, on_corrupt, corrupt)

    def decode_all(
        self,
        raws: Iterable[Mapping[str, Any]],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
    ) -> list[Any]:
        """``decode_one`` over the items of a page, corrupt ones left out (or raised)."""
        decode_item = decoder(self.model, view)
        if on_corrupt == "raise":
            return [decode_item(raw) for raw in raws]
        out = []
        for raw in raws:
            try:
                out.append(decode_item(raw))
            except CorruptItemError as exc:
                self.corrupt(exc, on_corrupt, corrupt)
        return out

    def decoded(
        self, raws: Iterable[Mapping[str, Any]], view: type[View[Any]] | None, on_corrupt: OnCorrupt
    ) -> Iterable[Any]:
        """The items of one streamed page, decoded lazily; corrupt ones raise or are skipped
        as ``on_corrupt`` says (a stream keeps no list of them)."""
        decode_item = decoder(self.model, view)
        if on_corrupt == "raise":  # the common case, without a try per item
            for raw in raws:
                yield decode_item(raw)
            return
        corrupt: list[CorruptItemError] = []
        for raw in raws:
            try:
                value = decode_item(raw)
            except CorruptItemError as exc:
                self.corrupt(exc, on_corrupt, corrupt)
                continue
            yield value

    def corrupt(
        self, exc: CorruptItemError, on_corrupt: OnCorrupt, corrupt: list[CorruptItemError]
    ) -> None:
        """A corrupt item raised, or reported and skipped, as ``on_corrupt`` says."""
        if on_corrupt == "raise":
            raise exc
        if on_corrupt != "skip":
            if not callable(on_corrupt):
                raise ValidationError(
                    f"on_corrupt must be 'raise', 'skip' or a function, got {on_corrupt!r}",
                    model=self.schema.model_name,
                ) from None
            on_corrupt(exc)
        corrupt.append(exc)
        logger.warning(
            "skipped a corrupt item of table %s (model %s; invalid fields: %s)",
            self.schema.table_name,
            exc.model,
            ", ".join(sorted({".".join(map(str, e.get("loc", ()))) for e in exc.errors})),
        )


def check_positive(name: str, value: int | None, model: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValidationError(f"{name} must be a positive int, got {value!r}", model=model)


__all__ = ["ReadCore", "check_positive"]
