"""The replay server: DynamoDB's recorded answers over loopback HTTP, for every client.

A client that does not go through botocore (pydynox and dynamoxy speak DynamoDB from Rust,
ddbwrap's direct transport has its own HTTP client) cannot be answered by a botocore hook, so
the no-network transport is a small HTTP server in a **separate process** (its CPU time is not
the benchmark process's): every contender is pointed at it and pays the same loopback socket,
and ``time.process_time`` in the benchmark process counts the client's work alone.

Two modes, switched by the harness (``POST /__bench/mode`` with ``record`` or ``replay``):

- **record**: every request is forwarded to DynamoDB Local and its answer (status, headers,
  body: the CRC32 and request id headers included) is kept, filed three ways: by the exact
  request (table, operation, canonical JSON body), by the first item id in the body
  (``item-NNNNNN``: the key a GetItem, UpdateItem, DeleteItem or BatchGetItem window asked for)
  and by (table, operation);
- **replay**: nothing is forwarded. A request is answered with the recording of the very same
  request, else the one for the same key (an update whose new value differs from run to run),
  else, for operations whose answer does not depend on the keys sent (PutItem, BatchWriteItem,
  table metadata, and DeleteItem: the benchmark deletes keys that do not exist, so the answer
  is the same for every key), the last one of its table and operation.
  GetItem, UpdateItem, BatchGetItem, Query and Scan are never answered for another key or
  another page: a miss is a ``ValidationException`` (and counted), never a silent wrong answer.
  So a contender that checks what came back against what it asked (ddbwrap refuses a GetItem
  answer for another key and matches batch-get items to its keys) does the work it would do
  against the server.

    python bench/peers/stub.py --upstream http://127.0.0.1:8000 --port-file /tmp/port

The server is asyncio with a minimal HTTP/1.1 parser (keep-alive, Content-Length bodies), so
it answers a request in a few tens of microseconds of its own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

_ITEM_ID = re.compile(rb"item-\d{6}")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
# answers that do not depend on the keys asked: replayable from any recording of the operation
_ANY_KEY = {
    "PutItem",
    "BatchWriteItem",
    "DeleteItem",
    "DescribeTable",
    "CreateTable",
    "ListTables",
    "DescribeTimeToLive",
    "DescribeEndpoints",
}

Response = tuple[int, list[tuple[str, str]], bytes]


class Store:
    def __init__(self, upstream: str, latency: float = 0.0) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.latency = latency
        """Seconds to wait before each replayed answer (a server's latency, without its CPU)."""
        self.mode = "record"
        self.exact: dict[tuple[str, str, str], Response] = {}
        self.by_id: dict[tuple[str, str, bytes], Response] = {}
        self.by_op: dict[tuple[str, str], Response] = {}
        self.served = 0
        self.misses: list[str] = []

    @staticmethod
    def keys(op: str, body: bytes) -> tuple[str, str, bytes | None]:
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        table = parsed.get("TableName") or ",".join(sorted(parsed.get("RequestItems", {})))
        digest = hashlib.sha1(json.dumps(parsed, sort_keys=True).encode()).hexdigest()
        found = _ITEM_ID.search(body)
        return table, digest, found.group(0) if found else None

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Any:
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=60
        )
        try:
            sent = {k: v for k, v in headers if k.lower() not in _HOP and k.lower() != "host"}
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP]
            return answer.status, kept, data
        finally:
            connection.close()

    def record(self, op: str, body: bytes, response: Response) -> None:
        table, digest, item = self.keys(op, body)
        self.exact[(table, op, digest)] = response
        if item is not None:
            self.by_id[(table, op, item)] = response
        self.by_op[(table, op)] = response

    def replay(self, op: str, body: bytes) -> Response:
        table, digest, item = self.keys(op, body)
        found = self.exact.get((table, op, digest))
        if found is None and item is not None and op not in ("Query", "Scan"):
            found = self.by_id.get((table, op, item))
        if found is None and op in _ANY_KEY:
            found = self.by_op.get((table, op))
        if found is None:
            what = f"{op} on {table} ({item.decode() if item else 'no item id'})"
            self.misses.append(what)
            message = json.dumps(
                {
                    "__type": "com.amazon.coral.validate#ValidationException",
                    "message": f"bench replay: nothing recorded for {what}",
                }
            ).encode()
            return 400, [("Content-Type", "application/x-amz-json-1.0")], message
        self.served += 1
        return found


async def handle(store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers: list[tuple[str, str]] = []
            length = 0
            close = False
            for line in lines[1:]:
                if not line:
                    continue
                name, _, value = line.partition(":")
                value = value.strip()
                headers.append((name, value))
                lowered = name.lower()
                if lowered == "content-length":
                    length = int(value)
                elif lowered == "connection" and value.lower() == "close":
                    close = True
                elif lowered == "expect" and value.lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await reader.readexactly(length) if length else b""
            if target.startswith("/__bench/"):
                status, out_headers, out = control(store, target, body)
            else:
                op = ""
                for name, value in headers:
                    if name.lower() == "x-amz-target":
                        op = value.rsplit(".", 1)[-1]
                if store.mode == "record":
                    status, out_headers, out = await asyncio.to_thread(
                        store.forward, method, target, headers, body
                    )
                    store.record(op, body, (status, out_headers, out))
                else:
                    status, out_headers, out = store.replay(op, body)
                    if store.latency:
                        await asyncio.sleep(store.latency)
            reason = http.client.responses.get(status, "OK")
            parts = [f"HTTP/1.1 {status} {reason}\r\n"]
            parts.extend(f"{k}: {v}\r\n" for k, v in out_headers)
            parts.append(f"Content-Length: {len(out)}\r\n\r\n")
            writer.write("".join(parts).encode("latin-1") + out)
            await writer.drain()
            if close:
                return
    finally:
        writer.close()


def control(store: Store, target: str, body: bytes) -> Response:
    if target == "/__bench/mode":
        mode = body.decode().strip()
        if mode not in ("record", "replay"):
            return 400, [], b"mode: record or replay"
        store.mode = mode
        store.misses.clear()
        store.served = 0
    stats = {
        "mode": store.mode,
        "recorded": len(store.exact),
        "served": store.served,
        "misses": len(store.misses),
        "first_misses": store.misses[:5],
    }
    return 200, [("Content-Type", "application/json")], json.dumps(stats).encode()


async def serve(upstream: str, port_file: Path, latency: float) -> None:
    store = Store(upstream, latency)
    server = await asyncio.start_server(
        lambda r, w: handle(store, r, w), "127.0.0.1", 0, backlog=512
    )
    port = server.sockets[0].getsockname()[1]
    port_file.write_text(str(port))
    async with server:
        await server.serve_forever()


# --- the harness's side ---------------------------------------------------------------------------


class Stub:
    """The replay server as a child process (started by ``start``; ``stop`` ends it)."""

    def __init__(self, upstream: str, workdir: Path, latency_ms: float = 0.0) -> None:
        import subprocess
        import sys
        import time

        port_file = workdir / f"stub-port-{id(self)}"
        port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--upstream",
                upstream,
                "--port-file",
                str(port_file),
                "--latency-ms",
                str(latency_ms),
            ]
        )
        for _ in range(400):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.025)
        else:
            self.process.kill()
            raise RuntimeError("the replay server did not start")
        self.url = f"http://127.0.0.1:{port_file.read_text()}"

    def mode(self, mode: str) -> dict[str, Any]:
        """Switch to ``record`` or ``replay`` (clears the served and miss counters)."""
        return self._post("/__bench/mode", mode.encode())

    def stats(self) -> dict[str, Any]:
        return self._post("/__bench/stats", b"")

    def _post(self, path: str, body: bytes) -> dict[str, Any]:
        import urllib.request

        request = urllib.request.Request(self.url + path, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except Exception:
            self.process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="DynamoDB Local's endpoint URL")
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="wait this long before each replayed answer"
    )
    args = parser.parse_args()
    asyncio.run(serve(args.upstream, args.port_file, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
