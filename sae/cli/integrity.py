"""``gedsae-sae audit|seal|log verify``: the copies and the operation log, checked and sealed."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from kernel.cli import fail
from kernel.errors import InvalidError
from sae.cli.context import Instance, pass_instance
from sae.journal.checkpoints import seal as seal_log
from sae.journal.log import log_audit
from sae.journal.verification import verify_with_checkpoints
from sae.storage.audit import audit as audit_offers


@click.command("audit")
@click.option("--no-repair", is_flag=True, help="Constater seulement, sans réparer")
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def audit(instance: Instance, no_repair: bool, as_json: bool) -> None:
    """Recalcule l'empreinte de chaque copie ; répare depuis une copie vérifiée (code 1 si
    une anomalie subsiste)."""
    offers, spool = instance.config().offers, instance.settings().home / "spool"
    report = audit_offers(offers.offers, offers.registry, repair=not no_repair, spool_dir=spool)
    log_audit(instance.database(), report)
    data: dict[str, Any] = report.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{data['objects_checked']} objets contrôlés")
        for finding in data["findings"]:
            click.echo(
                f"  - {finding['code']} {finding.get('object_id') or ''} : {finding['message']}"
            )
    sys.exit(0 if report.clean else 1)


@click.command("seal")
@pass_instance
def seal(instance: Instance) -> None:
    """Scelle le journal du dépôt : point de contrôle signé, écrit sur chaque offre."""
    config = instance.config()
    if config.sealing is None:
        fail(SealingNotConfigured("aucune clé de scellement (gedsae-sae init)"))
    sealed = seal_log(instance.database(), config.offers, config.sealing)
    click.echo(json.dumps(sealed.to_dict(), ensure_ascii=False, indent=2, default=str))


class SealingNotConfigured(InvalidError):
    code = "sae_misconfigured"


@click.group("log")
def log_group() -> None:
    """Journal des opérations du dépôt."""


@log_group.command("verify")
@pass_instance
def verify(instance: Instance) -> None:
    """Vérifie la chaîne du journal et chaque point de contrôle scellé (code 1 sinon)."""
    config = instance.config()
    anchors = config.sealing.anchors() if config.sealing is not None else ()
    report = verify_with_checkpoints(instance.database(), config.offers, anchors)
    if report.ok:
        click.echo("Journal du dépôt intègre (chaîne et points de contrôle scellés)")
        return
    for finding in report.to_dict().get("findings", []):
        click.echo(f"Journal du dépôt : {finding}", err=True)
    sys.exit(1)
