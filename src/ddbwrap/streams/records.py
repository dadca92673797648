"""Stream records in their three delivery shapes, read into one plain form (``RawRecord``).

- **Lambda** (a DynamoDB event source mapping, also EventBridge Pipes): ``{"Records": [...]}``,
  each record with ``eventSourceARN``, ``eventName``, ``dynamodb.{Keys, NewImage, OldImage,
  SequenceNumber, ApproximateCreationDateTime (epoch seconds)}``; binary values in base64.
- **Kinesis Data Streams for DynamoDB** (a Kinesis event source mapping): each record's
  ``kinesis.data`` is base64 of a JSON document holding ``tableName``, ``eventName`` and
  ``dynamodb`` (``ApproximateCreationDateTime`` in epoch milliseconds or microseconds); the
  record's identity is the Kinesis ``sequenceNumber``, its shard is the ``eventID`` prefix.
- **GetRecords** output, as botocore parses it: ``ApproximateCreationDateTime`` a datetime,
  binary values as bytes, no ``eventSourceARN`` (the stream is known to the caller).

Nothing here knows models: this is the pure first step of decoding (``decode.py`` is next).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

from .errors import StreamRecordError

ChangeKind = Literal["insert", "modify", "remove"]
"""What happened to the item: ``INSERT``, ``MODIFY`` or ``REMOVE`` in DynamoDB's words."""

Shape = Literal["lambda", "kinesis", "get_records"]

KINDS: Mapping[str, ChangeKind] = {"INSERT": "insert", "MODIFY": "modify", "REMOVE": "remove"}
TTL_PRINCIPAL = "dynamodb.amazonaws.com"
_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_MILLIS_ABOVE = 1e11  # epoch seconds reach 1e11 in the year 5138; milliseconds passed it in 1973
_MICROS_ABOVE = 1e14

Image = Mapping[str, Mapping[str, Any]]


class RawRecord(NamedTuple):
    """One stream record, whatever shape it came in; images in botocore's form (bytes)."""

    shape: Shape
    kind: ChangeKind
    physical_table: str | None
    sequence_number: str
    """The record's identity for checkpoints: the DynamoDB Streams sequence number, or the
    Kinesis sequence number for Kinesis deliveries (what Lambda's ``itemIdentifier`` takes)."""
    shard: str
    """The shard the record belongs to (``stream ARN`` for a Lambda event: one invocation
    reads one shard); records of one shard are processed in order."""
    keys: Image
    new_image: Image | None
    old_image: Image | None
    created: dt.datetime | None
    by_ttl: bool
    event_id: str
    stream_arn: str | None
    stream_view_type: str | None


@functools.lru_cache(maxsize=256)
def table_of_arn(arn: str) -> str | None:
    """The table name in a DynamoDB stream or table ARN
    (``arn:aws:dynamodb:region:account:table/NAME/stream/LABEL``)."""
    _, _, resource = arn.partition(":table/")
    if not resource:
        return None
    name = resource.split("/", 1)[0]
    return name or None


def records_of(event: object) -> Sequence[Any]:
    """The records of a Lambda event or a GetRecords response (``Records``/``records``), or
    the sequence itself."""
    if isinstance(event, Mapping):
        records = event.get("Records", event.get("records"))
        if records is None:
            raise StreamRecordError(
                "the event has no 'Records' list; pass the Lambda event, a GetRecords "
                "response or a list of records"
            )
        if not isinstance(records, Sequence):
            raise StreamRecordError("the event's 'Records' is not a list")
        return records
    if isinstance(event, Sequence) and not isinstance(event, (str, bytes)):
        return event
    raise StreamRecordError(f"cannot read stream records from a {type(event).__name__}")


def read_record(
    record: object, *, stream_arn: str | None = None, shard: str | None = None
) -> RawRecord:
    """Read one record of any of the three shapes; ``StreamRecordError`` says what is wrong
    (naming the sequence number when the record has one)."""
    if type(record) is not dict and not isinstance(record, Mapping):
        raise StreamRecordError(f"a stream record must be a mapping, got {type(record).__name__}")
    kinesis = record.get("kinesis")
    if kinesis is not None and isinstance(kinesis, Mapping):
        return _kinesis(record, kinesis)
    arn = record.get("eventSourceARN")
    if type(arn) is str:
        return _dynamodb(record, "lambda", arn, shard or arn)
    return _dynamodb(record, "get_records", stream_arn, shard or stream_arn or "")


def _dynamodb(record: Mapping[str, Any], shape: Shape, arn: str | None, shard: str) -> RawRecord:
    body = record.get("dynamodb")
    if type(body) is not dict and not isinstance(body, Mapping):
        body = {}
    sequence = body.get("SequenceNumber")
    if type(sequence) is not str or not sequence:
        raise StreamRecordError("the record has no dynamodb.SequenceNumber")
    table = table_of_arn(arn) if arn else None
    return _raw(
        record,
        body,
        shape,
        table,
        sequence,
        shard,
        _created(body.get("ApproximateCreationDateTime"), sequence, table),
        arn,
        None,
    )


def _kinesis(record: Mapping[str, Any], kinesis: Mapping[str, Any]) -> RawRecord:
    sequence = kinesis.get("sequenceNumber")
    if not isinstance(sequence, str) or not sequence:
        raise StreamRecordError("the Kinesis record has no kinesis.sequenceNumber")
    try:
        data = json.loads(base64.b64decode(kinesis.get("data") or "", validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise StreamRecordError(
            "kinesis.data is not base64 of a JSON document", sequence_number=sequence
        ) from None
    if not isinstance(data, Mapping):
        raise StreamRecordError("kinesis.data is not a JSON object", sequence_number=sequence)
    body = data.get("dynamodb")
    table = data.get("tableName")
    if not isinstance(table, str):
        table = None
    if not isinstance(body, Mapping):
        raise StreamRecordError(
            "kinesis.data has no 'dynamodb' object", sequence_number=sequence, table=table
        )
    event_id = record.get("eventID")
    shard = event_id.split(":", 1)[0] if isinstance(event_id, str) and ":" in event_id else ""
    arn = record.get("eventSourceARN")
    return _raw(
        data,
        body,
        "kinesis",
        table,
        sequence,
        f"{arn or ''}|{shard}",
        _created(body.get("ApproximateCreationDateTime"), sequence, table),
        arn if isinstance(arn, str) else None,
        str(data.get("eventID") or event_id or ""),
    )


def _raw(
    record: Mapping[str, Any],
    body: Mapping[str, Any],
    shape: Shape,
    table: str | None,
    sequence: str,
    shard: str,
    created: dt.datetime | None,
    stream_arn: str | None,
    event_id: str | None,
) -> RawRecord:
    name = record.get("eventName")
    kind = KINDS.get(name) if type(name) is str else None
    if kind is None:
        raise StreamRecordError(
            "eventName is not INSERT, MODIFY or REMOVE", sequence_number=sequence, table=table
        )
    # botocore gives bytes; JSON deliveries give base64 text, decoded here
    binary_text = shape != "get_records"
    keys = _image(body, "Keys", sequence, table, binary_text)
    if keys is None:
        raise StreamRecordError(
            "the record has no dynamodb.Keys", sequence_number=sequence, table=table
        )
    new = _image(body, "NewImage", sequence, table, binary_text)
    old = _image(body, "OldImage", sequence, table, binary_text)
    identity = record.get("userIdentity")
    view_type = body.get("StreamViewType")
    return RawRecord(
        shape,
        kind,
        table,
        sequence,
        shard,
        keys,
        new,
        old,
        created,
        _by_ttl(identity) if identity else False,
        event_id if event_id is not None else str(record.get("eventID") or ""),
        stream_arn,
        view_type if type(view_type) is str else None,
    )


def _image(
    body: Mapping[str, Any], part: str, sequence: str, table: str | None, binary_text: bool
) -> Image | None:
    image = body.get(part)
    if image is None:
        return None
    if type(image) is not dict and not isinstance(image, Mapping):
        raise StreamRecordError(
            f"dynamodb.{part} is not a map of attribute values",
            sequence_number=sequence,
            table=table,
        )
    if not binary_text:
        return image
    for av in image.values():  # most images hold no binary and no nesting at the top
        if type(av) is not dict or not _NESTED.isdisjoint(av):
            return _binary_as_bytes(image, sequence, table)
    return image


def _by_ttl(identity: object) -> bool:
    """True for a deletion made by DynamoDB's TTL process: ``userIdentity`` of type
    ``Service`` and principal ``dynamodb.amazonaws.com`` (lower-case keys in events,
    capitalised ones in botocore's GetRecords output)."""
    if not isinstance(identity, Mapping):
        return False
    kind = identity.get("type", identity.get("Type"))
    principal = identity.get("principalId", identity.get("PrincipalId"))
    return bool(kind == "Service" and principal == TTL_PRINCIPAL)


def _created(value: object, sequence: str, table: str | None) -> dt.datetime | None:
    """``ApproximateCreationDateTime`` as an aware UTC datetime.

    GetRecords (botocore) gives a datetime (in the local zone); Lambda events give epoch
    seconds; Kinesis Data Streams records give epoch milliseconds, or microseconds when the
    table's ``ApproximateCreationDateTimePrecision`` is ``MICROSECOND``. The unit of a number is
    told by its size: no epoch-seconds value of the next 3,000 years reaches 1e11.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        if not offset:  # naive, or already UTC (botocore's tzutc): no arithmetic
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        magnitude = abs(value)
        if magnitude >= _MICROS_ABOVE:
            return _EPOCH + dt.timedelta(microseconds=int(value))
        if magnitude >= _MILLIS_ABOVE:
            return _EPOCH + dt.timedelta(milliseconds=value)
        return _EPOCH + dt.timedelta(seconds=value)
    raise StreamRecordError(
        "dynamodb.ApproximateCreationDateTime is neither a datetime nor an epoch number",
        sequence_number=sequence,
        table=table,
    )


# --- binary values: base64 text in JSON deliveries, bytes from botocore ------------------------


def _binary_as_bytes(image: Mapping[str, Any], sequence: str, table: str | None) -> Image:
    """An image in botocore's form: ``B``/``BS`` values of JSON deliveries (base64 text) as
    bytes, at any depth; bytes (GetRecords through botocore) stay as they are. The image is
    copied only when something changes."""
    out: dict[str, Any] | None = None
    for name, av in image.items():
        if type(av) is dict and _NESTED.isdisjoint(av):
            continue
        try:
            converted = _bytes_value(av)
        except (binascii.Error, ValueError, TypeError, AttributeError):
            raise StreamRecordError(
                f"a binary value of attribute {name!r} is not valid base64",
                sequence_number=sequence,
                table=table,
            ) from None
        if converted is not av:
            if out is None:
                out = dict(image)
            out[name] = converted
    return image if out is None else out


_PLAIN_TAGS = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})
_NESTED = frozenset({"B", "BS", "M", "L"})


def _bytes_value(av: Any) -> Any:
    """``av`` itself, or a copy with its base64 binaries decoded."""
    if type(av) is not dict:
        return av  # malformed: the codec names it
    for tag in av:
        if tag in _PLAIN_TAGS:
            return av
        raw = av[tag]
        if tag == "B":
            return {"B": base64.b64decode(raw, validate=True)} if type(raw) is str else av
        if tag == "BS":
            if any(type(v) is str for v in raw):
                return {"BS": [_b64(v) for v in raw]}
            return av
        if tag == "M":
            changed: dict[str, Any] | None = None
            for key, value in raw.items():
                new = _bytes_value(value)
                if new is not value:
                    if changed is None:
                        changed = dict(raw)
                    changed[key] = new
            return av if changed is None else {"M": changed}
        if tag == "L":
            values = [_bytes_value(v) for v in raw]
            if any(new is not old for new, old in zip(values, raw, strict=True)):
                return {"L": values}
            return av
        return av
    return av


def _b64(raw: Any) -> bytes:
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    return base64.b64decode(raw, validate=True)
