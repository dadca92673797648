"""Transports: DynamoDB Local, and "no network" (canned responses served by a botocore hook).

The canned responses are recorded from DynamoDB Local: each contender runs each workload once
against the real server while an ``after-call`` handler keeps every response (status, headers,
body). Replaying them, a ``before-send`` handler returns a fresh ``AWSResponse`` per request, in
the recorded order, cycling. Everything botocore does around the wire still runs: building and
signing the request, parsing, the CRC32 check of ``x-amz-crc32`` (standard retry mode), and the
contender's own work. Each contender has its own client, so hooks never cross.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: dict[str, str]
    body: bytes
    operation: str


class _Raw:
    """The ``raw`` of an AWSResponse: what botocore reads ``content`` from."""

    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


class Recorder:
    """``after-call`` handler keeping every response of a client."""

    def __init__(self) -> None:
        self.responses: list[Recorded] = []

    def __call__(self, http_response: Any, model: Any, **kwargs: Any) -> None:
        self.responses.append(
            Recorded(
                http_response.status_code,
                dict(http_response.headers.items()),
                http_response.content,
                model.name,
            )
        )


class Canned:
    """``before-send`` handler answering with recorded responses, in order, cycling."""

    def __init__(self, responses: list[Recorded]) -> None:
        if not responses:
            raise ValueError("nothing recorded")
        self.responses = responses
        self.position = 0

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        recorded = self.responses[self.position]
        self.position = (self.position + 1) % len(self.responses)
        return AWSResponse(request.url, recorded.status, recorded.headers, _Raw(recorded.body))


def events_of(client: Any) -> Any:
    return client.meta.events


def record_on(client: Any) -> Recorder:
    recorder = Recorder()
    events_of(client).register("after-call.dynamodb", recorder, unique_id="bench-recorder")
    return recorder


def stop_recording(client: Any) -> None:
    events_of(client).unregister("after-call.dynamodb", unique_id="bench-recorder")


def serve_canned(client: Any, responses: list[Recorded]) -> Canned:
    canned = Canned(responses)
    events_of(client).register("before-send.dynamodb", canned, unique_id="bench-canned")
    return canned


def stop_canned(client: Any) -> None:
    events_of(client).unregister("before-send.dynamodb", unique_id="bench-canned")


def with_body(recorded: Recorded, body: dict[str, Any]) -> Recorded:
    """A recorded response with another JSON body (CRC32 and length recomputed)."""
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        k: v
        for k, v in recorded.headers.items()
        if k.lower() not in ("x-amz-crc32", "content-length")
    }
    headers["x-amz-crc32"] = str(binascii.crc32(raw) & 0xFFFFFFFF)
    headers["content-length"] = str(len(raw))
    return Recorded(recorded.status, headers, raw, recorded.operation)
