"""What every HTTP answer of both applications (the GED's API and the archival repository's)
carries, and their documentation pages served without any third-party host.

Headers (OWASP HTTP Headers Cheat Sheet; CSP Level 3 ``frame-ancestors``): ``nosniff`` so a
browser never guesses a type (a document served as JSON or XML is never run as HTML),
``Referrer-Policy: no-referrer`` so identifiers in our URLs never leak to another site,
``Content-Security-Policy`` with ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for
older browsers) against clickjacking, and ``Cache-Control: no-store`` on API answers, which hold
personal data that no shared or browser cache should keep. A route that sets its own
``Cache-Control`` keeps it.

Web pages (``text/html`` answers of the web interface) get a strict policy of their own: only
this origin's scripts, styles and images (no inline script or style, no plugin, no ``<base>``),
forms posted to this origin only, never framed; and ``no-store``, since they show personal data.
JSON and every other answer keep the API's stricter ``default-src 'none'``.

``/docs`` (Swagger UI) and ``/redoc`` load their scripts and styles from the assets shipped by
the ``fastapi-offline`` package, under ``/static-offline-docs``: they work on a network with no
way out, and their policy allows only same-origin resources.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.memory import limit_malloc_arenas

DOCS_ASSETS = "/static-offline-docs"
DOCS_PAGES = ("/docs", "/redoc")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI starts from an inline script and ReDoc injects its styles; nothing leaves the origin.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
WEB_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
API_HEADERS = {**ALWAYS, "Content-Security-Policy": API_CSP, "Cache-Control": "no-store"}
WEB_HEADERS = {**ALWAYS, "Content-Security-Policy": WEB_CSP, "Cache-Control": "no-store"}


def hardened_app(**settings: Any) -> FastAPI:
    """A FastAPI application whose documentation is served offline and whose every answer
    carries the security headers. The process keeps to a few malloc arenas (a server's threads
    otherwise grow it by the sum of their peaks: ``kernel.memory.limit_malloc_arenas``)."""
    limit_malloc_arenas()
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        **settings,
    )
    app.add_middleware(SecurityHeaders)
    return app


def headers_for(path: str, content_type: str = "") -> dict[str, str]:
    if path.startswith(DOCS_ASSETS + "/"):
        return {**ALWAYS, "Content-Security-Policy": API_CSP}
    if path in DOCS_PAGES or path.startswith("/docs/"):
        return {**ALWAYS, "Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-store"}
    if content_type.startswith("text/html"):
        return WEB_HEADERS
    return API_HEADERS


class SecurityHeaders:
    """ASGI middleware: adds ``headers_for(path, content type)`` to every response start
    (streamed bodies and background tasks are untouched); a header the route already set is
    kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                extra = headers_for(scope["path"], headers.get("content-type", ""))
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_hardened)
