"""``Meta.stream``: checked at definition, in ``CreateTable`` and in the CloudFormation export
(which cfn-lint accepts)."""

from __future__ import annotations

import pytest
from cfnlint.api import ManualArgs, lint
from tests.fixtures.streams.models import Goal, Order, OrderLine, Task

from ddbwrap import DomainModel, ModelDefinitionError, schema_of
from ddbwrap.tooling.cloudformation import cloudformation_template, render_cloudformation
from ddbwrap.tooling.spec import table_specs


def test_meta_stream_reaches_create_table() -> None:
    assert schema_of(Goal).stream_view_type == "NEW_AND_OLD_IMAGES"
    assert schema_of(Goal).create_table_params()["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    specs = {spec.table: spec for spec in table_specs([Goal, Task, Order, OrderLine])}
    assert specs["stream_tasks"].params["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
    assert specs["stream_orders"].params["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert "StreamSpecification" not in specs["stream_goals-unique"].params  # guards: no stream


def test_no_stream_by_default() -> None:
    class Plain(DomainModel):
        plain_id: str

        class Meta:
            table_name = "plain"
            partition_key = "plain_id"

    assert schema_of(Plain).stream_view_type is None
    assert "StreamSpecification" not in schema_of(Plain).create_table_params()


def test_a_bad_view_type_fails_at_definition() -> None:
    with pytest.raises(ModelDefinitionError, match=r"Meta.stream must be one of"):

        class Broken(DomainModel):
            broken_id: str

            class Meta:
                table_name = "broken"
                partition_key = "broken_id"
                stream = "NEW_AND_OLD"


def test_cloudformation_declares_the_stream_and_cfn_lint_accepts_it() -> None:
    template = cloudformation_template([Goal, Task])
    resources = template["Resources"]
    goals = resources["StreamGoalsTable"]["Properties"]
    assert goals["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert resources["StreamTasksTable"]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "KEYS_ONLY"
    }
    assert "StreamSpecification" not in resources["StreamGoalsUniqueTable"]["Properties"]
    text = render_cloudformation(template, as_json=True)
    matches = lint(text, config=ManualArgs(include_checks=["I"], regions=["us-east-1"]))
    assert [str(m) for m in matches] == []
