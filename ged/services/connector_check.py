"""The organisation's archival agreements and the check of their connectors, for ``gedsae
connectors check`` and the administration pages alike.

An organisation sees only its own agreements and the connectors they use
(``ged.services.agreements``): another organisation's connector is as unknown as a missing one.
Each connector is built from its ``[connectors.NAME]`` table and asked whether its repository is
reachable and takes our credentials (``Connector.check``); each agreement is checked against
what its connector can deliver (``connectors.base.PackageRules``), so a configuration mistake is
found before any transfer, never taken for a rejection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from connectors.base import ConnectorError, HealthReport
from connectors.config import KINDS, package_rules
from ged.domain.access import Principal
from ged.services.agreements import Agreement, AgreementMisconfigured, agreements_of, ensure_fits
from ged.services.context import Context
from ged.services.lifecycle import RUNNERS
from ged.services.transfer_setup import TransferSetup, close_connector, organisation_of
from kernel.errors import Issue


@dataclass(frozen=True)
class AgreementCheck:
    agreement: Agreement
    issues: list[Issue]  # empty: the connector can deliver what the agreement asks

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class ConnectorCheck:
    """One connector: reachable with our credentials, or what is wrong (``code``, ``reason``);
    then each of the organisation's agreements that use it."""

    name: str
    kind: str | None  # None: absent from config.toml
    ok: bool
    code: str
    reason: str
    remote: str = ""  # the address checked, never with credentials; "" when never built
    details: Mapping[str, str] = field(default_factory=dict)
    agreements: list[AgreementCheck] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (not self.ok) + sum(not a.ok for a in self.agreements)


def organisation_agreements(
    setup: TransferSetup | None, ctx: Context, actor: Principal
) -> dict[str, Agreement]:
    """The agreements of the actor's organisation, by name (none when no agreement is
    configured on the instance)."""
    actor.ensure_role(*RUNNERS)
    if setup is None:
        return {}
    return agreements_of(setup.agreements, organisation_of(ctx, actor.organisation_id))


def check_connectors(
    setup: TransferSetup | None, ctx: Context, actor: Principal, names: Iterable[str] = ()
) -> list[ConnectorCheck]:
    """Each connector ``names`` (by default every one the organisation's agreements use)."""
    own = organisation_agreements(setup, ctx, actor)
    used = {a.connector for a in own.values()}
    checks = []
    for name in list(names) or sorted(used):
        if setup is None or name not in used:
            checks.append(_unknown(name))
            continue
        mine = sorted((a for a in own.values() if a.connector == name), key=lambda a: a.name)
        checks.append(_check(setup, name, mine))
    return checks


def _unknown(name: str) -> ConnectorCheck:
    reason = f"connecteur {name} absent de config.toml ou d'aucun accord de l'organisation"
    return ConnectorCheck(name, None, False, "connector_not_found", reason)


def _check(setup: TransferSetup, name: str, agreements: list[Agreement]) -> ConnectorCheck:
    kind = setup.connector_kinds.get(name)
    report = _report(setup, name)
    checked = [_fits(a, kind) for a in agreements] if kind in KINDS else []
    return ConnectorCheck(
        name,
        kind,
        report.ok,
        report.code,
        report.reason,
        report.remote,
        report.details,
        checked,
    )


def _report(setup: TransferSetup, name: str) -> HealthReport:
    """The connector's own answer; one that cannot be built says why, with its code."""
    try:
        connector = setup.connector(name)
    except ConnectorError as exc:
        return HealthReport.failed(name, "", exc)
    try:
        return connector.check()
    finally:
        close_connector(connector)


def _fits(agreement: Agreement, kind: str | None) -> AgreementCheck:
    try:
        ensure_fits(agreement, package_rules(str(kind)))
    except AgreementMisconfigured as exc:
        return AgreementCheck(agreement, exc.issues)
    return AgreementCheck(agreement, [])
