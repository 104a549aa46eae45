"""``gedsae connectors``: the connectors of one organisation's archival agreements.

An organisation sees only its own agreements and the connectors they use
(``ged.services.connector_check``): another organisation's connector is as unknown as a missing
one. ``connectors check`` tests each one's reachability and credentials, and each agreement
against what its connector can deliver, and says precisely what is wrong (exit 0 only when
everything is fine).
"""

from __future__ import annotations

import sys

import click

from connectors.exchanges import offered
from ged.cli import Env, pass_env
from ged.cli_lifecycle import actor_options, principal_for
from ged.cli_transfers import setup_for
from ged.services.connector_check import ConnectorCheck, check_connectors, organisation_agreements
from kernel.cli import run


@click.group("connectors")
def connectors_group() -> None:
    """Connecteurs vers les services d'archives (config.toml, tables [connectors.NOM])."""


@connectors_group.command("list")
@actor_options
@pass_env
def connectors_list(env: Env, as_user: str, organisation: str | None) -> None:
    """Liste les connecteurs des accords de l'organisation, les accords qui les emploient et les
    échanges que chacun porte (versement, communication, restitution)."""
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    own = run(lambda: organisation_agreements(setup, env.context(), actor))
    users: dict[str, list[str]] = {}
    for name, agreement in sorted(own.items()):
        users.setdefault(agreement.connector, []).append(name)
    for name, agreements in sorted(users.items()):
        kind = setup.connector_kinds.get(name, "absent de config.toml")
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
    actor = principal_for(env, as_user, organisation)
    setup = setup_for(env)
    checks = run(lambda: check_connectors(setup, env.context(), actor, names))
    if not checks:
        click.echo("Aucun accord de versement pour cette organisation (clé organisation des "
                   "tables [agreements.NOM] de config.toml)")  # fmt: skip
        sys.exit(3)
    for check in checks:
        _echo(check)
    sys.exit(1 if any(c.failures for c in checks) else 0)


def _echo(check: ConnectorCheck) -> None:
    """One line for the connector, then one for each agreement that uses it."""
    if check.ok:
        details = " ".join(f"{k}={v}" for k, v in check.details.items())
        click.echo(f"{check.name} : OK {check.remote} {check.reason} {details}".rstrip())
    else:
        where = f" ({check.remote})" if check.remote else ""
        click.echo(f"{check.name} : ÉCHEC {check.code} : {check.reason}{where}")
    for agreement in check.agreements:
        name = agreement.agreement.name
        for issue in agreement.issues:
            click.echo(f"  accord {name} : ÉCHEC {issue.code} : {issue.message}")
        if agreement.ok:
            click.echo(f"  accord {name} : OK")
