"""TTL: items whose TTL has passed but that DynamoDB has not deleted yet (issue 14).

- reads hide them: queries, scans, counts and streamed reads by a FilterExpression
  (``attribute_not_exists(#ttl) OR #ttl > :now``, ANDed with the caller's filter); gets,
  batch gets and transact gets by a post-read check (GetItem has no filter); collections whose
  models name different TTL attributes by a post-read check per item;
  ``include_expired=True`` shows them;
- writes: ``create`` over an expired item replaces it; update/replace of one is
  ``ItemNotFoundError`` (and ``explain_failure`` says so from the ALL_OLD item).

The reads run on moto; items are written with raw boto3, as another service would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ddbwrap import (
    GSI,
    KEYS_ONLY,
    AlreadyExistsError,
    Attr,
    DomainModel,
    ItemNotFoundError,
    KeyPrefix,
    KeyTemplate,
    TableGateway,
    schema_of,
)
from ddbwrap.read import Collection, ReadApi, View
from ddbwrap.testing.scripted import ScriptedTransport
from ddbwrap.write import WriteApi, create_plan, update_plan
from ddbwrap.write.dto import UpdateDTO
from ddbwrap.write.requests import explain_failure

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
PAST, FUTURE = EPOCH - 60, EPOCH + 3600


class Session(DomainModel):
    user_id: str
    session_id: str
    device: str = "web"
    expires_at: dt.datetime | None = None

    class Meta:
        table_name = "ttl_sessions"
        partition_key = "user_id"
        sort_key = "session_id"
        ttl_attribute = "expires_at"
        gsis = [
            GSI("device-index", partition_key="device"),
            GSI("device-keys", partition_key="device", sort_key="session_id", projection=KEYS_ONLY),
        ]


class SessionDevice(View[Session]):
    session_id: str
    device: str


class Rename(UpdateDTO[Session]):
    device: str


def clock() -> dt.datetime:
    return NOW


def raw(session_id: str, expires: int | None, user: str = "u1") -> dict[str, Any]:
    item: dict[str, Any] = {
        "user_id": {"S": user},
        "session_id": {"S": session_id},
        "device": {"S": "web"},
    }
    if expires is not None:
        item["expires_at"] = {"N": str(expires)}
    return item


@pytest.fixture
def gateway() -> Iterator[TableGateway]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema_of(Session).create_table_params())
        for item in (raw("live", FUTURE), raw("expired", PAST), raw("forever", None)):
            client.put_item(TableName="ttl_sessions", Item=item)
        yield TableGateway(client)


def ids(items: Any) -> list[str]:
    return sorted(i.session_id for i in items)


# --- the requests --------------------------------------------------------------------------


def test_a_query_carries_the_ttl_filter_anded_with_the_callers(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock)
    params = reads.explain.query(user_id="u1", filter=Attr("device") == "web")
    text = params["FilterExpression"]
    assert text.startswith("(") and ") AND (attribute_not_exists(" in text
    names, values = params["ExpressionAttributeNames"], params["ExpressionAttributeValues"]
    ttl = next(k for k, v in names.items() if v == "expires_at")
    now = next(k for k, v in values.items() if v == {"N": str(EPOCH)})
    assert text.endswith(f"(attribute_not_exists({ttl}) OR {ttl} > {now})")
    assert "expires_at" not in text and str(EPOCH) not in text  # placeholders only
    assert "FilterExpression" not in reads.explain.query(user_id="u1", include_expired=True)
    assert "FilterExpression" in reads.explain.scan()
    # a limit still asks DynamoDB for that many items (expired ones are few; a short page is
    # read on), unlike a caller's filter
    assert reads.explain.query(user_id="u1", limit=2)["Limit"] == 2


def test_the_cursor_fingerprint_does_not_depend_on_the_clock(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock, cursor_secret="a-test-secret-0123456789")
    page = reads.query(user_id="u1", limit=1)
    assert page.cursor is not None
    later = ReadApi[Session](
        gateway,
        clock=lambda: NOW + dt.timedelta(minutes=30),
        cursor_secret="a-test-secret-0123456789",
    )
    assert ids(later.query(user_id="u1", cursor=page.cursor)) == ["live"]


def test_a_get_of_a_view_projects_the_ttl_attribute_without_exposing_it(
    gateway: TableGateway,
) -> None:
    reads = ReadApi[Session](gateway, clock=clock)
    params = reads.explain.get(user_id="u1", session_id="live", view=SessionDevice)
    assert "expires_at" in params["ExpressionAttributeNames"].values()
    view = reads.get(user_id="u1", session_id="live", view=SessionDevice)
    assert view is not None and not hasattr(view, "expires_at")
    assert reads.get(user_id="u1", session_id="expired", view=SessionDevice) is None


# --- reads hide expired items --------------------------------------------------------------


def test_gets_hide_an_expired_item_unless_include_expired(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock)
    assert reads.get(user_id="u1", session_id="expired") is None
    assert reads.get(user_id="u1", session_id="live") is not None
    assert reads.get(user_id="u1", session_id="forever") is not None
    shown = reads.get(user_id="u1", session_id="expired", include_expired=True)
    assert shown is not None and shown.expires_at == dt.datetime.fromtimestamp(PAST, UTC)
    with pytest.raises(ItemNotFoundError):
        reads.require(user_id="u1", session_id="expired")
    assert reads.require(user_id="u1", session_id="expired", include_expired=True)


def test_batch_and_transact_gets_report_an_expired_item_missing(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock)
    keys = [{"user_id": "u1", "session_id": s} for s in ("live", "expired", "forever")]
    for result in (reads.batch_get(keys), reads.transact_get(keys)):
        assert ids(result.items) == ["forever", "live"]
        assert result.missing == ({"user_id": "u1", "session_id": "expired"},)
    assert len(reads.batch_get(keys, include_expired=True).items) == 3
    assert len(reads.transact_get(keys, include_expired=True).items) == 3


def test_queries_scans_counts_and_streams_hide_expired_items(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock)
    assert ids(reads.query(user_id="u1")) == ["forever", "live"]
    assert ids(reads.query(user_id="u1", include_expired=True)) == ["expired", "forever", "live"]
    assert ids(reads.query_all(user_id="u1")) == ["forever", "live"]
    assert ids(reads.scan()) == ["forever", "live"]
    assert ids(reads.scan_all()) == ["forever", "live"]
    assert ids(reads.scan_all(segments=2)) == ["forever", "live"]
    assert ids(reads.scan_all(segments=2, include_expired=True)) == ["expired", "forever", "live"]
    assert ids(reads.query(index="device-index", device="web")) == ["forever", "live"]
    assert reads.count(user_id="u1") == 2
    assert reads.count(user_id="u1", include_expired=True) == 3
    assert reads.scan_count() == 2
    assert reads.scan_count(segments=2) == 2
    assert reads.scan_count(include_expired=True) == 3
    # a caller's filter and the TTL filter together
    assert ids(reads.query(user_id="u1", filter=Attr("session_id") != "live")) == ["forever"]


def test_limit_pages_read_on_past_expired_items(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock, cursor_secret="a-test-secret-0123456789")
    first = reads.query(user_id="u1", limit=1)  # "expired" sorts first: it is read on past
    assert ids(first) == ["forever"] and first.cursor is not None
    second = reads.query(user_id="u1", limit=1, cursor=first.cursor)
    assert ids(second) == ["live"]


def test_a_keys_only_index_with_fetch_full_checks_the_full_items(gateway: TableGateway) -> None:
    reads = ReadApi[Session](gateway, clock=clock)
    params = reads.explain.query(index="device-keys", device="web", fetch_full=True)
    assert "FilterExpression" not in params  # the index has no TTL attribute to filter on
    assert ids(reads.query(index="device-keys", device="web", fetch_full=True)) == [
        "forever",
        "live",
    ]
    streamed = reads.query_all(index="device-keys", device="web", fetch_full=True)
    assert ids(streamed) == ["forever", "live"]


def test_the_clock_decides_what_has_expired(gateway: TableGateway) -> None:
    before = ReadApi[Session](gateway, clock=lambda: NOW - dt.timedelta(hours=1))
    assert before.get(user_id="u1", session_id="expired") is not None
    after = ReadApi[Session](gateway, clock=lambda: NOW + dt.timedelta(days=1))
    assert ids(after.query(user_id="u1")) == ["forever"]
    naive = ReadApi[Session](gateway, clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(Exception, match="aware datetime"):
        naive.get(user_id="u1", session_id="live")


def test_a_model_without_ttl_sends_no_filter() -> None:
    class Plain(DomainModel):
        plain_id: str

        class Meta:
            table_name = "plain"
            partition_key = "plain_id"

    reads = ReadApi[Plain](TableGateway(ScriptedTransport()))
    assert "FilterExpression" not in reads.explain.scan()


def test_the_async_api_shares_the_logic(gateway: TableGateway) -> None:
    from ddbwrap.aio import AsyncReadApi, AsyncTableGateway

    class Answers:
        endpoint_url = "answers"

        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, Any]]] = []

        async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            self.calls.append((operation, params))
            if operation == "GetItem":
                return {"Item": raw("expired", PAST)}
            return {"Items": [raw("live", FUTURE)], "Count": 1, "ScannedCount": 2}

    transport = Answers()
    reads = AsyncReadApi[Session](AsyncTableGateway(transport), clock=clock)

    async def read() -> tuple[Any, Any, Any, int]:
        hidden = await reads.get(user_id="u1", session_id="expired")
        shown = await reads.get(user_id="u1", session_id="expired", include_expired=True)
        page = await reads.query(user_id="u1")
        return hidden, shown, page, await reads.count(user_id="u1")

    hidden, shown, page, count = asyncio.run(read())
    assert hidden is None and shown is not None
    assert ids(page) == ["live"] and count == 1
    query = next(p for op, p in transport.calls if op == "Query")
    assert "attribute_not_exists(" in query["FilterExpression"]


# --- collections ----------------------------------------------------------------------------


class Order(DomainModel):
    customer_id: str
    order_id: str
    expires_at: int | None = None

    class Meta:
        table_name = "ttl_shop"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}")
        entity = KeyPrefix()
        ttl_attribute = "expires_at"


class Cart(DomainModel):
    customer_id: str
    cart_id: str
    gone_at: int | None = None

    class Meta:
        table_name = "ttl_shop"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "CART#{cart_id}")
        entity = KeyPrefix()
        ttl_attribute = "gone_at"


def test_a_collection_checks_each_item_by_its_own_models_ttl() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema_of(Order).create_table_params())
        pk = {"S": "CUSTOMER#c1"}
        for sk, extra in (
            ("ORDER#o1", {"expires_at": {"N": str(PAST)}}),
            ("ORDER#o2", {"expires_at": {"N": str(FUTURE)}, "gone_at": {"N": str(PAST)}}),
            ("CART#k1", {"gone_at": {"N": str(PAST)}}),
            ("CART#k2", {"expires_at": {"N": str(PAST)}}),
        ):
            item = {"pk": pk, "sk": {"S": sk}, "customer_id": {"S": "c1"}, **extra}
            if sk.startswith("ORDER#"):
                item["order_id"] = {"S": sk[6:]}
            else:
                item["cart_id"] = {"S": sk[5:]}
            client.put_item(TableName="ttl_shop", Item=item)
        shop = Collection(TableGateway(client), Order, Cart, clock=clock)
        page = shop.query(customer_id="c1")
        assert sorted(type(i).__name__ + ":" + i.customer_id for i in page) == [
            "Cart:c1",
            "Order:c1",
        ]
        kept = {getattr(i, "order_id", None) or getattr(i, "cart_id", None) for i in page}
        assert kept == {"o2", "k2"}
        streamed = {
            getattr(i, "order_id", None) or getattr(i, "cart_id", None)
            for i in shop.query_all(customer_id="c1")
        }
        assert streamed == {"o2", "k2"}
        assert len(shop.query(customer_id="c1", include_expired=True)) == 4
        assert len(shop.scan()) == 2


# --- writes -------------------------------------------------------------------------------


def test_create_over_an_expired_item_replaces_it(gateway: TableGateway) -> None:
    writes = WriteApi[Session](gateway, clock=clock)
    created = writes.create(Session(user_id="u1", session_id="expired", device="ios"))
    assert created.device == "ios"
    stored = ReadApi[Session](gateway, clock=clock).require(user_id="u1", session_id="expired")
    assert stored.device == "ios" and stored.expires_at is None
    with pytest.raises(AlreadyExistsError):
        writes.create(Session(user_id="u1", session_id="live"))


def test_the_create_and_update_conditions() -> None:
    plan = create_plan(Session, Session(user_id="u1", session_id="s"), now=NOW)
    params = plan.requests()[0][1]
    assert params["ConditionExpression"].startswith("(attribute_not_exists(")
    assert " OR " in params["ConditionExpression"] and " <= " in params["ConditionExpression"]
    assert {"N": str(EPOCH)} in params["ExpressionAttributeValues"].values()
    update = update_plan(Session, {"user_id": "u1", "session_id": "s"}, Rename(device="x"), now=NOW)
    text = update.requests()[0][1]["ConditionExpression"]
    assert text.startswith("(attribute_exists(") and "attribute_not_exists(" in text
    assert " > " in text


def test_update_and_replace_of_an_expired_item_are_item_not_found(gateway: TableGateway) -> None:
    writes = WriteApi[Session](gateway, clock=clock)
    with pytest.raises(ItemNotFoundError, match="expired"):
        writes.update({"user_id": "u1", "session_id": "expired"}, Rename(device="x"))
    with pytest.raises(ItemNotFoundError, match="expired"):
        writes.replace(Session(user_id="u1", session_id="expired"))
    updated = writes.update({"user_id": "u1", "session_id": "live"}, Rename(device="x"))
    assert updated.device == "x"
    # include_expired shows it unchanged
    item = ReadApi[Session](gateway, clock=clock).get(
        user_id="u1", session_id="expired", include_expired=True
    )
    assert item is not None and item.device == "web"


def test_explain_failure_tells_expired_from_a_failed_condition() -> None:
    update = update_plan(Session, {"user_id": "u1", "session_id": "s"}, Rename(device="x"), now=NOW)
    action = update.main
    assert isinstance(explain_failure(action, raw("s", PAST)), ItemNotFoundError)
    assert isinstance(explain_failure(action, None), ItemNotFoundError)
    assert not isinstance(explain_failure(action, raw("s", FUTURE)), ItemNotFoundError)
    create = create_plan(Session, Session(user_id="u1", session_id="s"), now=NOW).main
    assert isinstance(explain_failure(create, raw("s", FUTURE)), AlreadyExistsError)


def test_an_update_that_sets_a_future_ttl_stays_idempotent_checkable() -> None:
    class Extend(UpdateDTO[Session]):
        expires_at: dt.datetime

    later = NOW + dt.timedelta(days=1)
    plan = update_plan(
        Session, {"user_id": "u1", "session_id": "s"}, Extend(expires_at=later), now=NOW
    )
    assert not any("exists_and_live" in h for h in plan.resend_hazards())
    past = NOW - dt.timedelta(days=1)
    plan = update_plan(
        Session, {"user_id": "u1", "session_id": "s"}, Extend(expires_at=past), now=NOW
    )
    assert any("exists_and_live" in h for h in plan.resend_hazards())


def test_the_multi_model_transact_get_hides_expired_items(gateway: TableGateway) -> None:
    from ddbwrap.read import Get, transact_get

    expired = Get(Session, user_id="u1", session_id="expired")
    live = Get(Session, view=SessionDevice, user_id="u1", session_id="live")
    snapshot = transact_get(gateway, [expired, live], clock=clock)
    assert snapshot[expired] is None and snapshot[live] is not None
    shown = transact_get(gateway, [expired], include_expired=True, clock=clock)
    assert shown[expired] is not None
    late = Get(Session, view=SessionDevice, user_id="u1", session_id="live")
    later = NOW + dt.timedelta(days=1)
    assert transact_get(gateway, [late], clock=lambda: later)[late] is None


def test_the_async_collection_takes_include_expired_and_clock() -> None:
    from ddbwrap.aio import AsyncCollection, AsyncTableGateway

    class Answers:
        endpoint_url = "answers"

        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            self.calls.append(params)
            pk = {"S": "CUSTOMER#c1"}
            return {
                "Items": [
                    {
                        "pk": pk,
                        "sk": {"S": "ORDER#o1"},
                        "customer_id": {"S": "c1"},
                        "order_id": {"S": "o1"},
                        "expires_at": {"N": str(PAST)},
                    },
                    {
                        "pk": pk,
                        "sk": {"S": "CART#k1"},
                        "customer_id": {"S": "c1"},
                        "cart_id": {"S": "k1"},
                        "gone_at": {"N": str(FUTURE)},
                    },
                ]
            }

    transport = Answers()
    shop = AsyncCollection(AsyncTableGateway(transport), Order, Cart, clock=clock)

    async def read() -> tuple[list[str], list[str]]:
        hidden = [type(i).__name__ for i in await shop.query(customer_id="c1")]
        shown = [
            type(i).__name__ async for i in shop.query_all(customer_id="c1", include_expired=True)
        ]
        return hidden, shown

    hidden, shown = asyncio.run(read())
    assert hidden == ["Cart"] and sorted(shown) == ["Cart", "Order"]
    assert "FilterExpression" not in transport.calls[0]  # different TTL attributes: post-read
