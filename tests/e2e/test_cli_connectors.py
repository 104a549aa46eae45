"""``gedsae connectors check`` says precisely what is wrong, for one organisation's agreements
only, against a repository running as its own process."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ged.cli import main
from tests.fixtures.processes import INIT, ORGANISATION, SAE, Service, new_port, sae_cli
from tests.fixtures.seda_corpus import shared_path
from tests.fixtures.tls import TlsPki


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "instance"
    root.mkdir()
    monkeypatch.setenv("GEDSAE_HOME", str(root))
    monkeypatch.setenv("GEDSAE_EXTRACTION_WORKERS", "1")
    assert CliRunner().invoke(main, list(INIT)).exit_code == 0
    return root


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["connectors", "check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def agreements_for(*connectors: str, organisation: str = ORGANISATION) -> str:
    """One agreement of ``organisation`` per connector, named after it."""
    return "".join(
        f'[agreements.accord-{name}]\nconnector = "{name}"\nseda_version = "2.2"\n'
        f'archival_agency = "FR_AD_35"\ntransferring_agency = "FR_DF"\n'
        f'organisation = "{organisation}"\n\n'
        for name in connectors
    )


def test_connectors_check_names_each_problem(home: Path, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("jeton-secret")
    closed = new_port()  # nothing listens there
    (home / "config.toml").write_text(
        f'[connectors.down]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:{closed}"\n'
        f'token_file = "{tmp_path / "token"}"\n\n'
        '[connectors.clear]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:1"\n'
        'token = "en-clair"\n\n'
        '[connectors.nosecret]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:1"\n'
        'token_env = "GEDSAE_TEST_ABSENT_VARIABLE"\n\n'
        '[connectors.weird]\nkind = "ftp"\n\n'
        '[connectors.insecure]\nkind = "vitam"\nverify = false\n\n'
        + agreements_for("down", "clear", "nosecret", "weird", "insecure"),
        encoding="utf-8",
    )
    code, output = check()
    assert code == 1
    lines = {line.split(" : ", 1)[0]: line for line in output.splitlines()}
    assert "remote_unavailable" in lines["down"]
    assert "connector_misconfigured" in lines["clear"] and "token_file" in lines["clear"]
    assert "GEDSAE_TEST_ABSENT_VARIABLE" in lines["nosecret"]
    assert "ftp" in lines["weird"]
    assert "vérification TLS reste active" in lines["insecure"]
    assert "jeton-secret" not in output
    code, output = check("missing")
    assert code == 1 and "absent de config.toml" in output


def test_connectors_check_ok_against_a_running_repository(
    home: Path, tmp_path: Path, services: list[Service]
) -> None:
    sae_home, port = tmp_path / "sae", new_port()
    env = {"GEDSAE_SAE_HOME": str(sae_home)}
    sae_cli(
        env, "init", "--organisation", "ARCH", "--port", str(port),
        "--schemas-from", str(shared_path("official")),
    )  # fmt: skip
    token = sae_cli(env, "token", "create", "ged", "--role", "transferring").strip()
    (tmp_path / "token").write_text(token)
    (tmp_path / "wrong").write_text("pas-le-bon")
    services.append(
        Service("sae", ("serve",), env, port, "/api/v1/sae/health", tmp_path / "sae.log", SAE)
    )
    services[-1].start()
    (home / "config.toml").write_text(
        f'[connectors.ok]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:{port}"\n'
        f'token_file = "{tmp_path / "token"}"\n\n'
        f'[connectors.refused]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:{port}"\n'
        f'token_file = "{tmp_path / "wrong"}"\n\n' + agreements_for("ok", "refused"),
        encoding="utf-8",
    )
    code, output = check("ok")
    assert code == 0, output
    assert "OK" in output and "organisation=ARCH" in output
    code, output = check("refused")
    assert code == 1 and "credentials_refused" in output


def test_connectors_check_and_list_show_only_the_organisations_own(
    home: Path, tmp_path: Path
) -> None:
    from ged.bootstrap import build_context
    from ged.config import load_settings
    from ged.services import admin

    ctx = build_context(load_settings(home))
    try:
        admin.create_organisation(ctx, "test", "Commune B")
    finally:
        ctx.close()
    runner = CliRunner()
    created = runner.invoke(
        main,
        [
            "tokens",
            "create",
            "greffier-b",
            "--organisation",
            "Commune B",
            "--role",
            "records_officer",
        ],
    )
    assert created.exit_code == 0, created.output
    closed = new_port()
    (tmp_path / "token").write_text("jeton")
    (home / "config.toml").write_text(
        f'[connectors.depot-a]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:{closed}"\n'
        f'token_file = "{tmp_path / "token"}"\n\n'
        f'[connectors.depot-b]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:{closed}"\n'
        f'token_file = "{tmp_path / "token"}"\n\n'
        + agreements_for("depot-a")
        + agreements_for("depot-b", organisation="Commune B"),
        encoding="utf-8",
    )
    as_b = ("--as", "greffier-b", "--organisation", "Commune B")
    code, output = check(*as_b)
    assert code == 1 and output.startswith("depot-b : ÉCHEC remote_unavailable")
    assert "depot-a" not in output and "accord-depot-a" not in output
    code, foreign = check("depot-a", *as_b)
    code_missing, missing = check("nulle-part", *as_b)
    assert (code, code_missing) == (1, 1)
    assert foreign == missing.replace("nulle-part", "depot-a")
    listed = runner.invoke(main, ["connectors", "list", *as_b])
    assert listed.output == (
        "depot-b  (sae_http)  accord-depot-b  — échanges : versement, communication, restitution\n"
    )
    code, output = check("--organisation", ORGANISATION)  # its administrator
    assert "depot-a : ÉCHEC" in output and "depot-b" not in output


def test_connectors_check_finds_configuration_mistakes_before_any_transfer(
    home: Path, tmp_path: Path, tls_pki: TlsPki
) -> None:
    (tmp_path / "password").write_text("secret")
    closed = new_port()
    (home / "config.toml").write_text(
        '[connectors.vitam]\nkind = "vitam"\nbase_url = "https://127.0.0.1:1"\ntenant = 1\n'
        'context_id = "MON_WORKFLOW"\n'
        f'client_certificate = "{tls_pki.client.certificate}"\n'
        f'client_key = "{tls_pki.client.key}"\nca_bundle = "{tls_pki.ca}"\n\n'
        f'[connectors.asalae]\nkind = "asalae"\nbase_url = "http://127.0.0.1:{closed}"\n'
        f'username = "versant"\npassword_file = "{tmp_path / "password"}"\n\n'
        + agreements_for("vitam", "asalae").replace('seda_version = "2.2"', 'seda_version = "2.3"'),
        encoding="utf-8",
    )
    code, output = check()
    assert code == 1
    lines = output.splitlines()
    assert any(
        line.startswith("vitam : ÉCHEC connector_misconfigured") and "MON_WORKFLOW" in line
        for line in lines
    )
    assert any(
        line.startswith("  accord accord-asalae : ÉCHEC agreement_connector_mismatch")
        and "SEDA 2.3" in line
        for line in lines
    )
    # Vitam takes SEDA 2.3, but no signature beside its manifest (sign_package left true)
    (vitam,) = [line for line in lines if line.startswith("  accord accord-vitam")]
    assert "agreement_connector_mismatch" in vitam and "sign_package = false" in vitam
    # neither has communication nor restitution, and the list says so rather than pretending
    listed = CliRunner().invoke(main, ["connectors", "list"]).output.splitlines()
    assert listed == [
        "asalae  (asalae)  accord-asalae  — échanges : versement seulement (la communication se "
        "traite à la main dans As@lae)",
        "vitam  (vitam)  accord-vitam  — échanges : versement seulement (l'export de DIP de Vitam "
        "passe par sa propre API (requête DSL), pas par un ArchiveDeliveryRequest)",
    ]


TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"


def gedsae(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_connectors_check_finds_rules_the_agreements_table_does_not_map(
    home: Path, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text("jeton")
    (home / "config.toml").write_text(
        f'[connectors.sae]\nkind = "sae_http"\nbase_url = "http://127.0.0.1:{new_port()}"\n'
        f'token_file = "{tmp_path / "token"}"\n\n'
        + agreements_for("sae")
        + '[agreements.accord-sae.rules]\n"AG-08" = "APP-00012"\n"AG-8-ACC" = "ACC-00001"\n',
        encoding="utf-8",
    )
    gedsae("rules", "import", str(TABLEAU))
    gedsae("plan", "create", "AG", "Courrier")
    gedsae("rules", "bind", "plan_node", "AG", "AG-08")
    gedsae("rules", "bind", "plan_node", "AG", "EC-04-ACC")
    code, output = check()
    assert code == 1
    agreement = [line for line in output.splitlines() if "accord accord-sae" in line]
    assert agreement == [
        "  accord accord-sae : ÉCHEC rule_unmapped : règle EC-04-ACC (en usage) absente de la "
        "table rules : un versement qui la porte serait refusé",
        "  accord accord-sae : ÉCHEC rule_unknown : la table rules nomme AG-8-ACC, qui n'est pas "
        "une règle en vigueur de la GED",
    ]


def test_connectors_check_accepts_seda_1_0_for_asalae_and_names_rules_without_an_ar_code(
    home: Path, tmp_path: Path
) -> None:
    (tmp_path / "password").write_text("secret")
    agreement = agreements_for("asalae").replace('seda_version = "2.2"', 'seda_version = "1.0"')
    config = (
        f'[connectors.asalae]\nkind = "asalae"\nbase_url = "http://127.0.0.1:{new_port()}"\n'
        f'username = "versant"\npassword_file = "{tmp_path / "password"}"\n\n' + agreement
    )
    (home / "config.toml").write_text(config, encoding="utf-8")
    gedsae("rules", "import", str(TABLEAU))
    gedsae("plan", "create", "RH", "Personnel")
    gedsae("rules", "bind", "plan_node", "RH", "RH-01")
    gedsae("rules", "bind", "plan_node", "RH", "RH-01-ACC")  # « délai de 50 ans »: 4 codes
    lines = [line for line in check()[1].splitlines() if "accord accord-asalae" in line]
    assert len(lines) == 1 and "ÉCHEC access_code_unknown" in lines[0]
    assert "RH-01-ACC" in lines[0] and "AR048" in lines[0]
    table = '[agreements.accord-asalae.rules]\n"RH-01-ACC" = "AR048"\n'
    (home / "config.toml").write_text(config + table, encoding="utf-8")
    lines = [line for line in check()[1].splitlines() if "accord accord-asalae" in line]
    assert lines == ["  accord accord-asalae : OK"]


def test_archives_commands_through_a_connector_without_the_exchanges_say_so(
    home: Path, tmp_path: Path
) -> None:
    (tmp_path / "password").write_text("secret")
    (home / "config.toml").write_text(
        f'[connectors.asalae]\nkind = "asalae"\nbase_url = "http://127.0.0.1:{new_port()}"\n'
        f'username = "versant"\npassword_file = "{tmp_path / "password"}"\n\n'
        + agreements_for("asalae"),
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(main, ["archives", "request", "accord-asalae", "D-1"])
    assert result.exit_code == 1
    assert "exchange_not_offered" in result.output
    assert "la communication se traite à la main dans As@lae" in result.output
    unknown = runner.invoke(
        main, ["archives", "receive", "accord-asalae", "GEDSAE-1", "--out", str(tmp_path / "x")]
    )
    assert unknown.exit_code == 3 and "request_unknown" in unknown.output
    inbox = runner.invoke(main, ["archives", "inbox", "accord-asalae"])
    assert inbox.exit_code == 1 and "exchange_not_offered" in inbox.output
    # only an archivist answers the repository's authorization requests
    answer = runner.invoke(main, ["archives", "answer", "ELIM-1", "--refuse"])
    assert answer.exit_code == 6 and "archivist" in answer.output
