"""Swagger UI at /docs over the committed OpenAPI document: local only, no deployed function carries it.

The UI is the swagger-ui-dist npm package (a pinned devDependency, in node_modules after `make install`).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from local.runtime.gateway import HttpRequest, HttpResponse

PREFIX = "/docs"
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Rapport API (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/docs/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});
  </script>
</body>
</html>
"""
_MISSING = b"Swagger UI is not installed: run `make install` (it puts swagger-ui-dist in node_modules)."


class Docs:
    def __init__(self, document: Path, assets: Path) -> None:
        self._document = document
        self._assets = assets

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        """The docs' response, or None when the request is not for the docs."""
        path = request.target.partition("?")[0]
        if request.method != "GET" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            return None
        name = path.removeprefix(PREFIX).strip("/")
        if name == "":
            return _ok("text/html; charset=utf-8", _PAGE.encode())
        if name == "openapi.json":
            return _ok("application/json", self._document.read_bytes())
        return self._asset(name)

    def _asset(self, name: str) -> HttpResponse:
        if not self._assets.is_dir():
            return HttpResponse(503, [("Content-Type", "text/plain")], _MISSING)
        file = (self._assets / name).resolve()
        if file.parent != self._assets.resolve() or not file.is_file():
            return HttpResponse(404, [("Content-Type", "text/plain")], b"Not found")
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return _ok(content_type, file.read_bytes())


def _ok(content_type: str, body: bytes) -> HttpResponse:
    return HttpResponse(200, [("Content-Type", content_type)], body)
