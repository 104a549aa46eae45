"""The archival services one repository serves (its tenants).

A tenant's identifier is the SEDA identifier of the archival agency (``ArchivalAgency`` of the
manifests it receives, ``organisation`` of all it holds): letters, digits, ``_``, ``-`` and
``.``, at most 64. Its storage prefix places its objects on every offer; the default tenant (the
``organisation`` of ``sae.toml``) keeps the offers' root, as before tenants, and another tenant
gets a folder of its identifier unless told otherwise. Two tenants never share a prefix.

A tenant's creation is the first entry of its own log, in the same transaction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from kernel.errors import InvalidError, Issue
from kernel.oplog import LogSpec
from sae.model import Tenant
from sae.ports import Database, TenantNotFound

IDENTIFIER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PREFIX: Final = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]*/)+")
# Names the offers use themselves at their root (filesystem: sha256/, tmp/; S3: blobs/).
RESERVED: Final = frozenset({"sha256/", "tmp/", "blobs/"})


class TenantRefused(InvalidError):
    code = "tenant_refused"
    title = "Locataire refusé"


def default_prefix(identifier: str) -> str:
    return f"{identifier}/"


def create_tenant(
    db: Database,
    identifier: str,
    name: str,
    *,
    actor: str,
    storage_prefix: str | None = None,
    now: datetime | None = None,
) -> Tenant:
    """``TenantRefused`` listing every bad field; ``TenantAlreadyExists``,
    ``StoragePrefixTaken``."""
    prefix = default_prefix(identifier) if storage_prefix is None else storage_prefix
    _check(identifier, name, prefix)
    tenant = Tenant(identifier, name.strip(), prefix, now or datetime.now(UTC))
    with db.platform() as uow:
        uow.tenants.add(tenant)
        details = {"name": tenant.name, "storage_prefix": prefix}
        spec = LogSpec(actor, "tenant.created", "tenant", identifier, identifier, details)
        uow.log(identifier).append(spec, at=tenant.created_at)
        uow.commit()
    return tenant


def tenant_summary(tenant: Tenant) -> dict[str, Any]:
    """A tenant as the API and ``--json`` show it."""
    return {
        "identifier": tenant.identifier,
        "name": tenant.name,
        "storage_prefix": tenant.storage_prefix,
        "created_at": tenant.created_at.isoformat(),
    }


def list_tenants(db: Database) -> list[Tenant]:
    with db.platform(write=False) as uow:
        return uow.tenants.all()


def get_tenant(db: Database, identifier: str) -> Tenant:
    with db.platform(write=False) as uow:
        return uow.tenants.get(identifier)


def ensure_tenant(db: Database, identifier: str, *, actor: str) -> Tenant:
    """The tenant, created with the offers' root as its prefix if it does not exist yet (the
    default tenant of a repository's ``sae.toml``)."""
    try:
        return get_tenant(db, identifier)
    except TenantNotFound:
        return create_tenant(db, identifier, identifier, actor=actor, storage_prefix="")


def _check(identifier: str, name: str, prefix: str) -> None:
    issues = []
    if not IDENTIFIER.fullmatch(identifier):
        message = "identifiant SEDA attendu : lettres, chiffres, _ - . (64 au plus)"
        issues.append(Issue("bad_identifier", message, path="identifier"))
    if not name.strip():
        issues.append(Issue("missing_name", "le nom du service d'archives manque", path="name"))
    if prefix and (not PREFIX.fullmatch(prefix) or any(prefix.startswith(r) for r in RESERVED)):
        message = (
            "préfixe attendu : dossiers séparés par /, terminé par / (ni sha256/, tmp/, blobs/)"
        )
        issues.append(Issue("bad_storage_prefix", message, path="storage_prefix"))
    if issues:
        raise TenantRefused("Locataire refusé", issues=issues)
