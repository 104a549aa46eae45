"""SEDA 1.0 `Archive` / `ArchiveObject` / `Document` markup from the 2.x model (seda_v1-0_archive.xsd,
every sequence in its order): the GED gives the same units for every version.

Mapping: a top unit becomes an `Archive`, its child units `ArchiveObject`s, the binary objects of
the groups a unit references its `Document`s. Content → `ContentDescription` (Description,
DescriptionLevel, Language, LatestDate / OldestDate from EndDate / StartDate, CustodialHistory
with the unit's events as dated items, Keyword, OriginatingAgency); SystemId → the transferring
agency's identifier, the producer's cote → the originating agency's. Rules: the unit's
`AccessRule` → `AccessRestrictionRule` (code from `RuleTranslation`), its `AppraisalRule` →
`AppraisalRule` (`conserver` / `detruire`, a duration); a rule without a start date starts at the
unit's EndDate. An `Archive` must carry an access rule: its own or the package's. SEDA 1.0 has no
inheritance control (a unit's rule replaces its parent's) and none of the other rule categories:
a unit bound to one of them, holding what 1.0 has no element for (a second title, verbatim 2.x
elements, NeedAuthorization…), a physical object or a link to another unit is refused, never
dropped. Not carried, as 1.0 has no place for them: an object's LastModified and format name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from seda.dates import parse_date
from seda.errors import InvalidRule, MissingValue, VersionMismatch
from seda.model import (
    AccessRule,
    AppraisalRule,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObject,
    DataObjectGroup,
    Management,
    ManagementMetadata,
    RuleCategory,
)
from seda.textout import TextOut
from seda.v1.codes import APPRAISAL_CODES, BYTE, DESCRIPTION_LEVELS, DIGEST_ALGORITHMS
from seda.v1.translation import Seda1Options
from seda.xmltext import element, escape_attr, escape_text

_UNSUPPORTED = ("storage", "dissemination", "reuse", "classification", "hold")


@dataclass(frozen=True)
class Context:
    options: Seda1Options
    metadata: ManagementMetadata
    groups: Mapping[str, DataObjectGroup]
    objects: Mapping[str, DataObject]
    archival_agreement: str | None = None


def write_archive(w: TextOut, unit: ArchiveUnit, ctx: Context) -> None:
    """One top unit as an `Archive`, its descendants streamed as they are written."""
    w.raw(_archive_head(unit, ctx))
    _write_tree(w, unit, ctx, "</Archive>")


def _archive_head(unit: ArchiveUnit, ctx: Context) -> str:
    """Everything of an Archive before its ArchiveObjects and Documents."""
    mm, rules, c = ctx.metadata, _rules(unit), unit.content
    parts = ["<Archive>"]
    _value(parts, "ArchivalAgreement", ctx.archival_agreement)
    _value(parts, "ArchivalProfile", mm.archival_profile)
    _value(parts, "DescriptionLanguage", ctx.options.language)
    _value(parts, "Name", _name(unit))
    _value(
        parts,
        "OriginatingAgencyArchiveIdentifier",
        _first(c.originating_agency_archive_unit_identifiers),
    )
    _value(parts, "ServiceLevel", mm.service_level)
    _value(parts, "TransferringAgencyArchiveIdentifier", _first(c.system_ids))
    parts.append(
        _content_description(unit, ctx, c.originating_agency or mm.originating_agency_identifier)
    )
    access = rules.access or mm.rules.access
    if access is None or not access.rules:
        raise MissingValue(f"unité {unit.id} : SEDA 1.0 exige une règle de communicabilité")
    parts.append(_access(access, unit, ctx))
    appraisal = rules.appraisal or mm.rules.appraisal
    parts.append("" if appraisal is None else _appraisal(appraisal, unit, ctx))
    return "".join(parts)


def _object_head(unit: ArchiveUnit, ctx: Context) -> str:
    """Everything of an ArchiveObject before its own ArchiveObjects and Documents."""
    rules, c = _rules(unit), unit.content
    parts = ["<ArchiveObject>"]
    _value(parts, "Name", _name(unit))
    _value(
        parts,
        "OriginatingAgencyObjectIdentifier",
        _first(c.originating_agency_archive_unit_identifiers),
    )
    _value(parts, "TransferringAgencyObjectIdentifier", _first(c.system_ids))
    if c.description_level is not None or _described(c):
        parts.append(_content_description(unit, ctx, c.originating_agency))
    parts.append("" if rules.access is None else _access(rules.access, unit, ctx))
    parts.append("" if rules.appraisal is None else _appraisal(rules.appraisal, unit, ctx))
    return "".join(parts)


def _write_tree(w: TextOut, root: ArchiveUnit, ctx: Context, close: str) -> None:
    """ArchiveObject* then Document* of every unit, depth first with an explicit stack (trees
    can be deeper than Python's recursion limit)."""
    stack = [(iter(root.children), root, close)]
    while stack:
        children, unit, end = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            for obj in _objects(unit, ctx):
                w.raw(_document(obj, ctx))
            w.raw(end)
            continue
        w.raw(_object_head(child, ctx))
        stack.append((iter(child.children), child, "</ArchiveObject>"))


def _value(parts: list[str], name: str, value: str | None) -> None:
    if value is not None:
        parts.append(element(name, value))


def _rules(unit: ArchiveUnit) -> Management:
    """The unit's rules, once checked that 1.0 carries all the unit holds."""
    if unit.archive_unit_ref_id is not None:
        raise VersionMismatch(
            f"unité {unit.id} : un lien vers une autre unité n'existe pas en SEDA 1.0"
        )
    rules = unit.management or Management()
    c = unit.content
    lost = [name for name in _UNSUPPORTED if getattr(rules, name) is not None]
    lost += ["NeedAuthorization"] if rules.need_authorization is not None else []
    lost += ["ArchiveUnitProfile"] if unit.archive_unit_profile is not None else []
    lost += [r.name for r in (*rules.extra, *c.extra)]
    for name, values in (
        ("Title", c.titles),
        ("SystemId", c.system_ids),
        ("OriginatingAgencyArchiveUnitIdentifier", c.originating_agency_archive_unit_identifiers),
    ):
        lost += [f"{name} (plus d'un)"] if len(values) > 1 else []
    if lost:
        missing = ", ".join(lost)
        raise VersionMismatch(f"unité {unit.id} : {missing} sans équivalent en SEDA 1.0")
    return rules


def _name(unit: ArchiveUnit) -> str:
    if not unit.content.titles:
        raise MissingValue(f"unité {unit.id} : SEDA 1.0 exige un intitulé (Name)")
    return unit.content.titles[0]


def _first(values: tuple[str, ...]) -> str | None:
    return values[0] if values else None


def _described(content: Content) -> bool:
    """Whether the unit has anything only a ContentDescription carries."""
    c = content
    described = (c.descriptions, c.start_date, c.end_date, c.keywords, c.custodial_history)
    return any(described) or bool(c.events or c.originating_agency)


def _content_description(unit: ArchiveUnit, ctx: Context, agency: str | None) -> str:
    c = unit.content
    level = DESCRIPTION_LEVELS.get(c.description_level or "")
    if level is None:
        raise MissingValue(
            f"unité {unit.id} : niveau de description {c.description_level!r} sans équivalent SEDA 1.0"
        )
    parts = ["<ContentDescription>"]
    if c.descriptions:
        parts.append(element("Description", "\n".join(c.descriptions)))
    parts += [element("DescriptionLevel", level), element("Language", ctx.options.language)]
    for name, value in (("LatestDate", c.end_date), ("OldestDate", c.start_date)):
        if value is not None:
            parts.append(element(name, _day(value, unit).isoformat()))
    parts.append(_custodial_history(unit))
    parts += [_keyword(k.content, k.reference, k.type) for k in c.keywords]
    if agency is not None:
        parts.append(f"<OriginatingAgency>{element('Identification', agency)}</OriginatingAgency>")
    parts.append("</ContentDescription>")
    return "".join(parts)


def _custodial_history(unit: ArchiveUnit) -> str:
    """The custodial history items, then one item per event of the unit (dated by it)."""
    items = [(i.text, i.when) for i in unit.content.custodial_history]
    items += [
        (" — ".join(p for p in (e.type or e.type_code, e.detail) if p) or "événement", e.date_time)
        for e in unit.content.events
    ]
    if not items:
        return ""
    parts = []
    for text, when in items:
        day = "" if when is None else f' when="{escape_attr(_day(when, unit).isoformat())}"'
        parts.append(f"<CustodialHistoryItem{day}>{escape_text(text)}</CustodialHistoryItem>")
    return f"<CustodialHistory>{''.join(parts)}</CustodialHistory>"


def _keyword(content: str, reference: str | None, kind: str | None) -> str:
    parts = [element("KeywordContent", content)]
    if reference is not None:
        parts.append(element("KeywordReference", reference))
    if kind is not None:
        parts.append(element("KeywordType", kind))
    return f"<Keyword>{''.join(parts)}</Keyword>"


def _day(value: str, unit: ArchiveUnit) -> date:
    day = parse_date(value)
    if day is None:
        raise MissingValue(f"unité {unit.id} : date illisible {value!r}")
    return day


def _single_rule(category: RuleCategory, unit: ArchiveUnit) -> tuple[str, date]:
    """SEDA 1.0 carries one rule per category, with a start date (the unit's EndDate if none)."""
    name = type(category).__name__
    if len(category.rules) != 1:
        raise InvalidRule(
            f"unité {unit.id} : SEDA 1.0 n'admet qu'une règle {name}, {len(category.rules)} données"
        )
    rule = category.rules[0]
    start = rule.start_date
    if start is None and unit.content.end_date is not None:
        start = _day(unit.content.end_date, unit)
    if start is None:
        raise MissingValue(
            f"unité {unit.id} : règle {rule.rule_id} sans date de départ ni date de fin du contenu"
        )
    return rule.rule_id, start


def _access(category: AccessRule, unit: ArchiveUnit, ctx: Context) -> str:
    rule_id, start = _single_rule(category, unit)
    code = ctx.options.rules.access_code(rule_id)
    return f"<AccessRestrictionRule>{element('Code', code)}{element('StartDate', start.isoformat())}</AccessRestrictionRule>"


def _appraisal(category: AppraisalRule, unit: ArchiveUnit, ctx: Context) -> str:
    rule_id, start = _single_rule(category, unit)
    code = APPRAISAL_CODES.get(category.final_action)
    if code is None:
        raise InvalidRule(
            f"unité {unit.id} : sort final {category.final_action!r} (Keep ou Destroy attendu)"
        )
    duration = ctx.options.rules.duration(rule_id)
    body = (
        element("Code", code)
        + element("Duration", duration)
        + element("StartDate", start.isoformat())
    )
    return f"<AppraisalRule>{body}</AppraisalRule>"


def _objects(unit: ArchiveUnit, ctx: Context) -> list[DataObject]:
    found: list[DataObject] = []
    for ref in unit.object_references:
        if ref.data_object_group_reference_id is not None:
            group = ctx.groups.get(ref.data_object_group_reference_id)
            if group is not None and group.extra:
                raise VersionMismatch(f"groupe {group.id} : journal (LogBook) sans équivalent 1.0")
            if group is None:
                raise MissingValue(
                    f"unité {unit.id} : groupe d'objets {ref.data_object_group_reference_id} absent"
                )
            found += group.objects
        if ref.data_object_reference_id is not None:
            obj = ctx.objects.get(ref.data_object_reference_id)
            if obj is None:
                raise MissingValue(f"unité {unit.id} : objet {ref.data_object_reference_id} absent")
            found.append(obj)
    return found


def _document(obj: DataObject, ctx: Context) -> str:
    """Document: Attachment (the file, named as in the package), Description (the file's original
    name), Integrity, Size in bytes, the transferring agency's identifier (the object id), Type
    CDO (content data object, OAIS)."""
    if not isinstance(obj, BinaryDataObject):
        raise VersionMismatch(f"objet physique {obj.id} : un Document SEDA 1.0 est un fichier")
    if obj.extra:
        lost = ", ".join(r.name for r in obj.extra)
        raise VersionMismatch(f"objet {obj.id} : {lost} sans équivalent en SEDA 1.0")
    codes, fmt = ctx.options.attachment_codes, obj.format
    attributes: list[tuple[str, str | None]] = [
        ("filename", obj.uri),
        ("mimeCode", codes.mime_type(fmt.mime_type if fmt else None)),
        ("format", codes.format(fmt.format_id if fmt else None)),
    ]
    attachment = "".join(f' {n}="{escape_attr(v)}"' for n, v in attributes if v is not None)
    algorithm = DIGEST_ALGORITHMS.get(obj.digest_algorithm.upper(), obj.digest_algorithm)
    parts = [f"<Attachment{attachment}/>"]
    if obj.filename is not None:  # the name the file had: 1.0 has no element of its own for it
        parts.append(element("Description", obj.filename))
    digest = escape_text(obj.message_digest)
    parts.append(f'<Integrity algorithme="{escape_attr(algorithm)}">{digest}</Integrity>')
    if obj.size is not None:
        parts.append(f'<Size unitCode="{BYTE}">{int(obj.size)}</Size>')
    parts += [element("TransferringAgencyDocumentIdentifier", obj.id), element("Type", "CDO")]
    return f"<Document>{''.join(parts)}</Document>"
