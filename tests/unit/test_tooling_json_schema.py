"""JSON Schema export: valid draft 2020-12, and it accepts (only) items as the codec stores them."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer
from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field, computed_field

from ddbwrap import GSI, DomainModel, KeyTemplate, codec_for
from ddbwrap.tooling.json_schema import (
    json_schema_bundle,
    json_schema_document,
    source_model,
    stored_json_schema,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(FIXTURES))
    return importlib.import_module("models_sample")


def plain_json(value: Any) -> Any:
    """An item's decoded value as JSON data: sets as sorted arrays, bytes as base64."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain_json(v) for v in value), key=repr)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode()  # type: ignore[attr-defined]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def stored_item(model: type[BaseModel], instance: BaseModel) -> dict[str, Any]:
    """Encode with the codec, decode with boto3's TypeDeserializer, as plain JSON."""
    raw: dict[str, Any] = codec_for(model).encode(instance)
    deserializer = TypeDeserializer()
    return {name: plain_json(deserializer.deserialize(av)) for name, av in raw.items()}


def validator(model: type[BaseModel]) -> Draft202012Validator:
    schema = stored_json_schema(model)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def full_goal(sample: ModuleType) -> BaseModel:
    goal: BaseModel = sample.Goal(
        goal_id="g-1",
        tenant_id="t-1",
        owner_id="u-1",
        title="Run a marathon",
        status=sample.GoalStatus.ACTIVE,
        is_active=False,
        progress=Decimal("12.5"),
        tags={"health", "sport"},
        milestones=[sample.Milestone(title="10 km", due=dt.date(2026, 6, 1))],
        created_at=NOW,
    )
    return goal


def test_every_exported_schema_is_valid_draft_2020_12(sample: ModuleType) -> None:
    for cls in (sample.Goal, sample.Task, sample.GoalSummary, sample.Milestone):
        Draft202012Validator.check_schema(stored_json_schema(cls))


def test_schema_declares_the_2020_12_dialect(sample: ModuleType) -> None:
    assert stored_json_schema(sample.Goal)["$schema"] == (
        "https://json-schema.org/draft/2020-12/schema"
    )


def test_an_item_stored_by_the_codec_validates(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    assert list(validator(sample.Goal).iter_errors(item)) == []


def test_a_minimal_item_with_defaults_omitted_validates(sample: ModuleType) -> None:
    item = {"goal_id": "g", "tenantId": "t", "title": "x", "created_at": "2026-01-01T00:00:00Z"}
    assert validator(sample.Goal).is_valid(item)


def test_composite_key_item_with_bytes_and_ttl_validates(sample: ModuleType) -> None:
    task = sample.Task(
        tenant_id="t-1", task_id="k-1", email="a@b.c", attachment=b"\x00\x01", expires_at=10
    )
    item = stored_item(sample.Task, task)
    assert item["pk"] == "TENANT#t-1"
    assert list(validator(sample.Task).iter_errors(item)) == []


def test_bool_index_key_is_described_as_a_true_false_string(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    assert item["is_active"] == "false"
    assert not validator(sample.Goal).is_valid({**item, "is_active": False})


def test_bool_that_is_not_a_key_stays_boolean(sample: ModuleType) -> None:
    schema = stored_json_schema(sample.Task)
    assert schema["properties"]["done"]["type"] == "boolean"


def test_attributes_use_the_stored_alias(sample: ModuleType) -> None:
    properties = stored_json_schema(sample.Goal)["properties"]
    assert "tenantId" in properties
    assert "tenant_id" not in properties


def test_datetime_is_a_date_time_string(sample: ModuleType) -> None:
    prop = stored_json_schema(sample.Goal)["properties"]["created_at"]
    assert (prop["type"], prop["format"]) == ("string", "date-time")


def test_decimal_is_a_number_not_a_string(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    assert not validator(sample.Goal).is_valid({**item, "progress": "12.5"})


def test_composite_key_is_a_required_string_matching_its_template(sample: ModuleType) -> None:
    schema = stored_json_schema(sample.Task)
    assert "pk" in schema["required"]
    item = stored_item(sample.Task, sample.Task(tenant_id="t", task_id="k", email="e"))
    assert not validator(sample.Task).is_valid({**item, "pk": "USER#t"})


def test_optional_index_key_is_never_null_only_absent(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    check = validator(sample.Goal)
    without = {k: v for k, v in item.items() if k != "owner_id"}
    assert check.is_valid(without)
    assert not check.is_valid({**item, "owner_id": None})


def test_empty_set_is_not_stored_so_the_set_is_optional_and_non_empty(sample: ModuleType) -> None:
    item = stored_item(
        sample.Goal, sample.Goal(goal_id="g", tenant_id="t", title="x", created_at=NOW)
    )
    assert "tags" not in item
    check = validator(sample.Goal)
    assert check.is_valid(item)
    assert not check.is_valid({**item, "tags": []})


def test_missing_required_attribute_is_rejected(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    del item["title"]
    assert not validator(sample.Goal).is_valid(item)


def test_nested_model_is_checked(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    item["milestones"] = [{"due": "2026-06-01"}]
    assert not validator(sample.Goal).is_valid(item)


def test_enum_value_outside_the_enum_is_rejected(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    assert not validator(sample.Goal).is_valid({**item, "status": "archived"})


def test_view_schema_uses_the_domain_models_stored_names_and_key_forms(
    sample: ModuleType,
) -> None:
    schema = stored_json_schema(sample.GoalSummary)
    assert set(schema["properties"]) == {"goal_id", "tenantId", "title", "is_active"}
    assert schema["properties"]["is_active"]["enum"] == ["true", "false"]


def test_full_stored_item_validates_against_its_view(sample: ModuleType) -> None:
    item = stored_item(sample.Goal, full_goal(sample))
    assert list(validator(sample.GoalSummary).iter_errors(item)) == []


def test_view_source_model_is_its_domain_model(sample: ModuleType) -> None:
    assert source_model(sample.GoalSummary) is sample.Goal
    assert source_model(sample.Milestone) is None


class Ledger(DomainModel):
    ledger_id: str
    active: bool = True
    secret: str = Field("", exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return self.ledger_id.upper()

    class Meta:
        table_name = "ledgers"
        partition_key = "ledger_id"
        gsis = (GSI("by-active", partition_key=KeyTemplate("gsi_pk", "ACTIVE#{active}")),)


def test_excluded_fields_are_stored_and_computed_fields_are_not() -> None:
    properties = stored_json_schema(Ledger)["properties"]
    assert "secret" in properties
    assert "label" not in properties


def test_bool_inside_a_template_renders_as_text() -> None:
    item = codec_for(Ledger).encode(Ledger(ledger_id="l"))
    assert item["gsi_pk"] == {"S": "ACTIVE#true"}
    assert Draft202012Validator(stored_json_schema(Ledger)).is_valid(
        {"ledger_id": "l", "active": True, "secret": "", "gsi_pk": "ACTIVE#true"}
    )


def test_bundle_holds_each_class_as_its_own_resource(sample: ModuleType) -> None:
    bundle = json_schema_bundle([sample.Goal, sample.Task])
    Draft202012Validator.check_schema(bundle)
    goal = bundle["$defs"]["Goal"]
    item = stored_item(sample.Goal, full_goal(sample))
    assert Draft202012Validator(goal).is_valid(item)
    assert not Draft202012Validator(goal).is_valid({**item, "status": "archived"})


def test_document_of_one_class_is_its_schema_not_a_bundle(sample: ModuleType) -> None:
    assert json_schema_document([sample.Goal])["title"] == "Goal"
    assert "Task" in json_schema_document([sample.Goal, sample.Task])["$defs"]
