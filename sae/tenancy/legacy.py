"""Tenant data that earlier versions read from ``sae.toml``, imported once into the database.

``[agreements.ID]`` (with the RELAX NG profile each names, imported under its file's stem),
``[referentials.ORG]`` (agencies and rules CSV) and ``trust_anchors`` (PEM, then trusted by
every tenant the file names) become the setup of the tenant each names (``organisation``, the
default tenant when absent); a tenant named there that does not exist yet is created with a
folder of its own on the offers. Each file is checked as any import is (``sae.tenancy.setup``),
and each change has its log entry. The repository refuses to start while ``sae.toml`` still
holds these keys (``sae.bootstrap``): once imported, the operator removes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sae.model import FileKind
from sae.ports import Database, TenantNotFound
from sae.tenancy.setup import agreement_of, import_file, put_agreement
from sae.tenancy.tenants import create_tenant, ensure_tenant, get_tenant

LEGACY_KEYS: Final = ("agreements", "referentials", "trust_anchors")
ACTOR: Final = "import"


def import_config(
    db: Database, legacy: Mapping[str, Any], home: Path, default_tenant: str
) -> list[str]:
    """Imports the legacy keys of ``sae.toml`` (``legacy``: the parsed file); returns what was
    done, one line each (French, for the operator)."""
    done: list[str] = []
    agreements: Mapping[str, Mapping[str, Any]] = legacy.get("agreements", {})
    referentials: Mapping[str, Mapping[str, Any]] = legacy.get("referentials", {})
    tenants = {str(t.get("organisation", default_tenant)) for t in agreements.values()}
    tenants |= set(referentials) | {default_tenant}
    for tenant in sorted(tenants):
        _ensure(db, tenant, default_tenant, done)
    for tenant, table in referentials.items():
        done += _referential(db, tenant, table, home)
    anchors = legacy.get("trust_anchors")
    if anchors:
        for tenant in sorted(tenants):
            import_file(db, tenant, FileKind.TRUST_ANCHORS, _read(home, anchors), actor=ACTOR)
            done.append(f"{tenant} : certificats de confiance {anchors}")
    for identifier, table in agreements.items():
        done.append(_agreement(db, identifier, table, home, default_tenant))
    return done


def _ensure(db: Database, tenant: str, default_tenant: str, done: list[str]) -> None:
    if tenant == default_tenant:
        ensure_tenant(db, tenant, actor=ACTOR)
        return
    try:
        get_tenant(db, tenant)
    except TenantNotFound:
        create_tenant(db, tenant, tenant, actor=ACTOR)
        done.append(f"{tenant} : locataire créé")


def _referential(db: Database, tenant: str, table: Mapping[str, Any], home: Path) -> list[str]:
    done = []
    for key, kind in (("agencies", FileKind.AGENCIES), ("rules", FileKind.RULES)):
        if table.get(key):
            import_file(db, tenant, kind, _read(home, table[key]), actor=ACTOR)
            done.append(f"{tenant} : référentiel {table[key]}")
    return done


def _agreement(
    db: Database, identifier: str, table: Mapping[str, Any], home: Path, default_tenant: str
) -> str:
    tenant = str(table.get("organisation", default_tenant))
    profile = None
    if table.get("profile"):
        path = home / str(table["profile"])
        profile = path.stem
        import_file(db, tenant, FileKind.PROFILE, path.read_bytes(), actor=ACTOR, name=profile)
    agreement = agreement_of(
        tenant,
        [str(a) for a in table.get("transferring_agencies", [])],
        [str(v) for v in table.get("seda_versions", [])],
        signature_required=bool(table.get("signature_required", False)),
        profile=profile,
        profile_identifier=table.get("profile_identifier"),
    )
    put_agreement(db, tenant, identifier, agreement, actor=ACTOR)
    return f"{tenant} : accord {identifier}"


def _read(home: Path, value: object) -> bytes:
    return (home / Path(str(value)).expanduser()).read_bytes()
