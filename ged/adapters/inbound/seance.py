"""The description web-delib writes when it sends a séance to a GED (``XML_DESC_<idSeance>.xml``,
root ``depot`` with ``versionDepot`` 2): the ``seance`` (``idSeance``, ``typeSeance``,
``dateSeance``, ``dateConvocation``, its documents: convocation, ordre du jour, procès-verbaux)
and one ``dossierActe`` per délibération (``numeroACTE``, ``libelle``, ``natureACTE``,
``dateACTE``, ``themeACTE``, ``rapporteurACTE``…, its documents by ``type``: TexteActe,
ActeTampon, Rapport, Signature, Bordereau, Annexe, ARacte), each ``document`` naming its file
(``nom``) and where it is in the documents zip (``relname``, ``relName`` in later exports).
Extra information (``infosupSeance``, ``infosupDeliberation``: votes when the tool exports them)
is kept as it comes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from ged.adapters.inbound.xmlread import attr, child, children, line, local, parse_date, text
from kernel.errors import Issue

MAX_ID = 200
# dossierActe fields kept, under the name the GED gives them
DELIBERATION_FIELDS = {
    "libelle": "objet",
    "titre": "titre",
    "natureACTE": "nature",
    "themeACTE": "theme",
    "emetteurACTE": "emetteur",
    "redacteurACTE": "redacteur",
    "rapporteurACTE": "rapporteur",
    "typeseanceACTE": "type_seance",
    "dateAR": "date_accuse_reception",
    "listeCommissions": "commissions",
}


@dataclass(frozen=True)
class SeanceDocument:
    kind: str  # web-delib's type: convocation, odj, TexteActe, Annexe…
    name: str  # nom
    path: str  # relname / relName, else nom
    title: str = ""
    signature_format: str = ""


@dataclass(frozen=True)
class Deliberation:
    number: str
    decided_on: date | None
    fields: dict[str, str]
    documents: tuple[SeanceDocument, ...]
    infosup: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seance:
    id: str
    kind: str
    held_on: date
    convened_on: date | None
    deposit: str
    documents: tuple[SeanceDocument, ...]
    deliberations: tuple[Deliberation, ...]
    infosup: dict[str, str] = field(default_factory=dict)


def is_description(root: etree._Element) -> bool:
    return local(root) == "depot"


def parse_seance(root: etree._Element, where: str, issues: list[Issue]) -> Seance | None:
    seances = list(children(root, "seance"))
    if len(seances) != 1:
        message = f"{where} : un élément seance attendu, {len(seances)} trouvés"
        issues.append(Issue("seance_bad_description", message, path=where))
        return None
    el = seances[0]
    seance_id = (attr(el, "idSeance") or "").strip()
    held_on = parse_date(text(el, "dateSeance"))
    problems = [
        ("seance_bad_id", "idSeance absent ou trop long", not seance_id or len(seance_id) > MAX_ID),
        ("seance_bad_date", f"dateSeance invalide ({text(el, 'dateSeance')!r})", held_on is None),
        ("seance_bad_type", "typeSeance absent", not text(el, "typeSeance")),
    ]
    for code, message, found in problems:
        if found:
            issues.append(Issue(code, f"{where} : {message}", line=line(el), path=where))
    deliberations = [
        _deliberation(d, seance_id, where, issues) for d in children(root, "dossierActe")
    ]
    _check_numbers(deliberations, where, issues)
    if held_on is None or any(found for _, _, found in problems):
        return None
    return Seance(
        id=seance_id,
        kind=text(el, "typeSeance"),
        held_on=held_on,
        convened_on=parse_date(text(el, "dateConvocation")),
        deposit=attr(root, "idDepot") or "",
        documents=tuple(_documents(el)),
        deliberations=tuple(d for d in deliberations if d is not None),
        infosup=_infosup(el, "infosupSeance"),
    )


def _deliberation(
    el: etree._Element, seance_id: str, where: str, issues: list[Issue]
) -> Deliberation | None:
    number = text(el, "numeroACTE")
    reference = (attr(el, "refSeance") or "").strip()
    if reference and seance_id and reference != seance_id:
        message = f"{where} : délibération {number or '?'} d'une autre séance ({reference})"
        issues.append(Issue("seance_reference_mismatch", message, line=line(el), path=where))
    if not number or len(number) > 100:
        message = f"{where} : délibération (idActe {attr(el, 'idActe')!r}) sans numeroACTE"
        issues.append(
            Issue("seance_deliberation_number_missing", message, line=line(el), path=where)
        )
        return None
    documents = tuple(_documents(el))
    if sum(1 for d in documents if d.kind == "TexteActe") != 1:
        message = f"{where} : délibération {number} sans document TexteActe (le texte voté)"
        issues.append(Issue("seance_deliberation_text_missing", message, line=line(el), path=where))
    fields = {ours: text(el, theirs) for theirs, ours in DELIBERATION_FIELDS.items()}
    return Deliberation(
        number=number,
        decided_on=parse_date(text(el, "dateACTE")),
        fields={k: v for k, v in fields.items() if v},
        documents=documents,
        infosup=_infosup(el, "infosupDeliberation"),
    )


def _check_numbers(found: list[Deliberation | None], where: str, issues: list[Issue]) -> None:
    numbers = [d.number for d in found if d is not None]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        message = f"{where} : deux délibérations portent le numéro {number}"
        issues.append(Issue("seance_duplicate_number", message, path=where))


def _documents(el: etree._Element) -> list[SeanceDocument]:
    found = []
    for doc in children(el, "document"):
        name = attr(doc, "nom") or ""
        path = attr(doc, "relname") or attr(doc, "relName") or name
        signature = child(doc, "signature")
        signed_as = attr(signature, "formatSignature") if signature is not None else None
        found.append(
            SeanceDocument(
                kind=attr(doc, "type") or "",
                name=name,
                path=path.replace("\\", "/"),
                title=text(doc, "titre"),
                signature_format=signed_as or "",
            )
        )
    return found


def _infosup(el: etree._Element, name: str) -> dict[str, str]:
    """Extra information as the tool exports it (code → value), files aside."""
    block = child(el, name)
    if block is None:
        return {}
    return {local(c)[:90]: text(c)[:10_000] for c in block if local(c) and not len(c)}
