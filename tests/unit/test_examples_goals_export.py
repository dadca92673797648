"""The goals example's checked-in infrastructure stays in step with its models.

``examples/goals/infra/goals-table.yaml`` is the output of
``ddbwrap export cloudformation examples.goals.models --name-template
'purposepath-{table}-${Stage}'`` and ``examples/goals/infra/ddbwrap.lock`` of ``ddbwrap schema
lock``: a model change that is not re-exported and re-locked fails here, in CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint
from cfnlint.decode import decode_str
from examples.goals.models.domain_models import Goal

from ddbwrap.cli import main
from ddbwrap.tooling import stored_attributes

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "examples" / "goals" / "infra"
TEMPLATE = INFRA / "goals-table.yaml"
LOCK = INFRA / "ddbwrap.lock"
MODELS = "examples.goals.models"
EXPORT = ["export", "cloudformation", MODELS, "--name-template", "purposepath-{table}-${Stage}"]
REGENERATE = (
    f"regenerate it: ddbwrap {' '.join(EXPORT[:3])} --name-template "
    "'purposepath-{table}-${Stage}' -o examples/goals/infra/goals-table.yaml"
)

# pp_api's GoalDataModel (seed 001): the [DynamoDBProperty("...")] name of every property.
DOTNET_ATTRIBUTES = {
    "goal_id", "tenant_id", "user_id", "title", "intent", "alignment_score",
    "alignment_explanation", "alignment_suggestions", "status", "priority", "time_horizon",
    "target_date", "progress_percentage", "tags", "metadata",
    "created_at", "updated_at", "created_by", "updated_by",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the CLI imports MODELS from the current directory


def checked_in_template() -> dict[str, Any]:
    template, matches = decode_str(TEMPLATE.read_text(encoding="utf-8"))
    assert not matches and template is not None
    return dict(template)


def test_checked_in_template_equals_a_fresh_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "goals-table.yaml"
    assert main([*EXPORT, "-o", str(fresh)]) == 0
    assert fresh.read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8"), (
        f"{TEMPLATE.relative_to(ROOT)} is stale; {REGENERATE}"
    )


def test_cfn_lint_accepts_the_checked_in_template() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_checked_in_lock_matches_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["schema", "check", "--lock", str(LOCK), MODELS])
    assert code == 0, capsys.readouterr().out


def test_template_declares_the_table_pp_api_deployed() -> None:
    resources = checked_in_template()["Resources"]
    assert list(resources) == ["GoalsTable"]
    table = resources["GoalsTable"]["Properties"]
    assert table["TableName"] == {"Fn::Sub": "purposepath-goals-${Stage}"}
    assert table["KeySchema"] == [{"AttributeName": "goal_id", "KeyType": "HASH"}]
    assert table["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "tenant_id-index",
            "KeySchema": [{"AttributeName": "tenant_id", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    # Only key attributes are defined: the seed's hand-written template also defined user_id,
    # which no key uses and CloudFormation rejects.
    assert table["AttributeDefinitions"] == [
        {"AttributeName": "goal_id", "AttributeType": "S"},
        {"AttributeName": "tenant_id", "AttributeType": "S"},
    ]


def test_goal_stores_every_dotnet_property_under_its_dotnet_name() -> None:
    stored = {attribute.name for attribute in stored_attributes(Goal)}
    assert stored == DOTNET_ATTRIBUTES | {"version"}
    assert Goal.model_fields["metadata_json"].alias == "metadata"
