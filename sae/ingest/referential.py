"""Referentials of the repository: the agencies and management rules each organisation knows.

Vitam refuses at ingest a SIP naming an agency or a rule its tenant's referentials do not hold
(steps CHECK_HEADER.CHECK_AGENT and CHECK_RULES). The same files are read here: the agencies
referential (CSV ``Identifier,Name,Description``, UTF-8, comma-separated, as Vitam imports it)
and the rules referential (the six-column CSV of Vitam's ``RulesManagerFileImpl``, parsed by
``kernel.rules_referential.parse_vitam_csv``, which refuses exactly what Vitam refuses).

``referential_issues`` compares what ``sae.ingest.manifest.read_manifest`` found with the
organisation's referential: every agency (ArchivalAgency, TransferringAgency, the
OriginatingAgency and SubmissionAgency of ManagementMetadata and of each unit's Content) and every
rule identifier of every category (``Rule`` and ``RefNonRuleId``, in ManagementMetadata and in
each unit's Management). Each unknown identifier is one blocking issue at its first place (unit,
path, line), with the count of the others. An organisation with no referential configured skips
these checks, and a referential without agencies (or without rules) skips that half; the
organisation's own identifier is always a known agency (its ArchivalAgency is checked against
the repository's identity elsewhere).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Final

from kernel.errors import InvalidError, Issue
from kernel.retention import RuleCategory
from kernel.rules_referential import MAX_IMPORT_BYTES, parse_vitam_csv
from sae.ingest.manifest import ManifestFacts, Occurrence
from sae.model import CheckIssue, Referential

AGENCY_COLUMNS: Final = ("Identifier", "Name")  # Description is optional


class AgenciesFileRefused(InvalidError):
    """An agencies referential refused as a whole; ``issues`` lists every problem found."""

    code = "agencies_file_refused"


def parse_rules(data: bytes) -> dict[str, RuleCategory]:
    """The rules of a Vitam rules CSV, identifier → category; ``RulesFileRefused`` listing every
    problem."""
    return {rule.identifier: rule.category for rule in parse_vitam_csv(io.BytesIO(data))}


def parse_agencies(data: bytes) -> frozenset[str]:
    """Identifiers of a Vitam agencies CSV; every bad row is reported at once (spreadsheet line
    numbers, header included)."""
    rows = list(csv.reader(io.StringIO(_decoded(data), newline="")))
    header = [cell.strip() for cell in rows[0]] if rows else []
    issues = [
        Issue("missing_column", f"Colonne obligatoire absente : {column}", 1, column)
        for column in AGENCY_COLUMNS
        if column not in header
    ]
    if issues:
        raise AgenciesFileRefused("Référentiel des services refusé", issues=issues)
    identifiers: dict[str, int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in cells):
            issues += _agency_row(line, cells, header, identifiers)
    if issues:
        message = f"Référentiel des services refusé : {len(issues)} problème(s)"
        raise AgenciesFileRefused(message, issues=issues)
    return frozenset(identifiers)


def _decoded(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        message = f"Fichier trop volumineux (plus de {MAX_IMPORT_BYTES} octets)"
        raise AgenciesFileRefused(message, issues=[Issue("file_too_large", message)])
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        message = f"Le fichier n'est pas encodé en UTF-8 (octet {exc.start})"
        line = data.count(b"\n", 0, exc.start) + 1
        raise AgenciesFileRefused(message, issues=[Issue("bad_encoding", message, line)]) from None


def _agency_row(
    line: int, cells: list[str], header: list[str], seen: dict[str, int]
) -> list[Issue]:
    if len(cells) != len(header):
        message = f"{len(cells)} champs au lieu de {len(header)}"
        return [Issue("wrong_field_count", message, line)]
    value = {name: cells[header.index(name)].strip() for name in AGENCY_COLUMNS}
    issues = [
        Issue("missing_value", f"{name} est obligatoire", line, name)
        for name in AGENCY_COLUMNS
        if not value[name]
    ]
    identifier = value["Identifier"]
    if identifier in seen:
        message = f"Identifiant « {identifier} » déjà défini ligne {seen[identifier]}"
        issues.append(Issue("duplicate_id", message, line, "Identifier"))
    elif identifier:
        seen[identifier] = line
    return issues


def referential_issues(
    facts: ManifestFacts, referential: Referential | None, organisation: str
) -> list[CheckIssue]:
    """One blocking issue per agency or rule the organisation's referential does not hold."""
    if referential is None:
        return []
    issues = []
    if referential.agencies is not None:
        known = referential.agencies | {organisation}
        issues += [
            _issue("unknown_agency", f"Service {agency} inconnu du référentiel des services", o)
            for agency, o in facts.agencies.items()
            if agency not in known
        ]
    if referential.rules is not None:
        for (category, rule_id), occurrence in facts.rules.items():
            issues += _rule_issues(referential.rules, category, rule_id, occurrence)
    return issues


def _rule_issues(
    rules: Mapping[str, RuleCategory], category: str, rule_id: str, occurrence: Occurrence
) -> list[CheckIssue]:
    known = rules.get(rule_id)
    if known is None:
        message = f"Règle {rule_id} ({category}) inconnue du référentiel de règles"
        return [_issue("unknown_rule", message, occurrence)]
    if known.value != category:
        message = f"Règle {rule_id} employée comme {category}, mais de type {known.value}"
        return [_issue("rule_category_mismatch", message, occurrence)]
    return []


def _issue(code: str, message: str, occurrence: Occurrence) -> CheckIssue:
    where = f" (unité {occurrence.unit})" if occurrence.unit else ""
    others = occurrence.count - 1
    more = f", et {others} autre(s) occurrence(s)" if others else ""
    return CheckIssue(code, "error", f"{message}{where}{more}", occurrence.line, occurrence.path)
