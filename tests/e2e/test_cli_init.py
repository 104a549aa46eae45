"""``gedsae init`` names the organisation as the operator says (never « Organisation par
défaut », which would be written into the signing certificate and onto every slip) and writes a
``config.toml`` where every key is commented with its meaning, default and unit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

from cryptography import x509

from ged.config import SECRETS, TABLES, Settings, load_settings
from ged.services.agreements import OPTIONS as AGREEMENT_OPTIONS


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


def test_init_writes_a_config_toml_where_every_key_is_commented(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert gedsae(home, "init", "--organisation-name", "Commune d'Essai").returncode == 0
    text = (home / "config.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text) == {}  # every line a comment: the defaults apply
    written = set(re.findall(r"^# (\w+) = ", text, flags=re.MULTILINE))
    written |= set(re.findall(r"^# \[agreements\.NOM\.(\w+)\]", text, flags=re.MULTILINE))
    settings = {f.name for f in fields(Settings)} - {"home", *TABLES}
    expected = {f"{n}_file" if n in SECRETS else n for n in settings}
    assert expected <= written
    assert {"storage", "root", "bucket"} <= written  # [replica]
    assert written >= AGREEMENT_OPTIONS
    for key in ("max_upload_bytes", "audit_interval_s", "extraction_memory_mb"):
        comment = text.split(f"\n# {key} = ")[0].rsplit("\n", 1)[-1]
        assert "défaut" in comment, key
    assert "octets ; défaut : 10737418240 (10 Go)" in text
    assert "secondes ; défaut : 86400" in text


def test_the_defaults_written_in_config_toml_are_the_real_ones(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert gedsae(home, "init", "--organisation-name", "Commune d'Essai").returncode == 0
    text = (home / "config.toml").read_text(encoding="utf-8")
    defaults = load_settings(home)
    top = text.split("\n# -- ")[0]
    uncommented = "\n".join(
        line[2:] for line in top.splitlines() if re.match(r"# \w+ = ", line) and "_file" not in line
    )
    (home / "config.toml").write_text(uncommented, encoding="utf-8")
    assert uncommented.count("\n") > 15
    assert load_settings(home) == defaults
