"""Filters and conditions that would silently match nothing are refused, on DynamoDB Local.

DynamoDB never matches a value of another type than the stored one: ``size = "5"`` is false for
every item whose ``size`` is the number 5, so a filter returns nothing and a condition always
fails, with no error. ddbwrap checks every filter and condition value against the field's type
when the request is built: a value of another kind (per field type below, through every
operator and every read and write that takes a condition) is a ``ValidationError`` naming the
model, the field and the type it holds, before anything is sent. Values of the right kind are
converted through the field's type (an enum's value, a datetime string in another format, a
dict for a nested model), so they match what is stored. ``Attr.foreign`` is the explicit escape
hatch for attributes the model does not declare (another service's, on a shared table).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel, Field

from ddbwrap import GSI, DdbwrapError, DomainModel, ValidationError
from ddbwrap.expressions import Attr, Condition
from ddbwrap.gateway import TableGateway
from ddbwrap.read import ReadApi
from ddbwrap.write import Transaction, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

SECRET = "security-suite-cursor-secret-0123456789abcdef"
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def at_t0() -> dt.datetime:
    """The reads' clock: the items' TTL (T0 + 30 days) has not passed (reads hide expired
    items), whatever today's date."""
    return T0


REF = uuid.UUID("12345678-1234-5678-1234-567812345678")


class Status(str, enum.Enum):
    ACTIVE = "active"
    PAUSED = "paused"


class Limits(BaseModel):
    max_runs: int = 1
    label: str = ""


class Job(DomainModel):
    tenant_id: str
    job_id: str
    size: int = 0
    ratio: float = 0.0
    cost: Decimal = Decimal(0)
    name: str = Field(default="", max_length=20)
    enabled: bool = True
    archived: bool = False
    status: Status = Status.ACTIVE
    created_at: dt.datetime = T0
    day: dt.date | None = None
    tags: list[str] = []
    owners: set[str] = set()
    scores: set[int] = set()
    limits: Limits = Limits()
    ref: uuid.UUID | None = None
    blob: bytes = b""
    expires_at: dt.datetime | None = None

    class Meta:
        table_name = "jobs"
        partition_key = "tenant_id"
        sort_key = "job_id"
        gsis = [GSI("enabled-index", partition_key="enabled")]  # a bool key: "true"/"false"
        ttl_attribute = "expires_at"


JOB = Job(
    tenant_id="t1",
    job_id="j1",
    size=5,
    ratio=0.5,
    cost=Decimal("1.25"),
    name="nightly",
    status=Status.ACTIVE,
    created_at=T0,
    day=dt.date(2026, 3, 1),
    tags=["ml", "gpu"],
    owners={"ada", "bob"},
    scores={1, 2},
    limits=Limits(max_runs=3, label="x"),
    ref=REF,
    blob=b"\x00\x01",
    # far ahead of the real clock: DynamoDB Local deletes items whose TTL has passed, at a
    # moment of its choosing (T0 + 30 days did, in the middle of a test)
    expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc),
)

WRONG: dict[str, Condition] = {
    # numbers
    "int == str": Attr("size") == "5",
    "int != str": Attr("size") != "5",
    "int > str": Attr("size") > "4",
    "int == bool": Attr("size") == True,  # noqa: E712
    "int between str": Attr("size").between("1", "9"),
    "int is_in str": Attr("size").is_in(["5", "6"]),
    "float == str": Attr("ratio") == "0.5",
    "Decimal <= str": Attr("cost") <= "2",
    "int == 5.5 (never held)": Attr("size") == 5.5,
    # strings
    "str == int": Attr("name") == 7,
    "str < int": Attr("name") < 7,
    "str is_in ints": Attr("name").is_in([1, 2]),
    "str == too long (never held)": Attr("name") == "x" * 21,
    # bools
    "bool == str": Attr("archived") == "false",
    "bool == int": Attr("archived") == 0,
    "bool index key == str": Attr("enabled") == "true",
    # enums
    "enum == unknown value": Attr("status") == "deleted",
    "enum is_in unknown": Attr("status").is_in(["active", "gone"]),
    "enum == int": Attr("status") == 1,
    # datetimes and dates
    "datetime > int": Attr("created_at") > 1_700_000_000,
    "datetime == unparsable str": Attr("created_at") == "yesterday",
    "datetime between bool": Attr("created_at").between(False, True),
    "date == datetime with a time": Attr("day") == T0,
    "uuid == int": Attr("ref") == 12345,
    "uuid == not a uuid": Attr("ref") == "not-a-uuid",
    # TTL (stored as epoch seconds)
    "ttl > str": Attr("expires_at") > "2026-01-01",
    "ttl begins_with": Attr("expires_at").begins_with("17"),
    # lists and sets
    "list == str": Attr("tags") == "ml",
    "list contains int": Attr("tags").contains(5),
    "string set contains int": Attr("owners").contains(5),
    "number set contains str": Attr("scores").contains("1"),
    "set == list of ints": Attr("owners") == {1, 2},
    "list element == int": Attr("tags[0]") == 1,
    # nested fields
    "nested int == str": Attr("limits.max_runs") == "3",
    "nested str > int": Attr("limits.label") > 1,
    "nested model == str": Attr("limits") == "x",
    "nested model == wrong dict": Attr("limits") == {"max_runs": "many"},
    # operators that need a kind
    "begins_with on int": Attr("size").begins_with("5"),
    "begins_with bytes on str": Attr("name").begins_with(b"n"),
    "contains on int": Attr("size").contains(5),
    "contains on bool": Attr("enabled").contains(True),
    "contains on nested model": Attr("limits").contains("x"),
    "binary == str": Attr("blob") == "AAE=",
    # two attributes that never hold the same kind
    "int == str attribute": Attr("size") == Attr("name"),
    "list == int attribute": Attr("tags") == Attr("size"),
    # inside AND / OR / NOT: every part is checked
    "inside NOT": ~(Attr("size") == "5"),
    "inside OR": (Attr("name") == "nightly") | (Attr("size") == "5"),
    "inside AND": (Attr("size") == 5) & (Attr("status") == "deleted"),
}

RIGHT: dict[str, Condition] = {
    "int": Attr("size") == 5,
    "int with a float bound": Attr("size") < 5.5,
    "int with a Decimal": Attr("size").between(Decimal(1), Decimal(9)),
    "float with an int": Attr("ratio") > 0,
    "Decimal with a float": Attr("cost") < 2.5,
    "str": Attr("name") == "nightly",
    "str above a constraint (a comparison)": Attr("name") < "z" * 30,
    "str begins_with": Attr("name").begins_with("night"),
    "str contains": Attr("name").contains("ght"),
    "bool": Attr("archived") == False,  # noqa: E712
    "bool index key": Attr("enabled") == True,  # noqa: E712
    "enum member": Attr("status") == Status.ACTIVE,
    "enum value": Attr("status") == "active",
    "enum is_in values": Attr("status").is_in(["active", "paused"]),
    "datetime": Attr("created_at") == T0,
    "datetime in another zone": Attr("created_at")
    == T0.astimezone(dt.timezone(dt.timedelta(hours=2))),
    "datetime as text in another format": Attr("created_at") == "2026-03-01T14:00:00+02:00",
    "datetime range": Attr("created_at").between(T0 - dt.timedelta(days=1), T0),
    "datetime begins_with its stored text": Attr("created_at").begins_with("2026-03-01"),
    "date": Attr("day") == dt.date(2026, 3, 1),
    "uuid": Attr("ref") == REF,
    "uuid as upper-case text": Attr("ref") == str(REF).upper(),
    "ttl datetime": Attr("expires_at") > T0,
    "ttl epoch seconds": Attr("expires_at") > int(T0.timestamp()),
    "list": Attr("tags") == ["ml", "gpu"],
    "list contains": Attr("tags").contains("gpu"),
    "list element": Attr("tags[0]") == "ml",
    "string set contains": Attr("owners").contains("ada"),
    "number set contains": Attr("scores").contains(2),
    "set": Attr("owners") == {"ada", "bob"},
    "nested int": Attr("limits.max_runs") == 3,
    "nested model as a dict (defaults filled in)": Attr("limits") == {"max_runs": 3, "label": "x"},
    "nested model": Attr("limits") == Limits(max_runs=3, label="x"),
    "binary": Attr("blob") == b"\x00\x01",
    "two numbers": Attr("size") > Attr("limits.max_runs"),
    "size() of a list": Attr("tags").size() == 2,
    "None on an optional field never set": ~(Attr("ref") == None),  # noqa: E711
}


@pytest.fixture
def jobs(ddb_tables: TableFactory) -> TableGateway:
    gateway = ddb_tables(Job)
    WriteApi[Job](gateway).create(JOB)
    return gateway


def stored(ddb_client: DynamoDBClient, gateway: TableGateway) -> dict[str, Any]:
    item: dict[str, Any] = ddb_client.get_item(
        TableName=gateway.physical_table_name("jobs"),
        Key={"tenant_id": {"S": "t1"}, "job_id": {"S": "j1"}},
        ConsistentRead=True,
    )["Item"]
    return item


def _rename() -> Any:
    from ddbwrap.expressions import Update

    return Update().set("name", "renamed")


def _check(gateway: TableGateway, condition: Condition) -> None:
    with Transaction(gateway) as tx:
        tx.check(Job, {"tenant_id": "t1", "job_id": "j1"}, condition)
        tx.update(Job, {"tenant_id": "t1", "job_id": "j1"}, _rename())


Use = Callable[[TableGateway, Condition], object]

USES: dict[str, Use] = {
    "query filter": lambda g, c: ReadApi[Job](g, clock=at_t0, cursor_secret=SECRET).query(
        tenant_id="t1", filter=c
    ),
    "index query filter": lambda g, c: ReadApi[Job](g, clock=at_t0, cursor_secret=SECRET).query(
        index="enabled-index", enabled=True, filter=c
    ),
    "scan filter": lambda g, c: ReadApi[Job](g, clock=at_t0, cursor_secret=SECRET).scan(filter=c),
    "count filter": lambda g, c: ReadApi[Job](g, clock=at_t0).count(tenant_id="t1", filter=c),
    "update condition": lambda g, c: WriteApi[Job](g).update(
        {"tenant_id": "t1", "job_id": "j1"}, _rename(), condition=c
    ),
    "put condition": lambda g, c: WriteApi[Job](g).put(
        JOB.model_copy(update={"name": "renamed"}), condition=c
    ),
    "delete condition": lambda g, c: WriteApi[Job](g).delete(
        {"tenant_id": "t1", "job_id": "j1"}, condition=c
    ),
    "transaction check": _check,
}


@pytest.mark.parametrize("condition", list(WRONG.values()), ids=list(WRONG))
def test_a_wrong_typed_value_is_refused_before_sending(
    condition: Condition, jobs: TableGateway, ddb_client: DynamoDBClient, sent: list[str]
) -> None:
    sent.clear()
    with pytest.raises(ValidationError) as info:
        ReadApi[Job](jobs, clock=at_t0, cursor_secret=SECRET).query(
            tenant_id="t1", filter=condition
        )
    assert isinstance(info.value, DdbwrapError)
    assert info.value.model == "Job"
    assert info.value.field is not None
    assert sent == []


@pytest.mark.parametrize("use", list(USES.values()), ids=list(USES))
@pytest.mark.parametrize(
    "condition",
    [WRONG["int == str"], WRONG["enum == unknown value"], WRONG["nested int == str"]],
    ids=["int == str", "enum unknown", "nested"],
)
def test_every_read_and_write_that_takes_a_condition_refuses_it_and_writes_nothing(
    use: Use,
    condition: Condition,
    jobs: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    before = stored(ddb_client, jobs)
    sent.clear()
    with pytest.raises(ValidationError) as info:
        use(jobs, condition)
    assert info.value.model == "Job"
    assert sent == []
    assert stored(ddb_client, jobs) == before


def test_the_error_names_the_model_field_type_and_the_escape_hatch(jobs: TableGateway) -> None:
    with pytest.raises(ValidationError) as info:
        ReadApi[Job](jobs, clock=at_t0, cursor_secret=SECRET).query(
            tenant_id="t1", filter=Attr("size") == "5"
        )
    assert (info.value.model, info.value.field) == ("Job", "size")
    message = str(info.value)
    assert "it holds int" in message
    assert "not a str" in message
    assert "match nothing" in message
    assert "Attr.foreign('size')" in message


@pytest.mark.parametrize("condition", list(RIGHT.values()), ids=list(RIGHT))
def test_a_value_of_the_fields_type_matches_the_stored_item(
    condition: Condition, jobs: TableGateway
) -> None:
    found = ReadApi[Job](jobs, clock=at_t0, cursor_secret=SECRET).query(
        tenant_id="t1", filter=condition
    )
    assert [job.job_id for job in found.items] == ["j1"]


def test_foreign_attributes_are_filtered_as_written(
    jobs: TableGateway, ddb_client: DynamoDBClient
) -> None:
    """The .NET service adds ``LegacyFlag`` (and a map) to the item; pp_ai filters on them."""
    ddb_client.update_item(
        TableName=jobs.physical_table_name("jobs"),
        Key={"tenant_id": {"S": "t1"}, "job_id": {"S": "j1"}},
        UpdateExpression="SET LegacyFlag = :f, Extra = :m",
        ExpressionAttributeValues={":f": {"S": "x"}, ":m": {"M": {"level": {"N": "3"}}}},
    )
    reads = ReadApi[Job](jobs, clock=at_t0, cursor_secret=SECRET)
    assert [j.job_id for j in reads.query(tenant_id="t1", filter=Attr.foreign("LegacyFlag") == "x")]
    assert [j.job_id for j in reads.scan(filter=Attr.foreign("Extra.level") >= 3)] == ["j1"]
    assert reads.query(tenant_id="t1", filter=Attr.foreign("LegacyFlag") == "y").items == ()
    # untyped, as in plain DynamoDB: a value of another type matches nothing, silently
    assert reads.query(tenant_id="t1", filter=Attr.foreign("Extra.level") == "3").items == ()
    WriteApi[Job](jobs).delete(
        {"tenant_id": "t1", "job_id": "j1"}, condition=Attr.foreign("LegacyFlag").exists()
    )
    assert reads.get(tenant_id="t1", job_id="j1") is None


@pytest.mark.parametrize("name", ["size", "limits.max_runs", "tenant_id"])
def test_foreign_refuses_a_name_the_model_declares(
    name: str, jobs: TableGateway, sent: list[str]
) -> None:
    sent.clear()
    with pytest.raises(ValidationError, match="is not foreign") as info:
        ReadApi[Job](jobs, clock=at_t0, cursor_secret=SECRET).scan(filter=Attr.foreign(name) == "5")
    assert info.value.model == "Job"
    assert sent == []


def test_an_unknown_name_without_foreign_is_still_a_typo(jobs: TableGateway) -> None:
    with pytest.raises(ValidationError, match="has no field 'LegacyFlag'"):
        ReadApi[Job](jobs, clock=at_t0, cursor_secret=SECRET).scan(filter=Attr("LegacyFlag") == "x")
