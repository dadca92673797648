"""The benchmark item, declared once per library: 15 attributes of realistic size.

Two string keys (``tenant_id`` partition, ``item_id`` sort), four more strings, a bool, two
ints, a Decimal, two datetimes, a list of strings, a map of strings and a string set. Every
contender stores and reads the same values, each in its library's own way (PynamoDB stores
datetimes in its own format, boto3 needs plain values, ...).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from ddbwrap import DomainModel

UTC = dt.timezone.utc
TENANT = "tenant-0042"


class Item(DomainModel):
    """ddbwrap's declaration."""

    tenant_id: str
    item_id: str
    name: str
    description: str
    owner: str
    status: str
    is_active: bool = True
    retries: int = 3
    run_count: int = 0
    cost: Decimal
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: list[str] = Field(default_factory=list)
    settings: dict[str, str] = Field(default_factory=dict)
    owners: set[str] = Field(default_factory=set)

    class Meta:
        table_name = "items"
        partition_key = "tenant_id"
        sort_key = "item_id"


class PlainItem(BaseModel):
    """The pydantic model a hand-written boto3 Table service validates into."""

    tenant_id: str
    item_id: str
    name: str
    description: str
    owner: str
    status: str
    is_active: bool = True
    retries: int = 3
    run_count: int = 0
    cost: Decimal
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: list[str] = Field(default_factory=list)
    settings: dict[str, str] = Field(default_factory=dict)
    owners: set[str] = Field(default_factory=set)


def item_id(i: int) -> str:
    return f"item-{i:06d}"


def values(i: int, tenant: str = TENANT, prefix: str = "") -> dict[str, Any]:
    """The field values of item ``i`` (about 600 bytes stored)."""
    return {
        "tenant_id": tenant,
        "item_id": prefix + item_id(i),
        "name": f"nightly-embeddings-refresh-{i}",
        "description": "Recomputes document embeddings for every workspace that changed today.",
        "owner": "alice@example.com",
        "status": "active",
        "is_active": i % 3 != 0,
        "retries": 3,
        "run_count": 18_342 + i,
        "cost": Decimal("1250.75"),
        "created_at": dt.datetime(2025, 3, 14, 9, 26, 53, 589_793, tzinfo=UTC),
        "updated_at": dt.datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC),
        "tags": ["ml", "embeddings", "nightly", "tier-1"],
        "settings": {"batch_size": "256", "model": "text-embed-3", "mode": "incremental"},
        "owners": {"alice@example.com", "bob@example.com"},
    }


def pynamodb_model(table: str, host: str | None, region: str) -> Any:
    """PynamoDB 6's declaration, bound to ``table`` at ``host``."""
    from pynamodb.attributes import (
        BooleanAttribute,
        ListAttribute,
        MapAttribute,
        NumberAttribute,
        UnicodeAttribute,
        UnicodeSetAttribute,
        UTCDateTimeAttribute,
    )
    from pynamodb.models import Model

    class PynamoItem(Model):
        class Meta:
            table_name = table
            region = "us-east-1"
            aws_access_key_id = "local"
            aws_secret_access_key = "local"
            max_retry_attempts = 3

        tenant_id = UnicodeAttribute(hash_key=True)
        item_id = UnicodeAttribute(range_key=True)
        name = UnicodeAttribute()
        description = UnicodeAttribute()
        owner = UnicodeAttribute()
        status = UnicodeAttribute()
        is_active = BooleanAttribute()
        retries = NumberAttribute()
        run_count = NumberAttribute()
        cost = NumberAttribute()
        created_at = UTCDateTimeAttribute()
        updated_at = UTCDateTimeAttribute()
        tags = ListAttribute(of=UnicodeAttribute)
        settings = MapAttribute[str, str]()
        owners = UnicodeSetAttribute()

    PynamoItem.Meta.host = host  # type: ignore[attr-defined]
    PynamoItem.Meta.region = region
    return PynamoItem


def dyntastic_model(table: str, host: str | None, region: str) -> Any:
    """dyntastic 0.18's declaration, bound to ``table`` at ``host``."""
    from dyntastic import Dyntastic

    class DyntasticItem(Dyntastic):
        __table_name__ = table
        __hash_key__ = "tenant_id"
        __range_key__ = "item_id"
        __table_host__ = host
        __table_region__ = region

        tenant_id: str
        item_id: str
        name: str
        description: str
        owner: str
        status: str
        is_active: bool = True
        retries: int = 3
        run_count: int = 0
        cost: Decimal
        created_at: dt.datetime
        updated_at: dt.datetime
        tags: list[str] = Field(default_factory=list)
        settings: dict[str, str] = Field(default_factory=dict)
        owners: set[str] = Field(default_factory=set)

    return DyntasticItem


def pydynox_model(table: str, client: Any) -> Any:
    """pydynox 1.8's declaration (its ``Model`` API), bound to ``table`` through ``client``."""
    from pydynox import Model, ModelConfig
    from pydynox.attributes import (
        BooleanAttribute,
        DatetimeAttribute,
        DecimalAttribute,
        ListAttribute,
        MapAttribute,
        NumberAttribute,
        StringAttribute,
        StringSetAttribute,
    )

    class PydynoxItem(Model):
        model_config = ModelConfig(table=table, client=client)

        tenant_id = StringAttribute(partition_key=True)
        item_id = StringAttribute(sort_key=True)
        name = StringAttribute()
        description = StringAttribute()
        owner = StringAttribute()
        status = StringAttribute()
        is_active = BooleanAttribute()
        retries = NumberAttribute()
        run_count = NumberAttribute()
        cost = DecimalAttribute()
        created_at = DatetimeAttribute()
        updated_at = DatetimeAttribute()
        tags = ListAttribute()
        settings = MapAttribute()
        owners = StringSetAttribute()

    return PydynoxItem


def dynamoxy_model() -> Any:
    """dynamoxy 0.3's declaration (``peers/dynamoxy_item.py``: dynamoxy resolves annotations in
    the model's module, which must not use ``from __future__ import annotations``)."""
    from .dynamoxy_item import DynamoxyItem

    return DynamoxyItem
