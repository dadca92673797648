"""What ``ReadApi`` and its async twin share: request building, flows and decoding, no I/O.

Each read is a flow (``ddbwrap._engine.steps``): ``ReadApi`` drives it with the sync driver,
``ddbwrap.aio.AsyncReadApi`` with the async one, and ``reads.explain`` returns the first
request it would send. Paging with ``limit``, ``fetch_full`` and counting live here once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from .._engine import flows, gc_pause
from .._engine.gc_pause import MANY_ITEMS
from .._engine.steps import Flow, Params
from .._page_decoder import BodyReader, DecodedItems, Member, body_reader, page_decoder
from ..codec import Item, codec_for
from ..entities import (
    GUARD_OWNER_ATTRIBUTE,
    GUARD_OWNER_TABLE_ATTRIBUTE,
    is_guard,
    matcher_of,
    may_hold_guards,
    resolver,
)
from ..errors import CorruptItemError, ForeignItemError, InvalidCursorError, ValidationError
from ..keys import (
    CheckedKey,
    KeyLike,
    check_returned_key,
    key_fields,
    key_identity,
    table_key_identity,
    text_key_reader,
)
from ..model import DomainModel
from ..retry import RetryPolicy
from .page import BatchResult, CursorCodec, Page
from .requests import (
    MAX_TRANSACT_GET,
    Expiry,
    OnCorrupt,
    ReadPlan,
    batch_get_request,
    check_view,
    decoder,
    get_request,
    is_expired,
    page_request,
    position_of,
    transact_get_action,
    wire_key,
)
from .view import View

logger = logging.getLogger("ddbwrap.read")

M = TypeVar("M", bound=DomainModel)

NO_KEY_VALUES: Mapping[str, object] = MappingProxyType({})
"""No keyword key values: the key is one object."""

Requested = list[CheckedKey]
"""Keys asked for: their validated field values, wire form and key identity, in the caller's
order."""


_OWNER, _OWNER_TABLE = GUARD_OWNER_ATTRIBUTE, GUARD_OWNER_TABLE_ATTRIBUTE
_FOREIGN: Any = object()
"""What an item decoder returns for an item of none of the models read (another entity)."""
_GUARD: Any = object()
"""What an item decoder returns for a unique-constraint guard item (never data)."""

Clock = Callable[[], dt.datetime]
"""Returns "now" as an aware datetime (the reads' TTL check); injectable so tests can
freeze time, like ``WriteApi(clock=...)``."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


Skipped = list[dict[str, Any]]
"""Table keys of the items left out as items of another entity (``Page.skipped_keys``)."""


class ReadCore(Generic[M]):
    """The reads of one model on one physical table: pure builders and the flows to run.

    ``models``: for a collection read, the models whose items it returns (each item decoded as
    the model it belongs to, see :mod:`ddbwrap.entities`); ``model`` builds the requests.
    Items of none of them (and guard items) are left out, and reported on the page.
    """

    def __init__(
        self,
        model: type[M],
        table: str,
        cursors: CursorCodec,
        models: Sequence[type[DomainModel]] = (),
        clock: Clock = utc_now,
    ) -> None:
        self.model = model
        self.codec = codec_for(model)
        self.schema = self.codec.schema
        self.physical_table = table
        self.cursors = cursors
        self._key_fields = self.schema.key_fields
        self._key_attributes = tuple(k.attribute for k in self.schema.key_attributes)
        self._text_key = text_key_reader(model)
        self.models: tuple[type[DomainModel], ...] = tuple(models) or (model,)
        schemas = [codec_for(m).schema for m in self.models]
        self._matcher = matcher_of(self.schema)
        self._which = resolver(schemas)
        self._guards = may_hold_guards(schemas)
        self._trivial = len(self.models) == 1 and self._matcher.trivial
        """One model whose items nothing but guard items can be mistaken for."""
        self._decoders: dict[Any, Callable[[Mapping[str, Any]], Any]] = {}
        self.clock = clock
        self._ttls = tuple(s.ttl_attribute for s in schemas)
        """Each model's TTL attribute (None: it has none), in the order of ``models``."""
        shared = set(self._ttls)
        self._shared_ttl = self._ttls[0] if len(shared) == 1 else None
        """The TTL attribute every model read declares (a filter can hide expired items)."""

    # -- TTL: expired items are hidden unless include_expired=True ---------------------------

    def now(self, include_expired: bool) -> int | None:
        """Epoch seconds of the clock, for hiding expired items; None when nothing is hidden
        (``include_expired``, or no model read declares a TTL attribute)."""
        if include_expired or not any(self._ttls):
            return None
        now = self.clock()
        if not isinstance(now, dt.datetime) or now.utcoffset() is None:
            raise ValidationError(
                f"the read clock must return an aware datetime, got {now!r}; "
                "use e.g. lambda: datetime.now(timezone.utc)",
                model=self.schema.model_name,
            )
        return int(now.timestamp())

    def expiry(self, include_expired: bool) -> Expiry | None:
        """What a query or scan hides: see ``requests.Expiry`` (None: nothing)."""
        now = self.now(include_expired)
        return None if now is None else Expiry(now, self._shared_ttl)

    def live(
        self, plan: ReadPlan
    ) -> Callable[[Sequence[Mapping[str, Any]]], Sequence[Mapping[str, Any]]]:
        """The post-read TTL check of a query or scan plan, as a function of a page's raw
        items: those not expired (the items themselves when the plan needs no check: its
        filter hides expired items, see ``requests.hide_expired``)."""
        if plan.live_at is None:
            return _same
        expired = self.expired(plan.live_at)

        def live(raws: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
            return [raw for raw in raws if not expired(raw)]

        return live

    def expired(self, now: int) -> Callable[[Mapping[str, Any]], bool]:
        """The post-read check: a function of a raw item, True when it has expired at
        ``now`` by its own model's TTL attribute (a collection's models may differ)."""
        shared = self._shared_ttl
        if shared is not None or len(self.models) == 1:
            attribute = self._ttls[0]
            if attribute is None:
                return _never

            def one(raw: Mapping[str, Any]) -> bool:
                return is_expired(raw.get(attribute), now)

            return one
        which, ttls = self._which, self._ttls

        def per_model(raw: Mapping[str, Any]) -> bool:
            position = which(raw)
            attribute = ttls[position] if position >= 0 else None
            return attribute is not None and is_expired(raw.get(attribute), now)

        return per_model

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
        values, wire, _ = self.checked_key(key, key_values)
        return get_request(self.model, wire, view=view, consistent=consistent), values

    def checked_key(self, key: KeyLike | None, key_values: Mapping[str, object]) -> CheckedKey:
        """One key's field values, wire form and identity, checked (a key object or keyword
        arguments; the common key in one pass, ``keys.text_key_reader``)."""
        read = self._text_key
        if read is not None and (key is None or not key_values):
            checked = read(key_values if key is None else key)
            if checked is not None:
                return checked
        values = key_fields(self.model, self._key_fields, key, key_values, "key")
        wire = wire_key(self.model, values)
        return values, wire, self.identity(wire)

    def keys(self, keys: Iterable[KeyLike]) -> Requested:
        """Each key's field values and wire form, checked, in the caller's order."""
        if isinstance(keys, (Mapping, str, bytes)):
            raise ValidationError(
                "keys must be a list of keys (mappings or model instances), not a single "
                f"{type(keys).__name__}",
                model=self.schema.model_name,
            )
        read, checked = self._text_key, self.checked_key
        if read is None:
            return [checked(key, NO_KEY_VALUES) for key in keys]
        return [read(key) or checked(key, NO_KEY_VALUES) for key in keys]

    def distinct(self, requested: Requested) -> dict[tuple[Any, ...], Item]:
        """The keys to send for ``requested``: each item's key once, by key identity."""
        distinct: dict[tuple[Any, ...], Item] = {}
        for _, wire, identity in requested:
            distinct.setdefault(identity, wire)
        return distinct

    def identity(self, item: Mapping[str, Any]) -> tuple[Any, ...]:
        return table_key_identity(item, self._key_attributes)

    def start_key(self, plan: ReadPlan, cursor: str) -> dict[str, Any]:
        """The ExclusiveStartKey a cursor resumes from, checked against this query."""
        key = self.cursors.decode(cursor, plan.fingerprint, table=self.physical_table)
        if set(key) != set(plan.position):
            raise InvalidCursorError("cursor position does not fit this table or index")
        if plan.partition is not None:  # every partition attribute (several: multi-attribute)
            names = tuple(plan.partition)
            if key_identity(key, names) != key_identity(plan.partition, names):
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
        self,
        policy: RetryPolicy,
        params: Params,
        values: Mapping[str, Any],
        view: Any,
        now: int | None = None,
    ) -> Flow[Any]:
        """GetItem, the item checked to be the one asked for, decoded (None when missing,
        and when expired at ``now``: a post-read check, GetItem has no filter)."""
        reader = self.body_reader(view, now is not None, member="Item")
        response = yield from flows.call(policy, "GetItem", params, items=reader)
        item = response.get("Item")
        logger.debug("get table=%s found=%s", self.schema.table_name, item is not None)
        if item is None:
            return None
        if type(item) is tuple:  # read by the body reader: (identity, instance)
            identity, instance = item
            asked = self.identity(params["Key"])
            if identity != asked:
                pairs = zip(self._key_attributes, identity, asked, strict=True)
                differ = [attribute for attribute, got, want in pairs if got != want]
                raise ForeignItemError(self.schema.model_name, differ)
            return instance
        check_returned_key(self.model, params["Key"], item)
        if now is not None and self.expired(now)(item):
            logger.debug("get table=%s: the item has expired (hidden)", self.schema.table_name)
            return None
        value = self.item_decoder(view)(item)
        return None if value is _FOREIGN or value is _GUARD else value

    def batch_get(
        self,
        policy: RetryPolicy,
        requested: Requested,
        view: type[View[Any]] | None,
        consistent: bool,
        on_corrupt: OnCorrupt,
        now: int | None = None,
    ) -> Flow[BatchResult[Any]]:
        """BatchGetItem of the distinct keys, assembled in the order asked (an item expired
        at ``now`` is missing). Answers are read straight into models by the body reader when
        nothing but the model's items is expected (no view, no other entity, no post-read TTL
        check)."""
        distinct = self.distinct(requested)
        found: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        read: dict[tuple[Any, ...], Any] = {}
        if distinct:
            request = batch_get_request(
                self.model, list(distinct.values()), view=view, consistent=consistent
            )
            reader = self.body_reader(view, now is not None, member="Responses")
            response = yield from flows.batch_get(policy, request, reader)
            for entry in response.get(self.schema.table_name, ()):
                if type(entry) is tuple:  # read by the body reader: (identity, instance)
                    identity, instance = entry
                    found[identity] = read[identity] = instance
                else:
                    found[self.identity(entry)] = entry
        logger.debug(
            "batch_get table=%s requested=%d distinct=%d found=%d",
            self.schema.table_name,
            len(requested),
            len(distinct),
            len(found),
        )
        return self.assemble(requested, found, view, on_corrupt, now, read)

    def transact_get(
        self,
        policy: RetryPolicy,
        requested: Requested,
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        now: int | None = None,
    ) -> Flow[BatchResult[Any]]:
        """TransactGetItems of up to 100 distinct keys, assembled in the order asked (an item
        expired at ``now`` is missing)."""
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
        return self.assemble(requested, found, view, on_corrupt, now)

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
        skipped: Skipped = []
        capacity: list[Mapping[str, Any]] = []
        scanned = requests = 0
        next_key: Mapping[str, Any] | None = None
        live = self.live(plan)
        reader = None if limit is not None else self.body_reader(view, plan.raw_needed)
        while True:
            response = yield from flows.call(policy, plan.operation, params, items=reader)
            requests += 1
            scanned += int(response.get("ScannedCount", 0))
            if "ConsumedCapacity" in response:
                capacity.append(response["ConsumedCapacity"])
            page_items = live(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            stopped = False
            if limit is None and not plan.fetch_full:  # the whole page: one tight loop
                items.extend(self.decode_all(page_items, view, on_corrupt, corrupt, skipped))
            else:
                for position, raw in enumerate(page_items):
                    if plan.fetch_full:
                        if not self.entry_is_mine(raw, skipped):
                            continue
                        raws.append(raw)
                        count = len(raws)
                    else:
                        value = self.decode_one(raw, view, on_corrupt, corrupt, skipped)
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
            full = live((yield from self.fetch_full(policy, raws, view)))
            items = [
                value
                for raw in full
                if (value := self.decode_one(raw, view, on_corrupt, corrupt, skipped)) is not None
            ]
        logger.debug(
            "%s table=%s index=%s items=%d skipped=%d scanned=%d requests=%d more=%s",
            plan.operation.lower(),
            self.schema.table_name,
            plan.index.name if plan.index else None,
            len(items),
            len(skipped),
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
            skipped_keys=tuple(skipped),
        )

    def raw_pages(
        self, policy: RetryPolicy, plan: ReadPlan, params: Params, view: type[View[Any]] | None
    ) -> Flow[None]:
        """Every page's raw items (full items for ``fetch_full``), emitted one page at a time."""

        live = self.live(plan)

        def page_items(page: Params) -> Flow[Sequence[Mapping[str, Any]]]:
            raw_items: Sequence[Mapping[str, Any]] = page.get("Items", [])
            if plan.fetch_full:
                raw_items = yield from self.fetch_full(policy, raw_items, view)
            return live(raw_items)

        reader = self.body_reader(view, plan.raw_needed)
        return flows.pages(policy, plan.operation, params, emit=page_items, items=reader)

    def body_reader(
        self, view: type[View[Any]] | None, raw_needed: bool, *, member: Member = "Items"
    ) -> BodyReader | None:
        """The reader of answer bodies straight into the model's items (``steps.Call``), for a
        read whose answers are decoded whole as the model: no view, no other entity, and no
        ``raw_needed`` after the read (an expiry check, a fetch of the full items); guard
        items make the reader decline the answer."""
        if view is not None or not self._trivial or raw_needed:
            return None
        return body_reader(self.codec, refuse_guards=self._guards, member=member)

    def count(self, policy: RetryPolicy, plan: ReadPlan) -> Flow[int]:
        """How many items every page of a Select=COUNT plan holds.

        For a model that declares ``Meta.entity`` (a shared table), DynamoDB's count would
        include the other entities' items: the plan reads the identifying attributes instead
        (the keys, and the discriminator where the index has it: the same read capacity as
        Select=COUNT, more bytes) and counts the items that are the model's."""
        total = 0
        params, identify = self.count_request(plan)
        while True:
            response = yield from flows.call(policy, plan.operation, params)
            if identify is None:
                total += int(response.get("Count", 0))
            else:
                total += sum(1 for raw in response.get("Items", ()) if identify(raw))
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            params = {**params, "ExclusiveStartKey": last}

    def count_request(
        self, plan: ReadPlan
    ) -> tuple[Params, Callable[[Mapping[str, Any]], bool] | None]:
        """The first request of a count, and the test an item read must pass to be counted
        (None: DynamoDB's Count is the answer)."""
        params = dict(plan.params)
        if self.schema.entity is None or params.get("Select") != "COUNT":
            return params, None
        attributes = list(self._key_attributes)
        matcher = self._matcher
        check: Callable[[Mapping[str, Any]], bool] = matcher.matches
        if matcher.discriminator is not None:
            if plan.index is None or plan.index.can_supply(frozenset((matcher.discriminator,))):
                attributes.append(matcher.discriminator)
            else:
                check = matcher.keys_match  # the index cannot tell more
        del params["Select"]
        names = dict(params.get("ExpressionAttributeNames", {}))
        projected = []
        for position, attribute in enumerate(dict.fromkeys(attributes)):
            placeholder = f"#entity{position}"
            names[placeholder] = attribute
            projected.append(placeholder)
        params["ExpressionAttributeNames"] = names
        params["ProjectionExpression"] = ", ".join(projected)
        guards = self._guards

        def mine(raw: Mapping[str, Any]) -> bool:
            return check(raw) and not (guards and is_guard(raw))

        return params, mine

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
        found: Mapping[tuple[Any, ...], Any],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        now: int | None = None,
        read: Mapping[tuple[Any, ...], Any] | None = None,
    ) -> BatchResult[Any]:
        """A batch read's result in the order asked: items, per-key results, missing, corrupt
        (an item expired at ``now`` is missing). ``read``: instances the body reader decoded,
        by key identity (``found`` holds them too)."""
        expired = self.expired(now) if now is not None else None
        decoded: dict[tuple[Any, ...], Any] = {}
        ready = self._decoded_found(found, view, read or {})
        items: list[Any] = []
        missing: list[dict[str, Any]] = []
        corrupt: list[CorruptItemError] = []
        results: list[Any] = []
        for values, _, identity in requested:
            if identity not in decoded:
                raw = found.get(identity)
                value = None
                if raw is not None and expired is not None and expired(raw):
                    raw = None
                if raw is None:
                    missing.append(values)
                elif identity in ready:
                    value = ready[identity]
                    items.append(value)
                else:
                    skipped: Skipped = []
                    value = self.decode_one(raw, view, on_corrupt, corrupt, skipped)
                    if value is not None:
                        items.append(value)
                    elif skipped or (self._guards and is_guard(raw)):  # not this model's item
                        missing.append(values)
                decoded[identity] = value
            results.append(decoded[identity])
        return BatchResult(tuple(items), tuple(results), tuple(missing), tuple(corrupt))

    def _decoded_found(
        self,
        found: Mapping[tuple[Any, ...], Any],
        view: type[View[Any]] | None,
        read: Mapping[tuple[Any, ...], Any],
    ) -> dict[tuple[Any, ...], Any]:
        """A batch read's found items decoded in one call, by key identity, when the model's
        items are all the table holds besides guard items (empty: decode them one by one).
        Those the body reader decoded (``read``) are taken as they are."""
        ready = dict(read)
        if not self._trivial:
            return ready
        mine = []
        for identity, raw in found.items():
            if identity in ready:
                continue
            if not (self._guards and _OWNER_TABLE in raw and _OWNER in raw):
                mine.append((identity, raw))
        decoded = self._decode_page([raw for _, raw in mine], view)
        if decoded is not None:
            ready.update((i, value) for (i, _), value in zip(mine, decoded, strict=True))
        return ready

    def item_decoder(self, view: type[View[Any]] | None) -> Callable[[Mapping[str, Any]], Any]:
        """A function of a raw item: the item decoded as its model (or ``view``), or the
        sentinel ``_GUARD`` / ``_FOREIGN`` for a guard item / an item of none of the models
        read; ``CorruptItemError`` for an item of the model that does not validate."""
        cached = self._decoders.get(view)
        if cached is not None:
            return cached
        if len(self.models) == 1:
            decode_item = decoder(self.model, view)
            matches = self._matcher.matches
            one: Callable[[Mapping[str, Any]], Any]
            if self._matcher.trivial and not self._guards:
                one = decode_item
            elif self._matcher.trivial:

                def one(raw: Mapping[str, Any]) -> Any:
                    if _OWNER_TABLE in raw and _OWNER in raw:
                        return _GUARD
                    return decode_item(raw)

            elif not self._guards:

                def one(raw: Mapping[str, Any]) -> Any:
                    return decode_item(raw) if matches(raw) else _FOREIGN

            else:

                def one(raw: Mapping[str, Any]) -> Any:
                    if matches(raw):
                        return decode_item(raw)
                    return _GUARD if _OWNER_TABLE in raw and _OWNER in raw else _FOREIGN

            self._decoders[view] = one
            return one
        decoders = [decoder(model, None) for model in self.models]
        which = self._which

        def many(raw: Mapping[str, Any]) -> Any:
            position = which(raw)
            if position < 0:
                return _GUARD if position == -1 else _FOREIGN
            return decoders[position](raw)

        self._decoders[view] = many
        return many

    def entry_is_mine(self, raw: Mapping[str, Any], skipped: Skipped) -> bool:
        """For an index entry read to be fetched in full: False (and reported) when its keys
        say it is another entity's item, or a guard item."""
        if self._guards and is_guard(raw):
            return False
        if self._matcher.keys_match(raw):
            return True
        skipped.append(self.skipped_key(raw))
        return False

    def skipped_key(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The table key of a skipped item, as attribute name -> value (never other values)."""
        key: dict[str, Any] = {}
        for attribute in self._key_attributes:
            av = raw.get(attribute)
            if isinstance(av, Mapping) and len(av) == 1:
                key[attribute] = next(iter(av.values()))
        return key

    def decode_one(
        self,
        raw: Mapping[str, Any],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
        skipped: Skipped | None = None,
    ) -> Any:
        """One item decoded, or None when it is left out: corrupt (reported as ``on_corrupt``
        says), another entity's (its key added to ``skipped``) or a guard item."""
        try:
            value = self.item_decoder(view)(raw)
        except CorruptItemError as exc:
            return self.corrupt(exc, on_corrupt, corrupt)
        if value is _FOREIGN:
            if skipped is not None:
                skipped.append(self.skipped_key(raw))
            return None
        return None if value is _GUARD else value

    def decode_all(
        self,
        raws: Iterable[Mapping[str, Any]],
        view: type[View[Any]] | None,
        on_corrupt: OnCorrupt,
        corrupt: list[CorruptItemError],
        skipped: Skipped | None = None,
    ) -> list[Any]:
        """``decode_one`` over the items of a page, corrupt and foreign ones left out (corrupt
        ones raised, as ``on_corrupt`` says). A list ``raws`` is the caller's no more: its
        items may be released as they are decoded. Items a body reader decoded
        (``DecodedItems``) are the page's as they are."""
        if type(raws) is DecodedItems:
            return raws
        if on_corrupt == "raise" and self._trivial:  # the hot path: one comprehension
            decode_plain = decoder(self.model, view)
            if not isinstance(raws, Sequence) or len(raws) < MANY_ITEMS:
                return self._decode_plain_all(decode_plain, raws, view)
            with gc_pause.paused():
                return self._decode_plain_all(decode_plain, raws, view)
        decode_item = self.item_decoder(view)
        out = []
        if on_corrupt == "raise":  # the common case, without a try per item
            for raw in raws:
                value = decode_item(raw)
                if value is _FOREIGN:
                    if skipped is not None:
                        skipped.append(self.skipped_key(raw))
                elif value is not _GUARD:
                    out.append(value)
            return out
        for raw in raws:
            value = self.decode_one(raw, view, on_corrupt, corrupt, skipped)
            if value is not None:
                out.append(value)
        return out

    def _decode_plain_all(
        self,
        decode_plain: Callable[[Mapping[str, Any]], Any],
        raws: Iterable[Mapping[str, Any]],
        view: type[View[Any]] | None,
    ) -> list[Any]:
        """A page of the model's items (guard items left out): the compiled page decoder's
        when it reads them, else item by item.

        A list of raw items is consumed in chunks of ``CHUNK``, each released from the list
        once decoded: its memory is still in the CPU's cache when the next chunk's items take
        it, where decoding the whole page then freeing it walks megabytes twice (measured: 20%
        of a 1,000-item page's decoding, and the page faults of fresh memory)."""
        guards = self._guards
        if not isinstance(raws, list):
            if guards:
                raws = [raw for raw in raws if not (_OWNER_TABLE in raw and _OWNER in raw)]
            return [decode_plain(raw) for raw in raws]
        out: list[Any] = []
        for start in range(0, len(raws), CHUNK):
            chunk = raws[start : start + CHUNK]
            size = len(chunk)
            if guards:
                chunk = [raw for raw in chunk if not (_OWNER_TABLE in raw and _OWNER in raw)]
            decoded = self._decode_page(chunk, view)
            out += [decode_plain(raw) for raw in chunk] if decoded is None else decoded
            raws[start : start + size] = _RELEASED[:size]
        return out

    def _decode_page(
        self, raws: Sequence[Mapping[str, Any]], view: type[View[Any]] | None
    ) -> list[Any] | None:
        """The model's items ``raws`` (no guard items) decoded in one call by its compiled page
        decoder; None when it cannot (a view, a model or a page it does not vouch for)."""
        if view is not None or len(raws) < 2:
            return None
        decode_page = page_decoder(codec_for(self.model))
        return None if decode_page is None else decode_page(raws)

    def decoded(
        self, raws: Iterable[Mapping[str, Any]], view: type[View[Any]] | None, on_corrupt: OnCorrupt
    ) -> list[Any]:
        """The items of one streamed page, decoded; corrupt ones raise or are skipped as
        ``on_corrupt`` says, other entities' items and guard items are left out (a stream keeps
        no list of them)."""
        return self.decode_all(raws, view, on_corrupt, [])

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


CHUNK = 64
"""Raw items decoded (and released) at a time by ``ReadCore.decode_all``."""

_RELEASED: list[Any] = [None] * CHUNK


def _never(raw: Mapping[str, Any]) -> bool:
    return False


def _same(raws: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    return raws


def check_positive(name: str, value: int | None, model: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValidationError(f"{name} must be a positive int, got {value!r}", model=model)


__all__ = ["ReadCore", "check_positive"]
