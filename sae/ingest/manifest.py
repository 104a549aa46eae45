"""What the checks read of a manifest, in one streaming pass (SEDA 2.x, ``iterparse``).

Each unit and object is freed once read, so a manifest of any size is never held whole: the
header (MessageIdentifier, ArchivalAgreement, ArchivalAgency, TransferringAgency), the declared
ArchivalProfile, each binary object's member and file name (into the mapping the caller gives,
on disk for the checks), and every agency and management-rule identifier named, each with the
place it first appears (unit, path, line) and how many times it appears. The checks compare them with
the archival agreement and the organisation's referentials (``sae.ingest.checks``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, MutableMapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from lxml import etree

from kernel.retention import RuleCategory
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
from seda.versions import SedaVersion

RULE_CATEGORIES: Final = frozenset(category.value for category in RuleCategory)
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
    "PhysicalDataObject",
    "ManagementMetadata",
    "CodeListVersions",
)
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
    # Each BinaryDataObject's member and file name: id -> (Uri, Filename); the checks give a
    # mapping on disk (sae.ports.ObjectNames), so that nothing per object stays in memory.
    objects: MutableMapping[str, tuple[str, str]] = field(default_factory=dict)


class _Reader:
    def __init__(self, version: SedaVersion, objects: MutableMapping[str, tuple[str, str]]) -> None:
        self.brace = "{" + version.namespace + "}"
        self.facts = ManifestFacts(objects=objects)
        self.handlers: dict[str, Callable[[etree._Element, str], None]] = {
            **dict.fromkeys(_HEADER_FIELDS, self._header_field),
            "Identifier": self._agency_identifier,
            **dict.fromkeys(_AGENCY_FIELDS, self._agency_field),
            "ArchivalProfile": self._archival_profile,
            "Rule": self._rule,
            "RefNonRuleId": self._rule,
            **dict.fromkeys(_FREED, self._finished),
            "BinaryDataObject": self._binary,
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

    def _binary(self, el: etree._Element, _parent: str) -> None:
        uri = el.findtext(self.brace + "Uri") or ""
        name = el.findtext(f"{self.brace}FileInfo/{self.brace}Filename") or ""
        self.facts.objects[el.get("id") or ""] = (uri.strip(), name.strip())
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
    open_stream: Opener,
    version: SedaVersion,
    limits: XmlLimits = DEFAULT_XML_LIMITS,
    objects: MutableMapping[str, tuple[str, str]] | None = None,
) -> ManifestFacts:
    """The header, the declared profile, the agencies and rules named, each object's names (put
    in ``objects``, a new ``dict`` if None); SedaError if unreadable."""
    reader = _Reader(version, {} if objects is None else objects)
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
