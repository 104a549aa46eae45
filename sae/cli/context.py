"""What every ``gedsae-sae`` command works on: the repository's home and what it configures.

The home is ``--home``, else ``GEDSAE_SAE_HOME``, else ``$GEDSAE_HOME/sae``
(``sae.config.sae_home``). Settings and the opened repository are built on first use, so that
``init`` runs on a home that has no ``sae.toml`` yet. A command about one tenant takes
``--tenant`` (``--organisation`` too), the default tenant of ``sae.toml`` when absent.
"""

from __future__ import annotations

from pathlib import Path

import click

from kernel.cli import fail, run
from kernel.errors import InvalidError
from sae.bootstrap import Repository, SaeConfig, build_config, open_repository
from sae.config import SaeSettings, load_settings, sae_home
from sae.ports import Database


class NoTenantGiven(InvalidError):
    code = "tenant_required"
    title = "Locataire à préciser"


class Instance:
    def __init__(self, home: Path | None) -> None:
        self.home = (home or sae_home()).resolve()
        self._settings: SaeSettings | None = None
        self._config: SaeConfig | None = None
        self._repository: Repository | None = None

    def settings(self) -> SaeSettings:
        if self._settings is None:
            self._settings = run(lambda: load_settings(self.home))
        return self._settings

    def config(self, *, legacy_allowed: bool = False) -> SaeConfig:
        if self._config is None:
            settings = self.settings()
            self._config = run(lambda: build_config(settings, legacy_allowed=legacy_allowed))
        return self._config

    def repository(self, *, legacy_allowed: bool = False) -> Repository:
        if self._repository is None:
            config = self.config(legacy_allowed=legacy_allowed)
            self._repository = run(lambda: open_repository(config, legacy_allowed=legacy_allowed))
            click.get_current_context().call_on_close(self._repository.close)
        return self._repository

    def database(self) -> Database:
        return self.repository().db

    def tenant(self, given: str | None) -> str:
        """``given``, else the default tenant; refused when there is neither."""
        found = given or self.settings().organisation
        if not found:
            fail(NoTenantGiven("--tenant requis : sae.toml ne nomme aucun locataire par défaut"))
        return found


pass_instance = click.make_pass_decorator(Instance)

tenant_option = click.option(
    "--tenant",
    "--organisation",
    "tenant",
    default=None,
    help="Locataire (service d'archives) ; défaut : organisation de sae.toml",
)
