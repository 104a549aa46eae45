"""The web interface's settings from config.toml: the session key (made once, or read from
session_secret_file), https cookies."""

from __future__ import annotations

from pathlib import Path

from ged.bootstrap import session_secret
from ged.config import Settings, load_settings
from ged.web.setup import web_setup


def settings_with(home: Path, config: str) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(config, encoding="utf-8")
    return load_settings(home)


def test_the_session_key_is_made_once_then_kept(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    first = session_secret(settings)
    assert len(first) == 64 and session_secret(settings) == first


def test_a_session_secret_file_wins_and_https_marks_cookies_secure(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("une clé de session venue d'ailleurs\n", encoding="utf-8")
    home = tmp_path / "home"
    config = (
        f'session_secret_file = "{tmp_path / "key"}"\npublic_url = "https://ged.mairie.example/"\n'
    )
    setup = web_setup(settings_with(home, config))
    assert setup.secret_key == "une clé de session venue d'ailleurs".encode()
    assert setup.public_url == "https://ged.mairie.example" and setup.secure_cookies
    assert not (home / "secrets").exists()
