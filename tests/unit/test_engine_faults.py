"""Every flow under every fault, deterministically: a ScriptedTransport over moto.

The backend (moto, in process) really applies what reaches it, so "the response was lost after
DynamoDB applied the request" is exact; pauses are recorded, never taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ddbwrap import DomainModel, ReadApi, Transaction, Update, UpdateDTO, WriteApi
from ddbwrap.errors import (
    AlreadyExistsError,
    OutcomeUnknownError,
    ServiceError,
    ThrottledError,
    UnprocessedItemsError,
    VersionConflictError,
)
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import (
    Outcome,
    ScriptedTransport,
    corrupt_body,
    crc_mismatch,
    empty_body,
    error,
    lose_response,
    read_timeout,
    refuse_connection,
    server_error,
    throttle,
    unprocessed,
)
from ddbwrap.tooling import create_tables
from ddbwrap.transport import BotocoreTransport


class Counter(DomainModel):
    counter_id: str
    hits: int = 0
    label: str = ""

    class Meta:
        table_name = "counters"
        partition_key = "counter_id"


class Doc(DomainModel):
    doc_id: str
    title: str
    version: int = 0

    class Meta:
        table_name = "docs"
        partition_key = "doc_id"
        version_attribute = "version"


class Retitle(UpdateDTO[Doc]):
    title: str


class Relabel(UpdateDTO[Counter]):
    label: str


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def transport(sleeps: Sleeps) -> Iterator[ScriptedTransport]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(TableGateway(client), [Counter, Doc])
        yield ScriptedTransport(backend=BotocoreTransport(client))


@pytest.fixture
def gateway(transport: ScriptedTransport, sleeps: Sleeps) -> TableGateway:
    return TableGateway(transport, retry=RetryPolicy(sleep=sleeps, request_attempts=4))


@pytest.fixture
def counters(gateway: TableGateway) -> WriteApi[Counter]:
    return WriteApi[Counter](gateway)


@pytest.fixture
def docs(gateway: TableGateway) -> WriteApi[Doc]:
    return WriteApi[Doc](gateway)


def stored(gateway: TableGateway, model: type[Any], **key: str) -> Any:
    return ReadApi[model](gateway).get(**key)  # type: ignore[valid-type]


# -- reads: retried after every fault, never a corrupt answer believed ------------------------


def test_throttled_get_is_retried_after_the_policys_pause(
    counters: WriteApi[Counter], transport: ScriptedTransport, sleeps: Sleeps
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("GetItem", throttle(), throttle())
    assert stored(counters.gateway, Counter, counter_id="c1") == Counter(counter_id="c1")
    assert transport.count("GetItem") == 3
    assert len(sleeps) == 2


def test_throttling_that_outlives_the_attempts_is_throttled_error(
    gateway: TableGateway, transport: ScriptedTransport
) -> None:
    transport.script("GetItem", *[throttle()] * 4)
    with pytest.raises(ThrottledError):
        stored(gateway, Counter, counter_id="c1")
    assert transport.count("GetItem") == 4


@pytest.mark.parametrize(
    "fault",
    [lose_response, read_timeout, refuse_connection, server_error, empty_body, corrupt_body],
)
def test_a_read_is_resent_after_any_fault(
    counters: WriteApi[Counter], transport: ScriptedTransport, fault: Any
) -> None:
    counters.create(Counter(counter_id="c1", hits=3))
    transport.script("GetItem", fault())
    assert stored(counters.gateway, Counter, counter_id="c1").hits == 3
    assert transport.count("GetItem") == 2


def test_an_empty_body_is_never_read_as_a_missing_item(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("GetItem", *[empty_body()] * 4)
    with pytest.raises(ServiceError, match="empty body"):
        stored(counters.gateway, Counter, counter_id="c1")


def test_a_body_failing_its_crc_is_never_used(
    gateway: TableGateway, transport: ScriptedTransport
) -> None:
    transport.script("GetItem", *[crc_mismatch()] * 4)
    with pytest.raises(ServiceError, match="CRC32"):
        stored(gateway, Counter, counter_id="c1")


def test_a_corrupt_page_is_never_read_as_the_end_of_a_query(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    for index in range(3):
        counters.create(Counter(counter_id=f"c{index}"))
    transport.script("Scan", *[corrupt_body()] * 4)
    with pytest.raises(ServiceError, match="not a JSON object"):
        list(ReadApi[Counter](counters.gateway).scan_all())


def test_a_query_page_is_resent_after_a_lost_response(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    for index in range(3):
        counters.create(Counter(counter_id=f"c{index}"))
    transport.script("Scan", lose_response())
    page = ReadApi[Counter](counters.gateway).scan()
    assert len(page.items) == 3
    assert page.cursor is None


def test_batch_get_leftovers_are_resent(
    counters: WriteApi[Counter], transport: ScriptedTransport, sleeps: Sleeps
) -> None:
    for index in range(4):
        counters.create(Counter(counter_id=f"c{index}"))
    transport.script("BatchGetItem", unprocessed(0.5))
    result = ReadApi[Counter](counters.gateway).batch_get(
        [{"counter_id": f"c{i}"} for i in range(4)]
    )
    assert [item.counter_id for item in result.items] == ["c0", "c1", "c2", "c3"]
    assert transport.count("BatchGetItem") == 2
    assert len(sleeps) == 1


# -- writes: applied exactly once, or OutcomeUnknownError ----------------------------------------


def test_a_counter_whose_response_is_lost_is_outcome_unknown_and_applied_once(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("UpdateItem", lose_response())
    with pytest.raises(OutcomeUnknownError, match="may or may not have been applied"):
        counters.update({"counter_id": "c1"}, Update().increment("hits"))
    assert transport.count("UpdateItem") == 1
    assert stored(counters.gateway, Counter, counter_id="c1").hits == 1


def test_a_counter_after_a_5xx_that_applied_it_is_outcome_unknown(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("UpdateItem", server_error(applied=True))
    with pytest.raises(OutcomeUnknownError):
        counters.update({"counter_id": "c1"}, Update().increment("hits"))
    assert stored(counters.gateway, Counter, counter_id="c1").hits == 1


def test_a_counter_throttled_first_is_resent_and_applied_once(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("UpdateItem", throttle())
    assert counters.update({"counter_id": "c1"}, Update().increment("hits")).hits == 1
    assert transport.count("UpdateItem") == 2


def test_an_idempotent_counter_is_resent_with_one_token_and_one_body(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("TransactWriteItems", read_timeout(applied=False))
    after = counters.update({"counter_id": "c1"}, Update().increment("hits"), idempotent=True)
    assert after.hits == 1
    sent = [c.params for c in transport.calls if c.operation == "TransactWriteItems"]
    assert len(sent) == 2
    assert sent[0] == sent[1]  # DynamoDB applies one token's request once (integration suite)


def test_a_versioned_update_whose_response_is_lost_succeeds_once(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    doc = docs.create(Doc(doc_id="d1", title="a"))
    transport.script("UpdateItem", lose_response())
    after = docs.update(doc, Retitle(title="b"))
    assert (after.title, after.version) == ("b", 2)
    assert transport.count("UpdateItem") == 2
    assert stored(docs.gateway, Doc, doc_id="d1").version == 2


def test_a_versioned_update_lost_then_overtaken_is_outcome_unknown_not_a_conflict(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    doc = docs.create(Doc(doc_id="d1", title="a"))
    other = WriteApi[Doc](TableGateway(transport.backend))  # type: ignore[arg-type]

    def lost_then_overtaken(operation: str, params: Any, backend: Any) -> Any:
        backend()  # ours is applied: version 2
        other.update({"doc_id": "d1"}, Retitle(title="theirs"), expected_version=2)
        return lose_response().run(operation, params, lambda: {})

    transport.script("UpdateItem", Outcome("lost+overtaken", lost_then_overtaken, applies=True))
    with pytest.raises(OutcomeUnknownError):
        docs.update(doc, Retitle(title="ours"))
    assert stored(docs.gateway, Doc, doc_id="d1").title == "theirs"


def test_a_versioned_update_lost_before_applying_reports_the_real_conflict(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    doc = docs.create(Doc(doc_id="d1", title="a"))
    other = WriteApi[Doc](TableGateway(transport.backend))  # type: ignore[arg-type]

    def unapplied_then_overtaken(operation: str, params: Any, backend: Any) -> Any:
        other.update({"doc_id": "d1"}, Retitle(title="theirs"), expected_version=1)
        return read_timeout(applied=False).run(operation, params, backend)

    transport.script("UpdateItem", Outcome("timeout+other", unapplied_then_overtaken, True))
    with pytest.raises(VersionConflictError):  # version 2 is the other writer's: a real conflict
        docs.update(doc, Retitle(title="ours"))


def test_a_versioned_conflict_after_a_lost_response_by_another_writer_is_a_conflict(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    doc = docs.create(Doc(doc_id="d1", title="a"))
    other = WriteApi[Doc](TableGateway(transport.backend))  # type: ignore[arg-type]

    def other_first_then_lost(operation: str, params: Any, backend: Any) -> Any:
        other.update({"doc_id": "d1"}, Retitle(title="theirs"), expected_version=1)
        return lose_response().run(operation, params, lambda: {})  # ours never applied

    transport.script("UpdateItem", Outcome("other+lost", other_first_then_lost, True))
    with pytest.raises(VersionConflictError) as caught:
        docs.update(doc, Retitle(title="ours"))
    assert (caught.value.expected, caught.value.current) == (1, 2)


def test_a_create_whose_response_is_lost_returns_the_item_not_already_exists(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    transport.script("PutItem", lose_response())
    created = counters.create(Counter(counter_id="c1", hits=5))
    assert created.hits == 5
    assert transport.count("PutItem") == 2


def test_a_create_of_a_taken_key_after_a_lost_response_is_not_reported_as_ours(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1", hits=7))
    transport.script("PutItem", read_timeout(applied=False))
    with pytest.raises(OutcomeUnknownError):  # unversioned: cannot tell whose it is
        counters.create(Counter(counter_id="c1", hits=5))
    assert stored(counters.gateway, Counter, counter_id="c1").hits == 7


def test_a_versioned_create_of_a_taken_key_after_a_lost_response_is_already_exists(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    docs.create(Doc(doc_id="d1", title="theirs"))
    transport.script("PutItem", read_timeout(applied=False))
    with pytest.raises(AlreadyExistsError):
        docs.create(Doc(doc_id="d1", title="ours"))


def test_an_idempotent_update_whose_response_is_lost_is_resent(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("UpdateItem", lose_response())
    assert counters.update({"counter_id": "c1"}, Relabel(label="x")).label == "x"
    assert transport.count("UpdateItem") == 2


def test_a_conditional_update_lost_after_applying_is_its_own_write_not_a_failure(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1", label="open"))
    transport.script("UpdateItem", lose_response())
    after = counters.update(
        {"counter_id": "c1"}, Relabel(label="closed"), condition=Attr("label") == "open"
    )
    assert after.label == "closed"


def test_modify_after_a_lost_response_applies_the_change_once(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    docs.create(Doc(doc_id="d1", title="a"))
    transport.script("UpdateItem", lose_response())
    after = docs.modify({"doc_id": "d1"}, lambda doc: Retitle(title=doc.title + "!"))
    assert (after.title, after.version) == ("a!", 2)


def test_a_versioned_delete_whose_response_is_lost_succeeds(
    docs: WriteApi[Doc], transport: ScriptedTransport
) -> None:
    doc = docs.create(Doc(doc_id="d1", title="a"))
    transport.script("DeleteItem", lose_response())
    docs.delete(doc, expected_version=1)
    assert stored(docs.gateway, Doc, doc_id="d1") is None


def test_a_write_lost_on_every_attempt_is_outcome_unknown(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    counters.create(Counter(counter_id="c1"))
    transport.script("UpdateItem", *[lose_response()] * 4)
    with pytest.raises(OutcomeUnknownError):
        counters.update({"counter_id": "c1"}, Relabel(label="x"))
    assert transport.count("UpdateItem") == 4


# -- transactions: one token, one body --------------------------------------------------------


def test_a_transaction_whose_response_is_lost_is_resent_with_the_same_token_and_body(
    gateway: TableGateway, transport: ScriptedTransport
) -> None:
    transport.script("TransactWriteItems", read_timeout(applied=False))
    with Transaction(gateway) as tx:
        tx.create(Doc(doc_id="d1", title="a"))
        tx.create(Counter(counter_id="c1"))
    sent = [c.params for c in transport.calls if c.operation == "TransactWriteItems"]
    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert sent[0]["ClientRequestToken"] == tx.client_request_token


def test_a_transaction_adds_actions_without_sending_anything(
    gateway: TableGateway, transport: ScriptedTransport
) -> None:
    tx = Transaction(gateway)
    tx.create(Doc(doc_id="d1", title="a"))
    tx.update(Counter, {"counter_id": "c1"}, Update().increment("hits"))
    assert transport.calls == []


# -- batches: exact accounting ----------------------------------------------------------------


def test_a_batch_stopped_by_an_error_lists_exactly_what_was_not_written(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    transport.script(
        "BatchWriteItem",
        error("ValidationException", "scripted"),
        when=lambda params: any(
            r["PutRequest"]["Item"]["counter_id"]["S"] == "c30"
            for rs in params["RequestItems"].values()
            for r in rs
        ),
    )
    batch = counters.batch()
    for index in range(60):
        batch.put(Counter(counter_id=f"c{index}"))
    with pytest.raises(UnprocessedItemsError) as caught:
        batch.flush()
    missing = {entry.key["counter_id"]["S"] for entry in caught.value.unprocessed}
    assert missing == {f"c{index}" for index in range(25, 60)}
    assert batch.written == 25
    assert batch.pending == ()


def test_a_batch_writer_takes_its_unwritten_items_again_after_an_error(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    transport.script("BatchWriteItem", error("ValidationException", "scripted"))
    batch = counters.batch()
    batch.put(Counter(counter_id="c1"))
    with pytest.raises(UnprocessedItemsError):
        batch.flush()
    batch.put(Counter(counter_id="c1"))
    batch.flush()
    assert batch.written == 1
    assert stored(counters.gateway, Counter, counter_id="c1") is not None


def test_a_batch_chunk_whose_response_is_lost_is_resent(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    transport.script("BatchWriteItem", lose_response())
    with counters.batch() as batch:
        for index in range(30):
            batch.put(Counter(counter_id=f"c{index}"))
    assert batch.written == 30
    assert transport.count("BatchWriteItem") == 3


def test_batch_write_leftovers_are_resent(
    counters: WriteApi[Counter], transport: ScriptedTransport
) -> None:
    transport.script("BatchWriteItem", unprocessed(0.4))
    with counters.batch() as batch:
        for index in range(10):
            batch.put(Counter(counter_id=f"c{index}"))
    assert batch.written == 10
    assert ReadApi[Counter](counters.gateway).scan_count() == 10
