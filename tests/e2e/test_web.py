"""The web interface of a real ``gedsae serve``: people created from the CLI log in, a disabled
account is logged out at its next request."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fixtures.processes import GedServer, gedsae_cli
from tests.fixtures.web import PASSWORD, csrf_of

MIB = 1 << 20


@contextmanager
def web_login(ged: GedServer, login: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ged.base_url, timeout=120) as browser:
        token = csrf_of(browser.get("/connexion").text)
        form = {"csrf_token": token, "login": login, "password": password}
        answer = browser.post("/connexion", data=form)
        assert answer.status_code == 303, answer.text
        yield browser


def create_user(ged: GedServer, tmp_path: Path, login: str, *options: str) -> None:
    secret = tmp_path / f"{login}.password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    gedsae_cli(ged.env, "users", "create", login, "--password-file", str(secret), *options)


def test_a_person_created_with_a_typed_password_logs_in(ged_server: GedServer) -> None:
    typed = subprocess.run(
        [sys.executable, "-m", "ged", "users", "create", "marie", "--role", "agent"],
        env={**ged_server.env, "PATH": "/usr/bin:/bin"},
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert typed.returncode == 0, typed.stderr
    assert PASSWORD not in typed.stdout + typed.stderr  # the prompt does not echo it
    with web_login(ged_server, "marie") as browser:
        assert "<strong>marie</strong>" in browser.get("/").text


def test_a_disabled_account_is_logged_out_at_its_next_request(
    ged_server: GedServer, tmp_path: Path
) -> None:
    create_user(ged_server, tmp_path, "paul", "--role", "agent")
    with web_login(ged_server, "paul") as browser:
        assert browser.get("/").status_code == 200
        out = gedsae_cli(ged_server.env, "users", "disable", "paul")
        assert "Compte « paul » désactivé" in out
        after = browser.get("/")
        assert after.status_code == 303 and after.headers["location"].startswith("/connexion")
