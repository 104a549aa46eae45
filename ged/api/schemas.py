"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ged.domain.model import Document, Dossier, Organisation, PlanNode, Role, Service, Version
from ged.domain.signatures import SignatureCheck, SignatureReport
from ged.services.admin import TokenView
from ged.services.document_view import DocumentView


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class OrganisationOut(BaseModel):
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, org: Organisation) -> OrganisationOut:
        return cls(id=org.id, name=org.name, created_at=org.created_at)


class ServiceIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    seda_identifier: str = Field(min_length=1, max_length=200)


class ServiceOut(BaseModel):
    id: str
    name: str
    seda_identifier: str

    @classmethod
    def of(cls, s: Service) -> ServiceOut:
        return cls(id=s.id, name=s.name, seda_identifier=s.seda_identifier)


class PrincipalIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    service_ids: list[str] = []
    kind: str = Field(default="user", pattern="^(user|application)$")
    organisation_id: str | None = None  # platform administrators may create in another org
    expires_at: datetime | None = Field(
        default=None, description="ISO 8601 with a time zone; none: valid until revoked"
    )


class TokenOut(BaseModel):
    principal_id: str
    name: str
    organisation_id: str
    roles: list[Role]
    token_id: str = Field(description="What to give DELETE /api/v1/tokens/{token_id}")
    expires_at: datetime | None
    token: str | None = Field(
        description="Shown once; only its SHA-256 is stored, so a replay of the same "
        "Idempotency-Key answers null (create another token if this one was lost)"
    )


class StoredTokenOut(BaseModel):
    id: str
    principal_id: str
    principal: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, view: TokenView) -> StoredTokenOut:
        t = view.token
        return cls(
            id=t.id,
            principal_id=t.principal_id,
            principal=view.principal_name,
            label=t.label,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )


class PlanNodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=500)
    parent_id: str | None = None


class PlanNodeUpdate(BaseModel):
    label: str = Field(min_length=1, max_length=500)


class PlanNodeOut(BaseModel):
    id: str
    code: str
    label: str
    parent_id: str | None

    @classmethod
    def of(cls, n: PlanNode) -> PlanNodeOut:
        return cls(id=n.id, code=n.code, label=n.label, parent_id=n.parent_id)


class DossierIn(BaseModel):
    service_id: str
    title: str = Field(min_length=1, max_length=1000)
    plan_node_id: str | None = None
    opened_on: date | None = None
    description: str = ""
    reference: str = Field(default="", max_length=200)


class DossierUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=1000)
    description: str | None = None
    reference: str | None = Field(default=None, max_length=200)
    plan_node_id: str | None = None


class DossierClose(BaseModel):
    closed_on: date | None = None


class DossierOut(BaseModel):
    id: str
    service_id: str
    plan_node_id: str | None
    title: str
    description: str
    reference: str
    status: str
    opened_on: date
    closed_on: date | None

    @classmethod
    def of(cls, d: Dossier) -> DossierOut:
        return cls(
            id=d.id,
            service_id=d.service_id,
            plan_node_id=d.plan_node_id,
            title=d.title,
            description=d.description,
            reference=d.reference,
            status=d.status.value,
            opened_on=d.opened_on,
            closed_on=d.closed_on,
        )


class MetadataIn(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=1000)
    description: str | None = None
    author: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=10)
    document_type: str | None = Field(default=None, max_length=200)
    keywords: list[str] | None = None
    created_on: date | None = None
    received_on: date | None = None
    extra: dict[str, str] | None = None


class SignatureCheckOut(BaseModel):
    format: str = Field(description="pades | cades | xades")
    status: str = Field(description="valid | invalid | indeterminate")
    reasons: list[str] = Field(description="stable codes")
    messages: list[str] = Field(description="the reasons, in French")
    signer: str | None
    signing_time: datetime | None = Field(description="claimed by the signer, not proven")
    timestamp_time: datetime | None = Field(description="proven by a trusted time-stamp")
    source: str | None = Field(description="the detached signature's document, if any")

    @classmethod
    def of(cls, check: SignatureCheck) -> SignatureCheckOut:
        return cls(
            format=check.format.value,
            status=check.status.value,
            reasons=list(check.reasons),
            messages=check.messages(),
            signer=check.signer,
            signing_time=check.signing_time,
            timestamp_time=check.timestamp_time,
            source=check.source,
        )


class SignatureReportOut(BaseModel):
    status: str = Field(description="valid | invalid | indeterminate | none")
    format: str | None
    signer: str | None
    signing_time: datetime | None
    timestamp_time: datetime | None
    reasons: list[str]
    messages: list[str]
    signatures: list[SignatureCheckOut]
    checked_at: datetime
    anchors: str = Field(description="SHA-256 of the trust anchors used")

    @classmethod
    def of(cls, report: SignatureReport) -> SignatureReportOut:
        main = report.main
        return cls(
            status=report.status.value,
            format=main.format.value if main else None,
            signer=main.signer if main else None,
            signing_time=main.signing_time if main else None,
            timestamp_time=main.timestamp_time if main else None,
            reasons=list(main.reasons) if main else [],
            messages=main.messages() if main else [],
            signatures=[SignatureCheckOut.of(check) for check in report.signatures],
            checked_at=report.checked_at,
            anchors=report.anchors,
        )


class VersionOut(BaseModel):
    number: int
    sha256: str
    sha512: str
    size: int
    filename: str
    mime_type: str
    puid: str | None
    format_name: str
    extraction_status: str
    created_at: datetime
    created_by: str
    damage: str | None = Field(
        default=None,
        description="missing | altered when the stored bytes no longer match the digests "
        "(content not served until repaired); null while intact",
    )
    signature: SignatureReportOut | None = Field(
        default=None, description="the last verification of its signatures; null: not verified"
    )

    @classmethod
    def of(cls, v: Version) -> VersionOut:
        return cls(
            number=v.number,
            sha256=v.sha256,
            sha512=v.sha512,
            size=v.size,
            filename=v.filename,
            mime_type=v.mime_type,
            puid=v.puid,
            format_name=v.format_name,
            extraction_status=v.extraction_status.value,
            created_at=v.created_at,
            created_by=v.created_by,
            damage=v.damage.value if v.damage else None,
        )


class DocumentOut(BaseModel):
    id: str
    dossier_id: str
    service_id: str
    title: str
    description: str
    author: str
    language: str
    document_type: str
    keywords: list[str]
    created_on: date | None
    received_on: date | None
    extra: dict[str, str]
    current_version: int
    created_at: datetime
    updated_at: datetime
    versions: list[VersionOut] | None = None
    damaged: bool | None = Field(
        default=None,
        description="whether a version's stored bytes are damaged; null when versions are not listed",
    )
    related: RelatedOut | None = Field(
        default=None, description="related documents (GET /documents/{id} only)"
    )

    @classmethod
    def of_view(cls, view: DocumentView) -> DocumentOut:
        out = cls.of(view.document, view.versions)
        out.related = RelatedOut.of(view)
        for version in out.versions or []:
            report = view.reports.get(version.number)
            version.signature = SignatureReportOut.of(report) if report else None
        return out

    @classmethod
    def of(cls, d: Document, versions: list[Version] | None = None) -> DocumentOut:
        m = d.metadata
        return cls(
            id=d.id,
            dossier_id=d.dossier_id,
            service_id=d.service_id,
            title=m.title,
            description=m.description,
            author=m.author,
            language=m.language,
            document_type=m.document_type,
            keywords=m.keywords,
            created_on=m.created_on,
            received_on=m.received_on,
            extra=m.extra,
            current_version=d.current_version,
            created_at=d.created_at,
            updated_at=d.updated_at,
            versions=[VersionOut.of(v) for v in versions] if versions is not None else None,
            damaged=any(v.damage for v in versions) if versions is not None else None,
        )


class RelatedOut(BaseModel):
    """Documents related to this one, by identifier."""

    attachment_of: str | None = Field(
        default=None, description="the e-mail this document was attached to"
    )
    attachments: list[str] = Field(default=[], description="this e-mail's attachments")
    signature_of: str | None = Field(
        default=None, description="the document this detached signature (.p7s) signs"
    )
    signatures: list[str] = Field(default=[], description="detached signatures of this document")

    @classmethod
    def of(cls, view: DocumentView) -> RelatedOut:
        return cls(
            attachment_of=view.attachment_of[0] if view.attachment_of else None,
            attachments=view.attachments,
            signature_of=view.signature_of[0] if view.signature_of else None,
            signatures=view.signatures,
        )


class SearchHitOut(BaseModel):
    document: DocumentOut
    rank: float | None


class SearchOut(BaseModel):
    hits: list[SearchHitOut]
    next_offset: int | None


class LogVerifyOut(BaseModel):
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None
    reason: str | None
    message: str | None
