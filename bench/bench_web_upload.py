"""The web interface's uploads against the API's, on one big file (issue: a 1 GiB upload keeps
the server's RSS under 150 MB).

    .venv/bin/python bench/bench_web_upload.py [--size 1G]

Each upload runs on a fresh ``gedsae serve`` (so its peak RSS, VmHWM, is its own): the API's raw
upload (the reference), the script's raw upload of the web page (session + CSRF header), and the
plain multipart form (streamed through ged.web.multipart). The person logs in first, so the peak
includes the argon2id check of their password. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_blobstore import make_big_file, parse_size
from bench_ged import GEDSAE, MIB, admin_token, fresh_home, server, upload, vm_hwm_mib

PASSWORD = "mot de passe du banc d'essai"  # noqa: S105 - a throwaway benchmark account
BOUNDARY = "----gedsae-bench"


def person(env: dict[str, str], work: Path, services: tuple[str, ...] = ("FR_BENCH",)) -> None:
    """The agent « bench », who logs in with a password, in ``services`` (SEDA identifiers)."""
    secret = work / "password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    chosen = [arg for code in services for arg in ("--service", code)]
    subprocess.run(
        [GEDSAE, "users", "create", "bench", "--role", "agent", *chosen,
         "--password-file", str(secret)],
        env=env, check=True, capture_output=True,
    )  # fmt: skip


def logged_in(base: str) -> tuple[httpx.Client, str]:
    browser = httpx.Client(base_url=base, timeout=900)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', browser.get("/connexion").text)
    assert token is not None
    form = {"csrf_token": token.group(1), "login": "bench", "password": PASSWORD}
    browser.post("/connexion", data=form)  # 303 to the dashboard
    return browser, _token(browser)


def _token(browser: httpx.Client) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', browser.get("/").text)
    assert found is not None
    return found.group(1)


def blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(MIB):
            yield block


def web_upload(base: str, dossier: str, path: Path, form: bool) -> float:
    browser, token = logged_in(base)
    try:
        start = time.perf_counter()
        if form:
            answer = browser.post(
                f"/dossiers/{dossier}/depot",
                content=multipart(token, path),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
        else:
            answer = browser.post(
                f"/dossiers/{dossier}/depot/fichier",
                params={"nom": path.name},
                content=blocks(path),
                headers={"X-CSRF-Token": token, "Content-Length": str(path.stat().st_size)},
            )
        elapsed = time.perf_counter() - start
        if answer.status_code not in (201, 303):
            raise SystemExit(f"upload refused: {answer.status_code} {answer.text[:300]}")
    finally:
        browser.close()
    return elapsed


def multipart(token: str, path: Path) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="fichiers"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    yield from blocks(path)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def dossier_of(base: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    services = httpx.get(base + "/api/v1/services", headers=headers).json()
    made = httpx.post(
        base + "/api/v1/dossiers",
        headers=headers,
        json={"service_id": services[0]["id"], "title": "Bench"},
    )
    return str(made.json()["id"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-web-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "big.bin"
    size = parse_size(args.size)
    if not source.exists() or source.stat().st_size != size:
        make_big_file(source, size)
    print(f"| upload of {size / MIB:.0f} MiB | seconds | server peak RSS (MiB) |")
    print("|---|---|---|")
    for name in (
        "API (reference)",
        "web page, script (raw body)",
        "web page, plain form (multipart)",
    ):
        env = fresh_home(work, "home")
        token = admin_token(env)
        person(env, work)
        for base, pid in server(env):
            dossier = dossier_of(base, token)
            if name.startswith("API"):
                secs = upload(base, token, source)
            else:
                secs = web_upload(base, dossier, source, form="form" in name)
            print(f"| {name} | {secs:.1f} | {vm_hwm_mib(pid):.0f} |")


if __name__ == "__main__":
    main()
