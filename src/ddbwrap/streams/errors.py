"""The error of a stream record that cannot be decoded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import DOCS_ROOT, DdbwrapError

STREAMS_DOCS = DOCS_ROOT + "streams.md"


class StreamRecordError(DdbwrapError):
    """A stream record is malformed, or one of its images does not match its model.

    Names the record's sequence number, its table, the model and the fields at fault, never a
    value (images hold customer data). ``errors`` lists pydantic's complaints as
    ``{"loc", "type", "msg"}`` without the input. Decoding reports it per record and goes on
    with the others; the Lambda router reports the record as a batch item failure.
    """

    code = "ddbwrap.streams.record"

    def __init__(
        self,
        message: str,
        *,
        sequence_number: str | None = None,
        table: str | None = None,
        model: str | None = None,
        fields: Sequence[str] = (),
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        where = ", ".join(
            part
            for part in (
                f"sequence number {sequence_number}" if sequence_number else "",
                f"table {table!r}" if table else "",
                f"model {model}" if model else "",
                f"field(s) {', '.join(fields)}" if fields else "",
            )
            if part
        )
        super().__init__(f"stream record ({where}): {message}" if where else message)
        self.sequence_number = sequence_number
        self.table = table
        self.model = model
        self.fields = tuple(fields)
        self.errors = [dict(e) for e in errors]

    @property
    def docs_url(self) -> str:
        """The section of the streams page that explains this error."""
        return STREAMS_DOCS + "#streamrecorderror"

    @property
    def field(self) -> str | None:
        """The first field at fault, if any."""
        return self.fields[0] if self.fields else None
