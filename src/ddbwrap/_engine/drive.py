"""The sync driver: runs a flow, sending its calls through a function and sleeping its pauses.

``ddbwrap.aio`` has the async twin (same loop, with ``await``). A fault a flow lets escape is
a write whose outcome could not be decided: it surfaces as ``OutcomeUnknownError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import DdbwrapError, OutcomeUnknownError
from .faults import AttemptError
from .steps import Call, Calls, Emit, Flow, Outcome, Params, R, Sleep

Send = Callable[[Call], Params]
SendAll = Callable[[Calls], list[Outcome]]


def outcome(send: Callable[..., Params], *args: Any) -> Outcome:
    """What ``send(*args)`` returns, or the failure (``AttemptError``, ``DdbwrapError``) it
    raises."""
    try:
        return send(*args)
    except (AttemptError, DdbwrapError) as exc:
        return exc


def one_by_one(send: Send, step: Calls) -> list[Outcome]:
    """The outcomes of ``step``'s calls sent one after the other through ``send`` (for a
    transport that cannot send several at once)."""
    return [outcome(send, call) for call in step.calls]


def run(
    flow: Flow[R], send: Send, sleep: Callable[[float], None], send_all: SendAll | None = None
) -> R:
    """Drive ``flow`` to its end and return its result (an ``Emit`` step is an error here).
    ``send_all`` sends a ``Calls`` step's requests at once (else they go one by one)."""
    try:
        step = flow.send(None)
        while True:
            if type(step) is Call:
                try:
                    value = send(step)
                except (AttemptError, DdbwrapError) as exc:
                    step = flow.throw(exc)
                    continue
                step = flow.send(value)
            elif type(step) is Calls:
                step = flow.send(send_all(step) if send_all else one_by_one(send, step))
            elif type(step) is Sleep:
                sleep(step.seconds)
                step = flow.send(None)
            else:
                raise TypeError(f"a flow run to its end yielded {step!r}")
    except StopIteration as stop:
        result: R = stop.value
        return result
    except AttemptError as fault:
        raise outcome_unknown(fault) from fault.error


def iterate(
    flow: Flow[None], send: Send, sleep: Callable[[float], None], send_all: SendAll | None = None
) -> Iterator[Any]:
    """Drive a streaming flow lazily, yielding each ``Emit``'s value to the consumer."""
    try:
        step = flow.send(None)
        while True:
            if type(step) is Emit:
                value = step.value
                del step
                yield value
                del value  # hold nothing while the flow fetches the next page
                step = flow.send(None)
            elif type(step) is Call:
                try:
                    response = send(step)
                except (AttemptError, DdbwrapError) as exc:
                    step = flow.throw(exc)
                    continue
                step = flow.send(response)
                del response
            elif type(step) is Calls:
                step = flow.send(send_all(step) if send_all else one_by_one(send, step))
            elif type(step) is Sleep:
                sleep(step.seconds)
                step = flow.send(None)
            else:
                raise TypeError(f"a flow yielded {step!r}")
    except StopIteration:
        return
    except AttemptError as fault:
        raise outcome_unknown(fault) from fault.error
    finally:
        flow.close()


def outcome_unknown(fault: AttemptError) -> OutcomeUnknownError:
    """The error for a write whose response was lost in a way no flow could resolve."""
    return OutcomeUnknownError(
        f"{fault.error.message}; the write may or may not have been applied (the response "
        f"was {_WHAT[fault.kind]}) and re-sending it could apply it twice, so ddbwrap did "
        "not. Read the item to see whether it was applied, then decide (a Transaction: "
        "commit() again re-sends the very same request, applied at most once; counters: "
        "declare a version attribute or pass update(..., idempotent=True))"
    )


_WHAT = {
    "throttled": "a throttling error",
    "not_sent": "never sent",
    "unavailable": "a server error",
    "lost": "lost (timeout or closed connection)",
    "corrupt": "unreadable",
}
