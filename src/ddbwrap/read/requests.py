"""Pure request builders and response transforms of the read side: no I/O here.

Every read is three steps: build the request (these functions), send it (the gateway), and
transform the response (the ``decode_*`` functions). Keeping the first and last pure means a
test can check the exact request a read sends, and an async gateway can reuse all but the call.
Requests carry the *logical* table name; the gateway maps it to the physical one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..codec import Item, codec_for
from ..errors import CorruptItemError, ValidationError
from ..expressions import Condition, Placeholders, SortCondition, build_key_condition
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
    return frozenset(view_attributes(view).values())


def position_attributes(schema: TableSchema, index: IndexSchema | None) -> tuple[str, ...]:
    """Attributes of a query/scan position (LastEvaluatedKey): table key plus index key."""
    keys: list[KeyAttribute] = list(schema.key_attributes)
    if index is not None:
        keys += [k for k in (index.partition_key, index.sort_key) if k is not None]
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
        attributes = set(view_attributes(view).values()) | set(key)
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
        attributes = set(view_attributes(view).values())
        attributes |= {k.attribute for k in schema.key_attributes}
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
    LastEvaluatedKey; ``partition`` is the partition key attribute and value of a query;
    ``filtered`` says whether DynamoDB may return fewer items than it evaluates.
    """

    operation: Literal["Query", "Scan"]
    params: Params
    fingerprint: str
    position: tuple[str, ...]
    index: IndexSchema | None
    partition: tuple[str, Mapping[str, Any]] | None
    filtered: bool
    fetch_full: bool = False


def _resolve_index(schema: TableSchema, index: str | None) -> IndexSchema | None:
    if index is None:
        return None
    if not isinstance(index, str):
        raise ValidationError(
            f"index= takes an index name, got {type(index).__name__}", model=schema.model_name
        )
    return schema.index(index)


def _partition_value(model: type[DomainModel], key: KeyAttribute, values: Mapping[str, Any]) -> Any:
    if key.template is not None:
        return dict(values)
    assert key.field is not None
    return values[key.field]


def _sort_from_keywords(
    schema: TableSchema,
    sk: KeyAttribute | None,
    partition: Mapping[str, object],
    sort: SortCondition | object | None,
) -> tuple[Mapping[str, object], SortCondition | object | None]:
    """Let ``tenant_id="t1", is_active=True`` mean an equality on the sort key."""
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
) -> ReadPlan:
    """Build a Query: key condition, filter, projection, direction; checked before sending."""
    schema = codec_for(model).schema
    check_view(model, view)
    target = _resolve_index(schema, index)
    pk = target.partition_key if target is not None else schema.partition_key
    sk = target.sort_key if target is not None else schema.sort_key
    what = f"partition key of index {target.name!r}" if target else "partition key"
    partition, sort = _sort_from_keywords(schema, sk, partition, sort)
    values = key_fields(model, pk.fields, None, partition, what)
    _check_consistent(schema, target, consistent)
    if fetch_full and target is None:
        raise ValidationError(
            "fetch_full=True only makes sense on an index query; the table has every attribute",
            model=schema.model_name,
        )
    placeholders = Placeholders()
    condition = build_key_condition(
        schema, target, _partition_value(model, pk, values), sort, placeholders
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
    position = _finish(
        schema, target, view, placeholders, params, count, fetch_full, consistent, capacity
    )
    pk_value = codec_for(model).index_key(values, (pk,))[pk.attribute]
    return ReadPlan(
        "Query",
        params,
        fingerprint,
        position,
        target,
        (pk.attribute, pk_value),
        filter is not None,
        fetch_full,
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
            attributes = set(view_attributes(view).values()) | set(position)
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
