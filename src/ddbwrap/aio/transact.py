"""``transact_get`` awaited: one TransactGetItems across models (``ddbwrap.read.transact``).

The request is built and the answer checked and decoded by the sync function itself: it runs
over a gateway whose transport hands it the response this module awaited, so both read the
same snapshot the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._engine.steps import Params
from ..errors import ValidationError
from ..gateway import TableGateway
from ..read.core import Clock, utc_now
from ..read.transact import Get, Snapshot, transact_get_request
from ..read.transact import transact_get as _sync_transact_get
from .gateway import AsyncTableGateway, require_async_gateway

__all__ = ["transact_get"]


class _Answered:
    """A transport that answers the one call it gets with a response already received."""

    def __init__(self, response: Params) -> None:
        self._response = response

    def call(self, operation: str, params: Params) -> Params:
        return self._response


async def transact_get(
    gateway: AsyncTableGateway,
    gets: Sequence[Get[Any]],
    *,
    include_expired: bool = False,
    clock: Clock = utc_now,
) -> Snapshot:
    """Read up to 100 items of any models in one transaction (a consistent snapshot); expired
    items are missing unless ``include_expired`` (as the sync ``transact_get``)."""
    require_async_gateway(gateway, "transact_get")
    if isinstance(gets, Get) or not gets:
        raise ValidationError("transact_get takes a non-empty list of Get(...) reads")
    response = await gateway.transact_get(transact_get_request(gets))
    names = TableGateway(
        _Answered(response),
        table_prefix=gateway.table_prefix,
        table_suffix=gateway.table_suffix,
        redact_values=gateway.redact_values,
    )
    return _sync_transact_get(names, gets, include_expired=include_expired, clock=clock)
