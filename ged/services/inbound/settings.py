"""Where imported dossiers go in the classification plan: the ``[inbound]`` table of
``config.toml``.

Actes are placed by nature and matière (ACTES v1.1 ``CodeNatureActe`` and ``CodeMatiere1..5``),
the most specific entry winning::

    [inbound.actes.plan]
    "DE" = "DELIB"            # every délibération
    "DE 7" = "DELIB-FIN"      # délibérations of matière 7 (finances locales)
    "DE 7.1" = "DELIB-BUDGET" # matière 7.1 (décisions budgétaires)
    "*" = "ACTES"             # any other acte

    [inbound.parapheur]
    plan = "PARAPHEUR"
    [inbound.seance]
    plan = "SEANCES"

Without a table, dossiers are made outside the plan; with an actes table, an acte none of its
entries matches is refused (it would otherwise land somewhere nobody chose).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ged.domain.inbound import Profile
from ged.services.inbound.model import InboundBundle
from kernel.errors import InvalidError, Issue, IssueList

NATURES = ("DE", "AR", "AI", "CC", "BF", "AU")
_SINGLE_NODE = (
    Profile.PARAPHEUR,
    Profile.SEANCE,
)  # profiles whose dossiers all go to one plan node
_ACTES_KEY = re.compile(r"^(\*|(?:DE|AR|AI|CC|BF|AU)(?: [0-9]+(?:\.[0-9]+){0,4})?)$")


class InboundMisconfigured(InvalidError):
    code = "inbound_misconfigured"
    title = "Table [inbound] de config.toml invalide"


@dataclass(frozen=True)
class InboundSettings:
    actes_plan: Mapping[str, str] = field(default_factory=dict)
    profile_plans: Mapping[Profile, str] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> InboundSettings:
        """Every mistake of the table at once (``inbound_misconfigured``)."""
        issues = IssueList()
        unknown = sorted(set(table) - {p.value for p in Profile})
        for name in unknown:
            issues.add("inbound_unknown_profile", f"profil inconnu : [inbound.{name}]")
        actes = _section(table, Profile.ACTES, issues)
        plan = actes.get("plan", {})
        if not isinstance(plan, dict):
            issues.add("inbound_bad_plan", "[inbound.actes.plan] doit être une table")
            plan = {}
        for key, code in plan.items():
            _check_actes_entry(key, code, issues)
        profiles = {p: _section(table, p, issues).get("plan") for p in _SINGLE_NODE}
        for profile, code in profiles.items():
            _check_code(f"[inbound.{profile}] plan", code, issues)
        issues.raise_if_any("La table [inbound] de config.toml est invalide", InboundMisconfigured)
        return cls(
            {str(k): str(v) for k, v in plan.items()},
            {p: str(c) for p, c in profiles.items() if c},
        )

    def plan_code(self, bundle: InboundBundle) -> tuple[str | None, Issue | None]:
        """The plan code of the bundle's dossier (None: outside the plan), or why there is none."""
        if bundle.profile is not Profile.ACTES:
            return self.profile_plans.get(bundle.profile), None
        if not self.actes_plan:
            return None, None
        for key in bundle.plan_keys:
            if key in self.actes_plan:
                return self.actes_plan[key], None
        wanted = bundle.plan_keys[0] if bundle.plan_keys else "?"
        message = (
            f"Aucune entrée de [inbound.actes.plan] ne classe un acte « {wanted} » "
            "(nature et matière) : ajoutez-la, ou une entrée « * »"
        )
        return None, Issue("actes_no_plan_node", message, path="config.toml")


def _section(table: Mapping[str, Any], profile: Profile, issues: IssueList) -> dict[str, Any]:
    section = table.get(profile.value, {})
    if isinstance(section, dict):
        return section
    issues.add("inbound_bad_section", f"[inbound.{profile}] doit être une table")
    return {}


def _check_actes_entry(key: object, code: object, issues: IssueList) -> None:
    if not isinstance(key, str) or not _ACTES_KEY.match(key):
        issues.add(
            "inbound_bad_plan_key",
            f"[inbound.actes.plan] : clé {key!r} invalide (« * », une nature parmi "
            f"{', '.join(NATURES)}, suivie d'une matière comme « DE 7.1 »)",
        )
    _check_code(f"[inbound.actes.plan] {key}", code, issues)


def _check_code(where: str, code: object, issues: IssueList) -> None:
    if code is None:
        return
    if not isinstance(code, str) or not code.strip() or len(code) > 100:
        issues.add("inbound_bad_plan_code", f"{where} : code du plan de classement invalide")
