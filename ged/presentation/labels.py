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
from datetime import date

from ged.domain.access import ROLE_NAMES
from ged.domain.communicability import access_wording
from ged.domain.retention import RetentionRule, StartEventKind
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
from kernel.retention import Deadline, Duration, NoEndDate

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

ROLES: Mapping[str, str] = {role.value: name for role, name in ROLE_NAMES.items()}

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

ITEM_STATUS: Mapping[str, str] = {
    "pending": "en attente",
    "eliminated": "éliminé",
    "skipped": "laissé",
}

# Why a dossier is in a proposal, then why an approved one was left (``EliminationBlocker``).
ITEM_OUTCOMES: Mapping[str, str] = {
    "dua_over_destroy": "DUA échue — destruction",
    "sorted_for_destruction": "tri : retenu pour destruction",
    "held": "gelé depuis le visa : un gel l'emporte toujours",
    "not_due": "n'est plus à la DUA échue",
    "not_destroy": "son sort final n'est plus la destruction",
    "rule_changed": "sa règle a changé depuis le visa : le visa ne vaut plus pour lui",
}

# The two-person rule of the visa (R212-14), said to the person who tried (``ged.domain.visa``).
VISA_REFUSALS: Mapping[str, str] = {
    "approval_by_author": (
        "Vous êtes l'auteur de cette proposition : le visa doit venir d'un autre archiviste."
    ),
    "approver_appointed_by_author": (
        "Votre rôle d'archiviste vous a été accordé par l'auteur de cette proposition : le visa "
        "doit venir d'un archiviste qu'il n'a pas nommé."
    ),
    "approver_role_too_recent": (
        "Votre rôle d'archiviste vous a été accordé après cette proposition : le visa doit venir "
        "d'un archiviste qui l'était déjà quand elle a été faite."
    ),
    "approver_not_archivist": "Seul un archiviste peut viser une élimination.",
    "approval_by_application": (
        "Un client applicatif ne peut pas viser une élimination : le visa vient d'une personne."
    ),
}

# The kinds of connectors to an archival repository (``connectors.config.KINDS``).
CONNECTOR_KINDS: Mapping[str, str] = {
    "sae_http": "dépôt gedsae (HTTP)",
    "vitam": "Vitam",
    "asalae": "As@lae",
    "maarch_rm": "Maarch RM",
    "drop_folder": "dossier de dépôt",
    "sftp": "dépôt SFTP",
}

# What a token is worth now (``ged.services.applications.TokenState``).
TOKEN_STATES: Mapping[str, str] = {
    "valid": "valide",
    "expired": "expiré",
    "revoked": "révoqué",
}

# Where a SIP's binaries lie (``seda.sip.SipLayout``).
SIP_LAYOUTS: Mapping[str, str] = {
    "content": "fichiers sous content/",
    "flat": "fichiers à côté du bordereau",
}

RULE_STATUS: Mapping[str, str] = {
    "current": "en vigueur",
    "superseded": "remplacée",
    "retired": "retirée",
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


def rule_duration(rule: RetentionRule) -> str:
    """« 75 ans », with the alternative the law gives some periods: « 75 ans, ou 25 ans à compter
    de la date du décès si ce délai est plus bref »."""
    alt = rule.alternative
    text = duration(rule.duration)
    if alt is None:
        return text
    other = access_wording(alt.duration, alt.start_event, None)
    return f"{text}, ou {other} si ce délai est plus bref"


def start_event(rule: RetentionRule) -> str:
    """What the rule counts from: « clôture du dossier », « date du décès »…"""
    event = rule.start_event
    if event is None:
        return "non précisé par la règle"
    if event.kind is StartEventKind.BUSINESS_EVENT:
        return event.name or START_EVENTS[event.kind]
    return label(START_EVENTS, event.kind)


def communicability(rule: RetentionRule | None, end: Deadline | None) -> str:
    """When a dossier becomes communicable (the end of its AccessRule), or why that cannot be
    said yet: « le 6 décembre 2026 », « non calculable : date de départ inconnue (date du
    décès) »."""
    if rule is None or end is None:
        return "aucun délai de communicabilité ne s'applique"
    if end.date is not None:
        return f"le {day(end.date)}"
    if end.reason is NoEndDate.UNLIMITED:
        return "jamais (incommunicable)"
    return f"non calculable : {label(NO_DUE_REASONS, end.reason)} ({start_event(rule)})"


def run_summary(as_of: date, examined: int, moves: int, held_back: int, dry_run: bool) -> str:
    """« Calcul au 15 janvier 2026 : 12 dossiers examinés, 3 changements de phase, 1 dossier
    retenu par un gel » — a pass of the lifecycle engine, or its simulation."""
    what = "Simulation au" if dry_run else "Calcul au"
    return (
        f"{what} {day(as_of)} : "
        f"{count(examined, 'dossier examiné', 'dossiers examinés')}, "
        f"{count(moves, 'changement de phase', 'changements de phase')}, "
        f"{count(held_back, 'dossier retenu', 'dossiers retenus')} par un gel"
    )
