"""``gedsae import --profile actes|… PATH``: one export of a business system, all or nothing.

A refused input exits with code 1 and lists every problem in French; the same input again
exits 0 and says it was already imported; other files under an already imported identifier
exit 4 (conflict).
"""

from __future__ import annotations

from pathlib import Path

import click

from ged.cli import Env, service_of
from ged.domain.inbound import PROFILE_LABELS, Profile
from ged.services import processing
from ged.services.inbound.importing import import_inbound
from ged.services.inbound.model import ImportRequest, ImportResult
from kernel.cli import run
from kernel.errors import GedsaeError


def import_profile(
    env: Env,
    profile: Profile,
    path: Path,
    service_seda: str,
    as_user: str,
    organisation: str | None,
    no_process: bool,
) -> None:
    from ged.bootstrap import build_inbound_setup

    setup = run(lambda: build_inbound_setup(env.settings))
    ctx = env.context()
    actor = run(lambda: env.principal(as_user, organisation))
    svc = service_of(env, actor, service_seda)
    request = ImportRequest(profile, path.absolute(), svc.id, path.name)
    result = run(lambda: import_inbound(ctx, setup, actor, request))
    report(result)
    if result.created and not no_process:
        for doc, _ in result.documents:
            try:
                processing.process(ctx, doc.id, 1)
            except GedsaeError as exc:  # filed and kept: `gedsae serve` takes it up again
                click.echo(f"identification/extraction reportée ({exc.code}) : {doc.id}", err=True)


def report(result: ImportResult) -> None:
    record = result.record
    what = PROFILE_LABELS[record.profile].capitalize()
    if result.created:
        click.echo(f"{what} {record.business_id} importé : dossier {record.dossier_id}")
    else:
        click.echo(
            f"{what} {record.business_id} déjà importé le {record.imported_at:%d/%m/%Y} : "
            f"dossier {record.dossier_id}, rien de nouveau"
        )
    for doc, filename in result.documents:
        kind = doc.metadata.document_type
        click.echo(f"  - {doc.id}  {kind:<24} {filename}")
    for link in result.links:
        click.echo(
            f"  délibération n° {link.number} (dossier de séance {link.seance_dossier_id}) "
            f"liée à l'acte du dossier {link.acte_dossier_id}"
        )
