"""HTTP/1.1 as the direct transports speak it, pure (no I/O): ``request_message`` is the bytes of
one request, ``AnswerParser`` reads one answer from bytes as they arrive (status, headers, body,
and whether the connection may carry the next request).

It reads what DynamoDB sends (a ``Content-Length`` body, or chunks, or until the connection
closes) in a few microseconds, where ``http.client`` spends tens on its e-mail header parser.
A malformed or cut answer raises the ``http.client`` exception for it, so the transport
classifies it as before (the request was sent: its answer was lost).
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping


def request_message(headers: Mapping[str, str], body: bytes) -> bytes:
    """The bytes of ``POST /`` with ``headers`` and ``body``, to be written in one call;
    ``ValueError`` for a header that holds a line break or is not Latin-1 (nothing is sent)."""
    head = "".join(["POST / HTTP/1.1\r\n", *[f"{k}: {v}\r\n" for k, v in headers.items()]])
    if "\n" in head.replace("\r\n", ""):
        raise ValueError("a header value holds a line break")
    return head.encode("latin-1") + b"\r\n" + body


MAX_HEAD = 64 * 1024
"""An answer whose status line and headers exceed this is refused (``LineTooLong``)."""

Headers = dict[str, str]
"""An answer's headers by lowercase name (a repeated header: its last value)."""


class AnswerParser:
    """Feed it the bytes of one answer (``feed``, then ``eof`` if the connection closed);
    once ``feed`` returns True, ``status``, ``headers``, ``body`` and ``keep_alive`` hold it."""

    __slots__ = (
        "_buffer",
        "_chunks",
        "_decoded",
        "_length",
        "body",
        "headers",
        "keep_alive",
        "status",
    )

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # body bytes expected; None: chunked or until close
        self._chunks: bool = False
        self._decoded = bytearray()  # the chunks' data so far
        self.status = 0
        self.headers: Headers = {}
        self.body = b""
        self.keep_alive = False

    def feed(self, data: bytes) -> bool:
        """Take the next bytes; True when the answer is complete."""
        if not self.status and not self._buffer:
            end = data.find(b"\r\n\r\n")
            if end >= 0:  # the head in the first read (as usual): no copy into the buffer
                self._head(data[:end].decode("latin-1"))
                start, length = end + 4, self._length
                if length is not None and not self._chunks and len(data) - start >= length:
                    self.body = data[start : start + length]  # the body's one copy
                    if len(data) - start > length:  # more than the answer: do not reuse
                        self.keep_alive = False
                    return True
                self._buffer += memoryview(data)[start:]
                return self._settled()
        self._buffer += data
        if not self.status:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD:
                    raise http.client.LineTooLong("the answer's headers")
                return False
            self._head(bytes(self._buffer[:end]).decode("latin-1"))
            del self._buffer[: end + 4]
        return self._settled()

    def _settled(self) -> bool:
        """After the head: True once the body is complete (then in ``body``)."""
        if self._chunks:
            return self._chunked()
        if self._length is not None and len(self._buffer) >= self._length:
            if len(self._buffer) > self._length:  # more than the answer: do not reuse
                self.keep_alive = False
            self.body = bytes(self._buffer[: self._length])
            return True
        return False

    def eof(self) -> None:
        """The connection closed: complete an answer read until close, else raise."""
        if not self.status:
            if not self._buffer:
                raise http.client.RemoteDisconnected("the connection closed without an answer")
            raise http.client.BadStatusLine(bytes(self._buffer[:80]).decode("latin-1"))
        if self._length is None and not self._chunks:
            self.body = bytes(self._buffer)
            self.keep_alive = False
            return
        raise http.client.IncompleteRead(bytes(self._buffer))

    def _head(self, text: str) -> None:
        status_line, _, rest = text.partition("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise http.client.BadStatusLine(status_line)
        headers: Headers = {}
        for line in rest.split("\r\n") if rest else ():
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise http.client.HTTPException(f"a malformed header line: {line[:80]!r}")
            headers[name.lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        if parts[0] == "HTTP/1.0":
            self.keep_alive = connection == "keep-alive"
        else:
            self.keep_alive = connection != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._chunks = True
        elif "content-length" in headers:
            length = headers["content-length"]
            if not length.isdigit():
                raise http.client.HTTPException(f"a malformed Content-Length: {length[:20]!r}")
            self._length = int(length)
        else:
            self.keep_alive = False  # the body ends when the connection closes
        self.headers = headers
        self.status = int(parts[1])

    def _chunked(self) -> bool:
        """Decode the chunks received so far (taken out of the buffer); True after the last."""
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n")
            if end < 0:
                return False
            try:
                size = int(bytes(buffer[:end]).split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise http.client.HTTPException("a malformed chunk size") from None
            if size == 0:  # the last chunk, then trailer lines up to an empty line
                last = buffer.find(b"\r\n\r\n", end)
                if last < 0:
                    return False
                if len(buffer) > last + 4:  # more than the answer: do not reuse
                    self.keep_alive = False
                self.body = bytes(self._decoded)
                return True
            start = end + 2
            if len(buffer) < start + size + 2:
                return False
            if buffer[start + size : start + size + 2] != b"\r\n":
                raise http.client.HTTPException("a chunk longer than its size")
            self._decoded += buffer[start : start + size]
            del buffer[: start + size + 2]
