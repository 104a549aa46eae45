"""Secrets in configuration files are never written in clear (the GED's ``config.toml``, the
repository's ``sae.toml``).

A secret option ``NAME`` is given as ``NAME_file`` (a path; its content, stripped) or
``NAME_env`` (the name of an environment variable); a literal ``NAME = "…"`` is refused, so that
a secret never lands in a file that is copied, backed up or committed. The connectors' tables
follow the same rule (``connectors.config.ConnectorSettings.secret``), with their own copy since
``connectors`` imports nothing of ours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kernel.errors import InvalidError


class SecretInClear(InvalidError):
    code = "secret_in_clear"
    title = "Secret écrit en clair dans la configuration"


class SecretUnavailable(InvalidError):
    code = "secret_unavailable"
    title = "Secret illisible"


def read_secret(
    table: Mapping[str, Any],
    key: str,
    where: str,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """``key`` from ``key_file`` or ``key_env`` of ``table``; None when neither is given.
    ``where`` names the file or table in the messages (the value itself never appears)."""
    if key in table:
        raise SecretInClear(
            f"{where} : {key} ne s'écrit pas en clair, utilisez {key}_file ou {key}_env"
        )
    if f"{key}_file" in table:
        path = Path(str(table[f"{key}_file"])).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretUnavailable(
                f"{where} : {key}_file illisible ({path}) : {exc.strerror}"
            ) from exc
    if f"{key}_env" in table:
        variable = str(table[f"{key}_env"])
        value = (os.environ if environ is None else environ).get(variable)
        if value is None:
            raise SecretUnavailable(f"{where} : variable d'environnement {variable} absente")
        return value
    return None
