"""Typed model of a SEDA 2.x ArchiveTransfer (SEDA 2.1 / 2.2 / 2.3, main + management schemas).

Common elements are typed; every other element of the ontology is carried verbatim as `RawXml`
and written back at its place in schema order, so a parsed message can be written again without
loss. Units, a unit's children and object groups are given as iterables, so the streaming writer
can emit 100,000+ units without holding them all in memory: a writer may be handed generators,
read once (a dossier's documents read from a database as they are written); what the reader
returns is tuples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from seda.versions import SedaVersion


@dataclass(frozen=True)
class RawXml:
    """One element kept verbatim (serialised with its namespace declarations)."""

    name: str  # local name, used to place it in schema order
    xml: bytes


@dataclass(frozen=True)
class Agency:
    identifier: str
    extra: tuple[RawXml, ...] = ()  # OrganizationDescriptiveMetadata


@dataclass(frozen=True)
class Rule:
    rule_id: str
    start_date: date | None = None


@dataclass(frozen=True)
class RuleCategory:
    rules: tuple[Rule, ...] = ()
    prevent_inheritance: bool | None = None
    ref_non_rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorageRule(RuleCategory):
    final_action: str = "Copy"  # RestrictAccess | Transfer | Copy


@dataclass(frozen=True)
class AppraisalRule(RuleCategory):
    final_action: str = "Keep"  # Keep | Destroy


@dataclass(frozen=True)
class AccessRule(RuleCategory):
    pass


@dataclass(frozen=True)
class DisseminationRule(RuleCategory):
    pass


@dataclass(frozen=True)
class ReuseRule(RuleCategory):
    pass


@dataclass(frozen=True)
class ClassificationRule(RuleCategory):
    classification_level: str = ""
    classification_owner: str = ""
    classification_audience: str | None = None
    classification_reassessing_date: date | None = None
    need_reassessing_authorization: bool | None = None


@dataclass(frozen=True)
class HoldRuleItem:
    rule_id: str
    start_date: date | None = None
    hold_end_date: date | None = None
    hold_owner: str | None = None
    hold_reassessing_date: date | None = None
    hold_reason: str | None = None
    prevent_rearrangement: bool | None = None


@dataclass(frozen=True)
class HoldRule:
    """Gel (SEDA 2.2 and later only)."""

    items: tuple[HoldRuleItem, ...] = ()
    prevent_inheritance: bool | None = None
    ref_non_rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Management:
    """The rule block shared by ArchiveUnit/Management and ManagementMetadata."""

    storage: StorageRule | None = None
    appraisal: AppraisalRule | None = None
    access: AccessRule | None = None
    dissemination: DisseminationRule | None = None
    reuse: ReuseRule | None = None
    classification: ClassificationRule | None = None
    need_authorization: bool | None = None
    hold: HoldRule | None = None
    extra: tuple[RawXml, ...] = ()  # LogBook, OtherManagementAbstract


@dataclass(frozen=True)
class ManagementMetadata:
    archival_profile: str | None = None
    service_level: str | None = None
    acquisition_information: str | None = None
    legal_status: str | None = None
    originating_agency_identifier: str | None = None
    submission_agency_identifier: str | None = None
    rules: Management = field(default_factory=Management)


@dataclass(frozen=True)
class Keyword:
    """Content/Keyword (KeywordsType): `type` from KeyType (corpname, famname, geogname, name,
    occupation, persname, subject, genreform, function)."""

    content: str
    reference: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class CustodialHistoryItem:
    """One CustodialHistoryItem; `when` is a SEDA DateType (a date or a date and time)."""

    text: str
    when: str | None = None


@dataclass(frozen=True)
class Event:
    """An Event (EventType) of a unit's Content or of a reply's Operation. Times are kept as
    written (DateType: a date or a date and time)."""

    date_time: str  # EventDateTime
    identifier: str | None = None  # EventIdentifier
    type_code: str | None = None  # EventTypeCode
    type: str | None = None  # EventType
    detail: str | None = None  # EventDetail
    outcome: str | None = None  # Outcome
    outcome_detail: str | None = None  # OutcomeDetail
    outcome_detail_message: str | None = None  # OutcomeDetailMessage
    detail_data: str | None = None  # EventDetailData


@dataclass(frozen=True)
class Content:
    description_level: str | None = None
    titles: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    start_date: str | None = None
    end_date: str | None = None
    extra: tuple[RawXml, ...] = ()
    system_ids: tuple[str, ...] = ()  # SystemId: the producer's identifier of the unit
    originating_agency_archive_unit_identifiers: tuple[str, ...] = ()  # the producer's cote
    custodial_history: tuple[CustodialHistoryItem, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    originating_agency: str | None = None  # OriginatingAgency/Identifier
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class ObjectReference:
    """DataObjectReference: to one object, or (preferred) to a whole object group."""

    data_object_reference_id: str | None = None
    data_object_group_reference_id: str | None = None


@dataclass(frozen=True)
class ArchiveUnit:
    id: str
    content: Content = field(default_factory=Content)
    management: Management | None = None
    children: Iterable[ArchiveUnit] = ()
    object_references: tuple[ObjectReference, ...] = ()
    archive_unit_profile: str | None = None
    archive_unit_ref_id: str | None = None  # a link to another unit instead of a description


@dataclass(frozen=True)
class FormatIdentification:
    format_litteral: str | None = None
    mime_type: str | None = None
    format_id: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class BinaryDataObject:
    id: str
    uri: str
    message_digest: str
    digest_algorithm: str = "SHA-512"
    size: int | None = None
    data_object_version: str | None = "BinaryMaster_1"
    format: FormatIdentification | None = None
    filename: str | None = None
    last_modified: str | None = None
    extra: tuple[RawXml, ...] = ()


@dataclass(frozen=True)
class PhysicalDataObject:
    id: str
    data_object_version: str | None = "PhysicalMaster_1"
    physical_id: str | None = None
    extra: tuple[RawXml, ...] = ()


DataObject = BinaryDataObject | PhysicalDataObject


@dataclass(frozen=True)
class DataObjectGroup:
    id: str
    objects: tuple[DataObject, ...]
    extra: tuple[RawXml, ...] = ()  # LogBook


@dataclass(frozen=True)
class TransferHeader:
    """Everything of an ArchiveTransfer but its DataObjectPackage."""

    version: SedaVersion
    message_identifier: str
    archival_agency: Agency
    transferring_agency: Agency
    date: datetime
    archival_agreement: str | None = None
    comments: tuple[str, ...] = ()
    code_list_versions: tuple[tuple[str, str], ...] = ()
    related_transfer_references: tuple[str, ...] = ()
    transfer_request_reply_identifier: str | None = None


@dataclass(frozen=True)
class ArchiveTransfer:
    header: TransferHeader
    groups: Iterable[DataObjectGroup] = ()
    units: Iterable[ArchiveUnit] = ()
    management_metadata: ManagementMetadata = field(default_factory=ManagementMetadata)


@dataclass(frozen=True)
class DataObjectPackage:
    """The package any SEDA 2.x business message may carry (a DIP in a delivery reply, the
    archives given back in a restitution reply, the units a notification describes)."""

    groups: Iterable[DataObjectGroup] = ()
    units: Iterable[ArchiveUnit] = ()
    management_metadata: ManagementMetadata = field(default_factory=ManagementMetadata)
