"""The pure request builders of the write side: the exact requests, without sending them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

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
from ddbwrap.write import (
    ANY_VERSION,
    CreateDTO,
    StaleUniqueValueError,
    UpdateDTO,
    WriteAction,
    create_plan,
    delete_plan,
    put_plan,
    update_plan,
)
from ddbwrap.write.requests import UNREAD, condition_text, explain_failure

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
NOW_TEXT = "2026-01-02T03:04:05.000000Z"


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    stage: str = "dev"
    name: str
    is_active: bool = True
    tags: set[str] = set()
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
    org: str
    member_id: str
    email: str
    handle: str | None = None

    class Meta:
        table_name = "members"
        partition_key = "org"
        sort_key = "member_id"
        unique = ("email", "handle")


class NewPipeline(CreateDTO[Pipeline]):
    pipeline_id: str
    tenant_id: str
    name: str
    expires_at: dt.datetime | None = None


class PipelineEdit(UpdateDTO[Pipeline]):
    name: str | None = None
    note: str | None = None
    is_active: bool | None = None
    tags: set[str] | None = None
    expires_at: dt.datetime | None = None
    tenant_id: str | None = None
    stage: str | None = None


class MemberEdit(UpdateDTO[Member]):
    email: str | None = None
    handle: str | None = None


KEY = {"pipeline_id": "p1"}


def pipeline(**changes: Any) -> Pipeline:
    values: dict[str, Any] = {"pipeline_id": "p1", "tenant_id": "t1", "name": "Build", **changes}
    return Pipeline(**values)


def resolved(params: dict[str, Any], text: str) -> str:
    """An expression with its ``#n`` placeholders replaced by attribute names (for asserts)."""
    names = params.get("ExpressionAttributeNames", {})
    return re.sub(r"#n\d+", lambda m: names[m.group(0)], text)


def value_of(params: dict[str, Any], expression: str, attribute: str) -> Any:
    """The AttributeValue a ``SET attribute = :v`` action of ``expression`` writes."""
    text = params[expression]
    names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
    match = re.search(re.escape(names[attribute]) + r" = (:v\d+)", text)
    assert match, f"{attribute} is not SET in {text}"
    return params["ExpressionAttributeValues"][match.group(1)]


# --- create ---------------------------------------------------------------------------------


def test_create_from_dto_sends_one_put_refusing_to_overwrite() -> None:
    plan = create_plan(Pipeline, NewPipeline(pipeline_id="p1", tenant_id="t1", name="B"), now=NOW)
    ((operation, params),) = plan.requests()
    assert operation == "PutItem"
    # a TTL model: an expired item (TTL at or before now, not yet deleted) counts as gone
    assert resolved(params, params["ConditionExpression"]) == (
        "(attribute_not_exists(pipeline_id) OR expires_at <= :v0)"
    )
    assert params["ExpressionAttributeValues"][":v0"] == {"N": str(int(NOW.timestamp()))}


def test_create_sets_version_one() -> None:
    plan = create_plan(Pipeline, pipeline(version=7), now=NOW)
    assert plan.main.params["Item"]["version"] == {"N": "1"}


def test_create_sets_both_timestamps_to_now() -> None:
    plan = create_plan(Pipeline, pipeline(), now=NOW)
    item = plan.main.params["Item"]
    assert (item["created_at"], item["updated_at"]) == ({"S": NOW_TEXT}, {"S": NOW_TEXT})


def test_create_returns_the_item_it_stores() -> None:
    plan = create_plan(Pipeline, pipeline(), now=NOW)
    assert plan.item is not None
    assert (plan.item.version, plan.item.created_at) == (1, NOW)


def test_create_stores_ttl_as_epoch_seconds() -> None:
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    plan = create_plan(Pipeline, pipeline(expires_at=expires), now=NOW)
    assert plan.main.params["Item"]["expires_at"] == {"N": str(int(expires.timestamp()))}


def test_create_stores_bool_index_key_as_text() -> None:
    plan = create_plan(Pipeline, pipeline(is_active=False), now=NOW)
    assert plan.main.params["Item"]["is_active"] == {"S": "false"}


def test_create_with_unique_fields_claims_a_guard_per_value() -> None:
    plan = create_plan(Member, Member(org="o", member_id="m", email="a@x", handle="ada"), now=NOW)
    guards = [a.params["Item"]["pk"] for a in plan.actions[1:]]
    assert guards == [{"S": "Member#email#a@x"}, {"S": "Member#handle#ada"}]


def test_create_with_unique_fields_is_one_transaction() -> None:
    plan = create_plan(Member, Member(org="o", member_id="m", email="a@x"), now=NOW)
    ((operation, params),) = plan.requests()
    assert operation == "TransactWriteItems"
    assert [next(iter(a)) for a in params["TransactItems"]] == ["Put", "Put"]


def test_create_guard_names_its_owner() -> None:
    plan = create_plan(Member, Member(org="o", member_id="m", email="a@x"), now=NOW)
    guard = plan.actions[1].params["Item"]
    assert guard["owner_key"] == {"M": {"org": {"S": "o"}, "member_id": {"S": "m"}}}


def test_create_skips_guard_of_a_none_unique_value() -> None:
    plan = create_plan(Member, Member(org="o", member_id="m", email="a@x"), now=NOW)
    assert [a.unique_field for a in plan.actions[1:]] == ["email"]


def test_create_combines_user_condition() -> None:
    plan = create_plan(Pipeline, pipeline(), now=NOW, condition=Attr("runs") < 5)
    params = plan.main.params
    assert resolved(params, params["ConditionExpression"]) == (
        "(attribute_not_exists(pipeline_id) OR expires_at <= :v0) AND (runs < :v1)"
    )


def test_create_refuses_another_models_dto() -> None:
    class NewMember(CreateDTO[Member]):
        org: str
        member_id: str
        email: str

    with pytest.raises(ValidationError, match="CreateDTO\\[Member\\]"):
        create_plan(Pipeline, NewMember(org="o", member_id="m", email="e"), now=NOW)  # type: ignore[arg-type]


# --- update ---------------------------------------------------------------------------------


def test_update_sets_only_the_fields_set() -> None:
    params = update_plan(
        Pipeline, KEY, PipelineEdit(name="X"), now=NOW, expected_version=3
    ).main.params
    assert resolved(params, params["UpdateExpression"]) == (
        "SET name = :v0, updated_at = :v1, version = if_not_exists(version, :v2) + :v3"
    )


def test_update_removes_a_field_set_to_none() -> None:
    plan = update_plan(Pipeline, KEY, PipelineEdit(note=None), now=NOW, expected_version=3)
    params = plan.main.params
    assert "REMOVE note" in resolved(params, params["UpdateExpression"])


def test_update_requires_existence_and_the_expected_version() -> None:
    params = update_plan(
        Pipeline, KEY, PipelineEdit(name="X"), now=NOW, expected_version=3
    ).main.params
    assert resolved(params, params["ConditionExpression"]) == (
        "(attribute_exists(pipeline_id) AND (attribute_not_exists(expires_at) OR "
        "expires_at > :v4)) AND version = :v5"
    )


def test_update_takes_expected_version_from_the_instance() -> None:
    plan = update_plan(Pipeline, pipeline(version=5), PipelineEdit(name="X"), now=NOW)
    assert plan.main.expected_version == 5


def test_update_of_versioned_model_without_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="expected_version="):
        update_plan(Pipeline, KEY, PipelineEdit(name="X"), now=NOW)


def test_update_with_any_version_has_no_version_condition() -> None:
    plan = update_plan(Pipeline, KEY, PipelineEdit(name="X"), now=NOW, expected_version=ANY_VERSION)
    params = plan.main.params
    assert resolved(params, params["ConditionExpression"]) == (
        "(attribute_exists(pipeline_id) AND (attribute_not_exists(expires_at) OR expires_at > :v4))"
    )


def test_update_expected_version_zero_accepts_an_unversioned_item() -> None:
    params = update_plan(
        Pipeline, KEY, PipelineEdit(name="X"), now=NOW, expected_version=0
    ).main.params
    assert "attribute_not_exists(version) OR version = " in resolved(
        params, params["ConditionExpression"]
    )


def test_update_of_bool_index_key_stores_text() -> None:
    plan = update_plan(Pipeline, KEY, PipelineEdit(is_active=False), now=NOW, expected_version=1)
    assert value_of(plan.main.params, "UpdateExpression", "is_active") == {"S": "false"}


def test_update_of_ttl_stores_epoch_seconds() -> None:
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    plan = update_plan(Pipeline, KEY, PipelineEdit(expires_at=expires), now=NOW, expected_version=1)
    assert value_of(plan.main.params, "UpdateExpression", "expires_at") == {"N": "1893456000"}


def test_update_of_all_template_parts_rebuilds_the_key() -> None:
    plan = update_plan(
        Pipeline, KEY, PipelineEdit(tenant_id="t9", stage="prod"), now=NOW, expected_version=1
    )
    assert value_of(plan.main.params, "UpdateExpression", "gsi2pk") == {"S": "T#t9#S#prod"}


def test_update_of_part_of_a_template_is_refused_naming_the_missing_part() -> None:
    with pytest.raises(ValidationError, match="but not stage"):
        update_plan(Pipeline, KEY, PipelineEdit(tenant_id="t9"), now=NOW, expected_version=1)


def test_update_of_empty_set_removes_the_attribute() -> None:
    plan = update_plan(Pipeline, KEY, PipelineEdit(tags=set()), now=NOW, expected_version=1)
    params = plan.main.params
    assert "REMOVE tags" in resolved(params, params["UpdateExpression"])


def test_update_with_nothing_set_is_refused() -> None:
    with pytest.raises(ValidationError, match="sets no field"):
        update_plan(Pipeline, KEY, PipelineEdit(), now=NOW, expected_version=1)


def test_update_with_builder_merges_server_fields() -> None:
    plan = update_plan(
        Pipeline, KEY, Update().increment("runs").add("tags", {"a"}), now=NOW, expected_version=1
    )
    params = plan.main.params
    assert resolved(params, params["UpdateExpression"]) == (
        "SET runs = if_not_exists(runs, :v0) + :v1, updated_at = :v3, "
        "version = if_not_exists(version, :v4) + :v5 ADD tags :v2"
    )


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (Update().set("version", 9), "server-managed"),
        (Update().set("stage", "prod"), "key template"),
    ],
)
def test_update_builder_on_a_guarded_field_is_refused(update: Update, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        update_plan(Pipeline, KEY, update, now=NOW, expected_version=1)


def test_update_builder_on_a_unique_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="is unique"):
        update_plan(Member, {"org": "o", "member_id": "m"}, Update().set("email", "e"), now=NOW)


def test_update_key_with_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a field of Pipeline; the primary key is"):
        update_plan(
            Pipeline,
            {"pipeline_id": "p1", "x": 1},
            PipelineEdit(name="X"),
            now=NOW,
            expected_version=1,
        )


def test_update_key_with_wrong_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="pipeline_id: key value 5 is not valid"):
        update_plan(
            Pipeline, {"pipeline_id": 5}, PipelineEdit(name="X"), now=NOW, expected_version=1
        )


def test_update_changing_a_unique_value_swaps_guards() -> None:
    current = {"org": {"S": "o"}, "member_id": {"S": "m"}, "email": {"S": "old@x"}}
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="new@x"), now=NOW, current=current
    )
    assert [(a.operation, a.unique_value) for a in plan.actions[1:]] == [
        ("release", "old@x"),
        ("claim", "new@x"),
    ]


def test_update_changing_a_unique_value_asserts_the_value_read() -> None:
    current = {"org": {"S": "o"}, "member_id": {"S": "m"}, "email": {"S": "old@x"}}
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="new@x"), now=NOW, current=current
    )
    params = plan.main.params
    assert "email = :v" in resolved(params, params["ConditionExpression"])


def test_release_of_a_guard_is_conditioned_on_ownership() -> None:
    current = {"org": {"S": "o"}, "member_id": {"S": "m"}, "email": {"S": "old@x"}}
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="new@x"), now=NOW, current=current
    )
    release = plan.actions[1].params
    assert resolved(release, release["ConditionExpression"]) == (
        "attribute_not_exists(pk) OR owner = :v0"
    )


def test_update_keeping_a_unique_value_moves_no_guard() -> None:
    current = {"org": {"S": "o"}, "member_id": {"S": "m"}, "email": {"S": "same@x"}}
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="same@x"), now=NOW, current=current
    )
    assert len(plan.actions) == 1


def test_update_of_unique_value_without_reading_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs the stored item"):
        update_plan(Member, {"org": "o", "member_id": "m"}, MemberEdit(email="e"), now=NOW)


def test_guard_of_a_number_uses_its_canonical_text() -> None:
    from ddbwrap.write.unique import value_text

    assert (value_text({"N": "1.50"}), value_text({"N": "100"})) == ("1.5", "100")


# --- put / replace --------------------------------------------------------------------------


def test_put_is_an_update_item_setting_every_field() -> None:
    plan = put_plan(Pipeline, pipeline(note="n"), now=NOW)
    ((operation, params),) = plan.requests()
    assert operation == "UpdateItem"
    assert value_of(params, "UpdateExpression", "note") == {"S": "n"}


def test_put_removes_model_attributes_the_instance_leaves_out() -> None:
    params = put_plan(Pipeline, pipeline(expires_at=None), now=NOW).main.params
    # note is None: omitted like an empty set, so REMOVEd too
    assert "REMOVE expires_at, note, tags" in resolved(params, params["UpdateExpression"])


def test_put_keeps_a_stored_created_at() -> None:
    params = put_plan(Pipeline, pipeline(), now=NOW).main.params
    assert "created_at = if_not_exists(created_at, :v" in resolved(
        params, params["UpdateExpression"]
    )


def test_put_of_a_never_saved_instance_expects_no_version() -> None:
    params = put_plan(Pipeline, pipeline(), now=NOW).main.params
    assert "(attribute_not_exists(version) OR version = " in resolved(
        params, params["ConditionExpression"]
    )


def test_replace_requires_existence() -> None:
    params = put_plan(Pipeline, pipeline(version=2), now=NOW, must_exist=True).main.params
    assert resolved(params, params["ConditionExpression"]).startswith(
        "(attribute_exists(pipeline_id) AND (attribute_not_exists(expires_at) OR expires_at > "
    )


def test_put_asks_for_the_new_item() -> None:
    ((_, params),) = put_plan(Pipeline, pipeline(), now=NOW).requests()
    assert params["ReturnValues"] == "ALL_NEW"


# --- delete ---------------------------------------------------------------------------------


def test_delete_with_expected_version_checks_it() -> None:
    params = delete_plan(Pipeline, KEY, expected_version=4).main.params
    assert resolved(params, params["ConditionExpression"]) == "version = :v0"


def test_delete_returning_old_asks_for_it() -> None:
    ((_, params),) = delete_plan(Pipeline, KEY, expected_version=4, return_old=True).requests()
    assert params["ReturnValues"] == "ALL_OLD"


def test_delete_releases_every_guard_of_the_stored_item() -> None:
    current = {
        "org": {"S": "o"},
        "member_id": {"S": "m"},
        "email": {"S": "a@x"},
        "handle": {"S": "ada"},
    }
    plan = delete_plan(Member, {"org": "o", "member_id": "m"}, current=current)
    assert [(a.kind, a.unique_field) for a in plan.actions[1:]] == [
        ("Delete", "email"),
        ("Delete", "handle"),
    ]


def test_delete_of_unique_model_without_reading_is_refused() -> None:
    with pytest.raises(ValidationError, match="release its unique guards"):
        delete_plan(Member, {"org": "o", "member_id": "m"}, current=UNREAD)


# --- failures -------------------------------------------------------------------------------


def main_action(**overrides: Any) -> WriteAction:
    plan = update_plan(Pipeline, KEY, PipelineEdit(name="X"), now=NOW, expected_version=3)
    values = {**plan.main.__dict__, **overrides}
    return WriteAction(**values)


STORED = {
    "pipeline_id": {"S": "p1"},
    "tenant_id": {"S": "t1"},
    "name": {"S": "Build"},
    "version": {"N": "4"},
}


def test_failure_on_a_missing_item_is_not_found() -> None:
    assert isinstance(explain_failure(main_action(), None), ItemNotFoundError)


def test_failure_with_another_version_is_a_version_conflict() -> None:
    error = explain_failure(main_action(), STORED)
    assert isinstance(error, VersionConflictError)
    assert (error.expected, error.current) == (3, 4)


def test_version_conflict_carries_the_current_item_decoded() -> None:
    error = explain_failure(main_action(), STORED)
    assert isinstance(error.item, Pipeline)


def test_failure_of_create_on_an_existing_item_is_already_exists() -> None:
    action = create_plan(Pipeline, pipeline(), now=NOW).main
    error = explain_failure(action, STORED)
    assert isinstance(error, AlreadyExistsError)
    assert "pipeline_id='p1'" in error.message


def test_failure_of_the_user_condition_names_it() -> None:
    action = main_action(expected_version=4, condition=condition_text(Attr("runs") > 5))
    error = explain_failure(action, STORED)
    assert type(error) is ConditionFailedError
    assert "Attr('runs') > 5" in error.message


def test_failure_of_a_guard_claim_is_a_unique_constraint_error() -> None:
    plan = create_plan(Member, Member(org="o", member_id="m", email="a@x"), now=NOW)
    error = explain_failure(plan.actions[1], {"pk": {"S": "Member#email#a@x"}})
    assert isinstance(error, UniqueConstraintError)
    assert (error.field, error.value) == ("email", "a@x")


def test_failure_after_the_unique_value_changed_is_stale() -> None:
    current = {"org": {"S": "o"}, "member_id": {"S": "m"}, "email": {"S": "old@x"}}
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="new@x"), now=NOW, current=current
    )
    changed = {**current, "email": {"S": "other@x"}}
    assert isinstance(explain_failure(plan.main, changed), StaleUniqueValueError)


def test_condition_text_reads_like_the_builder() -> None:
    condition = (Attr("a") == 1) & ~Attr("b").exists()
    assert condition_text(condition) == "(Attr('a') == 1) & (~(Attr('b').exists()))"


def test_upsert_with_builder_that_would_store_an_unreadable_item_is_refused() -> None:
    with pytest.raises(ValidationError, match="without name, tenant_id"):
        update_plan(
            Pipeline, KEY, Update().increment("runs"), now=NOW, expected_version=0, must_exist=False
        )


class Tally(DomainModel):
    tally_id: str
    count: int = 0
    created_at: dt.datetime | None = None

    class Meta:
        table_name = "tallies"
        partition_key = "tally_id"
        created_at_attribute = "created_at"


def test_upsert_with_builder_sets_created_at_only_when_missing() -> None:
    changes = Update().increment("count")
    plan = update_plan(Tally, {"tally_id": "t"}, changes, now=NOW, must_exist=False)
    params = plan.main.params
    assert "created_at = if_not_exists(created_at, :v" in resolved(
        params, params["UpdateExpression"]
    )


def test_update_builder_on_a_key_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="primary key"):
        update_plan(Pipeline, KEY, Update().set("pipeline_id", "p2"), now=NOW, expected_version=1)


class Aliased(DomainModel):
    aliased_id: str = Field(alias="Id")
    display_name: str = Field(alias="DisplayName")

    class Meta:
        table_name = "aliased"
        partition_key = "aliased_id"


class NewAliased(CreateDTO[Aliased]):
    aliased_id: str
    display_name: str


class RenameAliased(UpdateDTO[Aliased]):
    display_name: str


def test_create_from_dto_stores_aliased_attribute_names() -> None:
    plan = create_plan(Aliased, NewAliased(aliased_id="a", display_name="Ada"), now=NOW)
    assert plan.main.params["Item"] == {"Id": {"S": "a"}, "DisplayName": {"S": "Ada"}}


def test_update_writes_the_aliased_attribute_name() -> None:
    plan = update_plan(Aliased, {"aliased_id": "a"}, RenameAliased(display_name="Bo"), now=NOW)
    params = plan.main.params
    assert resolved(params, params["UpdateExpression"]) == "SET DisplayName = :v0"


# --- one engine: plans keep their expression as data ----------------------------------------


def test_a_plan_keeps_the_expression_its_request_was_rendered_from() -> None:
    plan = update_plan(Pipeline, KEY, PipelineEdit(name="X"), now=NOW, expected_version=3)
    assert plan.main.expression is not None
    params = plan.main.expression.render({}, update=True)
    assert params == {k: v for k, v in plan.main.params.items() if k not in ("TableName", "Key")}


def test_the_callers_changes_come_before_the_server_managed_actions() -> None:
    plan = update_plan(Pipeline, KEY, Update().increment("runs"), now=NOW, expected_version=3)
    assert plan.main.expression is not None
    forms = [(a.form, a.path) for a in plan.main.expression.updates]
    assert forms == [
        ("increment", ("runs",)),
        ("set", ("updated_at",)),
        ("increment", ("version",)),
    ]


def test_a_put_sets_the_server_managed_attributes_before_the_items() -> None:
    plan = put_plan(Pipeline, pipeline(version=2), now=NOW)
    assert plan.main.expression is not None
    assert [a.path for a in plan.main.expression.updates[:2]] == [("version",), ("created_at",)]


def test_a_guard_action_has_no_item_expression() -> None:
    plan = create_plan(Member, Member(org="o", member_id="m", email="a@x"), now=NOW)
    assert plan.actions[1].expression is None


def test_update_of_a_unique_value_read_as_missing_requires_the_item_still_missing() -> None:
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="e@x"), now=NOW, current=None
    )
    params = plan.main.params
    assert "attribute_not_exists(org)" in resolved(params, params["ConditionExpression"])


def test_update_created_meanwhile_after_reading_no_item_is_stale() -> None:
    plan = update_plan(
        Member, {"org": "o", "member_id": "m"}, MemberEdit(email="e@x"), now=NOW, current=None
    )
    created = {"org": {"S": "o"}, "member_id": {"S": "m"}, "email": {"S": "x@x"}}
    assert isinstance(explain_failure(plan.main, created), StaleUniqueValueError)
