"""Golden tests: the recorded stream records decode into exactly the expected typed changes, in
all three delivery shapes (GetRecords through botocore, a Lambda event, a Kinesis event), plus
AWS's documented Lambda event; guard items and unregistered tables are skipped and counted;
a malformed record is reported alone, naming its sequence number, table, model and field."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from tests.fixtures.streams.expected import G1_V3, assert_goal_changes
from tests.fixtures.streams.load import fixture, get_records
from tests.fixtures.streams.models import (
    PREFIX,
    Goal,
    GoalCard,
    Message,
    Order,
    OrderLine,
    Task,
    order_entity,
)

from ddbwrap.streams import (
    StreamDecoder,
    StreamRecordError,
    read_record,
    table_of_arn,
)

UTC = dt.timezone.utc


def decoder(*models: type[Any]) -> StreamDecoder:
    decoder = StreamDecoder(table_prefix=PREFIX)
    for model in models or (Goal, Task, Order, OrderLine):
        decoder.register(model)
    if not models or OrderLine in models:
        decoder.discriminate("stream_orders", order_entity)
    return decoder


# --- GetRecords (botocore-parsed) ------------------------------------------------------------


def test_get_records_output_decodes_into_the_expected_goal_changes() -> None:
    arn, response = get_records("stream_goals")
    batch = decoder().decode(response, stream_arn=arn)
    assert batch.report.records == batch.report.changes == 5
    assert_goal_changes(batch.changes)
    sequences = [c.sequence_number for c in batch.changes]
    assert sequences == [r["dynamodb"]["SequenceNumber"] for r in response["Records"]]
    for change in batch.changes:
        created = change.approximate_creation_time
        assert created is not None and created.tzinfo is not None
        assert created.utcoffset() == dt.timedelta(0)
    assert batch.of(Goal) == batch.changes


def test_keys_only_records_parse_template_keys_back_into_fields() -> None:
    arn, response = get_records("stream_tasks")
    changes = decoder().decode(response, stream_arn=arn).of(Task)
    assert [(c.kind, dict(c.keys), c.old, c.new) for c in changes] == [
        ("insert", {"tenant_id": "acme", "task_id": "t1"}, None, None),
        ("insert", {"tenant_id": "acme", "task_id": "t2"}, None, None),
        ("insert", {"tenant_id": "globex", "task_id": "t3"}, None, None),
        ("remove", {"tenant_id": "acme", "task_id": "t1"}, None, None),
    ]
    assert all(c.diff == {} for c in changes)


def test_a_shared_table_is_routed_by_its_discriminator() -> None:
    arn, response = get_records("stream_orders")
    batch = decoder().decode(response, stream_arn=arn)
    assert [(c.kind, c.model, dict(c.keys)) for c in batch.changes] == [
        ("insert", Order, {"order_id": "o1"}),
        ("insert", OrderLine, {"order_id": "o1", "line_no": 1}),
        ("modify", OrderLine, {"order_id": "o1", "line_no": 1}),
    ]
    order, line, modified = batch.changes
    assert order.new == Order(order_id="o1", customer="c1", total=Decimal("19.90"))
    assert line.new == OrderLine(order_id="o1", line_no=1, sku="sku-1")
    assert modified.old is None  # a NEW_IMAGE stream: no old image, so no diff
    assert modified.new == OrderLine(order_id="o1", line_no=1, sku="sku-1", quantity=3)
    assert modified.diff == {}
    assert batch.of(OrderLine) == [line, modified]


def test_a_discriminator_may_skip_an_entity_and_it_is_counted() -> None:
    decoder = StreamDecoder(table_prefix=PREFIX)
    decoder.register(Order, discriminator=lambda image: Order if "customer" in image else None)
    arn, response = get_records("stream_orders")
    batch = decoder.decode(response, stream_arn=arn)
    assert [c.model for c in batch.changes] == [Order]
    assert batch.report.unregistered == 2
    assert batch.report.unregistered_tables == {f"{PREFIX}stream_orders": 2}


def test_guard_items_are_skipped_and_counted() -> None:
    arn, response = get_records("stream_goals-unique")
    batch = decoder().decode(response, stream_arn=arn)
    assert batch.changes == [] and batch.errors == []
    assert batch.report.guard_items == batch.report.records == 5
    assert [r.skipped for r in batch.results] == ["guard"] * 5


def test_unregistered_tables_are_skipped_and_counted() -> None:
    arn, response = get_records("stream_goals")
    batch = decoder(Task).decode(response, stream_arn=arn)
    assert batch.changes == []
    assert batch.report.unregistered == 5
    assert batch.report.unregistered_tables == {f"{PREFIX}stream_goals": 5}
    # a table without this decoder's prefix is not one of its tables either
    other = StreamDecoder(table_prefix="prod-")
    other.register(Goal)
    assert other.decode(response, stream_arn=arn).report.unregistered == 5


def test_a_view_decodes_images_as_the_view() -> None:
    arn, response = get_records("stream_goals")
    changes = decoder(GoalCard).decode(response, stream_arn=arn).of(GoalCard)
    assert changes[1].model is GoalCard
    assert changes[1].old == GoalCard(goal_id="g1", title="Ship streams", progress=Decimal("0.25"))
    assert changes[1].diff == {
        "title": ("Ship streams", "Ship typed streams"),
        "progress": (Decimal("0.25"), Decimal("0.5")),
    }
    assert changes[2].diff == {}  # only the email and version changed: not the view's fields
    assert [dict(c.keys) for c in changes] == [{"goal_id": "g1"}] * 3 + [
        {"goal_id": "g2"},
        {"goal_id": "g1"},
    ]


def test_a_model_and_its_view_cannot_both_be_registered() -> None:
    decoder = StreamDecoder()
    decoder.register(Goal)
    decoder.register(Goal)  # the same class again: fine
    with pytest.raises(Exception, match="registered already"):
        decoder.register(GoalCard)


# --- Lambda events ---------------------------------------------------------------------------


def test_the_lambda_event_decodes_like_get_records() -> None:
    event = fixture("lambda_event_local.json")
    batch = decoder().decode(event)
    goals = batch.of(Goal)
    assert_goal_changes(goals)  # bytes came as base64, times as epoch seconds
    assert batch.report.records == 17
    assert (batch.report.changes, batch.report.guard_items) == (12, 5)
    assert [len(batch.of(m)) for m in (Goal, Task, Order, OrderLine)] == [5, 4, 1, 2]
    arn, response = get_records("stream_goals")
    polled = decoder().decode(response, stream_arn=arn).changes
    assert [c.approximate_creation_time for c in goals] == [
        c.approximate_creation_time for c in polled
    ]
    assert goals[0].stream_arn == event["Records"][0]["eventSourceARN"]
    assert table_of_arn(goals[0].stream_arn or "") == f"{PREFIX}stream_goals"


def test_aws_documented_lambda_event() -> None:
    decoder = StreamDecoder()
    decoder.register(Message)
    batch = decoder.decode(fixture("lambda_event_aws_docs.json"))
    assert [(c.kind, dict(c.keys), c.old, c.new, c.sequence_number) for c in batch.changes] == [
        ("insert", {"id": 101}, None, Message(id=101, message="New item!"), "111"),
        (
            "modify",
            {"id": 101},
            Message(id=101, message="New item!"),
            Message(id=101, message="This item has changed"),
            "222",
        ),
        ("remove", {"id": 101}, Message(id=101, message="This item has changed"), None, "333"),
    ]
    assert batch.changes[1].diff == {"message": ("New item!", "This item has changed")}
    assert batch.changes[0].approximate_creation_time == dt.datetime(
        2026, 11, 22, 9, 30, tzinfo=UTC
    )


def test_a_ttl_deletion_is_flagged() -> None:
    (change,) = decoder().decode(fixture("lambda_event_ttl.json")).changes
    assert change.kind == "remove" and change.by_ttl
    assert change.old == G1_V3


def test_user_identity_of_another_principal_is_not_ttl() -> None:
    event = fixture("lambda_event_ttl.json")
    event["Records"][0]["userIdentity"] = {"type": "Service", "principalId": "other.amazonaws.com"}
    (change,) = decoder().decode(event).changes
    assert not change.by_ttl
    # botocore's GetRecords spelling of the same identity
    record = dict(fixture("lambda_event_ttl.json")["Records"][0])
    record["userIdentity"] = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert read_record(record).by_ttl


# --- Kinesis Data Streams events -------------------------------------------------------------


def test_the_kinesis_event_decodes_like_get_records() -> None:
    event = fixture("kinesis_event_local.json")
    batch = decoder().decode(event)
    assert_goal_changes(batch.changes)
    kinesis = [r["kinesis"] for r in event["Records"]]
    assert [c.sequence_number for c in batch.changes] == [k["sequenceNumber"] for k in kinesis]
    assert {c.shard for c in batch.changes} == {
        "arn:aws:kinesis:us-east-1:123456789012:stream/goal-changes|shardId-000000000000"
    }
    arn, response = get_records("stream_goals")
    polled = decoder().decode(response, stream_arn=arn).changes
    assert [c.approximate_creation_time for c in batch.changes] == [
        c.approximate_creation_time for c in polled
    ]  # milliseconds read as such


def test_kinesis_creation_times_in_microseconds() -> None:
    event = fixture("kinesis_event_local.json")
    record = event["Records"][0]
    data = json.loads(base64.b64decode(record["kinesis"]["data"]))
    data["dynamodb"]["ApproximateCreationDateTime"] = 1795339800123456
    record["kinesis"]["data"] = base64.b64encode(json.dumps(data).encode()).decode()
    created = read_record(record).created
    assert created == dt.datetime(2026, 11, 22, 9, 30, 0, 123456, tzinfo=UTC)


# --- malformed records -----------------------------------------------------------------------


def test_a_malformed_image_is_reported_for_its_record_alone() -> None:
    event = fixture("lambda_event_local.json")
    bad = event["Records"][1]  # the first goal MODIFY
    bad["dynamodb"]["NewImage"]["progress"] = {"S": "a lot"}
    del bad["dynamodb"]["NewImage"]["title"]
    batch = decoder().decode(event)
    (error,) = batch.errors
    sequence = bad["dynamodb"]["SequenceNumber"]
    assert isinstance(error, StreamRecordError)
    assert error.sequence_number == sequence
    assert (error.table, error.model) == ("stream_goals", "Goal")
    assert set(error.fields) == {"progress", "title"}
    assert sequence in str(error) and "'stream_goals'" in str(error)
    assert "a lot" not in str(error) and "Ship" not in str(error)  # never a value
    assert all("input" not in e for e in error.errors)
    assert batch.report.malformed == 1 and batch.report.changes == 11
    assert [r.sequence_number for r in batch.results if r.error] == [sequence]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r["dynamodb"]["NewImage"].update(GoalId={"Q": "x"}), "goal_id"),
        (lambda r: r["dynamodb"]["NewImage"].update(attachment={"B": "not base64!"}), None),
        (lambda r: r["dynamodb"]["NewImage"].update(tags={}), "tags"),
    ],
)
def test_malformed_attribute_values_name_their_field(mutate: Any, field: str | None) -> None:
    event = fixture("lambda_event_local.json")
    mutate(event["Records"][0])
    (error,) = decoder().decode(event).errors
    assert error.sequence_number == event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert error.field == field


def test_malformed_records_without_images() -> None:
    event = fixture("lambda_event_local.json")
    records = event["Records"]
    records[0]["eventName"] = "UPSERT"
    del records[1]["dynamodb"]["Keys"]
    del records[2]["dynamodb"]["SequenceNumber"]
    records[3] = "not a record"
    task_remove = next(
        r
        for r in records
        if isinstance(r, dict) and r["eventName"] == "REMOVE" and "TASK" in str(r)
    )
    task_remove["dynamodb"]["Keys"]["sk"] = {"S": "NOTE#n1"}
    batch = decoder().decode(event)
    errors = batch.errors
    assert len(errors) == 5
    assert errors[0].sequence_number == records[0]["dynamodb"]["SequenceNumber"]
    assert "eventName" in str(errors[0])
    assert "Keys" in str(errors[1])
    assert errors[2].sequence_number is None and "SequenceNumber" in str(errors[2])
    assert "mapping" in str(errors[3])
    assert errors[4].field == "task_id" and errors[4].model == "Task"
    assert batch.report.malformed == 5


def test_a_get_records_record_needs_its_stream() -> None:
    _, response = get_records("stream_goals")
    (error, *_) = decoder().decode(response).errors
    assert "stream_arn" in str(error)


def test_an_event_that_is_not_one() -> None:
    with pytest.raises(StreamRecordError, match="Records"):
        decoder().decode({"something": "else"})


def test_several_models_on_a_table_need_a_discriminator() -> None:
    decoder = StreamDecoder(table_prefix=PREFIX)
    decoder.register(Order)
    decoder.register(OrderLine)
    arn, response = get_records("stream_orders")
    with pytest.raises(Exception, match="discriminator"):
        decoder.decode(response, stream_arn=arn)


def test_a_discriminator_that_raises_fails_its_record_only() -> None:
    decoder = StreamDecoder(table_prefix=PREFIX)
    decoder.register(Order, discriminator=lambda image: 1 / 0)  # type: ignore[arg-type,return-value]
    arn, response = get_records("stream_orders")
    batch = decoder.decode(response, stream_arn=arn)
    assert batch.report.malformed == 3 and "ZeroDivisionError" in str(batch.errors[0])


def test_import_ddbwrap_does_not_import_streams() -> None:
    code = "import sys, ddbwrap; print(any(m.startswith('ddbwrap.streams') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
