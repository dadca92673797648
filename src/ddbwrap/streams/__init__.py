"""``ddbwrap.streams``: DynamoDB Streams records as typed changes, a Lambda router, a poller and
projections.

::

    from ddbwrap.streams import Change, StreamRouter

    router = StreamRouter(gateway)

    @router.on(Goal, "insert", "modify")
    def goal_saved(change: Change[Goal]) -> None:
        ...

    def handler(event, context):          # a Lambda function on the table's stream
        return router(event, context)     # the partial batch response

Also: ``StreamPoller`` (local consumption), ``Projection`` (read models that never regress) and
``Outbox`` (events committed with the business write). Not imported by ``import ddbwrap``:
import ``ddbwrap.streams`` where it is used.
"""

from .change import Change
from .decode import Decoded, DecodedBatch, DecodeReport, Discriminator, StreamDecoder
from .errors import StreamRecordError
from .outbox import Outbox, OutboxEvent, OutboxItem, OutboxMessage
from .poller import ShardBatch, StreamPoller, streams_client_for
from .projection import Projection, ProjectionOutcome
from .records import ChangeKind, RawRecord, read_record, table_of_arn
from .router import BatchResponse, Failure, RouterResult, StreamRouter

__all__ = [
    "BatchResponse",
    "Change",
    "ChangeKind",
    "DecodeReport",
    "Decoded",
    "DecodedBatch",
    "Discriminator",
    "Failure",
    "Outbox",
    "OutboxEvent",
    "OutboxItem",
    "OutboxMessage",
    "Projection",
    "ProjectionOutcome",
    "RawRecord",
    "RouterResult",
    "ShardBatch",
    "StreamDecoder",
    "StreamPoller",
    "StreamRecordError",
    "StreamRouter",
    "read_record",
    "streams_client_for",
    "table_of_arn",
]
