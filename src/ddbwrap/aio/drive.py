"""The async driver: the twin of ``ddbwrap._engine.drive``, with ``await`` where it blocks.

It runs the very flows the sync driver runs (``ddbwrap._engine.flows``, ``ReadCore``'s reads,
``ddbwrap.write.flows``): each ``Call`` is awaited through ``send``, each ``Sleep`` through
``sleep``, failures (``AttemptError`` or a ``DdbwrapError``) are thrown into the flow, and an
``AttemptError`` that escapes it becomes ``OutcomeUnknownError``, exactly as in sync.

Cancellation (``CancelledError`` raised at an ``await``) is never thrown into a flow: it leaves
the driver at once and the flow is closed, so no flow step runs after it (no retry, no
resolution read, no re-send).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .._engine.drive import outcome_unknown
from .._engine.faults import AttemptError
from .._engine.steps import Call, Calls, Emit, Flow, Outcome, Params, R, Sleep
from ..errors import DdbwrapError

AsyncSend = Callable[[Call], Awaitable[Params]]
AsyncSleep = Callable[[float], Awaitable[None]]


async def run(flow: Flow[R], send: AsyncSend, sleep: AsyncSleep) -> R:
    """Drive ``flow`` to its end and return its result (an ``Emit`` step is an error here)."""
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                step = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: R = stop.value
                return result
            error = value = None
            if type(step) is Call:
                try:
                    value = await send(step)
                except (AttemptError, DdbwrapError) as exc:
                    error = exc
            elif type(step) is Calls:
                value = await _all(send, step)
            elif type(step) is Sleep:
                await sleep(step.seconds)
            else:
                raise TypeError(f"a flow run to its end yielded {step!r}")
    except AttemptError as fault:
        raise outcome_unknown(fault) from fault.error
    finally:
        error = None  # no reference cycle through the traceback
        flow.close()  # cancelled mid-flow: no step of it runs later


async def _all(send: AsyncSend, step: Calls) -> list[Outcome]:
    """The outcomes of ``step``'s calls, awaited together (each in a task); cancelled from
    outside, none of them outlives the flow."""

    async def outcome(call: Call) -> Outcome:
        try:
            return await send(call)
        except (AttemptError, DdbwrapError) as exc:
            return exc

    tasks = [asyncio.ensure_future(outcome(call)) for call in step.calls]
    try:
        await asyncio.wait(tasks)
    finally:
        for task in tasks:
            task.cancel()
    return [task.result() for task in tasks]


async def iterate(flow: Flow[None], send: AsyncSend, sleep: AsyncSleep) -> AsyncIterator[Any]:
    """Drive a streaming flow lazily, yielding each ``Emit``'s value to the consumer."""
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                step = flow.send(value) if error is None else flow.throw(error)
            except StopIteration:
                return
            error = value = None
            if type(step) is Emit:
                yield step.value
                del step
            elif type(step) is Call:
                try:
                    value = await send(step)
                except (AttemptError, DdbwrapError) as exc:
                    error = exc
            elif type(step) is Calls:
                value = await _all(send, step)
            elif type(step) is Sleep:
                await sleep(step.seconds)
    except AttemptError as fault:
        raise outcome_unknown(fault) from fault.error
    finally:
        flow.close()


__all__ = ["AsyncSend", "AsyncSleep", "iterate", "run"]


async def close(iterator: AsyncIterator[Any]) -> None:
    """Close an async generator now (not whenever the event loop finalizes it)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
