"""A folder signed in i-Parapheur, as exported: version 5's folder zip (PREMIS, ``Documents
principaux/``, ``Annexes/``, ``<dossier>_bordereau.pdf``), or version 4's files as Pastell
writes them (the signed document, its ``*_orig.*`` original or ``signature.zip``, the signature
bordereau, ``iparapheur_historique.xml``). One dossier per parapheur folder; the circuit's
events become the signed documents' history, the PREMIS or history file and the bordereau are
kept as documents (the proofs the signature verification and the archives need).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ged.adapters.inbound.parapheur4 import HISTORY_FILE, read_parapheur4
from ged.adapters.inbound.parapheur_circuit import MAX_ID, bounded, circuit, opened_on, proof
from ged.adapters.inbound.premis import PremisFile, PremisFolder, parse_premis
from ged.adapters.inbound.sources import InputLimits
from ged.adapters.inbound.xmlread import read_xml
from ged.domain.inbound import Profile
from ged.domain.model import Metadata
from ged.services.inbound.model import (
    CircuitStep,
    InboundBundle,
    InboundDocument,
    Parsed,
    Source,
)
from kernel.errors import Issue

PREMIS_FILE = "i_Parapheur_internal_premis.xml"
MAIN_FOLDER = "Documents principaux/"
ANNEX_FOLDER = "Annexes/"
SOURCE_V5 = "i-Parapheur 5 (PREMIS)"


def read_parapheur(source: Source, name: str | None, limits: InputLimits) -> Parsed:
    """Version 5 when the input holds its PREMIS, version 4 when it holds Pastell's history."""
    bases = {n.rsplit("/", 1)[-1]: n for n in source.names()}
    if PREMIS_FILE in bases:
        return read_parapheur5(source, limits)
    if HISTORY_FILE in bases:
        return read_parapheur4(source, name, limits)
    message = (
        f"ni {PREMIS_FILE} (export d'i-Parapheur 5) ni {HISTORY_FILE} (i-Parapheur 4 par "
        "Pastell) dans l'entrée"
    )
    return Parsed(source, None, [Issue("parapheur_not_an_export", message)])


def read_parapheur5(source: Source, limits: InputLimits) -> Parsed:
    issues: list[Issue] = []
    premis_members = [n for n in source.names() if n.rsplit("/", 1)[-1] == PREMIS_FILE]
    if len(premis_members) != 1:
        message = f"un seul {PREMIS_FILE} attendu, {len(premis_members)} trouvés"
        return Parsed(source, None, [Issue("parapheur_several_folders", message)])
    premis_member = premis_members[0]
    base = premis_member[: -len(PREMIS_FILE)]
    root = read_xml(source, premis_member, limits, issues)
    folder = parse_premis(root, premis_member, issues) if root is not None else None
    if folder is None:
        return Parsed(source, None, issues)
    _check_folder(folder, premis_member, issues)
    placed = _placed_files(source, base, folder.files, issues)
    bordereaux, others = _rest(source, base, premis_member, placed, issues)
    if issues or not folder.events:
        if not folder.events:
            issues.append(Issue("parapheur_history_missing", "aucun événement de circuit"))
        return Parsed(source, None, issues)
    docs = _documents5(folder, placed, bordereaux, others, premis_member)
    return Parsed(source, _bundle5(folder, docs), issues)


def _check_folder(folder: PremisFolder, where: str, issues: list[Issue]) -> None:
    if not folder.folder_id or len(folder.folder_id) > MAX_ID:
        message = f"{where} : folderId du dossier absent ou trop long"
        issues.append(Issue("parapheur_bad_folder_id", message, path=where))


def _placed_files(
    source: Source, base: str, files: Sequence[PremisFile], issues: list[Issue]
) -> dict[str, PremisFile]:
    """Each file the PREMIS describes, where the zip holds it, its SHA-256 and size checked."""
    names = set(source.names())
    placed = {}
    for file in files:
        member = base + (MAIN_FOLDER if file.main else ANNEX_FOLDER) + file.name
        if member not in names:
            message = f"{member}, décrit par le PREMIS, absent de l'export"
            issues.append(Issue("parapheur_file_missing", message, path=member))
            continue
        digest, size = _sha256(source, member)
        if digest != file.sha256:
            message = f"{member} : SHA-256 {digest}, le PREMIS dit {file.sha256.upper()}"
            issues.append(Issue("parapheur_digest_mismatch", message, path=member))
        if file.size is not None and size != file.size:
            message = f"{member} : {size} octets, le PREMIS dit {file.size}"
            issues.append(Issue("parapheur_size_mismatch", message, path=member))
        placed[member] = file
    return placed


def _sha256(source: Source, member: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with source.open(member) as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _rest(
    source: Source,
    base: str,
    premis_member: str,
    placed: dict[str, PremisFile],
    issues: list[Issue],
) -> tuple[list[str], list[str]]:
    """The signature bordereaux, and the other files kept as pieces; a file among the signed
    ones that the PREMIS does not vouch for refuses the folder."""
    bordereaux, others = [], []
    for member in sorted(source.names()):
        if member in placed or member == premis_member:
            continue
        inside = member[len(base) :] if member.startswith(base) else member
        if inside.startswith((MAIN_FOLDER, ANNEX_FOLDER)):
            message = f"{member} n'est pas décrit par le PREMIS (empreinte non garantie)"
            issues.append(Issue("parapheur_file_not_in_premis", message, path=member))
        elif "/" not in inside and inside.lower().endswith("_bordereau.pdf"):
            bordereaux.append(member)
        else:
            others.append(member)
    if not bordereaux:
        message = "bordereau de signature (<dossier>_bordereau.pdf) absent de l'export"
        issues.append(Issue("parapheur_bordereau_missing", message))
    return bordereaux, others


def _documents5(
    folder: PremisFolder,
    placed: dict[str, PremisFile],
    bordereaux: list[str],
    others: list[str],
    premis_member: str,
) -> list[InboundDocument]:
    steps = tuple(CircuitStep(e.at, e.kind, e.agent, e.detail) for e in folder.events)
    shared = {
        "dossier_parapheur": folder.folder_id,
        "type": folder.kind,
        "sous_type": folder.subtype,
    }
    shared = {k: v for k, v in shared.items() if v}
    keywords = [k for k in (folder.kind, folder.subtype) if k]
    docs = []
    for member, file in placed.items():
        extra = {**shared, **bounded(folder.properties), **bounded(file.properties)}
        extra["document_parapheur"] = file.document_id
        kind = "document_signe" if file.main else "annexe"
        metadata = Metadata(title=file.name, document_type=kind, keywords=keywords, extra=extra)
        docs.append(InboundDocument(member, metadata, steps if file.main else (), SOURCE_V5))
    docs += [proof(m, "Bordereau de signature", "bordereau_signature", shared) for m in bordereaux]
    docs.append(proof(premis_member, "PREMIS du dossier (i-Parapheur)", "premis_parapheur", shared))
    docs += [proof(m, m.rsplit("/", 1)[-1], "piece_parapheur", shared) for m in others]
    return docs


def _bundle5(folder: PremisFolder, docs: list[InboundDocument]) -> InboundBundle:
    steps = [s for d in docs for s in d.history] or [
        CircuitStep(e.at, e.kind, e.agent) for e in folder.events
    ]
    kinds = " / ".join(k for k in (folder.kind, folder.subtype) if k)
    described = f" ({kinds})" if kinds else ""
    return InboundBundle(
        profile=Profile.PARAPHEUR,
        business_id=folder.folder_id,
        title=(folder.name or folder.folder_id)[:1000],
        reference=folder.folder_id,
        description=f"Dossier i-Parapheur « {folder.name} »{described}, {len(folder.events)} "
        "événements de circuit",
        opened_on=opened_on(steps),
        documents=tuple(docs),
        events=tuple(circuit(steps)),
    )
