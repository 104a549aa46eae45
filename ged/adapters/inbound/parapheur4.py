"""An i-Parapheur 4 folder as Pastell keeps it: the document (signed PDF, or the original with
its detached signatures in ``signature.zip``), the unsigned original ``<name>_orig.<ext>`` when
a PAdES signature replaced it, the signature bordereau (a PDF named ``…bordereau….pdf``), annexes
in an ``annexes/`` folder, and ``iparapheur_historique.xml``: the web service's GetHistoDossier
answer, one ``LogDossier`` per step (``timestamp``, ``nom``, ``status``, ``annotation``).

Version 4's exports carry no folder identifier: the folder (or archive) name is the id, as
Pastell names it.
"""

from __future__ import annotations

import re

from lxml import etree

from ged.adapters.inbound.parapheur_circuit import MAX_ID, circuit, opened_on, proof
from ged.adapters.inbound.sources import InputLimits
from ged.adapters.inbound.xmlread import line, local, parse_datetime, read_xml, text
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

HISTORY_FILE = "iparapheur_historique.xml"
SOURCE_V4 = "i-Parapheur 4 (historique Pastell)"
_SIGNATURES = re.compile(r"^signature(_[0-9]+)?\.zip$", re.IGNORECASE)
_ORIGINAL = re.compile(r"_orig(_[0-9]+)?\.[A-Za-z0-9]+$")
_ANNEXES = ("annexe/", "annexes/")


def read_parapheur4(source: Source, name: str | None, limits: InputLimits) -> Parsed:
    issues: list[Issue] = []
    history = next(n for n in sorted(source.names()) if n.rsplit("/", 1)[-1] == HISTORY_FILE)
    root = read_xml(source, history, limits, issues)
    steps = _steps(root, history, issues) if root is not None else []
    folder_id = _folder_id(name, issues)
    roles = {member: _role(member) for member in sorted(source.names()) if member != history}
    for role, code, what in (
        ("document_signe", "parapheur_document_missing", "document signé"),
        ("bordereau_signature", "parapheur_bordereau_missing", "bordereau de signature"),
    ):
        if role not in roles.values():
            issues.append(Issue(code, f"{what} absent de l'export i-Parapheur 4"))
    if root is not None and not steps:
        message = f"{history} : aucune étape LogDossier datée"
        issues.append(Issue("parapheur_history_missing", message, path=history))
    if issues or folder_id is None:
        return Parsed(source, None, issues)
    return Parsed(source, _bundle(folder_id, steps, roles, history), issues)


def _steps(root: etree._Element, where: str, issues: list[Issue]) -> list[CircuitStep]:
    """Every LogDossier, wherever Pastell's conversion nested it, in time order."""
    if local(root) != "iparapheur_historique":
        message = f"{where} : historique i-Parapheur attendu, trouvé « {local(root)} »"
        issues.append(Issue("parapheur_not_a_history", message, path=where))
        return []
    steps = []
    for entry in root.iter():
        if local(entry) != "LogDossier":
            continue
        at = parse_datetime(text(entry, "timestamp"))
        if at is None:
            message = f"{where} : étape sans horodatage valide ({text(entry, 'timestamp')!r})"
            issues.append(Issue("parapheur_bad_step", message, line=line(entry), path=where))
            continue
        steps.append(
            CircuitStep(at, text(entry, "status"), text(entry, "nom"), text(entry, "annotation"))
        )
    return sorted(steps, key=lambda s: s.occurred_at)


def _folder_id(name: str | None, issues: list[Issue]) -> str | None:
    if name and len(name) <= MAX_ID and name.strip():
        return name.strip()
    message = (
        "identifiant du dossier i-Parapheur 4 inconnu : c'est le nom de l'export "
        "(dossier ou archive ; paramètre filename de l'API)"
    )
    issues.append(Issue("parapheur_folder_id_missing", message))
    return None


def _role(member: str) -> str:
    base = member.rsplit("/", 1)[-1]
    if member.lower().startswith(_ANNEXES) or f"/{_ANNEXES[1]}" in member.lower():
        return "annexe"
    if _SIGNATURES.match(base):
        return "signatures_detachees"
    if "bordereau" in base.lower() and base.lower().endswith(".pdf"):
        return "bordereau_signature"
    if _ORIGINAL.search(base):
        return "document_original"
    return "document_signe"


_TITLES = {
    "signatures_detachees": "Signatures détachées (signature.zip)",
    "bordereau_signature": "Bordereau de signature",
}


def _bundle(
    folder_id: str, steps: list[CircuitStep], roles: dict[str, str], history: str
) -> InboundBundle:
    shared = {"dossier_parapheur": folder_id}
    docs: list[InboundDocument] = []
    for member, role in roles.items():
        base = member.rsplit("/", 1)[-1]
        if role == "document_signe":
            metadata = Metadata(title=base, document_type=role, extra=dict(shared))
            docs.append(InboundDocument(member, metadata, tuple(steps), SOURCE_V4))
        else:
            docs.append(proof(member, _TITLES.get(role, base), role, shared))
    docs.append(
        proof(history, "Historique du circuit (i-Parapheur)", "historique_parapheur", shared)
    )
    return InboundBundle(
        profile=Profile.PARAPHEUR,
        business_id=folder_id,
        title=folder_id[:1000],
        reference=folder_id,
        description=f"Dossier i-Parapheur 4 « {folder_id} », {len(steps)} étapes de circuit",
        opened_on=opened_on(steps),
        documents=tuple(docs),
        events=tuple(circuit(steps)),
    )
