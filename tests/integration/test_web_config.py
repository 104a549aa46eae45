"""The web interface's settings from config.toml: the [oidc] table (complete, its secret never
in clear), the session key (made once, or read from session_secret_file), https cookies."""

from __future__ import annotations

from pathlib import Path

import pytest

from ged.bootstrap import build_oidc, session_secret
from ged.config import Settings, load_settings
from ged.web.setup import web_setup
from kernel.errors import InvalidError
from kernel.secret_options import SecretInClear


def settings_with(home: Path, config: str) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(config, encoding="utf-8")
    return load_settings(home)


def test_an_incomplete_oidc_table_names_what_is_missing(tmp_path: Path) -> None:
    settings = settings_with(tmp_path / "home", '[oidc]\nissuer = "https://idp.example"\n')
    with pytest.raises(InvalidError) as refused:
        build_oidc(settings)
    assert "client_id, client_secret_file manquant" in refused.value.detail


def test_an_oidc_client_secret_in_clear_is_refused(tmp_path: Path) -> None:
    config = '[oidc]\nissuer = "https://idp.example"\nclient_id = "ged"\nclient_secret = "s"\n'
    with pytest.raises(SecretInClear):
        build_oidc(settings_with(tmp_path / "home", config))


def test_a_complete_oidc_table_gives_a_client_with_its_button_label(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("le secret\n", encoding="utf-8")
    config = (
        f'[oidc]\nissuer = "https://idp.example"\nclient_id = "ged"\n'
        f'client_secret_file = "{tmp_path / "secret"}"\nlabel = "ProConnect"\n'
    )
    client = build_oidc(settings_with(tmp_path / "home", config))
    assert client is not None and client.label == "ProConnect"
    assert build_oidc(load_settings(tmp_path)) is None  # no [oidc]: no button


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
