"""What a transfer needs beyond the database, wired by ``ged.bootstrap``: the archival
agreements of ``config.toml``, a factory of connectors, the spool where SIPs wait for a verified
reply, and the instance's signing key. A connector is built for one step and closed after it;
one that cannot be built is a configuration error (422), before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from connectors.base import Connector, ConnectorError
from ged.domain.model import Organisation
from ged.services.agreements import Agreement, AgreementNotFound, agreement_of
from ged.services.context import Context
from kernel.errors import InvalidError, Issue, UnavailableError


class ConnectorUnusable(InvalidError):
    """The agreement's connector cannot be built from its settings; nothing was sent."""

    code = "connector_misconfigured"
    title = "Connecteur mal configuré"


class TransfersNotConfigured(UnavailableError):
    code = "transfers_not_configured"
    title = "Aucun accord de versement configuré sur cette instance"


def configured(setup: TransferSetup | None) -> TransferSetup:
    """The instance's transfer setup; 503 when ``config.toml`` has no agreement."""
    if setup is None:
        raise TransfersNotConfigured("Configurez [agreements.NOM] et [connectors.NOM]")
    return setup


@dataclass(frozen=True)
class PackageSigner:
    """The instance's signing key as the transfer code sees it: digest in, CMS out."""

    Sign = Callable[[bytes], bytes]  # SHA-256 digest -> detached CAdES (DER)

    subject: str
    sign_digest: Sign


@dataclass(frozen=True)
class TransferSetup:
    """Everything a transfer needs beyond the database, wired by ``ged.bootstrap``."""

    agreements: Mapping[str, Agreement]
    connector: Callable[[str], Connector]  # a [connectors.NAME] -> a fresh connector
    spool: Path
    signer: PackageSigner | None = None
    # the ``kind`` of each [connectors.NAME] table (sae_http, vitam…), as configured
    connector_kinds: Mapping[str, str] = field(default_factory=dict)
    schemas: Path | None = None  # the official schemas (``gedsae schemas install``): 1.0's codes

    @contextmanager
    def connector_for(self, agreement: Agreement) -> Iterator[Connector]:
        """The agreement's connector, closed afterwards (its HTTP client, its SSH session)."""
        try:
            connector = self.connector(agreement.connector)
        except ConnectorError as exc:
            raise ConnectorUnusable(
                str(exc), issues=[Issue(exc.code, str(exc), path=agreement.connector)]
            ) from exc
        try:
            yield connector
        finally:
            close_connector(connector)

    def agreement(self, name: str, organisation: Organisation) -> Agreement:
        """The organisation's agreement ``name`` (404 for another organisation's)."""
        return agreement_of(self.agreements, name, organisation)


def close_connector(connector: Connector) -> None:
    """Closes what the connector holds open (its HTTP client, its SSH session), if anything."""
    close = getattr(connector, "close", None)
    if close is not None:
        close()


def organisation_of(ctx: Context, organisation_id: str) -> Organisation:
    with ctx.uow() as uow:
        found = uow.repo.get_organisation(organisation_id)
    if found is None:
        raise AgreementNotFound("Organisation inconnue : aucun accord de versement")
    return found
