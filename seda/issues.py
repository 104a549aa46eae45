"""Issues found by the validator: one record per problem, with a stable code.

`fatal` means the input was refused (unreadable or hostile) and nothing else was checked;
`error` makes the message invalid; `warning` does not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    code: str
    severity: Severity
    message: str
    line: int | None = None
    xpath: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValidationReport:
    """Every issue found in one message or package."""

    source: str
    version: str | None = None
    message_type: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any(i.severity is Severity.FATAL for i in self.issues)

    @property
    def valid(self) -> bool:
        return not any(i.severity in (Severity.FATAL, Severity.ERROR) for i in self.issues)

    def codes(self) -> set[str]:
        return {i.code for i in self.issues}

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "version": self.version,
            "message_type": self.message_type,
            "valid": self.valid,
            "refused": self.refused,
            "issues": [i.as_dict() for i in self.issues],
        }
