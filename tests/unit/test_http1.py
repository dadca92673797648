"""The direct transport's HTTP/1.1 answer reader: every framing DynamoDB (or a proxy in front
of it) may use, bytes arriving in any split, and cut or malformed answers refused with the
``http.client`` exception the transport classifies as a lost answer."""

from __future__ import annotations

import http.client

import pytest

from ddbwrap._engine.http1 import MAX_HEAD, AnswerParser

BODY = b'{"Item":{"pk":{"S":"p"}}}'
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: R1\r\n"
SIZED = HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
CHUNKED = (
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    + b"%x\r\n" % 10 + BODY[:10] + b"\r\n"
    + b"%x;ext=1\r\n" % (len(BODY) - 10) + BODY[10:] + b"\r\n"
    + b"0\r\nX-Trailer: t\r\n\r\n"
)  # fmt: skip
UNTIL_CLOSE = HEAD + b"\r\n" + BODY


def read(answer: bytes, *, split: int | None = None) -> AnswerParser:
    """``answer`` fed in pieces of ``split`` bytes (all at once when None), then EOF if the
    parser still wants more."""
    parser = AnswerParser()
    step = split or len(answer)
    for start in range(0, len(answer), step):
        if parser.feed(answer[start : start + step]):
            return parser
    parser.eof()
    return parser


@pytest.mark.parametrize("answer", [SIZED, CHUNKED, UNTIL_CLOSE], ids=["sized", "chunked", "close"])
def test_every_framing_gives_the_status_headers_and_body(answer: bytes) -> None:
    parser = read(answer)
    assert (parser.status, parser.body) == (200, BODY)
    assert parser.headers["x-amzn-requestid"] == "R1"  # by lowercase name


@pytest.mark.parametrize("answer", [SIZED, CHUNKED, UNTIL_CLOSE], ids=["sized", "chunked", "close"])
def test_bytes_split_anywhere_read_the_same(answer: bytes) -> None:
    for split in range(1, 12):
        parser = read(answer, split=split)
        assert (parser.status, parser.body) == (200, BODY), split


@pytest.mark.parametrize("answer", [SIZED, CHUNKED, UNTIL_CLOSE], ids=["sized", "chunked", "close"])
def test_a_first_read_holding_the_head_and_part_of_the_body_reads_the_same(answer: bytes) -> None:
    body_starts = answer.index(b"\r\n\r\n") + 4
    for cut in range(body_starts - 1, len(answer)):
        parser = AnswerParser()
        if not parser.feed(answer[:cut]) and not parser.feed(answer[cut:]):
            parser.eof()
        assert (parser.status, parser.body) == (200, BODY), cut
        assert parser.keep_alive is (answer is not UNTIL_CLOSE), cut


def test_a_sized_or_chunked_answer_keeps_the_connection_and_one_read_until_close_does_not() -> None:
    assert read(SIZED).keep_alive
    assert read(CHUNKED).keep_alive
    assert not read(UNTIL_CLOSE).keep_alive


def test_connection_close_and_http_1_0_end_the_connection() -> None:
    closing = SIZED.replace(b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nConnection: close\r\n")
    assert not read(closing).keep_alive
    assert not read(SIZED.replace(b"HTTP/1.1", b"HTTP/1.0")).keep_alive


def test_bytes_beyond_the_answer_end_the_connection() -> None:
    parser = AnswerParser()
    assert parser.feed(SIZED + b"HTTP/1.1 200 OK\r\n")
    assert parser.body == BODY
    assert not parser.keep_alive


def test_an_error_status_is_read_like_any_answer() -> None:
    error = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException"}'
    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n" % len(error) + error
    assert (read(answer).status, read(answer).body) == (400, error)


def test_a_connection_closed_before_any_byte_is_remote_disconnected() -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        AnswerParser().eof()


@pytest.mark.parametrize(
    "cut", [SIZED[:-3], CHUNKED[:-6], SIZED[:20]], ids=["sized body", "chunks", "head"]
)
def test_an_answer_cut_by_the_connection_closing_is_refused(cut: bytes) -> None:
    parser = AnswerParser()
    assert not parser.feed(cut)
    with pytest.raises(http.client.HTTPException):
        parser.eof()


@pytest.mark.parametrize(
    "answer",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 OK\r\n\r\n",
        HEAD.replace(b"Content-Type:", b"Content-Type ") + b"\r\n",
        HEAD + b"Content-Length: 12x\r\n\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
    ],
    ids=["not http", "no code", "bad header", "bad length", "bad chunk size", "long chunk"],
)
def test_a_malformed_answer_is_refused(answer: bytes) -> None:
    with pytest.raises(http.client.HTTPException):
        read(answer)


def test_headers_without_end_beyond_the_limit_are_refused() -> None:
    with pytest.raises(http.client.LineTooLong):
        AnswerParser().feed(b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_HEAD)
