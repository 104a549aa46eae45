"""PREMIS 3 (``http://www.loc.gov/premis/v3``) as i-Parapheur 5 writes it in a folder's zip
(``i_Parapheur_internal_premis.xml``): one ``intellectualEntity`` object for the folder (its
``folderId``, name, type and subtype), one ``file`` object per document (``documentId``, main
document or annex, SHA-256 fixity in upper-case hex, size, format, original name, custom
metadata as significant properties), the circuit's ``event``s and their ``agent``s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from ged.adapters.inbound.xmlread import child, children, line, local, parse_datetime, text
from kernel.errors import Issue

NAMESPACE = "http://www.loc.gov/premis/v3"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MAIN_DOCUMENT = "i_Parapheur_reserved_mainDocument"
RESERVED = "i_Parapheur_reserved_"
_SHA256 = re.compile(r"^[0-9A-Fa-f]{64}$")


@dataclass(frozen=True)
class PremisFile:
    document_id: str
    name: str
    main: bool
    sha256: str  # lower-case hex
    size: int | None
    mime: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PremisEvent:
    kind: str
    at: datetime
    agent: str
    detail: str


@dataclass(frozen=True)
class PremisFolder:
    folder_id: str
    name: str
    kind: str
    subtype: str
    files: tuple[PremisFile, ...]
    events: tuple[PremisEvent, ...]
    properties: dict[str, str] = field(default_factory=dict)


def parse_premis(root: etree._Element, where: str, issues: list[Issue]) -> PremisFolder | None:
    if root.tag != f"{{{NAMESPACE}}}premis":
        message = f"{where} : document PREMIS 3 attendu, trouvé « {local(root)} »"
        issues.append(Issue("premis_not_premis", message, path=where))
        return None
    objects = list(children(root, "object"))
    entities = [o for o in objects if _object_type(o) == "intellectualEntity"]
    if len(entities) != 1:
        message = (
            f"{where} : un objet intellectualEntity (le dossier) attendu, {len(entities)} trouvés"
        )
        issues.append(Issue("premis_folder_missing", message, path=where))
        return None
    entity = entities[0]
    properties = _properties(entity)
    files = [_file(o, where, issues) for o in objects if _object_type(o) == "file"]
    agents = {_identifier(a, "agent"): text(a, "agentName") for a in children(root, "agent")}
    return PremisFolder(
        folder_id=_identifier(entity, "object"),
        name=text(entity, "originalName"),
        kind=properties.pop(f"{RESERVED}type", ""),
        subtype=properties.pop(f"{RESERVED}subtype", ""),
        files=tuple(f for f in files if f is not None),
        events=tuple(_events(root, agents, where, issues)),
        properties=properties,
    )


def _object_type(el: etree._Element) -> str:
    return (el.get(XSI_TYPE) or "").rsplit(":", 1)[-1]


def _identifier(el: etree._Element, kind: str) -> str:
    return text(child(el, f"{kind}Identifier"), f"{kind}IdentifierValue")


def _properties(el: etree._Element) -> dict[str, str]:
    found = {}
    for prop in children(el, "significantProperties"):
        key = text(prop, "significantPropertiesType")
        if key:
            found[key] = text(prop, "significantPropertiesValue")
    return found


def _file(el: etree._Element, where: str, issues: list[Issue]) -> PremisFile | None:
    name = text(el, "originalName")
    properties = _properties(el)
    characteristics = child(el, "objectCharacteristics")
    fixity = child(characteristics, "fixity") if characteristics is not None else None
    algorithm = text(fixity, "messageDigestAlgorithm").replace("-", "").upper()
    digest = text(fixity, "messageDigest")
    problems = []
    if not name or "/" in name or "\\" in name:
        problems.append(("premis_bad_name", f"nom de fichier absent ou invalide ({name!r})"))
    if algorithm != "SHA256" or not _SHA256.match(digest):
        problems.append(("premis_bad_digest", f"{name} : empreinte SHA-256 absente ou invalide"))
    for code, message in problems:
        issues.append(Issue(code, f"{where} : {message}", line=line(el), path=where))
    if problems:
        return None
    size = text(characteristics, "size") if characteristics is not None else ""
    return PremisFile(
        document_id=_identifier(el, "object"),
        name=name,
        main=properties.pop(MAIN_DOCUMENT, "false").strip().lower() == "true",
        sha256=digest.lower(),
        size=int(size) if size.isdecimal() else None,
        mime=_format_name(characteristics),
        properties={k: v for k, v in properties.items() if not k.startswith(RESERVED)},
    )


def _format_name(characteristics: etree._Element | None) -> str:
    found = child(characteristics, "format") if characteristics is not None else None
    designation = child(found, "formatDesignation") if found is not None else None
    return text(designation, "formatName")


def _events(
    root: etree._Element, agents: dict[str, str], where: str, issues: list[Issue]
) -> list[PremisEvent]:
    events = []
    for el in children(root, "event"):
        kind = text(el, "eventType")
        at = parse_datetime(text(el, "eventDateTime"))
        if not kind or at is None:
            message = f"{where} : événement sans type ou sans date valide ({kind!r})"
            issues.append(Issue("premis_bad_event", message, line=line(el), path=where))
            continue
        events.append(PremisEvent(kind, at, _agent(el, agents), _detail(el)))
    return sorted(events, key=lambda e: e.at)


def _agent(event: etree._Element, agents: dict[str, str]) -> str:
    link = child(event, "linkingAgentIdentifier")
    if link is None:
        return ""
    agent_id = text(link, "linkingAgentIdentifierValue")
    role = text(link, "linkingAgentRole")
    name = agents.get(agent_id) or agent_id
    return f"{name} ({role})" if role else name


def _detail(event: etree._Element) -> str:
    info = child(event, "eventDetailInformation")
    return text(info, "eventDetail") if info is not None else text(event, "eventDetail")
