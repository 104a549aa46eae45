"""``gedsae users``: the accounts people log in with to the web interface.

A password is never an argument (it would stay in the shell's history and in ``ps``): it is
typed at a prompt (twice), or read from a file (``--password-file``, first line), or absent
(``--no-password``: single sign-on only). Actions are taken by an administrator of the
organisation (``--as``, default ``admin``), as for every other command.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ged.cli import Env, pass_env
from ged.cli_lifecycle import actor_options, principal_for
from ged.domain.model import Role
from ged.presentation.labels import ROLES, label
from ged.services import accounts, roles
from kernel.cli import password_file_option, read_password, run

PERSON_ROLES = [r.value for r in Role if r is not Role.APPLICATION]


@click.group("users")
def users_group() -> None:
    """Comptes des personnes qui se connectent à l'interface web."""


@users_group.command("create")
@click.argument("login")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(PERSON_ROLES))
@click.option("--service", "services", multiple=True, help="Identifiant SEDA d'un service")
@click.option("--email", default=None, help="Adresse électronique (connexion unique OIDC)")
@password_file_option
@click.option("--no-password", is_flag=True, help="Sans mot de passe : connexion unique seulement")
@actor_options
@pass_env
def users_create(
    env: Env,
    login: str,
    roles: tuple[str, ...],
    services: tuple[str, ...],
    email: str | None,
    password_file: Path | None,
    no_password: bool,
    as_user: str,
    organisation: str | None,
) -> None:
    """Crée le compte de LOGIN (identifiant unique sur la plateforme)."""
    actor = principal_for(env, as_user, organisation)
    service_ids = run(lambda: accounts.services_named(env.context(), actor, services))
    person = accounts.NewPerson(
        login=login,
        roles=frozenset(Role(r) for r in roles),
        service_ids=service_ids,
        email=email,
        password=read_password(password_file, no_password),
    )
    created = run(lambda: accounts.create_person(env.context(), actor, person))
    how = "avec mot de passe" if created.account.password_hash else "sans mot de passe"
    click.echo(f"Compte « {login} » créé ({how}) : {created.principal.id}")


@users_group.command("set-password")
@click.argument("login")
@password_file_option
@actor_options
@pass_env
def users_set_password(
    env: Env, login: str, password_file: Path | None, as_user: str, organisation: str | None
) -> None:
    """Donne un nouveau mot de passe à LOGIN (et lève un verrouillage)."""
    actor = principal_for(env, as_user, organisation)
    password = read_password(password_file, no_password=False) or ""
    run(lambda: accounts.set_password(env.context(), actor, login, password))
    click.echo(f"Mot de passe de « {login} » changé")


@users_group.command("disable")
@click.argument("login")
@actor_options
@pass_env
def users_disable(env: Env, login: str, as_user: str, organisation: str | None) -> None:
    """Désactive LOGIN : sessions fermées et jetons refusés dès la requête suivante."""
    actor = principal_for(env, as_user, organisation)
    run(lambda: accounts.disable_account(env.context(), actor, login))
    click.echo(f"Compte « {login} » désactivé")


@users_group.command("grant")
@click.argument("login")
@click.argument("role", type=click.Choice(PERSON_ROLES))
@actor_options
@pass_env
def users_grant(env: Env, login: str, role: str, as_user: str, organisation: str | None) -> None:
    """Accorde ROLE à LOGIN (qui l'accorde et quand est conservé : visa des éliminations)."""
    actor = principal_for(env, as_user, organisation)
    run(lambda: roles.grant_role(env.context(), actor, login, Role(role)))
    click.echo(f"Rôle {label(ROLES, role)} accordé à « {login} »")


@users_group.command("revoke")
@click.argument("login")
@click.argument("role", type=click.Choice(PERSON_ROLES))
@actor_options
@pass_env
def users_revoke(env: Env, login: str, role: str, as_user: str, organisation: str | None) -> None:
    """Retire ROLE à LOGIN (l'accorder de nouveau sera un nouvel octroi, à sa nouvelle date)."""
    actor = principal_for(env, as_user, organisation)
    run(lambda: roles.revoke_role(env.context(), actor, login, Role(role)))
    click.echo(f"Rôle {label(ROLES, role)} retiré à « {login} »")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@actor_options
@pass_env
def users_list(env: Env, as_json: bool, as_user: str, organisation: str | None) -> None:
    """Liste les comptes de l'organisation : identifiant, rôles, état."""
    actor = principal_for(env, as_user, organisation)
    people = run(lambda: accounts.list_people(env.context(), actor))
    if as_json:
        rows = [
            {
                "login": p.account.login,
                "roles": sorted(r.value for r in p.principal.roles),
                "email": p.account.email,
                "password": p.account.password_hash is not None,
                "disabled": p.account.disabled_at is not None,
            }
            for p in people
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for p in people:
        state = "désactivé" if p.account.disabled_at else "actif"
        roles = ", ".join(sorted(label(ROLES, r) for r in p.principal.roles))
        click.echo(f"{p.account.login}  {roles}  {state}")
