"""``gedsae init`` names the organisation as the operator says (never « Organisation par
défaut », which would be written into the signing certificate and onto every slip)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509


def gedsae(home: Path, *args: str, **run: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GEDSAE_HOME": str(home), "GEDSAE_EXTRACTION_WORKERS": "1"}
    env.pop("GEDSAE_ORGANISATION_NAME", None)
    return subprocess.run(
        [sys.executable, "-m", "ged", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **run,  # type: ignore[call-overload]
    )


def test_init_without_an_organisation_name_refuses_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = gedsae(home, "init", stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "--organisation-name est obligatoire" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (home / "gedsae.db").exists() and not (home / "signing").exists()


def test_the_organisation_name_given_is_in_the_signing_certificate(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = gedsae(home, "init", "--organisation-name", "Commune de Saint-Malo")
    assert done.returncode == 0, done.stderr
    assert "Organisation : Commune de Saint-Malo" in done.stdout
    pem = (home / "signing" / "certificate.pem").read_bytes()
    subject = x509.load_pem_x509_certificate(pem).subject.rfc4514_string()
    assert "Commune de Saint-Malo" in subject and "défaut" not in subject


def test_init_asks_for_the_name_on_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    controller, terminal = os.openpty()
    os.write(controller, "Communauté de communes du Pays de Test\n".encode())
    try:
        done = gedsae(home, "init", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 0, done.stderr
    assert "Nom de l'organisation" in done.stdout
    assert "Organisation : Communauté de communes du Pays de Test" in done.stdout
