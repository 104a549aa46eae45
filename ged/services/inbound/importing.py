"""Import one input of a business system (``gedsae import --profile``, ``POST /imports``).

All or nothing: the input is read and checked whole first, and refused with every problem found
before a byte is stored; then its files are stored (one durable batch) and the dossier, its
business events, documents, versions, circuit histories, links and the import record are
written in ONE transaction with their log entries. If that transaction fails, the blobs it would
have referenced are removed again: a refused or failed import leaves no row and no blob.

Idempotent on the business identifier: the same input again answers the dossier made the first
time and stores nothing; other files under the same identifier are a conflict (409).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ged.domain.access import Principal
from ged.domain.inbound import (
    PROFILE_LABELS,
    DocumentEvent,
    InboundRecord,
    LinkClaim,
    LinkSide,
    Profile,
)
from ged.domain.lifecycle import event_key
from ged.domain.model import Document, Dossier, Version
from ged.services.context import Context, new_id
from ged.services.documents import build_version, index_fields
from ged.services.inbound.model import (
    ImportRequest,
    ImportResult,
    InboundBundle,
    InboundConflict,
    InboundRefused,
    Parsed,
    Source,
)
from ged.services.inbound.replay import links_of, replay
from ged.services.inbound.setup import InboundSetup
from ged.services.ports import UnitOfWork
from kernel.blobstore.ports import ContentRef
from kernel.errors import InvalidError, Issue, NotFoundError
from kernel.oplog import LogSpec


@dataclass(frozen=True)
class _Filing:
    """Everything one transaction writes, built before it starts."""

    bundle: InboundBundle
    dossier: Dossier
    documents: tuple[Document, ...]
    versions: tuple[Version, ...]
    record: InboundRecord


class _Raced(Exception):
    """Another import of the same business identifier committed first."""


def import_inbound(
    ctx: Context, setup: InboundSetup, actor: Principal, request: ImportRequest
) -> ImportResult:
    _check_service(ctx, actor, request.service_id)
    with setup.read(request.profile, request.path, request.name) as parsed:
        bundle, plan_node_id = _accepted(ctx, setup, actor, request.profile, parsed)
        with ctx.uow() as uow:
            known = uow.inbound.get(actor.organisation_id, bundle.profile, bundle.business_id)
        if known is not None:
            return replay(ctx, actor, known, _hashed_fingerprint(parsed.source, bundle))
        refs = _store(ctx, parsed.source, bundle)
    filing = _prepare(ctx, actor, request.service_id, plan_node_id, bundle, refs)
    return _file(ctx, actor, filing, refs)


def _file(
    ctx: Context, actor: Principal, filing: _Filing, refs: Sequence[ContentRef]
) -> ImportResult:
    """Writes the import, or answers the one that committed the same identifier first."""
    try:
        _write(ctx, actor, filing, refs)
    except _Raced:
        _forget(ctx, refs)
        record = filing.record
        with ctx.uow() as uow:
            raced = uow.inbound.get(record.organisation_id, record.profile, record.business_id)
        if raced is None:  # claimed by a row since removed: nothing to answer with
            raise InboundConflict(
                f"« {record.business_id} » était importé au même moment : réessayez"
            ) from None
        return replay(ctx, actor, raced, record.fingerprint)
    except BaseException:
        _forget(ctx, refs)
        raise
    return _created(ctx, filing)


def _created(ctx: Context, filing: _Filing) -> ImportResult:
    """What the import made, from memory; only its links are read (the other side's)."""
    keys = {claim.key for claim in _link_claims(filing)}
    with ctx.uow() as uow:
        links = links_of(uow, filing.record, keys)
    named = tuple((d, v.filename) for d, v in zip(filing.documents, filing.versions, strict=True))
    return ImportResult(filing.record, True, named, links)


def _check_service(ctx: Context, actor: Principal, service_id: str) -> None:
    actor.ensure_files(actor.organisation_id, service_id, "Service")
    with ctx.uow() as uow:
        if uow.repo.get_service(actor.organisation_id, service_id) is None:
            raise NotFoundError("Service introuvable")


def _accepted(
    ctx: Context, setup: InboundSetup, actor: Principal, profile: Profile, parsed: Parsed
) -> tuple[InboundBundle, str | None]:
    """The bundle and its plan node, or ``InboundRefused`` with every problem of the input."""
    issues, bundle = list(parsed.issues), parsed.bundle
    plan_node_id = None
    if bundle is not None:
        plan_node_id = _plan_node(ctx, setup, actor, bundle, issues)
        issues += _metadata_issues(bundle)
    if bundle is None or issues:
        what = PROFILE_LABELS[profile]
        detail = f"Import refusé ({what}) : {len(issues)} problème(s), rien n'a été enregistré"
        raise InboundRefused(detail, issues=issues or [Issue("inbound_unreadable", detail)])
    return bundle, plan_node_id


def _plan_node(
    ctx: Context, setup: InboundSetup, actor: Principal, bundle: InboundBundle, issues: list[Issue]
) -> str | None:
    code, problem = setup.settings.plan_code(bundle)
    if problem is not None:
        issues.append(problem)
    if code is None:
        return None
    with ctx.uow() as uow:
        node = uow.repo.find_plan_node(actor.organisation_id, code)
    if node is None:
        message = f"Le code « {code} » de [inbound] n'existe pas dans le plan de classement"
        issues.append(Issue("plan_node_unknown", message, path="config.toml"))
        return None
    return node.id


def _metadata_issues(bundle: InboundBundle) -> list[Issue]:
    issues = []
    for doc in bundle.documents:
        try:
            doc.metadata.validate()
        except InvalidError as exc:
            issues += [Issue(i.code, i.message, path=doc.member) for i in exc.issues]
    return issues


def fingerprint(pairs: Sequence[tuple[str, str]]) -> str:
    """SHA-256 of the files' (name, SHA-256) pairs, in order: the same files make the same
    fingerprint whether they came in a folder, a zip or a tar.gz."""
    lines = sorted(f"{name.rsplit('/', 1)[-1]}\t{digest}\n" for name, digest in pairs)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _hashed_fingerprint(source: Source, bundle: InboundBundle) -> str:
    pairs = []
    for doc in bundle.documents:
        digest = hashlib.sha256()
        with source.open(doc.member) as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
        pairs.append((doc.member, digest.hexdigest()))
    return fingerprint(pairs)


def _store(ctx: Context, source: Source, bundle: InboundBundle) -> list[ContentRef]:
    """One durable batch: on any failure inside it, none of its blobs becomes visible."""
    refs = []
    with ctx.blobs.batch() as batch:
        for doc in bundle.documents:
            with source.open(doc.member) as stream:
                size = source.size(doc.member)
                refs.append(batch.put(stream, expected_size=size, max_size=ctx.max_upload_bytes))
    return refs


def _forget(ctx: Context, refs: Sequence[ContentRef]) -> None:
    """Compensation after a failed transaction: no orphan blob is left behind."""
    for ref in {r.sha256: r for r in refs}.values():
        with ctx.uow() as uow:
            referenced = uow.repo.blob_referenced(ref.sha256)
        if not referenced:
            ctx.blobs.delete(ref.sha256)


def _prepare(
    ctx: Context,
    actor: Principal,
    service_id: str,
    plan_node_id: str | None,
    bundle: InboundBundle,
    refs: Sequence[ContentRef],
) -> _Filing:
    now = ctx.clock()
    org = actor.organisation_id
    dossier = Dossier(new_id(), org, service_id, plan_node_id, bundle.title, bundle.opened_on)
    dossier.description, dossier.reference = bundle.description, bundle.reference
    docs = tuple(
        Document(new_id(), org, dossier.id, service_id, d.metadata, now, now, 1)
        for d in bundle.documents
    )
    versions = tuple(
        build_version(ctx, actor, doc.id, 1, ref, d.member.rsplit("/", 1)[-1], None)
        for doc, d, ref in zip(docs, bundle.documents, refs, strict=True)
    )
    pairs = [(d.member, ref.sha256) for d, ref in zip(bundle.documents, refs, strict=True)]
    record = InboundRecord(
        org,
        bundle.profile,
        bundle.business_id,
        dossier.id,
        fingerprint(pairs),
        tuple(doc.id for doc in docs),
        now,
        actor.id,
    )
    return _Filing(bundle, dossier, docs, versions, record)


def _write(ctx: Context, actor: Principal, filing: _Filing, refs: Sequence[ContentRef]) -> None:
    """ONE transaction: the dossier, its events, documents, histories, links, record, log."""
    now = ctx.clock()
    with ctx.uow() as uow:
        uow.repo.add_dossier(filing.dossier, now)
        if not uow.inbound.claim(filing.record):  # rolled back: the dossier row goes too
            raise _Raced(filing.record.business_id)
        for event in filing.bundle.events:
            key = event_key(event.name)
            uow.lifecycle.set_event(filing.dossier.id, key, event.name, event.on, now, actor.id)
        _write_documents(uow, filing, refs, now)
        uow.inbound.add_events(_history(filing))
        uow.inbound.add_links(_link_claims(filing))
        uow.log_many(_log_specs(actor, filing))
        uow.commit()


def _write_documents(
    uow: UnitOfWork, filing: _Filing, refs: Sequence[ContentRef], now: datetime
) -> None:
    """Each table in one round trip, as the bulk import writes them."""
    pks = uow.repo.add_documents(list(filing.documents))
    uow.repo.ensure_blobs(list(refs), now)
    uow.repo.add_versions(list(filing.versions))
    pairs = zip(filing.documents, filing.versions, strict=True)
    uow.repo.search.index_many(
        [(pks[doc.id], index_fields(doc, version.filename, "")) for doc, version in pairs]
    )


def _history(filing: _Filing) -> list[DocumentEvent]:
    return [
        DocumentEvent(
            doc.id, position, step.occurred_at, step.kind, step.agent, step.detail, d.history_source
        )
        for doc, d in zip(filing.documents, filing.bundle.documents, strict=True)
        for position, step in enumerate(d.history, start=1)
    ]


def _link_claims(filing: _Filing) -> list[LinkClaim]:
    org, dossier_id = filing.dossier.organisation_id, filing.dossier.id
    claims = []
    if filing.bundle.acte_link is not None:
        key, number = filing.bundle.acte_link
        claims.append(LinkClaim(org, key, LinkSide.ACTE, number, dossier_id))
    for doc, d in zip(filing.documents, filing.bundle.documents, strict=True):
        if d.link is not None:
            key, number = d.link
            claims.append(LinkClaim(org, key, LinkSide.DELIBERATION, number, dossier_id, doc.id))
    return claims


def _log_specs(actor: Principal, filing: _Filing) -> list[LogSpec]:
    org, dossier = actor.organisation_id, filing.dossier
    specs = [
        LogSpec(actor.id, "dossier.create", "dossier", dossier.id, org, {"title": dossier.title})
    ]
    specs += [
        LogSpec(actor.id, "dossier.event", "dossier", dossier.id, org, _event_details(e.name, e.on))
        for e in filing.bundle.events
    ]
    specs += [
        LogSpec(actor.id, "document.import", "document", doc.id, org, _document_details(doc, v))
        for doc, v in zip(filing.documents, filing.versions, strict=True)
    ]
    record = filing.record
    details = {
        "profile": record.profile.value,
        "business_id": record.business_id,
        "fingerprint": record.fingerprint,
        "documents": len(record.document_ids),
    }
    specs.append(LogSpec(actor.id, "inbound.import", "dossier", dossier.id, org, details))
    return specs


def _event_details(name: str, on: date) -> dict[str, object]:
    return {"name": name, "on": on.isoformat()}


def _document_details(doc: Document, version: Version) -> dict[str, object]:
    return {
        "title": doc.metadata.title,
        "sha256": version.sha256,
        "size": version.size,
        "dossier_id": doc.dossier_id,
    }
