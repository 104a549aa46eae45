"""``gedsae-sae audit|seal|log verify``: a tenant's copies and operation log, checked and
sealed (``--all-tenants``: every tenant's, one after the other); ``gedsae-sae objects
eliminate``: an object's copies removed once its elimination is decided."""

from __future__ import annotations

import json
import sys
from functools import partial
from typing import Any

import click

from kernel.cli import fail, run
from kernel.errors import InvalidError
from sae.bootstrap import Repository
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.journal.checkpoints import Sealing
from sae.journal.checkpoints import seal as seal_log
from sae.journal.log import log_audit
from sae.journal.verification import verify_with_checkpoints
from sae.model import SealedCheckpoint
from sae.review.elimination import eliminate_object
from sae.storage.audit import AuditReport
from sae.storage.audit import audit as audit_offers
from sae.tenancy.tenants import list_tenants

every_option = click.option("--all-tenants", is_flag=True, help="Tous les locataires")


def _tenants(instance: Instance, tenant: str | None, every: bool) -> list[str]:
    if every:
        return [t.identifier for t in run(lambda: list_tenants(instance.database()))]
    return [instance.tenant(tenant)]


@click.command("audit")
@click.option("--no-repair", is_flag=True, help="Constater seulement, sans réparer")
@click.option("--json", "as_json", is_flag=True)
@tenant_option
@every_option
@pass_instance
def audit(
    instance: Instance, no_repair: bool, as_json: bool, tenant: str | None, all_tenants: bool
) -> None:
    """Recalcule l'empreinte de chaque copie ; répare depuis une copie vérifiée (code 1 si
    une anomalie subsiste)."""
    reports = {
        t: _audit(instance, t, repair=not no_repair)
        for t in _tenants(instance, tenant, all_tenants)
    }
    if as_json:
        data: Any = (
            next(iter(reports.values())).to_dict()
            if len(reports) == 1 and not all_tenants
            else {t: r.to_dict() for t, r in reports.items()}
        )
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for name, report in reports.items():
            _print_report(name, report)
    sys.exit(0 if all(r.clean for r in reports.values()) else 1)


def _audit(instance: Instance, tenant: str, *, repair: bool) -> AuditReport:
    opened = instance.repository()
    offers = run(lambda: opened.storage.offers(tenant))
    spool = opened.config.spool_dir
    report = audit_offers(offers.offers, offers.registry, repair=repair, spool_dir=spool)
    log_audit(opened.db, tenant, report)
    return report


def _print_report(tenant: str, report: AuditReport) -> None:
    data = report.to_dict()
    click.echo(f"{tenant} : {data['objects_checked']} objets contrôlés")
    for finding in data["findings"]:
        click.echo(f"  - {finding['code']} {finding.get('object_id') or ''} : {finding['message']}")


@click.command("seal")
@tenant_option
@every_option
@pass_instance
def seal(instance: Instance, tenant: str | None, all_tenants: bool) -> None:
    """Scelle le journal du locataire : point de contrôle signé, écrit sur chaque offre."""
    opened = instance.repository()
    sealing = opened.config.sealing
    if sealing is None:
        fail(SealingNotConfigured("aucune clé de scellement (gedsae-sae init)"))
    owners = _tenants(instance, tenant, all_tenants)
    sealed = {owner: run(partial(_seal, opened, owner, sealing)).to_dict() for owner in owners}
    data = next(iter(sealed.values())) if len(sealed) == 1 and not all_tenants else sealed
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _seal(opened: Repository, tenant: str, sealing: Sealing) -> SealedCheckpoint:
    return seal_log(opened.db, tenant, opened.storage.offers(tenant), sealing)


class SealingNotConfigured(InvalidError):
    code = "sae_misconfigured"


@click.group("log")
def log_group() -> None:
    """Journal des opérations du dépôt."""


@log_group.command("verify")
@tenant_option
@pass_instance
def verify(instance: Instance, tenant: str | None) -> None:
    """Vérifie la chaîne du journal du locataire et chaque point de contrôle scellé (code 1
    sinon)."""
    opened, owner = instance.repository(), instance.tenant(tenant)
    sealing = opened.config.sealing
    anchors = sealing.anchors() if sealing is not None else ()
    offers = run(lambda: opened.storage.offers(owner))
    report = verify_with_checkpoints(opened.db, owner, offers, anchors)
    if report.ok:
        click.echo(f"Journal du dépôt intègre (chaîne et points de contrôle scellés) : {owner}")
        return
    for finding in report.to_dict().get("findings", []):
        click.echo(f"Journal du dépôt : {finding}", err=True)
    sys.exit(1)


@click.group("objects")
def objects_group() -> None:
    """Objets conservés sur les offres de stockage."""


@objects_group.command("eliminate")
@click.argument("object_id")
@click.option("--actor", default="sae", show_default=True, help="Qui élimine (journal)")
@tenant_option
@pass_instance
def eliminate(instance: Instance, object_id: str, actor: str, tenant: str | None) -> None:
    """Supprime l'objet (empreinte SHA-256) de toutes les offres, une fois son élimination
    décidée ; refusé tant qu'une offre le verrouille (S3 Object Lock)."""
    who = instance.tenant(tenant)
    opened = instance.repository()
    offers = run(lambda: opened.storage.offers(who))
    run(lambda: eliminate_object(opened.db, offers, who, object_id, actor=actor))
    click.echo(f"Objet {object_id} éliminé de toutes les offres ({len(offers.offers)})")
