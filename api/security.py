"""Response hardening and the self-hosted API documentation.

`headers_middleware` adds to every response (API, web view, documentation, errors):
X-Content-Type-Options nosniff, Referrer-Policy no-referrer, X-Frame-Options DENY and a
Content-Security-Policy with frame-ancestors 'none', and X-SMF-Worker: the process id of the
`smf serve` worker that answered (which of several a client reached; no secret). Pages of the
web view may load only their own stylesheet (no script at all); the documentation page only its
own scripts (Swagger UI's files from the swagger-ui-bundle package and api/static/swagger-init.js,
served under /api/docs/static); JSON answers nothing but themselves.

`SwaggerUI` renders /api/docs from those local files, so the documentation works on an isolated
network (it loaded Swagger UI from a public CDN before).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import MutableScopeHeaders
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

API_STATIC = Path(__file__).resolve().parent / "static"
DOCS_STATIC = "/api/docs/static"

CSP_WEB = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CSP_DOCS = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CSP_API = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def csp_for(path: str) -> str:
    if path == "/web" or path.startswith("/web/"):
        return CSP_WEB
    if path == "/api/docs" or path.startswith("/api/docs/"):
        return CSP_DOCS
    return CSP_API


def headers_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: the security headers above on every HTTP response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        csp = csp_for(scope["path"])

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                worker = ("x-smf-worker", str(os.getpid()))
                for name, value in (*COMMON.items(), ("content-security-policy", csp), worker):
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await app(scope, receive, wrapped)

    return middleware


class SwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI from the package's own files (swagger-ui-bundle), no inline script."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        s = DOCS_STATIC
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>SMF API</title>"
            f'<link rel="stylesheet" href="{s}/swagger-ui.css">'
            f'<link rel="icon" href="{s}/favicon-32x32.png">'
            '</head><body><div id="swagger-ui"></div>'
            f'<script src="{s}/swagger-ui-bundle.js"></script>'
            f'<script src="{s}/swagger-ui-standalone-preset.js"></script>'
            f'<script src="{s}/swagger-init.js"></script>'
            "</body></html>"
        ).encode()


def docs_static() -> Router:
    """Swagger UI's files and our initialiser, under /api/docs/static."""
    return create_static_files_router(
        path=DOCS_STATIC,
        directories=[Path(str(swagger_ui_path)), API_STATIC],
        include_in_schema=False,
    )
