"""Pure request builders and response transforms of the read side: no I/O here.

Every read is three steps: build the request (these functions), send it (the gateway), and
transform the response (the ``decode_*`` functions). Keeping the first and last pure means a
test can check the exact request a read sends, and an async gateway can reuse all but the call.
Requests carry the *logical* table name; the gateway maps it to the physical one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..codec import Item, codec_for
from ..errors import CorruptItemError, ValidationError
from ..expressions import (
    Condition,
    Placeholders,
    SortCondition,
    begins_with,
    build_key_condition,
)
from ..keys import key_fields
from ..model import DomainModel
from ..schema import IndexSchema, KeyAttribute, TableSchema
from .view import View, view_attributes, view_domain

OnCorrupt = Literal["raise", "skip"] | Callable[[CorruptItemError], None]
"""What a read does with an item that fails validation: raise (default), skip and report it,
or call a function with the error (and skip the item)."""

MAX_TRANSACT_GET = 100
Params = dict[str, Any]


# --- keys -----------------------------------------------------------------------------------


def wire_key(model: type[DomainModel], values: Mapping[str, Any]) -> Item:
    """The table's primary key, in wire form, from validated field values."""
    return codec_for(model).key(values)


# --- targets and projections -----------------------------------------------------------------


def check_view(model: type[DomainModel], view: type[View[Any]] | None) -> None:
    """Refuse a view of another domain model before anything is sent."""
    if view is None:
        return
    if not (isinstance(view, type) and issubclass(view, View)):
        raise ValidationError(
            f"view= takes a View[{model.__name__}] class, got {view!r}", model=model.__name__
        )
    domain = view_domain(view)
    if domain is not model:
        raise ValidationError(
            f"{view.__name__} is a view of {domain.__name__}, not of {model.__name__}",
            model=model.__name__,
        )


def target_attributes(schema: TableSchema, view: type[View[Any]] | None) -> frozenset[str]:
    """Stored attributes a read needs to build its result: the view's, or every field's."""
    if view is None:
        return frozenset(schema.field_attributes.values())
    return frozenset(view_attributes(view).values()) | entity_attributes(schema)


def ttl_attributes(schema: TableSchema) -> frozenset[str]:
    """The TTL attribute, which a view read by key also projects (never exposed): the
    post-read check that hides expired items needs it (GetItem has no filter)."""
    return frozenset((schema.ttl_attribute,)) if schema.ttl_attribute else frozenset()


@dataclass(frozen=True)
class Expiry:
    """Hide items whose TTL has passed (DynamoDB deletes them within days, not at once).

    ``now``: epoch seconds; an item is expired when its TTL (a Number) is at or before it.
    ``attribute``: the TTL attribute of every model read (a FilterExpression
    ``attribute_not_exists(#ttl) OR #ttl > :now`` is added to the query or scan); None when
    the models read (a collection) name different ones: each item is checked after it is read.
    """

    now: int
    attribute: str | None


def hide_expired(
    expiry: Expiry | None,
    index: IndexSchema | None,
    placeholders: Placeholders,
    params: Params,
) -> int | None:
    """Add the TTL filter of ``expiry`` to a query or scan (ANDed with the caller's filter).
    Returns the ``now`` of a post-read check instead when a filter cannot do it: the models
    read name different TTL attributes, or the index does not project the TTL attribute
    (then only ``fetch_full`` items can be checked; index entries have no TTL to test)."""
    if expiry is None:
        return None
    attribute = expiry.attribute
    if attribute is None or (index is not None and not index.can_supply(frozenset((attribute,)))):
        return expiry.now
    name = placeholders.name(attribute)
    now = placeholders.value({"N": str(expiry.now)})
    clause = f"(attribute_not_exists({name}) OR {name} > {now})"
    user = params.get("FilterExpression")
    params["FilterExpression"] = f"({user}) AND {clause}" if user else clause
    return None


def is_expired(stored: Any, now: int) -> bool:
    """Whether a stored TTL value (a raw AttributeValue, or None) is at or before ``now``.
    Only a Number expires, as in DynamoDB (another type is never deleted by TTL)."""
    if not isinstance(stored, Mapping):
        return False
    number = stored.get("N")
    if not isinstance(number, str):
        return False
    try:
        return int(number) <= now
    except ValueError:
        try:
            return Decimal(number) <= now
        except ArithmeticError:
            return False


def entity_attributes(schema: TableSchema) -> frozenset[str]:
    """Attributes a view read also projects to tell the model's items from other entities'
    (its ``Meta.entity`` discriminator; see :mod:`ddbwrap.entities`)."""
    return frozenset((schema.discriminator[0],)) if schema.discriminator else frozenset()


def position_attributes(schema: TableSchema, index: IndexSchema | None) -> tuple[str, ...]:
    """Attributes of a query/scan position (LastEvaluatedKey): table key plus index key."""
    keys: list[KeyAttribute] = list(schema.key_attributes)
    if index is not None:
        keys += index.key_attributes
    return tuple(dict.fromkeys(k.attribute for k in keys))


def projection_params(attributes: Iterable[str], placeholders: Placeholders) -> dict[str, str]:
    """``ProjectionExpression`` for stored attribute names (each through a ``#n`` placeholder)."""
    names = sorted(set(attributes))
    return {"ProjectionExpression": ", ".join(placeholders.name(a) for a in names)}


def check_index_supplies(
    schema: TableSchema, index: IndexSchema, view: type[View[Any]] | None
) -> None:
    """An index that does not project what the result needs is an error naming the fields."""
    needed = target_attributes(schema, view)
    if index.can_supply(needed):
        return
    assert index.projected_attributes is not None
    missing = sorted(schema.attribute_fields.get(a, a) for a in needed - index.projected_attributes)
    target = view.__name__ if view is not None else schema.model_name
    raise ValidationError(
        f"index {index.name!r} projects {index.projection.type} and cannot supply "
        f"{target}'s field(s) {', '.join(missing)}; query with a view of projected fields, "
        "pass fetch_full=True to read the full items by key, or project them in Meta",
        model=schema.model_name,
    )


def _capacity(params: Params, capacity: bool) -> None:
    if capacity:
        params["ReturnConsumedCapacity"] = "TOTAL"


# --- get, batch get, transact get --------------------------------------------------------------


def get_request(
    model: type[DomainModel],
    key: Item,
    *,
    view: type[View[Any]] | None = None,
    consistent: bool = False,
    capacity: bool = False,
) -> Params:
    """GetItem parameters; a view adds a ProjectionExpression of its attributes and the key."""
    schema = codec_for(model).schema
    params: Params = {"TableName": schema.table_name, "Key": key}
    if consistent:
        params["ConsistentRead"] = True
    if view is not None:
        placeholders = Placeholders()
        attributes = set(view_attributes(view).values()) | set(key) | entity_attributes(schema)
        attributes |= ttl_attributes(schema)
        params.update(projection_params(attributes, placeholders))
        params.update(placeholders.params())
    _capacity(params, capacity)
    return params


def batch_get_request(
    model: type[DomainModel],
    keys: Sequence[Item],
    *,
    view: type[View[Any]] | None = None,
    consistent: bool = False,
) -> dict[str, Params]:
    """BatchGetItem ``RequestItems`` (logical table) for distinct keys; the gateway chunks them."""
    schema = codec_for(model).schema
    spec: Params = {"Keys": list(keys)}
    if consistent:
        spec["ConsistentRead"] = True
    if view is not None:
        placeholders = Placeholders()
        attributes = set(view_attributes(view).values()) | entity_attributes(schema)
        attributes |= {k.attribute for k in schema.key_attributes} | ttl_attributes(schema)
        spec.update(projection_params(attributes, placeholders))
        spec.update(placeholders.params())
    return {schema.table_name: spec}


def transact_get_action(
    model: type[DomainModel], key: Item, view: type[View[Any]] | None = None
) -> Params:
    """One ``{"Get": {...}}`` action of TransactGetItems."""
    params = get_request(model, key, view=view)
    return {"Get": params}


# --- query and scan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadPlan:
    """A query or scan, built: the request without its position, and how to page it.

    ``fingerprint`` identifies the query for cursors; ``position`` names the attributes of a
    LastEvaluatedKey; ``partition`` is the partition key of a query in wire form (every
    attribute of it: several for a multi-attribute key);
    ``filtered`` says whether the caller's filter may make DynamoDB return fewer items than
    it evaluates (the TTL filter is not counted: expired items are few, so ``Limit`` stays
    the number of items wanted and a short page is simply read on);
    ``live_at``: the ``now`` of a post-read TTL check (``hide_expired``), None for none.
    """

    operation: Literal["Query", "Scan"]
    params: Params
    fingerprint: str
    position: tuple[str, ...]
    index: IndexSchema | None
    partition: Mapping[str, Mapping[str, Any]] | None
    filtered: bool
    fetch_full: bool = False
    live_at: int | None = None

    @property
    def raw_needed(self) -> bool:
        """Whether the page's raw items are still needed after the read: fetched again in
        full (``fetch_full``) or checked for expiry (``live_at``)."""
        return self.fetch_full or self.live_at is not None


def _resolve_index(schema: TableSchema, index: str | None) -> IndexSchema | None:
    if index is None:
        return None
    if not isinstance(index, str):
        raise ValidationError(
            f"index= takes an index name, got {type(index).__name__}", model=schema.model_name
        )
    return schema.index(index)


def _partition_value(keys: tuple[KeyAttribute, ...], values: Mapping[str, Any]) -> Any:
    key = keys[0]
    if key.template is not None or len(keys) > 1:
        return dict(values)
    assert key.field is not None
    return values[key.field]


def _sort_from_keywords(
    schema: TableSchema,
    sks: tuple[KeyAttribute, ...],
    partition: Mapping[str, object],
    sort: SortCondition | object | None,
) -> tuple[Mapping[str, object], SortCondition | object | None]:
    """Let ``tenant_id="t1", is_active=True`` mean an equality on the sort key (on a
    multi-attribute sort key: on each sort field given as a keyword)."""
    if len(sks) > 1:
        return _multi_sort_from_keywords(schema, sks, partition, sort)
    sk = sks[0] if sks else None
    if sk is None or not any(name in partition for name in sk.fields):
        return partition, sort
    if sort is not None:
        raise ValidationError(
            "the sort key is given both as a keyword and as sort=; pass one of them",
            model=schema.model_name,
            field=sk.fields[0],
        )
    rest = {k: v for k, v in partition.items() if k not in sk.fields}
    given = {k: v for k, v in partition.items() if k in sk.fields}
    if sk.template is not None:
        return rest, given
    return rest, given[sk.fields[0]]


def entity_prefix(schema: TableSchema) -> SortCondition | None:
    """``begins_with(<literal prefix>)`` of the sort key template of a model that declares
    ``Meta.entity`` (``ORDER#`` of ``ORDER#{order_id}``): the part of a partition its items
    can be in. None when the model declares nothing or its sort key has no such prefix."""
    sk = schema.sort_key
    if schema.entity is None or sk is None or sk.template is None:
        return None
    prefix = sk.template.literals[0]
    return begins_with(prefix) if prefix else None


def _partition_fields_first(
    schema: TableSchema,
    pks: tuple[KeyAttribute, ...],
    sks: tuple[KeyAttribute, ...],
    partition: Mapping[str, object],
    sort: SortCondition | object | None,
) -> tuple[Mapping[str, object], SortCondition | object | None]:
    """``_sort_from_keywords`` where a keyword naming a partition key field is the partition
    key's, even when the sort key template uses that field too (single-table designs:
    ``pk = CUSTOMER#{customer_id}``, ``sk = PROFILE#{customer_id}``: ``customer_id="c1"``
    queries the partition); a sort key equality given by keywords gets those fields too."""
    shared = {f for key in pks for f in key.fields} & {f for key in sks for f in key.fields}
    if not shared:
        return _sort_from_keywords(schema, sks, partition, sort)
    own = {k: v for k, v in partition.items() if k in shared}
    rest, derived = _sort_from_keywords(
        schema, sks, {k: v for k, v in partition.items() if k not in shared}, sort
    )
    if sort is None and isinstance(derived, Mapping):
        derived = {**own, **derived}
    return {**rest, **own}, derived


def _multi_sort_from_keywords(
    schema: TableSchema,
    sks: tuple[KeyAttribute, ...],
    partition: Mapping[str, object],
    sort: SortCondition | object | None,
) -> tuple[Mapping[str, object], SortCondition | object | None]:
    """Sort fields given as keywords are equalities; ``sort=`` adds to them: a mapping of
    sort fields, or one condition on the first sort field not given as a keyword."""
    names = [f for k in sks for f in k.fields]
    given = {k: v for k, v in partition.items() if k in names}
    if not given:
        return partition, sort
    rest = {k: v for k, v in partition.items() if k not in names}
    if sort is None:
        return rest, given
    if isinstance(sort, Mapping):
        twice = [name for name in sort if name in given]
        if twice:
            raise ValidationError(
                "is given both as a keyword and in sort=; pass it once",
                model=schema.model_name,
                field=str(twice[0]),
            )
        return rest, {**given, **sort}
    after = [name for name in names if name not in given]
    if not after:
        raise ValidationError(
            f"every sort key field ({', '.join(names)}) is given as a keyword, so sort= has no "
            "field left to apply to; drop it, or pass the last field's condition as sort=",
            model=schema.model_name,
            field=names[-1],
        )
    return rest, {**given, after[0]: sort}


def query_plan(
    model: type[DomainModel],
    partition: Mapping[str, object],
    *,
    index: str | None = None,
    sort: SortCondition | object | None = None,
    filter: Condition | None = None,
    view: type[View[Any]] | None = None,
    descending: bool = False,
    consistent: bool = False,
    capacity: bool = False,
    fetch_full: bool = False,
    count: bool = False,
    narrow: bool = True,
    expiry: Expiry | None = None,
) -> ReadPlan:
    """Build a Query: key condition, filter, projection, direction; checked before sending.

    ``narrow``: a table query of a model sharing its table (``Meta.entity``) whose sort key
    template starts with literal text reads only the sort keys that start with it (a
    ``begins_with`` key condition) when no sort condition is given; a collection read, which
    wants every entity of the partition, passes False. ``expiry``: hide expired items (the
    TTL filter, added after the cursor fingerprint is taken: cursors outlive ``now``)."""
    schema = codec_for(model).schema
    check_view(model, view)
    target = _resolve_index(schema, index)
    pks = target.partition_keys if target is not None else (schema.partition_key,)
    if target is not None:
        sks = target.sort_keys
    else:
        sks = (schema.sort_key,) if schema.sort_key is not None else ()
    what = f"partition key of index {target.name!r}" if target else "partition key"
    partition, sort = _partition_fields_first(schema, pks, sks, partition, sort)
    if narrow and sort is None and target is None:
        sort = entity_prefix(schema)
    needed = tuple(dict.fromkeys(f for key in pks for f in key.fields))
    if len(pks) > 1:
        _check_partition_given(schema, target, needed, partition)
    values = key_fields(model, needed, None, partition, what)
    _check_consistent(schema, target, consistent)
    if fetch_full and target is None:
        raise ValidationError(
            "fetch_full=True only makes sense on an index query; the table has every attribute",
            model=schema.model_name,
        )
    placeholders = Placeholders()
    condition = build_key_condition(
        schema, target, _partition_value(pks, values), sort, placeholders
    )
    params: Params = {"TableName": schema.table_name, "KeyConditionExpression": condition}
    if target is not None:
        params["IndexName"] = target.name
    filter_text = _filter(model, filter, placeholders, params)
    if descending:
        params["ScanIndexForward"] = False
    fingerprint = _fingerprint(
        "Query", schema, target, placeholders, key=condition, filter=filter_text, desc=descending
    )
    live_at = hide_expired(expiry, target, placeholders, params)
    position = _finish(
        schema, target, view, placeholders, params, count, fetch_full, consistent, capacity
    )
    return ReadPlan(
        "Query",
        params,
        fingerprint,
        position,
        target,
        codec_for(model).index_key(values, pks),
        filter is not None,
        fetch_full,
        live_at,
    )


def _check_partition_given(
    schema: TableSchema,
    index: IndexSchema | None,
    needed: tuple[str, ...],
    partition: Mapping[str, object],
) -> None:
    """A multi-attribute partition key needs every one of its fields: name the missing one."""
    for name in needed:
        if partition.get(name) is None:
            where = f"index {index.name!r}" if index else "the table"
            raise ValidationError(
                f"is missing: {where} has a multi-attribute partition key "
                f"({', '.join(needed)}) and a query needs an equality on every one of its "
                f"attributes; pass {name}=..., or query an index whose key you have",
                model=schema.model_name,
                field=name,
            )


def scan_plan(
    model: type[DomainModel],
    *,
    index: str | None = None,
    filter: Condition | None = None,
    view: type[View[Any]] | None = None,
    consistent: bool = False,
    capacity: bool = False,
    segment: int | None = None,
    segments: int | None = None,
    count: bool = False,
    expiry: Expiry | None = None,
) -> ReadPlan:
    """Build a Scan of the table or an index, optionally one segment of a parallel scan."""
    schema = codec_for(model).schema
    check_view(model, view)
    target = _resolve_index(schema, index)
    _check_consistent(schema, target, consistent)
    placeholders = Placeholders()
    params: Params = {"TableName": schema.table_name}
    if target is not None:
        params["IndexName"] = target.name
    filter_text = _filter(model, filter, placeholders, params)
    if segments is not None:
        if not isinstance(segments, int) or not 1 <= segments <= 1_000_000:
            raise ValidationError(
                f"segments must be an int from 1 to 1000000, got {segments!r}",
                model=schema.model_name,
            )
        if segment is not None:
            if not isinstance(segment, int) or not 0 <= segment < segments:
                raise ValidationError(
                    f"segment must be in 0..{segments - 1}, got {segment!r}",
                    model=schema.model_name,
                )
            params["Segment"] = segment
            params["TotalSegments"] = segments
    fingerprint = _fingerprint(
        "Scan",
        schema,
        target,
        placeholders,
        filter=filter_text,
        segment=[params.get("Segment"), params.get("TotalSegments")],
    )
    live_at = hide_expired(expiry, target, placeholders, params)
    position = _finish(
        schema, target, view, placeholders, params, count, False, consistent, capacity
    )
    return ReadPlan(
        "Scan",
        params,
        fingerprint,
        position,
        target,
        None,
        filter is not None,
        live_at=live_at,
    )


def merge_partition(
    partition: Mapping[str, object] | None, key_values: Mapping[str, object], model: str
) -> dict[str, object]:
    """The partition key of a query, given as one mapping or as keyword arguments."""
    if partition is None:
        return dict(key_values)
    if not isinstance(partition, Mapping):
        raise ValidationError(
            "the partition key is given as keyword arguments (or one mapping), not "
            f"{type(partition).__name__}",
            model=model,
        )
    if key_values:
        raise ValidationError(
            "pass the partition key either as one mapping or as keyword arguments, not both",
            model=model,
        )
    return dict(partition)


def segment_scan_plans(
    model: type[DomainModel],
    segments: int,
    *,
    index: str | None = None,
    filter: Condition | None = None,
    view: type[View[Any]] | None = None,
    consistent: bool = False,
    count: bool = False,
    expiry: Expiry | None = None,
) -> list[ReadPlan]:
    """A scan plan per segment of a scan in ``segments`` parallel ones (``scan_plan``); one
    plan of the whole table for 1. A ``segments`` DynamoDB refuses is refused by ``scan_plan``."""
    if segments == 1:
        bounds: list[tuple[int | None, int | None]] = [(None, None)]
    elif isinstance(segments, int) and not isinstance(segments, bool) and segments > 1:
        bounds = [(i, segments) for i in range(segments)]
    else:
        bounds = [(0, segments)]
    return [
        scan_plan(
            model,
            index=index,
            filter=filter,
            view=view,
            consistent=consistent,
            count=count,
            segment=segment,
            segments=total,
            expiry=expiry,
        )
        for segment, total in bounds
    ]


def segment_bounds(segment: tuple[int, int] | None) -> tuple[int | None, int | None]:
    """``segment=(i, n)`` of a scan as ``(i, n)``; ``(None, None)`` for a whole scan."""
    if segment is None:
        return None, None
    if not (isinstance(segment, tuple) and len(segment) == 2):
        raise ValidationError(f"segment= takes (segment, total_segments), got {segment!r}")
    return segment[0], segment[1]


def page_request(
    plan: ReadPlan,
    page_size: int | None,
    *,
    start: Mapping[str, Any] | None = None,
    wanted: int | None = None,
) -> Params:
    """One request of a query or scan: the plan's parameters, from position ``start`` (None:
    the beginning), limited for ``wanted`` more items and to ``page_size`` per request."""
    params = dict(plan.params)
    if start is not None:
        params["ExclusiveStartKey"] = start
    size = _request_limit(plan, wanted, page_size)
    if size is not None:
        params["Limit"] = size
    return params


def _request_limit(plan: ReadPlan, wanted: int | None, page_size: int | None) -> int | None:
    """DynamoDB's Limit (items evaluated) for a request that still wants ``wanted`` items:
    exactly that without a filter; with one, only ``page_size`` (a filter drops items after
    Limit counts them, so a small Limit would just mean more round trips)."""
    size = wanted if (wanted is not None and not plan.filtered) else None
    if page_size is not None:
        size = min(size, page_size) if size is not None else page_size
    return size


def _check_consistent(schema: TableSchema, index: IndexSchema | None, consistent: bool) -> None:
    if consistent and index is not None and index.kind == "GSI":
        raise ValidationError(
            f"consistent=True is not possible on global secondary index {index.name!r}: "
            "GSIs are eventually consistent; read the table (or an LSI) for a consistent read",
            model=schema.model_name,
        )


def _filter(
    model: type[DomainModel],
    condition: Condition | None,
    placeholders: Placeholders,
    params: Params,
) -> str | None:
    if condition is None:
        return None
    if not isinstance(condition, Condition):
        raise ValidationError(
            f"filter= takes a condition such as Attr('status') == 'active', got "
            f"{type(condition).__name__}",
            model=model.__name__,
        )
    text = condition.compile(model, placeholders)
    params["FilterExpression"] = text
    return text


def _fingerprint(
    operation: str,
    schema: TableSchema,
    index: IndexSchema | None,
    placeholders: Placeholders,
    **described: Any,
) -> str:
    """The fingerprint (for cursors) of what a query or scan reads, taken before the projection
    adds its placeholders."""
    from .page import fingerprint

    return fingerprint(
        {
            "op": operation,
            "table": schema.table_name,
            "index": index.name if index else None,
            **described,
            **placeholders.params(),
        }
    )


def _finish(
    schema: TableSchema,
    index: IndexSchema | None,
    view: type[View[Any]] | None,
    placeholders: Placeholders,
    params: Params,
    count: bool,
    fetch_full: bool,
    consistent: bool,
    capacity: bool,
) -> tuple[str, ...]:
    """The end of a query or scan request: Select=COUNT or the projection the result needs
    (checking the index can supply it), ConsistentRead, capacity. Returns the attributes of
    its position (LastEvaluatedKey)."""
    position = position_attributes(schema, index)
    if count:
        params["Select"] = "COUNT"
    elif fetch_full:
        params.update(projection_params(position, placeholders))
    else:
        if index is not None:
            check_index_supplies(schema, index, view)
        if view is not None:
            attributes = set(target_attributes(schema, view)) | set(position)
            params.update(projection_params(attributes, placeholders))
    params.update(placeholders.params())
    if consistent:
        params["ConsistentRead"] = True
    _capacity(params, capacity)
    return position


# --- transforms ----------------------------------------------------------------------------------


def decode(model: type[DomainModel], view: type[View[Any]] | None, item: Mapping[str, Any]) -> Any:
    """A raw item as ``model`` or ``view``; ``CorruptItemError`` names the table and key."""
    codec = codec_for(model)
    if view is None:
        return codec.decode(item)
    return codec.decode_fields(view, item, view_attributes(view), view.__ddb_defaults__)


def decoder(
    model: type[DomainModel], view: type[View[Any]] | None
) -> Callable[[Mapping[str, Any]], Any]:
    """``decode(model, view, item)`` as a function of ``item``, for the items of a page."""
    codec = codec_for(model)
    if view is None:
        return codec.decoder()
    fields, defaults = view_attributes(view), view.__ddb_defaults__

    def decode_view(item: Mapping[str, Any]) -> Any:
        return codec.decode_fields(view, item, fields, defaults)

    return decode_view


def position_of(item: Mapping[str, Any], position: Sequence[str]) -> Item:
    """The LastEvaluatedKey that resumes right after ``item``."""
    return {name: dict(item[name]) for name in position if name in item}
