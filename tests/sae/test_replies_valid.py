"""Every Acknowledgement and ArchiveTransferReply the repository writes (accepted with archive
identifiers, rejected with every reason as events) is valid against the official XSD of the
transfer's SEDA version."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from connectors.sae_http import SaeHttpConnector
from sae.adapters.db import open_database
from sae.adapters.db.engine import sqlite_url
from sae.api.app import create_app
from sae.bootstrap import build_config
from sae.cli import main
from sae.config import load_settings
from seda.replies import Outcome, parse_reply
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from tests.fixtures.seda_corpus import shared_path
from tests.sae import stored
from tests.sae.test_ingest import build_sip, manifest_sha256


def cli_token(name: str, role: str) -> str:
    made = CliRunner().invoke(main, ["token", "create", name, "--role", role])
    assert made.exit_code == 0, made.output
    return made.output.strip()


@pytest.mark.parametrize("version", list(SedaVersion), ids=lambda v: v.value)
@pytest.mark.parametrize("verb", ["accept", "reject"])
def test_replies_and_acknowledgements_are_xsd_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: SedaVersion, verb: str
) -> None:
    home = tmp_path / "sae"
    monkeypatch.setenv("GEDSAE_SAE_HOME", str(home))
    init = ["init", "--organisation", "ARCH", "--schemas-from", str(shared_path("official"))]
    assert CliRunner().invoke(main, init).exit_code == 0
    agreement = ["agreements", "put", "AGR-1", "--agency", "SERVICE-A", "--seda", version.value]
    assert CliRunner().invoke(main, agreement).exit_code == 0
    token = cli_token("ged", "transferring")
    mid = f"TR-{verb}-{version.value}"
    sip = build_sip(tmp_path, mid, version=version)
    with TestClient(create_app(build_config(load_settings(home)))) as client:
        connector = SaeHttpConnector(str(client.base_url), token, client, allow_insecure_http=True)
        submission = connector.submit(
            sip, message_identifier=mid, transferring_agency="SERVICE-A",
            manifest_digest=manifest_sha256(sip),
        )  # fmt: skip
    archivist = cli_token("alice", "archivist")
    decided = CliRunner().invoke(
        main, ["review", verb, submission.remote_reference,
               "--comment", "Dates extrêmes à revoir"],
        env={"GEDSAE_SAE_TOKEN": archivist},
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    db = open_database(sqlite_url(home / "repository.sqlite"), create=False)
    transfer = stored.transfer(db, "ARCH", submission.remote_reference)
    reply = stored.reply(db, "ARCH", submission.remote_reference)
    db.dispose()
    assert transfer.replied and reply is not None
    for name, data in (("acknowledgement", transfer.acknowledgement), ("reply", reply)):
        path = tmp_path / f"{name}.xml"
        path.write_bytes(data)
        report = validate_path(path, ValidationOptions(schema_dir=home / "schemas"))
        blocking = [i for i in report.issues if i.severity.value != "warning"]
        assert not blocking, (name, [(i.code, i.message) for i in blocking])
    outcome = parse_reply(reply, transfer_identifier=mid)
    assert outcome.transfer_identifier == mid
    if verb == "accept":
        assert outcome.outcome is Outcome.ACCEPTED and outcome.archive_identifiers
    else:
        assert outcome.outcome is Outcome.REJECTED
        assert any("Dates extrêmes" in detail for _, _, detail in outcome.events)
