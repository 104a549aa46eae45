"""The ``gedsae`` command line. Works from any directory: the instance is ``GEDSAE_HOME``.

Exit codes (``kernel.cli``): 0 success; 1 invalid input (and ``seda validate``: invalid); 2 usage
error; 3 not found; 4 conflict; 5 unavailable (database, storage; retry later); 6 authentication
or permission refused; 70 internal error. Errors are printed as « code: message ».
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import click

from ged.config import Settings, load_settings
from ged.domain.access import Principal
from ged.domain.inbound import Profile
from ged.domain.model import Role, Service
from ged.domain.search import SearchQuery
from ged.services import admin, documents, importer, pending
from ged.services.context import Context
from ged.services.oplog import verify_log
from ged.services.search import search_documents
from kernel.cli import expiry_option, fail, run
from kernel.errors import (
    GedsaeError,
    NotFoundError,
)

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

T = TypeVar("T")
ADMIN_NAME = "admin"


class Env:
    def __init__(self, home: Path | None) -> None:
        self.settings: Settings = run(lambda: load_settings(home))
        self._ctx: Context | None = None

    def context(self) -> Context:
        if self._ctx is None:
            from ged.bootstrap import build_context

            self._ctx = run(lambda: build_context(self.settings))
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.close()

    def principal(self, name: str, organisation: str | None) -> Principal:
        ctx = self.context()
        with ctx.uow() as uow:
            org = (
                uow.repo.find_organisation(organisation)
                if organisation
                else _first_organisation(uow)
            )
            found = uow.repo.find_principal(org.id, name) if org else None
        if found is None:
            raise NotFoundError(f"Utilisateur « {name} » introuvable")
        return found


def _first_organisation(uow: Any) -> Any:
    orgs = uow.repo.list_organisations()
    return orgs[0] if orgs else None


pass_env = click.make_pass_decorator(Env)


class LazyGroup(click.Group):
    """Command groups of other packages (the SEDA library, the schema installer) are imported
    only when used: the GED commands never depend on them loading."""

    lazy: ClassVar[dict[str, str]] = {
        "seda": "seda.cli:seda_group",
        "schemas": "schemas.cli:schemas_group",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup)
@click.option(
    "--home", type=click.Path(path_type=Path), envvar="GEDSAE_HOME", help="Dossier de l'instance"
)
@click.pass_context
def main(click_ctx: click.Context, home: Path | None) -> None:
    """gedsae — GED et archivage électronique (SEDA) pour les organismes publics."""
    env = Env(home)
    click_ctx.obj = env
    click_ctx.call_on_close(env.close)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@pass_env
def serve(env: Env, host: str | None, port: int | None) -> None:
    """Lance le serveur HTTP : l'interface web et l'API REST."""
    import os

    import uvicorn

    from ged.adapters.fixity.audit import audit_blobs
    from ged.api.app import create_app
    from ged.bootstrap import build_inbound_setup, build_transfer_setup, build_webhook_setup
    from ged.web.app import install
    from ged.web.setup import web_setup

    os.umask(0o077)  # whatever the server creates (spools, blobs, journals) is its own
    env.settings.host, env.settings.port = host or env.settings.host, port or env.settings.port
    setup = run(lambda: build_transfer_setup(env.settings))
    inbound = run(lambda: build_inbound_setup(env.settings))
    ctx, spool = env.context(), env.settings.home / "spool"
    app = create_app(
        ctx,
        setup,
        scheduler_interval=env.settings.transfer_poll_interval_s,
        audit=lambda stop: audit_blobs(ctx, spool, stop=stop).clean,
        audit_interval=env.settings.audit_interval_s,
        inbound=inbound,
        webhooks=build_webhook_setup(env.settings),
        webhook_interval=env.settings.webhook_interval_s,
    )
    install(app, run(lambda: web_setup(env.settings)))  # public_url defaults to host and port
    uvicorn.run(app, host=host or env.settings.host, port=port or env.settings.port)


@main.group()
def tokens() -> None:
    """Jetons d'accès."""


@tokens.command("create")
@click.argument("name")
@click.option("--organisation", default=None, help="Nom de l'organisation (défaut : la première)")
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.option("--service", "services", multiple=True, help="Identifiant SEDA d'un service")
@click.option("--application", is_flag=True, help="Client applicatif plutôt qu'utilisateur")
@click.option("--label", default="cli")
@click.option(
    "--expires-at",
    default=None,
    help="Fin de validité, ISO 8601 (2027-01-31 ou 2027-01-31T18:00+01:00 ; UTC si sans fuseau)",
)
@pass_env
def tokens_create(
    env: Env,
    name: str,
    organisation: str | None,
    roles: tuple[str, ...],
    services: tuple[str, ...],
    application: bool,
    label: str,
    expires_at: str | None,
) -> None:
    """Crée un jeton pour NAME (et crée NAME avec --role s'il n'existe pas)."""
    ctx = env.context()
    expiry = expiry_option(expires_at)

    def create() -> admin.IssuedToken:
        with ctx.uow() as uow:
            org = (
                uow.repo.find_organisation(organisation)
                if organisation
                else _first_organisation(uow)
            )
            if org is None:
                raise NotFoundError("Organisation introuvable")
            exists = uow.repo.find_principal(org.id, name)
            service_ids = set()
            for seda_id in services:
                svc = uow.repo.find_service(org.id, seda_id)
                if svc is None:
                    raise NotFoundError(f"Service « {seda_id} » introuvable")
                service_ids.add(svc.id)
        if exists:
            return admin.create_token(ctx, "cli", org.id, name, label, expiry)
        kind = "application" if application else "user"
        return admin.create_principal(
            ctx,
            "cli",
            org.id,
            name,
            {Role(r) for r in roles},
            service_ids,
            kind=kind,
            expires_at=expiry,
        )

    issued = run(create)
    click.echo(issued.token)


@tokens.command("list")
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_env
def tokens_list(env: Env, as_user: str, organisation: str | None, as_json: bool) -> None:
    """Liste les jetons de l'organisation (jamais leur valeur) : identifiant, titulaire, état."""
    actor = run(lambda: env.principal(as_user, organisation))
    views = run(lambda: admin.list_tokens(env.context(), actor))
    rows = [_token_row(v) for v in views]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "révoqué" if row["revoked_at"] else f"expire {row['expires_at'] or 'jamais'}"
        click.echo(f"{row['id']}  {row['principal']}  {row['label']}  {state}")


def _token_row(view: admin.TokenView) -> dict[str, Any]:
    t = view.token
    moments = {"created_at": t.created_at, "expires_at": t.expires_at, "revoked_at": t.revoked_at}
    return {
        "id": t.id,
        "principal": view.principal_name,
        "label": t.label,
        **{k: v.isoformat() if v else None for k, v in moments.items()},
    }


@tokens.command("revoke")
@click.argument("token_id")
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@pass_env
def tokens_revoke(env: Env, token_id: str, as_user: str, organisation: str | None) -> None:
    """Révoque un jeton : refusé dès la requête suivante, y compris par un serveur en marche."""
    actor = run(lambda: env.principal(as_user, organisation))
    revoked = run(lambda: admin.revoke_token(env.context(), actor, token_id))
    click.echo(f"Jeton {revoked.id} révoqué")


@main.group()
def services() -> None:
    """Services producteurs."""


@services.command("list")
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@click.option("--json", "as_json", is_flag=True, help="Format de l'API, pour les scripts")
@pass_env
def services_list(env: Env, as_user: str, organisation: str | None, as_json: bool) -> None:
    """Liste les services producteurs de l'organisation : identifiant SEDA, nom, identifiant."""
    actor = run(lambda: env.principal(as_user, organisation))
    found = run(lambda: admin.list_services(env.context(), actor))
    if as_json:
        shown = [{"id": s.id, "name": s.name, "seda_identifier": s.seda_identifier} for s in found]
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("Aucun service (gedsae services create NOM IDENTIFIANT_SEDA)")
    for svc in sorted(found, key=lambda s: s.seda_identifier):
        click.echo(f"{svc.seda_identifier}\t{svc.name}\t{svc.id}")


@services.command("create")
@click.argument("name")
@click.argument("seda_identifier")
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@pass_env
def services_create(
    env: Env, name: str, seda_identifier: str, as_user: str, organisation: str | None
) -> None:
    """Crée un service producteur (identifiant SEDA de l'OriginatingAgency)."""
    actor = run(lambda: env.principal(as_user, organisation))
    svc = run(lambda: admin.create_service(env.context(), actor, name, seda_identifier))
    click.echo(svc.id)


@main.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--service", "service_seda", required=True, help="Identifiant SEDA du service")
@click.option(
    "--profile",
    type=click.Choice([p.value for p in Profile]),
    default=None,
    help="Export d'un système métier : actes (TdT), parapheur (i-Parapheur), seance (web-delib)",
)
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@click.option(
    "--no-process",
    is_flag=True,
    help="Déposer seulement : identification, extraction et indexation du texte faites ensuite "
    "par gedsae serve",
)
@pass_env
def import_dir(
    env: Env,
    path: Path,
    service_seda: str,
    profile: str | None,
    as_user: str,
    organisation: str | None,
    no_process: bool,
) -> None:
    """Importe une arborescence (chaque dossier devient un dossier, chaque fichier un document),
    ou avec --profile l'export d'un système métier (dossier, zip ou tar.gz) : tout ou rien.

    Les fichiers sont d'abord déposés (durables, empreintes calculées, journalisés), puis leurs
    formats identifiés, leur texte extrait et indexé ; ce qui reste à faire après une
    interruption est repris par gedsae serve ou par l'import suivant."""
    if profile is not None:
        from ged.cli_inbound import import_profile

        import_profile(env, Profile(profile), path, service_seda, as_user, organisation, no_process)
        return
    if not path.is_dir():
        raise click.BadParameter(f"{path} n'est pas un dossier (ou précisez --profile)")
    started = time.monotonic()
    # The first files are staged while the command starts (imports, database, rights):
    # temp files only, removed if the import does not go ahead.
    with _deposit(env, path) as deposit:
        ctx = env.context()
        if not no_process:
            ctx.warm_up()  # the second stage's processes start while the files are deposited
        actor = run(lambda: env.principal(as_user, organisation))
        svc = service_of(env, actor, service_seda)
        total = importer.count_files(path)
        with click.progressbar(length=total, label="Dépôt", file=sys.stderr) as bar:
            step = _advance(bar)
            summary = run(
                lambda: importer.import_tree(
                    ctx, actor, path, svc.id, progress=lambda files, _: step(files), deposit=deposit
                )
            )
    elapsed = max(time.monotonic() - started, 1e-9)
    click.echo(
        f"{summary.files} fichiers déposés, {summary.bytes} octets, {summary.dossiers} dossiers "
        f"en {elapsed:.2f} s ({summary.bytes / elapsed / 1e6:.1f} Mo/s, "
        f"{summary.files / elapsed:.0f} fichiers/s)"
    )
    if summary.skipped:
        click.echo(f"{len(summary.skipped)} fichiers ignorés :")
        for skipped, reason in summary.skipped:
            click.echo(f"  - {skipped} : {reason}")
    if no_process:
        waiting = run(lambda: pending.count_pending(ctx))
        click.echo(f"{waiting} versions à identifier et indexer : gedsae serve s'en charge")
        return
    _process_pending(ctx)


def _deposit(env: Env, path: Path) -> importer.Deposit:
    from ged.adapters.blob_stores import make_blob_store

    store = run(lambda: make_blob_store(env.settings))
    return importer.Deposit(store, path, max_size=env.settings.max_upload_bytes)


def _advance(bar: ProgressBar[int]) -> Callable[[int], None]:
    """A progress callback: how many are done so far moves ``bar`` there."""
    last = [0]

    def moved_to(done: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    return moved_to


def _process_pending(ctx: Context) -> None:
    """The stage after the deposit: every pending version, this import's and any an earlier
    interruption left, identified, extracted and indexed."""
    started = time.monotonic()
    waiting = run(lambda: pending.count_pending(ctx))
    with click.progressbar(length=waiting, label="Indexation", file=sys.stderr) as bar:
        done = run(
            lambda: pending.process_pending(ctx, pending.IMPORT_BATCH, progress=_advance(bar))
        )
    elapsed = max(time.monotonic() - started, 1e-9)
    click.echo(f"{done} documents indexés en {elapsed:.2f} s ({done / elapsed:.0f} documents/s)")


def service_of(env: Env, actor: Principal, seda_identifier: str) -> Service:
    """The actor's organisation's service with this SEDA identifier (code 3 otherwise)."""
    with env.context().uow() as uow:
        svc = uow.repo.find_service(actor.organisation_id, seda_identifier)
    if svc is None:
        fail(NotFoundError(f"Service « {seda_identifier} » introuvable"))
    return svc


@main.command()
@click.argument("text", default="")
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_env
def search(
    env: Env, text: str, as_user: str, organisation: str | None, limit: int, as_json: bool
) -> None:
    """Recherche plein texte (titre, mots-clés, contenu)."""
    actor = run(lambda: env.principal(as_user, organisation))
    query = SearchQuery(organisation_id=actor.organisation_id, text=text, limit=limit)
    page = run(lambda: search_documents(env.context(), actor, query))
    for hit in page.hits:
        doc = hit.document
        if as_json:
            click.echo(json.dumps({"id": doc.id, "title": doc.metadata.title, "rank": hit.rank}))
        else:
            click.echo(f"{doc.id}  {doc.metadata.title}")


@main.command()
@click.argument("document_id")
@click.option("--version", type=int, default=None)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@pass_env
def get(
    env: Env,
    document_id: str,
    version: int | None,
    out: Path,
    as_user: str,
    organisation: str | None,
) -> None:
    """Écrit le contenu d'un document dans --out, vérifié contre ses empreintes (code 4 et
    rien d'écrit s'il est endommagé)."""
    from ged.adapters.fixity.verified_download import verified_blocks

    ctx = env.context()
    actor = run(lambda: env.principal(as_user, organisation))
    found, stream = run(lambda: documents.open_version(ctx, actor, document_id, version))
    blocks = verified_blocks(stream, found, documents.damage_recorder(ctx, actor, found))
    try:
        with out.open("wb") as target:
            for block in blocks:
                target.write(block)
    except GedsaeError as exc:
        if out.is_file():  # what was written of a damaged content goes (never /dev/null)
            out.unlink()
        fail(exc)
    click.echo(f"{out} ({found.size} octets, sha256 {found.sha256})")


@main.command()
@click.option("--no-repair", is_flag=True, help="Constater seulement, sans réparer")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def audit(env: Env, no_repair: bool, as_json: bool) -> None:
    """Recalcule les empreintes de chaque contenu (stockage et réplique), répare depuis une copie
    vérifiée, signale les contenus absents, altérés ou non référencés (code 1 si une anomalie
    subsiste)."""
    from ged.adapters.fixity.audit import audit_blobs

    spool = env.settings.home / "spool"
    report = run(lambda: audit_blobs(env.context(), spool, repair=not no_repair))
    data = report.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{data['blobs_checked']} contenus contrôlés")
        for finding in data["findings"]:
            where = f" [{finding['store']}]" if finding["store"] else ""
            click.echo(
                f"  - {finding['code']}{where} {finding['sha256'] or ''} : {finding['message']}"
            )
    sys.exit(0 if report.clean else 1)


@main.group()
def log() -> None:
    """Journal des opérations."""


@log.command("verify")
@pass_env
def log_verify(env: Env) -> None:
    """Vérifie le chaînage du journal ; nomme la première entrée altérée (code 1)."""
    report = run(lambda: verify_log(env.context()))
    if report.first_break is None:
        click.echo(f"Journal intègre : {report.entries} entrées, tête {report.head}")
        return
    bad = report.first_break
    click.echo(f"Journal altéré à l'entrée {bad.seq} ({bad.reason}) : {bad.message}", err=True)
    sys.exit(1)


# Creating the instance and telling whether it exists (ged/cli_instance.py).
LazyGroup.lazy.update({"init": "ged.cli_instance:init", "status": "ged.cli_instance:status"})
# Retention rules, holds, the lifecycle engine and eliminations (ged/cli_lifecycle.py).
LazyGroup.lazy.update(
    {n: f"ged.cli_lifecycle:{n}_group" for n in ("rules", "holds", "lifecycle", "eliminations")}
)
# Dossiers, their start events and the classification plan (ged/cli_dossiers.py, ged/cli_plan.py).
LazyGroup.lazy.update(
    {
        "dossiers": "ged.cli_dossiers:dossiers_group",
        "events": "ged.cli_dossiers:events_group",
        "plan": "ged.cli_plan:plan_group",
    }
)
# Transfers, connectors and exchanges (ged/cli_transfers.py, cli_connectors.py, cli_archives.py).
LazyGroup.lazy.update(
    {n: f"ged.cli_{n}:{n}_group" for n in ("transfers", "connectors", "archives")}
)
# Signature verification (ged/cli_signatures.py).
LazyGroup.lazy["signatures"] = "ged.cli_signatures:signatures_group"
# People's accounts for the web interface (ged/cli_users.py).
LazyGroup.lazy["users"] = "ged.cli_users:users_group"
