"""The write side's multi-call behaviours, written once for every driver (no I/O here).

- ``send``: one write plan, applied exactly once or reported as ``OutcomeUnknownError``:
  single requests are re-sent after a lost response only when a second application is
  harmless or would fail its own condition, and a condition that then fails is compared with
  what this call wrote (its own write is a success, not a conflict); transactions keep one
  ``ClientRequestToken`` and one body across their retries, and only a cancellation (nothing
  applied) earns a new token;
- ``fresh``: writes that move unique guards: read the item, build the plan, start over when
  it changed in between;
- ``stored_after``: the item after a write (``ALL_NEW``, else a consistent read).

Pauses come from the gateway's one ``RetryPolicy``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .._engine import flows
from .._engine.drive import outcome_unknown
from .._engine.faults import AttemptError
from .._engine.steps import Flow, Params, Sleep
from ..codec import Item
from ..errors import (
    ConditionFailedError,
    DdbwrapError,
    OutcomeUnknownError,
    TransactionCanceledError,
)
from ..gateway import new_token, transact_write_request
from ..model import DomainModel, schema_of
from ..retry import RetryPolicy
from .cancellation import map_cancellation
from .requests import (
    Current,
    StaleUniqueValueError,
    WriteAction,
    WritePlan,
    current_item_request,
    explain_failure,
    first_failure,
)

R = TypeVar("R")

logger = logging.getLogger("ddbwrap.write")

_OPERATIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}


def send(policy: RetryPolicy, plan: WritePlan[Any], *, idempotent: bool = False) -> Flow[Params]:
    """Apply ``plan`` once; failed conditions become the precise ddbwrap error.

    ``idempotent=True`` sends even a single action as a one-action transaction with a client
    token, so that a lost response can be re-sent safely (counters without a version).
    """
    logger.debug(
        "%s model=%s table=%s actions=%d",
        plan.operation,
        plan.model.__name__,
        plan.main.table,
        len(plan.actions),
    )
    if plan.transactional or idempotent:
        yield from transact(policy, plan.actions, retry_conflicts=True, first_failure_only=True)
        return {}
    return (yield from _single(policy, plan))


def transact(
    policy: RetryPolicy,
    actions: Sequence[WriteAction],
    *,
    token: str | None = None,
    retry_conflicts: bool = False,
    first_failure_only: bool = False,
) -> Flow[Params]:
    """TransactWriteItems of ``actions``: one token and one body for every re-send of a lost
    response; ``retry_conflicts``: a cancellation by a conflicting transaction is retried with
    backoff (and a new token: nothing was applied). A cancellation raises the mapped
    ``TransactionCanceledError``, or with ``first_failure_only`` (one write and its guards)
    the error of the action whose condition failed."""
    params = transact_write_request(
        [action.transact_item() for action in actions], client_request_token=token
    )
    conflicts = None
    while True:
        try:
            return (yield from flows.call(policy, "TransactWriteItems", params))
        except TransactionCanceledError as exc:
            failed = [(r.index, r.item) for r in exc.reasons if r.code == "ConditionalCheckFailed"]
            if failed and first_failure_only:
                raise first_failure(actions, failed) from exc
            mapped = map_cancellation(actions, exc)
            if not (retry_conflicts and any(r.code == "TransactionConflict" for r in exc.reasons)):
                raise mapped from exc
            conflicts = conflicts or policy.delays()
            delay = next(conflicts, None)
            if delay is None:
                raise mapped from exc
            yield Sleep(delay)
            params = {**params, "ClientRequestToken": new_token()}


def _single(policy: RetryPolicy, plan: WritePlan[Any]) -> Flow[Params]:
    """One PutItem/UpdateItem/DeleteItem, resolved as ``send`` says."""
    ((operation, params),) = plan.requests()
    resendable: bool | None = None  # decided at the first lost response: most calls have none
    lost: AttemptError | None = None
    delays = None
    while True:
        try:
            return (yield from flows.call(policy, operation, params, idempotent=False))
        except AttemptError as failed:  # may have been applied
            if resendable is None:
                resendable = _resendable(plan)
            if not resendable:
                raise
            lost = failed
            delays = delays or policy.request_delays()
            delay = next(delays, None)
            if delay is None:
                raise outcome_unknown(failed) from failed.error
            yield Sleep(delay)
        except ConditionFailedError as exc:
            if lost is None:
                raise explain_failure(plan.main, exc.item) from exc
            return _after_lost_response(plan, exc, lost)


def _resendable(plan: WritePlan[Any]) -> bool:
    """Whether a re-send after a lost response is safe: applying twice changes nothing (only
    absolute values: a condition that fails the second time is then checked against what this
    call wrote), or a second application would fail its own condition (a create, a version
    check) instead of applying twice."""
    main = plan.main
    if main.must_not_exist or main.expected_version is not None:
        return True
    if plan.return_values == "ALL_OLD":
        return False  # the old item is gone after the first application
    return not any(
        update.relative
        for action in plan.actions
        if action.expression is not None
        for update in action.expression.updates
    )


def _after_lost_response(
    plan: WritePlan[Any], exc: ConditionFailedError, lost: AttemptError
) -> Params:
    """A re-send's condition failed: this call's own earlier write, someone else's, or unknown."""
    stored = exc.item
    if plan.is_own_write(stored):
        if plan.return_values == "ALL_OLD":
            raise OutcomeUnknownError(
                f"{plan.main.describe()}: the item was deleted, but the response that held the "
                "old item was lost; the old item cannot be returned"
            ) from lost.error
        logger.debug("%s: a lost response was this call's own write", plan.operation)
        return {"Attributes": stored} if plan.return_values == "ALL_NEW" else {}
    if _someone_else(plan, stored):
        raise explain_failure(plan.main, stored) from exc
    raise outcome_unknown(lost) from lost.error


def _someone_else(plan: WritePlan[Any], stored: Mapping[str, Any] | None) -> bool:
    """True when ``stored`` proves this call's write was never applied (a real conflict)."""
    main = plan.main
    version = schema_of(plan.model).version_attribute
    if version is None:
        return False  # nothing tells "never applied" from "applied, then changed by another"
    current = _version_of(stored, version)
    if main.expected_version is not None:
        # this write would have stored expected + 1, and only one writer can store it
        return current is None or current <= main.expected_version + 1
    if main.must_not_exist:
        return current == 1  # another create: ours would have failed after it
    return False


def _version_of(stored: Mapping[str, Any] | None, attribute: str) -> int | None:
    value = (stored or {}).get(attribute)
    if not isinstance(value, Mapping) or "N" not in value:
        return None
    try:
        return int(value["N"])
    except ValueError:
        return None


def read_current(policy: RetryPolicy, model: type[DomainModel], wkey: Item) -> Flow[Item | None]:
    """The stored item under ``wkey``, read consistently (None when there is none)."""
    response = yield from flows.call(policy, "GetItem", current_item_request(model, wkey))
    item: Item | None = response.get("Item")
    return item


def fresh(
    policy: RetryPolicy,
    model: type[DomainModel],
    wkey: Item,
    attempt: Callable[[Current], Flow[R]],
    *,
    missing: Callable[[], DdbwrapError] | None = None,
    kept_changing: Callable[[], DdbwrapError],
) -> Flow[R]:
    """``attempt(stored item)`` for a write that moves unique guards: read, write, and start
    over (with backoff) when the item changed in between. ``missing``: the error when the item
    must exist and does not."""
    delays = policy.delays()
    while True:
        current = yield from read_current(policy, model, wkey)
        if missing is not None and current is None:
            raise missing()
        try:
            return (yield from attempt(current))
        except StaleUniqueValueError:
            delay = next(delays, None)
            if delay is None:
                raise kept_changing() from None
            yield Sleep(delay)


def stored_after(policy: RetryPolicy, plan: WritePlan[Any], response: Params) -> Flow[Item | None]:
    """The item after a write: ``ALL_NEW`` of a single request, else read back consistently."""
    attributes: Item | None = response.get("Attributes")
    if attributes is None and (plan.transactional or not response):
        attributes = yield from read_current(policy, plan.model, plan.key)
    return attributes


def conflict_retries(
    policy: RetryPolicy, attempts: int, attempt: Callable[[], Flow[R]], on: type[Exception]
) -> Flow[R]:
    """``attempt()`` again (with backoff) while it raises ``on``, at most ``attempts`` times."""
    delays = policy.delays(attempts)
    while True:
        try:
            return (yield from attempt())
        except on:
            delay = next(delays, None)
            if delay is None:
                raise
            yield Sleep(delay)


__all__ = [
    "conflict_retries",
    "fresh",
    "read_current",
    "send",
    "stored_after",
    "transact",
]
