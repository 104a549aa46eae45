"""What every ``gedsae-sae`` command works on: the repository's home and what it configures.

The home is ``--home``, else ``GEDSAE_SAE_HOME``, else ``$GEDSAE_HOME/sae``
(``sae.config.sae_home``). Settings and the wired repository are built on first use, so that
``init`` runs on a home that has no ``sae.toml`` yet.
"""

from __future__ import annotations

from pathlib import Path

import click

from kernel.cli import run
from sae.bootstrap import SaeConfig, build_config, open_database
from sae.config import SaeSettings, load_settings, sae_home
from sae.ports import Database


class Instance:
    def __init__(self, home: Path | None) -> None:
        self.home = (home or sae_home()).resolve()
        self._settings: SaeSettings | None = None
        self._config: SaeConfig | None = None

    def settings(self) -> SaeSettings:
        if self._settings is None:
            self._settings = run(lambda: load_settings(self.home))
        return self._settings

    def config(self) -> SaeConfig:
        if self._config is None:
            settings = self.settings()
            self._config = run(lambda: build_config(settings))
        return self._config

    def database(self) -> Database:
        return open_database(self.config())


pass_instance = click.make_pass_decorator(Instance)
