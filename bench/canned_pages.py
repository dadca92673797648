"""A canned DynamoDB endpoint for ``bench_memory.py``: every Query gets the same page of items
and a ``LastEvaluatedKey`` naming the next page, until the last one.

    python bench/canned_pages.py ITEMS_JSON PAGES TENANT PORT_FILE

ITEMS_JSON holds the page's items (a JSON list of DynamoDB items); the server writes the port
it listens on to PORT_FILE. Threads, one per connection, keep-alive, Content-Length bodies.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import zlib


def answer(items: bytes, pages: int, tenant: str, body: bytes) -> bytes:
    """The HTTP answer to one Query request ``body``."""
    start = json.loads(body).get("ExclusiveStartKey")
    page = int(start["item_id"]["S"].split("-")[1]) + 1 if start else 0
    count = items.count(b'"item_id"')
    out = b'{"Items": ' + items + f', "Count": {count}, "ScannedCount": {count}'.encode()
    if page + 1 < pages:
        key = {"tenant_id": {"S": tenant}, "item_id": {"S": f"page-{page:06d}"}}
        out += b', "LastEvaluatedKey": ' + json.dumps(key).encode()
    out += b"}"
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"x-amzn-RequestId: bench\r\nx-amz-crc32: {zlib.crc32(out)}\r\n"
        f"Content-Length: {len(out)}\r\n\r\n"
    )
    return head.encode() + out


def serve(conn: socket.socket, items: bytes, pages: int, tenant: str) -> None:
    buffer = b""
    while True:
        data = conn.recv(1 << 20)
        if not data:
            return
        buffer += data
        while b"\r\n\r\n" in buffer:
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(rest) < length:
                break
            buffer = rest[length:]
            conn.sendall(answer(items, pages, tenant, rest[:length]))


def main() -> None:
    items_path, pages, tenant, port_file = sys.argv[1:5]
    with open(items_path, "rb") as f:
        items = f.read()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    with open(port_file, "w") as f:
        f.write(str(server.getsockname()[1]))
    while True:
        conn, _ = server.accept()
        threading.Thread(
            target=serve, args=(conn, items, int(pages), tenant), daemon=True
        ).start()


if __name__ == "__main__":
    main()
