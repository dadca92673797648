"""The contenders: the same workloads written the way each library is meant to be used.

Every contender gets its own client (and table), built by ``Env``. A workload is a function
``op(i)`` doing one unit of work (one put, one query of 1,000 items...); ``prepare(round)``, when
given, builds that round's inputs (model instances with fresh keys) outside the timing.

- ``raw client``: the floor. A boto3 client, AttributeValues built by hand from plain values,
  responses used as they come (AttributeValue dicts, no typed model);
- ``ddbwrap``: ReadApi/WriteApi with the gateway's fast path (the default), and ``ddbwrap
  (fast path off)``: the same with ``TableGateway(..., fast_path=False)``;
- ``boto3 Table + pydantic``: the resource API (TypeSerializer/TypeDeserializer inside) and
  ``model_validate`` on what comes back, ``model_dump`` (datetimes to ISO text) going in;
- ``PynamoDB``: its Model API (6.x; it turns botocore's parameter validation off itself);
- ``dyntastic``: its Dyntastic model API (0.18; boto3 resource inside). Its ``update`` sends an
  UpdateItem and then a GetItem to refresh the instance: that is how it works;
- ``raw aiobotocore``: the async floor, aiobotocore's client used as the raw client is (in the
  per-operation tables, one call awaited at a time);
- ``ddbwrap direct``: ddbwrap on its direct data-plane transport (``TableGateway(client,
  transport="direct")``), when the installed ddbwrap has it;
- ``pydynox``: its ``Model`` API, ``sync_`` methods (1.8; Rust core, AWS SDK for Rust). Its
  ``update`` is an UpdateItem that returns nothing (the instance is not refreshed);
- ``dynamoxy``: its repositories (0.3; async only, Rust core, AWS SDK for Rust), one call
  awaited at a time in the per-operation tables.

Async contenders' ops return coroutines (``Contender.is_async``); ``aget`` is the GetItem run 64
at a time in the async section.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from ddbwrap import ReadApi, TableGateway, WriteApi
from ddbwrap.codec import codec_for
from ddbwrap.expressions import Update
from ddbwrap.read import View

from .models import (
    TENANT,
    Item,
    PlainItem,
    dynamoxy_model,
    dyntastic_model,
    item_id,
    pydynox_model,
    pynamodb_model,
    values,
)

Op = Callable[[int], Any]
AsyncOp = Callable[[int], Awaitable[Any]]
Prepare = Callable[[int], None]
DELETED = "del"
"""The partition the delete workload deletes from: keys that need not exist (every library's
delete is a no-op on a missing item; the client's work is the same)."""

QUERY_ITEMS = 1000
PAGE_SIZE = 100
BATCH_GET_KEYS = 100
BATCH_WRITE_ITEMS = 1000
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3})


class ItemSummary(View[Item]):
    """A view for the bytes comparison: 4 of the 15 fields."""

    tenant_id: str
    item_id: str
    name: str
    status: str


@dataclass
class Contender:
    name: str
    client: Any
    """The botocore client every request of this contender goes through."""
    ops: dict[str, Op] = field(default_factory=dict)
    prepare: dict[str, Prepare] = field(default_factory=dict)
    load: Callable[[], None] | None = None
    """Writes the 1,000 items of the read workloads (its own format) into its table."""
    stream: Callable[[], int] | None = None
    """Streams the partition page by page (as many pages as the server sends), keeping no
    item; returns how many there were."""
    is_async: bool = False
    """Its ops return coroutines, run on ``event_loop()``."""
    aget: AsyncOp | None = None
    """A GetItem as a coroutine: the async section runs 64 of them in flight."""


_LOOP: list[asyncio.AbstractEventLoop] = []


def event_loop() -> asyncio.AbstractEventLoop:
    """The one event loop of the process: every async client is made and used on it."""
    if not _LOOP:
        _LOOP.append(asyncio.new_event_loop())
        asyncio.set_event_loop(_LOOP[0])
    return _LOOP[0]


_OPEN: list[Any] = []
"""Async context managers (aiobotocore clients, dynamoxy clients) to close at the end."""


def close_all() -> None:
    while _OPEN:
        manager = _OPEN.pop()
        try:
            run(manager.__aexit__(None, None, None))
        except Exception as error:  # closing is best effort: the figures are already taken
            print(f"closing {manager!r}: {error}")


def run(coroutine: Awaitable[Any]) -> Any:
    return event_loop().run_until_complete(coroutine)  # type: ignore[arg-type]


def call(c: Contender, op: Op, i: int) -> Any:
    """``op(i)`` for a sync or an async contender (for checks and recordings, not timing)."""
    return run(op(i)) if c.is_async else op(i)


def count(items: Any) -> int:
    total = 0
    for _ in items:
        total += 1
    return total


@dataclass
class Env:
    endpoint: str
    region: str = "us-east-1"
    run: str = "r"

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=self.region
        )

    def client(self) -> Any:
        return self.session().client("dynamodb", endpoint_url=self.endpoint, config=CONFIG)

    def table_name(self, contender: str) -> str:
        return f"bench-{self.run}-{contender}"


def create_table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "tenant_id", "AttributeType": "S"},
            {"AttributeName": "item_id", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "tenant_id", "KeyType": "HASH"},
            {"AttributeName": "item_id", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def _plain_for_raw(v: dict[str, Any]) -> dict[str, Any]:
    return {**v, "created_at": _iso(v["created_at"]), "updated_at": _iso(v["updated_at"])}


# --- raw client: the floor ----------------------------------------------------------------------


def raw_av_item(v: dict[str, Any]) -> dict[str, Any]:
    """Hand-built AttributeValues of one item (plain values, datetimes already text)."""
    return {
        "tenant_id": {"S": v["tenant_id"]},
        "item_id": {"S": v["item_id"]},
        "name": {"S": v["name"]},
        "description": {"S": v["description"]},
        "owner": {"S": v["owner"]},
        "status": {"S": v["status"]},
        "is_active": {"BOOL": v["is_active"]},
        "retries": {"N": str(v["retries"])},
        "run_count": {"N": str(v["run_count"])},
        "cost": {"N": str(v["cost"])},
        "created_at": {"S": v["created_at"]},
        "updated_at": {"S": v["updated_at"]},
        "tags": {"L": [{"S": t} for t in v["tags"]]},
        "settings": {"M": {k: {"S": s} for k, s in v["settings"].items()}},
        "owners": {"SS": list(v["owners"])},
    }


def raw_contender(env: Env) -> Contender:  # noqa: PLR0915
    client = env.client()
    table = env.table_name("raw")
    c = Contender("raw client", client)
    keys = [{"tenant_id": {"S": TENANT}, "item_id": {"S": item_id(i)}} for i in range(QUERY_ITEMS)]
    gone = [{"tenant_id": {"S": DELETED}, "item_id": {"S": item_id(i)}} for i in range(QUERY_ITEMS)]
    pool: dict[str, list[dict[str, Any]]] = {}

    def prepare_put(r: int) -> None:
        pool["put"] = [_plain_for_raw(values(i, "put", f"{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [_plain_for_raw(values(i, f"bw-{r}")) for i in range(BATCH_WRITE_ITEMS)]

    def put(i: int) -> Any:
        return client.put_item(TableName=table, Item=raw_av_item(pool["put"][i % QUERY_ITEMS]))

    def get(i: int) -> Any:
        return client.get_item(TableName=table, Key=keys[i % QUERY_ITEMS])["Item"]

    def delete(i: int) -> Any:
        return client.delete_item(TableName=table, Key=gone[i % QUERY_ITEMS])

    def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        request = {table: {"Keys": keys[start : start + BATCH_GET_KEYS]}}
        out: list[Any] = []
        while request:
            response = client.batch_get_item(RequestItems=request)
            out.extend(response["Responses"][table])
            request = response.get("UnprocessedKeys") or {}
        return out

    query_args = {
        "TableName": table,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": "tenant_id"},
        "ExpressionAttributeValues": {":p": {"S": TENANT}},
    }

    def query_page(i: int) -> Any:
        return client.query(**query_args)["Items"]

    def paged(method: Callable[..., Any], args: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        while True:
            response = method(**args)
            out.extend(response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return out
            args = {**args, "ExclusiveStartKey": last}

    def query_pages(i: int) -> Any:
        return paged(client.query, {**query_args, "Limit": PAGE_SIZE})

    def scan(i: int) -> Any:
        return paged(client.scan, {"TableName": table})

    def update(i: int) -> Any:
        return client.update_item(
            TableName=table,
            Key=keys[i % QUERY_ITEMS],
            UpdateExpression="SET #n = :n, #c = if_not_exists(#c, :zero) + :one",
            ExpressionAttributeNames={"#n": "name", "#c": "run_count"},
            ExpressionAttributeValues={
                ":n": {"S": f"renamed-{i}"},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]

    def batch_write(i: int) -> Any:
        items = pool["bw"]
        for start in range(0, len(items), 25):
            request = {
                table: [{"PutRequest": {"Item": raw_av_item(v)}} for v in items[start : start + 25]]
            }
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems")

    def load() -> None:
        create_table(client, table)
        pool["bw"] = [_plain_for_raw(values(i)) for i in range(QUERY_ITEMS)]
        batch_write(0)

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }

    def stream() -> int:
        args = dict(query_args)
        total = 0
        while True:
            response = client.query(**args)
            total += count(response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            args = {**args, "ExclusiveStartKey": last}

    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = load
    c.stream = stream
    return c


# --- ddbwrap ------------------------------------------------------------------------------------


def ddbwrap_transports() -> list[str]:
    """The transports the installed ddbwrap offers: ``botocore``, and ``direct`` once it has
    it (``TableGateway(client, transport="direct")``)."""
    import inspect

    if "transport" in inspect.signature(TableGateway.__init__).parameters:
        return ["botocore", "direct"]
    return ["botocore"]


def ddbwrap_contender(
    env: Env, *, fast_path: bool, load: bool, transport: str = "botocore"
) -> Contender:
    client = env.client()
    extra: dict[str, Any] = {}
    if "direct" in ddbwrap_transports():
        extra["transport"] = transport
    elif transport != "botocore":
        raise RuntimeError(f"this ddbwrap has no transport {transport!r}")
    gateway = TableGateway(
        client, table_prefix=f"bench-{env.run}-ddbwrap-", fast_path=fast_path, **extra
    )
    assert gateway.fast_path == fast_path
    reads = ReadApi[Item](gateway)
    writes = WriteApi[Item](gateway)
    name = "ddbwrap" if fast_path else "ddbwrap (fast path off)"
    if transport != "botocore":
        name = f"ddbwrap {transport}"
    c = Contender(name, client)
    gone = [{"tenant_id": DELETED, "item_id": item_id(i)} for i in range(QUERY_ITEMS)]
    keys = [{"tenant_id": TENANT, "item_id": item_id(i)} for i in range(QUERY_ITEMS)]
    pool: dict[str, list[Item]] = {}

    def prepare_put(r: int) -> None:
        tag = ("f" if fast_path else "s") + transport[0]
        pool["put"] = [Item(**values(i, "put", f"{tag}{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        tag = ("f" if fast_path else "s") + transport[0]
        pool["bw"] = [Item(**values(i, f"bw-{tag}{r}")) for i in range(BATCH_WRITE_ITEMS)]

    def put(i: int) -> Any:
        return writes.create(pool["put"][i % QUERY_ITEMS])

    def get(i: int) -> Any:
        return reads.get(tenant_id=TENANT, item_id=item_id(i % QUERY_ITEMS))

    def delete(i: int) -> Any:
        return writes.delete(gone[i % QUERY_ITEMS])

    def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        return reads.batch_get(keys[start : start + BATCH_GET_KEYS]).items

    def query_page(i: int) -> Any:
        return reads.query(tenant_id=TENANT).items

    def query_pages(i: int) -> Any:
        return list(reads.query_all(tenant_id=TENANT, page_size=PAGE_SIZE))

    def query_view(i: int) -> Any:
        return reads.query(tenant_id=TENANT, view=ItemSummary).items

    def scan(i: int) -> Any:
        return list(reads.scan_all())

    def update(i: int) -> Any:
        return writes.update(
            keys[i % QUERY_ITEMS], Update().set("name", f"renamed-{i}").increment("run_count")
        )

    def batch_write(i: int) -> Any:
        with writes.batch() as batch:
            for item in pool["bw"]:
                batch.put(item)

    def do_load() -> None:
        create_table(client, gateway.physical_table_name("items"))
        with writes.batch() as batch:
            for i in range(QUERY_ITEMS):
                batch.put(Item(**values(i)))

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }
    if fast_path and transport == "botocore":
        c.ops["query 1 page, view"] = query_view
    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = do_load if load else None
    c.stream = lambda: count(reads.query_all(tenant_id=TENANT))
    return c


# --- boto3 Table + pydantic ---------------------------------------------------------------------


def boto3_contender(env: Env) -> Contender:  # noqa: PLR0915
    from boto3.dynamodb.conditions import Key

    resource = env.session().resource("dynamodb", endpoint_url=env.endpoint, config=CONFIG)
    table_name = env.table_name("boto3")
    table = resource.Table(table_name)
    c = Contender("boto3 Table + pydantic", resource.meta.client)
    keys = [{"tenant_id": TENANT, "item_id": item_id(i)} for i in range(QUERY_ITEMS)]
    pool: dict[str, list[PlainItem]] = {}

    def dump(model: PlainItem) -> dict[str, Any]:
        data = model.model_dump()
        data["created_at"] = _iso(data["created_at"])
        data["updated_at"] = _iso(data["updated_at"])
        return data

    validate = PlainItem.model_validate

    def prepare_put(r: int) -> None:
        pool["put"] = [PlainItem(**values(i, "put", f"{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [PlainItem(**values(i, f"bw-{r}")) for i in range(BATCH_WRITE_ITEMS)]

    def put(i: int) -> Any:
        return table.put_item(Item=dump(pool["put"][i % QUERY_ITEMS]))

    def get(i: int) -> Any:
        item = table.get_item(Key=keys[i % QUERY_ITEMS]).get("Item")
        return None if item is None else validate(item)

    def delete(i: int) -> Any:
        return table.delete_item(Key={"tenant_id": DELETED, "item_id": item_id(i % QUERY_ITEMS)})

    def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        request = {table_name: {"Keys": keys[start : start + BATCH_GET_KEYS]}}
        out: list[Any] = []
        while request:
            response = resource.batch_get_item(RequestItems=request)
            out.extend(validate(x) for x in response["Responses"][table_name])
            request = response.get("UnprocessedKeys") or {}
        return out

    condition = Key("tenant_id").eq(TENANT)

    def paged(method: Callable[..., Any], args: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        while True:
            response = method(**args)
            out.extend(validate(x) for x in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return out
            args = {**args, "ExclusiveStartKey": last}

    def query_page(i: int) -> Any:
        return [validate(x) for x in table.query(KeyConditionExpression=condition)["Items"]]

    def query_pages(i: int) -> Any:
        return paged(table.query, {"KeyConditionExpression": condition, "Limit": PAGE_SIZE})

    def scan(i: int) -> Any:
        return paged(table.scan, {})

    def update(i: int) -> Any:
        response = table.update_item(
            Key=keys[i % QUERY_ITEMS],
            UpdateExpression="SET #n = :n, #c = if_not_exists(#c, :zero) + :one",
            ExpressionAttributeNames={"#n": "name", "#c": "run_count"},
            ExpressionAttributeValues={":n": f"renamed-{i}", ":zero": 0, ":one": 1},
            ReturnValues="ALL_NEW",
        )
        return validate(response["Attributes"])

    def batch_write(i: int) -> Any:
        with table.batch_writer() as writer:
            for item in pool["bw"]:
                writer.put_item(Item=dump(item))

    def load() -> None:
        create_table(resource.meta.client, table_name)
        pool["bw"] = [PlainItem(**values(i)) for i in range(QUERY_ITEMS)]
        batch_write(0)

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }

    def stream() -> int:
        args: dict[str, Any] = {"KeyConditionExpression": condition}
        total = 0
        while True:
            response = table.query(**args)
            total += count(validate(x) for x in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            args = {**args, "ExclusiveStartKey": last}

    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = load
    c.stream = stream
    return c


def pyn_values(i: int, tenant: str = TENANT, prefix: str = "") -> dict[str, Any]:
    """PynamoDB's NumberAttribute writes numbers with json.dumps: no Decimal, a float."""
    v = values(i, tenant, prefix)
    return {**v, "cost": float(v["cost"])}


# --- PynamoDB -------------------------------------------------------------------------------------


def pynamodb_contender(env: Env) -> Contender:
    table_name = env.table_name("pynamodb")
    model = pynamodb_model(table_name, env.endpoint, env.region)
    client = model._get_connection().connection.client
    c = Contender("PynamoDB", client)
    pool: dict[str, list[Any]] = {}

    def prepare_put(r: int) -> None:
        pool["put"] = [model(**pyn_values(i, "put", f"{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [model(**pyn_values(i, f"bw-{r}")) for i in range(BATCH_WRITE_ITEMS)]

    def put(i: int) -> Any:
        return pool["put"][i % QUERY_ITEMS].save()

    def get(i: int) -> Any:
        return model.get(TENANT, item_id(i % QUERY_ITEMS))

    def delete(i: int) -> Any:
        return model(DELETED, item_id(i % QUERY_ITEMS)).delete()

    def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        return list(
            model.batch_get([(TENANT, item_id(k)) for k in range(start, start + BATCH_GET_KEYS)])
        )

    def query_page(i: int) -> Any:
        return list(model.query(TENANT))

    def query_pages(i: int) -> Any:
        return list(model.query(TENANT, page_size=PAGE_SIZE))

    def scan(i: int) -> Any:
        return list(model.scan())

    def update(i: int) -> Any:
        item = model(TENANT, item_id(i % QUERY_ITEMS))
        item.update(actions=[model.name.set(f"renamed-{i}"), model.run_count.add(1)])
        return item

    def batch_write(i: int) -> Any:
        with model.batch_write() as batch:
            for item in pool["bw"]:
                batch.save(item)

    def load() -> None:
        create_table(client, table_name)
        pool["bw"] = [model(**pyn_values(i)) for i in range(QUERY_ITEMS)]
        batch_write(0)

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }
    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = load
    c.stream = lambda: count(model.query(TENANT))
    return c


# --- dyntastic ------------------------------------------------------------------------------------


def dyntastic_contender(env: Env) -> Contender:
    from dyntastic import A

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["AWS_RETRY_MODE"] = "standard"
    os.environ["AWS_MAX_ATTEMPTS"] = "3"
    table_name = env.table_name("dyntastic")
    model = dyntastic_model(table_name, env.endpoint, env.region)
    client = model._dynamodb_resource().meta.client
    c = Contender("dyntastic", client)
    pool: dict[str, list[Any]] = {}
    items = [model(**values(i)) for i in range(QUERY_ITEMS)]
    doomed = [model(**values(i, DELETED)) for i in range(QUERY_ITEMS)]

    def delete(i: int) -> Any:
        return doomed[i % QUERY_ITEMS].delete()

    def prepare_put(r: int) -> None:
        pool["put"] = [model(**values(i, "put", f"{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [model(**values(i, f"bw-{r}")) for i in range(BATCH_WRITE_ITEMS)]

    def put(i: int) -> Any:
        return pool["put"][i % QUERY_ITEMS].save()

    def get(i: int) -> Any:
        return model.get(TENANT, item_id(i % QUERY_ITEMS))

    def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        return model.batch_get([(TENANT, item_id(k)) for k in range(start, start + BATCH_GET_KEYS)])

    def query_page(i: int) -> Any:
        return list(model.query(TENANT))

    def query_pages(i: int) -> Any:
        return list(model.query(TENANT, per_page=PAGE_SIZE))

    def scan(i: int) -> Any:
        return list(model.scan())

    def update(i: int) -> Any:
        item = items[i % QUERY_ITEMS]
        item.update(A.name.set(f"renamed-{i}"), A.run_count.set(A.run_count + 1))
        return item

    def batch_write(i: int) -> Any:
        with model.batch_writer():
            for item in pool["bw"]:
                item.save()

    def load() -> None:
        create_table(client, table_name)
        pool["bw"] = items
        batch_write(0)

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }
    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = load
    c.stream = lambda: count(model.query(TENANT))
    return c


# --- raw aiobotocore: the async floor --------------------------------------------------------


def aio_client(env: Env) -> Any:
    """An aiobotocore DynamoDB client on ``event_loop()`` (64 connections: the async section)."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    manager = get_session().create_client(
        "dynamodb",
        endpoint_url=env.endpoint,
        region_name=env.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=AioConfig(
            max_pool_connections=64, retries={"mode": "standard", "total_max_attempts": 3}
        ),
    )
    client = run(manager.__aenter__())
    _OPEN.append(manager)
    return client


def aiobotocore_contender(env: Env) -> Contender:
    client = aio_client(env)
    table = env.table_name("raw")  # the raw client's table: the same items, the same format
    c = Contender("raw aiobotocore", client, is_async=True)
    keys = [{"tenant_id": {"S": TENANT}, "item_id": {"S": item_id(i)}} for i in range(QUERY_ITEMS)]
    gone = [{"tenant_id": {"S": DELETED}, "item_id": {"S": item_id(i)}} for i in range(QUERY_ITEMS)]
    pool: dict[str, list[dict[str, Any]]] = {}

    def prepare_put(r: int) -> None:
        pool["put"] = [_plain_for_raw(values(i, "put", f"a{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [_plain_for_raw(values(i, f"bw-a{r}")) for i in range(BATCH_WRITE_ITEMS)]

    async def put(i: int) -> Any:
        return await client.put_item(
            TableName=table, Item=raw_av_item(pool["put"][i % QUERY_ITEMS])
        )

    async def get(i: int) -> Any:
        return (await client.get_item(TableName=table, Key=keys[i % QUERY_ITEMS]))["Item"]

    async def delete(i: int) -> Any:
        return await client.delete_item(TableName=table, Key=gone[i % QUERY_ITEMS])

    async def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        request = {table: {"Keys": keys[start : start + BATCH_GET_KEYS]}}
        out: list[Any] = []
        while request:
            response = await client.batch_get_item(RequestItems=request)
            out.extend(response["Responses"][table])
            request = response.get("UnprocessedKeys") or {}
        return out

    query_args = {
        "TableName": table,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": "tenant_id"},
        "ExpressionAttributeValues": {":p": {"S": TENANT}},
    }

    async def paged(method: Callable[..., Any], args: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        while True:
            response = await method(**args)
            out.extend(response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return out
            args = {**args, "ExclusiveStartKey": last}

    async def query_page(i: int) -> Any:
        return (await client.query(**query_args))["Items"]

    async def query_pages(i: int) -> Any:
        return await paged(client.query, {**query_args, "Limit": PAGE_SIZE})

    async def scan(i: int) -> Any:
        return await paged(client.scan, {"TableName": table})

    async def update(i: int) -> Any:
        response = await client.update_item(
            TableName=table,
            Key=keys[i % QUERY_ITEMS],
            UpdateExpression="SET #n = :n, #c = if_not_exists(#c, :zero) + :one",
            ExpressionAttributeNames={"#n": "name", "#c": "run_count"},
            ExpressionAttributeValues={
                ":n": {"S": f"renamed-{i}"},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
        )
        return response["Attributes"]

    async def batch_write(i: int) -> Any:
        items = pool["bw"]
        for start in range(0, len(items), 25):
            request = {
                table: [{"PutRequest": {"Item": raw_av_item(v)}} for v in items[start : start + 25]]
            }
            while request:
                request = (await client.batch_write_item(RequestItems=request)).get(
                    "UnprocessedItems"
                )

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }
    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.aget = get
    return c


def ddbwrap_async_contender(env: Env, transport: str = "botocore") -> Contender:
    """``ddbwrap.aio`` for the async section only: ``AsyncReadApi.get`` 64 at a time."""
    import inspect

    from ddbwrap.aio import AsyncReadApi, AsyncTableGateway

    client = aio_client(env)
    extra: dict[str, Any] = {}
    if "transport" in inspect.signature(AsyncTableGateway.__init__).parameters:
        extra["transport"] = transport
    elif transport != "botocore":
        raise RuntimeError(f"this ddbwrap's AsyncTableGateway has no transport {transport!r}")
    gateway = AsyncTableGateway(client, table_prefix=f"bench-{env.run}-ddbwrap-", **extra)
    reads = AsyncReadApi[Item](gateway)
    name = "ddbwrap async" if transport == "botocore" else f"ddbwrap async {transport}"
    c = Contender(name, client, is_async=True)

    async def get(i: int) -> Any:
        return await reads.get(tenant_id=TENANT, item_id=item_id(i % QUERY_ITEMS))

    c.aget = get
    return c


# --- pydynox --------------------------------------------------------------------------------------


def pydynox_contender(env: Env) -> Contender:
    from pydynox import DynamoDBClient, SyncBatchWriter

    logging.getLogger("pydynox").setLevel(logging.ERROR)  # its "slow operation" warnings
    client = DynamoDBClient(
        region=env.region,
        access_key="local",
        secret_key="local",
        endpoint_url=env.endpoint,
        max_retries=3,
    )
    table_name = env.table_name("pydynox")
    model = pydynox_model(table_name, client)
    c = Contender("pydynox", client)
    pool: dict[str, list[Any]] = {}
    items = [model(**values(i)) for i in range(QUERY_ITEMS)]

    def prepare_put(r: int) -> None:
        pool["put"] = [model(**values(i, "put", f"{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [model(**values(i, f"bw-{r}")) for i in range(BATCH_WRITE_ITEMS)]

    def put(i: int) -> Any:
        return pool["put"][i % QUERY_ITEMS].sync_save()

    def get(i: int) -> Any:
        return model.sync_get(tenant_id=TENANT, item_id=item_id(i % QUERY_ITEMS))

    async def aget(i: int) -> Any:
        return await model.get(tenant_id=TENANT, item_id=item_id(i % QUERY_ITEMS))

    def delete(i: int) -> Any:
        return model.sync_delete_by_key(tenant_id=DELETED, item_id=item_id(i % QUERY_ITEMS))

    def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        return model.sync_batch_get(
            [{"tenant_id": TENANT, "item_id": item_id(k)} for k in range(start, start + 100)]
        )

    def query_page(i: int) -> Any:
        return list(model.sync_query(partition_key=TENANT))

    def query_pages(i: int) -> Any:
        return list(model.sync_query(partition_key=TENANT, page_size=PAGE_SIZE))

    def scan(i: int) -> Any:
        return list(model.sync_scan())

    def update(i: int) -> Any:
        item = items[i % QUERY_ITEMS]
        item.sync_update(atomic=[model.name.set(f"renamed-{i}"), model.run_count.add(1)])
        return item

    def batch_write(i: int) -> Any:
        with SyncBatchWriter(client, table_name) as batch:
            for item in pool["bw"]:
                batch.put(item.to_dict())

    def load() -> None:
        create_table(env.client(), table_name)
        pool["bw"] = items
        batch_write(0)

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }
    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = load
    c.aget = aget
    return c


# --- dynamoxy -------------------------------------------------------------------------------------


def dynamoxy_contender(env: Env) -> Contender:
    import dynamoxy

    model = dynamoxy_model()

    async def make() -> Any:
        return dynamoxy.Client(
            endpoint_url=env.endpoint,
            region=env.region,
            credentials=dynamoxy.Credentials("local", "local"),
            table_prefix=f"bench-{env.run}-dynamoxy-",
            retry=dynamoxy.RetryPolicy(max_attempts=3),
            consumed_capacity="NONE",  # as the others: no ReturnConsumedCapacity
            telemetry=None,
        )

    client = run(make())
    _OPEN.append(client)
    repo = client.repository(model)
    c = Contender("dynamoxy", client, is_async=True)
    pool: dict[str, list[Any]] = {}

    def prepare_put(r: int) -> None:
        pool["put"] = [model(**values(i, "put", f"{r}-")) for i in range(QUERY_ITEMS)]

    def prepare_bw(r: int) -> None:
        pool["bw"] = [model(**values(i, f"bw-{r}")) for i in range(BATCH_WRITE_ITEMS)]

    async def put(i: int) -> Any:
        return await repo.put(pool["put"][i % QUERY_ITEMS])

    async def get(i: int) -> Any:
        return await repo.get(TENANT, item_id(i % QUERY_ITEMS))

    async def delete(i: int) -> Any:
        return await repo.delete((DELETED, item_id(i % QUERY_ITEMS)))

    async def batch_get(i: int) -> Any:
        start = (i * BATCH_GET_KEYS) % QUERY_ITEMS
        return await repo.batch_get([(TENANT, item_id(k)) for k in range(start, start + 100)])

    async def query_page(i: int) -> Any:
        return await repo.query(tenant_id=TENANT).all()

    async def query_pages(i: int) -> Any:
        return await repo.query(tenant_id=TENANT).page_size(PAGE_SIZE).all()

    async def scan(i: int) -> Any:
        return await repo.scan().all()

    async def update(i: int) -> Any:
        return await repo.update(
            model.key(TENANT, item_id(i % QUERY_ITEMS)),
            model.name.set(f"renamed-{i}"),
            model.run_count.add(1),
        )

    async def batch_write(i: int) -> Any:
        await repo.batch_put(pool["bw"])

    def load() -> None:
        create_table(env.client(), f"bench-{env.run}-dynamoxy-items")
        pool["bw"] = [model(**values(i)) for i in range(QUERY_ITEMS)]
        run(batch_write(0))

    c.ops = {
        "put": put,
        "get": get,
        "batch get": batch_get,
        "query 1 page": query_page,
        "query pages": query_pages,
        "scan": scan,
        "update": update,
        "delete": delete,
        "batch write": batch_write,
    }
    c.prepare = {"put": prepare_put, "batch write": prepare_bw}
    c.load = load
    c.aget = get
    return c


# --- the pure codec -------------------------------------------------------------------------------


def codec_ops(env: Env) -> dict[str, dict[str, Op]]:
    """``{contender: {"encode": op, "decode": op}}``: model <-> AttributeValues, no I/O."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    ser, de = TypeSerializer(), TypeDeserializer()
    v = values(7)
    codec = codec_for(Item)
    ddb_instance = Item(**v)
    ddb_item = codec.encode(ddb_instance)
    plain = PlainItem(**v)
    raw_plain = _plain_for_raw(v)

    def boto3_encode(i: int) -> Any:
        data = plain.model_dump()
        data["created_at"] = _iso(data["created_at"])
        data["updated_at"] = _iso(data["updated_at"])
        return {k: ser.serialize(x) for k, x in data.items()}

    boto3_item = boto3_encode(0)

    def boto3_decode(i: int) -> Any:
        return PlainItem.model_validate({k: de.deserialize(x) for k, x in boto3_item.items()})

    pyn = pynamodb_model(env.table_name("pynamodb"), env.endpoint, env.region)
    pyn_instance = pyn(**{**v, "cost": float(v["cost"])})
    pyn_item = pyn_instance.serialize()

    dyn = dyntastic_model(env.table_name("dyntastic"), env.endpoint, env.region)
    from dyntastic import attr as dyn_attr

    dyn_instance = dyn(**v)

    def dyn_encode(i: int) -> Any:
        from dyntastic import pydantic_compat

        data = dyn_attr.serialize(pydantic_compat.model_dump(dyn_instance, by_alias=True))
        return {k: ser.serialize(x) for k, x in data.items()}

    dyn_item = dyn_encode(0)

    def dyn_decode(i: int) -> Any:
        return dyn._dyntastic_load_model({k: de.deserialize(x) for k, x in dyn_item.items()})

    return {
        "raw client": {"encode": lambda i: raw_av_item(raw_plain)},
        "ddbwrap": {
            "encode": lambda i: codec.encode(ddb_instance),
            "decode": lambda i: codec.decode(ddb_item),
        },
        "boto3 Table + pydantic": {"encode": boto3_encode, "decode": boto3_decode},
        "PynamoDB": {
            "encode": lambda i: pyn_instance.serialize(),
            "decode": lambda i: pyn.from_raw_data(pyn_item),
        },
        "dyntastic": {"encode": dyn_encode, "decode": dyn_decode},
    }
