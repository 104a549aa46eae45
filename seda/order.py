"""Schema order of the children of the SEDA 2.x elements the writer emits, and the elements
that exist only in some versions (official XSDs 2.1 / 2.2 / 2.3, see seda-notes.md §2-§4).
XSD sequences enforce order everywhere, so every element is written at its index here.
"""

from __future__ import annotations

from seda.versions import SedaVersion

CONTENT = (
    "DescriptionLevel",
    "Title",
    "FilePlanPosition",
    "SystemId",
    "OriginatingSystemId",
    "ArchivalAgencyArchiveUnitIdentifier",
    "OriginatingAgencyArchiveUnitIdentifier",
    "TransferringAgencyArchiveUnitIdentifier",
    "Description",
    "CustodialHistory",
    "Type",
    "DocumentType",
    "Language",
    "DescriptionLanguage",
    "Status",
    "Version",
    "Tag",
    "Keyword",
    "Coverage",
    "OriginatingAgency",
    "SubmissionAgency",
    "Agent",
    "AuthorizedAgent",
    "Writer",
    "Addressee",
    "Recipient",
    "Transmitter",
    "Sender",
    "Source",
    "RelatedObjectReference",
    "CreatedDate",
    "TransactedDate",
    "AcquiredDate",
    "SentDate",
    "ReceivedDate",
    "RegisteredDate",
    "StartDate",
    "EndDate",
    "DateLitteral",
    "Event",
    "Signature",
    "SigningInformation",
    "Gps",
    "OriginatingSystemIdReplyTo",
    "TextContent",
    "PersistentIdentifier",
)
BINARY = (
    "DataObjectProfile",
    "DataObjectSystemId",
    "DataObjectGroupSystemId",
    "Relationship",
    "DataObjectGroupReferenceId",
    "DataObjectGroupId",
    "DataObjectVersion",
    "PersistentIdentifier",
    "DataObjectUse",
    "DataObjectNumber",
    "Attachment",
    "Uri",
    "MessageDigest",
    "Size",
    "Compressed",
    "FormatIdentification",
    "FileInfo",
    "Metadata",
    "OtherMetadata",
)
PHYSICAL = (
    "DataObjectProfile",
    "DataObjectSystemId",
    "DataObjectGroupSystemId",
    "Relationship",
    "DataObjectGroupReferenceId",
    "DataObjectGroupId",
    "DataObjectVersion",
    "PersistentIdentifier",
    "DataObjectUse",
    "DataObjectNumber",
    "PhysicalId",
    "PhysicalDimensions",
)
MANAGEMENT = (
    "StorageRule",
    "AppraisalRule",
    "AccessRule",
    "DisseminationRule",
    "ReuseRule",
    "ClassificationRule",
    "LogBook",
    "NeedAuthorization",
    "HoldRule",
)

# First version that has the element, and last version that still has it.
SINCE = {
    "HoldRule": SedaVersion.V2_2,
    "HoldRuleCodeListVersion": SedaVersion.V2_2,
    "Agent": SedaVersion.V2_2,
    "DateLitteral": SedaVersion.V2_2,
    "OriginatingSystemIdReplyTo": SedaVersion.V2_2,
    "TextContent": SedaVersion.V2_2,
    "DataObjectProfile": SedaVersion.V2_2,
    "SigningInformation": SedaVersion.V2_3,
    "PersistentIdentifier": SedaVersion.V2_3,
    "DataObjectUse": SedaVersion.V2_3,
    "DataObjectNumber": SedaVersion.V2_3,
}
UNTIL = {"Signature": SedaVersion.V2_2}


def position(order: tuple[str, ...], name: str) -> int:
    """Index of `name` in a schema sequence; unknown (extension) elements go last."""
    try:
        return order.index(name)
    except ValueError:
        return len(order)


def exists_in(name: str, version: SedaVersion) -> bool:
    since = SINCE.get(name)
    until = UNTIL.get(name)
    return (since is None or version.at_least(since)) and (until is None or until.at_least(version))
