"""``gedsae init`` and ``gedsae status``: creating the instance and telling whether it exists.

``init`` names the first organisation as the operator says (``--organisation-name``, asked on a
terminal; never a made-up default, since the name is written into the signing certificate and
onto every slip) and writes a ``config.toml`` where every key is commented with its meaning,
default and unit (``ged.config_template``). ``status`` reads without creating or migrating.
"""

from __future__ import annotations

import sys

import click

from ged.cli import ADMIN_NAME, Env, pass_env
from ged.config import Settings
from ged.domain.model import Role
from ged.services import admin
from kernel.cli import run


@click.command()
@click.option(
    "--organisation-name",
    "--organisation",
    "organisation_name",
    envvar="GEDSAE_ORGANISATION_NAME",
    default=None,
    help="Nom de la première organisation (« Commune de … ») : il figure dans le certificat de "
    "signature et sur les bordereaux ; demandé s'il manque et que le terminal le permet",
)
@pass_env
def init(env: Env, organisation_name: str | None) -> None:
    """Crée l'instance (base, stockage, config.toml commenté, première organisation, clé de
    signature) et affiche le jeton administrateur."""
    if _instance_state(env.settings)[0]:
        click.echo(f"Instance déjà initialisée dans {env.settings.home}")
        return
    name = _organisation_name(organisation_name)  # before anything is created
    env.settings.home.mkdir(parents=True, exist_ok=True)
    ctx = env.context()
    org = run(lambda: admin.create_organisation(ctx, "system", name))
    issued = run(
        lambda: admin.create_principal(
            ctx,
            "system",
            org.id,
            ADMIN_NAME,
            {Role.ADMIN, Role.RECORDS_OFFICER},
            set(),
            platform_admin=True,
        )
    )
    from ged.adapters.signing import ensure_signing_key
    from ged.bootstrap import session_secret

    certificate = ensure_signing_key(env.settings, org.name)
    session_secret(env.settings)  # the key of the web interface's session cookies
    written = _write_config(env.settings)
    click.echo(f"Instance créée dans {env.settings.home}")
    click.echo(f"Organisation : {org.name} ({org.id})")
    if written:
        click.echo(f"Configuration commentée : {env.settings.config_file}")
    if certificate is not None:
        click.echo(f"Certificat de signature des versements (auto-signé) : {certificate}")
    click.echo("Jeton administrateur (affiché une seule fois, conservez-le) :")
    click.echo(issued.token)


def _organisation_name(given: str | None) -> str:
    """The name given, or asked on a terminal; never a made-up default, since it is written
    into the signing certificate and onto every slip."""
    if given is None and sys.stdin.isatty():
        given = click.prompt("Nom de l'organisation (par exemple « Commune de Saint-Malo »)")
    if given is None or not given.strip():
        raise click.UsageError(
            "--organisation-name est obligatoire : le nom de l'organisation figure dans le "
            "certificat de signature et sur les bordereaux (par exemple "
            '--organisation-name "Commune de Saint-Malo", ou GEDSAE_ORGANISATION_NAME)'
        )
    return " ".join(given.split())


def _write_config(settings: Settings) -> bool:
    """The commented ``config.toml`` (every key, its meaning, default and unit), unless the
    operator already wrote one."""
    from ged.config_template import render

    if settings.config_file.exists():
        return False
    defaults = Settings(home=settings.home)  # the built-in defaults, not the environment's
    settings.config_file.write_text(render(defaults), encoding="utf-8")
    return True


def _instance_state(settings: Settings) -> tuple[int, bool]:
    """(organisations, migrations pending), read without creating or migrating anything."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import DBAPIError

    from ged.adapters.db.engine import make_engine, pending_migrations
    from ged.adapters.db.tables import organisations

    db = settings.home / "gedsae.db"
    if settings.database_url.startswith("sqlite") and not db.exists():
        return 0, True
    engine = make_engine(settings.database_url)
    try:
        behind = pending_migrations(engine)
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(organisations)).scalar_one()
    except DBAPIError:
        count, behind = 0, True
    finally:
        engine.dispose()
    return count, behind


@click.command()
@click.option("--quiet", is_flag=True)
@pass_env
def status(env: Env, quiet: bool) -> None:
    """Indique si l'instance est initialisée (code 0) ou non (code 3)."""
    count, behind = _instance_state(env.settings)
    if not quiet:
        state = "initialisée" if count else "non initialisée"
        click.echo(
            f"Instance {state} : {env.settings.home} (migrations en attente : {'oui' if behind else 'non'})"
        )
    if not count:
        sys.exit(3)
