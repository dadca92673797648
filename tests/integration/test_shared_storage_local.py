"""Storage rules that survive other services, on DynamoDB Local (issue 14):

- None is omitted, so a GSI added later (``tables ensure``) on an optional field builds with the
  existing items in place (a NULL index key would be refused, and DynamoDB Local hangs the
  index build on one);
- items written by raw boto3, as another service would (naive datetimes, NULLs, missing
  attributes, expired TTLs), read as the rules say; ``create`` and ``get`` return equal values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from ddbwrap import GSI, DomainModel, StoreNull, TableGateway
from ddbwrap.read import ReadApi
from ddbwrap.tooling import ensure_tables
from ddbwrap.write import UpdateDTO, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

UTC = timezone.utc


class Account(DomainModel):
    account_id: str
    name: str
    user_id: str | None = None  # seed 001: optional today, indexed in a later release

    class Meta:
        table_name = "shared_accounts"
        partition_key = "account_id"


class AccountWithUserIndex(DomainModel):
    """The same table, one release later: a GSI on the optional field."""

    account_id: str
    name: str
    user_id: str | None = None

    class Meta:
        table_name = "shared_accounts"
        partition_key = "account_id"
        gsis = [GSI("user-index", partition_key="user_id")]


class Unlink(UpdateDTO[Account]):
    user_id: str | None = None


def raw(client: DynamoDBClient, gateway: TableGateway, table: str, key: dict[str, Any]) -> Any:
    return client.get_item(TableName=gateway.physical_table_name(table), Key=key).get("Item")


def test_a_gsi_added_later_on_an_optional_field_builds_with_the_items_in_place(
    ddb_tables: Any, ddb_client: DynamoDBClient
) -> None:
    gateway: TableGateway = ddb_tables(Account)
    writes = WriteApi[Account](gateway)
    writes.create(Account(account_id="a1", name="no user"))
    writes.create(Account(account_id="a2", name="linked", user_id="u1"))
    linked = writes.create(Account(account_id="a3", name="unlinked later", user_id="u2"))
    writes.update(linked, Unlink(user_id=None))  # REMOVEs the attribute
    writes.put(Account(account_id="a4", name="put without user"))
    for account_id in ("a1", "a3", "a4"):
        item = raw(ddb_client, gateway, "shared_accounts", {"account_id": {"S": account_id}})
        assert "user_id" not in item, item

    (result,) = ensure_tables(gateway, [AccountWithUserIndex])
    assert any("user-index" in note for note in result.notes), result.notes
    table = ddb_client.describe_table(TableName=gateway.physical_table_name("shared_accounts"))
    (index,) = table["Table"]["GlobalSecondaryIndexes"]
    assert index["IndexStatus"] == "ACTIVE"

    reads = ReadApi[AccountWithUserIndex](gateway)
    assert [a.account_id for a in reads.query(index="user-index", user_id="u1")] == ["a2"]
    assert list(reads.query(index="user-index", user_id="u2")) == []
    assert reads.require(account_id="a1").user_id is None


class Reading(DomainModel):
    reading_id: str
    taken_at: datetime
    note: str | None = None
    status: str = "new"
    owner: str | None
    legacy_flag: Annotated[str | None, StoreNull()] = None

    class Meta:
        table_name = "shared_readings"
        partition_key = "reading_id"


class ParisReading(DomainModel):
    reading_id: str
    taken_at: datetime

    class Meta:
        table_name = "shared_paris_readings"
        partition_key = "reading_id"
        naive_datetime_zone = "Europe/Paris"


def test_items_written_by_another_service_read_as_the_rules_say(
    ddb_tables: Any, ddb_client: DynamoDBClient
) -> None:
    gateway: TableGateway = ddb_tables(Reading, ParisReading)
    table = gateway.physical_table_name("shared_readings")
    dotnet_items: list[dict[str, Any]] = [
        {  # naive datetime, NULLs where the model has a default or accepts None, owner missing
            "reading_id": {"S": "r1"},
            "taken_at": {"S": "2026-01-02T03:04:05"},
            "note": {"NULL": True},
            "status": {"NULL": True},
        },
        {  # everything missing that may be
            "reading_id": {"S": "r2"},
            "taken_at": {"S": "2026-01-02T03:04:05.250Z"},
        },
        {  # an offset of its own
            "reading_id": {"S": "r3"},
            "taken_at": {"S": "2026-01-02T05:04:05+02:00"},
            "owner": {"S": "ops"},
        },
    ]
    for item in dotnet_items:
        ddb_client.put_item(TableName=table, Item=item)

    reads = ReadApi[Reading](gateway)
    r1 = reads.require(reading_id="r1")
    assert r1.taken_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # naive: UTC
    assert (r1.note, r1.status, r1.owner) == (None, "new", None)  # NULL reads as missing
    r2 = reads.require(reading_id="r2")
    assert (r2.note, r2.status, r2.owner) == (None, "new", None)
    assert r2.taken_at.tzinfo is not None
    r3 = reads.require(reading_id="r3")
    assert r3.taken_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    scanned = {r.reading_id: r for r in reads.scan()}
    assert scanned == {"r1": r1, "r2": r2, "r3": r3}
    assert sorted(scanned.values(), key=lambda r: r.taken_at)[0].reading_id in {"r1", "r3"}

    # written back by ddbwrap: the datetime is stored with its offset, None is omitted,
    # except where another service expects NULL
    WriteApi[Reading](gateway).put(r1)
    stored = raw(ddb_client, gateway, "shared_readings", {"reading_id": {"S": "r1"}})
    assert stored["taken_at"] == {"S": "2026-01-02T03:04:05.000000Z"}
    assert "note" not in stored and "owner" not in stored
    assert stored["legacy_flag"] == {"NULL": True}

    ddb_client.put_item(
        TableName=gateway.physical_table_name("shared_paris_readings"),
        Item={"reading_id": {"S": "p1"}, "taken_at": {"S": "2026-07-01T12:00:00"}},
    )
    paris = ReadApi[ParisReading](gateway).require(reading_id="p1")
    assert paris.taken_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # Paris: UTC+2 in July


def test_create_and_get_return_equal_values(ddb_tables: Any) -> None:
    gateway: TableGateway = ddb_tables(ParisReading)
    created = WriteApi[ParisReading](gateway).create(
        ParisReading(reading_id="p1", taken_at=datetime(2026, 1, 2, 3, 4, 5, 123456))
    )
    read = ReadApi[ParisReading](gateway).require(reading_id="p1")
    assert created == read
    assert created.taken_at.tzinfo is not None
    assert created.taken_at == datetime(2026, 1, 2, 2, 4, 5, 123456, tzinfo=UTC)


class Blob(DomainModel):
    blob_id: str
    first: str = ""
    second: str | None = None

    class Meta:
        table_name = "shared_blobs"
        partition_key = "blob_id"


class AddSecond(UpdateDTO[Blob]):
    second: str | None = None


def test_an_update_past_400_kb_is_item_too_large(ddb_tables: Any) -> None:
    from ddbwrap import ItemTooLargeError
    from ddbwrap.expressions import Update

    gateway: TableGateway = ddb_tables(Blob)
    writes = WriteApi[Blob](gateway)
    writes.create(Blob(blob_id="b1", first="x" * 300_000))
    for changes in (AddSecond(second="y" * 200_000), Update().set("second", "y" * 200_000)):
        try:
            writes.update({"blob_id": "b1"}, changes)
        except ItemTooLargeError as exc:
            assert "400 KB" in exc.message
        else:
            raise AssertionError("expected ItemTooLargeError")


class Lease(DomainModel):
    owner: str
    lease_id: str
    holder: str = "nobody"
    expires_at: datetime | None = None

    class Meta:
        table_name = "shared_leases"
        partition_key = "owner"
        sort_key = "lease_id"
        ttl_attribute = "expires_at"
        gsis = [GSI("holder-index", partition_key="holder")]


class Hand(UpdateDTO[Lease]):
    holder: str


def test_items_whose_ttl_has_passed_are_gone_for_reads_and_writes(
    ddb_tables: Any, ddb_client: DynamoDBClient
) -> None:
    """An item whose TTL has passed but that DynamoDB has not deleted yet (it can take days)
    is hidden; ``include_expired=True`` shows it; ``create`` replaces it; ``update`` of it is
    ``ItemNotFoundError``. The table's own TTL is turned off so that DynamoDB Local cannot
    delete the expired items while the test reads them: ddbwrap's rule is its own."""
    from ddbwrap import AlreadyExistsError, ItemNotFoundError

    gateway: TableGateway = ddb_tables(Lease)
    table = gateway.physical_table_name("shared_leases")
    ddb_client.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"},
    )
    now = int(datetime.now(UTC).timestamp())
    for lease_id, expires in (("expired", now - 120), ("live", now + 3600), ("forever", None)):
        item: dict[str, Any] = {
            "owner": {"S": "o1"},
            "lease_id": {"S": lease_id},
            "holder": {"S": "svc"},
        }
        if expires is not None:
            item["expires_at"] = {"N": str(expires)}
        ddb_client.put_item(TableName=table, Item=item)

    reads = ReadApi[Lease](gateway, cursor_secret="a-test-secret-0123456789")
    every = ["expired", "forever", "live"]
    assert reads.get(owner="o1", lease_id="expired") is None
    assert reads.get(owner="o1", lease_id="expired", include_expired=True) is not None
    assert sorted(lease.lease_id for lease in reads.query(owner="o1")) == ["forever", "live"]
    assert sorted(x.lease_id for x in reads.query(owner="o1", include_expired=True)) == every
    assert sorted(lease.lease_id for lease in reads.scan()) == ["forever", "live"]
    assert sorted(lease.lease_id for lease in reads.scan_all(segments=2)) == ["forever", "live"]
    by_holder = reads.query(index="holder-index", holder="svc")
    assert sorted(lease.lease_id for lease in by_holder) == ["forever", "live"]
    assert reads.count(owner="o1") == 2
    assert reads.count(owner="o1", include_expired=True) == 3
    assert reads.scan_count() == 2
    assert reads.scan_count(include_expired=True) == 3
    keys = [{"owner": "o1", "lease_id": lease_id} for lease_id in every]
    assert len(reads.batch_get(keys).items) == 2
    assert reads.transact_get(keys).missing == ({"owner": "o1", "lease_id": "expired"},)
    first = reads.query(owner="o1", limit=1)  # reads on past the expired item
    assert [lease.lease_id for lease in first] == ["forever"]

    writes = WriteApi[Lease](gateway)
    with pytest.raises(ItemNotFoundError, match="expired"):
        writes.update({"owner": "o1", "lease_id": "expired"}, Hand(holder="me"))
    with pytest.raises(AlreadyExistsError):
        writes.create(Lease(owner="o1", lease_id="live"))
    created = writes.create(Lease(owner="o1", lease_id="expired", holder="me"))
    assert created.expires_at is None
    assert reads.require(owner="o1", lease_id="expired").holder == "me"
    assert writes.update({"owner": "o1", "lease_id": "expired"}, Hand(holder="you")).holder == "you"


class Seat(DomainModel):
    """A model with a TTL and a unique field: a create over an expired item moves guards."""

    seat_id: str
    email: str
    expires_at: datetime | None = None

    class Meta:
        table_name = "shared_seats"
        partition_key = "seat_id"
        ttl_attribute = "expires_at"
        unique = ("email",)


def expire(client: DynamoDBClient, gateway: TableGateway, seat_id: str) -> None:
    """Set the seat's TTL in the past, as time passing would (the table's own TTL is off, so
    DynamoDB Local keeps the item: the case DynamoDB has not deleted it yet)."""
    past = int(datetime.now(UTC).timestamp()) - 120
    client.update_item(
        TableName=gateway.physical_table_name("shared_seats"),
        Key={"seat_id": {"S": seat_id}},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"N": str(past)}},
    )


@pytest.fixture
def seats(ddb_tables: Any, ddb_client: DynamoDBClient) -> TableGateway:
    gateway: TableGateway = ddb_tables(Seat)
    ddb_client.update_time_to_live(
        TableName=gateway.physical_table_name("shared_seats"),
        TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"},
    )
    return gateway


def test_a_create_over_an_expired_item_releases_its_unique_values(
    seats: TableGateway, ddb_client: DynamoDBClient
) -> None:
    writes = WriteApi[Seat](seats)
    writes.create(Seat(seat_id="s1", email="old@example.com"))
    expire(ddb_client, seats, "s1")

    writes.create(Seat(seat_id="s1", email="new@example.com"))

    writes.create(Seat(seat_id="s2", email="old@example.com"))  # free again
    from ddbwrap import UniqueConstraintError

    with pytest.raises(UniqueConstraintError):
        writes.create(Seat(seat_id="s3", email="new@example.com"))


def test_a_create_over_an_expired_item_with_the_same_value_keeps_its_guard(
    seats: TableGateway, ddb_client: DynamoDBClient
) -> None:
    from ddbwrap import UniqueConstraintError

    writes = WriteApi[Seat](seats)
    writes.create(Seat(seat_id="s1", email="same@example.com"))
    expire(ddb_client, seats, "s1")

    writes.create(Seat(seat_id="s1", email="same@example.com"))

    with pytest.raises(UniqueConstraintError):
        writes.create(Seat(seat_id="s2", email="same@example.com"))


def test_a_create_over_a_live_item_with_a_ttl_and_unique_values_still_refuses(
    seats: TableGateway,
) -> None:
    from ddbwrap import AlreadyExistsError

    writes = WriteApi[Seat](seats)
    writes.create(Seat(seat_id="s1", email="a@example.com"))
    with pytest.raises(AlreadyExistsError):
        writes.create(Seat(seat_id="s1", email="b@example.com"))
    writes.create(Seat(seat_id="s2", email="b@example.com"))  # b was never claimed


def test_a_transactions_create_over_an_expired_item_releases_its_unique_values(
    seats: TableGateway, ddb_client: DynamoDBClient
) -> None:
    from ddbwrap import Transaction, UniqueConstraintError

    writes = WriteApi[Seat](seats)
    writes.create(Seat(seat_id="s1", email="old@example.com"))
    expire(ddb_client, seats, "s1")

    with Transaction(seats) as tx:
        tx.create(Seat(seat_id="s1", email="new@example.com"))

    writes.create(Seat(seat_id="s2", email="old@example.com"))  # free again
    with pytest.raises(UniqueConstraintError):
        writes.create(Seat(seat_id="s3", email="new@example.com"))


def test_a_transactions_create_over_a_live_item_with_unique_values_still_refuses(
    seats: TableGateway,
) -> None:
    from ddbwrap import Transaction, TransactionCanceledError

    writes = WriteApi[Seat](seats)
    writes.create(Seat(seat_id="s1", email="a@example.com"))
    with pytest.raises(TransactionCanceledError), Transaction(seats) as tx:
        tx.create(Seat(seat_id="s1", email="b@example.com"))
    writes.create(Seat(seat_id="s2", email="b@example.com"))  # b was never claimed
