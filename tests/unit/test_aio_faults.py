"""The async API under every fault, deterministically: the flows of ``test_engine_faults.py``,
driven by the async driver over a ``ScriptedTransport`` on moto.

The scripted transport is sync; ``AsyncTableGateway`` takes it as it is (its calls run on the
event loop's thread). The backend (moto) really applies what reaches it, and pauses are
recorded, never taken. Each test runs its scenario with plain ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
from moto import mock_aws

from ddbwrap import DomainModel, Update, UpdateDTO
from ddbwrap.aio import (
    AsyncReadApi,
    AsyncTableGateway,
    AsyncTransaction,
    AsyncWriteApi,
)
from ddbwrap.errors import (
    AlreadyExistsError,
    ItemNotFoundError,
    OutcomeUnknownError,
    ServiceError,
    ThrottledError,
    UniqueConstraintError,
    UnprocessedItemsError,
    VersionConflictError,
)
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import (
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

T = TypeVar("T")


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


class Member(DomainModel):
    member_id: str
    email: str

    class Meta:
        table_name = "members"
        partition_key = "member_id"
        unique = ("email",)


class Retitle(UpdateDTO[Doc]):
    title: str


class Relabel(UpdateDTO[Counter]):
    label: str


class NewEmail(UpdateDTO[Member]):
    email: str


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def transport() -> Iterator[ScriptedTransport]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(TableGateway(client), [Counter, Doc, Member])
        yield ScriptedTransport(backend=BotocoreTransport(client))


@pytest.fixture
def gateway(transport: ScriptedTransport, sleeps: Sleeps) -> AsyncTableGateway:
    return AsyncTableGateway(transport, retry=RetryPolicy(sleep=sleeps, request_attempts=4))


@pytest.fixture
def counters(gateway: AsyncTableGateway) -> AsyncWriteApi[Counter]:
    return AsyncWriteApi[Counter](gateway)


@pytest.fixture
def docs(gateway: AsyncTableGateway) -> AsyncWriteApi[Doc]:
    return AsyncWriteApi[Doc](gateway)


async def stored(gateway: AsyncTableGateway, model: type[Any], **key: str) -> Any:
    return await AsyncReadApi[model](gateway).get(**key)  # type: ignore[valid-type]


# -- reads -------------------------------------------------------------------------------------


def test_throttled_get_is_retried_after_the_policys_pause(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport, sleeps: Sleeps
) -> None:
    async def scenario() -> None:
        await counters.create(Counter(counter_id="c1"))
        transport.script("GetItem", throttle(), throttle())
        assert await stored(counters.gateway, Counter, counter_id="c1") == Counter(counter_id="c1")

    run(scenario)
    assert transport.count("GetItem") == 3
    assert len(sleeps) == 2


def test_throttling_that_outlives_the_attempts_is_throttled_error(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    transport.script("GetItem", *[throttle()] * 4)
    with pytest.raises(ThrottledError):
        run(lambda: stored(gateway, Counter, counter_id="c1"))
    assert transport.count("GetItem") == 4


@pytest.mark.parametrize(
    "fault",
    [lose_response, read_timeout, refuse_connection, server_error, empty_body, corrupt_body],
)
def test_a_read_is_resent_after_any_fault(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport, fault: Any
) -> None:
    async def scenario() -> Any:
        await counters.create(Counter(counter_id="c1", hits=3))
        transport.script("GetItem", fault())
        return await stored(counters.gateway, Counter, counter_id="c1")

    assert run(scenario).hits == 3
    assert transport.count("GetItem") == 2


def test_an_empty_body_and_a_crc_mismatch_are_never_used(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    transport.script("GetItem", *[empty_body()] * 4)
    with pytest.raises(ServiceError, match="empty body"):
        run(lambda: stored(gateway, Counter, counter_id="c1"))
    transport.script("GetItem", *[crc_mismatch()] * 4)
    with pytest.raises(ServiceError, match="CRC32"):
        run(lambda: stored(gateway, Counter, counter_id="c1"))


def test_a_corrupt_page_is_never_read_as_the_end_of_a_stream(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> list[Counter]:
        for index in range(3):
            await counters.create(Counter(counter_id=f"c{index}"))
        transport.script("Scan", *[corrupt_body()] * 4)
        return [c async for c in AsyncReadApi[Counter](counters.gateway).scan_all()]

    with pytest.raises(ServiceError, match="not a JSON object"):
        run(scenario)


def test_query_pages_and_scan_pages_are_resent_after_lost_responses(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> tuple[int, list[str]]:
        for index in range(5):
            await counters.create(Counter(counter_id=f"c{index}"))
        reads = AsyncReadApi[Counter](counters.gateway)
        transport.script("Scan", lose_response())
        page = await reads.scan()
        transport.script("Scan", lose_response())
        streamed = [c.counter_id async for c in reads.scan_all(page_size=2)]
        return len(page.items), sorted(streamed)

    count, streamed = run(scenario)
    assert count == 5
    assert streamed == [f"c{i}" for i in range(5)]


def test_batch_get_leftovers_are_resent(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport, sleeps: Sleeps
) -> None:
    async def scenario() -> list[str]:
        for index in range(4):
            await counters.create(Counter(counter_id=f"c{index}"))
        transport.script("BatchGetItem", unprocessed(0.5))
        result = await AsyncReadApi[Counter](counters.gateway).batch_get(
            [{"counter_id": f"c{i}"} for i in range(4)]
        )
        return [item.counter_id for item in result.items]

    assert run(scenario) == ["c0", "c1", "c2", "c3"]
    assert transport.count("BatchGetItem") == 2
    assert len(sleeps) == 1


def test_transact_get_and_count_are_retried(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> tuple[int, int]:
        await counters.create(Counter(counter_id="c1", hits=2))
        reads = AsyncReadApi[Counter](counters.gateway)
        transport.script("TransactGetItems", throttle())
        result = await reads.transact_get([{"counter_id": "c1"}, {"counter_id": "c2"}])
        transport.script("Scan", server_error())
        return len(result.missing), await reads.scan_count()

    assert run(scenario) == (1, 1)


# -- writes: applied exactly once, or OutcomeUnknownError ----------------------------------------


def test_a_counter_whose_response_is_lost_is_outcome_unknown_and_applied_once(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> None:
        await counters.create(Counter(counter_id="c1"))
        transport.script("UpdateItem", lose_response())
        with pytest.raises(OutcomeUnknownError, match="may or may not have been applied"):
            await counters.update({"counter_id": "c1"}, Update().increment("hits"))
        assert (await stored(counters.gateway, Counter, counter_id="c1")).hits == 1

    run(scenario)
    assert transport.count("UpdateItem") == 1


def test_a_counter_throttled_first_is_resent_and_applied_once(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> int:
        await counters.create(Counter(counter_id="c1"))
        transport.script("UpdateItem", throttle())
        return (await counters.update({"counter_id": "c1"}, Update().increment("hits"))).hits

    assert run(scenario) == 1
    assert transport.count("UpdateItem") == 2


def test_an_idempotent_counter_is_resent_with_one_token_and_one_body(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> int:
        await counters.create(Counter(counter_id="c1"))
        transport.script("TransactWriteItems", read_timeout(applied=False))
        after = await counters.update(
            {"counter_id": "c1"}, Update().increment("hits"), idempotent=True
        )
        return after.hits

    assert run(scenario) == 1
    sent = [c.params for c in transport.calls if c.operation == "TransactWriteItems"]
    assert len(sent) == 2
    assert sent[0] == sent[1]


def test_a_versioned_update_whose_response_is_lost_succeeds_once(
    docs: AsyncWriteApi[Doc], transport: ScriptedTransport
) -> None:
    async def scenario() -> tuple[str, int, int]:
        doc = await docs.create(Doc(doc_id="d1", title="a"))
        transport.script("UpdateItem", lose_response())
        after = await docs.update(doc, Retitle(title="b"))
        again = await stored(docs.gateway, Doc, doc_id="d1")
        return after.title, after.version, again.version

    assert run(scenario) == ("b", 2, 2)
    assert transport.count("UpdateItem") == 2


def test_a_versioned_conflict_by_another_writer_is_a_conflict(
    docs: AsyncWriteApi[Doc], transport: ScriptedTransport
) -> None:
    assert transport.backend is not None
    other = TableGateway(transport.backend)

    async def scenario() -> None:
        doc = await docs.create(Doc(doc_id="d1", title="a"))
        other.update_item(
            {
                "TableName": "docs",
                "Key": {"doc_id": {"S": "d1"}},
                "UpdateExpression": "SET #v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": "2"}},
            }
        )
        with pytest.raises(VersionConflictError) as caught:
            await docs.update(doc, Retitle(title="ours"))
        assert (caught.value.expected, caught.value.current) == (1, 2)

    run(scenario)


def test_a_create_whose_response_is_lost_returns_the_item_not_already_exists(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    transport.script("PutItem", lose_response())
    created = run(lambda: counters.create(Counter(counter_id="c1", hits=5)))
    assert created.hits == 5
    assert transport.count("PutItem") == 2


def test_a_versioned_create_of_a_taken_key_after_a_lost_response_is_already_exists(
    docs: AsyncWriteApi[Doc], transport: ScriptedTransport
) -> None:
    async def scenario() -> None:
        await docs.create(Doc(doc_id="d1", title="theirs"))
        transport.script("PutItem", read_timeout(applied=False))
        with pytest.raises(AlreadyExistsError):
            await docs.create(Doc(doc_id="d1", title="ours"))

    run(scenario)


def test_a_conditional_update_lost_after_applying_is_its_own_write(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> str:
        await counters.create(Counter(counter_id="c1", label="open"))
        transport.script("UpdateItem", lose_response())
        after = await counters.update(
            {"counter_id": "c1"}, Relabel(label="closed"), condition=Attr("label") == "open"
        )
        return after.label

    assert run(scenario) == "closed"


def test_modify_after_a_lost_response_applies_the_change_once(
    docs: AsyncWriteApi[Doc], transport: ScriptedTransport
) -> None:
    async def scenario() -> tuple[str, int]:
        await docs.create(Doc(doc_id="d1", title="a"))
        transport.script("UpdateItem", lose_response())
        after = await docs.modify({"doc_id": "d1"}, lambda doc: Retitle(title=doc.title + "!"))
        return after.title, after.version

    assert run(scenario) == ("a!", 2)


def test_modify_of_a_missing_item_and_upsert(
    docs: AsyncWriteApi[Doc], transport: ScriptedTransport
) -> None:
    async def scenario() -> Doc:
        with pytest.raises(ItemNotFoundError):
            await docs.modify({"doc_id": "nope"}, lambda doc: Retitle(title="x"))
        transport.script("PutItem", lose_response())  # the upsert's create: resent safely
        return await docs.update(
            {"doc_id": "d9"}, Retitle(title="new"), upsert=True, expected_version=0
        )

    created = run(scenario)
    assert (created.title, created.version) == ("new", 1)


def test_a_versioned_delete_whose_response_is_lost_succeeds(
    docs: AsyncWriteApi[Doc], transport: ScriptedTransport
) -> None:
    async def scenario() -> Any:
        doc = await docs.create(Doc(doc_id="d1", title="a"))
        transport.script("DeleteItem", lose_response())
        await docs.delete(doc, expected_version=1)
        return await stored(docs.gateway, Doc, doc_id="d1")

    assert run(scenario) is None


def test_a_write_lost_on_every_attempt_is_outcome_unknown(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> None:
        await counters.create(Counter(counter_id="c1"))
        transport.script("UpdateItem", *[lose_response()] * 4)
        with pytest.raises(OutcomeUnknownError):
            await counters.update({"counter_id": "c1"}, Relabel(label="x"))

    run(scenario)
    assert transport.count("UpdateItem") == 4


def test_unique_guards_move_after_a_fresh_read_and_refuse_a_taken_value(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    members = AsyncWriteApi[Member](gateway)

    async def scenario() -> None:
        await members.create(Member(member_id="m1", email="a@x"))
        await members.create(Member(member_id="m2", email="b@x"))
        transport.script("GetItem", throttle())  # the fresh read is retried
        moved = await members.update({"member_id": "m1"}, NewEmail(email="c@x"))
        assert moved.email == "c@x"
        with pytest.raises(UniqueConstraintError):
            await members.update({"member_id": "m2"}, NewEmail(email="c@x"))
        await members.create(Member(member_id="m3", email="a@x"))  # released by the move

    run(scenario)


# -- transactions: one token, one body ----------------------------------------------------------


def test_a_transaction_whose_response_is_lost_is_resent_with_the_same_token_and_body(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    async def scenario() -> AsyncTransaction:
        transport.script("TransactWriteItems", read_timeout(applied=False))
        async with AsyncTransaction(gateway) as tx:
            tx.create(Doc(doc_id="d1", title="a"))
            tx.create(Counter(counter_id="c1"))
        return tx

    tx = run(scenario)
    sent = [c.params for c in transport.calls if c.operation == "TransactWriteItems"]
    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert sent[0]["ClientRequestToken"] == tx.client_request_token
    assert tx.committed


def test_a_transaction_outcome_unknown_is_committed_again_with_the_same_request(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    tx = AsyncTransaction(gateway)
    tx.create(Doc(doc_id="d1", title="a"))
    transport.script("TransactWriteItems", *[read_timeout(applied=False)] * 4)
    with pytest.raises(ServiceError):
        run(tx.commit)
    assert not tx.committed
    run(tx.commit)
    sent = [c.params for c in transport.calls if c.operation == "TransactWriteItems"]
    assert len(sent) == 5
    assert all(params == sent[0] for params in sent)
    with pytest.raises(Exception, match="committed already"):
        run(tx.commit)


def test_a_transaction_reads_deferred_items_inside_commit_only(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    members = AsyncWriteApi[Member](gateway)
    run(lambda: members.create(Member(member_id="m1", email="a@x")))
    before = len(transport.calls)
    tx = AsyncTransaction(gateway)
    tx.update(Member, {"member_id": "m1"}, NewEmail(email="z@x"))
    assert len(transport.calls) == before  # adding sends nothing
    run(tx.commit)
    operations = [c.operation for c in transport.calls[before:]]
    assert operations == ["GetItem", "TransactWriteItems"]


def test_a_block_left_by_an_exception_commits_nothing(
    gateway: AsyncTableGateway, transport: ScriptedTransport
) -> None:
    async def scenario() -> None:
        async with AsyncTransaction(gateway) as tx:
            tx.create(Doc(doc_id="d1", title="a"))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        run(scenario)
    assert transport.count("TransactWriteItems") == 0


# -- batches: exact accounting ----------------------------------------------------------------


def test_a_batch_stopped_by_an_error_lists_exactly_what_was_not_written(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
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

    async def scenario() -> None:
        for index in range(60):
            await batch.put(Counter(counter_id=f"c{index}"))
        await batch.flush()

    with pytest.raises(UnprocessedItemsError) as caught:
        run(scenario)
    missing = {entry.key["counter_id"]["S"] for entry in caught.value.unprocessed}
    assert missing == {f"c{index}" for index in range(25, 60)}
    assert batch.written == 25
    assert batch.pending == ()


def test_batch_write_leftovers_and_lost_chunks_are_resent(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> tuple[int, int]:
        transport.script("BatchWriteItem", unprocessed(0.4), lose_response())
        async with counters.batch(flush_at=10) as batch:
            for index in range(30):
                await batch.put(Counter(counter_id=f"c{index}"))
            await batch.delete({"counter_id": "gone"})
        return batch.written, await AsyncReadApi[Counter](counters.gateway).scan_count()

    assert run(scenario) == (31, 30)


def test_a_batch_block_left_by_an_exception_sends_nothing_more(
    counters: AsyncWriteApi[Counter], transport: ScriptedTransport
) -> None:
    async def scenario() -> None:
        async with counters.batch() as batch:
            await batch.put(Counter(counter_id="c1"))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        run(scenario)
    assert transport.count("BatchWriteItem") == 0
