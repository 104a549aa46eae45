"""Asking the repository for archives the GED transferred, through the agreement's connector
(``connectors.exchanges``; the HTTP contract with our repository: docs/exchanges.md).

Communication: an ``ArchiveDeliveryRequest`` naming the archives of the dossiers given (the
identifiers the verified transfer reply gave each dossier), with a derogation asked when the
communicability date is not reached; its reply, then the DIP, written where asked only once
every object's digest and size match the reply. Restitution: an
``ArchiveRestitutionRequest``; its reply and package, verified the same way, and only then the
``Acknowledgement`` of the reply, which lets the repository delete the archives. Every request
and receipt is in the operation log. A connector without these exchanges (Vitam, As@lae) is
refused before anything is sent, saying so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from connectors.base import ConnectorError, NotReady, RemoteUnavailable, SubmissionRefused
from connectors.exchanges import ExchangeKind, Exchanges, PackageRejected, exchanges_of, offered
from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services.agreements import Agreement
from ged.services.context import Context, new_id
from ged.services.transfer_replies import verified_archives
from ged.services.transfer_setup import TransferSetup, organisation_of
from kernel.errors import ConflictError, InvalidError, Issue, NotFoundError, UnavailableError
from seda.acknowledgement import Acknowledgement
from seda.communication import ArchiveDeliveryRequest
from seda.messages import build_message
from seda.restitution import ArchiveRestitutionRequest
from seda.versions import SedaVersion

T = TypeVar("T")
REQUESTERS = (Role.RECORDS_OFFICER, Role.ARCHIVIST, Role.ADMIN)
_OURS = re.compile(r"^GEDSAE-(COM|RES)-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
_PREFIXES = {ExchangeKind.DELIVERY: "GEDSAE-COM-", ExchangeKind.RESTITUTION: "GEDSAE-RES-"}


class ExchangeNotOffered(InvalidError):
    code = "exchange_not_offered"
    title = "Échange impossible avec ce service d'archives"


class DossierNotArchived(ConflictError):
    code = "dossier_not_archived"
    title = "Dossier sans archive au service d'archives"


class RequestUnknown(NotFoundError):
    code = "request_unknown"
    title = "Demande inconnue"


class ExchangeRefused(InvalidError):
    code = "exchange_refused"
    title = "Demande ou paquet refusé"


@dataclass(frozen=True)
class Received:
    """Where a request stands: ``waiting`` (``retry_after`` seconds), ``refused`` (the reply's
    comments), or ``received`` (the package written to ``path``, verified)."""

    message_identifier: str
    state: str
    retry_after: float | None = None
    comments: tuple[str, ...] = ()
    path: Path | None = None
    sha256: str | None = None
    units: tuple[str, ...] = ()


def kind_of(message_identifier: str) -> ExchangeKind:
    """Which exchange one of our requests is, from its identifier (``GEDSAE-COM-<uuid>``,
    ``GEDSAE-RES-<uuid>``: nothing else, so it is also a safe file name)."""
    for kind, prefix in _PREFIXES.items():
        if _OURS.match(message_identifier) and message_identifier.startswith(prefix):
            return kind
    raise RequestUnknown(
        f"{message_identifier} n'est pas une demande de communication ou de restitution"
    )


def package_path(setup: TransferSetup, actor: Principal, message_identifier: str) -> Path:
    """Where the API keeps a package received for the actor's organisation (the spool)."""
    kind_of(message_identifier)
    return setup.spool / "exchanges" / actor.organisation_id / f"{message_identifier}.zip"


def received_package(setup: TransferSetup, actor: Principal, message_identifier: str) -> Path:
    """The verified package of one of the organisation's requests; 404 before it is received."""
    actor.ensure_role(*REQUESTERS)
    found = package_path(setup, actor, message_identifier)
    if not found.is_file():
        raise NotFoundError(f"Aucun paquet reçu pour {message_identifier}")
    return found


def request_archives(
    setup: TransferSetup,
    ctx: Context,
    actor: Principal,
    agreement_name: str,
    kind: ExchangeKind,
    dossier_ids: list[str],
    *,
    derogation: bool = False,
    reason: str | None = None,
) -> str:
    """Send the request for the archives of ``dossier_ids``; its MessageIdentifier. A connector
    without the exchange is refused first, then a dossier with no archive: nothing is sent."""
    actor.ensure_role(*REQUESTERS)
    agreement = setup.agreement(agreement_name, organisation_of(ctx, actor.organisation_id))
    with setup.connector_for(agreement) as connector:
        link = exchanges_for(connector, agreement)
        units = _archives(ctx, actor, dossier_ids)
        mid = _PREFIXES[kind] + new_id()
        message = _message(ctx, agreement, kind, mid, units, derogation, reason)
        data = build_message(seda_version(agreement), message)
        translated(lambda: link.request(kind, mid, data))
    details = {"agreement": agreement.name, "dossiers": dossier_ids, "units": list(units)}
    log_exchange(
        ctx, actor, f"archives.{kind.label_fr}.request", mid, details | {"derogation": derogation}
    )
    return mid


def _message(
    ctx: Context,
    agreement: Agreement,
    kind: ExchangeKind,
    mid: str,
    units: tuple[str, ...],
    derogation: bool,
    reason: str | None,
) -> ArchiveDeliveryRequest | ArchiveRestitutionRequest:
    """The request: the archival agency and agreement of ``agreement``, the GED's transferring
    agency as requester (communication) or originating agency (restitution)."""
    ours, theirs, now = agreement.transferring_agency, agreement.archival_agency, ctx.clock()
    comments = (reason,) if reason else ()
    if kind is ExchangeKind.DELIVERY:
        return ArchiveDeliveryRequest(
            mid, now, theirs, ours, units, derogation, comments, agreement.archival_agreement
        )
    return ArchiveRestitutionRequest(
        mid, now, theirs, ours, units, comments, agreement.archival_agreement
    )


def receive_archives(
    setup: TransferSetup,
    ctx: Context,
    actor: Principal,
    agreement_name: str,
    message_identifier: str,
    out: Path,
) -> Received:
    """The reply to one of our requests; when granted, its package verified and written to
    ``out`` (and, for a restitution, acknowledged only then)."""
    actor.ensure_role(*REQUESTERS)
    kind = kind_of(message_identifier)
    agreement = setup.agreement(agreement_name, organisation_of(ctx, actor.organisation_id))
    with setup.connector_for(agreement) as connector:
        link = exchanges_for(connector, agreement)
        reply = translated(lambda: link.reply(kind, message_identifier))
        if isinstance(reply, NotReady):
            return Received(message_identifier, "waiting", retry_after=reply.retry_after)
        if not reply.granted:
            found = Received(message_identifier, "refused", comments=reply.message.comments)
            log_exchange(ctx, actor, f"archives.{kind.label_fr}.refused", message_identifier, {})
            return found
        package = translated(lambda: link.fetch_package(kind, message_identifier, out))
        if kind is ExchangeKind.RESTITUTION:
            receipt = _receipt(ctx, agreement, package.message_identifier)
            translated(lambda: link.acknowledge(kind, message_identifier, receipt))
    digest = _sha256(out)
    details: dict[str, Any] = {"sha256": digest, "units": list(package.unit_identifiers)}
    log_exchange(ctx, actor, f"archives.{kind.label_fr}.received", message_identifier, details)
    return Received(
        message_identifier, "received", path=out, sha256=digest, units=package.unit_identifiers
    )


def _archives(ctx: Context, actor: Principal, dossier_ids: list[str]) -> tuple[str, ...]:
    """The repository's identifiers of the dossiers' archives, from their verified transfer."""
    if not dossier_ids:
        raise InvalidError("Aucun dossier", issues=[Issue("no_dossier", "liste vide")])
    units: list[str] = []
    with ctx.uow() as uow:
        for dossier_id in dossier_ids:
            state = uow.lifecycle.get_state(dossier_id)
            reference = state.transfer_reference if state else None
            found = verified_archives(uow, actor.organisation_id, dossier_id, reference)
            if not found:
                raise DossierNotArchived(
                    f"Le dossier {dossier_id} n'a pas d'archive connue au service d'archives "
                    "(aucun versement accepté ne la nomme)"
                )
            units.extend(found)
    return tuple(units)


def exchanges_for(connector: object, agreement: Agreement) -> Exchanges:
    found = exchanges_of(connector)
    if found is None:
        kind = getattr(connector, "name", agreement.connector)
        message = f"Le connecteur {agreement.connector} n'offre que le versement : {offered(kind)}"
        issue = Issue(ExchangeNotOffered.code, message, path="connector")
        raise ExchangeNotOffered(message, issues=[issue])
    return found


def seda_version(agreement: Agreement) -> SedaVersion:
    if isinstance(agreement.seda_version, SedaVersion):
        return agreement.seda_version
    message = f"l'accord {agreement.name} est en SEDA 1.0 : ces échanges se font en SEDA 2.x"
    raise ExchangeNotOffered(message, issues=[Issue("seda_version", message, path="seda_version")])


def _receipt(ctx: Context, agreement: Agreement, reply_identifier: str) -> bytes:
    receipt = Acknowledgement(
        f"GEDSAE-ACK-{new_id()}",
        ctx.clock(),
        reply_identifier,
        agreement.transferring_agency,
        agreement.archival_agency,
    )
    return build_message(seda_version(agreement), receipt)


def translated(call: Callable[[], T]) -> T:
    """A connector's failure as the GED's error families: later (503), refused (422)."""
    try:
        return call()
    except (SubmissionRefused, PackageRejected) as exc:
        issues = [Issue(exc.code, r) for r in exc.reasons] or [Issue(exc.code, str(exc))]
        raise ExchangeRefused(str(exc), issues=issues) from exc
    except RemoteUnavailable as exc:
        later = int(exc.retry_after) if exc.retry_after is not None else 60
        raise UnavailableError(f"Service d'archives indisponible : {exc}", later) from exc
    except ConnectorError as exc:
        raise UnavailableError(f"Échange avec le service d'archives en échec : {exc}") from exc


def log_exchange(
    ctx: Context, actor: Principal, action: str, mid: str, details: dict[str, Any]
) -> None:
    with ctx.uow() as uow:
        uow.log(actor.id, action, "exchange", mid, actor.organisation_id, details)
        uow.commit()


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
