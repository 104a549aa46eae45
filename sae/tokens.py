"""The repository's bearer tokens, in its database: issued, listed, revoked, and presented.

Only each token's SHA-256 is kept, with who holds it (tenant, role, name), when it was made, an
optional expiry and a revocation mark; a token's identifier is the first 16 hex digits of its
digest (it reveals nothing of a 256-bit token). A token is looked up on each request
(``authenticate``), so a revoked one is refused from the very next request on, whichever
process revoked it. A tenant's tokens are issued and revoked in its own unit of work, with their
entry in its log; the platform administrators' tokens belong to no tenant and are logged by the
process's own logger.

``tokens.json``, where earlier versions kept the digests, is imported once into the database and
renamed (``import_tokens_file``): nothing to do by hand, nothing lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from kernel.errors import InvalidError
from kernel.oplog import LogSpec
from sae.model import PLATFORM_ADMIN, ROLES, TENANT_ROLES, Principal, Role, TokenRecord
from sae.ports import Database

log = logging.getLogger("gedsae.sae.tokens")
TOKENS_FILE: Final = "tokens.json"
IMPORTED_SUFFIX: Final = ".imported"


class UnknownRole(InvalidError):
    code = "unknown_role"
    title = "Rôle inconnu"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def issue_token(
    db: Database,
    tenant: str | None,
    role: str,
    name: str,
    *,
    actor: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, TokenRecord]:
    """A new token for ``name`` (a tenant's, or a platform administrator's when ``tenant`` is
    None); only its digest is kept. Returns it (shown once) and its record."""
    token = secrets.token_urlsafe(32)
    record = TokenRecord(
        digest(token), tenant, name, _role(tenant, role), now or utc_now(), expires_at
    )
    add_token(db, record, actor=actor, action="token.create")
    return token, record


def add_token(db: Database, record: TokenRecord, *, actor: str, action: str) -> None:
    if record.tenant is None:
        with db.platform() as platform:
            platform.tokens.add(record)
            platform.commit()
        log.info("platform token %s %s for %s by %s", record.token_id, action, record.name, actor)
        return
    with db.unit_of_work(record.tenant) as uow:
        uow.tokens.add(record)
        uow.log.append(_spec(record, actor, action))
        uow.commit()


def list_tokens(db: Database, tenant: str | None) -> list[TokenRecord]:
    """Every token of the tenant (or of the platform), oldest first; never a token itself."""
    if tenant is None:
        with db.platform(write=False) as platform:
            return platform.tokens.listing()
    with db.reading(tenant) as uow:
        return uow.tokens.listing()


def revoke_token(
    db: Database, tenant: str | None, token_id: str, *, actor: str, at: datetime | None = None
) -> TokenRecord:
    """Refused from the next request on; ``TokenNotFound``, ``TokenAlreadyRevoked``."""
    moment = at or utc_now()
    if tenant is None:
        with db.platform() as platform:
            revoked = platform.tokens.revoke(token_id, moment)
            platform.commit()
        log.info("platform token %s revoked by %s", token_id, actor)
        return revoked
    with db.unit_of_work(tenant) as uow:
        revoked = uow.tokens.revoke(token_id, moment)
        uow.log.append(_spec(revoked, actor, "token.revoke"))
        uow.commit()
    return revoked


def authenticate(db: Database, token: str, now: datetime | None = None) -> Principal | None:
    """Who presents ``token``; None when it is unknown, revoked or expired."""
    if not token:
        return None
    return authenticate_digest(db, digest(token), now)


def authenticate_digest(
    db: Database, token_digest: str, now: datetime | None = None
) -> Principal | None:
    """Who holds the token of this SHA-256 (hex); None when unknown, revoked or expired."""
    found = db.token(token_digest)
    if found is None or not found.usable(now or utc_now()):
        return None
    return found.principal()


def token_summary(record: TokenRecord) -> dict[str, Any]:
    """A token as an operator sees it: identifier and holder, never the token."""
    return {
        "id": record.token_id,
        "tenant": record.tenant,
        "name": record.name,
        "role": record.role,
        "created_at": record.created_at.isoformat(),
        "expires_at": None if record.expires_at is None else record.expires_at.isoformat(),
        "revoked_at": None if record.revoked_at is None else record.revoked_at.isoformat(),
    }


def _role(tenant: str | None, role: str) -> Role:
    allowed = TENANT_ROLES if tenant is not None else (PLATFORM_ADMIN,)
    for known in ROLES:
        if known == role and known in allowed:
            return known
    where = "d'un locataire" if tenant is not None else "de la plateforme"
    raise UnknownRole(f"rôle {role} inconnu pour un jeton {where} ({', '.join(allowed)})")


def _spec(record: TokenRecord, actor: str, action: str) -> LogSpec:
    details = {"name": record.name, "role": record.role}
    return LogSpec(actor, action, "token", record.token_id, record.tenant, details)


# -- tokens.json of earlier versions -------------------------------------------------------------
def import_tokens_file(db: Database, home: Path, tenants: Iterable[str]) -> list[TokenRecord]:
    """Imports ``home/tokens.json`` (digests, holders, dates) into the database, then renames it
    ``tokens.json.imported``. Each token goes to the tenant it named (its organisation), with a
    ``token.import`` entry; a token of no known tenant stops the import before anything is
    written (``UnknownTenantInTokens``). Nothing happens when there is no such file."""
    path = home / TOKENS_FILE
    if not path.exists():
        return []
    records = [_legacy(d, entry) for d, entry in json.loads(path.read_text("utf-8")).items()]
    unknown = sorted({r.tenant or "" for r in records} - set(tenants))
    if unknown:
        raise UnknownTenantInTokens(
            f"{path} : jetons de locataires inconnus ({', '.join(unknown)}) ; créez-les "
            "(gedsae-sae tenants create) puis relancez"
        )
    known = {r.digest for tenant in tenants for r in list_tokens(db, tenant)}
    for record in records:
        if record.digest not in known:
            add_token(db, record, actor="import", action="token.import")
    path.rename(path.with_name(TOKENS_FILE + IMPORTED_SUFFIX))
    return records


class UnknownTenantInTokens(InvalidError):
    code = "unknown_tenant_in_tokens"
    title = "Jetons d'un locataire inconnu"


def _legacy(token_digest: str, entry: Mapping[str, Any]) -> TokenRecord:
    def moment(key: str) -> datetime | None:
        value = entry.get(key)
        return None if not value else datetime.fromisoformat(value).astimezone(UTC)

    record = TokenRecord(
        token_digest,
        str(entry["organisation"]),
        str(entry["name"]),
        _role(str(entry["organisation"]), str(entry["role"])),
        moment("created_at") or utc_now(),
    )
    return replace(record, expires_at=moment("expires_at"), revoked_at=moment("revoked_at"))
