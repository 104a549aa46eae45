"""The repository's French vocabulary for people (its pages and command line), on top of the
kernel's dates and sizes (``kernel.french``): transfer states, the severity of a check's issue,
the families of checks with what each one verifies, the final actions and description levels
of SEDA (SEDA 2.2 dictionary: ``FinalAction``, ``DescriptionLevel``), the roles of people."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from kernel.french import label
from sae.model import ArchivalAgreement, CheckIssue, Referential, Transfer

STATES: Final = {
    "received": "reçu, en cours de contrôle",
    "checked": "contrôlé",
    "awaiting_review": "en attente de décision",
    "accepting": "en cours d'archivage",
    "accepted": "accepté",
    "rejected": "refusé",
}
SEVERITIES: Final = {"fatal": "bloquant", "error": "bloquant", "warning": "avertissement"}
FINAL_ACTIONS: Final = {
    "Keep": "conservation définitive",
    "Destroy": "élimination",
    "RestrictAccess": "accès restreint",
    "Transfer": "transfert",
    "Copy": "copie",
}
LEVELS: Final = {
    "Fonds": "fonds",
    "Subfonds": "sous-fonds",
    "Class": "classe",
    "Collection": "collection",
    "Series": "série",
    "Subseries": "sous-série",
    "RecordGrp": "groupe de documents",
    "SubGrp": "sous-groupe de documents",
    "File": "dossier",
    "Item": "pièce",
    "OtherLevel": "autre niveau",
}
ACTIONS: Final = {
    "transfer.received": "versement reçu",
    "transfer.checked": "versement contrôlé",
    "transfer.accepted": "versement accepté",
    "transfer.rejected": "versement refusé",
    "audit.completed": "audit des copies",
    "log.sealed": "journal scellé",
    "token.create": "jeton créé",
    "token.import": "jeton importé",
    "token.revoke": "jeton révoqué",
    "tenant.created": "service d'archives ouvert sur la plateforme",
    "agreement.put": "accord de versement enregistré",
    "agreement.remove": "accord de versement retiré",
    "setup.file_imported": "référentiel, certificats ou profil importé",
    "account.create": "compte créé",
    "account.password": "mot de passe changé",
    "account.disable": "compte désactivé",
    "login.success": "connexion",
    "login.failure": "échec de connexion",
    "login.locked": "compte verrouillé",
    "login.refused": "connexion refusée",
    "logout": "déconnexion",
}
# What breaks a verification of the journal (``sae.journal.verification.CheckpointCode``).
FINDINGS: Final = {
    "log_chain_broken": "chaîne du journal rompue",
    "log_truncated": "journal tronqué après un scellement",
    "log_rewritten": "journal réécrit après un scellement",
    "checkpoint_signature_invalid": "signature d'un scellement invalide",
    "checkpoint_timestamp_invalid": "horodatage d'un scellement invalide",
    "checkpoint_unreadable": "scellement illisible sur les offres",
    "checkpoint_chain_broken": "suite des scellements rompue",
    "checkpoint_unrecorded": "scellement absent de l'index",
}
ROLES: Final = {
    "archivist": "archiviste",
    "reader": "lecteur",
    "transferring": "service versant",
    "platform_admin": "administrateur de la plateforme",
}


@dataclass(frozen=True)
class CheckFamily:
    """One family of checks as the review screen lists it: what it verifies, in French, and
    which issue codes belong to it."""

    name: str
    explanation: str
    owns: Callable[[str], bool]


def _codes(*prefixes: str) -> Callable[[str], bool]:
    return lambda code: code.startswith(prefixes)


# A signature's status (ETSI EN 319 102-1 indications), declared or found again at ingest.
SIGNATURE_STATUSES: Final = {
    "valid": "valide",
    "invalid": "invalide",
    "indeterminate": "indéterminée",
    "none": "aucune signature",
    "unchecked": "non vérifiée par le dépôt",
}
CHECK_FAMILIES: Final = (
    CheckFamily(
        "Paquet",
        "Le paquet s'ouvre sans risque : pas de chemin dangereux, de lien, de fichier chiffré "
        "ni de bombe de décompression.",
        _codes("sip_", "xml_", "input_", "manifest_unreadable"),
    ),
    CheckFamily(
        "Schéma SEDA",
        "Le bordereau est conforme au schéma XSD de sa version du SEDA.",
        _codes("xsd_", "seda_", "date_", "metadata_", "duplicate_id", "ref_"),
    ),
    CheckFamily(
        "Accord de versement",
        "L'en-tête correspond à l'envoi et à un accord de versement de ce dépôt (service "
        "versant, service d'archives, version du SEDA, empreinte annoncée du bordereau).",
        _codes(
            "archival_agreement",
            "archival_agency",
            "transferring_agency",
            "message_",
            "manifest_digest",
        ),
    ),
    CheckFamily(
        "Profil d'archivage",
        "Le bordereau déclare et respecte le profil d'archivage exigé par l'accord.",
        _codes("profile_", "archival_profile"),
    ),
    CheckFamily(
        "Empreintes et tailles",
        "Chaque fichier est présent, a la taille et l'empreinte que le bordereau déclare.",
        _codes("package_"),
    ),
    CheckFamily(
        "Vérification de signature",
        "Le dépôt vérifie lui-même la signature de chaque document dont le versant déclare un "
        "rapport de vérification, et compare son verdict au statut déclaré ; un écart est "
        "signalé, l'archiviste décide.",
        _codes("signature_discrepancy", "signature_report_"),
    ),
    CheckFamily(
        "Signature",
        "Le bordereau est signé par un certificat reconnu par ce dépôt, et la signature "
        "couvre exactement son contenu.",
        _codes("signature_"),
    ),
    CheckFamily(
        "Référentiels",
        "Les services et les règles cités sont connus des référentiels de l'organisation.",
        _codes("unknown_agency", "unknown_rule", "rule_"),
    ),
)
OTHER_CHECKS: Final = CheckFamily("Autres contrôles", "Contrôles complémentaires.", lambda _: True)


@dataclass(frozen=True)
class CheckResult:
    family: CheckFamily
    issues: list[CheckIssue]
    skipped: str = ""  # why this family had nothing to check (then it is not « conforme »)


def by_family(
    transfer: Transfer,
    agreement: ArchivalAgreement | None,
    referential: Referential | None,
) -> list[CheckResult]:
    """Every family with its issues (none: it passed, unless it had nothing to check); issues
    of no family come last."""
    grouped: dict[str, list[CheckIssue]] = {f.name: [] for f in (*CHECK_FAMILIES, OTHER_CHECKS)}
    for issue in transfer.issues:
        family = next((f for f in CHECK_FAMILIES if f.owns(issue.code)), OTHER_CHECKS)
        grouped[family.name].append(issue)
    skipped = _skipped(transfer, agreement, referential)
    found = [CheckResult(f, grouped[f.name], skipped.get(f.name, "")) for f in CHECK_FAMILIES]
    others = grouped[OTHER_CHECKS.name]
    return found + ([CheckResult(OTHER_CHECKS, others)] if others else [])


def _skipped(
    transfer: Transfer, agreement: ArchivalAgreement | None, referential: Referential | None
) -> dict[str, str]:
    """The families that verified nothing for this transfer, with the reason in French."""
    skipped = {}
    if transfer.signer is None:
        skipped["Signature"] = "bordereau non signé, aucune signature exigée par l'accord"
    if not transfer.signature_checks:
        skipped["Vérification de signature"] = "aucun document signé déclaré par le versant"
    if agreement is None or agreement.profile is None:
        skipped["Profil d'archivage"] = "aucun profil exigé par l'accord"
    if referential is None:
        skipped["Référentiels"] = "aucun référentiel configuré pour l'organisation"
    return skipped


def filters() -> Mapping[str, Callable[..., str]]:
    """The vocabulary as template filters: ``{{ transfer.state | state }}``…"""
    tables = {
        "state": STATES,
        "severity": SEVERITIES,
        "final_action": FINAL_ACTIONS,
        "level": LEVELS,
        "role": ROLES,
        "action": ACTIONS,
        "finding": FINDINGS,
        "signature_status": SIGNATURE_STATUSES,
    }
    return {name: (lambda code, t=table: label(t, code)) for name, table in tables.items()}
