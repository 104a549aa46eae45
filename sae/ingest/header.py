"""What a sender's manifest says of itself before any check: its MessageIdentifier and its
TransferringAgency (SEDA 2.1–2.3 ArchiveTransfer), for the routes whose senders do not name them
apart (As@lae's and Vitam's: ``sae.api.asalae``, ``sae.api.vitam``). The manifest is streamed
(elements freed once read), whatever its size; a SEDA 1.0 bordereau is refused with the versions
this repository takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Final

from lxml import etree

from kernel.errors import BadRequestError
from seda.errors import SedaError
from seda.safexml import iterparse_safe
from seda.versions import NAMESPACE_PREFIX

_SEDA_1_0: Final = NAMESPACE_PREFIX + "1.0"


class ManifestRefused(BadRequestError):
    code = "bordereau_refused"
    title = "Bordereau refusé"


@dataclass(frozen=True)
class Header:
    message_identifier: str
    transferring_agency: str


def read_header(open_stream: Callable[[], IO[bytes]]) -> Header:
    """MessageIdentifier and TransferringAgency/Identifier of a SEDA 2.x ArchiveTransfer; the
    bordereau is streamed (elements freed once read), whatever its size."""
    values: dict[str, str] = {}
    path: list[str] = []
    root_namespace = ""
    try:
        for event, element in iterparse_safe(open_stream, ("start", "end")):
            name = etree.QName(element).localname if isinstance(element.tag, str) else ""
            if event == "start":
                path.append(name)
                root_namespace = root_namespace or (etree.QName(element).namespace or "")
                continue
            _keep_header_value(values, path, element)
            path.pop()
            element.clear()
    except SedaError as exc:
        raise ManifestRefused(f"Bordereau illisible : {exc}") from exc
    return _header(root_namespace, values)


def _keep_header_value(values: dict[str, str], path: list[str], element: etree._Element) -> None:
    where = "/".join(path[1:])
    if where in ("MessageIdentifier", "TransferringAgency/Identifier"):
        values.setdefault(where, (element.text or "").strip())


def _header(namespace: str, values: dict[str, str]) -> Header:
    if namespace == _SEDA_1_0:
        raise ManifestRefused(
            "Bordereau SEDA 1.0 : ce dépôt reçoit les versions 2.1, 2.2 et 2.3 du SEDA"
        )
    if not namespace.startswith(NAMESPACE_PREFIX):
        raise ManifestRefused("Bordereau hors de tout espace de noms SEDA")
    identifier = values.get("MessageIdentifier")
    agency = values.get("TransferringAgency/Identifier")
    if not identifier or not agency:
        missing = [
            n
            for n, v in (("MessageIdentifier", identifier), ("TransferringAgency", agency))
            if not v
        ]
        raise ManifestRefused(f"Bordereau sans {' ni '.join(missing)}")
    return Header(identifier, agency)
