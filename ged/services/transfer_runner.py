"""Transfers under an archival agreement, and the scheduler's pass over those waiting.

An archival agreement (``ged.services.agreements``) belongs to one organisation and says to
which repository it sends, through which connector, in which SEDA version, with which profile
and signature. ``start`` takes the organisation's agreement (another's is unknown), checks it
against what its connector can deliver, selects the dossiers (given by hand, or every ``due``
dossier to keep, of the agreement's services), prepares and signs the SIP, records the
signatures on the transfer and pushes it; ``run_due`` is what the scheduler (``gedsae serve``)
and ``gedsae transfers run`` call: it re-sends the pushes that failed and polls those that
wait, until a reply or the agreement's give-up deadline, recording on the transfer what stops
a step. SIPs wait in the instance's spool until a verified positive reply; a rejected one stays
for inspection.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.config import package_rules
from ged.domain.access import Principal
from ged.domain.lifecycle import Phase
from ged.domain.model import Role
from ged.domain.retention import FinalAction
from ged.services import lifecycle, transfer_by_hand, transfer_loop
from ged.services.agreements import (
    Agreement,
    AgreementNotFound,
    agreements_of,
    covered_services,
    ensure_fits,
    ensure_within,
)
from ged.services.context import Context
from ged.services.ports import POSITIVE_TRANSFER_STATES, TransferRecord
from ged.services.transfer_due import LeftBehind, select_due
from ged.services.transfer_rule_map import RuleMap
from ged.services.transfer_setup import TransferSetup, organisation_of
from ged.services.transfers import PreparedTransfer, TransferParties, prepare_transfer
from kernel.errors import GedsaeError, InvalidError, Issue


class NothingToTransfer(InvalidError):
    code = "nothing_to_transfer"
    title = "Aucun dossier à verser"


def start(
    setup: TransferSetup,
    ctx: Context,
    actor: Principal,
    agreement_name: str,
    dossier_ids: list[str] | None = None,
) -> TransferRecord:
    """Prepare, sign and push one transfer of the dossiers given, all of the agreement's
    services; ``None`` (or none) takes every due dossier that may leave (``start_due``)."""
    if not dossier_ids:
        return start_due(setup, ctx, actor, agreement_name).record
    actor.ensure_role(*lifecycle.RUNNERS)
    agreement = setup.agreement(agreement_name, organisation_of(ctx, actor.organisation_id))
    ensure_within(ctx, actor, agreement, dossier_ids, covered_services(ctx, actor, agreement))
    with setup.connector_for(agreement) as connector:  # built before anything is written
        ensure_fits(agreement, package_rules(connector.name))
        return _start(setup, ctx, actor, agreement, dossier_ids, connector)


@dataclass(frozen=True)
class DueTransfer:
    record: TransferRecord
    left: list[LeftBehind]  # due dossiers to keep that stay, each with its reason


def start_due(
    setup: TransferSetup, ctx: Context, actor: Principal, agreement_name: str
) -> DueTransfer:
    """One transfer of every due dossier to keep that may leave under the agreement; each
    other one is named with its reason (``ged.services.transfer_due``) and stays. Nothing
    that may leave: 422, every dossier left listed."""
    actor.ensure_role(*lifecycle.RUNNERS)
    agreement = setup.agreement(agreement_name, organisation_of(ctx, actor.organisation_id))
    selection = select_due(ctx, actor, agreement, covered_services(ctx, actor, agreement))
    if not selection.sendable:
        raise _nothing_to_transfer(selection.left)
    with setup.connector_for(agreement) as connector:  # built before anything is written
        ensure_fits(agreement, package_rules(connector.name))
        record = _start(setup, ctx, actor, agreement, selection.sendable, connector)
    return DueTransfer(record, selection.left)


def _nothing_to_transfer(left: list[LeftBehind]) -> NothingToTransfer:
    if not left:
        return NothingToTransfer(
            "Aucun dossier échu à conserver", issues=[Issue("no_dossier", "rien à verser")]
        )
    issues = [Issue(x.code, f"« {x.title} » : {x.reason}", path=x.dossier_id) for x in left]
    detail = f"Aucun des {len(left)} dossiers échus à conserver ne peut partir"
    return NothingToTransfer(detail, issues=issues, left=left)


def _start(
    setup: TransferSetup,
    ctx: Context,
    actor: Principal,
    agreement: Agreement,
    chosen: list[str],
    connector: Connector,
) -> TransferRecord:
    setup.spool.mkdir(parents=True, exist_ok=True)
    prepared, signature = _prepare(setup, ctx, actor, agreement, chosen)
    try:
        record = transfer_loop.send_transfer(
            ctx,
            actor,
            prepared,
            connector,
            transferring_agency=agreement.transferring_agency,
            annotate=lambda fresh: replace(
                fresh,
                agreement=agreement.name,
                signature=signature,
                give_up_at=fresh.created_at + agreement.give_up_after,
            ),
        )
    except Exception:
        with ctx.uow() as uow:
            claimed = uow.transfers.get(prepared.message_identifier) is not None
        if not claimed:  # the dossiers could not move: no transfer, so no package kept
            prepared.sip.unlink(missing_ok=True)
        raise
    return record


def due_dossiers(
    ctx: Context, actor: Principal, services: frozenset[str] | None = None
) -> list[str]:
    """Due dossiers to keep, of ``services`` only when given."""
    states = lifecycle.list_in_phase(ctx, actor, Phase.DUE, limit=10_000)
    return [
        s.dossier_id
        for s in states
        if s.resolved_action is FinalAction.KEEP and (services is None or s.service_id in services)
    ]


def _prepare(
    setup: TransferSetup,
    ctx: Context,
    actor: Principal,
    agreement: Agreement,
    dossier_ids: list[str],
) -> tuple[PreparedTransfer, dict[str, Any] | None]:
    signer = setup.signer if agreement.sign_package else None
    parties = TransferParties(
        agreement.archival_agency,
        agreement.transferring_agency,
        agreement.archival_agreement,
        agreement.archival_profile,
    )
    out = setup.spool / f"sip-{ctx.clock().strftime('%Y%m%dT%H%M%S%f')}.zip"
    prepared = prepare_transfer(
        ctx,
        actor,
        dossier_ids,
        out,
        agreement.seda_version,
        parties,
        signer=None if signer is None else signer.sign_digest,
        layout=agreement.sip_layout,
        rules=RuleMap(agreement.rules),
        schemas=setup.schemas,
    )
    final = prepared.sip.with_name(f"{prepared.message_identifier}.zip")
    prepared.sip.replace(final)
    prepared = replace(prepared, sip=final)
    if setup.signer is None:
        return prepared, None
    package = setup.signer.sign_digest(bytes.fromhex(prepared.sha256))
    signature = {
        "signer": setup.signer.subject,
        "format": "CAdES-BES detached (CMS SignedData), DER, base64",
        "package_sha256": prepared.sha256,
        "package": _b64(package),
        "manifest": _b64(prepared.manifest_signature),
        "manifest_sha256": prepared.manifest_sha256,
        "in_package": prepared.manifest_signature is not None,
    }
    return prepared, signature


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


# -- the scheduler's pass -----------------------------------------------------------------------
@dataclass(frozen=True)
class PassReport:
    polled: int
    resent: int
    gave_up: int
    failed: tuple[tuple[str, str], ...]  # (MessageIdentifier, error code) of this pass


def run_due(setup: TransferSetup, ctx: Context, actor: Principal) -> PassReport:
    """Work through the organisation's transfers whose retry or poll is due now."""
    actor.ensure_role(*lifecycle.RUNNERS)
    polled = resent = gave_up = 0
    failed: list[tuple[str, str]] = []
    for record in transfer_loop.transfers_due(ctx, actor):
        if record.give_up_at is not None and ctx.clock() >= record.give_up_at:
            transfer_loop.give_up(ctx, actor, record)
            gave_up += 1
            continue
        try:
            done = step(setup, ctx, actor, record)
        except GedsaeError as exc:  # its agreement or connector cannot be used: said on it
            done = transfer_loop.unusable(ctx, actor, record, exc)
        if record.state in transfer_loop.TO_SEND:
            resent += 1
        else:
            polled += 1
        if done.last_error_code:
            failed.append((done.message_identifier, done.last_error_code))
    return PassReport(polled, resent, gave_up, tuple(failed))


def step(
    setup: TransferSetup, ctx: Context, actor: Principal, record: TransferRecord
) -> TransferRecord:
    """One push or one poll of a transfer, through its agreement's connector."""
    if record.agreement is None:
        raise AgreementNotFound(
            f"Le transfert {record.message_identifier} n'a pas d'accord de versement"
        )
    agreement = setup.agreement(record.agreement, organisation_of(ctx, record.organisation_id))
    with setup.connector_for(agreement) as connector:
        return _step(ctx, actor, record, agreement, connector)


def _step(
    ctx: Context,
    actor: Principal,
    record: TransferRecord,
    agreement: Agreement,
    connector: Connector,
) -> TransferRecord:
    if record.state in transfer_loop.TO_SEND:
        ensure_fits(agreement, package_rules(connector.name))
        prepared = PreparedTransfer(
            record.message_identifier,
            Path(record.sip_path),
            record.sip_sha256,
            Path(record.sip_path).stat().st_size,
            record.dossiers,
            0,
            record.manifest_sha256,
        )
        return transfer_loop.send_transfer(
            ctx, actor, prepared, connector, transferring_agency=record.transferring_agency
        )
    done = transfer_loop.poll_transfer(
        ctx, actor, record.message_identifier, connector, purge=agreement.purge
    )
    if done.state in POSITIVE_TRANSFER_STATES:
        Path(done.sip_path).unlink(missing_ok=True)  # the repository holds it now, verified
    return done


def record_reply(
    setup: TransferSetup | None,
    ctx: Context,
    actor: Principal,
    message_identifier: str,
    data: bytes,
) -> TransferRecord:
    """An archivist records the repository's reply by hand (``transfer_by_hand``); the content
    is purged afterwards when the transfer's agreement says so."""
    actor.ensure_role(Role.ARCHIVIST)
    record = transfer_loop.get_transfer(ctx, actor, message_identifier)
    organisation = organisation_of(ctx, record.organisation_id)
    own = {} if setup is None else agreements_of(setup.agreements, organisation)
    agreement = own.get(record.agreement or "")
    purge = agreement is not None and agreement.purge
    done = transfer_by_hand.record_reply_by_hand(ctx, actor, message_identifier, data, purge=purge)
    if done.state in POSITIVE_TRANSFER_STATES:
        Path(done.sip_path).unlink(missing_ok=True)  # the repository holds it now, verified
    return done


def scheduler_principal(organisation_id: str) -> Principal:
    """Who the scheduler acts as in the log: the system, as records officer of one organisation."""
    return Principal(
        id="system:scheduler",
        name="planificateur",
        organisation_id=organisation_id,
        roles=frozenset({Role.RECORDS_OFFICER}),
        service_ids=frozenset(),
    )


def run_all(setup: TransferSetup, ctx: Context) -> dict[str, PassReport]:
    """One pass over every organisation (the scheduler's tick)."""
    with ctx.uow() as uow:
        organisations = [o.id for o in uow.repo.list_organisations()]
    return {org: run_due(setup, ctx, scheduler_principal(org)) for org in organisations}


def describe(r: TransferRecord) -> dict[str, Any]:
    """The record as the CLI and the API show it (history apart: it can be long)."""
    signature = r.signature or {}
    return {
        "message_identifier": r.message_identifier,
        "state": r.state.value,
        "agreement": r.agreement,
        "connector": r.connector,
        "transferring_agency": r.transferring_agency,
        "dossiers": list(r.dossiers),
        "remote_reference": r.remote_reference,
        "acknowledged": r.acknowledged,
        "attempts": r.attempts,
        "next_attempt_at": _iso(r.next_attempt_at),
        "give_up_at": _iso(r.give_up_at),
        "error": _error(r),
        "reasons": list(r.reasons),
        "outcome": r.outcome,
        "sip_sha256": r.sip_sha256,
        "signature": {k: v for k, v in signature.items() if k not in ("package", "manifest")},
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
    }


def _error(r: TransferRecord) -> dict[str, Any] | None:
    """The last error, when and until when it is tried again, said in a sentence."""
    if not r.last_error_code:
        return None
    if r.next_attempt_at is not None:
        then = f"nouvel essai le {_when(r.next_attempt_at)} (essai n° {r.attempts + 1})"
        if r.give_up_at is not None:
            then += f", abandon le {_when(r.give_up_at)} sans succès d'ici là"
    else:
        then = (
            "plus d'essai automatique : corriger la cause, puis "
            f"« gedsae transfers poll {r.message_identifier} »"
        )
    return {
        "code": r.last_error_code,
        "message": r.last_error_message,
        "retry_at": _iso(r.next_attempt_at),
        "explanation": f"{r.last_error_message} — {then}",
    }


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
