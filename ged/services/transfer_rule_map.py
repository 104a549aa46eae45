"""Our rule codes as the repository knows them, and the problems met writing a transfer's rules,
refused together (``ged.services.transfer_rules``, ``ged.services.rules_v1``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kernel.errors import InvalidError, Issue


class RuleNotMapped(InvalidError):
    code = "rule_unmapped"
    title = "Règle sans correspondance dans le référentiel du service d'archives"


class RulesNotTransferable(InvalidError):
    code = "rules_not_transferable"
    title = "Règles du dossier impossibles à écrire dans le bordereau"


@dataclass(frozen=True)
class RuleMap:
    """Our rule codes → the repository's (``[agreements.NAME.rules]``); None: the same codes."""

    table: Mapping[str, str] | None = None

    def identifier(self, rule_id: str) -> str | None:
        return rule_id if self.table is None else self.table.get(rule_id)


@dataclass
class RuleProblems:
    """Every problem met while writing the rules of a transfer, refused together."""

    issues: list[Issue]

    def add(self, code: str, message: str, path: str) -> None:
        if not any(i.code == code and i.path == path for i in self.issues):
            self.issues.append(Issue(code, message, path=path))

    def raise_if_any(self, agreement: str) -> None:
        unmapped = [i for i in self.issues if i.code == "rule_unmapped"]
        if unmapped:
            names = ", ".join(sorted({i.path or "" for i in unmapped}))
            raise RuleNotMapped(
                f"Règles sans correspondance dans la table rules de l'accord {agreement} : "
                f"{names} ; rien n'a été envoyé",
                issues=self.issues,
            )
        if self.issues:
            raise RulesNotTransferable(
                f"Règles impossibles à écrire dans le bordereau ({len(self.issues)} problème(s)) "
                "; rien n'a été envoyé",
                issues=self.issues,
            )
