"""Signatures and related objects described in an ArchiveUnit's Content (seda-2.x-ontology.xsd).

- SEDA 2.3 ``SigningInformation`` (SigningInformationType): SigningRole+ (SignedDocument,
  Signature, Timestamp, AdditionalProof), DetachedSigningRole*, SignedDocumentReferenceId*
  (the unit of the signed document, from the units holding its proofs),
  SignatureDescription* (Signer with SigningTime, Validator with ValidationTime, SigningType),
  TimestampingInformation*, AdditionalProof* (AdditionalProofInformation*).
- SEDA 2.1 / 2.2 ``Signature`` (SignatureType, deprecated in 2.3): Signer+, Validator,
  ReferencedObject (SignedObjectId, SignedObjectDigest).
- ``RelatedObjectReference`` (RelationGroup, every 2.x version): IsVersionOf, Replaces,
  Requires, IsPartOf, References, each to a unit (ArchiveUnitRefId) or an object group
  (DataObjectReference/DataObjectGroupReferenceId) of the same package.

The writer carries them as verbatim elements (``Content.extra``), placed in schema order like
any other; this module builds them from typed values and reads them back to the same values.
A Signer or Validator is described by what a certificate tells: a person's ``FullName`` or an
entity's ``Corpname`` (PersonOrEntityGroup), with its identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from seda.errors import VersionMismatch
from seda.model import Content, RawXml
from seda.safexml import secure_parser
from seda.versions import SedaVersion
from seda.xmltext import element, escape_attr

SIGNING_ROLES = ("SignedDocument", "Timestamp", "Signature", "AdditionalProof")
RELATION_KINDS = ("IsVersionOf", "Replaces", "Requires", "IsPartOf", "References")


@dataclass(frozen=True)
class Party:
    """A signer or a validator (PersonOrEntityGroup): a person's FullName or an entity's
    Corpname, and identifiers."""

    full_name: str | None = None
    corpname: str | None = None
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signer:
    party: Party
    signing_time: str  # xsd:dateTime


@dataclass(frozen=True)
class Validator:
    party: Party
    validation_time: str  # xsd:dateTime


@dataclass(frozen=True)
class SignatureDescription:
    signer: Signer | None = None
    validator: Validator | None = None
    signing_type: str | None = None  # simple, avancée, qualifiée


@dataclass(frozen=True)
class Timestamping:
    timestamp: str | None = None  # xsd:dateTime
    information: str | None = None


@dataclass(frozen=True)
class SigningInformation:
    """SEDA 2.3 SigningInformation of one unit."""

    roles: tuple[str, ...]
    detached_roles: tuple[str, ...] = ()
    signed_document_reference_ids: tuple[str, ...] = ()
    descriptions: tuple[SignatureDescription, ...] = ()
    timestamps: tuple[Timestamping, ...] = ()
    additional_proofs: tuple[tuple[str, ...], ...] = ()  # each AdditionalProof's informations


@dataclass(frozen=True)
class Signature:
    """SEDA 2.1 / 2.2 Signature: who signed, who validated, and the signed object."""

    signers: tuple[Signer, ...]
    validator: Validator
    signed_object_id: str
    signed_object_digest: str
    digest_algorithm: str = "SHA-512"


@dataclass(frozen=True)
class Relation:
    """One relation of RelatedObjectReference, to a unit or to an object group."""

    kind: str  # one of RELATION_KINDS
    archive_unit_ref_id: str | None = None
    data_object_group_reference_id: str | None = None


# -- writing -----------------------------------------------------------------------------------


def signing_information(version: SedaVersion, info: SigningInformation) -> RawXml:
    if not version.at_least(SedaVersion.V2_3):
        raise VersionMismatch(f"SigningInformation n'existe pas en SEDA {version.value}")
    if not info.roles or set(info.roles) - set(SIGNING_ROLES):
        raise VersionMismatch(f"SigningRole invalide : {info.roles!r}")
    parts = [element("SigningRole", role) for role in info.roles]
    parts += [element("DetachedSigningRole", role) for role in info.detached_roles]
    parts += [element("SignedDocumentReferenceId", i) for i in info.signed_document_reference_ids]
    parts += [_description(d) for d in info.descriptions]
    parts += [_timestamping(t) for t in info.timestamps]
    parts += [
        "<AdditionalProof>"
        + "".join(element("AdditionalProofInformation", text) for text in proof)
        + "</AdditionalProof>"
        for proof in info.additional_proofs
    ]
    return _raw(version, "SigningInformation", "".join(parts))


def signature(version: SedaVersion, sig: Signature) -> RawXml:
    if version.at_least(SedaVersion.V2_3):
        raise VersionMismatch("Signature n'existe plus en SEDA 2.3 : SigningInformation")
    if not sig.signers:
        raise VersionMismatch("Signature : au moins un Signer")
    parts = [_signer(s) for s in sig.signers]
    parts.append(_validator(sig.validator))
    digest = (
        f'<SignedObjectDigest algorithm="{escape_attr(sig.digest_algorithm)}">'
        f"{sig.signed_object_digest}</SignedObjectDigest>"
    )
    parts.append(
        "<ReferencedObject>"
        + element("SignedObjectId", sig.signed_object_id)
        + digest
        + "</ReferencedObject>"
    )
    return _raw(version, "Signature", "".join(parts))


def related_objects(version: SedaVersion, relations: tuple[Relation, ...]) -> RawXml:
    """One RelatedObjectReference (the Content holds at most one), relations grouped by kind
    in schema order."""
    parts = []
    for kind in RELATION_KINDS:
        for relation in relations:
            if relation.kind == kind:
                parts.append(f"<{kind}>{_reference(relation)}</{kind}>")
    if len(parts) != len(relations):
        raise VersionMismatch(f"relation inconnue du SEDA ({', '.join(RELATION_KINDS)} attendu)")
    return _raw(version, "RelatedObjectReference", "".join(parts))


def _raw(version: SedaVersion, name: str, body: str) -> RawXml:
    return RawXml(name, f'<{name} xmlns="{version.namespace}">{body}</{name}>'.encode())


def _party(party: Party) -> str:
    if party.corpname is not None:
        who = element("Corpname", party.corpname)
    else:
        who = element("FullName", party.full_name or "")
    return who + "".join(element("Identifier", i) for i in party.identifiers)


def _signer(signer: Signer) -> str:
    body = _party(signer.party) + element("SigningTime", signer.signing_time)
    return f"<Signer>{body}</Signer>"


def _validator(validator: Validator) -> str:
    body = _party(validator.party) + element("ValidationTime", validator.validation_time)
    return f"<Validator>{body}</Validator>"


def _description(d: SignatureDescription) -> str:
    parts = []
    if d.signer is not None:
        parts.append(_signer(d.signer))
    if d.validator is not None:
        parts.append(_validator(d.validator))
    if d.signing_type is not None:
        parts.append(element("SigningType", d.signing_type))
    return f"<SignatureDescription>{''.join(parts)}</SignatureDescription>"


def _timestamping(t: Timestamping) -> str:
    parts = []
    if t.timestamp is not None:
        parts.append(element("TimeStamp", t.timestamp))
    if t.information is not None:
        parts.append(element("AdditionalTimestampingInformation", t.information))
    return f"<TimestampingInformation>{''.join(parts)}</TimestampingInformation>"


def _reference(relation: Relation) -> str:
    if relation.archive_unit_ref_id is not None:
        return element("ArchiveUnitRefId", relation.archive_unit_ref_id)
    group = relation.data_object_group_reference_id or ""
    return (
        "<DataObjectReference>"
        + element("DataObjectGroupReferenceId", group)
        + "</DataObjectReference>"
    )


# -- reading -----------------------------------------------------------------------------------


class _Tree:
    """Children and texts of one verbatim element, by local name."""

    def __init__(self, raw: RawXml) -> None:
        self.root = etree.fromstring(raw.xml, secure_parser())
        self.ns = "{" + (etree.QName(self.root).namespace or "") + "}"

    def kids(self, el: etree._Element, name: str) -> list[etree._Element]:
        return el.findall(self.ns + name)

    def texts(self, el: etree._Element, name: str) -> tuple[str, ...]:
        return tuple(k.text or "" for k in self.kids(el, name))

    def text(self, el: etree._Element, name: str) -> str | None:
        found = el.find(self.ns + name)
        return None if found is None else (found.text or "")


def _extras(content: Content, name: str) -> list[_Tree]:
    return [_Tree(raw) for raw in content.extra if raw.name == name]


def read_signing_information(content: Content) -> SigningInformation | None:
    found = _extras(content, "SigningInformation")
    if not found:
        return None
    t = found[0]
    el = t.root
    return SigningInformation(
        roles=t.texts(el, "SigningRole"),
        detached_roles=t.texts(el, "DetachedSigningRole"),
        signed_document_reference_ids=t.texts(el, "SignedDocumentReferenceId"),
        descriptions=tuple(_read_description(t, d) for d in t.kids(el, "SignatureDescription")),
        timestamps=tuple(
            Timestamping(t.text(s, "TimeStamp"), t.text(s, "AdditionalTimestampingInformation"))
            for s in t.kids(el, "TimestampingInformation")
        ),
        additional_proofs=tuple(
            t.texts(p, "AdditionalProofInformation") for p in t.kids(el, "AdditionalProof")
        ),
    )


def read_signatures(content: Content) -> tuple[Signature, ...]:
    found = []
    for t in _extras(content, "Signature"):
        el = t.root
        ref = t.kids(el, "ReferencedObject")[0]
        digest = t.kids(ref, "SignedObjectDigest")[0]
        validator = _read_validator(t, t.kids(el, "Validator")[0])
        found.append(
            Signature(
                tuple(_read_signer(t, s) for s in t.kids(el, "Signer")),
                validator,
                t.text(ref, "SignedObjectId") or "",
                digest.text or "",
                digest.get("algorithm", ""),
            )
        )
    return tuple(found)


def read_related_objects(content: Content) -> tuple[Relation, ...]:
    relations = []
    for t in _extras(content, "RelatedObjectReference"):
        for kind in RELATION_KINDS:
            for el in t.kids(t.root, kind):
                unit = t.text(el, "ArchiveUnitRefId")
                refs = t.kids(el, "DataObjectReference")
                group = t.text(refs[0], "DataObjectGroupReferenceId") if refs else None
                relations.append(Relation(kind, unit, group))
    return tuple(relations)


def _read_party(t: _Tree, el: etree._Element) -> Party:
    return Party(t.text(el, "FullName"), t.text(el, "Corpname"), t.texts(el, "Identifier"))


def _read_signer(t: _Tree, el: etree._Element) -> Signer:
    return Signer(_read_party(t, el), t.text(el, "SigningTime") or "")


def _read_validator(t: _Tree, el: etree._Element) -> Validator:
    return Validator(_read_party(t, el), t.text(el, "ValidationTime") or "")


def _read_description(t: _Tree, el: etree._Element) -> SignatureDescription:
    signers = t.kids(el, "Signer")
    validators = t.kids(el, "Validator")
    return SignatureDescription(
        _read_signer(t, signers[0]) if signers else None,
        _read_validator(t, validators[0]) if validators else None,
        t.text(el, "SigningType"),
    )
