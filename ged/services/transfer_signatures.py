"""The signatures of the documents a transfer carries, with their proofs and validation reports.

For each document whose current version has a signature validation report (a signed PDF, an
XML document with XAdES, a document a ``.p7s`` signs):

- its validation report goes into the SIP as a file of its own, a machine-readable JSON
  (``kernel.signing.report_file``), in a child unit of the document's unit (« Rapport de
  vérification des signatures »), so the repository can verify the signatures again at ingest;
- SEDA 2.3: the document's unit carries ``SigningInformation`` (seda-2.3-ontology.xsd,
  SigningInformationType): SigningRole ``SignedDocument``, DetachedSigningRole
  ``AdditionalProof`` (the report's unit, under it), one SignatureDescription per signature
  (Signer: the certificate's subject and the signing time; Validator: this GED and the time of
  the check), TimestampingInformation when a time-stamp proves the time, and an AdditionalProof
  with the report's status and reasons. The units of the proofs (the préfecture's
  acknowledgement, the signature bordereau, the parapheur's PREMIS and history, the ACTES
  message) get SigningRole ``AdditionalProof``, a ``.p7s`` SigningRole ``Signature``, each
  with the SignedDocumentReferenceId of the documents they prove;
- SEDA 2.1 / 2.2 (no SigningInformation): one ``Signature`` per signature whose signer and time
  are known (Signer, Validator, ReferencedObject: the object and its digest);
- every 2.x version: the document's ``RelatedObjectReference``/``References`` names the units
  of its proofs, of its detached signatures and of its report.

SEDA 1.0 carries none of this (it has no place for it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from ged.domain.model import Document, Version
from ged.domain.signatures import SignatureCheck, SignatureReport, SignatureStatus
from kernel.signing.report_file import (
    REPORT_SUFFIX,
    DeclaredReport,
    DeclaredSignature,
    SignedDocument,
    dump_report,
)
from seda import model as m
from seda import signing as s
from seda.sip import SipLayout, content_name
from seda.versions import SedaVersion

# Document types the inbound profiles give the proofs of a signature or of a transmission.
PROOF_TYPES = frozenset(
    {
        "accuse_reception",
        "bordereau_signature",
        "premis_parapheur",
        "historique_parapheur",
        "message_actes",
    }
)
VALIDATOR = "gedsae"


@dataclass(frozen=True)
class Placed:
    """One document as the SIP holds it: its unit, its object and its object group."""

    document: Document
    version: Version
    report: SignatureReport | None
    signs: tuple[str, ...]  # the documents a .p7s signs
    unit_id: str
    object_id: str
    group_id: str

    @property
    def signed(self) -> bool:
        return self.report is not None and self.report.status is not SignatureStatus.NONE

    @property
    def proof(self) -> bool:
        return self.document.metadata.document_type in PROOF_TYPES


@dataclass
class Carried:
    """What the signatures of one dossier add to the SIP."""

    extra: dict[str, list[m.RawXml]] = field(default_factory=dict)  # by unit id
    children: dict[str, list[m.ArchiveUnit]] = field(default_factory=dict)  # by unit id
    groups: list[m.DataObjectGroup] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (member, bytes)


def carry_signatures(
    version: SedaVersion, placed: Sequence[Placed], agency: str, layout: SipLayout
) -> Carried:
    """The elements, units, object groups and files the signatures of ``placed`` (the
    documents of one dossier) add to the SIP."""
    carried = Carried()
    signed = [p for p in placed if p.signed and not p.signs]
    units = {p.document.id: p.unit_id for p in placed}
    objects = {p.document.id: p.object_id for p in placed}
    for p in signed:
        report_unit = _report_file(version, p, units, objects, layout, carried)
        related = [q.unit_id for q in placed if q.proof and q is not p]
        related += [q.unit_id for q in placed if p.document.id in q.signs]
        relations = tuple(s.Relation("References", archive_unit_ref_id=u) for u in related)
        relations += (s.Relation("References", archive_unit_ref_id=report_unit),)
        carried.extra.setdefault(p.unit_id, []).append(s.related_objects(version, relations))
    for p in placed:
        carried.extra.setdefault(p.unit_id, []).extend(
            _described(version, p, signed, units, agency)
        )
    return carried


def _described(
    version: SedaVersion,
    p: Placed,
    signed: list[Placed],
    units: dict[str, str],
    agency: str,
) -> list[m.RawXml]:
    validator = s.Party(corpname=VALIDATOR, identifiers=(agency,))
    report = p.report if p.signed else None
    if not version.at_least(SedaVersion.V2_3):
        if report is None or p.signs:
            return []
        return [s.signature(version, sig) for sig in _signatures(p, report, validator)]
    roles: list[str] = []
    refs: list[str] = []
    if report is not None and not p.signs:
        roles.append("SignedDocument")
    if p.signs:
        roles.append("Signature")
        refs += [units[d] for d in p.signs if d in units]
    if p.proof and any(q is not p for q in signed):
        roles.append("AdditionalProof")
        refs += [q.unit_id for q in signed if q is not p]
    if not roles:
        return []
    info = s.SigningInformation(
        roles=tuple(roles),
        detached_roles=("AdditionalProof",) if "SignedDocument" in roles else (),
        signed_document_reference_ids=tuple(dict.fromkeys(refs)),
        descriptions=_descriptions(report, validator) if report else (),
        timestamps=_timestamps(report) if report else (),
        additional_proofs=(_proof_tokens(report),) if report else (),
    )
    return [s.signing_information(version, info)]


def _descriptions(
    report: SignatureReport, validator: s.Party
) -> tuple[s.SignatureDescription, ...]:
    checked = s.Validator(validator, report.checked_at.isoformat())
    return tuple(s.SignatureDescription(_signer(c), checked) for c in report.signatures)


def _timestamps(report: SignatureReport) -> tuple[s.Timestamping, ...]:
    return tuple(
        s.Timestamping(c.timestamp_time.isoformat(), f"horodatage de la signature {c.format}")
        for c in report.signatures
        if c.timestamp_time is not None
    )


def _proof_tokens(report: SignatureReport) -> tuple[str, ...]:
    """The report's verdict as tokens (NonEmptyTokenType): status, reasons, time, anchors."""
    tokens = [f"status:{report.status.value}", f"checked_at:{report.checked_at.isoformat()}"]
    reasons = sorted({r for c in report.signatures for r in c.reasons})
    tokens += [f"reason:{r}" for r in reasons]
    if report.anchors:
        tokens.append(f"trust_anchors:{report.anchors}")
    return tuple(tokens)


def _signer(check: SignatureCheck) -> s.Signer | None:
    when = check.signing_time or check.timestamp_time
    if when is None or not (check.signer or "").strip():
        return None
    return s.Signer(s.Party(full_name=_token(check.signer or "")), when.isoformat())


def _signatures(p: Placed, report: SignatureReport, validator: s.Party) -> list[s.Signature]:
    checked = s.Validator(validator, report.checked_at.isoformat())
    found = []
    for check in report.signatures:
        signer = _signer(check)
        if signer is not None:
            found.append(s.Signature((signer,), checked, p.object_id, p.version.sha512))
    return found


def _report_file(
    version: SedaVersion,
    p: Placed,
    units: dict[str, str],
    objects: dict[str, str],
    layout: SipLayout,
    carried: Carried,
) -> str:
    """The report's JSON as a file, in a unit under the document's; answers that unit's id."""
    assert p.report is not None
    unit_id, object_id, group_id = f"{p.unit_id}_SR", f"{p.object_id}_SR", f"{p.group_id}_SR"
    filename = p.version.filename + REPORT_SUFFIX
    data = dump_report(_declared(p, p.report, units, objects))
    uri = content_name(object_id, filename, layout)
    binary = m.BinaryDataObject(
        id=object_id,
        uri=uri,
        message_digest=hashlib.sha512(data).hexdigest(),
        size=len(data),
        format=m.FormatIdentification(
            format_litteral="JSON Data Interchange Format",
            mime_type="application/json",
            format_id="fmt/817",
        ),
        filename=filename,
    )
    carried.groups.append(m.DataObjectGroup(group_id, (binary,)))
    carried.files.append((uri, data))
    extra: tuple[m.RawXml, ...] = ()
    if version.at_least(SedaVersion.V2_3):  # the report proves the document's signatures
        info = s.SigningInformation(
            ("AdditionalProof",), signed_document_reference_ids=(p.unit_id,)
        )
        extra = (s.signing_information(version, info),)
    content = m.Content(
        description_level="Item",
        titles=(f"Rapport de vérification des signatures : {p.version.filename}",),
        extra=extra,
    )
    reference = m.ObjectReference(data_object_group_reference_id=group_id)
    unit = m.ArchiveUnit(unit_id, content, object_references=(reference,))
    carried.children.setdefault(p.unit_id, []).append(unit)
    return unit_id


def _declared(
    p: Placed, report: SignatureReport, units: dict[str, str], objects: dict[str, str]
) -> DeclaredReport:
    return DeclaredReport(
        SignedDocument(p.unit_id, p.object_id, p.version.filename, p.version.sha512),
        report.status.value,
        report.checked_at.isoformat(),
        report.anchors,
        tuple(_declared_signature(c, units, objects) for c in report.signatures),
    )


def _declared_signature(
    check: SignatureCheck, units: dict[str, str], objects: dict[str, str]
) -> DeclaredSignature:
    return DeclaredSignature(
        format=check.format.value,
        status=check.status.value,
        reasons=check.reasons,
        messages=tuple(check.messages()),
        signer=check.signer,
        signing_time=check.signing_time.isoformat() if check.signing_time else None,
        timestamp_time=check.timestamp_time.isoformat() if check.timestamp_time else None,
        detached_signature_unit=units.get(check.source) if check.source else None,
        detached_signature_object=objects.get(check.source) if check.source else None,
    )


def _token(value: str) -> str:
    return " ".join(value.split())
