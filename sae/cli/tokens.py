"""``gedsae-sae token create|list|revoke``: bearer tokens of GEDs and archivists."""

from __future__ import annotations

import json

import click

from kernel.cli import expiry_option, run
from kernel.oplog import LogSpec
from sae.cli.context import Instance, pass_instance
from sae.journal.log import record
from sae.tokens import issue_token, list_tokens, revoke_token


@click.group("token")
def token_group() -> None:
    """Jetons d'accès au dépôt (seule leur empreinte est conservée)."""


@token_group.command("create")
@click.argument("name")
@click.option("--organisation", default=None, help="Organisation (défaut : celle du dépôt)")
@click.option("--role", type=click.Choice(["transferring", "archivist"]), required=True)
@click.option(
    "--expires-at",
    default=None,
    help="Fin de validité, ISO 8601 (2027-01-31 ou 2027-01-31T18:00+01:00 ; UTC si sans fuseau)",
)
@pass_instance
def create(
    instance: Instance, name: str, organisation: str | None, role: str, expires_at: str | None
) -> None:
    """Crée un jeton (affiché une seule fois) pour un service versant ou un archiviste."""
    settings = instance.settings()
    org = organisation or settings.organisation
    expiry = expiry_option(expires_at)
    click.echo(run(lambda: issue_token(settings.home, org, role, name, expires_at=expiry)))


@token_group.command("list")
@pass_instance
def listing(instance: Instance) -> None:
    """Les jetons du dépôt (identifiant, titulaire, rôle, état ; jamais leur valeur), en JSON."""
    home = instance.settings().home
    click.echo(json.dumps(list_tokens(home), ensure_ascii=False, indent=2))


@token_group.command("revoke")
@click.argument("token_id")
@pass_instance
def revoke(instance: Instance, token_id: str) -> None:
    """Révoque un jeton : refusé dès la requête suivante, y compris par un dépôt en marche ;
    la révocation est inscrite au journal du dépôt."""
    db = instance.database()
    entry = run(lambda: revoke_token(instance.settings().home, token_id))
    details = {"name": entry["name"], "role": entry["role"]}
    spec = LogSpec("cli", "token.revoke", "token", token_id, entry["organisation"], details)
    record(db, spec)
    click.echo(f"Jeton {token_id} révoqué")
