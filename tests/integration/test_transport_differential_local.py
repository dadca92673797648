"""The direct transport against the botocore transport: same operations, same answers, same errors.

Two gateways over one client (through a fault-injecting proxy in front of DynamoDB Local), one
per transport, each with a table of its own holding the same items. A seeded random sequence of
operations — every attribute type, nested maps and lists, 38-digit numbers, binary, unicode,
conditions that fail, batches and transactions — is sent through both, with the same fault
injected for both where one is drawn (throttling, 5xx before and after the write is applied, a
lost response, a wrong CRC32, an empty or truncated body). Every result and every error must be
the same (table names aside); so must the tables at the end.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config

from ddbwrap import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import local_client
from ddbwrap.transport import BotocoreTransport, DirectTransport

if TYPE_CHECKING:
    from tests.integration.faultproxy import Fault, FaultProxy

pytestmark = [
    pytest.mark.integration,
    pytest.mark.not_on_moto("the direct transport steps aside for moto"),
]

TABLE = "diff_items"
SEEDS = range(3)
OPERATIONS_PER_SEED = 60


def faults() -> list[tuple[str, Fault]]:
    from tests.integration import faultproxy as fp

    return [
        ("throttled", fp.throttled()),
        ("500", fp.internal_server_error()),
        ("500 after applying", fp.internal_server_error(after_forward=True)),
        ("503 after applying", fp.service_unavailable(after_forward=True)),
        ("lost response", fp.drop_response()),
        ("reset", fp.drop_response(reset=True)),
        ("bad crc", fp.bad_crc()),
        ("empty body", fp.empty_body()),
        ("truncated body", fp.truncated_body()),
    ]


@pytest.fixture
def pair(
    ddb_gateway: TableGateway, fault_proxy: FaultProxy
) -> Iterator[tuple[TableGateway, TableGateway]]:
    """A direct and a botocore gateway through the proxy, each with its own ``diff_items``."""
    client = local_client(fault_proxy.url, config=Config(read_timeout=5, connect_timeout=2))
    retry = RetryPolicy(sleep=lambda _: None, request_attempts=2)
    gateways = tuple(
        TableGateway(
            client, table_prefix=f"{ddb_gateway.table_prefix}{name}-", retry=retry, transport=name
        )
        for name in ("direct", "botocore")
    )
    assert type(gateways[0].transport) is DirectTransport
    assert type(gateways[1].transport) is BotocoreTransport
    for gateway in gateways:
        gateway.create_table(
            {
                "TableName": TABLE,
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
            }
        )
    yield gateways  # type: ignore[misc]
    for gateway in gateways:
        gateway.delete_table(TABLE)


# -- random values ---------------------------------------------------------------------------


def number(rng: random.Random) -> str:
    """Up to 38 significant digits, written in the ways DynamoDB accepts."""
    digits = str(rng.randint(1, 10 ** rng.randint(1, 38) - 1))
    sign = rng.choice(["", "-"])
    form = rng.randint(0, 2)
    if form == 0:
        return sign + digits
    if form == 1:
        point = rng.randint(0, len(digits) - 1)
        return f"{sign}{digits[:point] or '0'}.{digits[point:]}"
    return f"{sign}{digits}E{rng.randint(-60, 60)}"


def text(rng: random.Random) -> str:
    alphabet = "abcXYZ 09_-#:é漢字😀\u00a0\"'\\/\n\t"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))


def value(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kinds = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"] + (["L", "M"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "S":
        return {"S": text(rng)}
    if kind == "N":
        return {"N": number(rng)}
    if kind == "B":
        return {"B": rng.randbytes(rng.randint(1, 20))}
    if kind == "BOOL":
        return {"BOOL": rng.random() < 0.5}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "SS":
        return {"SS": sorted({text(rng) for _ in range(rng.randint(1, 4))})}
    if kind == "NS":
        return {"NS": sorted({str(rng.randint(-(10**20), 10**20)) for _ in range(3)})}
    if kind == "BS":
        return {"BS": sorted({rng.randbytes(rng.randint(1, 8)) for _ in range(3)})}
    if kind == "L":
        return {"L": [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]}
    return {"M": {text(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}}


def key(rng: random.Random) -> dict[str, Any]:
    return {"pk": {"S": rng.choice(["p1", "p2", "p3"])}, "sk": {"N": str(rng.randint(0, 5))}}


def item(rng: random.Random) -> dict[str, Any]:
    attributes = {f"a{i}": value(rng) for i in range(rng.randint(0, 8))}
    attributes["n"] = {"N": str(rng.randint(0, 9))}
    return {**attributes, **key(rng)}


def condition(rng: random.Random) -> dict[str, Any]:
    """A condition that holds for some items and fails for others."""
    return {
        "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
        "ExpressionAttributeNames": {"#n": "n"},
        "ExpressionAttributeValues": {":limit": {"N": str(rng.randint(0, 9))}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


Operation = Callable[[TableGateway], Any]
KINDS = (
    *("put", "put", "get", "update", "delete", "query", "scan"),
    *("batch_write", "batch_get", "transact_write", "transact_get"),
)


def operation(rng: random.Random, kinds: tuple[str, ...] = KINDS) -> tuple[str, Operation]:
    kind = rng.choice(kinds)
    if kind == "put":
        params = {"TableName": TABLE, "Item": item(rng), "ReturnValues": "ALL_OLD"}
        if rng.random() < 0.5:
            params.update(condition(rng))
        return "PutItem", lambda g: g.put_item(params)
    if kind == "get":
        params = {"TableName": TABLE, "Key": key(rng), "ConsistentRead": True}
        return "GetItem", lambda g: g.get_item(params)
    if kind == "update":
        params = {
            "TableName": TABLE,
            "Key": key(rng),
            "UpdateExpression": "SET #v = :v ADD #n :one",
            "ExpressionAttributeNames": {"#v": "v", "#n": "n"},
            "ExpressionAttributeValues": {":v": value(rng), ":one": {"N": "1"}},
            "ReturnValues": rng.choice(["ALL_NEW", "UPDATED_OLD", "NONE"]),
        }
        if rng.random() < 0.5:
            cond = condition(rng)
            params["ConditionExpression"] = cond["ConditionExpression"]
            params["ExpressionAttributeValues"][":limit"] = cond["ExpressionAttributeValues"][
                ":limit"
            ]
        return "UpdateItem", lambda g: g.update_item(params)
    if kind == "delete":
        params = {"TableName": TABLE, "Key": key(rng), "ReturnValues": "ALL_OLD"}
        if rng.random() < 0.5:
            params.update(condition(rng))
        return "DeleteItem", lambda g: g.delete_item(params)
    if kind == "query":
        params = {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p AND sk >= :s",
            "ExpressionAttributeValues": {
                ":p": {"S": rng.choice(["p1", "p2", "p3"])},
                ":s": {"N": str(rng.randint(0, 5))},
            },
            "ScanIndexForward": rng.random() < 0.5,
            "ConsistentRead": True,
        }
        return "Query", lambda g: list(g.query_pages(params))
    if kind == "scan":
        params = {"TableName": TABLE, "ConsistentRead": True, "Limit": rng.randint(1, 10)}
        return "Scan", lambda g: sort_items(
            [entry for page in g.scan_pages(params) for entry in page.get("Items", ())]
        )
    if kind == "batch_write":
        writes: dict[str, dict[str, Any]] = {}
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.7:
                new = item(rng)
                writes[repr(sorted(new["pk"].items()) + sorted(new["sk"].items()))] = {
                    "PutRequest": {"Item": new}
                }
            else:
                old = key(rng)
                writes[repr(sorted(old["pk"].items()) + sorted(old["sk"].items()))] = {
                    "DeleteRequest": {"Key": old}
                }
        return "BatchWriteItem", lambda g: g.batch_write({TABLE: list(writes.values())})
    if kind == "batch_get":
        keys = {repr(k): k for k in (key(rng) for _ in range(rng.randint(1, 6)))}
        return "BatchGetItem", lambda g: {
            table: sort_items(found)
            for table, found in g.batch_get(
                {TABLE: {"Keys": list(keys.values()), "ConsistentRead": True}}
            ).items()
        }
    if kind == "transact_write":
        first, second = key(rng), key(rng)
        if first == second:
            second = {"pk": first["pk"], "sk": {"N": str(int(first["sk"]["N"]) + 10)}}
        actions = [
            {"Put": {"TableName": TABLE, "Item": {**item(rng), **first}, **condition(rng)}},
            {"Delete": {"TableName": TABLE, "Key": second, **condition(rng)}},
        ]
        return "TransactWriteItems", lambda g: g.transact_write(actions)
    keys = [key(rng) for _ in range(rng.randint(1, 4))]
    unique = list({repr(k): k for k in keys}.values())
    return "TransactGetItems", lambda g: g.transact_get(
        [{"Get": {"TableName": TABLE, "Key": k}} for k in unique]
    )


def sort_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (i["pk"]["S"], Decimal(i["sk"]["N"])))


# -- comparing ---------------------------------------------------------------------------------


def normal(value: Any, gateway: TableGateway) -> Any:
    """``value`` with physical table names made logical, sets sorted, metadata dropped."""
    if isinstance(value, dict):
        return {
            k: normal(v, gateway)
            for k, v in value.items()
            if k not in ("ResponseMetadata", "ConsumedCapacity")
        }
    if isinstance(value, list):
        return [normal(v, gateway) for v in value]
    if isinstance(value, str):
        return value.replace(gateway.table_prefix, "<prefix>")
    return value


def outcome(gateway: TableGateway, run: Operation) -> Any:
    try:
        return ("ok", normal(run(gateway), gateway))
    except Exception as exc:
        return ("error", type(exc).__name__, normal(str(exc), gateway))


def table(gateway: TableGateway) -> list[dict[str, Any]]:
    pages = gateway.scan_pages({"TableName": TABLE, "ConsistentRead": True})
    return sort_items([entry for page in pages for entry in page.get("Items", ())])


@pytest.mark.parametrize("seed", SEEDS)
def test_both_transports_give_the_same_results_and_errors(
    pair: tuple[TableGateway, TableGateway], fault_proxy: FaultProxy, seed: int
) -> None:
    direct, botocore = pair
    rng = random.Random(seed)
    menu = faults()
    seen_errors = 0
    for step in range(OPERATIONS_PER_SEED):
        name, run = operation(rng)
        fault = rng.choice(menu) if rng.random() < 0.3 else None
        results = []
        for gateway in (direct, botocore):
            if fault is not None:
                fault_proxy.inject(name, fault[1])
            results.append(outcome(gateway, run))
            fault_proxy.clear_faults()
        assert results[0] == results[1], (step, name, fault and fault[0])
        seen_errors += results[0][0] == "error"
    assert table(direct) == table(botocore)
    assert seen_errors > 0  # the sequence did exercise failures


ASYNC_KINDS = ("put", "get", "update", "delete", "transact_write", "transact_get")
"""The operations whose gateway method is a plain coroutine (pages and batches aside)."""


@pytest.mark.parametrize("seed", SEEDS)
def test_both_async_transports_give_the_same_results_and_errors(
    pair: tuple[TableGateway, TableGateway], fault_proxy: FaultProxy, seed: int
) -> None:
    from aiobotocore.session import get_session

    from ddbwrap.aio import AsyncTableGateway
    from ddbwrap.aio.direct import AsyncDirectTransport
    from ddbwrap.testing.local import LOCAL_ACCESS_KEY, LOCAL_REGION, LOCAL_SECRET_KEY

    async def compare() -> int:
        async with get_session().create_client(
            "dynamodb",
            endpoint_url=fault_proxy.url,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        ) as client:
            gateways = [
                AsyncTableGateway(
                    client, table_prefix=sync.table_prefix, retry=sync.retry, transport=name
                )
                for sync, name in zip(pair, ("direct", "botocore"), strict=True)
            ]
            assert type(gateways[0].transport) is AsyncDirectTransport
            rng = random.Random(seed)
            menu = faults()
            errors = 0
            for step in range(OPERATIONS_PER_SEED):
                name, run = operation(rng, ASYNC_KINDS)
                fault = rng.choice(menu) if rng.random() < 0.3 else None
                results = []
                for gateway, sync in zip(gateways, pair, strict=True):
                    if fault is not None:
                        fault_proxy.inject(name, fault[1])
                    try:
                        results.append(("ok", normal(await run(gateway), sync)))
                    except Exception as exc:
                        results.append(("error", type(exc).__name__, normal(str(exc), sync)))
                    fault_proxy.clear_faults()
                assert results[0] == results[1], (step, name, fault and fault[0])
                errors += results[0][0] == "error"
            return errors

    assert asyncio.run(compare()) > 0
    assert table(pair[0]) == table(pair[1])


def test_binary_values_are_bytes_on_both(pair: tuple[TableGateway, TableGateway]) -> None:
    blob = bytes(range(256))
    stored = {"pk": {"S": "b"}, "sk": {"N": "1"}, "blob": {"B": blob}, "set": {"BS": [b"\x00"]}}
    for gateway in pair:
        gateway.put_item({"TableName": TABLE, "Item": stored})
        found = gateway.get_item({"TableName": TABLE, "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}})
        assert found["Item"]["blob"] == {"B": blob}
        assert found["Item"]["set"] == {"BS": [b"\x00"]}
