"""dynamoxy 0.3's declaration of the benchmark item (its ``dynamoxy.Model``; the table name is
the client's prefix + ``items``). No ``from __future__ import annotations`` here: dynamoxy
evaluates the ``Attr[...]`` annotations in this module's namespace."""

import datetime as dt
from decimal import Decimal

import dynamoxy
from dynamoxy import Attr, field, partition_key, sort_key


class DynamoxyItem(dynamoxy.Model, table="items"):
    tenant_id: Attr[str] = partition_key()
    item_id: Attr[str] = sort_key()
    name: Attr[str]
    description: Attr[str]
    owner: Attr[str]
    status: Attr[str]
    is_active: Attr[bool] = field(default=True)
    retries: Attr[int] = field(default=3)
    run_count: Attr[int] = field(default=0)
    cost: Attr[Decimal]
    created_at: Attr[dt.datetime]
    updated_at: Attr[dt.datetime]
    tags: Attr[list[str]] = field(default_factory=list)
    settings: Attr[dict[str, str]] = field(default_factory=dict)
    owners: Attr[set[str]] = field(default_factory=set)
