"""WriteApi against DynamoDB Local: what each write stores, keeps, refuses and returns."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
import pytest
from pydantic import Field

from ddbwrap import (
    GSI,
    AlreadyExistsError,
    ConditionFailedError,
    DomainModel,
    ItemNotFoundError,
    KeyTemplate,
    UniqueConstraintError,
    ValidationError,
    VersionConflictError,
)
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.write import ANY_VERSION, CreateDTO, UpdateDTO, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    stage: str = "dev"
    name: Annotated[str, Field(max_length=20)]
    is_active: bool = True
    tags: set[str] = set()
    steps: list[str] = []
    note: str | None = None
    runs: int = 0
    expires_at: dt.datetime | None = None
    version: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    class Meta:
        table_name = "pipelines"
        partition_key = "pipeline_id"
        version_attribute = "version"
        ttl_attribute = "expires_at"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"
        gsis = (
            GSI("active-index", partition_key="is_active"),
            GSI("tenant-stage", partition_key=KeyTemplate("gsi2pk", "T#{tenant_id}#S#{stage}")),
        )


class Member(DomainModel):
    member_id: str
    email: str
    name: str = ""

    class Meta:
        table_name = "members"
        partition_key = "member_id"
        unique = ("email",)


class Tally(DomainModel):
    tally_id: str
    count: int = 0
    created_at: dt.datetime | None = None

    class Meta:
        table_name = "tallies"
        partition_key = "tally_id"
        created_at_attribute = "created_at"


class TenantUser(DomainModel):
    tenant_id: str
    user_id: str
    role: str = "member"

    class Meta:
        table_name = "tenant_users"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}#USER#{user_id}")


class RoleChange(UpdateDTO[TenantUser]):
    role: str


class NewPipeline(CreateDTO[Pipeline]):
    pipeline_id: str
    tenant_id: str
    name: str
    expires_at: dt.datetime | None = None


class PipelineEdit(UpdateDTO[Pipeline]):
    name: str | None = None
    note: str | None = None
    is_active: bool | None = None
    tenant_id: str | None = None
    stage: str | None = None


class MemberEdit(UpdateDTO[Member]):
    email: str | None = None
    name: str | None = None


class Clock:
    """A settable clock."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def gateway(ddb_tables: TableFactory) -> TableGateway:
    return ddb_tables(Pipeline, Member, Tally, TenantUser)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pipelines(gateway: TableGateway, clock: Clock) -> WriteApi[Pipeline]:
    return WriteApi[Pipeline](gateway, clock=clock)


@pytest.fixture
def members(gateway: TableGateway) -> WriteApi[Member]:
    return WriteApi[Member](gateway)


def raw(client: DynamoDBClient, gateway: TableGateway, table: str, **key: str) -> dict[str, Any]:
    """The stored item as DynamoDB holds it (read with boto3, bypassing ddbwrap)."""
    response = client.get_item(
        TableName=gateway.physical_table_name(table),
        Key={name: {"S": value} for name, value in key.items()},
        ConsistentRead=True,
    )
    return dict(response.get("Item", {}))


def other_service_writes(client: DynamoDBClient, gateway: TableGateway, pipeline_id: str) -> None:
    """Another service (e.g. the .NET API) adds an attribute the model does not know."""
    client.update_item(
        TableName=gateway.physical_table_name("pipelines"),
        Key={"pipeline_id": {"S": pipeline_id}},
        UpdateExpression="SET #d = :d",
        ExpressionAttributeNames={"#d": "DotNetOnly"},
        ExpressionAttributeValues={":d": {"S": "keep me"}},
    )


def new(pipelines: WriteApi[Pipeline], pipeline_id: str = "p1", **extra: Any) -> Pipeline:
    return pipelines.create(
        NewPipeline(pipeline_id=pipeline_id, tenant_id="t1", name="Build", **extra)
    )


# --- create ---------------------------------------------------------------------------------


def test_create_returns_the_stored_item(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    assert (created.pipeline_id, created.version, created.created_at) == ("p1", 1, NOW)


def test_create_refuses_to_overwrite(pipelines: WriteApi[Pipeline]) -> None:
    new(pipelines)
    with pytest.raises(AlreadyExistsError, match="pipeline_id='p1'"):
        new(pipelines)


def test_create_refusal_carries_the_existing_item(pipelines: WriteApi[Pipeline]) -> None:
    new(pipelines)
    with pytest.raises(AlreadyExistsError) as caught:
        pipelines.create(Pipeline(pipeline_id="p1", tenant_id="t2", name="Other"))
    assert isinstance(caught.value.item, Pipeline)
    assert caught.value.item.tenant_id == "t1"


def test_create_from_instance_stores_version_one(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    pipelines.create(Pipeline(pipeline_id="p1", tenant_id="t1", name="B", version=9))
    assert raw(ddb_client, gateway, "pipelines", pipeline_id="p1")["version"] == {"N": "1"}


def test_create_stores_ttl_as_a_number(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    new(pipelines, expires_at=expires)
    stored = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    assert stored["expires_at"] == {"N": "1893456000"}


def test_ttl_reads_back_as_the_same_instant(pipelines: WriteApi[Pipeline]) -> None:
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    new(pipelines, expires_at=expires)
    updated = pipelines.update({"pipeline_id": "p1"}, PipelineEdit(note="n"), expected_version=1)
    assert updated.expires_at == expires


def test_update_builder_stores_ttl_as_a_number(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    new(pipelines)
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    pipelines.update(
        {"pipeline_id": "p1"}, Update().set("expires_at", expires), expected_version=1
    )
    stored = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    assert stored["expires_at"] == {"N": "1893456000"}


def test_condition_on_ttl_compares_epoch_seconds(pipelines: WriteApi[Pipeline]) -> None:
    new(pipelines, expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    later = dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)
    updated = pipelines.update(
        {"pipeline_id": "p1"},
        PipelineEdit(note="still valid"),
        condition=Attr("expires_at") < later,
        expected_version=1,
    )
    assert updated.note == "still valid"


def test_create_stores_bool_index_key_as_text(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    pipelines.create(Pipeline(pipeline_id="p1", tenant_id="t1", name="B", is_active=False))
    assert raw(ddb_client, gateway, "pipelines", pipeline_id="p1")["is_active"] == {"S": "false"}


def test_create_with_a_value_the_model_refuses_is_rejected_before_sending() -> None:
    with pytest.raises(pydantic.ValidationError, match="at most 20 characters"):
        NewPipeline(pipeline_id="p1", tenant_id="t1", name="x" * 21)


# --- update ---------------------------------------------------------------------------------


def test_update_returns_the_updated_item(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    updated = pipelines.update(created, PipelineEdit(name="Deploy"))
    assert (updated.name, updated.version) == ("Deploy", 2)


def test_update_leaves_attributes_of_other_services_untouched(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    created = new(pipelines)
    other_service_writes(ddb_client, gateway, "p1")
    pipelines.update(created, PipelineEdit(name="Deploy"))
    stored = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    assert stored["DotNetOnly"] == {"S": "keep me"}


def test_update_leaves_fields_outside_the_dto_untouched(
    pipelines: WriteApi[Pipeline],
    gateway: TableGateway,
    ddb_client: DynamoDBClient,
    clock: Clock,
) -> None:
    created = new(pipelines)
    before = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    clock.now = NOW + dt.timedelta(seconds=1)
    pipelines.update(created, PipelineEdit(note="hello"))
    after = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"note", "version", "updated_at"}


def test_update_with_explicit_none_removes_the_attribute(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    created = pipelines.update(new(pipelines), PipelineEdit(note="hello"))
    pipelines.update(created, PipelineEdit(note=None))
    assert "note" not in raw(ddb_client, gateway, "pipelines", pipeline_id="p1")


def test_update_of_a_missing_item_raises_item_not_found(pipelines: WriteApi[Pipeline]) -> None:
    with pytest.raises(ItemNotFoundError, match="pipeline_id='nope'"):
        pipelines.update({"pipeline_id": "nope"}, PipelineEdit(name="X"), expected_version=1)


def test_update_of_a_missing_item_writes_nothing(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    with pytest.raises(ItemNotFoundError):
        pipelines.update({"pipeline_id": "nope"}, PipelineEdit(name="X"), expected_version=1)
    assert raw(ddb_client, gateway, "pipelines", pipeline_id="nope") == {}


def test_update_with_stale_version_is_a_version_conflict(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    pipelines.update(created, PipelineEdit(name="First"))
    with pytest.raises(VersionConflictError) as caught:
        pipelines.update(created, PipelineEdit(name="Second"))
    assert (caught.value.expected, caught.value.current) == (1, 2)


def test_version_conflict_carries_the_current_item(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    pipelines.update(created, PipelineEdit(name="First"))
    with pytest.raises(VersionConflictError) as caught:
        pipelines.update(created, PipelineEdit(name="Second"))
    assert isinstance(caught.value.item, Pipeline)
    assert caught.value.item.name == "First"


def test_update_with_builder_counts_appends_and_adds(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    changes = Update().increment("runs", 2).append("steps", ["lint"]).add("tags", {"ci"})
    updated = pipelines.update(created, changes)
    assert (updated.runs, updated.steps, updated.tags) == (2, ["lint"], {"ci"})


def test_update_with_builder_removes_set_elements(pipelines: WriteApi[Pipeline]) -> None:
    created = pipelines.update(new(pipelines), Update().add("tags", {"a", "b"}))
    updated = pipelines.update(created, Update().delete("tags", {"a"}))
    assert updated.tags == {"b"}


def test_update_of_template_parts_rebuilds_the_index_key(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    created = new(pipelines)
    pipelines.update(created, PipelineEdit(tenant_id="t2", stage="prod"))
    stored = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    assert stored["gsi2pk"] == {"S": "T#t2#S#prod"}


def test_update_of_one_template_part_is_refused(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    with pytest.raises(ValidationError, match="set stage too"):
        pipelines.update(created, PipelineEdit(tenant_id="t2"))


def test_update_of_bool_index_key_stores_text(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    pipelines.update(new(pipelines), PipelineEdit(is_active=False))
    assert raw(ddb_client, gateway, "pipelines", pipeline_id="p1")["is_active"] == {"S": "false"}


def test_update_sets_updated_at_and_keeps_created_at(
    pipelines: WriteApi[Pipeline], clock: Clock
) -> None:
    created = new(pipelines)
    clock.now = NOW + dt.timedelta(hours=1)
    updated = pipelines.update(created, PipelineEdit(name="Later"))
    assert (updated.created_at, updated.updated_at) == (NOW, clock.now)


def test_failed_condition_names_write_and_condition(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    with pytest.raises(ConditionFailedError) as caught:
        pipelines.update(created, PipelineEdit(name="X"), condition=Attr("runs") > 5)
    message = caught.value.message
    assert "update of Pipeline {pipeline_id='p1'}" in message
    assert "Attr('runs') > 5" in message


def test_failed_condition_carries_the_current_item(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    with pytest.raises(ConditionFailedError) as caught:
        pipelines.update(created, PipelineEdit(name="X"), condition=Attr("runs") > 5)
    assert caught.value.item == created


def test_upsert_creates_a_missing_item(pipelines: WriteApi[Pipeline]) -> None:
    class Upsert(UpdateDTO[Pipeline]):
        tenant_id: str | None = None
        stage: str | None = None
        name: str | None = None

    dto = Upsert(tenant_id="t1", stage="dev", name="Fresh")
    made = pipelines.update({"pipeline_id": "p9"}, dto, expected_version=0, upsert=True)
    assert (made.name, made.version) == ("Fresh", 1)


def test_upsert_updates_an_existing_item(pipelines: WriteApi[Pipeline]) -> None:
    new(pipelines)
    made = pipelines.update(
        {"pipeline_id": "p1"}, PipelineEdit(name="Again"), expected_version=1, upsert=True
    )
    assert (made.name, made.tenant_id, made.version) == ("Again", "t1", 2)


def test_upsert_with_builder_creates_a_missing_item(gateway: TableGateway, clock: Clock) -> None:
    tallies = WriteApi[Tally](gateway, clock=clock)
    made = tallies.update({"tally_id": "t"}, Update().increment("count", 5), upsert=True)
    assert (made.count, made.created_at) == (5, NOW)


def test_upsert_with_builder_updates_an_existing_item(gateway: TableGateway) -> None:
    tallies = WriteApi[Tally](gateway)
    tallies.update({"tally_id": "t"}, Update().increment("count", 5), upsert=True)
    made = tallies.update({"tally_id": "t"}, Update().increment("count", 2), upsert=True)
    assert made.count == 7


def test_upsert_with_builder_of_an_item_it_cannot_create_is_refused(
    pipelines: WriteApi[Pipeline],
) -> None:
    with pytest.raises(ValidationError, match="without name, tenant_id"):
        pipelines.update(
            {"pipeline_id": "p9"}, Update().increment("runs"), expected_version=0, upsert=True
        )


def test_upsert_that_cannot_make_a_valid_item_is_refused(pipelines: WriteApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="tenant_id"):
        pipelines.update(
            {"pipeline_id": "p9"}, PipelineEdit(note="n"), expected_version=0, upsert=True
        )


def test_modify_reads_and_writes_with_the_version_read(pipelines: WriteApi[Pipeline]) -> None:
    new(pipelines)
    done = pipelines.modify({"pipeline_id": "p1"}, lambda p: PipelineEdit(note=f"{p.runs}!"))
    assert (done.note, done.version) == ("0!", 2)


def test_composite_key_item_is_created_updated_and_deleted(gateway: TableGateway) -> None:
    users = WriteApi[TenantUser](gateway)
    users.create(TenantUser(tenant_id="acme", user_id="u1"))
    key = {"tenant_id": "acme", "user_id": "u1"}
    assert users.update(key, RoleChange(role="admin")).role == "admin"
    assert users.delete(key, return_old=True) == TenantUser(
        tenant_id="acme", user_id="u1", role="admin"
    )


def test_composite_key_needs_every_part(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="user_id: is missing"):
        WriteApi[TenantUser](gateway).update({"tenant_id": "acme"}, RoleChange(role="admin"))


# --- put / replace --------------------------------------------------------------------------


def test_replace_keeps_attributes_of_other_services(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    created = new(pipelines)
    other_service_writes(ddb_client, gateway, "p1")
    pipelines.replace(created.model_copy(update={"name": "Replaced", "note": "n"}))
    stored = raw(ddb_client, gateway, "pipelines", pipeline_id="p1")
    assert (stored["DotNetOnly"], stored["name"]) == ({"S": "keep me"}, {"S": "Replaced"})


def test_put_keeps_attributes_of_other_services(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    created = new(pipelines)
    other_service_writes(ddb_client, gateway, "p1")
    pipelines.put(created.model_copy(update={"name": "Put"}))
    assert raw(ddb_client, gateway, "pipelines", pipeline_id="p1")["DotNetOnly"] == {"S": "keep me"}


def test_replace_removes_model_fields_the_instance_clears(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    created = pipelines.update(new(pipelines), Update().add("tags", {"x"}))
    pipelines.replace(created.model_copy(update={"tags": set()}))
    assert "tags" not in raw(ddb_client, gateway, "pipelines", pipeline_id="p1")


def test_replace_of_a_missing_item_raises_item_not_found(pipelines: WriteApi[Pipeline]) -> None:
    with pytest.raises(ItemNotFoundError):
        pipelines.replace(Pipeline(pipeline_id="p1", tenant_id="t1", name="B", version=1))


def test_replace_with_stale_version_is_a_version_conflict(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    pipelines.replace(created.model_copy(update={"name": "One"}))
    with pytest.raises(VersionConflictError):
        pipelines.replace(created.model_copy(update={"name": "Two"}))


def test_put_of_a_new_instance_creates_it(pipelines: WriteApi[Pipeline]) -> None:
    made = pipelines.put(Pipeline(pipeline_id="p2", tenant_id="t1", name="B"))
    assert (made.version, made.created_at) == (1, NOW)


def test_put_of_a_never_saved_instance_over_a_stored_one_conflicts(
    pipelines: WriteApi[Pipeline],
) -> None:
    new(pipelines)
    with pytest.raises(VersionConflictError):
        pipelines.put(Pipeline(pipeline_id="p1", tenant_id="t1", name="B"))


def test_replace_keeps_created_at(pipelines: WriteApi[Pipeline], clock: Clock) -> None:
    created = new(pipelines)
    clock.now = NOW + dt.timedelta(days=1)
    replaced = pipelines.replace(created.model_copy(update={"created_at": clock.now}))
    assert replaced.created_at == NOW


# --- delete ---------------------------------------------------------------------------------


def test_delete_returns_the_old_item(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    assert pipelines.delete(created, return_old=True) == created


def test_delete_removes_the_item(
    pipelines: WriteApi[Pipeline], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    pipelines.delete(new(pipelines))
    assert raw(ddb_client, gateway, "pipelines", pipeline_id="p1") == {}


def test_delete_of_a_missing_item_returns_none(pipelines: WriteApi[Pipeline]) -> None:
    old = pipelines.delete({"pipeline_id": "p1"}, expected_version=ANY_VERSION, return_old=True)
    assert old is None


def test_delete_with_failed_condition_keeps_the_item(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    with pytest.raises(ConditionFailedError, match="delete of Pipeline"):
        pipelines.delete(created, condition=Attr("is_active") == False)  # noqa: E712
    assert pipelines.delete(created, return_old=True) == created


def test_delete_with_stale_version_is_a_version_conflict(pipelines: WriteApi[Pipeline]) -> None:
    created = new(pipelines)
    pipelines.update(created, PipelineEdit(name="Newer"))
    with pytest.raises(VersionConflictError):
        pipelines.delete(created)


# --- unique fields --------------------------------------------------------------------------


def guards(client: DynamoDBClient, gateway: TableGateway) -> dict[str, dict[str, Any]]:
    """Every guard item of the members table, by guard key."""
    items = client.scan(TableName=gateway.physical_table_name("members-unique"))["Items"]
    return {item["pk"]["S"]: dict(item) for item in items}


def test_create_claims_the_unique_value(
    members: WriteApi[Member], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    assert list(guards(ddb_client, gateway)) == ["Member#email#ada@x"]


def test_create_with_a_taken_unique_value_raises_naming_it(members: WriteApi[Member]) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    with pytest.raises(UniqueConstraintError) as caught:
        members.create(Member(member_id="m2", email="ada@x"))
    assert (caught.value.field, caught.value.value) == ("email", "ada@x")


def test_create_with_a_taken_unique_value_writes_nothing(
    members: WriteApi[Member], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    with pytest.raises(UniqueConstraintError):
        members.create(Member(member_id="m2", email="ada@x"))
    assert raw(ddb_client, gateway, "members", member_id="m2") == {}


def test_update_of_a_unique_value_swaps_the_guard(
    members: WriteApi[Member], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    members.update({"member_id": "m1"}, MemberEdit(email="lovelace@x"))
    assert list(guards(ddb_client, gateway)) == ["Member#email#lovelace@x"]


def test_update_to_a_taken_unique_value_changes_nothing(
    members: WriteApi[Member], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    members.create(Member(member_id="m2", email="bob@x"))
    with pytest.raises(UniqueConstraintError):
        members.update({"member_id": "m2"}, MemberEdit(email="ada@x"))
    assert raw(ddb_client, gateway, "members", member_id="m2")["email"] == {"S": "bob@x"}
    assert sorted(guards(ddb_client, gateway)) == ["Member#email#ada@x", "Member#email#bob@x"]


def test_update_of_a_unique_value_returns_the_item(members: WriteApi[Member]) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    updated = members.update({"member_id": "m1"}, MemberEdit(email="lovelace@x"))
    assert updated.email == "lovelace@x"


def test_put_changing_a_unique_value_swaps_the_guard(
    members: WriteApi[Member], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    members.put(Member(member_id="m1", email="new@x"))
    assert list(guards(ddb_client, gateway)) == ["Member#email#new@x"]


def test_delete_releases_the_guard(
    members: WriteApi[Member], gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    members.delete({"member_id": "m1"})
    assert guards(ddb_client, gateway) == {}


def test_a_released_value_can_be_claimed_again(members: WriteApi[Member]) -> None:
    members.create(Member(member_id="m1", email="ada@x"))
    members.delete({"member_id": "m1"})
    assert members.create(Member(member_id="m2", email="ada@x")).member_id == "m2"


def test_batch_of_a_model_with_unique_fields_is_refused(members: WriteApi[Member]) -> None:
    with pytest.raises(ValidationError, match="unique guard items"):
        members.batch()


# --- logging --------------------------------------------------------------------------------


def test_write_logs_carry_no_key_or_value(
    pipelines: WriteApi[Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="ddbwrap"):
        created = pipelines.create(
            NewPipeline(pipeline_id="secret-key-42", tenant_id="t1", name="SecretName")
        )
        pipelines.update(created, PipelineEdit(note="SecretNote"))
    assert any(r.name == "ddbwrap.write" for r in caplog.records)  # there are logs...
    assert [v for v in ("secret-key-42", "SecretName", "SecretNote") if v in caplog.text] == []
