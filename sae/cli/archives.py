"""``gedsae-sae archives search|show|get``: the catalogue on the repository's host, in French
or as JSON (``--json``, the API's fields). ``get`` writes an object verified before its first
byte and re-hashed while written (``sae.storage.download``); a damaged copy leaves no file; the
download is in the access register.
Each reads one tenant's catalogue (``--tenant``, the default tenant when absent)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import click

from kernel.cli import run
from kernel.french import day, size
from sae import presentation
from sae.access.register import download_object
from sae.catalogue.search import archive_detail, search_archives
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.model import ArchiveQuery, CatalogueUnit, Principal, RuleRef
from sae.storage.download import verified_chunks


@click.group("archives")
def archives_group() -> None:
    """Catalogue des archives conservées : recherche, fiche, récupération vérifiée."""


@archives_group.command("search")
@click.argument("text", default="")
@tenant_option
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def search(
    instance: Instance,
    text: str,
    tenant: str | None,
    date_from: Any,
    date_to: Any,
    page: int,
    as_json: bool,
) -> None:
    """Recherche TEXT dans les intitulés et descriptions (accents et casse ignorés)."""
    org = instance.tenant(tenant)
    query = ArchiveQuery(org, text, date_from=_day(date_from), date_to=_day(date_to), page=page)
    found = run(lambda: search_archives(instance.database(), query))
    if as_json:
        items = [unit_fields(u) for u in found.units]
        click.echo(json.dumps({"items": items, "page": found.page, "more": found.has_more},
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    for unit in found.units:
        click.echo(f"{unit.archive_id}  {unit.title}  ({_level(unit)}{_dates(unit)})")
    more = " ; page suivante : --page " + str(page + 1) if found.has_more else ""
    click.echo(f"{len(found.units)} archive(s) trouvée(s){more}")


@archives_group.command("show")
@click.argument("archive_id")
@tenant_option
@click.option("--json", "as_json", is_flag=True)
@pass_instance
def show(instance: Instance, archive_id: str, tenant: str | None, as_json: bool) -> None:
    """La fiche d'une archive : description, sous-niveaux et fichiers."""
    org = instance.tenant(tenant)
    detail = run(lambda: archive_detail(instance.database(), org, archive_id))
    if as_json:
        data = {**unit_fields(detail.unit), "children": [unit_fields(c) for c in detail.children],
                "objects": [o.__dict__ for o in detail.objects]}  # fmt: skip
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    unit = detail.unit
    click.echo(f"{unit.title}\n  Identifiant : {unit.archive_id}\n  Niveau : {_level(unit)}")
    if unit.start_date:
        click.echo(f"  Dates : {_dates(unit).removeprefix(', ')}")
    if unit.originating_agency:
        click.echo(f"  Producteur : {unit.originating_agency}")
    click.echo(f"  DUA et sort final : {_dua(unit)}\n  Communicabilité : {_access(unit)}")
    click.echo(f"  Versement : {unit.message_identifier}, archivé le {day(unit.archived_at)}")
    for child in detail.children:
        click.echo(f"  Sous-niveau : {child.archive_id}  {child.title}")
    for obj in detail.objects:
        click.echo(f"  Fichier : {obj.object_id}  {obj.filename or obj.uri}  {size(obj.size)}")


@archives_group.command("get")
@click.argument("archive_id")
@click.argument("object_id")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Fichier à écrire (il ne doit pas exister)")  # fmt: skip
@tenant_option
@pass_instance
def get(
    instance: Instance, archive_id: str, object_id: str, output: Path, tenant: str | None
) -> None:
    """Écrit le fichier OBJECT_ID de l'archive, vérifié ; rien n'est écrit s'il est altéré."""
    if output.exists():
        raise click.UsageError(f"{output} existe déjà : choisissez un autre fichier")
    org = instance.tenant(tenant)
    opened = instance.repository()
    db, offers = opened.db, opened.storage.offers(org)
    who = Principal(org, "archivist", "gedsae-sae")  # on the repository's host
    found = run(lambda: download_object(db, who, archive_id, object_id, opened.config.clock()))
    run(lambda: write_verified(output, verified_chunks(offers, found)))
    click.echo(f"{output} écrit ({size(found.size)}, SHA-256 {found.sha256} vérifiée)")


def write_verified(output: Path, blocks: Iterable[bytes]) -> None:
    """Written beside ``output`` then renamed: a copy that proves damaged leaves no file."""
    partial = output.with_name(f".{output.name}.partiel")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for block in blocks:
                out.write(block)
        partial.rename(output)
    finally:
        partial.unlink(missing_ok=True)


def unit_fields(unit: CatalogueUnit) -> dict[str, Any]:
    fields = dict(unit.__dict__)
    fields.pop("titles", None)
    fields["rules"] = unit.rules.to_dict()
    fields["object_ids"] = list(unit.object_ids)
    fields["archived_at"] = unit.archived_at.isoformat()
    return fields


def _level(unit: CatalogueUnit) -> str:
    return presentation.filters()["level"](unit.description_level) or "niveau non précisé"


def _refs(rules: tuple[RuleRef, ...]) -> str:
    return ", ".join(
        r.rule_id + (f" à compter du {day(r.start_date)}" if r.start_date else "") for r in rules
    )


def _dua(unit: CatalogueUnit) -> str:
    rules = unit.rules
    final = presentation.filters()["final_action"](rules.final_action)
    text = " ; ".join(part for part in (_refs(rules.appraisal), final) if part)
    return (text + (" (règle du bordereau)" if rules.inherited else "")) if text else "aucune règle"


def _access(unit: CatalogueUnit) -> str:
    text = _refs(unit.rules.access)
    return (
        (text + (" (règle du bordereau)" if unit.rules.inherited else ""))
        if text
        else "aucune règle"
    )


def _dates(unit: CatalogueUnit) -> str:
    if not unit.start_date:
        return ""
    end = f" – {unit.end_date}" if unit.end_date and unit.end_date != unit.start_date else ""
    return f", {unit.start_date}{end}"


def _day(value: Any) -> date | None:
    return value.date() if value is not None else None
