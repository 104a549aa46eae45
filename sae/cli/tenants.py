"""``gedsae-sae tenants …`` and a tenant's setup: ``agreements``, ``referentials``,
``trust-anchors``, ``profiles`` (the same use cases as the platform API: ``sae.tenancy``).

Text output is French for operators; ``--json`` gives the API's forms to scripts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kernel.cli import run
from sae.cli.context import Instance, pass_instance, tenant_option
from sae.model import FileKind
from sae.tenancy import setup as tenant_setup
from sae.tenancy.legacy import import_config
from sae.tenancy.tenants import create_tenant, get_tenant, list_tenants, tenant_summary

ACTOR = "cli"
json_option = click.option("--json", "as_json", is_flag=True, help="Sortie JSON (scripts)")
file_argument = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group("tenants")
def tenants_group() -> None:
    """Locataires : les services d'archives que sert le dépôt."""


@tenants_group.command("create")
@click.argument("identifier")
@click.option("--name", required=True, help="Nom du service d'archives")
@click.option(
    "--storage-prefix", default=None, help="Dossier sur les offres (défaut : IDENTIFIANT/)"
)
@pass_instance
def create(instance: Instance, identifier: str, name: str, storage_prefix: str | None) -> None:
    """Crée un locataire (son identifiant SEDA de service d'archives)."""
    db = instance.database()
    made = run(
        lambda: create_tenant(db, identifier, name, actor=ACTOR, storage_prefix=storage_prefix)
    )
    click.echo(f"Locataire {made.identifier} créé (offres : {made.storage_prefix or 'racine'})")


@tenants_group.command("list")
@json_option
@pass_instance
def listing(instance: Instance, as_json: bool) -> None:
    """Les locataires du dépôt."""
    found = run(lambda: list_tenants(instance.database()))
    if as_json:
        _echo_json([tenant_summary(t) for t in found])
        return
    for tenant in found:
        where = tenant.storage_prefix or "racine"
        click.echo(f"{tenant.identifier}  {tenant.name}  (offres : {where})")


@tenants_group.command("show")
@click.argument("identifier")
@json_option
@pass_instance
def show(instance: Instance, identifier: str, as_json: bool) -> None:
    """Un locataire, ses accords de versement et ses fichiers importés."""
    db = instance.database()
    tenant = run(lambda: get_tenant(db, identifier))
    setup = tenant_setup.describe_setup(db, identifier)
    if as_json:
        _echo_json({**tenant_summary(tenant), **setup})
        return
    click.echo(
        f"{tenant.identifier}  {tenant.name}  (offres : {tenant.storage_prefix or 'racine'})"
    )
    for agreement in setup["agreements"]:
        agencies = ", ".join(agreement["transferring_agencies"])
        versions = ", ".join(agreement["seda_versions"])
        signed = " ; bordereau signé exigé" if agreement["signature_required"] else ""
        click.echo(f"  accord {agreement['identifier']} : {agencies} (SEDA {versions}){signed}")
    for file in setup["files"]:
        label = _FILE_LABELS[file["kind"]] + (f" {file['name']}" if file["name"] else "")
        click.echo(f"  {label} : SHA-256 {file['sha256']}")


@tenants_group.command("import-config")
@pass_instance
def import_legacy(instance: Instance) -> None:
    """Importe dans la base les accords, référentiels et certificats que sae.toml contenait
    (versions antérieures) ; il faut ensuite les retirer du fichier."""
    settings = instance.settings()
    opened = instance.repository(legacy_allowed=True)
    tenant = instance.tenant(None)
    done = run(lambda: import_config(opened.db, settings.legacy, settings.home, tenant))
    for line in done:
        click.echo(f"importé : {line}")
    if settings.legacy:
        keys = ", ".join(sorted(settings.legacy))
        click.echo(f"Retirez maintenant de sae.toml : {keys}")


_FILE_LABELS = {
    FileKind.AGENCIES.value: "référentiel des services",
    FileKind.RULES.value: "référentiel des règles",
    FileKind.TRUST_ANCHORS.value: "certificats de confiance",
    FileKind.SIGNATURE_ANCHORS.value: "autorités de confiance des signatures de documents",
    FileKind.PROFILE.value: "profil",
}


# -- a tenant's setup ----------------------------------------------------------------------------
@click.group("agreements")
def agreements_group() -> None:
    """Accords de versement d'un locataire."""


@agreements_group.command("put")
@click.argument("identifier")
@tenant_option
@click.option("--agency", "agencies", multiple=True, required=True, help="Service versant (répété)")
@click.option(
    "--seda", "versions", multiple=True, help="Version SEDA acceptée (répétée ; défaut : toutes)"
)
@click.option("--signature-required", is_flag=True, help="Bordereau signé exigé")
@click.option(
    "--profile", default=None, help="Nom d'un profil importé (gedsae-sae profiles import)"
)
@click.option("--profile-identifier", default=None, help="ArchivalProfile que le bordereau déclare")
@pass_instance
def put_agreement(
    instance: Instance,
    identifier: str,
    tenant: str | None,
    agencies: tuple[str, ...],
    versions: tuple[str, ...],
    signature_required: bool,
    profile: str | None,
    profile_identifier: str | None,
) -> None:
    """Ajoute ou remplace l'accord IDENTIFIANT (l'ArchivalAgreement des bordereaux)."""
    owner, db = instance.tenant(tenant), instance.database()

    def put() -> None:
        agreement = tenant_setup.agreement_of(
            owner,
            agencies,
            versions,
            signature_required=signature_required,
            profile=profile,
            profile_identifier=profile_identifier,
        )
        tenant_setup.put_agreement(db, owner, identifier, agreement, actor=ACTOR)

    run(put)
    click.echo(f"Accord {identifier} enregistré pour {owner}")


@agreements_group.command("remove")
@click.argument("identifier")
@tenant_option
@pass_instance
def remove_agreement(instance: Instance, identifier: str, tenant: str | None) -> None:
    """Retire un accord de versement."""
    owner, db = instance.tenant(tenant), instance.database()
    run(lambda: tenant_setup.remove_agreement(db, owner, identifier, actor=ACTOR))
    click.echo(f"Accord {identifier} retiré de {owner}")


def _import(
    instance: Instance, tenant: str | None, kind: FileKind, file: Path, name: str = ""
) -> None:
    owner, db = instance.tenant(tenant), instance.database()
    content = file.read_bytes()
    done = run(lambda: tenant_setup.import_file(db, owner, kind, content, actor=ACTOR, name=name))
    label = _FILE_LABELS[kind.value] + (f" {name}" if name else "")
    click.echo(f"{label} importé pour {owner} (SHA-256 {done.sha256})")


@click.command("referentials")
@click.argument("kind", type=click.Choice(["agencies", "rules"]))
@file_argument
@tenant_option
@pass_instance
def referentials(instance: Instance, kind: str, file: Path, tenant: str | None) -> None:
    """Importe le référentiel des services (agencies) ou des règles (rules), CSV de Vitam ;
    refusé en entier avec tous ses problèmes."""
    _import(instance, tenant, FileKind(kind), file)


@click.command("trust-anchors")
@file_argument
@tenant_option
@pass_instance
def trust_anchors(instance: Instance, file: Path, tenant: str | None) -> None:
    """Importe les certificats (PEM) des GED autorisées à signer les bordereaux."""
    _import(instance, tenant, FileKind.TRUST_ANCHORS, file)


@click.command("signature-anchors")
@file_argument
@tenant_option
@pass_instance
def signature_anchors(instance: Instance, file: Path, tenant: str | None) -> None:
    """Importe les autorités racines (PEM) contre lesquelles le dépôt vérifie de nouveau les
    signatures des documents versés."""
    _import(instance, tenant, FileKind.SIGNATURE_ANCHORS, file)


@click.command("profiles")
@click.argument("name")
@file_argument
@tenant_option
@pass_instance
def profiles(instance: Instance, name: str, file: Path, tenant: str | None) -> None:
    """Importe un profil d'archivage (RELAX NG) sous le nom NAME, que les accords citent."""
    _import(instance, tenant, FileKind.PROFILE, file, name)
