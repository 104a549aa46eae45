"""What one transaction may see (PostgreSQL row-level security reads it): one tenant's rows,
the platform's (the tenants themselves), or one token or web session found by its digest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    tenant: str = ""
    platform: bool = False
    token: str = ""
    session: str = ""

    def settings(self) -> dict[str, str]:
        """``gedsae.<name>`` settings of the transaction; empty matches no row."""
        return {
            "tenant": self.tenant,
            "platform": "on" if self.platform else "off",
            "token": self.token,
            "session": self.session,
        }
