"""Verification of the signatures of filed documents, after the acknowledgement of the upload
and again on demand (``gedsae signatures verify``) when the trust anchors change.

A version's report covers the signatures it carries (PAdES in a PDF, XAdES in an XML document)
and the detached CAdES signatures made over it: a ``.p7s`` document related to it
(``signature_of``), by the upload's ``signature_of`` parameter or, failing that, by name in the
same dossier (``budget.pdf.p7s`` signs ``budget.pdf``). The ``.p7s`` version's own report is the
check of that signature. Files are read in the sandbox; only the report is written here, in one
transaction per version (the report replaces the previous one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ged.domain.access import Principal
from ged.domain.model import Document, Relation, Version
from ged.domain.signatures import SignatureCheck, SignatureFormat, SignatureReport, SignatureStatus
from ged.services.context import Context
from ged.services.documents import load_document
from ged.services.ports import TrustAnchors, UnitOfWork
from kernel.errors import InvalidError, Issue

log = logging.getLogger("gedsae.signatures")

PDF, XML, DETACHED = "pdf", "xml", "p7s"
DETACHED_SUFFIX = ".p7s"
_DETACHED_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature"})
_XML_TYPES = frozenset({"application/xml", "text/xml"})


class SignatureRepository(Protocol):
    def save(self, document_id: str, number: int, report: SignatureReport) -> None: ...

    def save_many(self, reports: list[tuple[str, int, SignatureReport]]) -> None:
        """``save`` for each (document id, version number, report)."""
        ...

    def get(self, document_id: str, number: int) -> SignatureReport | None: ...

    def current_in_dossier(self, dossier_id: str) -> dict[str, SignatureReport]:
        """The report of each document's current version, by document."""
        ...

    def of_document(self, document_id: str) -> dict[int, SignatureReport]:
        """Every version's report, by version number."""
        ...

    def current_versions(self, organisation_id: str) -> list[tuple[str, int]]:
        """(document, current version) of every document of the organisation."""
        ...


def kind_of(version: Version) -> str | None:
    """Which signatures a version may hold, from its type and name (None: none we verify)."""
    mime = version.mime_type.lower()
    if mime in _DETACHED_TYPES or version.filename.lower().endswith(DETACHED_SUFFIX):
        return DETACHED
    if mime == "application/pdf":
        return PDF
    if mime in _XML_TYPES or mime.endswith("+xml"):
        return XML
    return None


@dataclass(frozen=True)
class _Work:
    """What one verification reads: the version, and the other side of detached signatures."""

    document: Document
    version: Version
    kind: str | None
    detached: list[tuple[str, Version]]  # .p7s documents signing this version
    signed: Version | None  # for a .p7s: the current version of the document it signs
    organisation_id: str


def verify_version(ctx: Context, document_id: str, number: int) -> SignatureReport | None:
    """Verifies one version's signatures and records the report (None: no verifier wired)."""
    if ctx.verify_signatures is None:
        return None
    work = _gather(ctx, document_id, number)
    if work is None:
        return None
    anchors = ctx.trust_anchors(work.organisation_id)
    moment = ctx.clock()
    checks = _checks(ctx, work, anchors, moment)
    report = SignatureReport.of(checks, moment, anchors.fingerprint)
    with ctx.uow() as uow:
        uow.signatures.save(document_id, number, report)
        uow.commit()
    return report


def record_unsigned(ctx: Context, document_id: str, number: int) -> SignatureReport | None:
    """The report of a version known to carry no signature (none), as ``verify_version``
    would record it, without reading the file (None: no verifier wired)."""
    if ctx.verify_signatures is None:
        return None
    with ctx.uow() as uow:
        doc = uow.repo.get_document(document_id)
    if doc is None:
        return None
    ((_, _, report),) = unsigned_reports(ctx, [(doc, number)])
    with ctx.uow() as uow:
        uow.signatures.save(document_id, number, report)
        uow.commit()
    return report


def unsigned_reports(
    ctx: Context, versions: list[tuple[Document, int]]
) -> list[tuple[str, int, SignatureReport]]:
    """The reports of versions known to carry no signature, for the caller to save (none when
    no verifier is wired). The trust anchors are read here: outside a write transaction."""
    if ctx.verify_signatures is None:
        return []
    fingerprints: dict[str, str] = {}
    reports = []
    for doc, number in versions:
        org = doc.organisation_id
        if org not in fingerprints:
            fingerprints[org] = ctx.trust_anchors(org).fingerprint
        reports.append((doc.id, number, SignatureReport.of([], ctx.clock(), fingerprints[org])))
    return reports


def verify_after_upload(ctx: Context, document_id: str, number: int) -> None:
    """The background step: this version, then the other side of its detached signatures
    (their reports change with it). Failures are logged: the upload is already acknowledged."""
    try:
        verify_version(ctx, document_id, number)
        with ctx.uow() as uow:
            related = [
                *uow.relations.targets(document_id, Relation.SIGNATURE_OF),
                *uow.relations.sources(document_id, Relation.SIGNATURE_OF),
            ]
            current = [(doc.id, doc.current_version) for doc in _documents(uow, related)]
        for other, version in current:
            verify_version(ctx, other, version)
    except Exception:
        log.exception("signature verification of %s v%d failed", document_id, number)


def _documents(uow: UnitOfWork, ids: list[str]) -> Iterator[Document]:
    for found in ids:
        doc = uow.repo.get_document(found)
        if doc is not None:
            yield doc


def _gather(ctx: Context, document_id: str, number: int) -> _Work | None:
    with ctx.uow() as uow:
        doc = uow.repo.get_document(document_id)
        version = uow.repo.get_version(document_id, number)
        if doc is None or version is None:
            return None
        kind = kind_of(version)
        _relate_by_name(uow, doc, version, kind)
        uow.commit()
        detached = [
            (signature.id, found)
            for signature in _documents(uow, uow.relations.sources(doc.id, Relation.SIGNATURE_OF))
            if (found := uow.repo.get_version(signature.id, signature.current_version))
        ]
        signed = None
        if kind == DETACHED:
            targets = list(_documents(uow, uow.relations.targets(doc.id, Relation.SIGNATURE_OF)))
            if targets:
                signed = uow.repo.get_version(targets[0].id, targets[0].current_version)
        return _Work(doc, version, kind, detached, signed, doc.organisation_id)


def _relate_by_name(uow: UnitOfWork, doc: Document, version: Version, kind: str | None) -> None:
    """``X.p7s`` signs ``X`` of the same dossier, unless the upload said otherwise."""
    relations = uow.relations
    if kind == DETACHED:
        if relations.targets(doc.id, Relation.SIGNATURE_OF):
            return
        wanted = version.filename[: -len(DETACHED_SUFFIX)]
        for other in _named(uow, doc, wanted):
            relations.add(doc.id, Relation.SIGNATURE_OF, other.id)
            return
        return
    for other in _named(uow, doc, version.filename + DETACHED_SUFFIX):
        if not relations.targets(other.id, Relation.SIGNATURE_OF):
            relations.add(other.id, Relation.SIGNATURE_OF, doc.id)


def _named(uow: UnitOfWork, doc: Document, filename: str) -> Iterator[Document]:
    found = [other for other in uow.relations.named(doc.dossier_id, filename) if other != doc.id]
    yield from _documents(uow, found)


def _checks(
    ctx: Context, work: _Work, anchors: TrustAnchors, moment: datetime
) -> list[SignatureCheck]:
    verify = ctx.verify_signatures
    assert verify is not None
    checks: list[SignatureCheck] = []
    with ExitStack() as stack:
        path = stack.enter_context(ctx.local_copy(work.version.sha256))
        if work.kind in (PDF, XML):
            checks += verify(work.kind, path, anchors, moment)
        for source, signature in work.detached:
            signature_path = stack.enter_context(ctx.local_copy(signature.sha256))
            found = verify(DETACHED, signature_path, anchors, moment, path)
            checks += [replace(check, source=source) for check in found]
        if work.kind == DETACHED:
            checks += _own_detached(ctx, stack, work, path, anchors, moment)
    return checks


def _own_detached(
    ctx: Context, stack: ExitStack, work: _Work, path: Path, anchors: TrustAnchors, moment: datetime
) -> list[SignatureCheck]:
    if work.signed is None:
        missing = ("signed_document_missing",)
        return [SignatureCheck(SignatureFormat.CADES, SignatureStatus.INDETERMINATE, missing)]
    content = stack.enter_context(ctx.local_copy(work.signed.sha256))
    assert ctx.verify_signatures is not None
    return ctx.verify_signatures(DETACHED, path, anchors, moment, content)


# -- on demand -------------------------------------------------------------------------------


def reverify(
    ctx: Context, actor: Principal, document_id: str | None
) -> list[tuple[str, SignatureReport | None]]:
    """Verifies again one document's current version, or (None) every document of the
    actor's organisation it may read; says what each report now is."""
    with ctx.uow() as uow:
        if document_id is not None:
            doc = load_document(uow, actor, document_id)
            todo = [(doc.id, doc.current_version)]
        else:
            _ensure_may_verify_all(actor)
            todo = uow.signatures.current_versions(actor.organisation_id)
    return [(doc_id, verify_version(ctx, doc_id, number)) for doc_id, number in todo]


def _ensure_may_verify_all(actor: Principal) -> None:
    if actor.visible_services() is not None:
        raise InvalidError(
            "--all vérifie toute l'organisation : réservé aux rôles qui la lisent en entier",
            issues=[Issue("scope_too_wide", "organisation-wide role required", path="all")],
        )


def reports_of(ctx: Context, actor: Principal, document_id: str) -> dict[int, SignatureReport]:
    with ctx.uow() as uow:
        doc = load_document(uow, actor, document_id)
        return uow.signatures.of_document(doc.id)
