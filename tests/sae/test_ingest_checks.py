"""Ingest checks that refuse a SIP: package, signature, archival profile, referentials, agreement.

Each refused SIP is submitted over HTTP; its transfer must fail the checks with the precise
code, be impossible to accept, and leave nothing on the storage offers.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from connectors.base import Replied, Submission, SubmissionRefused
from kernel.signing import (
    SigningIdentity,
    generate_self_signed,
    load_identity_from_pem,
    sign_digest,
)
from sae.ingest.manifest import read_manifest
from sae.model import ArchivalAgreement, FileKind
from seda.model import (
    AccessRule,
    AppraisalRule,
    ArchiveTransfer,
    ArchiveUnit,
    Management,
    Rule,
)
from seda.replies import Outcome
from seda.sip import ManifestSigner
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae.test_ingest import (
    Members,
    Repository,
    build_sip,
    decide,
    open_repository,
    pending,
    submit,
)

V2_2 = frozenset({SedaVersion.V2_2})
SERVICE_A = frozenset({"SERVICE-A"})
PROFILE_ID = "PR-AVEC-COMMENTAIRE"
RULES_CSV = """RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement
APP-00001,AppraisalRule,Dossier individuel d'agent,,80,YEAR
ACC-00001,AccessRule,Libre communicabilité,,0,YEAR
"""
AGENCIES_CSV = """Identifier,Name,Description
SERVICE-A,Service des assemblées,Verse les délibérations
SERVICE-B,Service financier,
"""


def identity(common_name: str, *, expired: bool = False) -> SigningIdentity:
    now = datetime.now(UTC) - timedelta(days=30) if expired else None
    key, certificate = generate_self_signed(
        common_name, "Commune d'Exemple", 1 if expired else 30, now=now
    )
    return load_identity_from_pem(key, certificate)


@pytest.fixture(scope="module")
def trusted() -> SigningIdentity:
    return identity("GED de la commune")


@pytest.fixture(scope="module")
def expired() -> SigningIdentity:
    return identity("GED dont le certificat a expiré", expired=True)


def signer(who: SigningIdentity) -> ManifestSigner:
    return lambda digest: sign_digest(digest, who)


# A RELAX NG profile: any SEDA 2.2 message whose ArchiveTransfer starts with a Comment.
PROFILE_REQUIRING_A_COMMENT = f"""<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="{SedaVersion.V2_2.namespace}">
  <start>
    <element name="ArchiveTransfer">
      <zeroOrMore><attribute><anyName/></attribute></zeroOrMore>
      <element name="Comment"><text/></element>
      <zeroOrMore><ref name="any"/></zeroOrMore>
    </element>
  </start>
  <define name="any">
    <element>
      <anyName/>
      <zeroOrMore>
        <choice><attribute><anyName/></attribute><text/><ref name="any"/></choice>
      </zeroOrMore>
    </element>
  </define>
</grammar>
"""


def profile_requiring_a_comment(path: Path) -> Path:
    """The RELAX NG profile above written to ``path`` (any SEDA 2.2 message whose
    ArchiveTransfer starts with a Comment), for the GED's checks of ready packages."""
    path.write_text(PROFILE_REQUIRING_A_COMMENT, encoding="utf-8")
    return path


def pem(*identities: SigningIdentity) -> bytes:
    return b"".join(i.certificate.public_bytes(serialization.Encoding.PEM) for i in identities)


@pytest.fixture
def repo(
    tmp_path: Path,
    schema_dir: Path,
    sae_database: TestDatabase,
    trusted: SigningIdentity,
    expired: SigningIdentity,
) -> Iterator[Repository]:
    agreements = {
        "AGR-1": ArchivalAgreement("ARCH", SERVICE_A, V2_2),
        "AGR-SIGNED": ArchivalAgreement("ARCH", SERVICE_A, V2_2, signature_required=True),
        "AGR-PROFILE": ArchivalAgreement(
            "ARCH", SERVICE_A, V2_2, profile="commentaire", profile_identifier=PROFILE_ID
        ),
        "AGR-B": ArchivalAgreement("ARCH", frozenset({"SERVICE-B"}), V2_2),
        "AGR-OTHER": ArchivalAgreement("OTHER", SERVICE_A, V2_2),
    }
    files = [
        (FileKind.AGENCIES, AGENCIES_CSV.encode(), ""),
        (FileKind.RULES, RULES_CSV.encode(), ""),
        (FileKind.TRUST_ANCHORS, pem(trusted, expired), ""),
        (FileKind.PROFILE, PROFILE_REQUIRING_A_COMMENT.encode(), "commentaire"),
    ]
    with open_repository(tmp_path, sae_database, schema_dir, agreements, files=files) as repository:
        yield repository


def refused(repo: Repository, submission: Submission) -> dict[str, dict[str, Any]]:
    """The blocking issues of a transfer that failed its checks, by code; checks that it cannot
    be accepted and that nothing reached the offers."""
    listed = pending(repo)[submission.message_identifier]
    assert listed["checks_passed"] is False, listed
    accepted = decide(repo, submission.remote_reference, "accept")
    assert (accepted.status_code, accepted.json()["code"]) == (409, "transfer_checks_failed")
    assert list(repo.offers.registry.iter_objects()) == []
    for offer in repo.offers.offers:
        assert list(offer.iter_digests()) == []
    return {i["code"]: i for i in listed["issues"] if i["severity"] != "warning"}


def send(repo: Repository, sip: Path, message_id: str, agency: str = "SERVICE-A") -> Submission:
    return submit(repo, sip, message_id, agency)


def unit_management(management: Management) -> Callable[[ArchiveTransfer], ArchiveTransfer]:
    def edit(transfer: ArchiveTransfer) -> ArchiveTransfer:
        root, *others = list(transfer.units)
        assert isinstance(root, ArchiveUnit)
        return dataclasses.replace(
            transfer, units=[dataclasses.replace(root, management=management), *others]
        )

    return edit


def rewrite_manifest(sip: Path, change: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(sip) as archive:
        items = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(sip, "w") as archive:
        for info, data in items:
            archive.writestr(info, change(data) if info.filename == "manifest.xml" else data)


# -- the package ---------------------------------------------------------------------------
def test_wrong_digest_is_refused_naming_the_file(repo: Repository, tmp_path: Path) -> None:
    forged = tmp_path / "forged.txt"
    forged.write_text("Un autre courrier\n")

    def swap_first(members: Members) -> Members:
        return [(members[0][0], forged), *members[1:]]

    sip = build_sip(tmp_path, "DIG-1", members=swap_first)
    issues = refused(repo, send(repo, sip, "DIG-1"))
    assert set(issues) == {"package_digest_mismatch"}
    assert "content/BDO_1.txt" in issues["package_digest_mismatch"]["message"]
    assert issues["package_digest_mismatch"]["path"] == "//BinaryDataObject[@id='BDO_1']"


def test_missing_file_is_refused(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(tmp_path, "MIS-1", members=lambda members: members[1:])
    issues = refused(repo, send(repo, sip, "MIS-1"))
    assert set(issues) == {"package_file_missing"}
    assert "content/BDO_1.txt" in issues["package_file_missing"]["message"]


def test_extra_file_is_refused(repo: Repository, tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("Fichier que le bordereau ne décrit pas\n")
    sip = build_sip(tmp_path, "EXT-1", members=lambda members: [*members, ("content/x.txt", extra)])
    issues = refused(repo, send(repo, sip, "EXT-1"))
    assert set(issues) == {"package_file_unreferenced"}
    assert "content/x.txt" in issues["package_file_unreferenced"]["message"]


# -- the signature -------------------------------------------------------------------------
def test_valid_signed_sip_passes_and_records_its_signer(
    repo: Repository, tmp_path: Path, trusted: SigningIdentity
) -> None:
    sip = build_sip(tmp_path, "SIG-1", agreement="AGR-SIGNED", signer=signer(trusted))
    submission = send(repo, sip, "SIG-1")
    listed = pending(repo)["SIG-1"]
    assert (listed["checks_passed"], listed["issues"]) == (True, [])
    assert listed["signer"] == trusted.certificate.subject.rfc4514_string()
    assert "CN=GED de la commune" in listed["signer"]
    assert decide(repo, submission.remote_reference, "accept").status_code == 200
    reply = repo.connector.poll(submission.with_acknowledgement())
    assert isinstance(reply, Replied)
    assert reply.outcome.outcome is Outcome.ACCEPTED


def test_manifest_changed_after_signing_is_refused(
    repo: Repository, tmp_path: Path, trusted: SigningIdentity
) -> None:
    sip = build_sip(tmp_path, "SIG-2", agreement="AGR-SIGNED", signer=signer(trusted))
    rewrite_manifest(
        sip,
        lambda xml: xml.replace(
            b"<Title>dossier</Title>", b"<Title>dossier falsifi\xc3\xa9</Title>"
        ),
    )
    submission = send(repo, sip, "SIG-2")
    issues = refused(repo, submission)
    assert set(issues) == {"signature_content_mismatch"}
    assert issues["signature_content_mismatch"]["path"] == "manifest.xml.p7s"
    assert pending(repo)["SIG-2"]["signer"] is None

    assert decide(repo, submission.remote_reference, "reject", "Bordereau altéré").is_success
    reply = repo.connector.poll(submission.with_acknowledgement())
    assert isinstance(reply, Replied)
    assert reply.outcome.outcome is Outcome.REJECTED
    assert "signature_content_mismatch" in {code for code, _, _ in reply.outcome.events}


def test_signature_from_an_untrusted_key_is_refused(repo: Repository, tmp_path: Path) -> None:
    stranger = identity("Inconnu")
    sip = build_sip(tmp_path, "SIG-3", signer=signer(stranger))
    issues = refused(repo, send(repo, sip, "SIG-3"))
    assert set(issues) == {"signature_untrusted"}


def test_expired_signer_certificate_is_refused(
    repo: Repository, tmp_path: Path, expired: SigningIdentity
) -> None:
    sip = build_sip(tmp_path, "SIG-4", signer=signer(expired))
    issues = refused(repo, send(repo, sip, "SIG-4"))
    assert set(issues) == {"signature_expired"}
    assert "expiré" in issues["signature_expired"]["message"]


def test_unreadable_signature_is_refused(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(tmp_path, "SIG-5", signer=lambda _digest: b"\x30\x03\x02\x01\x01")
    issues = refused(repo, send(repo, sip, "SIG-5"))
    assert set(issues) == {"signature_malformed"}


def test_agreement_requiring_a_signature_refuses_an_unsigned_sip(
    repo: Repository, tmp_path: Path
) -> None:
    sip = build_sip(tmp_path, "SIG-6", agreement="AGR-SIGNED")
    issues = refused(repo, send(repo, sip, "SIG-6"))
    assert set(issues) == {"signature_missing"}


# -- the archival profile ------------------------------------------------------------------
def with_profile(
    identifier: str | None, comment: str | None
) -> Callable[[ArchiveTransfer], ArchiveTransfer]:
    def edit(transfer: ArchiveTransfer) -> ArchiveTransfer:
        header = dataclasses.replace(transfer.header, comments=(comment,) if comment else ())
        metadata = dataclasses.replace(transfer.management_metadata, archival_profile=identifier)
        return dataclasses.replace(transfer, header=header, management_metadata=metadata)

    return edit


def test_manifest_outside_the_agreements_profile_is_refused(
    repo: Repository, tmp_path: Path
) -> None:
    sip = build_sip(tmp_path, "PRO-1", agreement="AGR-PROFILE", edit=with_profile(PROFILE_ID, None))
    issues = refused(repo, send(repo, sip, "PRO-1"))
    assert set(issues) == {"profile_invalid"}
    assert isinstance(issues["profile_invalid"]["line"], int)
    assert "profil commentaire" in issues["profile_invalid"]["message"]


def test_manifest_declaring_another_profile_is_refused(repo: Repository, tmp_path: Path) -> None:
    edit = with_profile("PR-AUTRE", "Versement annuel")
    sip = build_sip(tmp_path, "PRO-2", agreement="AGR-PROFILE", edit=edit)
    issues = refused(repo, send(repo, sip, "PRO-2"))
    assert set(issues) == {"archival_profile_mismatch"}
    assert PROFILE_ID in issues["archival_profile_mismatch"]["message"]


def test_manifest_following_the_profile_passes(repo: Repository, tmp_path: Path) -> None:
    edit = with_profile(PROFILE_ID, "Versement annuel")
    send(repo, build_sip(tmp_path, "PRO-3", agreement="AGR-PROFILE", edit=edit), "PRO-3")
    listed = pending(repo)["PRO-3"]
    assert (listed["checks_passed"], listed["issues"]) == (True, [])


# -- the referentials ----------------------------------------------------------------------
def test_unknown_originating_agency_is_refused(repo: Repository, tmp_path: Path) -> None:
    def originating(transfer: ArchiveTransfer) -> ArchiveTransfer:
        metadata = dataclasses.replace(
            transfer.management_metadata, originating_agency_identifier="SERVICE-INCONNU"
        )
        return dataclasses.replace(transfer, management_metadata=metadata)

    issues = refused(repo, send(repo, build_sip(tmp_path, "REF-1", edit=originating), "REF-1"))
    assert set(issues) == {"unknown_agency"}
    issue = issues["unknown_agency"]
    assert "SERVICE-INCONNU" in issue["message"]
    assert issue["path"].endswith("ManagementMetadata/OriginatingAgencyIdentifier")
    assert issue["line"] is not None


def test_unknown_rule_is_refused_with_its_unit(repo: Repository, tmp_path: Path) -> None:
    rules = Management(
        appraisal=AppraisalRule((Rule("APP-00001"), Rule("APP-99999")), final_action="Destroy")
    )
    sip = build_sip(tmp_path, "REF-2", edit=unit_management(rules))
    issues = refused(repo, send(repo, sip, "REF-2"))
    assert set(issues) == {"unknown_rule"}
    issue = issues["unknown_rule"]
    assert "APP-99999" in issue["message"]
    assert "AU_0" in issue["message"]
    assert issue["path"] == "//ArchiveUnit[@id='AU_0']/Management/AppraisalRule/Rule"


def test_rule_used_in_another_category_is_refused(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(
        tmp_path, "REF-3", edit=unit_management(Management(access=AccessRule((Rule("APP-00001"),))))
    )
    issues = refused(repo, send(repo, sip, "REF-3"))
    assert set(issues) == {"rule_category_mismatch"}
    assert "AppraisalRule" in issues["rule_category_mismatch"]["message"]


def test_known_rules_and_agencies_pass(repo: Repository, tmp_path: Path) -> None:
    rules = Management(
        appraisal=AppraisalRule((Rule("APP-00001"),), final_action="Keep"),
        access=AccessRule((Rule("ACC-00001"),)),
    )
    send(repo, build_sip(tmp_path, "REF-4", edit=unit_management(rules)), "REF-4")
    listed = pending(repo)["REF-4"]
    assert (listed["checks_passed"], listed["issues"]) == (True, [])


# -- the agreement's scope -----------------------------------------------------------------
def test_agency_no_agreement_names_is_refused_before_upload(
    repo: Repository, tmp_path: Path
) -> None:
    with pytest.raises(SubmissionRefused) as refusal:
        send(repo, build_sip(tmp_path, "AGR-9"), "AGR-9", agency="SERVICE-INCONNU")
    assert refusal.value.code == "agency_not_allowed"
    assert pending(repo) == {}
    assert list(repo.settings.quarantine_dir.glob("*")) == []


def test_agency_outside_the_agreement_the_manifest_names_is_refused(
    repo: Repository, tmp_path: Path
) -> None:
    sip = build_sip(tmp_path, "AGR-2", agreement="AGR-B")
    issues = refused(repo, send(repo, sip, "AGR-2"))
    assert set(issues) == {"agency_not_in_agreement"}


def test_seda_version_outside_the_agreement_is_refused(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(tmp_path, "AGR-3", version=SedaVersion.V2_1)
    issues = refused(repo, send(repo, sip, "AGR-3"))
    assert set(issues) == {"seda_version_not_allowed"}
    assert "2.1" in issues["seda_version_not_allowed"]["message"]


def test_agreement_of_another_organisation_is_refused(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(tmp_path, "AGR-4", agreement="AGR-OTHER")
    issues = refused(repo, send(repo, sip, "AGR-4"))
    assert set(issues) == {"archival_agreement_unknown"}


def test_manifest_naming_no_agreement_is_refused(repo: Repository, tmp_path: Path) -> None:
    issues = refused(repo, send(repo, build_sip(tmp_path, "AGR-5", agreement=None), "AGR-5"))
    assert set(issues) == {"archival_agreement_missing"}


def test_manifest_from_another_agency_than_the_sender_is_refused(
    repo: Repository, tmp_path: Path
) -> None:
    sip = build_sip(tmp_path, "AGR-6", agreement="AGR-B")
    issues = refused(repo, send(repo, sip, "AGR-6", agency="SERVICE-B"))
    assert set(issues) == {"transferring_agency_mismatch"}
    assert "SERVICE-A" in issues["transferring_agency_mismatch"]["message"]


# -- reading the manifest ------------------------------------------------------------------
MANIFEST = f"""<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="{SedaVersion.V2_2.namespace}">
  <MessageIdentifier>M-1</MessageIdentifier>
  <ArchivalAgreement>AGR-1</ArchivalAgreement>
  <DataObjectPackage>
    <DescriptiveMetadata>
      <ArchiveUnit id="AU_1">
        <Management>
          <AccessRule><Rule>ACC-1</Rule><RefNonRuleId>ACC-2</RefNonRuleId></AccessRule>
          <HoldRule><Rule>HOL-1</Rule></HoldRule>
        </Management>
        <Content>
          <OriginatingAgency><Identifier>SERVICE-C</Identifier></OriginatingAgency>
          <Writer><Identifier>PERSONNE-1</Identifier></Writer>
        </Content>
        <ArchiveUnit id="AU_2">
          <Management><AccessRule><Rule>ACC-1</Rule></AccessRule></Management>
        </ArchiveUnit>
      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata>
      <ArchivalProfile>PR-1</ArchivalProfile>
      <SubmissionAgencyIdentifier>SERVICE-D</SubmissionAgencyIdentifier>
      <AppraisalRule><Rule>APP-1</Rule><FinalAction>Keep</FinalAction></AppraisalRule>
    </ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>ARCH</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>SERVICE-A</Identifier></TransferringAgency>
</ArchiveTransfer>
""".encode()


def test_manifest_facts_are_read_in_one_streaming_pass() -> None:
    facts = read_manifest(lambda: io.BytesIO(MANIFEST), SedaVersion.V2_2)
    header = (
        facts.message_identifier,
        facts.archival_agreement,
        facts.archival_agency,
        facts.transferring_agency,
        facts.archival_profile,
    )
    assert header == ("M-1", "AGR-1", "ARCH", "SERVICE-A", "PR-1")
    assert set(facts.agencies) == {"ARCH", "SERVICE-A", "SERVICE-C", "SERVICE-D"}
    assert facts.agencies["SERVICE-C"].unit == "AU_1"
    assert facts.agencies["SERVICE-D"].unit is None
    assert set(facts.rules) == {
        ("AccessRule", "ACC-1"),
        ("AccessRule", "ACC-2"),
        ("HoldRule", "HOL-1"),
        ("AppraisalRule", "APP-1"),
    }
    first = facts.rules[("AccessRule", "ACC-1")]
    assert (first.unit, first.count, first.line) == ("AU_1", 2, 9)
    assert first.path == "//ArchiveUnit[@id='AU_1']/Management/AccessRule/Rule"
