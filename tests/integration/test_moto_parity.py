"""What moto does not reproduce, found by running one scenario set on DynamoDB Local and on moto.

Each scenario observes one behaviour (an error code, a page size, whether an item comes back)
as a short string. The scenarios whose observations differ are the list in docs/testing.md,
between the ``moto-differences`` markers: the test fails when the page's list is not exactly
the generated one. ``DDBWRAP_UPDATE_DOCS=1 pytest tests/integration/test_moto_parity.py``
rewrites the block after a moto or DynamoDB Local upgrade.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import moto
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from ddbwrap import DdbwrapError, DomainModel, TableGateway, WriteApi
from ddbwrap.expressions import Attr
from ddbwrap.testing.local import local_client
from ddbwrap.testing.plugin import MOTO_ENDPOINT
from ddbwrap.tooling import create_tables
from ddbwrap.write import Transaction

TESTING_PAGE = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
BLOCK = re.compile(
    r"(<!-- moto-differences:start -->\n)(.*?)(<!-- moto-differences:end -->)", re.DOTALL
)


class Member(DomainModel):
    member_id: str
    email: str

    class Meta:
        table_name = "members"
        partition_key = "member_id"
        unique = ("email",)


class Ledger(DomainModel):
    ledger_id: str
    balance: int = 0

    class Meta:
        table_name = "ledgers"
        partition_key = "ledger_id"


@dataclass
class Backend:
    client: Any
    prefix: str

    @property
    def gateway(self) -> TableGateway:
        return TableGateway(self.client, table_prefix=self.prefix)

    def table(self, name: str, *, sort: bool = False, gsi: bool = False) -> str:
        """A PAY_PER_REQUEST table ``pk`` (S) [+ ``sk`` (S)] [+ GSI ``gix`` on ``gk`` (S)]."""
        physical = self.prefix + name
        attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        if sort:
            attributes.append({"AttributeName": "sk", "AttributeType": "S"})
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        extra: dict[str, Any] = {}
        if gsi:
            attributes.append({"AttributeName": "gk", "AttributeType": "S"})
            extra["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": "gix",
                    "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        self.client.create_table(
            TableName=physical,
            AttributeDefinitions=attributes,
            KeySchema=keys,
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )
        self.client.get_waiter("table_exists").wait(
            TableName=physical, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50}
        )
        return physical


def outcome(call: Callable[[], object]) -> str:
    """``ok`` (or ``ok: <what call returned>``), else the error code / ddbwrap error class."""
    try:
        result = call()
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code"))
    except DdbwrapError as exc:
        return type(exc).__name__
    except BotoCoreError as exc:
        return f"refused by botocore: {type(exc).__name__}"
    return "ok" if result is None or isinstance(result, dict) else f"ok: {result}"


# The scenarios: (name, what it checks, function). A function returns the observation.


def create_existing(b: Backend) -> str:
    create_tables(b.gateway, [Ledger])
    writes = WriteApi[Ledger](b.gateway)
    writes.create(Ledger(ledger_id="l1"))
    return outcome(lambda: writes.create(Ledger(ledger_id="l1")))


def condition_failure_returns_item(b: Backend) -> str:
    table = b.table("cond")
    b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    try:
        b.client.put_item(
            TableName=table,
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        item = exc.response.get("Item")
        return f"{exc.response['Error']['Code']}, item returned: {item is not None}"
    return "ok"


def transaction_cancellation_reasons(b: Backend) -> str:
    table = b.table("tx")
    b.client.put_item(TableName=table, Item={"pk": {"S": "a"}})
    try:
        b.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "b"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    except ClientError as exc:
        reasons = exc.response.get("CancellationReasons", [])
        codes = ",".join(r.get("Code", "?") for r in reasons)
        items = ",".join("item" if "Item" in r else "-" for r in reasons)
        return f"{exc.response['Error']['Code']} [{codes}] [{items}]"
    return "ok"


def transaction_same_item_twice(b: Backend) -> str:
    table = b.table("twice")
    put = {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}}
    return outcome(lambda: b.client.transact_write_items(TransactItems=[put, put]))


def transaction_over_100_actions(b: Backend) -> str:
    table = b.table("many")
    items = [{"Put": {"TableName": table, "Item": {"pk": {"S": f"k{i}"}}}} for i in range(101)]
    return outcome(lambda: b.client.transact_write_items(TransactItems=items))


def condition_check_on_missing_item(b: Backend) -> str:
    create_tables(b.gateway, [Ledger])
    try:
        with Transaction(b.gateway) as tx:
            tx.put(Ledger(ledger_id="l2"))
            tx.check(Ledger, {"ledger_id": "missing"}, Attr("balance").ge(0))
    except DdbwrapError as exc:
        said = "item does not exist" in str(exc)
        return f"{type(exc).__name__}, says the item does not exist: {said}"
    return "ok"


def unique_guard(b: Backend) -> str:
    create_tables(b.gateway, [Member])
    writes = WriteApi[Member](b.gateway)
    writes.create(Member(member_id="m1", email="a@example.com"))
    return outcome(lambda: writes.create(Member(member_id="m2", email="a@example.com")))


def ttl_expired_item(b: Backend) -> str:
    """Whether an expired item is still read is not observed: DynamoDB Local, like DynamoDB,
    deletes expired items at a moment of its own (a flake when it was)."""
    table = b.table("ttl")
    b.client.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    past = str(int(datetime.now(timezone.utc).timestamp()) - 3600)
    b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "exp": {"N": past}})
    status = b.client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    return f"TTL {status.get('TimeToLiveStatus')}, on {status.get('AttributeName')}"


def query_limit_pages(b: Backend) -> str:
    table = b.table("pages", sort=True)
    for i in range(4):
        b.client.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}})
    sizes: list[str] = []
    start: dict[str, Any] | None = None
    for _ in range(5):
        extra = {"ExclusiveStartKey": start} if start else {}
        page = b.client.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            Limit=2,
            **extra,
        )
        start = page.get("LastEvaluatedKey")
        sizes.append(f"{page['Count']}{'+' if start else ''}")
        if not start:
            break
    return "pages " + " ".join(sizes) + " (+: LastEvaluatedKey)"


def one_megabyte_page(b: Backend) -> str:
    table = b.table("mb")
    blob = "x" * 200_000
    for i in range(7):  # 1.4 MB
        b.client.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "b": {"S": blob}})
    page = b.client.scan(TableName=table)
    return f"first scan page: {page['Count']} of 7 items, more: {'LastEvaluatedKey' in page}"


def gsi_consistent_read(b: Backend) -> str:
    table = b.table("gsi", gsi=True)
    return outcome(
        lambda: b.client.query(
            TableName=table,
            IndexName="gix",
            KeyConditionExpression="gk = :g",
            ExpressionAttributeValues={":g": {"S": "x"}},
            ConsistentRead=True,
        )["Count"]
    )


def gsi_key_wrong_type(b: Backend) -> str:
    table = b.table("gsitype", gsi=True)
    return outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "gk": {"N": "1"}})
    )


def batch_write_duplicate_keys(b: Backend) -> str:
    table = b.table("dups")
    put = {"PutRequest": {"Item": {"pk": {"S": "a"}}}}
    return outcome(lambda: b.client.batch_write_item(RequestItems={table: [put, put]}))


def batch_get_over_100_keys(b: Backend) -> str:
    table = b.table("bg")
    keys = [{"pk": {"S": f"k{i}"}} for i in range(101)]
    return outcome(lambda: b.client.batch_get_item(RequestItems={table: {"Keys": keys}}))


def batch_unprocessed(b: Backend) -> str:
    table = b.table("unproc")
    puts = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(25)]
    response = b.client.batch_write_item(RequestItems={table: puts})
    return f"unprocessed: {len(response.get('UnprocessedItems', {}))}"


def missing_table(b: Backend) -> str:
    return outcome(lambda: b.client.get_item(TableName=b.prefix + "nope", Key={"pk": {"S": "a"}}))


def update_key_attribute(b: Backend) -> str:
    table = b.table("upkey")
    return outcome(
        lambda: b.client.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET pk = :v",
            ExpressionAttributeValues={":v": {"S": "b"}},
        )
    )


def reserved_word_unescaped(b: Backend) -> str:
    table = b.table("reserved")
    return outcome(
        lambda: b.client.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET status = :v",
            ExpressionAttributeValues={":v": {"S": "x"}},
        )
    )


def number_over_38_digits(b: Backend) -> str:
    table = b.table("digits")
    return outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1" * 39}})
    )


def empty_string_key(b: Backend) -> str:
    table = b.table("empty")
    return outcome(lambda: b.client.put_item(TableName=table, Item={"pk": {"S": ""}}))


def item_over_400_kb(b: Backend) -> str:
    table = b.table("big")
    blob = "x" * 410_000
    return outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "b": {"S": blob}})
    )


def parallel_scan_segments(b: Backend) -> str:
    table = b.table("segments")
    for i in range(20):
        b.client.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}})
    counts = [b.client.scan(TableName=table, Segment=s, TotalSegments=2)["Count"] for s in (0, 1)]
    return f"segments hold {sum(counts)} of 20 items"


def filter_after_limit(b: Backend) -> str:
    table = b.table("filter", sort=True)
    for i in range(4):
        b.client.put_item(
            TableName=table,
            Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "odd": {"BOOL": i % 2 == 1}},
        )
    page = b.client.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="odd = :t",
        ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}},
        Limit=2,
    )
    return f"Count {page['Count']}, ScannedCount {page['ScannedCount']}"


def empty_set(b: Backend) -> str:
    table = b.table("emptyset")
    return outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "tags": {"SS": []}})
    )


def unused_expression_value(b: Backend) -> str:
    table = b.table("unused")
    return outcome(
        lambda: b.client.put_item(
            TableName=table,
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":unused": {"S": "x"}},
        )
    )


def idempotency_token_reused(b: Backend) -> str:
    table = b.table("token")

    def send(key: str) -> object:
        return b.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": key}}}}],
            ClientRequestToken="parity-token",
        )

    send("a")
    return outcome(lambda: send("b"))


def idempotent_resend(b: Backend) -> str:
    table = b.table("resend")
    request = {
        "TransactItems": [
            {
                "Put": {
                    "TableName": table,
                    "Item": {"pk": {"S": "a"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ],
        "ClientRequestToken": "parity-resend",
    }
    b.client.transact_write_items(**request)
    return outcome(lambda: b.client.transact_write_items(**request))


def item_at_400_kb(b: Backend) -> str:
    table = b.table("limit")
    # DynamoDB's size: attribute names plus values; "pk" + "a" + "b" + the string = 409,600 bytes
    exact = "x" * (400 * 1024 - len("pk") - len("a") - len("b"))
    at_limit = outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "b": {"S": exact}})
    )
    over = outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "b": {"S": exact + "x"}})
    )
    return f"exactly 400 KB: {at_limit}; one byte more: {over}"


def nesting_over_32_levels(b: Backend) -> str:
    table = b.table("nesting")

    def nested(depth: int) -> dict[str, Any]:
        value: dict[str, Any] = {"S": "leaf"}
        for _ in range(depth):
            value = {"M": {"n": value}}
        return value

    return outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "d": nested(33)})
    )


def number_out_of_range(b: Backend) -> str:
    table = b.table("range")
    return outcome(
        lambda: b.client.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1E+126"}})
    )


def validation_message(b: Backend) -> str:
    table = b.table("message")
    try:
        b.client.put_item(TableName=table, Item={"pk": {"N": "1"}})
    except ClientError as exc:
        return repr(str(exc.response["Error"].get("Message", ""))[:90])
    return "ok"


SCENARIOS: list[tuple[str, str, Callable[[Backend], str]]] = [
    ("create_existing", "`create` of an existing key", create_existing),
    ("condition_failure_returns_item",
     "`ReturnValuesOnConditionCheckFailure=ALL_OLD` on a failed put",
     condition_failure_returns_item),
    ("transaction_cancellation_reasons",
     "a cancelled transaction's reasons, with the failed check's item",
     transaction_cancellation_reasons),
    ("transaction_same_item_twice", "two actions on one item in a transaction",
     transaction_same_item_twice),
    ("transaction_over_100_actions", "101 actions in a transaction", transaction_over_100_actions),
    ("condition_check_on_missing_item", "`Transaction.check` on a missing item",
     condition_check_on_missing_item),
    ("unique_guard", "a second item with a `Meta.unique` value", unique_guard),
    ("ttl_expired_item", "TTL enabled: its `DescribeTimeToLive` status", ttl_expired_item),
    ("query_limit_pages", "`Limit=2` over 4 items: page sizes", query_limit_pages),
    ("one_megabyte_page", "a scan over 1.4 MB of items: the 1 MB page limit", one_megabyte_page),
    ("gsi_consistent_read", "`ConsistentRead=True` on a GSI query", gsi_consistent_read),
    ("gsi_key_wrong_type", "a GSI key attribute of the wrong type", gsi_key_wrong_type),
    ("batch_write_duplicate_keys", "one key twice in a BatchWriteItem",
     batch_write_duplicate_keys),
    ("batch_get_over_100_keys", "101 keys in a BatchGetItem", batch_get_over_100_keys),
    ("batch_unprocessed", "25 puts in a BatchWriteItem: unprocessed items", batch_unprocessed),
    ("missing_table", "a read from a table that does not exist", missing_table),
    ("update_key_attribute", "an update that sets a key attribute", update_key_attribute),
    ("reserved_word_unescaped", "a reserved word (`status`) used without a placeholder",
     reserved_word_unescaped),
    ("number_over_38_digits", "a number of 39 significant digits", number_over_38_digits),
    ("empty_string_key", "an empty string as a key", empty_string_key),
    ("item_over_400_kb", "an item over 400 KB", item_over_400_kb),
    ("item_at_400_kb", "an item of exactly 400 KB, then one byte more", item_at_400_kb),
    ("nesting_over_32_levels", "a map nested 33 levels deep", nesting_over_32_levels),
    ("number_out_of_range", "the number 1E+126 (above DynamoDB's range)", number_out_of_range),
    ("validation_message", "the message of a ValidationException (a key of the wrong type)",
     validation_message),
    ("parallel_scan_segments", "a 2-segment parallel scan", parallel_scan_segments),
    ("filter_after_limit", "`Limit=2` with a filter matching every other item",
     filter_after_limit),
    ("empty_set", "an empty string set", empty_set),
    ("unused_expression_value", "an unused `ExpressionAttributeValues` entry",
     unused_expression_value),
    ("idempotent_resend",
     "the same transaction re-sent with its token (a retry after a lost response)",
     idempotent_resend),
    ("idempotency_token_reused",
     "a transaction token reused with another request within 10 minutes",
     idempotency_token_reused),
]  # fmt: skip


def observe(client: Any) -> dict[str, str]:
    """Every scenario's observation on one backend, each with its own tables."""
    run = uuid.uuid4().hex[:6]
    results: dict[str, str] = {}
    for name, _, scenario in SCENARIOS:
        try:
            results[name] = scenario(Backend(client, f"parity-{run}-{name[:20]}-"))
        except (BotoCoreError, ClientError, DdbwrapError) as exc:  # its set-up failed
            results[name] = f"set-up failed: {exc}"[:200]
    return results


@contextlib.contextmanager
def moto_client() -> Iterator[Any]:
    with moto.mock_aws():
        yield local_client(MOTO_ENDPOINT)


def render(local: dict[str, str], on_moto: dict[str, str]) -> str:
    """The generated part of docs/testing.md: the differences, then what moto reproduces."""
    rows = [
        "| scenario | DynamoDB Local | moto |",
        "|---|---|---|",
    ]
    same: list[str] = []
    for name, what, _ in SCENARIOS:
        if local[name] == on_moto[name]:
            same.append(what)
        else:
            rows.append(f"| {what} | {local[name]} | {on_moto[name]} |")
    reproduced = "; ".join(same)
    return "\n".join(rows) + f"\n\nmoto reproduces the other {len(same)}: {reproduced}.\n"


@pytest.mark.not_on_moto("compares moto with DynamoDB Local")
def test_the_documented_moto_differences_are_the_ones_observed(ddb_client: Any) -> None:
    started = time.monotonic()
    local = observe(ddb_client)
    with moto_client() as client:
        on_moto = observe(client)
    assert time.monotonic() - started < 300
    expected = render(local, on_moto)
    text = TESTING_PAGE.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match, "docs/testing.md has no <!-- moto-differences:start/end --> block"
    if os.environ.get("DDBWRAP_UPDATE_DOCS") == "1":
        TESTING_PAGE.write_text(
            text[: match.start(2)] + expected + text[match.end(2) :], encoding="utf-8"
        )
        return
    differing = sorted(n for n, *_ in SCENARIOS if local[n] != on_moto[n])
    assert match.group(2) == expected, (
        f"docs/testing.md's list of moto differences is not the observed one (differing: "
        f"{differing}); rerun with DDBWRAP_UPDATE_DOCS=1 to regenerate it"
    )
