"""A listener that requires a client certificate (mutual TLS) and tells the application which
one it verified, for the Vitam-compatible routes (``sae.api.vitam``).

uvicorn verifies the certificate against ``client_ca`` during the handshake
(``ssl.CERT_REQUIRED``) but does not pass it on. Each connection's protocol therefore puts the
verified certificate into the requests' scope as ASGI's TLS extension says
(``scope["extensions"]["tls"]["client_cert_chain"]``, PEM), which the routes read. Nothing
else differs from uvicorn's own h11 protocol. The listener shares the main one's application
and event loop; it runs no lifespan of its own (the main listener's recovers and seals).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sae.vitam_access import VitamAccess


class ClientCertificateProtocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der is None:
            return
        pem = ssl.DER_cert_to_PEM_cert(der)
        inner = self.app

        async def with_certificate(scope: Any, receive: Any, send: Any) -> None:
            extensions = scope.setdefault("extensions", {})
            extensions["tls"] = {"client_cert_chain": [pem], "tls_version": ssl_object.version()}
            await inner(scope, receive, send)

        self.app = with_certificate


def client_certificate(scope: Any) -> str | None:
    """The PEM of the certificate the TLS listener verified; None on any other listener."""
    chain = scope.get("extensions", {}).get("tls", {}).get("client_cert_chain") or []
    return str(chain[0]) if chain else None


class _Listener(uvicorn.Server):
    """A server that leaves signals to ``serve_all`` (uvicorn's own handler would stop only
    the server that installed it last)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def serve_all(app: Any, host: str, port: int, vitam: VitamAccess | None, log_level: str) -> None:
    """The main listener, and the mutual-TLS one when ``[vitam]`` is configured, in one process
    and one event loop; SIGINT or SIGTERM stops both gracefully."""
    main = _Listener(uvicorn.Config(app, host=host, port=port, log_level=log_level))
    servers = [main]
    if vitam is not None:
        tls = uvicorn.Config(
            app,
            host=host,
            port=vitam.port,
            log_level=log_level,
            lifespan="off",  # the main listener's lifespan recovers and seals
            http=ClientCertificateProtocol,
            ssl_certfile=str(vitam.certificate),
            ssl_keyfile=str(vitam.key),
            ssl_ca_certs=str(vitam.client_ca),
            ssl_cert_reqs=ssl.CERT_REQUIRED,
        )
        servers.append(_Listener(tls))
    asyncio.run(_serve(servers))


async def _serve(servers: list[_Listener]) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve() for server in servers))
