"""``/restservices``: the repository answers As@lae's REST services as its senders call them, so
that a collectivité sending through Pastell's As@lae connector (or the CD56 connector) can point
it at us unchanged.

As@lae's source is not public; the contract is what those clients do (Pastell
`connecteur/as@lae-rest/AsalaeREST.php`, CD56 `AsalaeConnector.java`):

- ``GET /ping`` (a JSON value, no credentials needed) and ``GET /versions`` (application and
  version; credentials checked);
- ``POST /sedaMessages``: ``seda_message`` (the bordereau) and ``attachments`` (tar.gz or zip),
  or, with ``send_chunked_attachments=true`` and no attachments, the opening of a chunked upload
  answered with ``chunk_session_identifier`` and ``chunk_security_identifier``; then
  ``POST /sedaAttachmentsChunkFiles`` once per chunk (``chunk_content``, ``session_identifier``,
  ``security_identifier``, ``chunk_index`` from 1, ``number_of_chunks``) — the last one submits;
- ``GET /sedaMessages/sequence:ArchiveTransfer/message:{Acknowledgement|ArchiveTransferReply}/
  originOrganizationIdentification:{agency}/originMessageIdentifier:{id}`` (segments encoded one
  by one, or the whole path encoded, as Pastell versions differ) or the same as a query string
  (CD56): the Acknowledgement once received, the reply once decided — before that HTTP 500 with
  the body ``Transfert en cours de traitement``, which is how As@lae says "not yet".

Credentials: HTTP Basic, the login being the name of a tenant's ``transferring`` token and the
password the token itself (CD56) or its SHA-256 in hex (Pastell always sends that form). The
repository keeps only tokens' SHA-256: a copy of its database is therefore enough to send on
this route — protect the database as the tokens themselves (the deploy guide says so). A
transfer received here goes through the same admission, quarantine, receipt and checks as one
received on ``/api/v1/sae/transfers``, and the archivist decides it the same way.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.datastructures import FormData, UploadFile

from kernel.errors import AuthenticationError, BadRequestError, ForbiddenError, NotFoundError
from kernel.openapi_problems import files
from sae.api.deps import VERSION, Db, Opened
from sae.api.transfers import after_receipt
from sae.bootstrap import Repository
from sae.ingest.asalae_intake import (
    ChunkSessions,
    assemble,
    spool,
)
from sae.ingest.header import read_header
from sae.ingest.receive import PackageTooLarge, Submitted, admit, receive
from sae.ingest.setup import load_setup
from sae.model import Principal
from sae.ports import Database
from sae.review.asalae_dialect import as_asalae
from sae.review.decisions import transfer_reply
from sae.tokens import authenticate, authenticate_digest

router = APIRouter(prefix="/restservices", tags=["As@lae (compatibilité)"])
NOT_READY: Final = "Transfert en cours de traitement"
MESSAGES: Final = ("Acknowledgement", "ArchiveTransferReply")
_SHA256_HEX: Final = re.compile(r"^[0-9a-f]{64}$")
_FORM_SLACK: Final = 1024 * 1024  # the form's fields and boundaries beside the files


class BasicCredentialsRefused(AuthenticationError):
    code = "unauthenticated"
    title = "Identifiants refusés"
    challenge = 'Basic realm="gedsae", charset="UTF-8"'


class LengthRequired(BadRequestError):
    status = 411
    code = "length_required"
    title = "Content-Length requis"


class TransferNotKnown(NotFoundError):
    code = "transfer_not_found"
    title = "Transfert inconnu"


def basic_sender(request: Request) -> Principal:
    """The tenant's sender behind the Basic credentials (login = token's name, password = the
    token or its SHA-256)."""
    login, password = _basic(request.headers.get("Authorization", ""))
    db: Database = request.app.state.repository.db
    found = authenticate(db, password)
    if found is None and _SHA256_HEX.match(password):
        found = authenticate_digest(db, password)
    if found is None or found.name != login:
        raise BasicCredentialsRefused("Identifiant ou mot de passe refusé")
    if found.role != "transferring":
        raise ForbiddenError("Réservé aux services versants")
    return found


def _basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise BasicCredentialsRefused("Authentification HTTP Basic attendue")
    padded = encoded.strip() + "=" * (-len(encoded.strip()) % 4)
    try:  # CD56 writes the header in URL-safe base64 without padding
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        login, colon, password = decoded.decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BasicCredentialsRefused("En-tête Authorization illisible") from exc
    if not colon:
        raise BasicCredentialsRefused("En-tête Authorization sans mot de passe")
    return login, password


BasicSender = Annotated[Principal, Depends(basic_sender)]


@router.get("/ping")
def ping() -> str:
    return "pong"


@router.get("/versions")
def versions(who: BasicSender) -> dict[str, str]:
    return {"application": "gedsae", "version": VERSION, "organisation": who.organisation}


@router.post("/sedaMessages")
async def seda_messages(request: Request, who: BasicSender, opened: Opened, db: Db) -> Response:
    settings = opened.config.settings
    _check_length(request, settings.max_package_bytes)
    async with request.form(max_files=2, max_fields=16) as form:
        bordereau = _file(form, "seda_message")
        if str(form.get("send_chunked_attachments", "")).lower() == "true":
            session = await run_in_threadpool(
                _sessions(opened).open, who.organisation, bordereau.file
            )
            return JSONResponse(
                {
                    "chunk_session_identifier": session.identifier,
                    "chunk_security_identifier": session.security,
                }
            )
        attachments = _file(form, "attachments")
        spooled: list[Path] = []
        try:
            for part in (bordereau, attachments):
                limit = settings.max_package_bytes
                spooled.append(await run_in_threadpool(spool, settings, part.file, limit))
            return await _submit(opened, db, who, *spooled)
        finally:
            for path in spooled:
                path.unlink(missing_ok=True)


@router.post("/sedaAttachmentsChunkFiles")
async def chunk_files(request: Request, who: BasicSender, opened: Opened, db: Db) -> Response:
    _check_length(request, opened.config.settings.max_package_bytes)
    async with request.form(max_files=1, max_fields=16) as form:
        chunk = _file(form, "chunk_content")
        index, count = _positive(form, "chunk_index"), _positive(form, "number_of_chunks")
        sessions = _sessions(opened)
        session = await run_in_threadpool(
            sessions.append,
            who.organisation,
            str(form.get("session_identifier", "")),
            str(form.get("security_identifier", "")),
            index,
            chunk.file,
        )
    if session.attachments.stat().st_size > opened.config.settings.max_package_bytes:
        sessions.close(session)
        raise PackageTooLarge("Pièces jointes trop volumineuses")
    if index < count:
        return JSONResponse({"chunk_index": index, "number_of_chunks": count, "status": "reçu"})
    try:
        return await _submit(opened, db, who, session.bordereau, session.attachments)
    finally:
        sessions.close(session)


async def _submit(opened: Repository, db: Database, who: Principal, *parts: Path) -> Response:
    bordereau, attachments = parts
    settings = opened.config.settings
    header = await run_in_threadpool(read_header, lambda: bordereau.open("rb"))
    setup = await run_in_threadpool(load_setup, db, who.organisation)
    admit(setup, header.transferring_agency)
    package = await run_in_threadpool(assemble, settings, bordereau, attachments)
    submitted = Submitted(header.message_identifier, header.transferring_agency)
    transfer, new = await run_in_threadpool(
        receive, db, settings, who.organisation, submitted, package
    )
    checks = await run_in_threadpool(after_receipt, opened, transfer, new)
    body = {"message_identifier": transfer.message_identifier, "transfer_id": transfer.id}
    return JSONResponse(body, status_code=201 if new else 200, background=checks)


@router.get("/sedaMessages", response_class=Response, responses=files("application/xml"))
def message_by_query(request: Request, who: BasicSender, db: Db) -> Response:
    query = request.query_params
    return _message(db, who, {key: query.get(key, "") for key in _POLL_KEYS})


@router.get(
    "/sedaMessages/{rest:path}", response_class=Response, responses=files("application/xml")
)
def message_by_path(request: Request, rest: str, who: BasicSender, db: Db) -> Response:
    return _message(db, who, _path_segments(request))


_POLL_KEYS: Final = (
    "sequence",
    "message",
    "originOrganizationIdentification",
    "originMessageIdentifier",
)


def _path_segments(request: Request) -> dict[str, str]:
    """The ``key:value`` segments after ``/sedaMessages/``, from the raw path: each segment is
    decoded once, after the whole path is decoded once if it came encoded as one piece."""
    raw = request.scope.get("raw_path", b"").decode("latin-1")
    tail = raw.split("/sedaMessages", 1)[1].lstrip("/")
    if "/" not in tail and "%2F" in tail.upper():
        tail = unquote(tail)
    found: dict[str, str] = {}
    for segment in tail.split("/"):
        key, _, value = unquote(segment).partition(":")
        found[key] = value
    return found


def _message(db: Database, who: Principal, asked: dict[str, str]) -> Response:
    message = asked.get("message", "")
    if asked.get("sequence") != "ArchiveTransfer" or message not in MESSAGES:
        raise TransferNotKnown("Seule la séquence ArchiveTransfer est servie ici")
    with db.reading(who.organisation) as uow:
        transfer = uow.transfers.find_by_message(asked.get("originMessageIdentifier", ""))
    if transfer is None or transfer.transferring_agency != asked.get(
        "originOrganizationIdentification"
    ):
        raise TransferNotKnown("Aucun transfert de ce service sous cet identifiant")
    if message == "Acknowledgement":
        return Response(transfer.acknowledgement, media_type="application/xml")
    reply = transfer_reply(db, who.organisation, transfer.id) if transfer.replied else None
    if reply is None:
        return PlainTextResponse(NOT_READY, status_code=500)
    return Response(as_asalae(reply), media_type="application/xml")


def _sessions(opened: Repository) -> ChunkSessions:
    return ChunkSessions(opened.config.spool_dir / "asalae-chunks")


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("Content-Length", "")
    if not length.isdecimal():
        raise LengthRequired("En-tête Content-Length requis (envoi multipart)")
    if int(length) > limit + _FORM_SLACK:
        raise PackageTooLarge(f"Envoi de plus de {limit} octets")


def _file(form: FormData, field: str) -> UploadFile:
    value: Any = form.get(field)
    if not isinstance(value, UploadFile):
        raise BadRequestError(f"Champ fichier {field} absent")
    return value


def _positive(form: FormData, field: str) -> int:
    value = str(form.get(field, ""))
    if not value.isdecimal() or int(value) < 1:
        raise BadRequestError(f"Champ {field} : entier positif attendu")
    return int(value)
