"""Which As@lae reply is ours, and the archive identifier a positive one must carry.

As Pastell (`connecteur/as@lae-rest/AsalaeREST.php`, `src/Helpers/SedaHelper.php`) reads them,
recorded in shared/reference/connector-contracts-verified.md ("As@lae REST"), for the As@lae
connector (`connectors.asalae`): replies are SEDA 2.x for a 2.x transfer, and As@lae swaps
Vitam's identifiers (`MessageIdentifier` = the transfer's, `MessageRequestIdentifier` = the
reply's), so a reply is ours when either of them (or a SEDA 1.0 `TransferIdentifier` / an
Acknowledgement's `MessageReceivedIdentifier`) is our MessageIdentifier. A positive reply must
carry at least one `/ArchiveTransferReply/DataObjectPackage/DescriptiveMetadata/ArchiveUnit/
Content/ArchivalAgencyArchiveUnitIdentifier` (SEDA 1.0: `/ArchiveTransferReply/Archive/
ArchivalAgencyArchiveIdentifier`): one per top-level unit of the transfer. Pastell sends one unit
per transfer and so requires exactly one; a transfer of several dossiers has one top-level unit
per dossier, and each gets its own identifier. Pastell accepts only ReplyCode `000`;
`seda.replies` also reads `001`/`002` as accepted with warnings.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from connectors.base import ProtocolError
from connectors.http_util import expected_reply
from seda.replies import Outcome, ReplyOutcome
from seda.safexml import parse_bytes

_REPLY_IDS = (
    "MessageIdentifier",
    "MessageRequestIdentifier",
    "MessageReceivedIdentifier",
    "TransferIdentifier",
)
_ARCHIVE_ID_2X = (
    "DataObjectPackage",
    "DescriptiveMetadata",
    "ArchiveUnit",
    "Content",
    "ArchivalAgencyArchiveUnitIdentifier",
)
_ARCHIVE_ID_1_0 = ("Archive", "ArchivalAgencyArchiveIdentifier")
_POSITIVE = frozenset({Outcome.ACCEPTED, Outcome.ACCEPTED_WITH_WARNINGS})


def read_reply(data: bytes, message_identifier: str, *, expected: str) -> ReplyOutcome:
    """The `expected` message (Acknowledgement or ArchiveTransferReply) about our transfer;
    `ProtocolError` for anything else."""
    outcome = expected_reply(data, message_identifier, expected=expected)
    root = parse_bytes(data).getroot()  # parsed once already: it cannot fail now
    identifiers = {stripped_text(c) for c in root if local_name(c) in _REPLY_IDS}
    if message_identifier not in identifiers:
        raise ProtocolError(
            f"la réponse ({', '.join(sorted(i for i in identifiers if i))}) ne concerne pas "
            f"le transfert {message_identifier}",
            code="reply_mismatch",
        )
    if outcome.outcome in _POSITIVE:
        outcome = replace(outcome, archive_identifiers=_archive_identifiers(root))
    return outcome


def _archive_identifiers(root: etree._Element) -> tuple[str, ...]:
    """The top-level archive identifiers of a positive reply (SEDA 2.x path, or 1.0's), in
    order: one per top-level unit of the transfer; none is a reply we cannot trust."""
    paths = (_ARCHIVE_ID_2X, _ARCHIVE_ID_1_0)
    found = [v for path in paths for v in (stripped_text(e) for e in _walk(root, path)) if v]
    if not found:
        raise ProtocolError(
            "réponse positive sans identifiant d'archive au premier niveau",
            code="archive_identifier_missing",
        )
    return tuple(found)


def _walk(root: etree._Element, path: tuple[str, ...]) -> list[etree._Element]:
    level = [root]
    for name in path:
        level = [c for parent in level for c in parent if local_name(c) == name]
    return level


def local_name(element: etree._Element) -> str:
    """The tag without its namespace (any SEDA version); "" for comments and the like."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def stripped_text(element: etree._Element) -> str:
    return (element.text or "").strip()
