"""Guard items that make ``Meta.unique`` fields unique across a table.

DynamoDB can only enforce uniqueness of a primary key, so each unique value is claimed by a
*guard item* in the model's guard table (``Meta.unique_table``, ``<table>-unique`` by default)::

    {"pk": "User#email#ada@example.com",          # <Model>#<field>#<value as text>
     "owner": "{\"user_id\": [\"S\", \"u1\"]}",   # canonical text of the owner's primary key
     "owner_key": {"user_id": "u1"},              # the owner's key as a map, for people and tools
     "owner_table": "users"}

Guards are written in the same TransactWriteItems as the item itself: claimed with
``attribute_not_exists(pk)`` (a taken value cancels the whole transaction), released only by
their owner (``attribute_not_exists(pk) OR owner = :me``), so no failed write leaves a guard
behind and no write can release another item's guard.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..codec import AttributeValue, Item
from ..errors import ValidationError
from ..expressions import Placeholders
from ..schema import UNIQUE_KEY_ATTRIBUTE, TableSchema

OWNER_ATTRIBUTE = "owner"
OWNER_KEY_ATTRIBUTE = "owner_key"
OWNER_TABLE_ATTRIBUTE = "owner_table"


def value_text(av: Mapping[str, Any] | None) -> str | None:
    """The text of a stored unique value inside a guard key; None when there is no value.

    Derived from the stored form, so a value read back from DynamoDB (which normalises numbers:
    ``1.50`` comes back as ``1.5``) names the same guard as the value that was written: strings
    as they are, numbers in plain canonical form, bytes in base64, booleans as ``true``/``false``.
    """
    if not av:
        return None
    ((tag, raw),) = av.items()
    if tag == "S":
        return str(raw)
    if tag == "N":
        number = Decimal(raw).normalize()
        return "0" if number.is_zero() else format(number, "f")
    if tag == "B":
        return base64.b64encode(bytes(raw)).decode("ascii")
    if tag == "BOOL":
        return "true" if raw else "false"
    return None


def guard_key(schema: TableSchema, field: str, av: Mapping[str, Any]) -> Item:
    """The primary key of the guard item that claims the stored value ``av`` for ``field``."""
    text = value_text(av)
    if text is None:
        raise ValidationError(
            f"a {next(iter(av), 'missing')} value cannot be claimed as unique",
            model=schema.model_name,
            field=field,
        )
    return {UNIQUE_KEY_ATTRIBUTE: {"S": f"{schema.model_name}#{field}#{text}"}}


def owner_text(key: Mapping[str, AttributeValue]) -> str:
    """A canonical, comparable text of a primary key (attribute order does not matter)."""
    plain: dict[str, list[str]] = {}
    for name, av in key.items():
        ((tag, raw),) = av.items()
        text = base64.b64encode(bytes(raw)).decode("ascii") if tag == "B" else str(raw)
        plain[name] = [tag, text]
    return json.dumps(plain, sort_keys=True, separators=(",", ":"))


def guard_item(schema: TableSchema, field: str, av: Mapping[str, Any], owner: Item) -> Item:
    """The full guard item for the stored value ``av``, owned by the item keyed ``owner``."""
    return {
        **guard_key(schema, field, av),
        OWNER_ATTRIBUTE: {"S": owner_text(owner)},
        OWNER_KEY_ATTRIBUTE: {"M": dict(owner)},
        OWNER_TABLE_ATTRIBUTE: {"S": schema.table_name},
    }


def claim_params(
    schema: TableSchema, field: str, av: Mapping[str, Any], owner: Item
) -> dict[str, Any]:
    """Put of a guard that fails when the value is already claimed (by anyone)."""

    def unclaimed(placeholders: Placeholders, pk: str) -> str:
        return f"attribute_not_exists({pk})"

    return _guard_request(schema, {"Item": guard_item(schema, field, av, owner)}, unclaimed)


def release_params(
    schema: TableSchema, field: str, av: Mapping[str, Any], owner: Item
) -> dict[str, Any]:
    """Delete of a guard that only its owner may do (a missing guard is fine)."""

    def unclaimed_or_mine(placeholders: Placeholders, pk: str) -> str:
        who = placeholders.name(OWNER_ATTRIBUTE)
        me = placeholders.value({"S": owner_text(owner)})
        return f"attribute_not_exists({pk}) OR {who} = {me}"

    return _guard_request(schema, {"Key": guard_key(schema, field, av)}, unclaimed_or_mine)


def _guard_request(
    schema: TableSchema,
    target: dict[str, Any],
    condition: Callable[[Placeholders, str], str],
) -> dict[str, Any]:
    """A conditional request on the guard table: ``target`` is its Item or Key, ``condition``
    renders the ConditionExpression from the request's placeholders and the key's name."""
    assert schema.unique_table is not None
    placeholders = Placeholders()
    pk = placeholders.name(UNIQUE_KEY_ATTRIBUTE)
    return {
        "TableName": schema.unique_table,
        **target,
        "ConditionExpression": condition(placeholders, pk),
        **placeholders.params(),
    }
