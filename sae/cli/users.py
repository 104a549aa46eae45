"""``gedsae-sae users create|set-password|disable``: the people who log in to the repository's
pages (archivists, readers), each of one tenant (``--tenant``, the default tenant of
``sae.toml`` when absent), where their login is unique. Applications (the GEDs) keep their tokens (``gedsae-sae token``).

A password is read from ``--password-file`` (first line) or typed twice at a hidden prompt,
never given as an argument; each change is written to the journal with ``cli`` as its actor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from kernel.accounts.passwords import Argon2Passwords
from kernel.cli import password_file_option, read_password, run
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.model import PERSON_ROLES
from sae.people.accounts import NewPerson, create_person, disable_account, set_password

ROLE_NAMES = {"archivist": "archiviste", "reader": "lecteur"}


def utc_now() -> datetime:
    return datetime.now(UTC)


@click.group("users")
def users_group() -> None:
    """Comptes des personnes qui se connectent aux pages du dépôt."""


@users_group.command("create")
@click.argument("login")
@click.option("--role", type=click.Choice(PERSON_ROLES), required=True)
@tenant_option
@click.option("--email", default=None, help="Adresse électronique (connexion unique OIDC)")
@password_file_option
@click.option("--no-password", is_flag=True, help="Sans mot de passe : connexion unique seulement")
@pass_instance
def create(
    instance: Instance,
    login: str,
    role: str,
    tenant: str | None,
    email: str | None,
    password_file: Path | None,
    no_password: bool,
) -> None:
    """Crée le compte de LOGIN : archiviste (contrôle, décide, vérifie) ou lecteur."""
    new = NewPerson(
        login, instance.tenant(tenant), role, email, read_password(password_file, no_password)
    )
    db = instance.database()
    run(lambda: create_person(db, Argon2Passwords(), utc_now, new, actor="cli"))
    how = "avec mot de passe" if new.password else "sans mot de passe"
    click.echo(f"Compte « {login} » créé ({ROLE_NAMES[role]}, {how})")


@users_group.command("set-password")
@click.argument("login")
@tenant_option
@password_file_option
@pass_instance
def new_password(
    instance: Instance, login: str, tenant: str | None, password_file: Path | None
) -> None:
    """Donne un nouveau mot de passe à LOGIN (et lève un verrouillage)."""
    password = read_password(password_file, no_password=False) or ""
    owner, db = instance.tenant(tenant), instance.database()
    run(lambda: set_password(db, Argon2Passwords(), owner, login, password, actor="cli"))
    click.echo(f"Mot de passe de « {login} » changé")


@users_group.command("disable")
@click.argument("login")
@tenant_option
@pass_instance
def disable(instance: Instance, login: str, tenant: str | None) -> None:
    """Désactive LOGIN : ses sessions ouvertes prennent fin dès sa requête suivante."""
    owner, db = instance.tenant(tenant), instance.database()
    run(lambda: disable_account(db, utc_now, owner, login, actor="cli"))
    click.echo(f"Compte « {login} » désactivé")
