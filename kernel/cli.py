"""Error families as exit codes, for both command lines (``gedsae``, ``gedsae-sae``).

0 success; 1 invalid input; 2 usage error (click); 3 not found; 4 conflict; 5 unavailable
(database, storage; retry later); 6 authentication or permission refused; 70 internal error.
Errors are printed as « code: message », every issue of an invalid input on its own line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from kernel.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    GedsaeError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def exit_code(exc: GedsaeError) -> int:
    families: list[tuple[type[GedsaeError], int]] = [
        (NotFoundError, 3),
        (ConflictError, 4),
        (UnavailableError, 5),
        (AuthenticationError, 6),
        (ForbiddenError, 6),
        (RateLimitedError, 6),
    ]
    for family, code in families:
        if isinstance(exc, family):
            return code
    return 1 if exc.status < 500 or exc.status == 507 else 70


def fail(exc: GedsaeError) -> NoReturn:
    click.echo(f"{exc.code}: {exc.detail}", err=True)
    if isinstance(exc, InvalidError):
        for issue in exc.issues:
            where = f" (ligne {issue.line})" if issue.line else ""
            click.echo(f"  - {issue.code}{where} {issue.path or ''}: {issue.message}", err=True)
    sys.exit(exit_code(exc))


def run(action: Callable[[], T]) -> T:
    try:
        return action()
    except GedsaeError as exc:
        fail(exc)


def expiry_option(text: str | None) -> datetime | None:
    """``--expires-at``: ISO 8601, UTC when no zone is given."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"date ISO 8601 attendue : {text}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def password_file_option(command: F) -> F:
    """``--password-file``: a password is never an argument (it would stay in the shell's
    history and in ``ps``)."""
    option = click.option(
        "--password-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Fichier dont la première ligne est le mot de passe (sinon : saisie masquée)",
    )
    return option(command)


def read_password(password_file: Path | None, no_password: bool) -> str | None:
    """The password of ``--password-file`` (first line), else typed twice at a hidden prompt;
    None with ``--no-password`` (single sign-on only)."""
    if no_password:
        return None
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    value: str = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    return value
