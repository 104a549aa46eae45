"""``gedsae connectors``: the connectors of one organisation's archival agreements.

An organisation sees only its own agreements and the connectors they use (``ged.services.
agreements``): another organisation's connector is as unknown as a missing one. ``connectors
check`` tests each one's reachability and credentials, and each agreement against what its
connector can deliver, and says precisely what is wrong (exit 0 only when everything is fine).
"""

from __future__ import annotations

import sys
from functools import partial

import click

from connectors.exchanges import offered
from ged.cli import Env, pass_env
from ged.cli_lifecycle import actor_options, principal_for
from ged.cli_transfers import setup_for
from ged.domain.access import Principal
from ged.services.agreements import (
    Agreement,
    AgreementMisconfigured,
    agreements_of,
    ensure_fits,
)
from ged.services.transfer_setup import organisation_of
from kernel.cli import run


@click.group("connectors")
def connectors_group() -> None:
    """Connecteurs vers les services d'archives (config.toml, tables [connectors.NOM])."""


def own_agreements(env: Env, as_user: str, organisation: str | None) -> dict[str, Agreement]:
    """The agreements of the caller's organisation, by name."""
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    owner = run(lambda: organisation_of(env.context(), actor.organisation_id))
    return agreements_of(setup.agreements, owner)


@connectors_group.command("list")
@actor_options
@pass_env
def connectors_list(env: Env, as_user: str, organisation: str | None) -> None:
    """Liste les connecteurs des accords de l'organisation, les accords qui les emploient et les
    échanges que chacun porte (versement, communication, restitution)."""
    users: dict[str, list[str]] = {}
    for name, agreement in sorted(own_agreements(env, as_user, organisation).items()):
        users.setdefault(agreement.connector, []).append(name)
    for name, agreements in sorted(users.items()):
        kind = env.settings.connectors.get(name, {}).get("kind", "absent de config.toml")
        click.echo(f"{name}  ({kind})  {', '.join(agreements)}  — {offered(kind)}")


@connectors_group.command("check")
@click.argument("names", nargs=-1)
@actor_options
@pass_env
def connectors_check(
    env: Env, names: tuple[str, ...], as_user: str, organisation: str | None
) -> None:
    """Teste joignabilité et identifiants de chaque connecteur des accords de l'organisation
    (ceux nommés, tous par défaut), et chaque accord contre les règles de son connecteur."""
    own = own_agreements(env, as_user, organisation)
    actor = principal_for(env, as_user, organisation)
    used = {a.connector for a in own.values()}
    wanted = names or tuple(sorted(used))
    if not wanted:
        click.echo("Aucun accord de versement pour cette organisation (clé organisation des "
                   "tables [agreements.NOM] de config.toml)")  # fmt: skip
        sys.exit(3)
    failures = 0
    for name in wanted:
        if name not in used:
            click.echo(f"{name} : ÉCHEC connector_not_found : connecteur {name} absent de "
                       "config.toml ou d'aucun accord de l'organisation")  # fmt: skip
            failures += 1
            continue
        failures += _check(env, name)
        mine = [a for a in own.values() if a.connector == name]
        failures += _check_agreements(env, actor, name, mine)
    sys.exit(1 if failures else 0)


def _check_agreements(env: Env, actor: Principal, name: str, agreements: list[Agreement]) -> int:
    """Each agreement against what its connector can deliver (``connectors.base.PackageRules``)
    and its ``rules`` table against the rules in use: a mistake there is a configuration error
    found before any transfer."""
    from connectors.config import KINDS, package_rules
    from ged.services.agreement_rules import rule_table_issues

    kind = str(env.settings.connectors.get(name, {}).get("kind"))
    if kind not in KINDS:
        return 0  # the connector's own line already says its kind is unknown
    failures = 0
    for agreement in sorted(agreements, key=lambda a: a.name):
        try:
            ensure_fits(agreement, package_rules(kind))
            issues = run(partial(rule_table_issues, env.context(), actor, agreement))
        except AgreementMisconfigured as exc:
            issues = exc.issues
        for issue in issues:
            click.echo(f"  accord {agreement.name} : ÉCHEC {issue.code} : {issue.message}")
        failures += bool(issues)
        if not issues:
            click.echo(f"  accord {agreement.name} : OK")
    return failures


def _check(env: Env, name: str) -> int:
    """One connector: built from its table, then asked; how many lines failed."""
    from connectors.config import ConnectorMisconfigured
    from ged.bootstrap import build_connector

    try:
        connector = build_connector(env.settings, name)
        try:
            report = connector.check()
        finally:
            close = getattr(connector, "close", None)
            if close is not None:
                close()
    except ConnectorMisconfigured as exc:
        click.echo(f"{name} : ÉCHEC {exc.code} : {exc}")
        return 1
    if report.ok:
        details = " ".join(f"{k}={v}" for k, v in report.details.items())
        click.echo(f"{name} : OK {report.remote} {report.reason} {details}".rstrip())
        return 0
    click.echo(f"{name} : ÉCHEC {report.code} : {report.reason} ({report.remote})")
    return 1
