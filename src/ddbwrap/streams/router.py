"""``StreamRouter``: typed handlers per model and change kind, and Lambda's partial batch response.

::

    router = StreamRouter(gateway)

    @router.on(Goal, "insert", "modify")
    def goal_saved(change: Change[Goal]) -> None: ...

    def handler(event, context):        # the Lambda function
        return router(event, context)   # {"batchItemFailures": [{"itemIdentifier": seq}]}

Semantics (AWS Lambda, event source mapping with ``FunctionResponseTypes:
[ReportBatchItemFailures]``): Lambda checkpoints at the *lowest* sequence number reported and
retries every record from there. So on the first failure in a shard the router stops processing
that shard's records of this batch and reports that record alone: the records after it were not
processed and will be delivered again; the records before it are done and are not. Records of
other shards (a poller may hand several) go on. A record that cannot be decoded is a failure too
(``on_malformed="fail"``, the default) or is logged and skipped (``"skip"``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, TypeVar

from pydantic import BaseModel

from ..gateway import TableGateway
from .change import Change
from .decode import Decoded, DecodedBatch, Discriminator, StreamDecoder
from .errors import StreamRecordError
from .records import KINDS, ChangeKind

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

logger = logging.getLogger("ddbwrap.streams")

ALL_KINDS: tuple[ChangeKind, ...] = tuple(KINDS.values())


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    """Lambda's partial batch response for stream event sources."""

    batchItemFailures: list[BatchItemFailure]


@dataclass(frozen=True)
class Failure:
    """A record that failed: its handler raised, or it could not be decoded."""

    sequence_number: str
    shard: str
    error: Exception
    handler: str | None = None
    """The qualified name of the handler that raised (None for a decoding failure)."""


@dataclass(frozen=True)
class RouterResult:
    """What one batch did: per-record outcomes, failures, and the records left for a retry."""

    decoded: DecodedBatch
    failures: tuple[Failure, ...]
    handled: int
    """Changes whose handlers all ran (changes without a handler count too)."""
    not_processed: tuple[str, ...]
    """Sequence numbers after a failure in their shard: left for the retry."""

    @property
    def response(self) -> BatchResponse:
        """``{"batchItemFailures": [{"itemIdentifier": seq}, ...]}``: one entry per failed
        shard (its first failure); empty when everything succeeded."""
        return {"batchItemFailures": [{"itemIdentifier": f.sequence_number} for f in self.failures]}


class StreamRouter:
    """Routes decoded changes to handlers registered per model (or view) and change kind."""

    def __init__(
        self,
        gateway: TableGateway | None = None,
        *,
        decoder: StreamDecoder | None = None,
        table_prefix: str | None = None,
        table_suffix: str | None = None,
        on_malformed: Literal["fail", "skip"] = "fail",
    ) -> None:
        """``gateway`` (or ``table_prefix``/``table_suffix``) maps physical table names to
        logical ones; ``decoder`` shares a ``StreamDecoder`` with other code."""
        if on_malformed not in ("fail", "skip"):
            raise ValueError("on_malformed must be 'fail' or 'skip'")
        self.decoder = decoder or StreamDecoder(
            gateway, table_prefix=table_prefix, table_suffix=table_suffix
        )
        self.on_malformed = on_malformed
        self._handlers: dict[tuple[type[BaseModel], ChangeKind], list[Callable[[Any], object]]]
        self._handlers = defaultdict(list)

    def on(
        self, model: type[M], *kinds: ChangeKind
    ) -> Callable[[Callable[[Change[M]], R]], Callable[[Change[M]], R]]:
        """Decorator: call the function with every ``Change[model]`` of ``kinds`` (all kinds
        when none is given). Registers ``model`` (a DomainModel or a View of one) with the
        decoder. Several handlers of one model and kind run in registration order."""

        def decorate(handler: Callable[[Change[M]], R]) -> Callable[[Change[M]], R]:
            self.add(model, handler, *kinds)
            return handler

        return decorate

    def add(
        self, model: type[M], handler: Callable[[Change[M]], object], *kinds: ChangeKind
    ) -> None:
        """``on`` without the decorator."""
        chosen = kinds or ALL_KINDS
        for kind in chosen:
            if kind not in ALL_KINDS:
                raise ValueError(f"unknown change kind {kind!r}; use 'insert', 'modify', 'remove'")
        self.decoder.register(model)
        for kind in chosen:
            self._handlers[(model, kind)].append(handler)

    def register(
        self, model: type[BaseModel], *, discriminator: Discriminator | None = None
    ) -> None:
        """Decode ``model``'s records without a handler (e.g. to count them, or before
        ``discriminate``)."""
        self.decoder.register(model, discriminator=discriminator)

    def discriminate(self, table: str, discriminator: Discriminator) -> None:
        """Tell the models of a shared table apart (see ``StreamDecoder.discriminate``)."""
        self.decoder.discriminate(table, discriminator)

    # -- running -----------------------------------------------------------------------------

    def __call__(self, event: Mapping[str, Any], context: object = None) -> BatchResponse:
        """The Lambda handler: process the event, return the partial batch response."""
        return self.process(event).response

    def handle(self, event: object) -> BatchResponse:
        """Process a Lambda event (or records); return the partial batch response."""
        return self.process(event).response

    def process(
        self, event: object, *, stream_arn: str | None = None, shard: str | None = None
    ) -> RouterResult:
        """Decode and route every record; ``stream_arn``/``shard`` for GetRecords records.

        Raises ``StreamRecordError`` only for a record that fails without a sequence number
        (so no ``itemIdentifier`` can name it): Lambda then retries the whole batch, which is
        what an invalid identifier would make it do anyway.
        """
        decoded = self.decoder.decode(event, stream_arn=stream_arn, shard=shard)
        failures: list[Failure] = []
        failed: set[str] = set()
        not_processed: list[str] = []
        handled = 0
        for result in decoded.results:
            if result.shard in failed:
                if result.sequence_number:
                    not_processed.append(result.sequence_number)
                continue
            failure = self._run(result)
            if failure is None:
                if result.change is not None:
                    handled += 1
                continue
            failures.append(failure)
            failed.add(result.shard)
        return RouterResult(decoded, tuple(failures), handled, tuple(not_processed))

    def _run(self, result: Decoded) -> Failure | None:
        change = result.change
        if change is None:
            error = result.error
            if error is None:  # skipped: a guard item or an unregistered table/entity
                return None
            if self.on_malformed == "skip":
                logger.warning("skipped a stream record that cannot be decoded: %s", error)
                return None
            if not result.sequence_number:
                raise error
            logger.error("stream record cannot be decoded: %s", error)
            return Failure(result.sequence_number, result.shard, error)
        for handler in self._handlers.get((change.model, change.kind), ()):
            try:
                handler(change)
            except Exception as exc:
                name = getattr(handler, "__qualname__", None) or repr(handler)
                logger.exception(
                    "stream handler %s failed on record %s (table %s, model %s, %s); the "
                    "rest of its shard is left for the retry",
                    name,
                    change.sequence_number,
                    change.table,
                    change.model.__name__,
                    change.kind,
                )
                return Failure(change.sequence_number, result.shard, exc, name)
        return None


__all__ = [
    "ALL_KINDS",
    "BatchItemFailure",
    "BatchResponse",
    "Failure",
    "RouterResult",
    "StreamRecordError",
    "StreamRouter",
]
