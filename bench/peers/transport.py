"""Transports: DynamoDB Local, and "no network" (canned responses served by a botocore hook).

The canned responses are recorded from DynamoDB Local: each contender runs each workload
against the real server while an ``after-call`` handler keeps every response (status, headers,
body). Replaying them, a ``before-send`` handler returns a fresh ``AWSResponse`` per request.
Everything botocore does around the wire still runs: building and signing the request, parsing,
the CRC32 check of ``x-amz-crc32`` (botocore's standard retry mode, or ddbwrap's own check for
its calls), and the contender's own work. Each contender has its own client, so hooks never
cross.

Responses answer the keys each request asked for. Workloads that read or update items by key
(get, update, batch get) are recorded once per key (per window of 100 keys for batch get), and
the replay picks the recording by the first item id (``item-NNNNNN``) in the request body: a
contender that checks what came back against what it asked (ddbwrap matches batch-get items to
its keys and refuses a GetItem answer for another key) then does the work it would do against
the server. Other workloads (put, query, scan, batch write) replay in the recorded order,
cycling; their answers do not depend on the keys sent.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterator, Mapping
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


_ITEM_ID = re.compile(rb"item-(\d{6})")


class KeyedCanned:
    """``before-send`` handler answering each request with what was recorded for its key.

    ``by_key`` maps ``int(item id) // group`` (the key asked for, or its window of ``group``
    keys) to the responses recorded for one operation on it, replayed in order, cycling (a
    dyntastic update is an UpdateItem and a GetItem). A request for a key nothing was
    recorded for is a harness error, not a silent wrong answer.
    """

    def __init__(self, by_key: Mapping[int, list[Recorded]], group: int = 1) -> None:
        if not by_key or not all(by_key.values()):
            raise ValueError("nothing recorded")
        self.by_key = {key: list(responses) for key, responses in by_key.items()}
        self.group = group
        self.positions = dict.fromkeys(self.by_key, 0)

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        found = _ITEM_ID.search(body or b"")
        if found is None:
            raise AssertionError(f"canned replay: no item id in the request {body[:200]!r}")
        key = int(found.group(1)) // self.group
        responses = self.by_key.get(key)
        if responses is None:
            raise AssertionError(f"canned replay: nothing recorded for key {key}")
        position = self.positions[key]
        recorded = responses[position]
        self.positions[key] = (position + 1) % len(responses)
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


def serve_keyed(client: Any, by_key: Mapping[int, list[Recorded]], group: int) -> KeyedCanned:
    canned = KeyedCanned(by_key, group)
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
