"""The HTTP server in front of the local API Gateway: what it does with bodies that cannot be read."""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from collections.abc import Iterator

import pytest

from local.runtime.gateway import HttpRequest, HttpResponse
from local.runtime.server import HttpServer


def _echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, [("Content-Type", "text/plain")], request.body)


def _refuse(response_type: str, status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "text/plain")], f"{response_type}: {message}".encode())


DELAYED_ACK = 0.040  # seconds Linux may hold back the acknowledgement of a segment


@pytest.fixture
def port() -> Iterator[int]:
    server = HttpServer(0, _echo, _refuse)
    server.start()
    yield int(server.url.rsplit(":", 1)[1])
    server.stop()


def _exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_a_body_is_read_by_its_length_or_its_chunks(port: int) -> None:
    sized = _exchange(port, b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert sized.startswith(b"HTTP/1.1 200") and sized.endswith(b"hello")
    chunked = b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    answer = _exchange(port, chunked + b"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"hello")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Content-Length: :\r\n", b"400 Bad Request"),
        (b"Content-Length: -1\r\n", b"400 Bad Request"),
        (b"Content-Length: 1\r\n", b"400 Bad Request"),  # announced, never sent: dropped after a few seconds
        (b"Content-Length: 99999999\r\n", b"413 Request Entity Too Large"),
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", b"400 Bad Request"),
    ],
)
def test_an_unreadable_body_is_answered_not_hung_on(port: int, headers: bytes, status: bytes) -> None:
    answer = _exchange(port, b"POST /x HTTP/1.1\r\nHost: a\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 " + status), answer
    assert b"BAD_REQUEST_BODY: " in answer or b"REQUEST_TOO_LARGE: " in answer


def test_an_answer_on_a_kept_connection_is_not_held_back_by_the_delayed_ack(port: int) -> None:
    """As on the AWS endpoint (tests/local/test_aws.py): the body follows the headers at once."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    waits = []
    for _ in range(21):
        started = time.perf_counter()
        connection.request("POST", "/x", b"hello")
        assert connection.getresponse().read() == b"hello"
        waits.append(time.perf_counter() - started)
    connection.close()
    assert statistics.median(waits) < DELAYED_ACK / 2
