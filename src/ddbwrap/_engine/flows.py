"""Multi-call behaviours shared by every driver: retried calls, paging, batch leftovers.

Each is a generator of steps (``ddbwrap._engine.steps``) with no I/O and no clock of its own:
pauses come from the gateway's one ``RetryPolicy`` and are taken by the driver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import UnprocessedItemsError
from ..retry import RetryPolicy
from .drive import outcome_unknown
from .faults import AttemptError
from .steps import Call, Calls, Emit, Flow, Params, Sleep

if TYPE_CHECKING:
    from .._page_decoder import BodyReader

logger = logging.getLogger("ddbwrap.gateway")

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
"""Operations that change items: after a maybe-applied failure their outcome is unknown."""

MAX_BATCH_GET_KEYS = 100
"""DynamoDB's limit on keys per BatchGetItem request (over all tables)."""
MAX_BATCH_WRITE_REQUESTS = 25
"""DynamoDB's limit on put/delete requests per BatchWriteItem request (over all tables)."""


def call(
    policy: RetryPolicy,
    operation: str,
    params: Params,
    *,
    idempotent: bool = True,
    items: BodyReader | None = None,
) -> Flow[Params]:
    """One request, re-sent with backoff after throttling, 5xx and lost or corrupt responses.

    A request that is not ``idempotent`` is never re-sent after a failure that may have been
    applied (``AttemptError.maybe_applied``): the fault is raised to the calling flow, which decides
    the outcome. When the attempts run out, the last fault's ddbwrap error is raised
    (``OutcomeUnknownError`` for a write that may have been applied).
    """
    delays = None
    while True:
        try:
            response: Params = yield Call(operation, params, items)
            return response
        except AttemptError as failed:
            if failed.maybe_applied and not idempotent:
                raise
            if delays is None:
                delays = policy.request_delays()
            delay = next(delays, None)
            if delay is None:
                if failed.maybe_applied and operation in WRITES:
                    raise outcome_unknown(failed) from failed.error
                raise failed.error from failed.error.__cause__
            logger.debug("%s: %s, retrying in %.3f s", operation, failed.kind, delay)
            yield Sleep(delay)


def pages(
    policy: RetryPolicy,
    operation: str,
    params: Params,
    *,
    emit: Callable[[Params], Flow[Any]] | None = None,
    items: BodyReader | None = None,
) -> Flow[None]:
    """Every page of a Query or Scan, emitted one at a time (none held while the next is read);
    ``emit(page)``, when given, is a flow that turns each page into what is emitted (``items``:
    see ``Call``)."""
    while True:
        page = yield from call(policy, operation, params, items=items)
        last = page.get("LastEvaluatedKey")
        value = page if emit is None else (yield from emit(page))
        del page
        yield Emit(value)
        del value
        if not last:
            return
        params = {**params, "ExclusiveStartKey": last}


Pending = list[tuple[str, Params]]
"""``(logical table, key or write request)`` pairs still to send."""

REQUESTS_AT_ONCE = 4
"""The requests of a batch sent together (``Calls``) when their order does not matter (reads;
writes that never name a key twice): the server works on them side by side, and the client
waits once for all of them."""


def batch_get(
    policy: RetryPolicy,
    request_items: Mapping[str, Mapping[str, Any]],
    items: BodyReader | None = None,
) -> Flow[dict[str, list[Any]]]:
    """BatchGetItem for any number of keys: requests of 100, ``REQUESTS_AT_ONCE`` at a time,
    leftovers re-sent with backoff.

    Returns ``{table: [raw items]}`` with an entry for every table asked for (``items``, a
    body reader of one table's answers: each answer it reads gives ``(key, instance)`` pairs
    instead, see ``Call``).
    """
    options = {
        table: {name: value for name, value in spec.items() if name != "Keys"}
        for table, spec in request_items.items()
    }
    pending: Pending = [(t, key) for t, spec in request_items.items() for key in spec["Keys"]]
    results: dict[str, list[Any]] = {table: [] for table in request_items}

    def request(chunk: Sequence[tuple[str, Params]]) -> Params:
        grouped: dict[str, Params] = {}
        for table, key in chunk:
            entry = grouped.get(table)
            if entry is None:
                entry = grouped[table] = {**options[table], "Keys": []}
            entry["Keys"].append(key)
        return {"RequestItems": grouped}

    def collect(response: Params) -> Pending:
        for table, found in response.get("Responses", {}).items():
            results[table].extend(found)
        return [
            (table, key)
            for table, spec in response.get("UnprocessedKeys", {}).items()
            for key in spec.get("Keys", ())
        ]

    yield from _batches(
        policy,
        "BatchGetItem",
        pending,
        MAX_BATCH_GET_KEYS,
        request,
        collect,
        "keys",
        "read",
        items=items,
        at_once=REQUESTS_AT_ONCE,
    )
    return results


def batch_write(
    policy: RetryPolicy,
    request_items: Mapping[str, Sequence[Params]],
    written: list[tuple[str, Params]] | None = None,
    *,
    at_once: int = 1,
) -> Flow[None]:
    """BatchWriteItem for any number of puts/deletes: requests of 25, leftovers re-sent.

    Puts and deletes are idempotent, so a chunk whose response was lost is simply re-sent.
    ``written`` (optional) receives each ``(table, request)`` once DynamoDB confirmed it, so a
    caller knows exactly what was written when the flow stops on an error. ``at_once``
    requests are sent together (one after the other by default): only for writes that never
    name a key twice, whose order then does not matter.
    """
    pending: Pending = [
        (t, request) for t, requests in request_items.items() for request in requests
    ]

    def request(chunk: Sequence[tuple[str, Params]]) -> Params:
        grouped: dict[str, list[Params]] = {}
        for table, write in chunk:
            grouped.setdefault(table, []).append(write)
        return {"RequestItems": grouped}

    def collect(response: Params) -> Pending:
        return [
            (table, write)
            for table, writes in response.get("UnprocessedItems", {}).items()
            for write in writes
        ]

    def done(chunk: Sequence[tuple[str, Params]], unprocessed: Pending) -> None:
        if written is None:
            return
        if not unprocessed:  # the common answer: every request written
            written.extend(chunk)
            return
        left = {id(write) for _, write in unprocessed}
        written.extend(pair for pair in chunk if id(pair[1]) not in left)

    yield from _batches(
        policy,
        "BatchWriteItem",
        pending,
        MAX_BATCH_WRITE_REQUESTS,
        request,
        collect,
        "write requests",
        "written",
        done,
        at_once=at_once,
    )


def _batches(
    policy: RetryPolicy,
    operation: str,
    pending: Pending,
    size: int,
    request: Callable[[Sequence[tuple[str, Params]]], Params],
    collect: Callable[[Params], Pending],
    noun: str,
    verb: str,
    done: Callable[[Sequence[tuple[str, Params]], Pending], None] | None = None,
    items: BodyReader | None = None,
    at_once: int = 1,
) -> Flow[None]:
    """Send ``pending`` in chunks of ``size``, ``at_once`` chunks at a time (one ``Calls``
    step: the caller vouches that no key is in two of them); re-send the chunks' leftovers
    together, with backoff.

    A chunk that failed as a whole with an ``AttemptError`` (throttled, lost...) counts as an
    attempt that processed nothing (batch gets, puts and deletes are idempotent). When the
    attempts run out, ``UnprocessedItemsError`` lists exactly what was not processed; a
    ``DdbwrapError`` stops the flow once every answer of its wave is counted (``done``).
    """
    wave = size * at_once
    for start in range(0, len(pending), wave):
        chunks: list[Sequence[tuple[str, Params]]] = [
            pending[at : at + size] for at in range(start, min(start + wave, len(pending)), size)
        ]
        delays = policy.delays()
        attempts = 0
        while True:
            attempts += 1
            outcomes = yield Calls(tuple(Call(operation, request(c), items) for c in chunks))
            leftovers: list[Sequence[tuple[str, Params]]] = []
            cause: AttemptError | None = None
            stop: Exception | None = None
            for chunk, outcome in zip(chunks, outcomes, strict=True):
                if isinstance(outcome, AttemptError):
                    unprocessed, cause = list(chunk), outcome
                elif isinstance(outcome, Exception):  # a DdbwrapError: nothing of it is known
                    stop = stop or outcome
                    continue
                else:
                    unprocessed = _matched(chunk, collect(outcome))
                if done is not None:
                    done(chunk, unprocessed)
                if unprocessed:
                    leftovers.append(unprocessed)
            if stop is not None:
                raise stop
            if not leftovers:
                break
            left = [pair for chunk in leftovers for pair in chunk]
            delay = next(delays, None)
            if delay is None:
                never_sent = pending[start + wave :]
                missing = [*left, *never_sent]
                tables = ", ".join(sorted({repr(table) for table, _ in missing}))
                why = f"failed ({cause.kind})" if cause is not None else "left unprocessed"
                raise UnprocessedItemsError(
                    f"{operation} on table(s) {tables}: {len(missing)} of {len(pending)} "
                    f"{noun} were not {verb} ({len(left)} still {why} after "
                    f"{attempts} attempts, {len(never_sent)} never sent); .unprocessed "
                    "lists them as (table, request) pairs: send them again later, reduce "
                    "the request rate, or raise the table's capacity or the gateway's "
                    "RetryPolicy",
                    missing,
                ) from (cause.error if cause is not None else None)
            logger.debug(
                "%s: %d of %d %s unprocessed after attempt %d; retrying in %.3f s",
                operation,
                len(left),
                sum(len(chunk) for chunk in chunks),
                noun,
                attempts,
                delay,
            )
            yield Sleep(delay)
            chunks = leftovers


def _matched(sent: Sequence[tuple[str, Params]], returned: Pending) -> Pending:
    """The leftovers DynamoDB returned, as the very pairs that were sent (equal by value)."""
    if not returned:
        return []
    remaining = list(returned)
    out: Pending = []
    for pair in sent:
        for index, candidate in enumerate(remaining):
            if candidate == pair:
                out.append(pair)
                del remaining[index]
                break
    out.extend(remaining)  # a leftover that matches nothing sent: still reported
    return out
