"""CloudFormation export: cfn-lint accepts it; tables, indexes, TTL, stage names are as declared."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint
from cfnlint.decode import decode_str

from ddbwrap import DomainModel
from ddbwrap.errors import ValidationError
from ddbwrap.tooling.cloudformation import (
    CloudFormationOptions,
    cloudformation_template,
    render_cloudformation,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(FIXTURES))
    return importlib.import_module("models_sample")


def cfn_lint(text: str) -> list[str]:
    """cfn-lint's findings (errors, warnings and informational) as strings."""
    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=["us-east-1"]))
    return [str(m) for m in matches]


def models(sample: ModuleType) -> list[type[DomainModel]]:
    return [sample.Goal, sample.Task]


def resources(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v["Properties"] for k, v in template["Resources"].items()}


def test_cfn_lint_accepts_the_yaml_export(sample: ModuleType) -> None:
    options = CloudFormationOptions(name_template="purposepath-{table}-${Stage}", pitr=True)
    text = render_cloudformation(cloudformation_template(models(sample), options))
    assert cfn_lint(text) == []


def test_cfn_lint_accepts_the_json_export(sample: ModuleType) -> None:
    text = render_cloudformation(cloudformation_template(models(sample)), as_json=True)
    assert cfn_lint(text) == []


def test_cfn_lint_catches_a_broken_template(sample: ModuleType) -> None:
    template = cloudformation_template(models(sample))
    del template["Resources"]["GoalsTable"]["Properties"]["KeySchema"]
    assert cfn_lint(render_cloudformation(template, as_json=True)) != []


def test_one_table_resource_per_table_and_guard_table(sample: ModuleType) -> None:
    template = cloudformation_template(models(sample))
    kinds = {k: v["Type"] for k, v in template["Resources"].items()}
    assert kinds == {
        "GoalsTable": "AWS::DynamoDB::Table",
        "TasksTable": "AWS::DynamoDB::Table",
        "TasksUniqueTable": "AWS::DynamoDB::Table",
    }


def test_table_name_uses_the_template_with_a_stage_parameter(sample: ModuleType) -> None:
    options = CloudFormationOptions(name_template="purposepath-{table}-${Stage}")
    template = cloudformation_template(models(sample), options)
    assert resources(template)["GoalsTable"]["TableName"] == {
        "Fn::Sub": "purposepath-goals-${Stage}"
    }
    assert template["Parameters"]["Stage"]["Default"] == "dev"


def test_yaml_uses_the_short_sub_tag(sample: ModuleType) -> None:
    options = CloudFormationOptions(name_template="purposepath-{table}-${Stage}")
    text = render_cloudformation(cloudformation_template(models(sample), options))
    assert "TableName: !Sub 'purposepath-goals-${Stage}'" in text


def test_plain_name_template_has_no_parameters(sample: ModuleType) -> None:
    options = CloudFormationOptions(name_template="app-{table}")
    template = cloudformation_template(models(sample), options)
    assert "Parameters" not in template
    assert resources(template)["GoalsTable"]["TableName"] == "app-goals"
    assert cfn_lint(render_cloudformation(template)) == []


def test_name_template_without_table_is_refused(sample: ModuleType) -> None:
    with pytest.raises(ValidationError, match="must contain"):
        cloudformation_template(models(sample), CloudFormationOptions(name_template="x"))


def test_on_demand_billing_is_the_default(sample: ModuleType) -> None:
    props = resources(cloudformation_template(models(sample)))["GoalsTable"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props


def test_gsis_carry_keys_and_projections(sample: ModuleType) -> None:
    gsis = resources(cloudformation_template(models(sample)))["GoalsTable"][
        "GlobalSecondaryIndexes"
    ]
    tenant = next(g for g in gsis if g["IndexName"] == "tenant-index")
    assert tenant["KeySchema"] == [
        {"AttributeName": "tenantId", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    assert tenant["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["title", "status"],
    }


def test_lsi_and_ttl_are_declared(sample: ModuleType) -> None:
    props = resources(cloudformation_template(models(sample)))["TasksTable"]
    assert props["LocalSecondaryIndexes"][0]["IndexName"] == "priority-index"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_pitr_is_off_unless_asked(sample: ModuleType) -> None:
    plain = resources(cloudformation_template(models(sample)))["GoalsTable"]
    assert "PointInTimeRecoverySpecification" not in plain
    options = CloudFormationOptions(pitr=True)
    props = resources(cloudformation_template(models(sample), options))["GoalsTable"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_deletion_policy_defaults_to_retain_and_can_be_set(sample: ModuleType) -> None:
    retained = cloudformation_template(models(sample))["Resources"]["GoalsTable"]
    assert (retained["DeletionPolicy"], retained["UpdateReplacePolicy"]) == ("Retain", "Retain")
    options = CloudFormationOptions(deletion_policy="Delete")
    deleted = cloudformation_template(models(sample), options)["Resources"]["GoalsTable"]
    assert deleted["DeletionPolicy"] == "Delete"


def test_provisioned_models_get_throughput(sample: ModuleType) -> None:
    class Metered(DomainModel):
        meter_id: str

        class Meta:
            table_name = "meters"
            partition_key = "meter_id"
            billing_mode = "PROVISIONED"

    template = cloudformation_template([Metered])
    props = resources(template)["MetersTable"]
    assert props["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert cfn_lint(render_cloudformation(template)) == []


def test_outputs_give_name_and_arn(sample: ModuleType) -> None:
    outputs = cloudformation_template(models(sample))["Outputs"]
    assert outputs["GoalsTableArn"]["Value"] == {"Fn::GetAtt": ["GoalsTable", "Arn"]}


def test_yaml_with_short_tags_decodes_to_the_same_template(sample: ModuleType) -> None:
    options = CloudFormationOptions(name_template="purposepath-{table}-${Stage}")
    template = cloudformation_template(models(sample), options)
    decoded, problems = decode_str(render_cloudformation(template))
    assert problems == []
    assert json.loads(json.dumps(decoded)) == template


def test_yaml_without_pyyaml_names_the_extra(
    sample: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ddbwrap.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingDependencyError, match=r"ddbwrap\[yaml\]"):
        render_cloudformation(cloudformation_template(models(sample)))
    assert render_cloudformation(cloudformation_template(models(sample)), as_json=True)
