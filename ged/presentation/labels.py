"""The French words for every code that can reach a person: phases, final actions, transfer
states, roles, extraction status, rule categories and origins, reasons without a due date;
dates (« 6 décembre 2026 ») and sizes (« 1,5 Mo »).

People read French, never codes: the command line, the web pages and the slips show
``phase("intermediate")`` = « intermédiaire », never ``intermediate``; ``--json`` and the API
keep the codes for programs. Month names are ours (no locale installed on the server, no
``setlocale`` side effect on other threads). Sizes count in powers of 1024 with the French units
(octets, Ko, Mo, Go, To) and a decimal comma. A code with no word here shows as « inconnu »
rather than leaking; a unit test checks that every enumerated code of the domain has one.

This module depends on the domain only (tables are keyed by the codes' string values), so that
every face of the GED — and the services that print slips — can share it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kernel.retention import Duration

UNKNOWN = "inconnu"
PARIS = ZoneInfo("Europe/Paris")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

PHASES: Mapping[str, str] = {
    "current": "courant",
    "intermediate": "intermédiaire",
    "due": "DUA échue",
    "transferring": "en cours de versement",
    "permanent": "versé (archives définitives)",
    "eliminated": "éliminé",
}

FINAL_ACTIONS: Mapping[str, str] = {
    "Keep": "conservation définitive",
    "Destroy": "destruction",
    "Sort": "tri",
    "RestrictAccess": "accès restreint",
    "Transfer": "transfert",
    "Copy": "copie",
    "none": "sans sort final",
}

SORT_DECISIONS: Mapping[str, str] = {"keep": "à conserver", "destroy": "à détruire"}

TRANSFER_STATES: Mapping[str, str] = {
    "prepared": "préparé",
    "sent": "envoyé",
    "acknowledged": "accusé de réception reçu",
    "accepted": "accepté",
    "accepted_with_warnings": "accepté avec avertissements",
    "rejected": "refusé",
    "error_sending": "échec de l'envoi",
    "error_polling": "échec de l'interrogation",
    "error_reply": "réponse inexploitable",
}

ROLES: Mapping[str, str] = {
    "agent": "agent",
    "records_officer": "référent archives",
    "archivist": "archiviste",
    "admin": "administrateur",
    "application": "client applicatif",
}

EXTRACTION: Mapping[str, str] = {
    "pending": "en attente de traitement",
    "done": "texte indexé",
    "failed": "texte illisible",
    "unsupported": "texte non extrait pour ce format",
}

DAMAGE: Mapping[str, str] = {"missing": "contenu absent", "altered": "contenu altéré"}

DOSSIER_STATUS: Mapping[str, str] = {"open": "ouvert", "closed": "clos"}

CATEGORIES: Mapping[str, str] = {
    "AppraisalRule": "durée d'utilité administrative (sort final)",
    "AccessRule": "délai de communicabilité",
    "StorageRule": "durée d'utilité courante",
    "DisseminationRule": "délai de diffusion",
    "ReuseRule": "durée de réutilisation",
    "ClassificationRule": "durée de classification",
    "HoldRule": "gel",
}

RULE_ORIGINS: Mapping[str, str] = {
    "dossier": "dérogation propre au dossier",
    "plan_node": "plan de classement",
    "document_type": "type de document",
}

NO_DUE_REASONS: Mapping[str, str] = {
    "no_appraisal_rule": "aucune règle de DUA ne s'applique",
    "unlimited": "durée illimitée",
    "no_duration": "règle sans durée",
    "missing_start_date": "date de départ inconnue",
    "beyond_calendar": "au-delà du calendrier",
    "open": "dossier encore ouvert",
}

PROPOSAL_STATUS: Mapping[str, str] = {
    "proposed": "en attente de visa",
    "approved": "visée",
    "rejected": "refusée",
    "executed": "exécutée",
}


START_EVENTS: Mapping[str, str] = {
    "dossier_closing": "clôture du dossier",
    "last_document": "date du document le plus récent",
    "business_event": "événement",
}

# Formats people recognise, by MIME type; others show their PRONOM name or « autre format ».
FORMATS: Mapping[str, str] = {
    "application/pdf": "PDF",
    "text/plain": "texte brut",
    "text/csv": "tableau CSV",
    "text/html": "page HTML",
    "application/xml": "XML",
    "text/xml": "XML (type texte)",
    "application/json": "JSON",
    "image/png": "image PNG",
    "image/jpeg": "image JPEG",
    "image/gif": "image GIF",
    "image/webp": "image WebP",
    "image/tiff": "image TIFF",
    "application/vnd.oasis.opendocument.text": "texte OpenDocument",
    "application/vnd.oasis.opendocument.spreadsheet": "classeur OpenDocument",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "classeur Excel",
    "application/msword": "document Word (ancien format)",
    "application/vnd.ms-excel": "classeur Excel (ancien format)",
    "application/zip": "archive ZIP",
    "message/rfc822": "courriel",
    "application/octet-stream": "format non reconnu",
}


def label(table: Mapping[str, str], code: object) -> str:
    """The French word for ``code`` in ``table``; « inconnu » rather than the code itself."""
    if code is None:
        return ""
    return table.get(str(code), UNKNOWN)


def phase(code: object) -> str:
    return label(PHASES, code) if code is not None else "non calculée"


def final_action(code: object) -> str:
    return label(FINAL_ACTIONS, code)


def file_format(mime_type: str | None) -> str:
    base = (mime_type or "").split(";")[0].strip().lower()
    return FORMATS.get(base, "autre format")


def duration(value: Duration | None) -> str:
    """« 5 ans », « 1 an 6 mois », « immédiat » for zero (never « 0 an »), « illimitée »."""
    if value is None:
        return "sans durée"
    if not value.unlimited and not (value.years or value.months or value.days):
        return "immédiat"
    return value.to_french()


def day(value: date | datetime | None) -> str:
    """« 6 décembre 2026 » (« 1er » for the first of the month); a moment is shown in Paris."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    first = "1er" if value.day == 1 else str(value.day)
    return f"{first} {MONTHS[value.month - 1]} {value.year}"


def month(value: str) -> str:
    """« décembre 2026 » for the ``YYYY-MM`` of a forecast row."""
    year, number = value.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def moment(value: datetime | None) -> str:
    """« 6 décembre 2026 à 14 h 05 », in Paris time."""
    if value is None:
        return ""
    local = value.astimezone(PARIS)
    return f"{day(local.date())} à {local.hour} h {local.minute:02d}"


def size(octets: int | None) -> str:
    """« 512 octets », « 1,5 Ko », « 12 Mo », « 1,1 Go » (powers of 1024, decimal comma)."""
    if octets is None:
        return ""
    if octets < 1024:
        return f"{octets} octet" + ("s" if octets > 1 else "")
    value, units = float(octets) / 1024, ["Ko", "Mo", "Go", "To"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    unit = units[0]
    text = f"{value:.1f}".replace(".", ",") if value < 10 else f"{value:.0f}"
    return f"{text.removesuffix(',0')} {unit}"


def number(value: int) -> str:
    """« 5 000 », « 100 000 »: digits grouped by three with a narrow no-break space, as French
    typography writes them (never « 5,000 » nor « 5000 » in a sentence)."""
    return f"{value:,}".replace(",", "\u202f")


def count(number: int, singular: str, plural: str | None = None, none: str = "") -> str:
    """« 1 dossier », « 3 dossiers », « 0 dossier » (French: zero takes the singular), or
    ``none`` for zero when given (« aucun document déposé »)."""
    if number == 0 and none:
        return none
    word = singular if number < 2 else (plural or singular + "s")
    return f"{number} {word}"


def code_of(table: Mapping[str, str], text: str) -> str | None:
    """The code ``text`` names in ``table``: the code itself or its French word, compared
    without case or accents (« intermediaire », « DUA échue », ``due``); None when unknown."""
    wanted = _plain(text)
    for code, word in table.items():
        if wanted in (_plain(code), _plain(word)):
            return code
    return None


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
