"""``gedsae-sae``: the archival repository's own command line (also ``python -m sae``).

``init`` prepares its home (``sae.toml``, schemas, signing key, database and default tenant),
``db upgrade`` its database's schema, ``tenants create|list|show|import-config`` the archival
services it serves, ``agreements``, ``referentials``, ``trust-anchors``, ``signature-anchors`` and ``profiles`` what
each accepts and trusts, ``token create|list|revoke`` the bearer tokens of GEDs, archivists and
platform administrators, ``users create|set-password|disable`` the people of a tenant who log
in to its pages, ``serve`` runs it, ``review`` lets an archivist decide on the repository host
itself, ``archives search|show|get`` read a tenant's catalogue, ``deliveries list``, ``derogations
grant|list|revoke`` and ``access-register export`` serve communication, ``restitutions list``
and ``eliminations propose|list|approve`` the other exchanges with producers, ``audit`` re-hashes every
copy, ``seal`` and
``log verify`` seal and check the operation log, ``worker`` runs the jobs of the PostgreSQL
queue and ``jobs`` lists them. Exit codes are the kernel's (``kernel.cli``):
1 invalid (``sae_misconfigured`` included), 3 not found, 4 conflict, 5 unavailable,
6 authentication or permission refused.
"""

from __future__ import annotations

from pathlib import Path

import click

from sae.cli.access import deliveries_group, derogations_group, register_group
from sae.cli.archives import archives_group
from sae.cli.context import Instance
from sae.cli.exchanges import eliminations_group, restitutions_group
from sae.cli.instance import db_group, init, serve
from sae.cli.integrity import audit, log_group, objects_group, seal
from sae.cli.jobs import jobs, worker
from sae.cli.review import review_group
from sae.cli.tenants import (
    agreements_group,
    profiles,
    referentials,
    signature_anchors,
    tenants_group,
    trust_anchors,
)
from sae.cli.tokens import token_group
from sae.cli.users import users_group


@click.group()
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="GEDSAE_SAE_HOME",
    help="Dossier du dépôt (défaut : $GEDSAE_HOME/sae)",
)
@click.pass_context
def main(click_ctx: click.Context, home: Path | None) -> None:
    """gedsae-sae — le dépôt d'archives (SAE) : installation, service, contrôle, audit."""
    click_ctx.obj = Instance(home)


for command in (
    init,
    db_group,
    serve,
    tenants_group,
    agreements_group,
    referentials,
    trust_anchors,
    signature_anchors,
    profiles,
    token_group,
    users_group,
    review_group,
    archives_group,
    deliveries_group,
    derogations_group,
    register_group,
    restitutions_group,
    eliminations_group,
    audit,
    seal,
    log_group,
    objects_group,
    worker,
    jobs,
):
    main.add_command(command)
