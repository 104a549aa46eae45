"""Ready SIPs sent by a business application (a parapheur, a TdT…) through an agreement.

The caller (an application client, or someone who runs transfers) gives a package it built
itself; it is checked (``ged.services.transfer_package_checks``: SEDA, the agreement, the
caller's services), signed as our own SIPs are (``manifest.xml.p7s`` added beside the manifest
when the agreement signs, the package's digest signed on the transfer), then sent through the
agreement's connector under the package's own MessageIdentifier. From there it is a transfer
like any other: the scheduler polls it, its reply is kept and judged.

It has no dossier of ours: a positive reply makes the transfer ``accepted`` with the archive
identifiers the repository gave, and the package leaves the spool; nothing else changes here
(the application keeps its own records). A refused package leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.config import package_rules
from ged.domain.access import Principal
from ged.services.agreements import Agreement, ensure_fits
from ged.services.context import Context, new_id
from ged.services.ports import TransferRecord
from ged.services.transfer_loop import SENDERS, TransferMismatch
from ged.services.transfer_package_checks import CheckedPackage, PackageRefused, check_package
from ged.services.transfer_runner import package_signature, send_prepared
from ged.services.transfer_setup import TransferSetup, organisation_of
from ged.services.transfers import PreparedTransfer, sha256_of
from kernel.blobstore.ports import ContentTooLarge
from kernel.errors import Issue, UnavailableError
from seda.sip import add_manifest_signature, manifest_sha256


@contextmanager
def received(spool: Path, blocks: Iterable[bytes], max_size: int) -> Iterator[Path]:
    """An uploaded package written whole into ``spool`` (readable by us only, at most
    ``max_size`` bytes) before it is read; whatever is still there at the end goes. For a setup
    without the instance's spool of uploads (``TransferSetup.uploads``)."""
    spool.mkdir(parents=True, exist_ok=True)
    path = spool / f".upload-{new_id()}.zip"
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            written = 0
            for block in blocks:
                written += len(block)
                if written > max_size:
                    raise ContentTooLarge(f"Paquet de plus de {max_size} octets refusé")
                out.write(block)
        yield path
    finally:
        path.unlink(missing_ok=True)


def submit_package(
    setup: TransferSetup, ctx: Context, actor: Principal, agreement_name: str, upload: Path
) -> TransferRecord:
    """Checks, signs and sends the package at ``upload``; once checked it is moved into the
    spool under the transfer's own name (removed again when no transfer could be recorded),
    a refused one is left where it is for the caller to remove (``received``)."""
    agreement = may_submit(setup, ctx, actor, agreement_name)
    schema_dir = _schemas(setup)
    checked = check_package(upload, agreement, schema_dir, sendable(ctx, actor, agreement))
    _ensure_new(ctx, checked.message_identifier)
    with setup.connector_for(agreement) as connector:  # built before anything is written
        ensure_fits(agreement, package_rules(connector.name))
        prepared = _sign(setup, agreement, upload, checked)
        try:
            _log_received(ctx, actor, prepared, checked)
            signature = package_signature(setup, prepared)
        except Exception:
            prepared.sip.unlink(missing_ok=True)
            raise
        return send_prepared(ctx, actor, agreement, prepared, signature, connector)


class SchemasNotInstalled(UnavailableError):
    code = "schemas_not_installed"
    title = "Schémas SEDA non installés sur cette instance"


def _schemas(setup: TransferSetup) -> Path:
    if setup.schemas is None or not setup.schemas.is_dir():
        raise SchemasNotInstalled(
            "Les paquets ne peuvent être contrôlés : « gedsae schemas install » les installe"
        )
    return setup.schemas


def may_submit(
    setup: TransferSetup, ctx: Context, actor: Principal, agreement_name: str
) -> Agreement:
    """The agreement, once ``actor`` may send packages under it: said before the body is read
    (403 for a role that may not, 404 for an agreement it does not have)."""
    actor.ensure_role(*SENDERS)
    return setup.agreement(agreement_name, organisation_of(ctx, actor.organisation_id))


def sendable(ctx: Context, actor: Principal, agreement: Agreement) -> frozenset[str]:
    """SEDA identifiers of the services the agreement covers and ``actor`` files in."""
    with ctx.uow() as uow:
        services = uow.repo.list_services(actor.organisation_id)
    return frozenset(
        s.seda_identifier
        for s in services
        if actor.sees_service(s.id)
        if not agreement.services or s.seda_identifier in agreement.services
    )


def _ensure_new(ctx: Context, message_identifier: str) -> None:
    with ctx.uow() as uow:
        taken = uow.transfers.get(message_identifier) is not None
    if taken:
        raise TransferMismatch(
            f"MessageIdentifier {message_identifier} déjà reçu : suivez le transfert existant, "
            "ou envoyez un paquet corrigé sous un nouvel identifiant"
        )


def _sign(
    setup: TransferSetup, agreement: Agreement, upload: Path, checked: CheckedPackage
) -> PreparedTransfer:
    """The package under its transfer's name, signed as ours are when the agreement says so."""
    setup.spool.mkdir(parents=True, exist_ok=True)
    sip = setup.spool / f"package-{new_id()}.zip"
    upload.replace(sip)
    signature = None
    try:
        if agreement.sign_package and setup.signer is not None:
            written = add_manifest_signature(sip, setup.signer.sign_digest)
            manifest, signature = written.manifest_sha256, written.signature
        else:
            manifest = manifest_sha256(sip)
    except FileExistsError as exc:
        sip.replace(upload)  # the caller removes it
        raise PackageRefused(
            "Paquet déjà signé : retirez manifest.xml.p7s, la plateforme signe elle-même",
            issues=[Issue("package_already_signed", "manifest.xml.p7s présent", path=str(exc))],
        ) from exc
    digest = sha256_of(sip)
    return PreparedTransfer(
        checked.message_identifier,
        sip,
        digest,
        sip.stat().st_size,
        (),
        0,
        manifest.hex(),
        signature,
    )


def _log_received(
    ctx: Context, actor: Principal, prepared: PreparedTransfer, checked: CheckedPackage
) -> None:
    details = {
        "message_identifier": prepared.message_identifier,
        "sha256": prepared.sha256,
        "originating_agencies": sorted(checked.originating_agencies),
    }
    with ctx.uow() as uow:
        uow.log(
            actor.id,
            "transfer.package",
            "transfer",
            prepared.message_identifier,
            actor.organisation_id,
            details,
        )
        uow.commit()
