"""``gedsae-sae token create|list|revoke``: bearer tokens of GEDs, archivists and the platform's
administrators (``--platform``)."""

from __future__ import annotations

import json

import click

from kernel.cli import expiry_option, run
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.model import ROLES
from sae.tokens import issue_token, list_tokens, revoke_token, token_summary

ACTOR = "cli"
platform_option = click.option(
    "--platform", is_flag=True, help="Jeton de la plateforme (rôle platform_admin), sans locataire"
)


@click.group("token")
def token_group() -> None:
    """Jetons d'accès au dépôt (seule leur empreinte est conservée)."""


@token_group.command("create")
@click.argument("name")
@tenant_option
@platform_option
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--expires-at",
    default=None,
    help="Fin de validité, ISO 8601 (2027-01-31 ou 2027-01-31T18:00+01:00 ; UTC si sans fuseau)",
)
@pass_instance
def create(
    instance: Instance,
    name: str,
    tenant: str | None,
    platform: bool,
    role: str,
    expires_at: str | None,
) -> None:
    """Crée un jeton (affiché une seule fois) pour un service versant, un archiviste ou
    l'administrateur de la plateforme."""
    owner = None if platform else instance.tenant(tenant)
    expiry = expiry_option(expires_at)
    db = instance.database()
    token, _record = run(lambda: issue_token(db, owner, role, name, actor=ACTOR, expires_at=expiry))
    click.echo(token)


@token_group.command("list")
@tenant_option
@platform_option
@pass_instance
def listing(instance: Instance, tenant: str | None, platform: bool) -> None:
    """Les jetons du locataire (identifiant, titulaire, rôle, état ; jamais leur valeur), en
    JSON."""
    owner = None if platform else instance.tenant(tenant)
    found = run(lambda: list_tokens(instance.database(), owner))
    click.echo(json.dumps([token_summary(r) for r in found], ensure_ascii=False, indent=2))


@token_group.command("revoke")
@click.argument("token_id")
@tenant_option
@platform_option
@pass_instance
def revoke(instance: Instance, token_id: str, tenant: str | None, platform: bool) -> None:
    """Révoque un jeton : refusé dès la requête suivante, y compris par un dépôt en marche ;
    la révocation est inscrite au journal du locataire."""
    owner = None if platform else instance.tenant(tenant)
    db = instance.database()
    run(lambda: revoke_token(db, owner, token_id, actor=ACTOR))
    click.echo(f"Jeton {token_id} révoqué")
