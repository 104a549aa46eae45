"""Archival agreements (accords de versement): the ``[agreements.NAME]`` tables of
``config.toml``, each saying to which repository one organisation sends, through which
configured connector, in which SEDA version, with which profile and signature.

Isolation between organisations is absolute (``ged.domain.access``): an agreement belongs to
one organisation (``organisation``: its name, or its identifier) and optionally to some of its
services (``services``: their SEDA identifiers). Another organisation's agreement answers
exactly like a missing one (404), and is never listed to it; a transfer under an agreement
limited to some services takes only those services' dossiers. An agreement without
``organisation`` is refused when the configuration is loaded, naming the agreement: guessing its
owner (even "the only organisation there is") would hand its repository credentials to the next
organisation created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.base import PackageRules
from ged.domain.access import Principal
from ged.domain.model import Organisation
from ged.services.context import Context
from kernel.errors import InvalidError, Issue, NotFoundError
from seda.sip import SipLayout
from seda.versions import ALL_VERSIONS, AnyVersion, SedaVersion, any_version

DEFAULT_GIVE_UP = timedelta(days=30)
# every key an [agreements.NAME] table may hold (``from_table`` reads these and no other)
OPTIONS = frozenset(
    {
        "organisation",
        "services",
        "connector",
        "seda_version",
        "archival_agency",
        "transferring_agency",
        "archival_agreement",
        "archival_profile",
        "sign_package",
        "purge",
        "sip_layout",
        "give_up_after_hours",
        "rules",
    }
)


class AgreementNotFound(NotFoundError):
    code = "agreement_not_found"
    title = "Accord de versement inconnu"


class AgreementMisconfigured(InvalidError):
    code = "agreement_misconfigured"
    title = "Accord de versement mal configuré"


@dataclass(frozen=True)
class Agreement:
    """One ``[agreements.NAME]`` table."""

    name: str
    connector: str  # a [connectors.NAME] table
    seda_version: AnyVersion  # 1.0 where the connector's repository takes it (As@lae)
    archival_agency: str
    transferring_agency: str
    organisation: str  # the owning organisation's name (or identifier)
    services: frozenset[str] = frozenset()  # SEDA identifiers of its services; empty: all
    archival_agreement: str | None = None  # the ArchivalAgreement identifier in the manifest
    archival_profile: str | None = None  # the ArchivalProfile identifier in the manifest
    sign_package: bool = True  # Vitam refuses a second root file: false for Vitam
    purge: bool = False  # remove local content after a verified positive reply
    sip_layout: SipLayout = SipLayout.CONTENT  # flat for Maarch RM (it flattens folders)
    give_up_after: timedelta = DEFAULT_GIVE_UP
    # our rule codes -> the repository's (``[agreements.NAME.rules]``); None: sent as they are
    rules: Mapping[str, str] | None = None

    def belongs_to(self, organisation: Organisation) -> bool:
        return self.organisation in (organisation.name, organisation.id)

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, Any]) -> Agreement:
        """The agreement; every wrong or missing option is listed in one refusal."""
        read = _Table(name, table)
        versions, layouts = [v.value for v in ALL_VERSIONS], [v.value for v in SipLayout]
        agreement = cls(
            name=name,
            connector=read.text("connector"),
            seda_version=any_version(read.choice("seda_version", versions, SedaVersion.V2_1.value)),
            archival_agency=read.text("archival_agency"),
            transferring_agency=read.text("transferring_agency"),
            organisation=read.text("organisation", "nom de l'organisation"),
            services=read.names("services"),
            archival_agreement=read.optional_text("archival_agreement"),
            archival_profile=read.optional_text("archival_profile"),
            sign_package=read.flag("sign_package", True),
            purge=read.flag("purge", False),
            sip_layout=SipLayout(read.choice("sip_layout", layouts, "content", required=False)),
            give_up_after=timedelta(hours=read.hours("give_up_after_hours", DEFAULT_GIVE_UP)),
            rules=read.mapping("rules"),
        )
        if read.issues:
            keys = ", ".join(i.path or "" for i in read.issues)
            raise AgreementMisconfigured(
                f"Accord {name} : options invalides ou manquantes : {keys}", issues=read.issues
            )
        return agreement


class DossierOutsideAgreement(InvalidError):
    code = "dossier_outside_agreement"
    title = "Dossier hors des services de l'accord de versement"


def covered_services(ctx: Context, actor: Principal, agreement: Agreement) -> frozenset[str] | None:
    """The ids of the services ``agreement`` is limited to; None when it covers them all."""
    if not agreement.services:
        return None
    with ctx.uow() as uow:
        found = uow.repo.list_services(actor.organisation_id)
    return frozenset(s.id for s in found if s.seda_identifier in agreement.services)


def ensure_within(
    ctx: Context,
    actor: Principal,
    agreement: Agreement,
    dossier_ids: list[str],
    services: frozenset[str] | None,
) -> None:
    if services is None:
        return
    with ctx.uow() as uow:
        dossiers = [uow.repo.get_dossier(d) for d in dossier_ids]
    outside = [
        Issue("dossier_outside_agreement", f"dossier {d.id} hors des services de l'accord")
        for d in dossiers
        if d is not None and d.organisation_id == actor.organisation_id
        if d.service_id not in services
    ]
    if outside:
        raise DossierOutsideAgreement(
            f"L'accord {agreement.name} ne couvre que les services "
            f"{', '.join(sorted(agreement.services))}",
            issues=outside,
        )


def ensure_fits(agreement: Agreement, rules: PackageRules) -> None:
    """A configuration error (422, every problem listed), before anything is built or sent:
    the agreement asks for a package its connector cannot deliver (``connectors.base.
    PackageRules``: a signature beside Vitam's manifest, SEDA 2.3 for As@lae...)."""
    problems = rules.problems(agreement.seda_version, agreement.sign_package, agreement.sip_layout)
    if problems:
        raise AgreementMisconfigured(
            f"Accord {agreement.name} : incompatible avec son connecteur {agreement.connector} "
            f"({rules.remote}) ; rien n'a été envoyé",
            issues=[Issue("agreement_connector_mismatch", why, path=key) for key, why in problems],
        )


def agreements_of(
    agreements: Mapping[str, Agreement], organisation: Organisation
) -> dict[str, Agreement]:
    """The organisation's own agreements, by name."""
    return {name: a for name, a in agreements.items() if a.belongs_to(organisation)}


def agreement_of(
    agreements: Mapping[str, Agreement], name: str, organisation: Organisation
) -> Agreement:
    """The organisation's agreement ``name``; another organisation's is as unknown as a missing
    one, and the message lists only the organisation's own."""
    own = agreements_of(agreements, organisation)
    found = own.get(name)
    if found is None:
        known = ", ".join(sorted(own)) or "aucun"
        raise AgreementNotFound(
            f"Accord de versement {name} inconnu (accords de l'organisation : {known})"
        )
    return found


class _Table:
    """Typed reads of one agreement table: a wrong value is noted (key and what is expected)
    and a stand-in returned, so that every problem is reported at once."""

    def __init__(self, name: str, table: Mapping[str, Any]) -> None:
        self.name, self.table = name, table
        self.issues: list[Issue] = []

    def wrong(self, key: str, expected: str) -> None:
        self.issues.append(
            Issue("agreement_option_invalid", f"{key} : {expected} attendu", path=key)
        )

    def text(self, key: str, expected: str = "texte non vide") -> str:
        value = self.table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.wrong(key, expected)
            return ""
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.table.get(key) is None else self.text(key)

    def names(self, key: str) -> frozenset[str]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.wrong(key, "liste d'identifiants SEDA de services")
            return frozenset()
        return frozenset(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.wrong(key, "true ou false")
            return default
        return value

    def choice(self, key: str, allowed: list[str], fallback: str, *, required: bool = True) -> str:
        value = self.table.get(key, None if required else fallback)
        if value not in allowed:
            self.wrong(key, " ou ".join(allowed))
            return fallback
        return str(value)

    def mapping(self, key: str) -> dict[str, str] | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping) or not all(
            isinstance(v, str) and v.strip() for v in value.values()
        ):
            self.wrong(key, "table « code de la GED » = « identifiant du service d'archives »")
            return None
        return {str(k): str(v).strip() for k, v in value.items()}

    def hours(self, key: str, default: timedelta) -> float:
        value = self.table.get(key, default.total_seconds() / 3600)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.wrong(key, "nombre d'heures positif")
            return default.total_seconds() / 3600
        return float(value)
