"""Ingest checks that need the repository's configuration, not only the SEDA schemas (issue 5).

- ``read_manifest``: one streaming pass over the manifest (lxml ``iterparse``, each unit and
  object freed once read, so a manifest of any size is never held whole) for what is checked
  against the archival agreement and the referentials: the header (MessageIdentifier,
  ArchivalAgreement, ArchivalAgency, TransferringAgency), the declared ArchivalProfile, and every
  agency and management-rule identifier named, each with the place it first appears (unit,
  path, line) and how many times it appears.
- ``signature_issues``: the detached CAdES-BES signature ``<manifest>.p7s`` that
  ``seda.sip.write_sip`` puts beside the manifest (ETSI EN 319 122-1 over CMS SignedData, RFC
  5652), verified by ``kernel.signing.verify_digest`` over the digest of the manifest bytes
  received, against the configured trust anchors: content, signature value, chain, and validity
  dates at the time of the check (no time-stamp is read, so a certificate that has expired since
  the signing is refused). A signature from a key no anchor vouches for is refused too: a
  repository receiving signed packages configures the anchors it trusts.
- ``profile_issues``: the archival profile (RELAX NG, ``seda.profile``) named by the agreement,
  and the ArchivalProfile identifier the agreement expects the manifest to declare.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final, TypeVar

from cryptography import x509
from lxml import etree

from kernel.signing import DigestAlgorithm, ProblemCode, verify_digest
from kernel.signing.cms import parse_signed_data
from sae.store import CheckIssue
from seda import profile
from seda.digests import hash_chunks
from seda.package import Package
from seda.safexml import (
    DEFAULT_XML_LIMITS,
    Opener,
    XmlLimits,
    iterparse_safe,
    line_of,
    owner_xpath,
    release,
)
from seda.sip import SIGNATURE_SUFFIX
from seda.versions import SedaVersion

MAX_SIGNATURE_BYTES: Final = 1024 * 1024  # a CAdES signature with its chain is a few kB
RULE_CATEGORIES: Final = frozenset(
    {
        "AppraisalRule",
        "AccessRule",
        "StorageRule",
        "DisseminationRule",
        "ReuseRule",
        "ClassificationRule",
        "HoldRule",
    }
)
_AGENCIES: Final = frozenset(
    {"ArchivalAgency", "TransferringAgency", "OriginatingAgency", "SubmissionAgency"}
)
_AGENCY_FIELDS: Final = ("OriginatingAgencyIdentifier", "SubmissionAgencyIdentifier")
_HEADER_FIELDS: Final = {
    "MessageIdentifier": "message_identifier",
    "ArchivalAgreement": "archival_agreement",
}
# Finished subtrees freed as soon as they end (their identifiers were read at their own end).
_FREED: Final = (
    "ArchiveUnit",
    "DataObjectGroup",
    "BinaryDataObject",
    "PhysicalDataObject",
    "ManagementMetadata",
    "CodeListVersions",
)
_SIGNATURE_CODES: Final = {
    ProblemCode.MALFORMED_SIGNATURE: "signature_malformed",
    ProblemCode.UNSUPPORTED_ALGORITHM: "signature_unsupported",
    ProblemCode.CONTENT_MISMATCH: "signature_content_mismatch",
    ProblemCode.SIGNATURE_INVALID: "signature_invalid",
    ProblemCode.SIGNING_CERTIFICATE_MISMATCH: "signature_certificate_mismatch",
    ProblemCode.UNTRUSTED_CHAIN: "signature_untrusted",
    ProblemCode.CERTIFICATE_EXPIRED: "signature_expired",
    ProblemCode.CERTIFICATE_NOT_YET_VALID: "signature_not_yet_valid",
}
_Key = TypeVar("_Key", bound=Hashable)


# -- reading the manifest ------------------------------------------------------------------
@dataclass
class Occurrence:
    """Where an identifier is first named, and how many times it is named in all."""

    unit: str | None  # id of the enclosing ArchiveUnit; None in the header or ManagementMetadata
    path: str
    line: int | None
    count: int = 1


@dataclass
class ManifestFacts:
    message_identifier: str | None = None
    archival_agreement: str | None = None
    archival_agency: str | None = None
    transferring_agency: str | None = None
    archival_profile: str | None = None
    agencies: dict[str, Occurrence] = field(default_factory=dict)
    rules: dict[tuple[str, str], Occurrence] = field(default_factory=dict)  # (category, id)


class _Reader:
    def __init__(self, version: SedaVersion) -> None:
        self.brace = "{" + version.namespace + "}"
        self.facts = ManifestFacts()
        self.handlers: dict[str, Callable[[etree._Element, str], None]] = {
            **dict.fromkeys(_HEADER_FIELDS, self._header_field),
            "Identifier": self._agency_identifier,
            **dict.fromkeys(_AGENCY_FIELDS, self._agency_field),
            "ArchivalProfile": self._archival_profile,
            "Rule": self._rule,
            "RefNonRuleId": self._rule,
            **dict.fromkeys(_FREED, self._finished),
        }

    @property
    def tags(self) -> list[str]:
        return [self.brace + local for local in self.handlers]

    def handle(self, el: etree._Element) -> None:
        parent = el.getparent()
        parent_name = "" if parent is None else self._local(parent)
        self.handlers[self._local(el)](el, parent_name)

    def _local(self, el: etree._Element) -> str:
        return str(el.tag)[len(self.brace) :]

    def _header_field(self, el: etree._Element, parent: str) -> None:
        if parent == "ArchiveTransfer":
            setattr(self.facts, _HEADER_FIELDS[self._local(el)], _text(el))

    def _agency_identifier(self, el: etree._Element, parent: str) -> None:
        if parent not in _AGENCIES:
            return  # an Identifier of something else (a person, an event)
        agency = el.getparent()
        in_header = agency is not None and _is_root_child(agency)
        if in_header and parent == "ArchivalAgency":
            self.facts.archival_agency = _text(el)
        elif in_header and parent == "TransferringAgency":
            self.facts.transferring_agency = _text(el)
        self._note(self.facts.agencies, _text(el), el)

    def _agency_field(self, el: etree._Element, _parent: str) -> None:
        self._note(self.facts.agencies, _text(el), el)

    def _archival_profile(self, el: etree._Element, parent: str) -> None:
        if parent == "ManagementMetadata":
            self.facts.archival_profile = _text(el) or None

    def _rule(self, el: etree._Element, parent: str) -> None:
        if parent in RULE_CATEGORIES and _text(el):
            self._note(self.facts.rules, (parent, _text(el)), el)

    def _finished(self, el: etree._Element, _parent: str) -> None:
        release(el)

    def _note(self, seen: dict[_Key, Occurrence], key: _Key, el: etree._Element) -> None:
        if not key:
            return  # an empty identifier is the XSD's to report
        found = seen.get(key)
        if found is not None:
            found.count += 1
            return
        unit = next(el.iterancestors(self.brace + "ArchiveUnit"), None)
        where = owner_xpath(el, self.brace)
        seen[key] = Occurrence(None if unit is None else unit.get("id"), where, line_of(el))


def read_manifest(
    open_stream: Opener, version: SedaVersion, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> ManifestFacts:
    """The header, the declared profile, the agencies and rules named (SedaError if unreadable)."""
    reader = _Reader(version)
    for _event, el in iterparse_safe(open_stream, ("end",), limits=limits, tag=reader.tags):
        reader.handle(el)
    return reader.facts


def _is_root_child(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and parent.getparent() is None


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def member_digest(package: Package, member: str, algorithm: str) -> bytes:
    """Digest of one member of the package (``algorithm`` as hashlib names it), streamed."""
    return hash_chunks(algorithm, package.chunks(member))[0]


# -- the manifest's signature --------------------------------------------------------------
@dataclass(frozen=True)
class SignatureCheck:
    issues: tuple[CheckIssue, ...] = ()
    signer: str | None = None  # subject (RFC 4514) of the signer's certificate, once verified


def signature_issues(
    package: Package,
    manifest: str,
    trust_anchors: Sequence[x509.Certificate],
    *,
    required: bool,
    manifest_digest: Callable[[str], bytes],
    at: datetime | None = None,
) -> SignatureCheck:
    """Verify ``<manifest>.p7s`` when the package holds it; ``signature_missing`` if required.

    ``manifest_digest(algorithm)`` gives the manifest's digest (hashlib name): the caller shares
    it with the check of the digest announced at submission, so the manifest is hashed once."""
    name = manifest + SIGNATURE_SUFFIX
    if name not in package.entries:
        if not required:
            return SignatureCheck()
        message = f"Signature {name} absente : l'accord de versement exige un bordereau signé"
        return SignatureCheck((CheckIssue("signature_missing", "error", message, path=name),))
    if package.entries[name] > MAX_SIGNATURE_BYTES:
        message = f"Signature {name} de plus de {MAX_SIGNATURE_BYTES} octets"
        return SignatureCheck((CheckIssue("signature_malformed", "error", message, path=name),))
    signature = b"".join(package.chunks(name))
    algorithm = _signed_digest_algorithm(signature)
    digest = manifest_digest(algorithm.value)
    result = verify_digest(signature, digest, trust_anchors, algorithm=algorithm, at=at)
    issues = tuple(
        CheckIssue(_SIGNATURE_CODES[p.code], "error", f"Signature {name} : {p.message}", path=name)
        for p in result.problems
    )
    signer = result.signer if result.valid else None
    return SignatureCheck(issues, None if signer is None else signer.subject.rfc4514_string())


def _signed_digest_algorithm(signature: bytes) -> DigestAlgorithm:
    """The digest the signer used; SHA-256 (what seda.sip signs) when the signature is unreadable,
    which verify_digest then reports."""
    try:
        signers = parse_signed_data(signature).signer_infos
    except (ValueError, IndexError):
        return DigestAlgorithm.SHA256
    found = DigestAlgorithm.from_oid(signers[0].digest_algorithm) if len(signers) == 1 else None
    return found or DigestAlgorithm.SHA256


# -- the archival profile ------------------------------------------------------------------
def profile_issues(
    open_stream: Opener,
    grammar: Path | None,
    expected_identifier: str | None,
    declared_identifier: str | None,
) -> list[CheckIssue]:
    """The manifest against the agreement's RELAX NG profile and its ArchivalProfile identifier.

    The RELAX NG validation needs the whole tree (libxml2 has no streaming RELAX NG with
    line numbers), so it runs only for agreements that name a profile."""
    issues = []
    if expected_identifier is not None and declared_identifier != expected_identifier:
        declared = declared_identifier or "(absent)"
        message = f"ArchivalProfile {declared} ≠ profil {expected_identifier} de l'accord"
        issues.append(CheckIssue("archival_profile_mismatch", "error", message))
    if grammar is not None:
        issues += [
            CheckIssue(i.code, i.severity.value, i.message, i.line, i.xpath)
            for i in profile.profile_issues(open_stream, grammar)
        ]
    return issues
