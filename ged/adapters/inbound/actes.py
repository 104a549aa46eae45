"""ACTES v1.1 (namespace ``http://www.interieur.gouv.fr/ACTES#v1.1-20040216``), the protocol of
the contrôle de légalité: the acte message (``Acte``, flux 1-1) and the préfecture's
acknowledgement (``ARActe``, flux 1-2), checked field by field against the schema ``actesv1_1``.

The ministry hands its schema to the approved TdT operators; it is not published at an address
of its own that could be pinned, so the constraints of the fields we keep are checked here (see
the README): ``IDActe`` = département (3) - SIREN (9) - decision date (YYYYMMDD) - NumeroInterne
(≤ 15, ``[A-Za-z0-9_]``) - nature (2 capitals); ``Date``, ``NumeroInterne`` (≤ 15) and
``CodeNatureActe`` required; ``CodeMatiere1`` and ``CodeMatiere2`` required (3 to 5 optional),
integers; ``Objet`` ≤ 500 characters; ``ClassificationDateVersion`` a date;
``Document/NomFichier`` required; ``Annexes@Nombre`` the count of ``Annexe``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree

from ged.adapters.inbound.xmlread import attr, child, children, line, local, parse_date, text
from kernel.errors import Issue

NAMESPACE = "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"
# CodeNatureActe → the two letters ending the IDActe, and the nature's name
NATURES = {
    "1": ("DE", "Délibérations"),
    "2": ("AR", "Actes réglementaires"),
    "3": ("AI", "Actes individuels"),
    "4": ("CC", "Contrats, conventions et avenants"),
    "5": ("BF", "Documents budgétaires et financiers"),
    "6": ("AU", "Autres"),
}
ID_ACTE = (
    r"(?P<departement>[09][0-9][AB0-9])-(?P<siren>[0-9]{9})-(?P<date>[0-9]{8})"
    r"-(?P<numero>[A-Za-z0-9_]{1,15})-(?P<nature>[A-Z]{2})"
)
ID_ACTE_RE = re.compile(f"^{ID_ACTE}$")
# {typologie-}{IDActe}-{flux}[_{n}].{ext}: 1-1 transmission (n = 0 message, 1 acte, 2… annexes),
# 1-2 acknowledgement; the typology code of the piece (99_AU, CO_DE…) may prefix a file
FILE_NAME = re.compile(
    rf"^(?:(?P<typology>[0-9A-Za-z]{{1,5}}_[0-9A-Za-z]{{1,5}})-)?(?P<id>{ID_ACTE})"
    r"-(?P<flux>[0-9]{1,2}-[0-9]{1,2})(?:_(?P<n>[0-9]{1,3}))?\.(?P<ext>[A-Za-z0-9]{1,10})$"
)
MAX_OBJET = 500
MAX_NUMERO = 15


@dataclass(frozen=True)
class ActeMessage:
    decided_on: date | None
    number: str
    nature_code: str
    matieres: tuple[str, ...]
    objet: str
    classification_on: date | None
    document: str
    annexes: tuple[str, ...]

    @property
    def nature(self) -> tuple[str, str] | None:
        return NATURES.get(self.nature_code)

    @property
    def matiere(self) -> str:
        """The matière as the classification writes it: « 7.1 » for CodeMatiere1 7, 2 1."""
        return ".".join(self.matieres)


@dataclass(frozen=True)
class Acknowledgement:
    id_acte: str
    received_on: date | None
    classification_in_force: date | None


def parse_acte(root: etree._Element, where: str, issues: list[Issue]) -> ActeMessage | None:
    if root.tag != f"{{{NAMESPACE}}}Acte":
        message = f"{where} : message ACTES v1.1 « Acte » attendu, trouvé « {local(root)} »"
        issues.append(Issue("actes_not_an_acte", message, line=line(root), path=where))
        return None
    return _acte_fields(root, where, issues)


def parse_acknowledgement(
    root: etree._Element, where: str, issues: list[Issue]
) -> Acknowledgement | None:
    if root.tag != f"{{{NAMESPACE}}}ARActe":
        message = f"{where} : accusé de réception « ARActe » attendu, trouvé « {local(root)} »"
        issues.append(Issue("actes_not_an_acknowledgement", message, path=where))
        return None
    id_acte = attr(root, "IDActe") or ""
    if not ID_ACTE_RE.match(id_acte):
        message = f"{where} : IDActe {id_acte!r} invalide dans l'accusé de réception"
        issues.append(Issue("actes_bad_id", message, line=line(root), path=where))
    received = _required_date(root, "DateReception", where, issues)
    in_force = parse_date(text(root, "ClassificationDateVersionEnCours"))
    return Acknowledgement(id_acte, received, in_force)


def _acte_fields(root: etree._Element, where: str, issues: list[Issue]) -> ActeMessage:
    number = attr(root, "NumeroInterne") or ""
    if not number or len(number) > MAX_NUMERO:
        message = f"{where} : NumeroInterne absent ou de plus de {MAX_NUMERO} caractères"
        issues.append(Issue("actes_bad_number", message, line=line(root), path=where))
    nature_code = (attr(root, "CodeNatureActe") or "").strip()
    if nature_code not in NATURES:
        message = f"{where} : nature d'acte inconnue (CodeNatureActe {nature_code!r} ; 1 à 6)"
        issues.append(Issue("actes_unknown_nature", message, line=line(root), path=where))
    objet = text(root, "Objet")
    if not objet or len(objet) > MAX_OBJET:
        message = f"{where} : Objet absent ou de plus de {MAX_OBJET} caractères"
        issues.append(Issue("actes_bad_objet", message, path=where))
    return ActeMessage(
        decided_on=_required_date(root, "Date", where, issues),
        number=number,
        nature_code=nature_code,
        matieres=_matieres(root, where, issues),
        objet=objet[:MAX_OBJET],
        classification_on=_classification(root, where, issues),
        document=_document(root, where, issues),
        annexes=_annexes(root, where, issues),
    )


def _required_date(el: etree._Element, name: str, where: str, issues: list[Issue]) -> date | None:
    raw = attr(el, name)
    found = parse_date(raw) if raw and len(raw.strip()) == 10 else None
    if found is None:
        message = f"{where} : {name} absente ou invalide ({raw!r}, AAAA-MM-JJ attendu)"
        issues.append(Issue("actes_bad_date", message, line=line(el), path=where))
    return found


def _matieres(root: etree._Element, where: str, issues: list[Issue]) -> tuple[str, ...]:
    codes: list[str] = []
    for level in range(1, 6):
        el = child(root, f"CodeMatiere{level}")
        value = (attr(el, "CodeMatiere") or "").strip() if el is not None else ""
        if el is None and level > 2:
            break
        if not value.isdecimal():
            message = f"{where} : CodeMatiere{level} absent ou non entier ({value!r})"
            issues.append(Issue("actes_bad_matiere", message, path=where))
            break
        codes.append(str(int(value)))
    return tuple(codes)


def _classification(root: etree._Element, where: str, issues: list[Issue]) -> date | None:
    raw = text(root, "ClassificationDateVersion")
    found = parse_date(raw)
    if found is None:
        message = f"{where} : ClassificationDateVersion absente ou invalide ({raw!r})"
        issues.append(Issue("actes_bad_classification", message, path=where))
    return found


def _document(root: etree._Element, where: str, issues: list[Issue]) -> str:
    name = text(child(root, "Document"), "NomFichier")
    if not name:
        message = f"{where} : Document/NomFichier absent (le fichier de l'acte)"
        issues.append(Issue("actes_document_missing", message, path=where))
    return name


def _annexes(root: etree._Element, where: str, issues: list[Issue]) -> tuple[str, ...]:
    annexes = child(root, "Annexes")
    if annexes is None:
        return ()
    names = tuple(text(a, "NomFichier") for a in children(annexes, "Annexe"))
    declared = attr(annexes, "Nombre")
    if declared is None or not declared.strip().isdecimal() or int(declared) != len(names):
        message = f"{where} : Annexes@Nombre ({declared!r}) ne compte pas les {len(names)} annexes"
        issues.append(Issue("actes_bad_annex_count", message, path=where))
    if not all(names):
        issues.append(Issue("actes_annex_unnamed", f"{where} : Annexe sans NomFichier", path=where))
    return tuple(n for n in names if n)
