"""Ready SIPs sent by an application client under an agreement, against our own repository
running in process (the ``loop`` of test_transfer_runner): checked, signed, sent, accepted —
or refused with every problem and nothing kept."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services import transfer_loop, transfer_runner
from ged.services.ports import TransferState
from ged.services.transfer_loop import TransferMismatch, TransferNotFound
from ged.services.transfer_package_checks import PackageRefused
from ged.services.transfer_packages import submit_package
from kernel.errors import ForbiddenError
from kernel.signing import verify_content
from tests.fixtures.ready_sips import Sip, ready_sip
from tests.integration.test_transfer_runner import Loop, review
from tests.integration.test_transfer_runner import loop as loop  # the fixture, re-exported
from tests.sae.test_ingest_checks import profile_requiring_a_comment


def application(loop: Loop, name: str = "parapheur") -> Principal:
    principal, _ = loop.ged.user(name, Role.APPLICATION, services=(loop.ged.service,))
    return principal


@pytest.fixture
def packages(loop: Loop, schema_dir: Path) -> Loop:
    return replace(loop, setup=replace(loop.setup, schemas=schema_dir))


def test_a_ready_package_is_signed_sent_and_accepted_without_any_dossier_of_ours(
    packages: Loop, tmp_path: Path
) -> None:
    app, ged = application(packages), packages.ged
    record = submit_package(packages.setup, ged.ctx, app, "ad35", ready_sip(tmp_path))
    assert record.message_identifier == "PARAPH-2026-0042"
    assert (record.state, record.dossiers, record.created_by) == (TransferState.SENT, (), app.id)
    with zipfile.ZipFile(record.sip_path) as archive:
        signed = verify_content(
            archive.read("manifest.xml.p7s"), archive.read("manifest.xml"), [packages.certificate]
        )
    assert signed.valid and record.signature is not None and record.signature["in_package"]
    assert not (tmp_path / "upload.zip").exists()  # moved into the spool under its own name

    decided = review(packages, record.message_identifier, "accept", "Conforme")
    ged.clock.advance(hours=1)
    transfer_runner.run_due(packages.setup, ged.ctx, ged.admin)
    done = transfer_loop.get_transfer(ged.ctx, app, record.message_identifier)
    assert done.state is TransferState.ACCEPTED
    assert done.outcome is not None
    given = sorted(a["archive_identifier"] for a in decided["archive_identifiers"])
    assert sorted(done.outcome["archive_identifiers"]) == given
    assert not Path(record.sip_path).exists()  # the repository holds it now


def test_an_application_follows_its_own_transfers_only(packages: Loop, tmp_path: Path) -> None:
    app, other, ged = application(packages), application(packages, "tdt"), packages.ged
    record = submit_package(packages.setup, ged.ctx, app, "ad35", ready_sip(tmp_path))
    mid = record.message_identifier
    assert [r.message_identifier for r in transfer_loop.list_transfers(ged.ctx, app)] == [mid]
    assert transfer_loop.list_transfers(ged.ctx, other) == []
    with pytest.raises(TransferNotFound):
        transfer_loop.get_transfer(ged.ctx, other, mid)
    assert transfer_loop.get_transfer(ged.ctx, ged.admin, mid).created_by == app.id


def test_a_broken_package_is_refused_with_every_problem_and_nothing_is_kept(
    packages: Loop, tmp_path: Path
) -> None:
    broken = Sip(
        transferring_agency="SERVICE-Z",
        originating_agency="FR_RH",  # a service of the organisation, not the application's
        declared_digest=hashlib.sha512(b"autre chose").hexdigest(),
    )
    with pytest.raises(PackageRefused) as refused:
        submit_package(
            packages.setup,
            packages.ged.ctx,
            application(packages),
            "ad35",
            ready_sip(tmp_path, broken),
        )
    codes = {i.code for i in refused.value.issues}
    assert {"package_outside_agreement", "originating_agency_outside"} <= codes
    assert any("digest" in code for code in codes), codes
    assert [i.path for i in refused.value.issues if i.code == "package_outside_agreement"] == [
        "TransferringAgency"
    ]
    assert list(packages.setup.spool.glob("*")) == []
    assert transfer_loop.list_transfers(packages.ged.ctx, packages.ged.admin) == []


def test_a_message_identifier_already_received_is_a_conflict_and_the_first_stays(
    packages: Loop, tmp_path: Path
) -> None:
    app, ged = application(packages), packages.ged
    first = submit_package(packages.setup, ged.ctx, app, "ad35", ready_sip(tmp_path))
    again = tmp_path / "again"
    again.mkdir()
    with pytest.raises(TransferMismatch):
        submit_package(packages.setup, ged.ctx, app, "ad35", ready_sip(again))
    assert [p.name for p in packages.setup.spool.glob("*")] == [Path(first.sip_path).name]


def test_an_agent_may_not_send_packages(packages: Loop, tmp_path: Path) -> None:
    agent, _ = packages.ged.user("agent", Role.AGENT, services=(packages.ged.service,))
    with pytest.raises(ForbiddenError):
        submit_package(packages.setup, packages.ged.ctx, agent, "ad35", ready_sip(tmp_path))


def test_a_package_that_does_not_follow_the_agreements_profile_is_refused(
    packages: Loop, tmp_path: Path
) -> None:
    profile = profile_requiring_a_comment(tmp_path / "profile.rng")
    agreement = replace(packages.setup.agreements["ad35"], profile_file=profile)
    setup = replace(packages.setup, agreements={"ad35": agreement})
    with pytest.raises(PackageRefused) as refused:
        submit_package(setup, packages.ged.ctx, application(packages), "ad35", ready_sip(tmp_path))
    assert {i.code for i in refused.value.issues} == {"profile_invalid"}
    assert transfer_loop.list_transfers(packages.ged.ctx, packages.ged.admin) == []


def test_a_manifest_not_named_manifest_xml_is_refused_before_anything_is_signed(
    packages: Loop, tmp_path: Path
) -> None:
    source = ready_sip(tmp_path)
    renamed = tmp_path / "renamed.zip"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(renamed, "w") as new:
        for name in old.namelist():
            new.writestr("bordereau.xml" if name == "manifest.xml" else name, old.read(name))
    with pytest.raises(PackageRefused) as refused:
        submit_package(packages.setup, packages.ged.ctx, application(packages), "ad35", renamed)
    assert [i.code for i in refused.value.issues] == ["manifest_not_named"]
    assert list(packages.setup.spool.glob("*")) == []
