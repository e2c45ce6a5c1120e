"""The HTTP server on localhost that hands each request, headers as sent, to the local API Gateway."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local.runtime.gateway import HttpRequest, HttpResponse

log = logging.getLogger("rapport.local")
App = Callable[[HttpRequest], HttpResponse]
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "rapport-local"

    server: _Server

    def _serve(self) -> None:
        body = self._body()
        if body is None:
            self.close_connection = True
            self._send(HttpResponse(413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}'))
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
            response = HttpResponse(500, [("Content-Type", "application/json")], b'{"message":"Internal server error"}')
        self._send(response)

    def __getattr__(self, name: str) -> Callable[[], None]:
        """`do_<METHOD>` for every method, as API Gateway answers them all (TRACE and FOO included)."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length <= MAX_BODY else None

    def _chunked(self) -> bytes | None:
        body = b""
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
            if len(body) > MAX_BODY:
                return None
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
    def __init__(self, port: int, app: App) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.app = app
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
