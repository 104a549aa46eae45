"""Transfers under an archival agreement, against our own repository running in process.

The GED (both databases) prepares, signs and pushes through ``SaeHttpConnector``; the
repository is the real ``sae.api`` application (ingest checks on the official XSDs, archivist
review, two storage offers); the scheduler's pass (``run_due``) polls and acts on the reply.
"""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from connectors.base import Connector
from connectors.config import ConnectorMisconfigured
from connectors.sae_http import SaeHttpConnector
from ged.domain.lifecycle import BindingTarget, Phase
from ged.domain.model import Damage
from ged.presentation import labels
from ged.services import documents, filing, holds, lifecycle, rules, transfer_runner
from ged.services.agreements import (
    Agreement,
    AgreementMisconfigured,
    AgreementNotFound,
    DossierOutsideAgreement,
)
from ged.services.ports import TransferState
from ged.services.transfer_runner import NothingToTransfer
from ged.services.transfer_setup import ConnectorUnusable, PackageSigner, TransferSetup
from kernel.signing import (
    generate_self_signed,
    load_identity_from_pem,
    sign_digest,
    verify_content,
    verify_digest,
)
from sae.model import ArchivalAgreement, FileKind
from sae.storage.offers import StorageOffers
from seda.sip import SipLayout
from seda.versions import SedaVersion
from tests.fixtures.ged import Ged
from tests.fixtures.sae import sqlite_database
from tests.integration.test_transfer_loop import due_dossier, phase
from tests.sae.test_ingest import open_repository

API = "/api/v1/sae"
ARCHIVIST = {"Authorization": "Bearer archivist-token"}
AGREEMENT = Agreement(
    name="ad35",
    connector="sae-local",
    seda_version=SedaVersion.V2_2,
    archival_agency="ARCH",
    transferring_agency="SERVICE-A",
    organisation="Département de test",
    archival_agreement="AGR-1",
)


class SharedClientConnector(SaeHttpConnector):
    """The fixture's TestClient outlives each transfer step: closing it is the fixture's job."""

    def close(self) -> None:
        return None


@dataclass
class Loop:
    ged: Ged
    setup: TransferSetup
    sae: TestClient
    offers: StorageOffers
    certificate: x509.Certificate


@pytest.fixture
def loop(ged: Ged, tmp_path: Path, schema_dir: Path) -> Iterator[Loop]:
    agreements = {
        "AGR-1": ArchivalAgreement("ARCH", frozenset({"SERVICE-A"}), frozenset({SedaVersion.V2_2}))
    }
    key_pem, certificate_pem = generate_self_signed("gedsae test", "Département de test", 30)
    identity = load_identity_from_pem(key_pem, certificate_pem)
    signer = PackageSigner(
        identity.certificate.subject.rfc4514_string(),
        lambda digest: sign_digest(digest, identity),
    )
    anchors = [(FileKind.TRUST_ANCHORS, certificate_pem, "")]
    database = sqlite_database(tmp_path)
    with open_repository(tmp_path, database, schema_dir, agreements, files=anchors) as repository:
        client = repository.client

        def connector(name: str) -> Connector:
            if name != "sae-local":
                raise ConnectorMisconfigured(f"connecteur {name} absent de config.toml")
            return SharedClientConnector(
                str(client.base_url), "ged-token", client, allow_insecure_http=True
            )

        setup = TransferSetup(
            {"ad35": AGREEMENT, "broken": Agreement(**{**AGREEMENT.__dict__, "connector": "x"})},
            connector,
            tmp_path / "spool",
            signer,
        )
        yield Loop(ged, setup, client, repository.offers, identity.certificate)


def review(loop: Loop, mid: str, verb: str, comment: str) -> dict[str, Any]:
    pending = loop.sae.get(f"{API}/review/transfers", headers=ARCHIVIST).json()
    found = [t for t in pending if t["message_identifier"] == mid]
    assert found, pending
    assert found[0]["checks_passed"], found[0]["issues"]
    response = loop.sae.post(
        f"{API}/review/transfers/{found[0]['transfer_id']}/{verb}",
        json={"comment": comment},
        headers=ARCHIVIST,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_signed_transfer_is_pushed_polled_accepted_and_dossier_made_permanent(
    loop: Loop,
) -> None:
    ged = loop.ged
    dossier_id = due_dossier(ged)
    record = transfer_runner.start(loop.setup, ged.ctx, ged.admin, "ad35")  # every due dossier
    mid = record.message_identifier
    assert record.state is TransferState.SENT
    assert record.dossiers == (dossier_id,) and record.agreement == "ad35"
    assert record.give_up_at == record.created_at + AGREEMENT.give_up_after
    assert phase(ged, dossier_id) is Phase.TRANSFERRING

    # the package holds the manifest's detached signature; the record holds both signatures
    sip = Path(record.sip_path)
    assert sip.parent == loop.setup.spool and sip.name == f"{mid}.zip"
    with zipfile.ZipFile(sip) as archive:
        manifest = archive.read("manifest.xml")
        in_package = archive.read("manifest.xml.p7s")
    assert record.signature is not None and record.signature["in_package"]
    assert base64.b64decode(record.signature["manifest"]) == in_package
    assert verify_content(in_package, manifest, [loop.certificate]).valid
    package_signature = base64.b64decode(record.signature["package"])
    assert verify_digest(
        package_signature, bytes.fromhex(record.sip_sha256), [loop.certificate]
    ).valid
    assert not verify_digest(package_signature, bytes(32), [loop.certificate]).valid

    report = transfer_runner.run_due(loop.setup, ged.ctx, ged.admin)
    assert (report.polled, report.failed) == (1, ())
    waiting = transfer_runner.step(loop.setup, ged.ctx, ged.admin, transfer_runner_get(loop, mid))
    assert waiting.state is TransferState.ACKNOWLEDGED and waiting.acknowledged

    decided = review(loop, mid, "accept", "Conforme")
    archive_ids = [a["archive_identifier"] for a in decided["archive_identifiers"]]
    ged.clock.advance(hours=1)
    transfer_runner.run_due(loop.setup, ged.ctx, ged.admin)
    done = transfer_runner_get(loop, mid)
    assert done.state is TransferState.ACCEPTED
    assert done.outcome is not None and sorted(done.outcome["archive_identifiers"]) == sorted(
        archive_ids
    )
    assert phase(ged, dossier_id) is Phase.PERMANENT
    assert not sip.exists()  # the repository holds the package now
    # the scheduler leaves a finished transfer alone
    assert transfer_runner.run_due(loop.setup, ged.ctx, ged.admin).polled == 0


def transfer_runner_get(loop: Loop, mid: str) -> Any:
    from ged.services.transfer_loop import get_transfer

    return get_transfer(loop.ged.ctx, loop.ged.admin, mid)


def test_rejected_transfer_keeps_reasons_returns_dossier_to_due_and_can_be_sent_again(
    loop: Loop,
) -> None:
    ged = loop.ged
    dossier_id = due_dossier(ged)
    first = transfer_runner.start(loop.setup, ged.ctx, ged.admin, "ad35", [dossier_id])
    review(loop, first.message_identifier, "reject", "Bordereau incomplet : dates extrêmes")
    ged.clock.advance(minutes=5)
    transfer_runner.run_due(loop.setup, ged.ctx, ged.admin)
    rejected = transfer_runner_get(loop, first.message_identifier)
    assert rejected.state is TransferState.REJECTED
    assert any("dates extrêmes" in reason for reason in rejected.reasons)
    assert phase(ged, dossier_id) is Phase.DUE
    assert Path(rejected.sip_path).exists()  # kept for inspection

    second = transfer_runner.start(loop.setup, ged.ctx, ged.admin, "ad35", [dossier_id])
    assert second.message_identifier != first.message_identifier
    assert second.state is TransferState.SENT


def test_no_reply_before_the_deadline_gives_up_and_says_so(loop: Loop) -> None:
    ged = loop.ged
    dossier_id = due_dossier(ged)
    record = transfer_runner.start(loop.setup, ged.ctx, ged.admin, "ad35", [dossier_id])
    ged.clock.advance(days=31)
    report = transfer_runner.run_due(loop.setup, ged.ctx, ged.admin)
    assert report.gave_up == 1
    stopped = transfer_runner_get(loop, record.message_identifier)
    assert stopped.state is TransferState.ERROR_POLLING
    assert stopped.last_error_code == "gave_up" and stopped.next_attempt_at is None
    assert phase(ged, dossier_id) is Phase.TRANSFERRING  # the repository may still hold it


def test_unusable_connector_or_agreement_writes_nothing(loop: Loop) -> None:
    ged = loop.ged
    dossier_id = due_dossier(ged)
    with pytest.raises(ConnectorUnusable) as refused:
        transfer_runner.start(loop.setup, ged.ctx, ged.admin, "broken", [dossier_id])
    assert refused.value.issues[0].code == "connector_misconfigured"
    with pytest.raises(AgreementNotFound):
        transfer_runner.start(loop.setup, ged.ctx, ged.admin, "nowhere", [dossier_id])
    assert not loop.setup.spool.exists() or not list(loop.setup.spool.iterdir())
    assert phase(ged, dossier_id) is Phase.DUE


def test_nothing_due_is_a_clear_refusal_and_leaves_no_package(loop: Loop) -> None:
    with pytest.raises(NothingToTransfer):
        transfer_runner.start(loop.setup, loop.ged.ctx, loop.ged.admin, "ad35")
    assert not loop.setup.spool.exists() or not list(loop.setup.spool.iterdir())


@pytest.mark.parametrize(
    ("table", "key"),
    [
        (
            {
                "connector": "c",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
            },
            "seda_version",
        ),
        (
            {
                "connector": "c",
                "seda_version": "2.2",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
                "sign_package": "yes",
            },
            "sign_package",
        ),
        (
            {
                "connector": "c",
                "seda_version": "2.2",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
                "give_up_after_hours": 0,
            },
            "give_up_after_hours",
        ),
        (
            {
                "seda_version": "2.2",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
            },
            "connector",
        ),
        (
            {
                "connector": "c",
                "seda_version": "2.2",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
                "rules": {"AG-08": ""},
            },
            "rules",
        ),
    ],
)
def test_agreement_tables_are_checked_option_by_option(table: dict[str, Any], key: str) -> None:
    with pytest.raises(AgreementMisconfigured) as refused:
        Agreement.from_table("ad35", table)
    assert refused.value.issues[0].path == key
    assert key in refused.value.detail


def test_flat_layout_for_maarch_puts_binaries_beside_the_manifest_and_still_validates(
    loop: Loop,
) -> None:
    ged = loop.ged
    flat = Agreement(**{**AGREEMENT.__dict__, "name": "flat", "sip_layout": SipLayout.FLAT})
    setup = TransferSetup({"flat": flat}, loop.setup.connector, loop.setup.spool, loop.setup.signer)
    dossier_id = due_dossier(ged)
    record = transfer_runner.start(setup, ged.ctx, ged.admin, "flat", [dossier_id])
    with zipfile.ZipFile(record.sip_path) as archive:
        names = archive.namelist()
    assert "manifest.xml" in names and not any(n.startswith("content/") for n in names)
    assert any(n.startswith("BDO_") for n in names)
    review(loop, record.message_identifier, "accept", "Conforme")  # the checks passed
    assert (
        Agreement.from_table(
            "m",
            {
                "connector": "c",
                "seda_version": "2.2",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
                "sip_layout": "flat",
            },
        ).sip_layout
        is SipLayout.FLAT
    )
    with pytest.raises(AgreementMisconfigured):
        Agreement.from_table(
            "m",
            {
                "connector": "c",
                "seda_version": "2.2",
                "archival_agency": "A",
                "transferring_agency": "T",
                "organisation": "O",
                "sip_layout": "zip",
            },
        )


def test_another_organisation_never_sees_the_transfer(loop: Loop) -> None:
    from ged.services.transfer_loop import TransferNotFound, get_transfer, list_transfers

    ged = loop.ged
    record = transfer_runner.start(loop.setup, ged.ctx, ged.admin, "ad35", [due_dossier(ged)])
    other, _, _ = ged.other_organisation()
    with pytest.raises(TransferNotFound):
        get_transfer(ged.ctx, other, record.message_identifier)
    with pytest.raises(TransferNotFound):
        transfer_runner.step(loop.setup, ged.ctx, other, record)
    assert list_transfers(ged.ctx, other) == []
    assert [r.message_identifier for r in list_transfers(ged.ctx, ged.admin)] == [
        record.message_identifier
    ]


def test_manifest_names_the_producing_service_and_the_agreements_profile(loop: Loop) -> None:
    from lxml import etree

    ged = loop.ged
    profiled = Agreement(**{**AGREEMENT.__dict__, "name": "p", "archival_profile": "PR-ETAT-CIVIL"})
    setup = TransferSetup({"p": profiled}, loop.setup.connector, loop.setup.spool, None)
    record = transfer_runner.start(setup, ged.ctx, ged.admin, "p", [due_dossier(ged)])
    with zipfile.ZipFile(record.sip_path) as archive:
        manifest = etree.fromstring(archive.read("manifest.xml"))
        assert "manifest.xml.p7s" not in archive.namelist()  # no signer configured
    ns = {"s": etree.QName(manifest).namespace}
    management = "s:DataObjectPackage/s:ManagementMetadata"
    assert manifest.findtext(f"{management}/s:ArchivalProfile", namespaces=ns) == "PR-ETAT-CIVIL"
    originating = manifest.findtext(f"{management}/s:OriginatingAgencyIdentifier", namespaces=ns)
    assert originating == ged.service.seda_identifier
    review(loop, record.message_identifier, "accept", "Conforme")  # still valid and accepted


def test_an_agreement_without_its_organisation_is_refused_with_every_problem_named() -> None:
    with pytest.raises(AgreementMisconfigured) as refused:
        Agreement.from_table(
            "ad35",
            {"connector": "c", "seda_version": "9.9", "archival_agency": "A", "purge": "oui"},
        )
    assert [i.path for i in refused.value.issues] == [
        "seda_version",
        "transferring_agency",
        "organisation",
        "purge",
    ]
    assert "ad35" in refused.value.detail and "organisation" in refused.value.detail


def test_an_agreement_limited_to_some_services_transfers_only_their_dossiers(loop: Loop) -> None:
    ged = loop.ged
    dossier_id = due_dossier(ged)  # a dossier of the finance service, FR_DF
    other = Agreement(**{**AGREEMENT.__dict__, "name": "rh", "services": frozenset({"FR_RH"})})
    own = Agreement(**{**AGREEMENT.__dict__, "name": "df", "services": frozenset({"FR_DF"})})
    setup = TransferSetup({"rh": other, "df": own}, loop.setup.connector, loop.setup.spool, None)
    with pytest.raises(DossierOutsideAgreement) as refused:
        transfer_runner.start(setup, ged.ctx, ged.admin, "rh", [dossier_id])
    assert [i.code for i in refused.value.issues] == ["dossier_outside_agreement"]
    with pytest.raises(NothingToTransfer):
        transfer_runner.start(setup, ged.ctx, ged.admin, "rh")  # every due dossier: none of RH
    assert phase(ged, dossier_id) is Phase.DUE
    record = transfer_runner.start(setup, ged.ctx, ged.admin, "df")
    assert record.dossiers == (dossier_id,)


def test_a_due_transfer_sends_what_may_leave_and_names_each_dossier_left_and_why(
    loop: Loop,
) -> None:
    ged = loop.ged
    covered = Agreement(**{**AGREEMENT.__dict__, "name": "df", "services": frozenset({"FR_DF"})})
    setup = replace(loop.setup, agreements={**loop.setup.agreements, "df": covered})
    leaving = due_dossier(ged, "Tables 2001-2010")
    held = due_dossier(ged, "Tables 1991-2000")
    holds.place_hold(ged.ctx, ged.admin, held, "recours contentieux")
    elsewhere = due_dossier(ged, "Registres du personnel", service=ged.other_service)
    undecided = sorted_due_dossier(ged)
    damaged = due_dossier(ged, "Tables 1971-1980")
    version = filing.dossier_documents(ged.ctx, ged.admin, damaged)[0].versions[0]
    documents.damage_recorder(ged.ctx, ged.admin, version)(Damage.ALTERED)
    changed = due_dossier(ged, "Tables 1981-1990")  # then a rule counting from an unknown date:
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.DOSSIER, changed, "AG-01", "séance")

    sent = transfer_runner.start_due(setup, ged.ctx, ged.admin, "df")
    assert sent.record.dossiers == (leaving,) and sent.record.state is TransferState.SENT
    reasons = {x.dossier_id: (x.code, x.reason) for x in sent.left}
    assert reasons[elsewhere][0] == "outside_agreement" and "FR_RH" in reasons[elsewhere][1]
    assert reasons[held] == (
        "held",
        f"gelé depuis le {labels.day(ged.clock.now)} (recours contentieux)",
    )
    assert reasons[undecided][0] == "sort_undecided"
    assert reasons[changed][0] == "no_longer_due"
    assert reasons[damaged][0] == "content_damaged" and "gedsae audit" in reasons[damaged][1]
    assert len(reasons) == 5
    assert phase(ged, leaving) is Phase.TRANSFERRING
    assert {phase(ged, d) for d in reasons} == {Phase.DUE}

    with pytest.raises(NothingToTransfer) as nothing:  # what stays, stays, and is named again
        transfer_runner.start_due(setup, ged.ctx, ged.admin, "df")
    assert {i.path for i in nothing.value.issues} == set(reasons)
    assert all(i.message.startswith("« ") for i in nothing.value.issues)


def sorted_due_dossier(ged: Ged) -> str:
    """A closed dossier whose DUA (AG-05: 5 years from the séance, then sort) has elapsed."""
    node = filing.create_plan_node(ged.ctx, ged.admin, "AG-SEANCES", "Séances", None).id
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, "AG-05")
    dossier = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Préparation des séances",
        plan_node_id=node, opened_on=date(2010, 1, 1),
    )  # fmt: skip
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2010, 12, 31))
    lifecycle.record_event(ged.ctx, ged.admin, dossier.id, "date de la séance", date(2010, 6, 1))
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    assert phase(ged, dossier.id) is Phase.DUE
    return dossier.id
