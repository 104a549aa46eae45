"""A séance as the assemblies tool sends it to a GED: the XML description and its documents zip
(``documents.zip``), in a folder or in one zip or tar.gz, or the documents beside the
description. One dossier per séance (keyed by ``idSeance``) holding its convocation, ordre du
jour, procès-verbaux and délibérations with their annexes and proofs; each délibération's text
carries its number and decision date, which link it to its acte (profile ``actes``).
"""

from __future__ import annotations

from ged.adapters.inbound.context import ReadContext
from ged.adapters.inbound.seance import (
    Deliberation,
    Seance,
    SeanceDocument,
    is_description,
    parse_seance,
)
from ged.adapters.inbound.sources import NestedSource, UnreadableInput, copy_member, open_archive
from ged.adapters.inbound.xmlread import read_xml
from ged.domain.inbound import Profile, link_key
from ged.domain.model import Metadata
from ged.services.inbound.model import (
    BusinessEvent,
    InboundBundle,
    InboundDocument,
    Parsed,
    Source,
)
from kernel.errors import Issue

DOCUMENTS_ZIP = "documents.zip"
HELD = "date de la séance"
CONVENED = "date de convocation"
SEANCE_KINDS = {
    "convocation": ("convocation", "Convocation"),
    "odj": ("ordre_du_jour", "Ordre du jour"),
    "pv_sommaire": ("proces_verbal_sommaire", "Procès-verbal sommaire"),
    "pv_complet": ("proces_verbal", "Procès-verbal"),
}
DELIBERATION_KINDS = {
    "TexteActe": ("deliberation", "Délibération"),
    "ActeTampon": ("acte_tamponne", "Acte tamponné"),
    "Rapport": ("rapport", "Rapport"),
    "Signature": ("signature", "Signature"),
    "Bordereau": ("bordereau_acquittement", "Bordereau d'acquittement"),
    "Annexe": ("annexe", "Annexe"),
    "ARacte": ("accuse_reception", "Accusé de réception de la préfecture"),
}
# where each document is, in the order of the description: (owner, document, member)
Located = list[tuple[Deliberation | None, SeanceDocument, str]]


def read_seance(source: Source, context: ReadContext) -> Parsed:
    issues: list[Issue] = []
    found = _description(source, context, issues)
    if found is None:
        return Parsed(source, None, issues)
    member, seance = found
    files = _with_documents_zip(source, context, issues)
    if seance is None:
        return Parsed(files, None, issues)
    located = _locate(files, seance, issues)
    if issues:
        return Parsed(files, None, issues)
    return Parsed(files, _bundle(seance, member, located, files), issues)


def _description(
    source: Source, context: ReadContext, issues: list[Issue]
) -> tuple[str, Seance | None] | None:
    """The root-level XML whose root is web-delib's ``depot`` (``XML_DESC_*.xml``)."""
    candidates = sorted(n for n in source.names() if "/" not in n and n.lower().endswith(".xml"))
    found = []
    for name in candidates:
        seen: list[Issue] = []
        root = read_xml(source, name, context.limits, seen)
        if root is not None and is_description(root):
            found.append((name, root))
        elif name.upper().startswith("XML_DESC_"):
            issues.extend(seen or [Issue("seance_not_a_description", f"{name} : pas un dépôt")])
    if len(found) != 1:
        listed = ", ".join(n for n, _ in found) or "aucune"
        message = f"une description de séance (XML_DESC_*.xml, racine depot) attendue : {listed}"
        issues.append(Issue("seance_description_missing", message))
        return None
    name, root = found[0]
    return name, parse_seance(root, name, issues)


def _with_documents_zip(source: Source, context: ReadContext, issues: list[Issue]) -> Source:
    """The input's files, those of its ``documents.zip`` under ``documents.zip/``."""
    nested = [n for n in source.names() if n.lower() == DOCUMENTS_ZIP]
    if not nested:
        return source
    member = nested[0]
    try:
        path, out = context.stack.enter_context(context.spool.file())
        copy_member(source, member, out, context.limits.max_nested_bytes)
        out.flush()
        inner = context.stack.enter_context(open_archive(path, context.limits))
    except UnreadableInput as exc:
        issue = exc.issue
        issues.append(Issue(issue.code, f"{member} : {issue.message}", path=member))
        return source
    return NestedSource(source, member, inner)


def _locate(files: Source, seance: Seance, issues: list[Issue]) -> Located:
    names = files.names()
    by_base: dict[str, list[str]] = {}
    for name in names:
        by_base.setdefault(name.rsplit("/", 1)[-1], []).append(name)
    located: Located = []
    owners: list[tuple[Deliberation | None, SeanceDocument]] = [
        (None, doc) for doc in seance.documents
    ] + [(d, doc) for d in seance.deliberations for doc in d.documents]
    for owner, doc in owners:
        member = _member(doc, set(names), by_base)
        if member is None:
            whose = f"délibération {owner.number}" if owner else "séance"
            message = f"{doc.path or doc.name} ({doc.kind}, {whose}) absent des documents"
            issues.append(Issue("seance_file_missing", message, path=doc.path or doc.name))
        else:
            located.append((owner, doc, member))
    return located


def _member(doc: SeanceDocument, names: set[str], by_base: dict[str, list[str]]) -> str | None:
    """Where the description says, in the documents zip or beside the description; else the
    only file of that name (web-delib's paths and folders disagree between versions)."""
    for candidate in (doc.path, doc.name):
        for prefix in (f"{DOCUMENTS_ZIP}/", ""):
            if candidate and prefix + candidate in names:
                return prefix + candidate
    for candidate in (doc.path, doc.name):
        matches = by_base.get(candidate.rsplit("/", 1)[-1], []) if candidate else []
        if len(matches) == 1:
            return matches[0]
    return None


def _bundle(seance: Seance, description: str, located: Located, files: Source) -> InboundBundle:
    used = {member for _, _, member in located}
    docs = [_document(seance, owner, doc, member) for owner, doc, member in located]
    docs.append(_proof(seance, description, "description_seance", "Description de la séance"))
    docs += [
        _proof(seance, m, "piece_seance", m.rsplit("/", 1)[-1])
        for m in sorted(files.names())
        if m not in used and m != description
    ]
    events = [BusinessEvent(HELD, seance.held_on)]
    if seance.convened_on is not None:
        events.append(BusinessEvent(CONVENED, seance.convened_on))
    return InboundBundle(
        profile=Profile.SEANCE,
        business_id=seance.id,
        title=f"{seance.kind} du {seance.held_on:%d/%m/%Y}"[:1000],
        reference=seance.id,
        description=(
            f"Séance « {seance.kind} » du {seance.held_on:%d/%m/%Y} : "
            f"{len(seance.deliberations)} délibérations (web-delib, dépôt {seance.deposit})"
        ),
        opened_on=seance.convened_on or seance.held_on,
        documents=tuple(docs),
        events=tuple(events),
    )


def _seance_fields(seance: Seance) -> dict[str, str]:
    fields = {
        "seance": seance.id,
        "type_seance": seance.kind,
        "date_seance": seance.held_on.isoformat(),
        **{f"info.{k}": v for k, v in seance.infosup.items() if v},
    }
    if seance.convened_on is not None:
        fields["date_convocation"] = seance.convened_on.isoformat()
    return fields


def _document(
    seance: Seance, owner: Deliberation | None, doc: SeanceDocument, member: str
) -> InboundDocument:
    if owner is None:
        kind, label = SEANCE_KINDS.get(doc.kind, ("piece_seance", doc.kind or "Pièce"))
        title = f"{label} — {seance.kind} du {seance.held_on:%d/%m/%Y}"
        metadata = Metadata(
            title=title, document_type=kind, created_on=seance.held_on, extra=_seance_fields(seance)
        )
        return InboundDocument(member, metadata)
    kind, label = DELIBERATION_KINDS.get(doc.kind, ("piece_deliberation", doc.kind or "Pièce"))
    objet = owner.fields.get("objet", "")
    title = doc.title if doc.kind == "Annexe" and doc.title else f"{label} n° {owner.number}"
    decided_on = owner.decided_on or seance.held_on
    extra = {
        "seance": seance.id,
        "numero_deliberation": owner.number,
        "date_deliberation": decided_on.isoformat(),
        **owner.fields,
        **{f"info.{k}": v for k, v in owner.infosup.items() if v},
    }
    if doc.signature_format:
        extra["format_signature"] = doc.signature_format
    metadata = Metadata(
        title=(f"{title} : {objet}" if objet else title)[:1000],
        document_type=kind,
        keywords=[k for k in (owner.fields.get("nature"), owner.fields.get("theme")) if k],
        created_on=decided_on,
        extra=extra,
    )
    link = (link_key(owner.number, decided_on), owner.number) if doc.kind == "TexteActe" else None
    return InboundDocument(member, metadata, link=link)


def _proof(seance: Seance, member: str, kind: str, title: str) -> InboundDocument:
    return InboundDocument(
        member, Metadata(title=title, document_type=kind, extra={"seance": seance.id})
    )
