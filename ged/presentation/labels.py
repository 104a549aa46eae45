"""The French words for every code that can reach a person: phases, final actions, transfer
states, roles, extraction status, rule categories and origins, reasons without a due date; and,
from the kernel's French (``kernel.french``, shared with the repository), dates
(« 6 décembre 2026 ») and sizes (« 1,5 Mo »).

People read French, never codes: the command line, the web pages and the slips show
``phase("intermediate")`` = « intermédiaire », never ``intermediate``; ``--json`` and the API
keep the codes for programs. A code with no word here shows as « inconnu » rather than
leaking; a unit test checks that every enumerated code of the domain has one.

This module depends on the domain only (tables are keyed by the codes' string values), so that
every face of the GED — and the services that print slips — can share it.
"""

from __future__ import annotations

from collections.abc import Mapping

from kernel.french import MONTHS as MONTHS
from kernel.french import PARIS as PARIS
from kernel.french import UNKNOWN as UNKNOWN
from kernel.french import code_of as code_of
from kernel.french import count as count
from kernel.french import day as day
from kernel.french import label as label
from kernel.french import moment as moment
from kernel.french import month as month
from kernel.french import size as size
from kernel.retention import Duration

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
