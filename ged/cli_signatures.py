"""``gedsae signatures``: verify again the signatures of filed documents (after the trust
anchors changed) and show what their reports now say."""

from __future__ import annotations

import json
import sys

import click

from ged.cli import ADMIN_NAME, Env, pass_env
from ged.domain.signatures import SignatureReport
from ged.services.signatures import reverify
from kernel.cli import run
from kernel.errors import InvalidError, Issue

LABELS = {
    "valid": "valide",
    "invalid": "invalide",
    "indeterminate": "indéterminée",
    "none": "aucune signature",
}


@click.group("signatures")
def signatures_group() -> None:
    """Vérification des signatures électroniques des documents."""


@signatures_group.command("verify")
@click.argument("document_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Tous les documents de l'organisation")
@click.option("--as", "as_user", default=ADMIN_NAME, show_default=True)
@click.option("--organisation", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_env
def verify(
    env: Env,
    document_id: str | None,
    everything: bool,
    as_user: str,
    organisation: str | None,
    as_json: bool,
) -> None:
    """Vérifie de nouveau les signatures de DOCUMENT (sa version courante) ou, avec --all, de
    chaque document de l'organisation, contre les certificats de confiance actuels."""
    if everything == (document_id is not None):
        run(lambda: _usage())
    ctx = env.context()
    actor = run(lambda: env.principal(as_user, organisation))
    results = run(lambda: reverify(ctx, actor, None if everything else document_id))
    for found, report in results:
        _show(found, report, as_json)
    if report_count := sum(1 for _, report in results if report is None):
        click.echo(f"{report_count} document(s) non vérifié(s) : aucun vérificateur", err=True)
        sys.exit(5)


def _usage() -> None:
    raise InvalidError(
        "Donner un identifiant de document, ou --all",
        issues=[Issue("document_or_all", "DOCUMENT xor --all", path="DOCUMENT")],
    )


def _show(document_id: str, report: SignatureReport | None, as_json: bool) -> None:
    if report is None:
        return
    main = report.main
    if as_json:
        data = {
            "document_id": document_id,
            "status": report.status.value,
            "reasons": list(main.reasons) if main else [],
            "signer": main.signer if main else None,
        }
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    line = f"{document_id}  {LABELS[report.status.value]}"
    if main and main.signer:
        line += f" — {main.signer}"
    click.echo(line)
    for message in main.messages() if main else []:
        click.echo(f"  - {message}")
