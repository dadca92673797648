"""Key conditions for queries: the partition key equals a value, the sort key matches a
``SortCondition`` (``eq``, ``lt``, ``le``, ``gt``, ``ge``, ``between``, ``begins_with``).

A GSI with a native multi-attribute key (``GSI(..., partition_key=("tenant_id", "region"),
sort_key=("status", "created_at"))``) takes an equality on every partition attribute, and
conditions on its sort attributes left to right: equalities on a prefix of them, the last one
given may be any sort condition (DynamoDB's rule; anything else is refused here, before
sending).

Values are encoded in key form (``encode_key_value``: booleans as ``"true"``/``"false"``,
datetimes as sortable UTC strings) and checked against the key's declared type before anything
is sent, so a query on a numeric sort key with a string bound fails here, not at DynamoDB.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .._redact import shown
from ..codec import AttributeValue, check_key_text, encode_key_value, render_key
from ..errors import KeyValueError, ValidationError
from ..schema import IndexSchema, KeyAttribute, TableSchema
from .placeholders import Placeholders

SORT_OPERATORS: Mapping[str, tuple[str, int]] = {
    "eq": ("{key} = {0}", 1),
    "lt": ("{key} < {0}", 1),
    "le": ("{key} <= {0}", 1),
    "gt": ("{key} > {0}", 1),
    "ge": ("{key} >= {0}", 1),
    "between": ("{key} BETWEEN {0} AND {1}", 2),
    "begins_with": ("begins_with({key}, {0})", 1),
}
"""The only operators DynamoDB allows on a sort key: name -> (template, number of values)."""

_TYPE_NAMES = {"S": "a string", "N": "a number", "B": "binary"}


@dataclass(frozen=True)
class SortCondition:
    """A condition on the sort key of a table or index; build it with ``between()``,
    ``begins_with()``, ``eq()``, ``lt()``, ``le()``, ``gt()`` or ``ge()``."""

    op: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if self.op not in SORT_OPERATORS:
            allowed = ", ".join(SORT_OPERATORS)
            raise ValidationError(f"{self.op!r} is not a sort key operator (allowed: {allowed})")
        arity = SORT_OPERATORS[self.op][1]
        if len(self.values) != arity:
            raise ValidationError(f"{self.op} takes {arity} value(s), got {len(self.values)}")


def eq(value: Any) -> SortCondition:
    """Sort key equals ``value``."""
    return SortCondition("eq", (value,))


def lt(value: Any) -> SortCondition:
    """Sort key is below ``value``."""
    return SortCondition("lt", (value,))


def le(value: Any) -> SortCondition:
    """Sort key is at most ``value``."""
    return SortCondition("le", (value,))


def gt(value: Any) -> SortCondition:
    """Sort key is above ``value``."""
    return SortCondition("gt", (value,))


def ge(value: Any) -> SortCondition:
    """Sort key is at least ``value``."""
    return SortCondition("ge", (value,))


def between(low: Any, high: Any) -> SortCondition:
    """``low <= sort key <= high`` (both bounds included)."""
    return SortCondition("between", (low, high))


def begins_with(prefix: str | bytes | Mapping[str, Any]) -> SortCondition:
    """Sort key starts with ``prefix`` (string or binary sort keys only).

    On a sort key declared with a ``KeyTemplate``, ``prefix`` may be a mapping of the
    template's first fields (``{"tenant_id": "t1"}``): ddbwrap renders them up to and including
    the literal that follows the last one (``TENANT#t1#``), refusing values that contain a
    separator, so the prefix matches exactly those values and never ``TENANT#t10``.
    """
    return SortCondition("begins_with", (prefix,))


def build_key_condition(
    schema: TableSchema,
    index: IndexSchema | str | None,
    partition_value: Any,
    sort: SortCondition | Any | None,
    placeholders: Placeholders,
) -> str:
    """The ``KeyConditionExpression`` of a query on the table (``index=None``) or an index.

    ``sort`` is a ``SortCondition``, a plain value (meaning ``eq(value)``) or None. For a key
    declared with a ``KeyTemplate`` pass a mapping of the fields the template names
    (``{"tenant_id": "t1"}``; for ``begins_with``, its first fields), which is rendered and
    checked (``KeyValueError`` for a value containing a separator), or the rendered string,
    which must be a key the template renders (for ``begins_with``: the beginning of one).

    For a multi-attribute partition key, ``partition_value`` maps every partition field to its
    value. For a sort key of plain fields (one, or several), ``sort`` may also map sort fields
    to a value or a ``SortCondition`` (``{"status": "open", "created_at": gt(t)}``): a prefix of
    the sort fields in order, all but the last an equality; a bare condition applies to the
    first sort field. Anything else raises ``ValidationError`` naming the field and the fix.
    """
    if isinstance(index, str):
        index = schema.index(index)
    owner = f"index {index.name!r}" if index else f"table {schema.table_name!r}"
    pks = index.partition_keys if index else (schema.partition_key,)
    sks = index.sort_keys if index else (schema.sort_key,) if schema.sort_key else ()
    if partition_value is None:
        raise ValidationError(
            f"a query on {owner} needs a value for its partition key "
            f"{', '.join(_key_name(k) for k in pks)!r}",
            model=schema.model_name,
        )
    if len(pks) > 1:
        parts = [
            _render(schema, owner, "partition", key, "eq", (value,), placeholders)
            for key, value in partition_values(schema, owner, pks, partition_value)
        ]
    else:
        parts = [
            _render(schema, owner, "partition", pks[0], "eq", (partition_value,), placeholders)
        ]
    if sort is not None:
        if not sks:
            raise ValidationError(
                f"{owner} has no sort key, so a query on it takes no sort condition",
                model=schema.model_name,
            )
        for key, condition in sort_conditions(schema, owner, sks, sort):
            if condition.op == "begins_with" and key.type == "N":
                raise ValidationError(
                    f"begins_with cannot be used on the numeric sort key {_key_name(key)!r} of "
                    f"{owner}; use between() or a comparison",
                    model=schema.model_name,
                    field=key.field,
                )
            parts.append(
                _render(schema, owner, "sort", key, condition.op, condition.values, placeholders)
            )
    return " AND ".join(parts)


def partition_values(
    schema: TableSchema, owner: str, keys: tuple[KeyAttribute, ...], given: Any
) -> list[tuple[KeyAttribute, Any]]:
    """Each attribute of a multi-attribute partition key with its value from ``given`` (a
    mapping of field names); every attribute is required, no other name is allowed."""
    fields = ", ".join(_key_name(k) for k in keys)
    if not isinstance(given, Mapping):
        raise ValidationError(
            f"the partition key of {owner} is made of several attributes ({fields}); pass a "
            "mapping of each field to its value",
            model=schema.model_name,
        )
    known = {_key_name(k) for k in keys}
    for name in given:
        if name not in known:
            raise ValidationError(
                f"is not part of the partition key of {owner} ({fields})",
                model=schema.model_name,
                field=str(name),
            )
    out = []
    for key in keys:
        value = given.get(_key_name(key))
        if value is None:
            raise ValidationError(
                f"is missing: {owner} has a multi-attribute partition key ({fields}) and a "
                "query needs an equality on every one of its attributes; pass "
                f"{_key_name(key)}=..., or query an index whose key you have",
                model=schema.model_name,
                field=_key_name(key),
            )
        out.append((key, value))
    return out


def sort_conditions(
    schema: TableSchema, owner: str, keys: tuple[KeyAttribute, ...], sort: Any
) -> list[tuple[KeyAttribute, SortCondition]]:
    """The sort key conditions of a query, each with its attribute, checked against DynamoDB's
    rule for (multi-attribute) sort keys: a prefix of the sort attributes in order, every one
    but the last an equality."""
    if not (isinstance(sort, Mapping) and (len(keys) > 1 or keys[0].template is None)):
        return [(keys[0], sort if isinstance(sort, SortCondition) else eq(sort))]
    fields = ", ".join(_key_name(k) for k in keys)
    known = {_key_name(k): k for k in keys}
    for name in sort:
        if name not in known:
            raise ValidationError(
                f"is not part of the sort key of {owner} ({fields}); sort conditions name "
                "sort key fields",
                model=schema.model_name,
                field=str(name),
            )
    out: list[tuple[KeyAttribute, SortCondition]] = []
    for key in keys:
        if _key_name(key) not in sort:
            break
        value = sort[_key_name(key)]
        out.append((key, value if isinstance(value, SortCondition) else eq(value)))
    if len(out) < len(sort):
        skipped = _key_name(keys[len(out)])
        later = next(_key_name(k) for k in keys[len(out) :] if _key_name(k) in sort)
        raise ValidationError(
            f"has a condition but {skipped!r} before it has none: the sort key of {owner} is "
            f"({fields}) and conditions apply left to right; add an equality on {skipped!r} "
            f"or drop the condition on {later!r}",
            model=schema.model_name,
            field=later,
        )
    for (key, condition), (after, _) in itertools.pairwise(out):
        if condition.op != "eq":
            raise ValidationError(
                f"has a {condition.op} condition, but {_key_name(after)!r} comes after it: on "
                f"the sort key of {owner} ({fields}) only the last condition given may be a "
                f"range (lt, le, gt, ge, between, begins_with); make {_key_name(key)!r} an "
                f"equality or drop the condition on {_key_name(after)!r}",
                model=schema.model_name,
                field=_key_name(key),
            )
    return out


def _render(
    schema: TableSchema,
    owner: str,
    role: str,
    key: KeyAttribute,
    op: str,
    values: tuple[Any, ...],
    placeholders: Placeholders,
) -> str:
    encoded = [_encode(schema, owner, role, key, op, v) for v in values]
    if op == "between":
        _check_bounds(schema, owner, key, values, encoded)
    template = SORT_OPERATORS[op][0]
    rendered = [placeholders.value(av) for av in encoded]
    return template.format(*rendered, key=placeholders.name(key.attribute))


def _encode(
    schema: TableSchema, owner: str, role: str, key: KeyAttribute, op: str, value: Any
) -> AttributeValue:
    zone = schema.naive_datetime_zone
    if key.template is not None:
        if isinstance(value, Mapping):
            text = render_key(
                key.template,
                value,
                model=schema.model_name,
                zone=zone,
                leading=op == "begins_with",
                exact=True,
            )
            return {"S": text}
        if isinstance(value, str) and op in ("eq", "begins_with"):
            check_key_text(key.template, value, model=schema.model_name, prefix=op != "eq")
    try:
        encoded = encode_key_value(value, zone=zone)
    except KeyValueError:
        raise
    except ValidationError as exc:
        raise ValidationError(
            f"{role} key {_key_name(key)!r} of {owner}: {exc.message}",
            model=schema.model_name,
            field=key.field,
        ) from None
    kind = next(iter(encoded))
    if kind != key.type:
        raise ValidationError(
            f"{role} key {_key_name(key)!r} of {owner} is {_TYPE_NAMES[key.type]}, "
            f"but {shown(value)} encodes as {_TYPE_NAMES.get(kind, kind)}",
            model=schema.model_name,
            field=key.field,
        )
    return encoded


def _check_bounds(
    schema: TableSchema,
    owner: str,
    key: KeyAttribute,
    values: tuple[Any, ...],
    encoded: list[AttributeValue],
) -> None:
    low, high = encoded[0][key.type], encoded[1][key.type]
    out_of_order = Decimal(low) > Decimal(high) if key.type == "N" else low > high
    if out_of_order:
        raise ValidationError(
            f"between({shown(values[0])}, {shown(values[1])}) on sort key {_key_name(key)!r} of "
            f"{owner}: "
            "the lower bound is above the upper bound; DynamoDB rejects such a range",
            model=schema.model_name,
            field=key.field,
        )


def _key_name(key: KeyAttribute) -> str:
    return key.field or key.attribute
