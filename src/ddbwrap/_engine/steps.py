"""What a flow yields to its driver, and what it gets back.

A flow is a generator: it yields ``Call`` (one DynamoDB request, logical table names; the
driver sends back the response or throws the failure into the flow), ``Calls`` (requests sent
at once; the driver sends back each one's response or failure, in order), ``Sleep`` (a pause; the
driver sends back None) or ``Emit`` (a value for the consumer of a streaming flow), and
returns its result. Flows do no I/O, so one flow serves the sync and the async driver and a
scripted transport reaches every branch of it.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:
    from .._page_decoder import BodyReader
    from ..errors import DdbwrapError
    from .faults import AttemptError

R = TypeVar("R")

Params = dict[str, Any]
"""A request or response in DynamoDB's wire shape."""


@dataclass(frozen=True, slots=True)
class Call:
    """Send ``params`` as ``operation`` (``"GetItem"``...); table names are logical.

    ``items``, for a Query or Scan: a reader of the answer's body that gives its ``Items`` as
    model instances (``_page_decoder.body_reader``), used by a transport that holds the body
    (the direct one); the others, and the reader itself when it declines, give raw items."""

    operation: str
    params: Params
    items: BodyReader | None = None


@dataclass(frozen=True, slots=True)
class Calls:
    """Send ``calls`` at once (the requests of one batch flush: no key in two of them); the
    driver sends back one outcome per call, in order: its response, or the failure it met
    (``AttemptError`` or a ``DdbwrapError``). Nothing is thrown into the flow."""

    calls: tuple[Call, ...]


Outcome: TypeAlias = "Params | AttemptError | DdbwrapError"
"""What a driver sends back for each call of a ``Calls``."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Pause for ``seconds`` (the driver's sleep: ``time.sleep`` or ``asyncio.sleep``)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Emit:
    """Hand ``value`` to the consumer of a streaming flow (a page of ``query_all``...)."""

    value: Any


Step = Call | Calls | Sleep | Emit
Flow = Generator[Step, Any, R]
"""A multi-call behaviour: yields steps, receives responses, returns ``R``."""
