"""Markup of the SEDA 2.x elements the writer emits (one unit's Content/Management, one object
group, an agency), as escaped text fragments in schema order (seda.order), with the version checks
of SEDA 2.1 / 2.2 / 2.3 (seda-notes.md §3).

Why text and not lxml elements: creating a free-standing lxml element with its namespace map costs
~6 µs (one libxml2 document each), which made 100,000 units take 15 s; writing the common
elements as text in a fixed order costs a fraction of that. Values are escaped here and any
character XML 1.0 cannot carry is refused, so the output stays well-formed. Elements kept verbatim
(`RawXml`) are re-parsed with the safe parser before being copied, and merged at their schema
position.
"""

from __future__ import annotations

import re
from datetime import date

from lxml import etree

from seda.content import Part, content_parts
from seda.errors import InvalidRule, InvalidXmlCharacter, VersionMismatch
from seda.model import (
    AppraisalRule,
    BinaryDataObject,
    ClassificationRule,
    Content,
    DataObjectGroup,
    FormatIdentification,
    HoldRule,
    Management,
    PhysicalDataObject,
    RawXml,
    RuleCategory,
    StorageRule,
)
from seda.order import BINARY, CONTENT, MANAGEMENT, PHYSICAL, exists_in, position
from seda.safexml import secure_parser
from seda.versions import SedaVersion
from seda.xmltext import element, escape_attr, escape_text

__all__ = ["Markup", "element", "escape_attr", "escape_text"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# FinalActionStorageCodeType and FinalActionAppraisalCodeType (seda-2.x-management.xsd).
_FINAL_ACTIONS = {
    "StorageRule": ("RestrictAccess", "Transfer", "Copy"),
    "AppraisalRule": ("Keep", "Destroy"),
}
_RULE_CATEGORIES = (
    "StorageRule",
    "AppraisalRule",
    "AccessRule",
    "DisseminationRule",
    "ReuseRule",
    "ClassificationRule",
)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _iso(value: str | date) -> str:
    return value.isoformat() if isinstance(value, date) else value


class Markup:
    """Text fragments of one SEDA version; names absent from that version are refused."""

    def __init__(self, version: SedaVersion) -> None:
        self.version = version

    def check(self, name: str) -> None:
        if not exists_in(name, self.version):
            raise VersionMismatch(f"{name} n'existe pas en SEDA {self.version.value}")

    def text(self, name: str, value: str) -> str:
        """An element whose name comes from the model (code lists): checked, not trusted."""
        if not _NAME.match(name):
            raise VersionMismatch(f"nom d'élément SEDA invalide : {name!r}")
        self.check(name)
        return element(name, value)

    def raw(self, raw: RawXml) -> str:
        self.check(raw.name)
        try:
            parsed = etree.fromstring(raw.xml, secure_parser())
        except etree.XMLSyntaxError as exc:
            raise InvalidXmlCharacter(f"élément {raw.name} mal formé : {exc}") from exc
        return etree.tostring(parsed, encoding="unicode")

    def merged(self, order: tuple[str, ...], typed: list[Part], extra: tuple[RawXml, ...]) -> str:
        """`typed` (already in schema order) with the verbatim elements placed among them."""
        if not extra:
            return "".join(markup for _name, markup in typed)
        placed = [(position(order, name), markup) for name, markup in typed]
        placed += [(position(order, r.name), self.raw(r)) for r in extra]
        placed.sort(key=lambda p: p[0])  # stable: typed before verbatim at one position
        return "".join(markup for _pos, markup in placed)

    def content(self, content: Content) -> str:
        """DescriptiveMetadataContentType: every typed element at its place in the sequence."""
        return f"<Content>{self.merged(CONTENT, content_parts(content), content.extra)}</Content>"

    # -- Management ------------------------------------------------------------------------
    def management(self, name: str, rules: Management) -> str:
        return f"<{name}>{self.rule_block(rules)}</{name}>"

    def rule_block(self, m: Management) -> str:
        typed: list[Part] = []
        categories = (m.storage, m.appraisal, m.access, m.dissemination, m.reuse, m.classification)
        for name, category in zip(_RULE_CATEGORIES, categories, strict=True):
            if category is not None:
                typed.append((name, self.category(name, category)))
        if m.need_authorization is not None:
            typed.append(
                ("NeedAuthorization", element("NeedAuthorization", _bool(m.need_authorization)))
            )
        if m.hold is not None:
            self.check("HoldRule")
            typed.append(("HoldRule", self.hold(m.hold)))
        return self.merged(MANAGEMENT, typed, m.extra)

    def category(self, name: str, rule: RuleCategory) -> str:
        _check_category(name, rule)
        parts = [f"<{name}>"]
        for item in rule.rules:
            parts.append(element("Rule", item.rule_id))
            if item.start_date is not None:
                parts.append(element("StartDate", item.start_date.isoformat()))
        if isinstance(rule, ClassificationRule) and rule.classification_audience is not None:
            parts.append(element("ClassificationAudience", rule.classification_audience))
        parts.append(_inheritance(name, rule.prevent_inheritance, rule.ref_non_rule_ids))
        if isinstance(rule, StorageRule | AppraisalRule):
            parts.append(element("FinalAction", rule.final_action))
        if isinstance(rule, ClassificationRule):
            parts.append(_classification_tail(rule))
        parts.append(f"</{name}>")
        return "".join(parts)

    def hold(self, hold: HoldRule) -> str:
        parts = ["<HoldRule>"]
        for item in hold.items:
            parts.append(element("Rule", item.rule_id))
            for name, value in (
                ("StartDate", item.start_date),
                ("HoldEndDate", item.hold_end_date),
                ("HoldOwner", item.hold_owner),
                ("HoldReassessingDate", item.hold_reassessing_date),
                ("HoldReason", item.hold_reason),
            ):
                if value is not None:
                    parts.append(element(name, _iso(value)))
            if item.prevent_rearrangement is not None:
                parts.append(element("PreventRearrangement", _bool(item.prevent_rearrangement)))
        parts.append(_inheritance("HoldRule", hold.prevent_inheritance, hold.ref_non_rule_ids))
        parts.append("</HoldRule>")
        return "".join(parts)

    # -- Data objects ----------------------------------------------------------------------
    def group(self, group: DataObjectGroup) -> str:
        parts = [f'<DataObjectGroup id="{escape_attr(group.id)}">']
        for obj in group.objects:
            parts.append(
                self.binary(obj) if isinstance(obj, BinaryDataObject) else self.physical(obj)
            )
        parts += [self.raw(r) for r in group.extra]
        parts.append("</DataObjectGroup>")
        return "".join(parts)

    def binary(self, obj: BinaryDataObject) -> str:
        typed: list[Part] = []
        if obj.data_object_version is not None:
            typed.append(
                ("DataObjectVersion", element("DataObjectVersion", obj.data_object_version))
            )
        typed.append(("Uri", element("Uri", obj.uri)))
        digest = escape_text(obj.message_digest)
        typed.append(
            (
                "MessageDigest",
                f'<MessageDigest algorithm="{escape_attr(obj.digest_algorithm)}">'
                f"{digest}</MessageDigest>",
            )
        )
        if obj.size is not None:
            typed.append(("Size", f"<Size>{int(obj.size)}</Size>"))
        if obj.format is not None:
            typed.append(("FormatIdentification", _format(obj.format)))
        if obj.filename is not None:
            info = element("Filename", obj.filename)
            if obj.last_modified is not None:
                info += element("LastModified", obj.last_modified)
            typed.append(("FileInfo", f"<FileInfo>{info}</FileInfo>"))
        body = self.merged(BINARY, typed, obj.extra)
        return f'<BinaryDataObject id="{escape_attr(obj.id)}">{body}</BinaryDataObject>'

    def physical(self, obj: PhysicalDataObject) -> str:
        typed: list[Part] = []
        if obj.data_object_version is not None:
            typed.append(
                ("DataObjectVersion", element("DataObjectVersion", obj.data_object_version))
            )
        if obj.physical_id is not None:
            typed.append(("PhysicalId", element("PhysicalId", obj.physical_id)))
        body = self.merged(PHYSICAL, typed, obj.extra)
        return f'<PhysicalDataObject id="{escape_attr(obj.id)}">{body}</PhysicalDataObject>'


def _check_category(name: str, rule: RuleCategory) -> None:
    """What the XSD requires of a category beyond its order: a FinalAction from the code list
    (StorageRule, AppraisalRule), a ClassificationLevel and a ClassificationOwner."""
    allowed = _FINAL_ACTIONS.get(name)
    final_action = getattr(rule, "final_action", None)
    if allowed is not None and final_action not in allowed:
        raise InvalidRule(
            f"{name} : sort final {final_action!r} inconnu du SEDA ({', '.join(allowed)} attendu)"
        )
    if isinstance(rule, ClassificationRule) and not (
        rule.classification_level.strip() and rule.classification_owner.strip()
    ):
        raise InvalidRule("ClassificationRule : ClassificationLevel et ClassificationOwner requis")


def _inheritance(name: str, prevent: bool | None, refs: tuple[str, ...]) -> str:
    """PreventInheritance or RefNonRuleId*: the XSD offers a choice, never both."""
    if prevent is not None and refs:
        raise InvalidRule(
            f"{name} : PreventInheritance et RefNonRuleId s'excluent (l'un ou l'autre)"
        )
    parts = [] if prevent is None else [element("PreventInheritance", _bool(prevent))]
    parts += [element("RefNonRuleId", ref) for ref in refs]
    return "".join(parts)


def _classification_tail(rule: ClassificationRule) -> str:
    parts = [
        element("ClassificationLevel", rule.classification_level),
        element("ClassificationOwner", rule.classification_owner),
    ]
    if rule.classification_reassessing_date is not None:
        reassessing = rule.classification_reassessing_date.isoformat()
        parts.append(element("ClassificationReassessingDate", reassessing))
    if rule.need_reassessing_authorization is not None:
        value = _bool(rule.need_reassessing_authorization)
        parts.append(element("NeedReassessingAuthorization", value))
    return "".join(parts)


def _format(fmt: FormatIdentification) -> str:
    parts = [
        element(name, value)
        for name, value in (
            ("FormatLitteral", fmt.format_litteral),
            ("MimeType", fmt.mime_type),
            ("FormatId", fmt.format_id),
            ("Encoding", fmt.encoding),
        )
        if value is not None
    ]
    return f"<FormatIdentification>{''.join(parts)}</FormatIdentification>"
