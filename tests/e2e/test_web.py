"""The web interface of a real ``gedsae serve``: people created from the CLI log in, a disabled
account is logged out at its next request, and uploads stream (server memory bounded)."""

from __future__ import annotations

import hashlib
import re
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


def body_of(size: int) -> Iterator[bytes]:
    block = hashlib.sha512(b"gedsae").digest() * (MIB // 64)
    for _ in range(size // MIB):
        yield block


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def test_a_large_file_sent_by_the_plain_form_streams_into_the_store(
    ged_server: GedServer, tmp_path: Path
) -> None:
    """256 MiB through the multipart form: stored whole, the server's peak memory bounded
    (the 1 GiB figure is measured by bench/bench_web_upload.py)."""
    size = 256 * MIB
    with ged_server.client() as api:
        service = {"name": "Direction des finances", "seda_identifier": "FR_DF"}
        api.post("/api/v1/services", json=service).raise_for_status()
        services = api.get("/api/v1/services").json()
        dossier = {"service_id": services[0]["id"], "title": "Plans"}
        dossier_id = api.post("/api/v1/dossiers", json=dossier).json()["id"]
    create_user(ged_server, tmp_path, "marie", "--role", "agent", "--service", "FR_DF")
    with web_login(ged_server, "marie") as browser:
        token = csrf_of(browser.get(f"/dossiers/{dossier_id}/depot").text)
        answer = browser.post(
            f"/dossiers/{dossier_id}/depot",
            content=multipart(token, body_of(size)),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert answer.status_code == 303, answer.text
    assert ged_server.service.process is not None
    assert peak_rss_mib(ged_server.service.process.pid) < 150
    whole = hashlib.sha256()
    for block in body_of(size):
        whole.update(block)
    with ged_server.client() as api:
        [hit] = api.get("/api/v1/search", params={"dossier_id": dossier_id}).json()["hits"]
        [version] = api.get(f"/api/v1/documents/{hit['document']['id']}/versions").json()
    assert (version["size"], version["sha256"]) == (size, whole.hexdigest())


BOUNDARY = "----gedsae-test-boundary"


def multipart(token: str, content: Iterator[bytes]) -> Iterator[bytes]:
    """A form as a browser sends it, the CSRF field first, the file streamed."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="fichiers"; filename="plan.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    yield from content
    yield f"\r\n--{BOUNDARY}--\r\n".encode()
