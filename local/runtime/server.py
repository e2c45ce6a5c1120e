"""The HTTP server on localhost that hands each request, headers as sent, to the local API Gateway."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local.runtime.gateway import HttpRequest, HttpResponse

log = logging.getLogger("rapport.local")
App = Callable[[HttpRequest], HttpResponse]
Refuse = Callable[[str, int, str], HttpResponse]  # API Gateway's response of a type, with a status and message
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
BODY_TIMEOUT = 3.0  # seconds without a byte of a body its Content-Length announced: the request is dropped
LISTEN_BACKLOG = 128  # connections waiting to be accepted: a burst of clients is queued, not reset
_JSON = [("Content-Type", "application/json")]


class Unreadable(Exception):
    """The request's body cannot be read: too long, a bad length or chunk, or it never comes."""

    def __init__(self, response_type: str, status: int, message: str) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.status = status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG
    app: App
    refuse: Refuse


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the body follows the headers at once, not after the client's delayed ACK

    def version_string(self) -> str:
        return "rapport-local"

    server: _Server

    def _serve(self) -> None:
        try:
            body = self._body()
        except Unreadable as error:
            self.close_connection = True
            self._send(self.server.refuse(error.response_type, error.status, str(error)))
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            port=self.server.server_address[1],
        )
        try:
            response = self.server.app(request)
        except Exception:
            log.exception("%s %s failed", self.command, self.path)
            response = HttpResponse(500, _JSON, b'{"message":"Internal server error"}')
        self._send(response)

    def __getattr__(self, name: str) -> Callable[[], None]:
        """`do_<METHOD>` for every method, as API Gateway answers them all (TRACE and FOO included)."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _body(self) -> bytes:
        self.connection.settimeout(BODY_TIMEOUT)
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._chunked()
            return self._read(self._length())
        except (ValueError, TimeoutError) as error:
            raise Unreadable("BAD_REQUEST_BODY", 400, "Bad Request") from error
        finally:
            self.connection.settimeout(None)

    def _length(self) -> int:
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError(length)
        if length > MAX_BODY:
            raise Unreadable("REQUEST_TOO_LARGE", 413, "Request Too Long")
        return length

    def _read(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) < size:
            raise ValueError("the body ended early")
        return data

    def _chunked(self) -> bytes:
        body = b""
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            body += self._read(size)
            self.rfile.readline()
            if len(body) > MAX_BODY:
                raise Unreadable("REQUEST_TOO_LARGE", 413, "Request Too Long")
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return body

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        """The gateway logs each request itself."""


class HttpServer:
    def __init__(self, port: int, app: App, refuse: Refuse) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.app = app
        self._server.refuse = refuse
        self._thread = threading.Thread(target=self._server.serve_forever, name="api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://localhost:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
