"""HTTP API of the archival repository: contract version 1 of ``connectors/sae_http.py``.

Every path is under ``/api/v1/sae``; a bearer token maps to one organisation and one role
(``transferring``: a GED that sends SIPs and collects replies; ``archivist``: reviews the
organisation's transfers). Another organisation's transfer is a 404, never a 403. Errors are RFC
9457 problem+json through ``kernel.problems.install``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from kernel import problems
from kernel.errors import AuthenticationError, BadRequestError, ForbiddenError, NotFoundError
from kernel.http_hardening import hardened_app
from kernel.private_files import tighten, tighten_folder
from sae import catalogue_search, checkpoint_verify, checkpoints, recovery, review
from sae.ingest import (
    IngestSettings,
    NotAZip,
    Submitted,
    admit,
    quarantine,
    receive,
    run_checks,
)
from sae.offers import StorageOffers
from sae.repository_checks import DIGESTS
from sae.sealing_schedule import with_periodic_sealing
from sae.store import CheckIssue, Transfer, TransferStore

API = "/api/v1/sae"
VERSION = "1"
Role = Literal["transferring", "archivist"]
_HEX = re.compile(r"^[0-9a-f]+$")
_XML = "application/xml"


class ReplyNotReady(NotFoundError):
    code = "reply_not_ready"
    title = "Réponse pas encore décidée"


@dataclass(frozen=True)
class Principal:
    organisation: str
    role: Role
    name: str = "archiviste"


@dataclass(frozen=True)
class SaeConfig:
    data_dir: Path  # transfers.sqlite and quarantine/
    settings: IngestSettings
    tokens: Mapping[str, Principal]
    offers: StorageOffers
    sealing: checkpoints.Sealing | None = None  # seals the log on every acceptance
    seal_interval_s: float = 0.0  # and every so often (0: only on acceptances and by hand)


class DecisionBody(BaseModel):
    comment: str | None = None


def create_sae_app(config: SaeConfig) -> FastAPI:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = TransferStore(config.data_dir / "transfers.sqlite")
    tighten_spools(config)
    app = hardened_app(
        title="gedsae — dépôt d'archives",
        version=VERSION,
        lifespan=with_periodic_sealing(
            recovery.lifespan(config.data_dir, store, config.settings, config.offers),
            store,
            config.offers,
            config.sealing,
            config.seal_interval_s,
        ),
    )
    app.state.tokens = config.tokens
    problems.install(app)

    @app.get(f"{API}/health")
    def health(who: Anyone) -> dict[str, str]:
        return {"status": "ok", "organisation": who.organisation, "version": VERSION}

    @app.post(f"{API}/transfers", status_code=202)
    async def submit(request: Request, who: Sender) -> JSONResponse:
        submitted = _submitted(request)
        admit(config.settings, who.organisation, submitted.transferring_agency)
        package = await quarantine(config.settings, request.stream())
        transfer, new = await run_in_threadpool(
            receive, store, config.settings, who.organisation, submitted, package
        )
        # The checks hash every file: they run once answered (sae.recovery resumes them).
        checks = BackgroundTask(run_checks, store, config.settings, transfer) if new else None
        return JSONResponse(
            _locators(str(request.base_url), transfer),
            status_code=202 if new else 200,
            background=checks,
        )

    @app.get(f"{API}/transfers/{{transfer_id}}/acknowledgement")
    def acknowledgement(transfer_id: str, who: Anyone) -> Response:
        transfer = store.get(who.organisation, transfer_id)
        return Response(transfer.acknowledgement, media_type=_XML)

    @app.get(f"{API}/transfers/{{transfer_id}}/reply")
    def reply(transfer_id: str, who: Anyone) -> Response:
        transfer = store.get(who.organisation, transfer_id)
        if transfer.reply is None:
            raise ReplyNotReady(f"Le transfert {transfer_id} attend la décision de l'archiviste")
        return Response(transfer.reply, media_type=_XML)

    @app.get(f"{API}/review/transfers")
    def pending(who: Archivist) -> list[dict[str, Any]]:
        return [transfer_summary(t) for t in review.pending(store, who.organisation)]

    @app.get(f"{API}/review/transfers/{{transfer_id}}")
    def show(transfer_id: str, who: Archivist) -> dict[str, Any]:
        transfer = store.get(who.organisation, transfer_id)
        return {
            **transfer_summary(transfer),
            "objects": [o.__dict__ for o in store.objects(transfer.id)],
        }

    @app.post(f"{API}/review/transfers/{{transfer_id}}/accept")
    def accept(transfer_id: str, body: DecisionBody, who: Archivist) -> dict[str, Any]:
        decision = review.Decision(who.name, body.comment)
        return transfer_summary(
            review.accept(
                store,
                config.offers,
                who.organisation,
                transfer_id,
                decision,
                seal=checkpoints.sealer(store, config.offers, config.sealing),
            )
        )

    @app.post(f"{API}/review/transfers/{{transfer_id}}/reject")
    def reject(transfer_id: str, body: DecisionBody, who: Archivist) -> dict[str, Any]:
        decision = review.Decision(who.name, body.comment)
        return transfer_summary(review.reject(store, who.organisation, transfer_id, decision))

    # -- keeping archives: catalogue, retrieval, log verification (both roles of the
    # organisation may read its archives; only archivists verify the log) ------------------
    archives = catalogue_search.Catalogue(store.path)

    @app.get(f"{API}/archives")
    def search_archives(
        who: Anyone,
        q: str = "",
        level: str | None = None,
        transfer: str | None = None,
        agency: str | None = None,
        date_from: Annotated[date | None, Query(alias="from")] = None,
        date_to: Annotated[date | None, Query(alias="to")] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=catalogue_search.MAX_PAGE_SIZE)] = 20,
    ) -> dict[str, Any]:
        query = catalogue_search.ArchiveQuery(
            who.organisation, q, level, transfer, agency, date_from, date_to, page, page_size
        )
        found = archives.search(query)
        return {
            "items": [catalogue_search.unit_to_dict(u) for u in found.units],
            "page": found.page,
            "page_size": found.page_size,
            "next_page": found.page + 1 if found.has_more else None,
        }

    @app.get(f"{API}/archives/{{archive_id}}")
    def show_archive(archive_id: str, who: Anyone) -> dict[str, Any]:
        detail = archives.detail(who.organisation, archive_id)
        return {
            **catalogue_search.unit_to_dict(detail.unit),
            "children": [catalogue_search.unit_to_dict(c) for c in detail.children],
            "objects": [catalogue_search.object_to_dict(o) for o in detail.objects],
        }

    @app.get(f"{API}/archives/{{archive_id}}/objects/{{object_id}}")
    def archive_object(archive_id: str, object_id: str, who: Anyone) -> StreamingResponse:
        found = archives.object(who.organisation, archive_id, object_id)
        stream = config.offers.open(found.sha256)  # verified before a byte is sent
        return StreamingResponse(
            catalogue_search.chunks(stream),
            media_type=found.mime_type or "application/octet-stream",
            headers=catalogue_search.download_headers(found),
        )

    @app.get(f"{API}/log/verify")
    def verify_log(who: Archivist, scan: bool = False) -> dict[str, Any]:
        sealing = config.sealing
        report = checkpoint_verify.verify_with_checkpoints(
            store.path,
            config.offers,
            sealing.anchors() if sealing else (),
            intermediates=sealing.intermediates if sealing else (),
            tsa_anchors=sealing.tsa_anchors if sealing else (),
            scan_offers=scan,
        )
        return report.to_dict()

    return app


def tighten_spools(config: SaeConfig) -> None:
    """Received packages and spooled objects left by an earlier version with the umask's mode
    become readable by their owner only."""
    tighten_folder(config.settings.quarantine_dir)
    if config.offers.spool_dir is not None:
        tighten_folder(config.offers.spool_dir)
    tighten([config.data_dir / "tokens.json"])


def principal(request: Request) -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    tokens: Mapping[str, Principal] = request.app.state.tokens
    found = tokens.get(token) if scheme.lower() == "bearer" else None
    if found is None:
        raise AuthenticationError("Jeton absent ou refusé")
    return found


def archivist(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if who.role != "archivist":
        raise ForbiddenError("Réservé aux archivistes de l'organisation")
    return who


def sender(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if who.role != "transferring":
        raise ForbiddenError("Réservé aux services versants")
    return who


Anyone = Annotated[Principal, Depends(principal)]
Archivist = Annotated[Principal, Depends(archivist)]
Sender = Annotated[Principal, Depends(sender)]


def _submitted(request: Request) -> Submitted:
    headers = request.headers
    if headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/zip":
        raise NotAZip("Content-Type application/zip attendu")
    key, agency = headers.get("Idempotency-Key", ""), headers.get("X-Transferring-Agency", "")
    if not key or not agency:
        raise BadRequestError("En-têtes Idempotency-Key et X-Transferring-Agency requis")
    return Submitted(key, agency, _manifest_digest(request))


def _manifest_digest(request: Request) -> tuple[str, str] | None:
    algorithm = request.headers.get("X-Manifest-Digest-Algorithm")
    value = request.headers.get("X-Manifest-Digest-Value")
    if algorithm is None and value is None:
        return None
    if algorithm not in DIGESTS or value is None or not _HEX.match(value):
        raise BadRequestError(
            "X-Manifest-Digest-Algorithm (SHA-256|SHA-384|SHA-512) et "
            "X-Manifest-Digest-Value (hexadécimal minuscule) vont ensemble"
        )
    return algorithm, value


def _locators(root: str, transfer: Transfer) -> dict[str, str]:
    base = f"{root.rstrip('/')}{API}/transfers/{transfer.id}"
    return {
        "transfer_id": transfer.id,
        "acknowledgement_url": f"{base}/acknowledgement",
        "reply_url": f"{base}/reply",
    }


def transfer_summary(transfer: Transfer) -> dict[str, Any]:
    return {
        "transfer_id": transfer.id,
        "message_identifier": transfer.message_identifier,
        "transferring_agency": transfer.transferring_agency,
        "state": transfer.state.value,
        "received_at": transfer.received_at.isoformat(),
        "seda_version": transfer.seda_version,
        "checks_passed": transfer.checks_passed,
        "issues": [_issue(i) for i in transfer.issues],
        "comment": transfer.comment,
        "decided_by": transfer.decided_by,
        "signer": transfer.signer,
        "archive_identifiers": [
            {"unit": unit, "archive_identifier": archive}
            for unit, archive in transfer.archive_identifiers
        ],
    }


def _issue(issue: CheckIssue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "severity": issue.severity,
        "message": issue.message,
        "line": issue.line,
        "path": issue.path,
    }
