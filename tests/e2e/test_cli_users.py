"""``gedsae users`` on an instance (no server needed): accounts created with a password read
from a file, given a new one, listed in French or as JSON, disabled; ``init`` made the key of
the session cookies, readable by its owner only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.fixtures.processes import INIT, gedsae_cli


def test_people_are_managed_from_the_command_line(tmp_path: Path) -> None:
    env = {"GEDSAE_HOME": str(tmp_path / "home")}
    gedsae_cli(env, *INIT)
    gedsae_cli(env, "services", "create", "Direction des finances", "FR_DF")
    secret = tmp_path / "password"
    secret.write_text("un mot de passe assez long\n", encoding="utf-8")
    created = gedsae_cli(
        env, "users", "create", "marie", "--role", "records_officer", "--service", "FR_DF",
        "--password-file", str(secret),
    )  # fmt: skip
    assert "Compte « marie » créé (avec mot de passe)" in created
    assert "changé" in gedsae_cli(
        env, "users", "set-password", "marie", "--password-file", str(secret)
    )
    assert gedsae_cli(env, "users", "list").strip() == "marie  référent archives  actif"
    gedsae_cli(env, "users", "disable", "marie")
    [row] = json.loads(gedsae_cli(env, "users", "list", "--json"))
    assert row == {
        "login": "marie",
        "roles": ["records_officer"],
        "email": None,
        "password": True,
        "disabled": True,
    }


def test_a_refused_account_says_why_in_french_with_exit_code_1(tmp_path: Path) -> None:
    env = {"GEDSAE_HOME": str(tmp_path / "home")}
    gedsae_cli(env, *INIT)
    short = tmp_path / "password"
    short.write_text("court\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ged", "users", "create", "marie", "--role", "agent",
         "--password-file", str(short)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    out = done.stderr
    assert done.returncode == 1
    assert "invalid: Compte invalide" in out
    assert "password_too_short password: Mot de passe trop court : au moins 12 caractères" in out


def test_init_makes_the_session_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gedsae_cli({"GEDSAE_HOME": str(home)}, *INIT)
    key = home / "secrets" / "session.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_text().strip()) == 64


def test_a_role_is_granted_and_taken_back_from_the_command_line(tmp_path: Path) -> None:
    env = {"GEDSAE_HOME": str(tmp_path / "home")}
    gedsae_cli(env, *INIT)
    gedsae_cli(env, "users", "create", "marie", "--role", "agent", "--no-password")
    said = gedsae_cli(env, "users", "grant", "marie", "archivist")
    assert said.strip() == "Rôle archiviste accordé à « marie »"
    assert gedsae_cli(env, "users", "list").strip() == "marie  agent, archiviste  actif"
    said = gedsae_cli(env, "users", "revoke", "marie", "archivist")
    assert said.strip() == "Rôle archiviste retiré à « marie »"
    refused = gedsae_cli(env, "users", "revoke", "marie", "agent", check=False, stderr=True)
    assert "désactivez le compte plutôt que de le vider" in refused
