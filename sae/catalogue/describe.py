"""Catalogue of the archives kept (OAIS Data Management, ISO 14721 §4.1.1.4): what is recorded.

Accepting a transfer records, in the same transaction as the decision, one row per ArchiveUnit
of the SIP (its archive identifier, the SEDA 2.x ``Content`` fields that searches need:
``DescriptionLevel``, ``Title``, ``Description``, ``StartDate``/``EndDate``, the
``OriginatingAgency``, and its rules: ``unit_rules``) and one row per BinaryDataObject kept on the storage offers (digests,
size, file name, format), linked to the units that reference them through their
``DataObjectGroup`` (or directly, by ``DataObjectReferenceId``). Physical objects carry no
content and are not catalogued.

Searching and reading what is recorded: ``sae.catalogue.search``; the rows themselves are kept
by the ``CatalogueRepository`` port, in the same transaction as the decision. The rows are
made as the manifest is streamed: ``sae.review.archiving``; this module gives each unit's rules
and originating agency.
"""

from __future__ import annotations

from sae.model import RuleRef, UnitRules
from seda.errors import SedaError
from seda.model import ArchiveUnit, Management, RuleCategory
from seda.safexml import parse_bytes


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


def originating_agency(unit: ArchiveUnit) -> str | None:
    """The unit's own ``OriginatingAgency/Identifier``, if it states one."""
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
