"""Our ArchiveTransferReply as As@lae writes it, for the senders that read As@lae's replies
(Pastell's `connecteur/as@lae-rest`, `src/Helpers/SedaHelper.php`; the CD56 connector).

Three differences from the reply we keep (``sae.review.replies``): the ReplyCode is numeric
(``000`` accepted, ``001`` accepted with warnings, ``300`` refused — what those clients test);
``MessageIdentifier`` is the transfer's and ``MessageRequestIdentifier`` the reply's (the reverse
of Vitam's and of ours); each top-level unit's archive identifier is also given as
``Content/ArchivalAgencyArchiveUnitIdentifier``, the one path Pastell reads. The result stays
valid against the transfer's SEDA version.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from seda.safexml import parse_bytes

REPLY_CODES: Final = {"OK": "000", "WARNING": "001", "KO": "300"}


def as_asalae(reply: bytes) -> bytes:
    root = parse_bytes(reply).getroot()
    ns = etree.QName(root).namespace
    code = root.find(f"{{{ns}}}ReplyCode")
    if code is not None:
        code.text = REPLY_CODES.get((code.text or "").strip(), code.text)
    message = root.find(f"{{{ns}}}MessageIdentifier")
    request = root.find(f"{{{ns}}}MessageRequestIdentifier")
    if message is not None and request is not None:
        message.text, request.text = request.text, message.text
    units = root.findall(
        f"{{{ns}}}DataObjectPackage/{{{ns}}}DescriptiveMetadata/{{{ns}}}ArchiveUnit"
    )
    for content in (c for unit in units for c in unit.findall(f"{{{ns}}}Content")):
        _add_archive_identifier(content, ns)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _add_archive_identifier(content: etree._Element, ns: str | None) -> None:
    system_ids = content.findall(f"{{{ns}}}SystemId")
    if not system_ids or content.find(f"{{{ns}}}ArchivalAgencyArchiveUnitIdentifier") is not None:
        return
    last = system_ids[-1]
    for system_id in reversed(system_ids):  # after every SystemId, in their order (XSD order)
        added = etree.Element(f"{{{ns}}}ArchivalAgencyArchiveUnitIdentifier")
        added.text = system_id.text
        last.addnext(added)
