"""The SEDA 1.0 code lists our writers and readers need, as data, with their sources.

Sources (official SEDA 1.0 schemas, culturecommunication/seda branch seda-1.0, pinned in
`schemas.pins`):
* access restrictions AR038–AR062: `schema/v10/codes/seda_v1-0_accessrestriction_code.xsd`
  (`urn:un:unece:uncefact:codelist:draft:DAF:accessRestrictionCode:2009-08-18`, edition 2009):
  each code's delay, its start point and the article of the Code du patrimoine it applies;
* appraisal codes `conserver` / `detruire`: `…/seda_v1-0_appraisal_code.xsd`;
* description levels: `…/seda_v1-0_descriptionlevel_code.xsd`; keyword types:
  `…/seda_v1-0_keywordtype_code.xsd` (the same nine values as the 2.x `KeyType`);
* sizes in bytes: unit `AD` of `…/UNECE_MeasurementUnitCommonCode_7.xsd` (Recommendation 20).
Reply codes are not enumerated by the 1.0 schemas; 1.0 repositories (As@lae) answer with the
list of SEDA 0.2 (`archives_echanges_v0-2_reply_code.xsd`, edition 2009): `000` accepted…
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from seda.errors import SedaError


class StartEvent(StrEnum):
    """What an access delay of L213-2 counts from."""

    DOCUMENT = "document"  # the date of the document (of the most recent one in a dossier)
    DEATH = "death"  # the death of the person concerned
    BIRTH = "birth"  # the birth of the person concerned


@dataclass(frozen=True)
class AccessRestriction:
    code: str
    years: int | None  # None: never communicable (L213-2, II)
    start: StartEvent
    article: tuple[str, ...]  # ("213-2", "I", "4", "e") for « art. L. 213-2, I, 4, e »
    label: str  # the code's name in the list, in French


def _ar(
    code: str, years: int | None, start: StartEvent, article: str, label: str
) -> AccessRestriction:
    return AccessRestriction(code, years, start, tuple(article.split()), label)


_D, _DEATH, _BIRTH = StartEvent.DOCUMENT, StartEvent.DEATH, StartEvent.BIRTH
_DEATH_75 = "25 ans à compter du décès si ce délai est plus court que 75 ans"
ACCESS_RESTRICTIONS: dict[str, AccessRestriction] = {
    r.code: r
    for r in (
        _ar("AR038", 0, _D, "213-1", "librement communicable"),
        _ar("AR039", 25, _D, "213-2 I 1 a", "25 ans : secret des délibérations du Gouvernement…"),
        _ar("AR040", 25, _D, "213-2 I 1 b", "25 ans : documents non administratifs (loi de 1978)"),
        _ar("AR041", 25, _D, "213-2 I 1 a", "25 ans : secret statistique"),
        _ar("AR042", 25, _D, "213-2 I 1 c", "25 ans : contrat de prestation de services"),
        _ar("AR043", 25, _DEATH, "213-2 I 2", "25 ans à compter du décès : secret médical"),
        _ar("AR044", 25, _DEATH, "213-2 I 4 e", f"{_DEATH_75} : état civil"),
        _ar("AR045", 25, _DEATH, "213-2 I 4 d", f"{_DEATH_75} : minutes des officiers publics"),
        _ar("AR046", 25, _DEATH, "213-2 I 4 b", f"{_DEATH_75} : enquêtes de police judiciaire"),
        _ar("AR047", 25, _DEATH, "213-2 I 4 c", f"{_DEATH_75} : affaires portées en justice"),
        _ar("AR048", 50, _D, "213-2 I 3", "50 ans : protection de la vie privée"),
        _ar("AR049", 50, _D, "213-2 I 3", "50 ans : défense nationale, sûreté de l'État"),
        _ar("AR050", 50, _D, "213-2 I 3", "50 ans : établissements pénitentiaires"),
        _ar(
            "AR051", 50, _D, "213-2 I 1 c", "50 ans : prestation de services (défense, vie privée)"
        ),
        _ar("AR052", 75, _D, "213-2 I 4 a", "75 ans : secret statistique (vie privée)"),
        _ar("AR053", 75, _D, "213-2 I 1 b", "75 ans : prestation de services (police, justice)"),
        _ar("AR054", 75, _D, "213-2 I 4 e", "75 ans : état civil"),
        _ar("AR055", 75, _D, "213-2 I 4 d", "75 ans : minutes des officiers publics"),
        _ar("AR056", 75, _D, "213-2 I 4 b", "75 ans : enquêtes de police judiciaire"),
        _ar("AR057", 75, _D, "213-2 I 4 c", "75 ans : affaires portées devant les juridictions"),
        _ar("AR058", 100, _D, "213-2 I 5", "100 ans : personnes mineures"),
        _ar("AR059", 100, _D, "213-2 I 3", "100 ans : sécurité de personnes (défense nationale)"),
        _ar("AR060", 100, _D, "213-2 I 5", "100 ans : intimité de la vie sexuelle"),
        _ar(
            "AR061", 120, _BIRTH, "213-2 I 2", "120 ans à compter de la naissance : secret médical"
        ),
        _ar("AR062", None, _D, "213-2 II", "incommunicable (armes de destruction massive)"),
    )
}

# 2.x AppraisalRule/FinalAction → 1.0 AppraisalRule/Code.
APPRAISAL_CODES = {"Keep": "conserver", "Destroy": "detruire"}
FINAL_ACTIONS = {code: action for action, code in APPRAISAL_CODES.items()}
# 2.x LevelType → 1.0 description level (OtherLevel has no 1.0 equivalent).
DESCRIPTION_LEVELS = {
    "Fonds": "fonds",
    "Subfonds": "subfonds",
    "Class": "class",
    "Collection": "collection",
    "Series": "series",
    "Subseries": "subseries",
    "RecordGrp": "recordgrp",
    "SubGrp": "subgrp",
    "File": "file",
    "Item": "item",
}
LEVELS_2X = {code: level for level, code in DESCRIPTION_LEVELS.items()}
KEYWORD_TYPES = frozenset(
    [
        "corpname",
        "famname",
        "geogname",
        "name",
        "occupation",
        "persname",
        "subject",
        "genreform",
        "function",
    ]
)
BYTE = "AD"  # UN/ECE Recommendation 20
# SEDA 2.x MessageDigest/@algorithm → the XML-Enc / XML-DSig URI 1.0 repositories expect.
DIGEST_ALGORITHMS = {
    "SHA-1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "SHA-256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "SHA-384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "SHA-512": "http://www.w3.org/2001/04/xmlenc#sha512",
}
REPLY_CODES = {
    "000": "accepté",
    "001": "accepté, voir les commentaires",
    "002": "accepté après consultation de l'autorité de contrôle",
    "101": "message mal formé",
    "102": "système momentanément indisponible",
    "200": "service producteur non reconnu",
    "201": "service d'archives non reconnu",
    "202": "service versant non reconnu",
    "203": "non conforme au profil",
    "204": "format de document non géré",
    "205": "format différent du format déclaré",
    "206": "signature du message invalide",
    "207": "empreinte(s) invalide(s)",
    "208": "archive indisponible (délai de communicabilité non échu)",
    "209": "archive absente (détruite, restituée ou transférée)",
    "210": "archive inconnue",
    "211": "pièce jointe absente",
    "212": "dérogation refusée",
    "300": "accord de versement invalide",
}
_REPLY_FAMILIES = {
    "0": "accepté",
    "1": "message refusé",
    "2": "refusé",
    "3": "non conforme à l'accord de versement",
}


class UnknownAccessCode(SedaError):
    """No access restriction of the SEDA 1.0 list fits, or several do and nothing tells which."""

    code = "seda_access_code_unknown"


def reply_label(code: str | None) -> str:
    """The meaning of a SEDA 0.2 / 1.0 reply code, in French (by family when not listed)."""
    value = (code or "").strip()
    if value in REPLY_CODES:
        return REPLY_CODES[value]
    family = _REPLY_FAMILIES.get(value[:1]) if len(value) == 3 and value.isdecimal() else None
    return family or f"code de réponse inconnu : {value!r}"


def article_of(reference: str) -> tuple[str, ...]:
    """The article of a Code du patrimoine reference, as in the 1.0 list: « art. L. 213-2, I,
    4°, b » and « L213-2 I 4° b » both give ("213-2", "I", "4", "b"); () when none is named."""
    found = re.search(r"L\.?\s*(213-[12])\b(.*)", reference)
    if found is None:
        return ()
    return (found.group(1), *re.findall(r"\b([IVX]+|\d+|[a-z])\b", found.group(2)))


def access_codes(years: int | None, start: StartEvent = _D) -> tuple[AccessRestriction, ...]:
    """Every access restriction of the list with this delay (None: never) and start point."""
    return tuple(r for r in ACCESS_RESTRICTIONS.values() if (r.years, r.start) == (years, start))


def access_code(years: int | None, start: StartEvent = _D, reference: str = "") -> str:
    """The one AR code for a delay counted from `start`, the legal reference (« art. L213-2 I 4°
    b ») choosing among codes of the same delay; UnknownAccessCode when none or several fit."""
    candidates = access_codes(years, start)
    article = article_of(reference)
    if len(candidates) > 1 and article:
        candidates = tuple(c for c in candidates if c.article[: len(article)] == article)
    if len(candidates) == 1:
        return candidates[0].code
    delay = "incommunicable" if years is None else f"{years} an(s) à compter de : {start.value}"
    if not candidates:
        raise UnknownAccessCode(f"aucun code de communicabilité SEDA 1.0 pour {delay} {reference}")
    codes = ", ".join(f"{c.code} ({c.label})" for c in candidates)
    raise UnknownAccessCode(
        f"plusieurs codes SEDA 1.0 pour {delay} : {codes} ; préciser l'article du Code du "
        "patrimoine ou le code"
    )
