"""Builders of small SEDA subtrees (one unit's Content/Management, one object group) in schema
order (seda.order), with the version checks of SEDA 2.1 / 2.2 / 2.3 (seda-notes.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lxml import etree

from seda.errors import VersionMismatch
from seda.model import (
    AppraisalRule,
    BinaryDataObject,
    ClassificationRule,
    Content,
    DataObjectGroup,
    HoldRule,
    Management,
    PhysicalDataObject,
    RawXml,
    RuleCategory,
    StorageRule,
)
from seda.order import BINARY, CONTENT, MANAGEMENT, PHYSICAL, exists_in, position
from seda.versions import SedaVersion

Placed = tuple[int, etree._Element]


class Builder:
    def __init__(self, version: SedaVersion) -> None:
        self.version = version
        self.brace = "{" + version.namespace + "}"
        self.nsmap = {None: version.namespace}

    def el(self, name: str, text: str | None = None, **attrs: str) -> etree._Element:
        self.check(name)
        element = etree.Element(self.brace + name, attrs, nsmap=self.nsmap)  # type: ignore[arg-type]
        if text is not None:
            element.text = text
        return element

    def sub(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        self.check(name)
        child = etree.SubElement(parent, self.brace + name)
        if text is not None:
            child.text = text
        return child

    def check(self, name: str) -> None:
        if not exists_in(name, self.version):
            raise VersionMismatch(f"{name} n'existe pas en SEDA {self.version.value}")

    def raw(self, raw: RawXml) -> etree._Element:
        self.check(raw.name)
        return etree.fromstring(raw.xml)

    def ordered(self, parent: etree._Element, placed: list[Placed]) -> etree._Element:
        for _pos, child in sorted(placed, key=lambda p: p[0]):
            parent.append(child)
        return parent

    def placed_raw(self, order: tuple[str, ...], extra: tuple[RawXml, ...]) -> list[Placed]:
        return [(position(order, r.name), self.raw(r)) for r in extra]

    # -- Content ---------------------------------------------------------------------------
    def content(self, content: Content) -> etree._Element:
        typed: list[tuple[str, str | None]] = [
            ("DescriptionLevel", content.description_level),
            *(("Title", t) for t in content.titles),
            *(("Description", d) for d in content.descriptions),
            ("StartDate", content.start_date),
            ("EndDate", content.end_date),
        ]
        placed = [(position(CONTENT, n), self.el(n, v)) for n, v in typed if v is not None]
        placed += self.placed_raw(CONTENT, content.extra)
        return self.ordered(self.el("Content"), placed)

    # -- Management ------------------------------------------------------------------------
    def management(self, name: str, rules: Management) -> etree._Element:
        return self.ordered(self.el(name), self.rule_block(rules))

    def rule_block(self, m: Management) -> list[Placed]:
        placed: list[Placed] = []
        for name, category in (
            ("StorageRule", m.storage),
            ("AppraisalRule", m.appraisal),
            ("AccessRule", m.access),
            ("DisseminationRule", m.dissemination),
            ("ReuseRule", m.reuse),
            ("ClassificationRule", m.classification),
        ):
            if category is not None:
                placed.append((position(MANAGEMENT, name), self.category(name, category)))
        if m.need_authorization is not None:
            placed.append(
                (
                    position(MANAGEMENT, "NeedAuthorization"),
                    self.el("NeedAuthorization", _bool(m.need_authorization)),
                )
            )
        if m.hold is not None:
            placed.append((position(MANAGEMENT, "HoldRule"), self.hold(m.hold)))
        return placed + self.placed_raw(MANAGEMENT, m.extra)

    def category(self, name: str, rule: RuleCategory) -> etree._Element:
        el = self.el(name)
        for item in rule.rules:
            self.sub(el, "Rule", item.rule_id)
            if item.start_date is not None:
                self.sub(el, "StartDate", item.start_date.isoformat())
        if isinstance(rule, ClassificationRule) and rule.classification_audience is not None:
            self.sub(el, "ClassificationAudience", rule.classification_audience)
        self.inheritance(el, rule.prevent_inheritance, rule.ref_non_rule_ids)
        if isinstance(rule, StorageRule | AppraisalRule):
            self.sub(el, "FinalAction", rule.final_action)
        if isinstance(rule, ClassificationRule):
            self.classification_tail(el, rule)
        return el

    def classification_tail(self, el: etree._Element, rule: ClassificationRule) -> None:
        self.sub(el, "ClassificationLevel", rule.classification_level)
        self.sub(el, "ClassificationOwner", rule.classification_owner)
        _optional(self, el, "ClassificationReassessingDate", rule.classification_reassessing_date)
        if rule.need_reassessing_authorization is not None:
            self.sub(el, "NeedReassessingAuthorization", _bool(rule.need_reassessing_authorization))

    def inheritance(self, el: etree._Element, prevent: bool | None, refs: tuple[str, ...]) -> None:
        if prevent is not None:
            self.sub(el, "PreventInheritance", _bool(prevent))
        for ref in refs:
            self.sub(el, "RefNonRuleId", ref)

    def hold(self, hold: HoldRule) -> etree._Element:
        el = self.el("HoldRule")
        for item in hold.items:
            self.sub(el, "Rule", item.rule_id)
            _optional(self, el, "StartDate", item.start_date)
            _optional(self, el, "HoldEndDate", item.hold_end_date)
            _optional(self, el, "HoldOwner", item.hold_owner)
            _optional(self, el, "HoldReassessingDate", item.hold_reassessing_date)
            _optional(self, el, "HoldReason", item.hold_reason)
            if item.prevent_rearrangement is not None:
                self.sub(el, "PreventRearrangement", _bool(item.prevent_rearrangement))
        self.inheritance(el, hold.prevent_inheritance, hold.ref_non_rule_ids)
        return el

    # -- Data objects ----------------------------------------------------------------------
    def group(self, group: DataObjectGroup) -> etree._Element:
        el = self.el("DataObjectGroup", id=group.id)
        for obj in group.objects:
            el.append(self.binary(obj) if isinstance(obj, BinaryDataObject) else self.physical(obj))
        for raw in group.extra:
            el.append(self.raw(raw))
        return el

    def binary(self, obj: BinaryDataObject) -> etree._Element:
        placed: list[Placed] = [(position(BINARY, n), e) for n, e in self._binary_typed(obj)]
        placed += self.placed_raw(BINARY, obj.extra)
        return self.ordered(self.el("BinaryDataObject", id=obj.id), placed)

    def _binary_typed(self, obj: BinaryDataObject) -> list[tuple[str, etree._Element]]:
        typed: list[tuple[str, etree._Element]] = []
        if obj.data_object_version is not None:
            typed.append(
                ("DataObjectVersion", self.el("DataObjectVersion", obj.data_object_version))
            )
        typed.append(("Uri", self.el("Uri", obj.uri)))
        typed.append(
            (
                "MessageDigest",
                self.el("MessageDigest", obj.message_digest, algorithm=obj.digest_algorithm),
            )
        )
        if obj.size is not None:
            typed.append(("Size", self.el("Size", str(obj.size))))
        if obj.format is not None:
            fmt = self.el("FormatIdentification")
            for name, value in (
                ("FormatLitteral", obj.format.format_litteral),
                ("MimeType", obj.format.mime_type),
                ("FormatId", obj.format.format_id),
                ("Encoding", obj.format.encoding),
            ):
                _optional(self, fmt, name, value)
            typed.append(("FormatIdentification", fmt))
        if obj.filename is not None:
            info = self.el("FileInfo")
            self.sub(info, "Filename", obj.filename)
            _optional(self, info, "LastModified", obj.last_modified)
            typed.append(("FileInfo", info))
        return typed

    def physical(self, obj: PhysicalDataObject) -> etree._Element:
        placed: list[Placed] = []
        if obj.data_object_version is not None:
            placed.append(
                (
                    position(PHYSICAL, "DataObjectVersion"),
                    self.el("DataObjectVersion", obj.data_object_version),
                )
            )
        if obj.physical_id is not None:
            placed.append(
                (position(PHYSICAL, "PhysicalId"), self.el("PhysicalId", obj.physical_id))
            )
        placed += self.placed_raw(PHYSICAL, obj.extra)
        return self.ordered(self.el("PhysicalDataObject", id=obj.id), placed)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _optional(
    builder: Builder, parent: etree._Element, name: str, value: str | date | None
) -> None:
    if value is not None:
        builder.sub(parent, name, value.isoformat() if isinstance(value, date) else value)


TextOf = Callable[[etree._Element], str]
