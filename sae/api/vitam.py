"""Vitam's ``ingest-external`` as its clients call it, so that a GED or a Vitam client built
for Vitam can send to our repository unchanged (Vitam 7.0.1: `IngestExternalResource.java`,
`IngestExternalImpl.java`, `TenantFilter.java`, `InternalSecurityFilter.java`,
`AdminManagementExternalResource.java`; the points that matter are recorded in the connector
contracts our own ``connectors.vitam`` follows).

Served only on the mutual-TLS listener (``[vitam]`` in ``sae.toml``, ``sae.api.
client_certificates``): the caller is its client certificate, verified during the handshake
against ``client_ca``, then looked up among the certificates each Vitam tenant lists.

- every request carries ``X-Tenant-Id``: missing or not an integer → 412; an integer the
  platform does not map to a tenant, or a certificate that tenant does not list → 401
  (Vitam's ``INTERNAL_SECURITY_UNAUTHORIZED``), as an unknown tenant;
- ``POST /ingest-external/v1/ingests``: the SIP as ``application/octet-stream`` (else 415),
  ``X-Action: RESUME``, ``X-Context-Id: DEFAULT_WORKFLOW`` (any other context → 503 with a KO
  ArchiveTransferReply as the body: we run no dry run nor scheme ingest), optional
  ``X-Manifest-Digest-Algo`` + ``X-Manifest-Digest-Value``; 202 once the body is on disk,
  ``X-Request-Id`` = the operation (our transfer's id), ``X-Global-Execution-State: PAUSE``;
- ``HEAD /admin-external/v1/operations/{id}``: 202 while the transfer awaits its checks or the
  archivist, 200 once decided, with ``X-Global-Execution-State`` and ``-Status`` (OK, KO);
- ``GET /ingest-external/v1/ingests/{id}/archivetransferreply``: the reply, with Vitam's
  identifiers (``MessageIdentifier`` = the operation); 404 with VitamError ``040102`` before.

Two differences with Vitam, said here rather than hidden: a SIP whose manifest cannot be read
at all (no MessageIdentifier, no TransferringAgency) is refused at upload with 400 — Vitam makes
a KO operation of it —, and a transfer is decided by an archivist of the tenant, as every other
transfer of this repository, where Vitam decides alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from kernel.errors import AuthenticationError, GedsaeError, NotFoundError
from kernel.openapi_problems import files, problem_for
from sae.api.client_certificates import client_certificate
from sae.api.deps import Db, Opened
from sae.api.transfers import after_receipt, manifest_digest
from sae.ingest.header import Header, ManifestRefused, read_header
from sae.ingest.receive import Submitted, admit, quarantine, receive
from sae.ingest.setup import load_setup
from sae.model import Principal, Transfer, TransferState
from sae.review import decisions
from sae.review.decisions import get_transfer
from sae.review.vitam_dialect import as_vitam, ko_reply
from sae.vitam_access import VitamAccess, fingerprint
from seda.errors import SedaError
from seda.package import open_package

router = APIRouter(tags=["Vitam ingest-external (compatibilité)"])
INGEST: Final = "/ingest-external/v1"
ADMIN: Final = "/admin-external/v1"
DEFAULT_CONTEXT: Final = "DEFAULT_WORKFLOW"
REPLY_NOT_FOUND: Final = "040102"
_TENANT: Final = re.compile(r"^-?[0-9]{1,9}$")


class TenantHeaderMissing(GedsaeError):
    status = 412
    code = "vitam_tenant_missing"
    title = "En-tête X-Tenant-Id absent ou non entier"


class VitamUnauthorized(AuthenticationError):
    code = "vitam_unauthorized"
    title = "Certificat sans contexte pour ce tenant"
    challenge = "Certificate"


class NotOctetStream(GedsaeError):
    status = 415
    code = "unsupported_media_type"
    title = "SIP attendu en application/octet-stream"


def vitam_sender(request: Request) -> Principal:
    """The tenant's sender behind the client certificate and ``X-Tenant-Id``."""
    access: VitamAccess | None = request.app.state.repository.config.vitam
    pem = client_certificate(request.scope)
    tenant_header = request.headers.get("X-Tenant-Id", "").strip()
    if not _TENANT.match(tenant_header):
        raise TenantHeaderMissing("X-Tenant-Id : un entier est attendu")
    if access is None or pem is None:
        raise VitamUnauthorized("Route servie sur l'écoute TLS mutuelle du dépôt seulement")
    found = access.tenants.get(int(tenant_header))
    if found is None or fingerprint(pem) not in found.clients:
        raise VitamUnauthorized(f"Tenant {tenant_header} inconnu ou fermé à ce certificat")
    return Principal(found.tenant, "transferring", f"vitam:{fingerprint(pem)[:16]}")


VitamSender = Annotated[Principal, Depends(vitam_sender)]


@router.post(f"{INGEST}/ingests", status_code=202, responses=problem_for(412))
async def ingest(request: Request, who: VitamSender, opened: Opened, db: Db) -> Response:
    headers = request.headers
    if headers.get("Content-Type", "").split(";")[0].strip() != "application/octet-stream":
        raise NotOctetStream("Content-Type application/octet-stream attendu")
    if headers.get("X-Context-Id") != DEFAULT_CONTEXT or headers.get("X-Action") != "RESUME":
        return Response(
            ko_reply(f"Processus inconnu : {headers.get('X-Context-Id')!r}"),
            status_code=503,
            media_type="application/xml",
        )
    announced = manifest_digest(request, algorithm_header="X-Manifest-Digest-Algo")
    settings = opened.config.settings
    package = await quarantine(settings, request.stream())
    try:
        header = await run_in_threadpool(_package_header, package.path)
        setup = await run_in_threadpool(load_setup, db, who.organisation)
        admit(setup, header.transferring_agency)
        submitted = Submitted(header.message_identifier, header.transferring_agency, announced)
    except BaseException:
        package.path.unlink(missing_ok=True)
        raise
    transfer, new = await run_in_threadpool(
        receive, db, settings, who.organisation, submitted, package
    )
    checks = await run_in_threadpool(after_receipt, opened, transfer, new)
    return Response(
        status_code=202,
        headers=_state(transfer, running="PAUSE") | {"X-Request-Id": transfer.id},
        background=checks,
    )


@router.head(f"{ADMIN}/operations/{{operation_id}}", responses=problem_for(412))
def operation(operation_id: str, who: VitamSender, db: Db) -> Response:
    transfer = get_transfer(db, who.organisation, operation_id)
    return Response(status_code=200 if transfer.replied else 202, headers=_state(transfer))


@router.get(
    f"{INGEST}/ingests/{{operation_id}}/archivetransferreply",
    response_class=Response,
    responses={**files("application/octet-stream"), **problem_for(412)},
)
def transfer_reply(operation_id: str, who: VitamSender, db: Db) -> Response:
    try:
        reply = decisions.transfer_reply(db, who.organisation, operation_id)
    except NotFoundError:
        reply = None  # Vitam answers an unknown operation's reply as a reply not written yet
    if reply is None:
        return _reply_not_found(operation_id)
    return Response(as_vitam(reply, operation_id), media_type="application/octet-stream")


def _reply_not_found(operation_id: str) -> JSONResponse:
    body = {
        "httpCode": 404,
        "code": REPLY_NOT_FOUND,
        "context": "INGEST_EXTERNAL",
        "state": "code_vitam",
        "message": "Ingest external not found",
        "description": f"Pas de réponse (ArchiveTransferReply) pour l'opération {operation_id}",
    }
    return JSONResponse(body, status_code=404)


_STATUS: Final = {TransferState.ACCEPTED: "OK", TransferState.REJECTED: "KO"}


def _state(transfer: Transfer, running: str = "RUNNING") -> dict[str, str]:
    status = _STATUS.get(transfer.state) if transfer.replied else None
    if status is None:
        return {"X-Global-Execution-State": running, "X-Global-Execution-Status": "UNKNOWN"}
    return {"X-Global-Execution-State": "COMPLETED", "X-Global-Execution-Status": status}


def _package_header(path: Path) -> Header:
    """MessageIdentifier and TransferringAgency of the package's manifest (Vitam reads the
    agency from the manifest: it is not sent apart)."""
    try:
        with open_package(path) as package:
            name = package.manifest_name
            if name is None:
                raise ManifestRefused("SIP sans manifest.xml à sa racine")
            return read_header(lambda: package.open(name))
    except SedaError as exc:
        raise ManifestRefused(f"SIP illisible : {exc}") from exc
