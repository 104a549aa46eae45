"""``/platform/tenants``: the platform administrator creates and lists the archival services the
repository serves, issues and revokes their tokens, and sets what each accepts and trusts (its
agreements, referentials, trust anchors and archival profiles: ``sae.tenancy``).

Only a platform administrator's token opens these routes (403 to a tenant's); an unknown tenant
is a 404. The administrator reads no archive, transfer or log entry of a tenant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from kernel.errors import InvalidError, Issue
from sae.api.deps import API, Db, PlatformAdmin
from sae.model import FileKind
from sae.ports import Database
from sae.tenancy import setup as tenant_setup
from sae.tenancy.tenants import create_tenant, get_tenant, list_tenants, tenant_summary
from sae.tokens import issue_token, list_tokens, revoke_token, token_summary

router = APIRouter(prefix=f"{API}/platform/tenants")
_FILES: Final = {
    "agencies": FileKind.AGENCIES,
    "rules": FileKind.RULES,
    "trust-anchors": FileKind.TRUST_ANCHORS,
    "signature-anchors": FileKind.SIGNATURE_ANCHORS,
}


class TenantIn(BaseModel):
    identifier: str
    name: str
    storage_prefix: str | None = None


class TokenIn(BaseModel):
    name: str = Field(min_length=1)
    role: str
    expires_at: datetime | None = None


class AgreementIn(BaseModel):
    transferring_agencies: list[str]
    seda_versions: list[str] = Field(default_factory=list)
    signature_required: bool = False
    profile: str | None = None
    profile_identifier: str | None = None


@router.post("", status_code=201)
def create(body: TenantIn, who: PlatformAdmin, db: Db) -> dict[str, Any]:
    made = create_tenant(
        db, body.identifier, body.name, actor=who.name, storage_prefix=body.storage_prefix
    )
    return tenant_summary(made)


@router.get("")
def listing(who: PlatformAdmin, db: Db) -> list[dict[str, Any]]:
    return [tenant_summary(t) for t in list_tenants(db)]


@router.get("/{tenant}")
def show(tenant: str, who: PlatformAdmin, db: Db) -> dict[str, Any]:
    found = get_tenant(db, tenant)
    return {**tenant_summary(found), **tenant_setup.describe_setup(db, tenant)}


@router.post("/{tenant}/tokens", status_code=201)
def new_token(tenant: str, body: TokenIn, who: PlatformAdmin, db: Db) -> dict[str, Any]:
    get_tenant(db, tenant)
    token, record = issue_token(
        db, tenant, body.role, body.name, actor=who.name, expires_at=body.expires_at
    )
    return {**token_summary(record), "token": token}


@router.get("/{tenant}/tokens")
def tokens(tenant: str, who: PlatformAdmin, db: Db) -> list[dict[str, Any]]:
    get_tenant(db, tenant)
    return [token_summary(r) for r in list_tokens(db, tenant)]


@router.delete("/{tenant}/tokens/{token_id}", status_code=204)
def revoke(tenant: str, token_id: str, who: PlatformAdmin, db: Db) -> Response:
    get_tenant(db, tenant)
    revoke_token(db, tenant, token_id, actor=who.name)
    return Response(status_code=204)


@router.put("/{tenant}/agreements/{agreement_id}")
def put_agreement(
    tenant: str, agreement_id: str, body: AgreementIn, who: PlatformAdmin, db: Db
) -> dict[str, Any]:
    get_tenant(db, tenant)
    agreement = tenant_setup.agreement_of(
        tenant,
        body.transferring_agencies,
        body.seda_versions,
        signature_required=body.signature_required,
        profile=body.profile,
        profile_identifier=body.profile_identifier,
    )
    tenant_setup.put_agreement(db, tenant, agreement_id, agreement, actor=who.name)
    return tenant_setup.agreement_summary(agreement_id, agreement)


@router.delete("/{tenant}/agreements/{agreement_id}", status_code=204)
def remove_agreement(tenant: str, agreement_id: str, who: PlatformAdmin, db: Db) -> Response:
    get_tenant(db, tenant)
    tenant_setup.remove_agreement(db, tenant, agreement_id, actor=who.name)
    return Response(status_code=204)


@router.put("/{tenant}/files/{kind}")
async def put_file(tenant: str, kind: str, request: Request, who: PlatformAdmin, db: Db) -> Any:
    """The agencies or rules referential (Vitam CSV), the trust anchors of manifest signatures
    or the roots of the documents' signatures (PEM), as the body."""
    if kind not in _FILES:
        message = f"fichier {kind} inconnu ({', '.join(_FILES)})"
        raise InvalidError(message, issues=[Issue("unknown_file_kind", message, path="kind")])
    content = await bounded_body(request)
    return await run_in_threadpool(_import, db, tenant, _FILES[kind], content, who.name, "")


@router.put("/{tenant}/profiles/{name}")
async def put_profile(tenant: str, name: str, request: Request, who: PlatformAdmin, db: Db) -> Any:
    """An archival profile (RELAX NG) as the body; agreements name it by ``name``."""
    content = await bounded_body(request)
    return await run_in_threadpool(_import, db, tenant, FileKind.PROFILE, content, who.name, name)


def _import(
    db: Database, tenant: str, kind: FileKind, content: bytes, actor: str, name: str
) -> dict[str, Any]:
    get_tenant(db, tenant)
    done = tenant_setup.import_file(db, tenant, kind, content, actor=actor, name=name)
    return {"kind": done.kind.value, "name": done.name, "sha256": done.sha256}


async def bounded_body(request: Request) -> bytes:
    """The body, refused past ``MAX_FILE_BYTES`` before it is all read."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > tenant_setup.MAX_FILE_BYTES:
            message = f"plus de {tenant_setup.MAX_FILE_BYTES} octets"
            raise tenant_setup.FileTooLarge(message, issues=[Issue("file_too_large", message)])
    return bytes(received)
