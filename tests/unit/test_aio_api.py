"""``ddbwrap.aio`` mirrors the sync API: every public method has its twin with the same
parameters and result (awaited, or an async iterator), overloads included; and the async
driver keeps the sync driver's semantics."""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typing_extensions import get_overloads

import ddbwrap.aio
from ddbwrap import DomainModel, ReadApi, Transaction, WriteApi
from ddbwrap._engine.faults import AttemptError, attempt_error
from ddbwrap._engine.steps import Call, Emit, Flow, Params, Sleep
from ddbwrap.aio import (
    AsyncBatchWriter,
    AsyncReadApi,
    AsyncTableGateway,
    AsyncTransaction,
    AsyncWriteApi,
)
from ddbwrap.aio import drive as adrive
from ddbwrap.errors import (
    ModelDefinitionError,
    OutcomeUnknownError,
    ServiceError,
    ValidationError,
)
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.read.transact import transact_get
from ddbwrap.write.batch import BatchWriter

# -- the two APIs side by side ---------------------------------------------------------------

PAIRS = [
    (ReadApi, AsyncReadApi),
    (WriteApi, AsyncWriteApi),
    (Transaction, AsyncTransaction),
    (BatchWriter, AsyncBatchWriter),
    (TableGateway, AsyncTableGateway),
]
ONLY_SYNC = {"__enter__", "__exit__"}
ONLY_ASYNC = {"__aenter__", "__aexit__", "open", "close", "from_gateway"}
RENAMED = {
    "AsyncIterator": "Iterator",
    "AsyncTableGateway": "TableGateway",
    "AsyncBatchWriter": "BatchWriter",
    "AsyncTransaction": "Transaction",
    "AsyncTransport": "Transport",
}


def public(cls: type) -> dict[str, Any]:
    names = {
        name
        for klass in cls.__mro__
        if klass.__module__.startswith("ddbwrap")
        for name, value in vars(klass).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    }
    return {name: inspect.getattr_static(cls, name) for name in names}


def normalized(annotation: Any) -> str:
    text = str(annotation)
    for async_name, sync_name in RENAMED.items():
        text = re.sub(rf"\b{async_name}\b", sync_name, text)
    return text.replace("DynamoDBClient", "Any")


def shape(function: Any) -> list[tuple[str, str, str, str]]:
    signature = inspect.signature(function)
    params = [
        (p.name, str(p.kind), repr(p.default), normalized(p.annotation))
        for p in signature.parameters.values()
    ]
    return [*params, ("->", "", "", normalized(signature.return_annotation))]


def unwrap(member: Any) -> Any:
    if isinstance(member, (classmethod, staticmethod)):
        return member.__func__
    if isinstance(member, property):
        return member.fget
    return member


@pytest.mark.parametrize("sync, twin", PAIRS, ids=lambda c: c.__name__)
def test_every_public_member_has_its_async_twin(sync: type, twin: type) -> None:
    sync_members, async_members = public(sync), public(twin)
    assert set(sync_members) - ONLY_SYNC == set(async_members) - ONLY_ASYNC
    for name, member in sync_members.items():
        if name in ONLY_SYNC:
            continue
        mine, theirs = unwrap(member), unwrap(async_members[name])
        if isinstance(member, property):
            assert isinstance(async_members[name], property), name
            assert normalized(inspect.signature(mine).return_annotation) == normalized(
                inspect.signature(theirs).return_annotation
            ), name
            continue
        assert shape(mine) == shape(theirs), f"{sync.__name__}.{name}"
        if inspect.iscoroutinefunction(theirs) or inspect.isasyncgenfunction(theirs):
            assert not inspect.iscoroutinefunction(mine), name
        sync_overloads = get_overloads(mine)
        async_overloads = get_overloads(theirs)
        assert [shape(o) for o in sync_overloads] == [shape(o) for o in async_overloads], name


def test_what_may_block_is_awaited_and_what_cannot_is_not() -> None:
    blocking = {
        AsyncReadApi: {
            "get",
            "require",
            "batch_get",
            "transact_get",
            "query",
            "count",
            "scan",
            "scan_count",
        },
        AsyncWriteApi: {"create", "put", "replace", "update", "modify", "delete"},
        AsyncTransaction: {"commit"},
        AsyncBatchWriter: {"put", "delete", "flush"},
    }
    for cls, names in blocking.items():
        for name, member in public(cls).items():
            awaited = inspect.iscoroutinefunction(unwrap(member))
            assert awaited == (name in names), f"{cls.__name__}.{name}"
    # streams are plain methods returning async iterators: checked when called, sent when used
    assert not inspect.iscoroutinefunction(AsyncReadApi.query_all)
    assert not inspect.iscoroutinefunction(AsyncReadApi.scan_all)
    assert inspect.iscoroutinefunction(ddbwrap.aio.transact_get)
    assert list(inspect.signature(ddbwrap.aio.transact_get).parameters) == list(
        inspect.signature(transact_get).parameters
    )


def test_import_ddbwrap_imports_nothing_async() -> None:
    code = (
        "import sys, ddbwrap, ddbwrap.read, ddbwrap.write, ddbwrap.gateway, ddbwrap.transport;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('asyncio', 'aiobotocore', 'aiohttp') or m.startswith('ddbwrap.aio'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_ddbwrap_aio_does_not_import_aiobotocore_until_a_client_is_made() -> None:
    code = (
        "import sys, ddbwrap.aio;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('aiobotocore', 'aiohttp'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- binding, gateways ---------------------------------------------------------------------------


class Item(DomainModel):
    item_id: str
    name: str = ""

    class Meta:
        table_name = "items"
        partition_key = "item_id"


class Answers:
    """A tiny async transport: answers per operation, records the calls."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Params]] = []

    async def call(self, operation: str, params: Params) -> Params:
        self.calls.append((operation, params))
        answer = self.answers[operation]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return await answer(params)  # type: ignore[no-any-return]
        return dict(answer)


def gateway_over(transport: Any, **options: Any) -> AsyncTableGateway:
    return AsyncTableGateway(transport, table_prefix="t-", **options)


def test_models_bind_as_in_sync_and_subclasses_keep_them() -> None:
    class ItemReads(AsyncReadApi[Item]):
        pass

    class ItemWrites(AsyncWriteApi[Item]):
        pass

    gateway = gateway_over(Answers())
    assert ItemReads(gateway).model is Item
    assert ItemWrites(gateway).model is Item
    assert AsyncReadApi[Item] is AsyncReadApi[Item]
    assert AsyncReadApi[Item] is not ReadApi[Item]
    with pytest.raises(ModelDefinitionError, match=r"AsyncReadApi\[YourModel\]"):
        AsyncReadApi(gateway)  # type: ignore[var-annotated]
    with pytest.raises(ModelDefinitionError, match=r"AsyncWriteApi\[YourModel\]"):
        AsyncWriteApi(gateway)  # type: ignore[var-annotated]


def test_each_facade_refuses_the_other_kind_of_gateway() -> None:
    sync = TableGateway(Answers())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="AsyncTableGateway"):
        AsyncReadApi[Item](sync)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="AsyncTableGateway"):
        AsyncTransaction(sync)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs a TableGateway"):
        ReadApi[Item](gateway_over(Answers()))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="aiobotocore DynamoDB client"):
        import boto3

        AsyncTableGateway(boto3.client("dynamodb", region_name="us-east-1"))


def test_explain_and_params_are_the_sync_dry_runs() -> None:
    gateway = gateway_over(Answers())
    sync = ReadApi[Item](TableGateway(Answers(), table_prefix="t-"))  # type: ignore[arg-type]
    reads = AsyncReadApi[Item](gateway)
    assert reads.explain.get(item_id="a") == sync.explain.get(item_id="a")
    assert reads.explain.scan(limit=3) == sync.explain.scan(limit=3)
    tx = AsyncTransaction(gateway, client_request_token="tok")
    tx.create(Item(item_id="a"))
    twin = Transaction(TableGateway(Answers()), client_request_token="tok")  # type: ignore[arg-type]
    twin.create(Item(item_id="a"))
    assert tx.params() == twin.params()


def test_table_names_are_mapped_both_ways() -> None:
    transport = Answers(
        GetItem={"Item": {"item_id": {"S": "a"}, "name": {"S": "x"}}},
        BatchGetItem={"Responses": {"t-items": [{"item_id": {"S": "b"}}]}},
    )
    reads = AsyncReadApi[Item](gateway_over(transport))

    async def scenario() -> tuple[Any, Any]:
        return await reads.get(item_id="a"), await reads.batch_get([{"item_id": "b"}])

    found, batch = asyncio.run(scenario())
    assert found == Item(item_id="a", name="x")
    assert [i.item_id for i in batch.items] == ["b"]
    assert transport.calls[0][1]["TableName"] == "t-items"
    assert list(transport.calls[1][1]["RequestItems"]) == ["t-items"]


def test_a_closed_environment_gateway_says_how_to_open_it() -> None:
    gateway = AsyncTableGateway.from_environment(region_name="us-east-1")
    with pytest.raises(ValidationError, match="async with"):
        asyncio.run(AsyncReadApi[Item](gateway).get(item_id="a"))


def test_from_environment_opens_and_closes_its_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("DDBWRAP_TABLE_PREFIX", "env-")
    gateway = AsyncTableGateway.from_environment(
        region_name="eu-west-1", endpoint_url="http://127.0.0.1:9", max_attempts=3
    )

    async def scenario() -> Any:
        async with gateway as opened:
            assert opened is gateway
            client = gateway.client
            assert client.meta.region_name == "eu-west-1"
            assert gateway.retry.request_attempts == 3
            assert gateway.physical_table_name("x") == "env-x"
        assert gateway.client is None
        return client

    client = asyncio.run(scenario())
    assert not client._endpoint.http_session._sessions  # closed


def test_from_environment_refuses_an_unknown_retry_mode() -> None:
    with pytest.raises(ServiceError, match="eager"):
        AsyncTableGateway.from_environment(region_name="us-east-1", retry_mode="eager")


def test_from_environment_without_a_region_is_a_service_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    async def scenario() -> None:
        async with AsyncTableGateway.from_environment():
            pass

    with pytest.raises(ServiceError, match="no AWS region"):
        asyncio.run(scenario())


def test_a_gateways_async_twin_shares_its_configuration() -> None:
    from ddbwrap.testing.local import local_client

    sync = TableGateway(local_client("http://127.0.0.1:9"), table_prefix="p-", table_suffix="-s")

    async def scenario() -> None:
        async with AsyncTableGateway.from_gateway(sync) as twin:
            assert (twin.table_prefix, twin.table_suffix) == ("p-", "-s")
            assert twin.retry == sync.retry
            assert twin.fast_path == sync.fast_path
            assert twin.endpoint_url == "http://127.0.0.1:9"
            credentials = twin.client._request_signer._credentials
            assert credentials.access_key == sync.client._request_signer._credentials.access_key

    asyncio.run(scenario())


# -- the driver ---------------------------------------------------------------------------------


async def answer(step: Call) -> Params:
    if step.params.get("fail"):
        raise step.params["fail"]
    return {"echo": step.params}


async def no_sleep(seconds: float) -> None:
    return None


def test_the_async_driver_throws_failures_into_the_flow_like_the_sync_one() -> None:
    seen: list[str] = []

    def flow() -> Flow[str]:
        try:
            yield Call("GetItem", {"fail": attempt_error("throttled", "slow down")})
        except AttemptError as failed:
            seen.append(failed.kind)
        yield Sleep(1.0)
        response = yield Call("GetItem", {"n": 1})
        return str(response["echo"]["n"])

    assert asyncio.run(adrive.run(flow(), answer, no_sleep)) == "1"
    assert seen == ["throttled"]


def test_an_attempt_error_escaping_a_flow_is_outcome_unknown() -> None:
    def flow() -> Flow[None]:
        yield Call("UpdateItem", {"fail": attempt_error("lost", "gone")})

    with pytest.raises(OutcomeUnknownError, match="may or may not have been applied"):
        asyncio.run(adrive.run(flow(), answer, no_sleep))


def test_run_refuses_an_emitting_flow_and_iterate_streams_it() -> None:
    def flow() -> Flow[None]:
        for n in range(3):
            response = yield Call("Query", {"n": n})
            yield Emit(response["echo"]["n"])

    with pytest.raises(TypeError, match="yielded"):
        asyncio.run(adrive.run(flow(), answer, no_sleep))

    async def collect() -> list[Any]:
        return [value async for value in adrive.iterate(flow(), answer, no_sleep)]

    assert asyncio.run(collect()) == [0, 1, 2]


def test_a_cancelled_flow_is_closed_and_runs_no_further_step() -> None:
    steps: list[str] = []
    started = asyncio.Event()

    async def hang(step: Call) -> Params:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("not reached")  # pragma: no cover

    def flow() -> Flow[None]:
        try:
            steps.append("call")
            yield Call("UpdateItem", {})
            steps.append("after")  # pragma: no cover
        finally:
            steps.append("closed")

    async def scenario() -> None:
        task = asyncio.ensure_future(adrive.run(flow(), hang, no_sleep))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert steps == ["call", "closed"]


def test_a_timeout_around_a_write_leaves_nothing_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    async def slow(params: Params) -> Params:
        calls.append("UpdateItem")
        await asyncio.sleep(3600)
        return {}  # pragma: no cover

    transport = Answers(UpdateItem=slow)
    writes = AsyncWriteApi[Item](gateway_over(transport))

    async def scenario() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(writes.update({"item_id": "a"}, _Rename(name="b")), 0.05)
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert calls == ["UpdateItem"]  # cancelled in flight: never re-sent, nothing left running


class _Rename(ddbwrap.UpdateDTO[Item]):
    name: str


def test_a_batch_flush_cancelled_in_flight_requeues_every_write_of_its_requests() -> None:
    """The flush's two requests go out together; one is answered, the other never is. The
    flow sees its answers together, so none is counted: all 40 writes are queued again, in
    order (puts and deletes may be sent twice)."""
    sent: list[int] = []

    async def write(params: Params) -> Params:
        sent.append(len(params["RequestItems"]["t-items"]))
        if len(sent) == 2:
            await asyncio.sleep(3600)
        return {}

    writes = AsyncWriteApi[Item](gateway_over(Answers(BatchWriteItem=write)))
    batch = writes.batch()

    async def scenario() -> None:
        for index in range(40):
            await batch.put(Item(item_id=f"i{index}"))
        task = asyncio.ensure_future(batch.flush())
        while len(sent) < 2:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert sent == [25, 15]
    assert batch.written == 0
    assert [e.key["item_id"]["S"] for e in batch.pending] == [f"i{i}" for i in range(40)]


def test_a_transaction_cancelled_in_flight_commits_again_with_the_same_request() -> None:
    bodies: list[Params] = []

    async def first_hangs(params: Params) -> Params:
        bodies.append(params)
        if len(bodies) == 1:
            await asyncio.sleep(3600)
        return {}

    gateway = gateway_over(Answers(TransactWriteItems=first_hangs))
    tx = AsyncTransaction(gateway)
    tx.create(Item(item_id="a"))

    async def scenario() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(tx.commit(), 0.05)
        assert not tx.committed
        await tx.commit()

    asyncio.run(scenario())
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert tx.committed


def test_leaving_a_parallel_scan_early_cancels_its_segment_tasks() -> None:
    pending: set[int] = set()

    async def scan(params: Params) -> Params:
        segment = params["Segment"]
        pending.add(segment)
        try:
            await asyncio.sleep(0 if segment == 0 else 3600)
        finally:
            pending.discard(segment)
        return {"Items": [{"item_id": {"S": f"s{segment}"}}], "LastEvaluatedKey": None}

    reads = AsyncReadApi[Item](gateway_over(Answers(Scan=scan)))

    async def scenario() -> list[str]:
        stream = reads.scan_all(segments=4)
        first = await stream.__anext__()
        await stream.aclose()  # type: ignore[attr-defined]
        return [first.item_id, *map(str, sorted(pending))]

    assert asyncio.run(scenario()) == ["s0"]
    assert pending == set()


def test_parallel_segments_are_tasks_with_one_request_each_in_flight() -> None:
    in_flight = [0, 0]

    async def scan(params: Params) -> Params:
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        await asyncio.sleep(0.01)
        in_flight[0] -= 1
        start = params.get("ExclusiveStartKey")
        page = 0 if start is None else int(start["item_id"]["S"].split("-")[1]) + 1
        key = {"item_id": {"S": f"{params['Segment']}-{page}"}}
        return {"Items": [key], "LastEvaluatedKey": key if page < 2 else None}

    reads = AsyncReadApi[Item](gateway_over(Answers(Scan=scan)))

    async def scenario() -> list[str]:
        return sorted([i.item_id async for i in reads.scan_all(segments=3)])

    assert asyncio.run(scenario()) == [f"{s}-{p}" for s in range(3) for p in range(3)]
    assert in_flight[1] == 3
    assert asyncio.run(reads.scan_count(segments=3)) == 0


def test_query_all_checks_its_arguments_when_called_and_sends_when_iterated() -> None:
    transport = Answers(Query={"Items": []})
    reads = AsyncReadApi[Item](gateway_over(transport))
    with pytest.raises(ValidationError):
        reads.query_all(item_id="a", page_size=0)
    stream = reads.query_all(item_id="a")
    assert transport.calls == []

    async def drain() -> list[Item]:
        return [i async for i in stream]

    assert asyncio.run(drain()) == []
    assert [op for op, _ in transport.calls] == ["Query"]


def test_a_sync_transport_is_accepted_as_it_is() -> None:
    class Sync:
        def call(self, operation: str, params: Params) -> Params:
            return {"Item": {"item_id": {"S": "a"}}}

    reads = AsyncReadApi[Item](AsyncTableGateway(Sync()))
    assert asyncio.run(reads.get(item_id="a")) == Item(item_id="a")
    with pytest.raises(ValidationError, match="call"):
        AsyncTableGateway(object())


def test_the_policys_own_sleep_is_used_and_may_be_async() -> None:
    from ddbwrap.retry import RetryPolicy

    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    transport = Answers(
        GetItem=[attempt_error("throttled", "x"), attempt_error("throttled", "y"), {}]
    )
    policy = RetryPolicy(sleep=record, jitter=lambda: 1.0)  # type: ignore[arg-type]
    reads = AsyncReadApi[Item](gateway_over(transport, retry=policy))
    assert asyncio.run(reads.get(item_id="a")) is None
    assert slept == [0.05, 0.1]


def _names(module: Any) -> Iterator[str]:
    return (name for name in module.__all__)


def test_the_package_exports_the_twins() -> None:
    assert set(_names(ddbwrap.aio)) >= {
        "AsyncTableGateway",
        "AsyncReadApi",
        "AsyncWriteApi",
        "AsyncTransaction",
        "AsyncBatchWriter",
        "Transaction",
        "transact_get",
    }
    assert ddbwrap.aio.Transaction is AsyncTransaction


_: Callable[..., Any] = transact_get


def test_retry_on_conflict_is_awaited_with_the_sync_parameters() -> None:
    from ddbwrap import retry_on_conflict as sync_retry
    from ddbwrap.errors import VersionConflictError

    assert list(inspect.signature(ddbwrap.aio.retry_on_conflict).parameters) == list(
        inspect.signature(sync_retry).parameters
    )
    tries: list[int] = []
    slept: list[float] = []

    async def attempt() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise VersionConflictError("stale", expected=1, current=2)
        return "done"

    async def record(seconds: float) -> None:
        slept.append(seconds)

    assert asyncio.run(ddbwrap.aio.retry_on_conflict(attempt, sleep=record)) == "done"
    assert (len(tries), len(slept)) == (3, 2)
    tries.clear()
    with pytest.raises(VersionConflictError):
        asyncio.run(ddbwrap.aio.retry_on_conflict(attempt, attempts=2, sleep=record))


@pytest.mark.parametrize("redact", [True, False])
def test_errors_follow_the_gateways_redaction_as_in_sync(redact: bool) -> None:
    from ddbwrap.errors import AlreadyExistsError
    from ddbwrap.testing import ScriptedTransport, error

    messages = []
    for make in (
        lambda t: asyncio.run(
            AsyncWriteApi[Item](AsyncTableGateway(t, redact_values=redact)).create(
                Item(item_id="secret-key")
            )
        ),
        lambda t: WriteApi[Item](TableGateway(t, redact_values=redact)).create(
            Item(item_id="secret-key")
        ),
    ):
        transport = ScriptedTransport()
        transport.script(
            "PutItem",
            error("ConditionalCheckFailedException", item={"item_id": {"S": "secret-key"}}),
        )
        with pytest.raises(AlreadyExistsError) as caught:
            make(transport)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert ("secret-key" in messages[0]) is not redact
    gateway = AsyncTableGateway(ScriptedTransport(), redact_values=redact)
    assert gateway.redact_values is redact


SECRET_NUMBER = 918273645546372819
"""An int where a str key goes (refused while building), or the key of a too large item."""
TOO_LARGE = Item(item_id=str(SECRET_NUMBER), name="x" * 410_000)


async def _batch_put(gateway: AsyncTableGateway) -> None:
    async with AsyncWriteApi[Item](gateway).batch() as batch:
        await batch.put(TOO_LARGE)


async def _batch_delete(gateway: AsyncTableGateway) -> None:
    async with AsyncWriteApi[Item](gateway).batch() as batch:
        await batch.delete({"item_id": SECRET_NUMBER})


async def _transaction(
    gateway: AsyncTableGateway, add: Callable[[AsyncTransaction], object]
) -> None:
    async with AsyncTransaction(gateway) as tx:
        add(tx)


def _collection_query(gateway: AsyncTableGateway) -> Any:
    from ddbwrap.aio import AsyncCollection

    return AsyncCollection(gateway, Item).query(item_id=SECRET_NUMBER)


REFUSED_BY_ASYNC_FACADES: dict[str, Callable[[AsyncTableGateway], Any]] = {
    "get": lambda g: AsyncReadApi[Item](g).get(item_id=SECRET_NUMBER),
    "batch get": lambda g: AsyncReadApi[Item](g).batch_get([{"item_id": SECRET_NUMBER}]),
    "query": lambda g: AsyncReadApi[Item](g).query(item_id=SECRET_NUMBER),
    "collection query": _collection_query,
    "batch put": _batch_put,
    "batch delete": _batch_delete,
    "transaction update": lambda g: _transaction(
        g, lambda tx: tx.update(Item, {"item_id": "i1"}, Update().set("name", SECRET_NUMBER))
    ),
    "transaction check": lambda g: _transaction(
        g, lambda tx: tx.check(Item, {"item_id": SECRET_NUMBER}, Attr("name") == "x")
    ),
    "transaction create": lambda g: _transaction(g, lambda tx: tx.create(TOO_LARGE)),
}


@pytest.mark.parametrize("redact", [True, False])
@pytest.mark.parametrize(
    "refused", list(REFUSED_BY_ASYNC_FACADES.values()), ids=list(REFUSED_BY_ASYNC_FACADES)
)
def test_a_refused_argument_follows_the_gateways_redaction(
    refused: Callable[[AsyncTableGateway], Any], redact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ddbwrap._redact import ENV
    from ddbwrap.testing import ScriptedTransport

    monkeypatch.delenv(ENV, raising=False)
    gateway = AsyncTableGateway(ScriptedTransport(), redact_values=redact)
    with pytest.raises(ValidationError) as caught:
        asyncio.run(refused(gateway))
    assert (str(SECRET_NUMBER) in str(caught.value)) is not redact
