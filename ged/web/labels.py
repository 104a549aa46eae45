"""The French words for every code that can reach a page: phases, final actions, transfer states,
roles, extraction status, rule categories and origins, reasons without a due date; dates
(« 6 décembre 2026 ») and sizes (« 1,5 Mo »).

People read French, never codes: a page shows ``phase(…)``, never ``intermediate``. Month names
are ours (no locale installed on the server, no ``setlocale`` side effect on other threads).
Sizes count in powers of 1024 with the French units (ko, Mo, Go, To) and a decimal comma, as
French administrative software shows them. A code with no label here shows as « inconnu »
rather than leaking: ``test_labels`` checks that every enumerated code has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ged.domain.lifecycle import BindingTarget, NoDueDate, Phase
from ged.domain.model import DossierStatus, ExtractionStatus, Role
from ged.domain.retention import Duration, FinalAction, RuleCategory, StartEventKind
from ged.services.ports import TransferState

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
    Phase.CURRENT: "âge courant",
    Phase.INTERMEDIATE: "âge intermédiaire",
    Phase.DUE: "DUA échue",
    Phase.TRANSFERRING: "versement en cours",
    Phase.PERMANENT: "archives définitives (versé)",
    Phase.ELIMINATED: "éliminé",
}

FINAL_ACTIONS: Mapping[str, str] = {
    FinalAction.KEEP: "conservation définitive",
    FinalAction.DESTROY: "destruction",
    FinalAction.SORT: "tri",
    FinalAction.RESTRICT_ACCESS: "accès restreint",
    FinalAction.TRANSFER: "transfert",
    FinalAction.COPY: "copie",
}

TRANSFER_STATES: Mapping[str, str] = {
    TransferState.PREPARED: "préparé",
    TransferState.SENT: "envoyé",
    TransferState.ACKNOWLEDGED: "accusé de réception reçu",
    TransferState.ACCEPTED: "accepté",
    TransferState.ACCEPTED_WITH_WARNINGS: "accepté avec avertissements",
    TransferState.REJECTED: "refusé",
    TransferState.ERROR_SENDING: "échec de l'envoi",
    TransferState.ERROR_POLLING: "échec de l'interrogation",
    TransferState.ERROR_REPLY: "réponse illisible",
}

ROLES: Mapping[str, str] = {
    Role.AGENT: "agent",
    Role.RECORDS_OFFICER: "référent archives",
    Role.ARCHIVIST: "archiviste",
    Role.ADMIN: "administrateur",
    Role.APPLICATION: "client applicatif",
}

EXTRACTION: Mapping[str, str] = {
    ExtractionStatus.PENDING: "en attente de traitement",
    ExtractionStatus.DONE: "texte indexé",
    ExtractionStatus.FAILED: "texte illisible",
    ExtractionStatus.UNSUPPORTED: "texte non extrait pour ce format",
}

DOSSIER_STATUS: Mapping[str, str] = {
    DossierStatus.OPEN: "ouvert",
    DossierStatus.CLOSED: "clos",
}

CATEGORIES: Mapping[str, str] = {category: category.label_fr for category in RuleCategory}

RULE_ORIGINS: Mapping[str, str] = {
    BindingTarget.DOSSIER: "règle propre au dossier (dérogation)",
    BindingTarget.PLAN_NODE: "plan de classement",
    BindingTarget.DOCUMENT_TYPE: "type de document",
}

NO_DUE_REASONS: Mapping[str, str] = {
    NoDueDate.NO_APPRAISAL_RULE: "aucune règle de DUA ne s'applique",
    NoDueDate.UNLIMITED: "durée illimitée",
    NoDueDate.NO_DURATION: "règle sans durée",
    NoDueDate.MISSING_START_DATE: "date de départ inconnue",
    NoDueDate.BEYOND_CALENDAR: "au-delà du calendrier",
    NoDueDate.OPEN: "dossier encore ouvert",
}

START_EVENTS: Mapping[str, str] = {
    StartEventKind.DOSSIER_CLOSING: "clôture du dossier",
    StartEventKind.LAST_DOCUMENT: "date du document le plus récent",
    StartEventKind.BUSINESS_EVENT: "événement",
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
    return label(PHASES, code)


def final_action(code: object) -> str:
    return label(FINAL_ACTIONS, code)


def file_format(mime_type: str | None) -> str:
    base = (mime_type or "").split(";")[0].strip().lower()
    return FORMATS.get(base, "autre format")


def duration(value: Duration | None) -> str:
    """« 5 ans », « 6 mois », « immédiat » for zero, « illimitée »."""
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
    value = float(octets)
    for unit in ("Ko", "Mo", "Go", "To"):
        value /= 1024
        if value < 1024 or unit == "To":
            break
    text = f"{value:.1f}".replace(".", ",") if value < 10 else f"{value:.0f}"
    return f"{text.removesuffix(',0')} {unit}"


def count(n: int, singular: str, plural: str | None = None, none: str | None = None) -> str:
    """« 1 document », « 3 documents », « aucun document » (``none`` for a feminine word)."""
    if n == 0:
        return none or f"aucun {singular}"
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


FILTERS = {
    "phase": phase,
    "final_action": final_action,
    "file_format": file_format,
    "duration": duration,
    "day": day,
    "moment": moment,
    "size": size,
    "role": lambda code: label(ROLES, code),
    "transfer_state": lambda code: label(TRANSFER_STATES, code),
    "extraction": lambda code: label(EXTRACTION, code),
    "dossier_status": lambda code: label(DOSSIER_STATUS, code),
    "category": lambda code: label(CATEGORIES, code),
    "rule_origin": lambda code: label(RULE_ORIGINS, code),
    "no_due_reason": lambda code: label(NO_DUE_REASONS, code),
}
