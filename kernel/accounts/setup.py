"""What both services' configuration files say about logging in, turned into what the web pages
use: the key of the session cookies, the session policy and the OpenID Connect provider.

- ``session_key``: the key that signs session cookies and derives CSRF tokens: the configured
  secret (``session_secret_file`` or ``_env``), else a file of the service's home, made on
  first use (256 random bits, 0600 in a 0700 folder);
- ``session_policy``: idle and absolute lifetimes, in minutes and hours as people write them;
- ``oidc_client``: the ``[oidc]`` table (``issuer``, ``client_id``, ``client_secret_file`` or
  ``_env`` — never in clear —, ``label``, ``scopes``), or None when there is none.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kernel.accounts.model import SessionPolicy
from kernel.accounts.oidc import OidcClient
from kernel.errors import InvalidError, Issue
from kernel.private_files import open_private
from kernel.secret_options import read_secret

# The keys of an ``[oidc]`` table (``client_secret`` itself is known, to be refused in clear).
OIDC_KEYS = (
    "issuer",
    "client_id",
    "label",
    "scopes",
    "client_secret",
    "client_secret_file",
    "client_secret_env",
)


def session_key(configured: str | None, path: Path) -> bytes:
    """The configured secret, else the key kept at ``path`` (made there when missing)."""
    if configured:
        return configured.encode()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = open_private(path)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode()


def session_policy(idle_minutes: float, absolute_hours: float) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=idle_minutes), absolute=timedelta(hours=absolute_hours)
    )


def oidc_client(
    table: Mapping[str, Any], where: str, clock: Callable[[], datetime]
) -> OidcClient | None:
    """The provider of an ``[oidc]`` table; ``where`` names the file and table in messages."""
    if not table:
        return None
    missing = [k for k in ("issuer", "client_id") if not table.get(k)]
    secret = read_secret(table, "client_secret", where)
    if missing or secret is None:
        names = ", ".join([*missing, *([] if secret else ["client_secret_file"])])
        raise InvalidError(
            f"{where} : {names} manquant",
            issues=[Issue("oidc_incomplete", f"{names} manquant", path="oidc")],
        )
    # authlib and httpx (0.2 s) are loaded when a provider is configured: never by a command
    from kernel.accounts.oidc_authlib import DEFAULT_SCOPES, AuthlibOidc, OidcSettings

    settings = OidcSettings(
        issuer=str(table["issuer"]),
        client_id=str(table["client_id"]),
        client_secret=secret,
        label=str(table.get("label") or "Fournisseur d'identité"),
        scopes=str(table.get("scopes") or DEFAULT_SCOPES),
    )
    return AuthlibOidc(settings, clock)
