"""Catalogue of the archives kept (OAIS Data Management, ISO 14721 §4.1.1.4): what is recorded.

Accepting a transfer records, in the same transaction as the decision, one row per ArchiveUnit
of the SIP (its archive identifier, the SEDA 2.x ``Content`` fields that searches need:
``DescriptionLevel``, ``Title``, ``Description``, ``StartDate``/``EndDate``, the
``OriginatingAgency``, and its rules: ``unit_rules``) and one row per BinaryDataObject kept on the storage offers (digests,
size, file name, format), linked to the units that reference them through their
``DataObjectGroup`` (or directly, by ``DataObjectReferenceId``). Physical objects carry no
content and are not catalogued.

Searching and reading what is recorded: ``sae.catalogue.search``; the rows themselves are kept
by the ``CatalogueRepository`` port, in the same transaction as the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from sae.model import (
    ArchivedObject,
    CatalogueObject,
    CatalogueUnit,
    Description,
    RuleRef,
    Transfer,
    UnitRules,
)
from seda.errors import SedaError
from seda.model import (
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    DataObjectGroup,
    Management,
    RuleCategory,
)
from seda.safexml import parse_bytes


# -- what an acceptance records ------------------------------------------------------------
def describe(
    transfer: Transfer,
    manifest: ArchiveTransfer,
    archive_ids: Mapping[str, str],
    stored: Sequence[ArchivedObject],
    *,
    archived_at: datetime,
) -> Description:
    """The catalogue rows of an accepted transfer: ``archive_ids`` maps SIP unit ids to the
    archive identifiers given, ``stored`` is what the offers now keep."""
    groups = list(manifest.groups)
    verdicts = {v.object_id: v.found for v in transfer.signature_checks}
    objects = _objects(transfer.id, groups, {o.object_id: o for o in stored}, verdicts)
    resolve = _resolver(groups, {o.object_id for o in objects})
    package_agency = manifest.management_metadata.originating_agency_identifier
    defaults = manifest.management_metadata.rules
    units: list[CatalogueUnit] = []
    for position, (unit, parent, agency) in enumerate(_walk(manifest.units, None, package_agency)):
        content = unit.content
        units.append(
            CatalogueUnit(
                archive_id=archive_ids[unit.id],
                organisation=transfer.organisation,
                transfer_id=transfer.id,
                message_identifier=transfer.message_identifier,
                unit_id=unit.id,
                parent_archive_id=None if parent is None else archive_ids[parent],
                position=position,
                description_level=content.description_level,
                title=content.titles[0] if content.titles else "",
                description="\n".join(content.descriptions),
                start_date=content.start_date,
                end_date=content.end_date,
                originating_agency=agency,
                archived_at=archived_at,
                object_ids=resolve(unit),
                titles=content.titles,
                rules=unit_rules(unit, defaults),
            )
        )
    return Description(units, objects)


def unit_rules(unit: ArchiveUnit, defaults: Management) -> UnitRules:
    """The unit's DUA, final action and communicabilité: its own ``Management`` when it states
    any of them, else the bordereau's (SEDA's inheritance of rules, simplified: no
    ``PreventInheritance`` between units)."""
    own = unit.management
    rules = own if own is not None and (own.appraisal or own.access) else defaults
    return UnitRules(
        appraisal=_refs(rules.appraisal),
        final_action=rules.appraisal.final_action if rules.appraisal else None,
        access=_refs(rules.access),
        inherited=rules is defaults,
    )


def _refs(category: RuleCategory | None) -> tuple[RuleRef, ...]:
    return (
        () if category is None else tuple(RuleRef(r.rule_id, r.start_date) for r in category.rules)
    )


def _objects(
    transfer_id: str,
    groups: Iterable[DataObjectGroup],
    stored: Mapping[str, ArchivedObject],
    verdicts: Mapping[str, str],
) -> list[CatalogueObject]:
    found = []
    for group in groups:
        for obj in group.objects:
            kept = stored.get(obj.id)
            if not isinstance(obj, BinaryDataObject) or kept is None:
                continue
            found.append(
                CatalogueObject(
                    transfer_id=transfer_id,
                    object_id=obj.id,
                    group_id=group.id,
                    uri=obj.uri,
                    filename=obj.filename,
                    sha256=kept.sha256,
                    sha512=kept.sha512,
                    size=kept.size,
                    mime_type=obj.format.mime_type if obj.format else None,
                    format_id=obj.format.format_id if obj.format else None,
                    signature_status=verdicts.get(obj.id),
                )
            )
    return found


def _resolver(
    groups: Sequence[DataObjectGroup], kept: set[str]
) -> Callable[[ArchiveUnit], tuple[str, ...]]:
    """Object ids a unit references: a group gives all its kept objects, an object itself."""
    by_group = {g.id: tuple(o.id for o in g.objects if o.id in kept) for g in groups}

    def resolve(unit: ArchiveUnit) -> tuple[str, ...]:
        ids: list[str] = []
        for ref in unit.object_references:
            for target in (ref.data_object_group_reference_id, ref.data_object_reference_id):
                if target is None:
                    continue
                # SEDA 2.0 profiles sometimes name a group in DataObjectReferenceId.
                ids += by_group.get(target, (target,) if target in kept else ())
        return tuple(dict.fromkeys(ids))

    return resolve


def _walk(
    units: Iterable[ArchiveUnit], parent: str | None, agency: str | None
) -> Iterator[tuple[ArchiveUnit, str | None, str | None]]:
    """Units in document order with their parent's SIP id and their originating agency (their
    own ``OriginatingAgency``, else the nearest ancestor's, else the package's)."""
    for unit in units:
        own = _originating_agency(unit) or agency
        yield unit, parent, own
        yield from _walk(unit.children, unit.id, own)


def _originating_agency(unit: ArchiveUnit) -> str | None:
    for raw in unit.content.extra:
        if raw.name != "OriginatingAgency":
            continue
        try:
            root = parse_bytes(raw.xml).getroot()
        except SedaError:
            return None
        identifier = root.find("{*}Identifier")
        return identifier.text if identifier is not None and identifier.text else None
    return None
