"""Wires the real adapters into a ``Context``: the only place that knows them all."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ged.adapters import formats
from ged.adapters.blob_stores import make_blob_store, make_replica_store
from ged.adapters.db.engine import make_engine, migrate
from ged.adapters.db.uow import SqlUnitOfWork
from ged.adapters.extraction.inline import InlinePlainText
from ged.adapters.extraction.pool import TEXT_ONLY, ExtractionPool
from ged.adapters.fixity.audit import AUDIT_PREFIX
from ged.adapters.identification_process import IdentificationProcess
from ged.adapters.inbound.spool import INBOUND_PREFIX, InboundSpool
from ged.adapters.signatures.anchors import anchor_folders, load_anchors
from ged.adapters.signatures.sandboxed import SandboxedVerifier
from ged.config import Settings
from ged.services.context import Context
from ged.services.inbound.settings import InboundSettings
from ged.services.inbound.setup import InboundSetup
from ged.services.ports import (
    BatchExtractor,
    BatchIdentifier,
    FormatIdentifier,
    LocalCopy,
    Scratch,
    SignatureVerifier,
    TextExtractor,
    TrustAnchors,
)
from ged.services.webhooks import WebhookSettings
from kernel.accounts.model import SessionPolicy
from kernel.accounts.oidc import OidcClient
from kernel.accounts.passwords import Argon2Passwords
from kernel.accounts.ports import PasswordHasher
from kernel.accounts.setup import oidc_client, session_key
from kernel.accounts.setup import session_policy as policy_of
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore, Leftover, TempSweep
from kernel.blobstore.tempfiles import LeavesTempFiles, OwnedTempDir
from kernel.private_files import tighten_folder
from kernel.sandbox.preview import PageRenderer, sandboxed_renderer

log = logging.getLogger("gedsae.bootstrap")

# What only some commands use is loaded where it is used: boto3 (0.2 s), httpx, the inbound
# readers and the connectors would otherwise slow the start of every command (`gedsae import`).
if TYPE_CHECKING:
    from connectors.base import Connector
    from ged.services.transfer_setup import TransferSetup
    from ged.services.webhook_delivery import WebhookSetup


def utc_now() -> datetime:
    return datetime.now(UTC)


COPY_PREFIX = "copy-"
PARTS_PREFIX = "parts-"


def local_copy_for(store: BlobStore, spool: OwnedTempDir) -> LocalCopy:
    """A path to a blob's bytes for tools that need a file (format identification,
    text extraction): the blob itself on the filesystem store, a temporary copy otherwise."""

    @contextmanager
    def local_copy(sha256: str) -> Iterator[Path]:
        if isinstance(store, FilesystemBlobStore):
            yield store.path_of(sha256)
            return
        spool.directory.mkdir(parents=True, exist_ok=True)
        fd, path = spool.mkstemp(COPY_PREFIX)
        try:
            with os.fdopen(fd, "wb") as tmp, store.open(sha256) as src:
                shutil.copyfileobj(src, tmp, 1 << 20)
            yield path
        finally:
            path.unlink(missing_ok=True)

    return local_copy


def temp_sweep(stores: list[BlobStore], spool: OwnedTempDir, scratch: OwnedTempDir) -> TempSweep:
    """Removes the temp files of dead processes: the stores', the local copies', the
    attachments being decoded, and the folders of links format identification leaves in the
    system's temporary directory."""

    def sweep() -> list[Leftover]:
        found = [
            leftover
            for store in stores
            if isinstance(store, LeavesTempFiles)
            for leftover in store.remove_stale_temp_files()
        ]
        for folder in (spool, scratch):
            if folder.directory.is_dir():
                found += folder.remove_stale()
        return found + [Leftover(path, 0) for path in formats.remove_stale_alias_folders()]

    return sweep


def build_context(
    settings: Settings,
    *,
    engine: Engine | None = None,
    blobs: BlobStore | None = None,
    identify: FormatIdentifier | None = None,
    extract: TextExtractor | None = None,
    identify_many: BatchIdentifier | None = None,
    extract_many: BatchExtractor | None = None,
    clock: Callable[[], datetime] = utc_now,
    run_migrations: bool = True,
    replica: BlobStore | None = None,
    verify: SignatureVerifier | None = None,
    passwords: PasswordHasher | None = None,
    render_page: PageRenderer | None = None,
) -> Context:
    closers: list[Callable[[], None]] = []
    if engine is None:  # ours: its connections close with the context (SQLite's WAL maps too)
        engine = make_engine(settings.database_url, settings.db_busy_timeout_ms)
        closers.append(engine.dispose)
    for folder in (settings.home / "spool", settings.transfer_spool):
        tighten_folder(folder)  # left by an earlier version with the umask's mode
    if run_migrations:
        migrate(engine)
    store = blobs or make_blob_store(settings)
    replica = replica or make_replica_store(settings)
    spool = OwnedTempDir(settings.home / "spool", (COPY_PREFIX, AUDIT_PREFIX, INBOUND_PREFIX))
    # apart from the spool, which transfers may share: a message's attachments, being decoded
    scratch = OwnedTempDir(settings.home / "scratch", (PARTS_PREFIX,))
    # The sandboxed workers (started on first use) extract text, verify signatures and draw
    # previews: the same hostile files, the same limits.
    pool = extraction_pool(settings)
    closers.append(pool.close)
    starts: list[Callable[[], None]] = [pool.start]
    if extract is None:
        extractor = InlinePlainText(pool)
        extract, extract_many = extractor.extract, extract_many or extractor.extract_many
    if identify is None:
        identify = formats.identify
        closers.append(formats.remove_alias_folder)
        if identify_many is None:
            process = IdentificationProcess()
            identify_many = process.identify_many  # certain at a glance, then Siegfried
            closers.append(process.close)
            starts.append(process.start)
    return Context(
        uow=lambda: SqlUnitOfWork(engine, clock, retries=settings.db_busy_retries),
        blobs=store,
        clock=clock,
        identify=identify,
        extract=extract,
        identify_many=identify_many or one_by_one(identify),
        extract_many=extract_many or extract_one_by_one(extract),
        local_copy=local_copy_for(store, spool),
        max_upload_bytes=settings.max_upload_bytes,
        passwords=passwords or Argon2Passwords(),
        render_page=render_page or sandboxed_renderer(pool),
        closers=tuple(closers),
        sweep_temp_files=temp_sweep(
            [store] if replica is None else [store, replica], spool, scratch
        ),
        replica=replica,
        scratch=scratch_in(scratch),
        verify_signatures=verify or SandboxedVerifier(pool),
        trust_anchors=partial(anchors_of, settings, engine, clock, settings.db_busy_retries),
        warm_up=in_background(starts),
    )


def in_background(starts: list[Callable[[], None]]) -> Callable[[], None]:
    """Runs each of ``starts`` in a thread of its own; a failure is only logged, since the
    work will start what it needs anyway (and say why it cannot)."""

    def start_quietly(start: Callable[[], None]) -> None:
        try:
            start()
        except Exception:
            log.debug("background start failed", exc_info=True)

    def warm_up() -> None:
        for start in starts:
            threading.Thread(target=start_quietly, args=(start,), daemon=True).start()

    return warm_up


def anchors_of(
    settings: Settings,
    engine: Engine,
    clock: Callable[[], datetime],
    retries: int,
    organisation_id: str,
) -> TrustAnchors:
    """The trust anchors of an organisation (``ged.adapters.signatures.anchors``)."""
    with SqlUnitOfWork(engine, clock, retries=retries) as uow:
        organisation = uow.repo.get_organisation(organisation_id)
    if organisation is None:
        return TrustAnchors()
    return load_anchors(anchor_folders(settings, organisation))


def scratch_in(spool: OwnedTempDir) -> Scratch:
    """Empty temp files in ``spool``, named after this process so that a crash leaves nothing
    the next start does not remove (``temp_sweep``)."""

    @contextmanager
    def scratch() -> Iterator[Path]:
        spool.directory.mkdir(parents=True, exist_ok=True)
        fd, path = spool.mkstemp(PARTS_PREFIX)
        os.close(fd)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    return scratch


def extraction_pool(settings: Settings) -> ExtractionPool:
    """A long-lived pool of sandboxed extraction processes (started on first use); the GED
    keeps a file's text, not a PDF's structure (``TEXT_ONLY``)."""
    return ExtractionPool(
        max(1, settings.extraction_workers),
        timeout_s=settings.extraction_timeout_s,
        memory_mb=settings.extraction_memory_mb,
        extractors=TEXT_ONLY,
    )


def one_by_one(identify: FormatIdentifier) -> BatchIdentifier:
    return lambda files: [identify(path, filename=name) for path, name in files]


def extract_one_by_one(extract: TextExtractor) -> BatchExtractor:
    return lambda files: [extract(path, mime) for path, mime in files]


def build_webhook_setup(settings: Settings) -> WebhookSetup:
    """The webhooks' settings of ``config.toml``, the resolver and the HTTP sender."""
    webhook_settings = WebhookSettings(
        allow_private=settings.webhook_allow_private,
        give_up_after=timedelta(hours=settings.webhook_give_up_hours),
        retry_base_seconds=settings.webhook_retry_base_s,
    )
    from ged.adapters.webhook_sender import HttpWebhookSender, resolve
    from ged.services.webhook_delivery import WebhookSetup

    sender = HttpWebhookSender(settings.webhook_allow_private)
    return WebhookSetup(webhook_settings, resolve, sender)


def build_transfer_setup(settings: Settings) -> TransferSetup:
    """Agreements and connectors from ``config.toml``, the spool and the signing key.

    Connector tables are checked when a transfer needs them (``connectors check`` checks them
    all), so one broken table does not stop the others."""
    from ged.adapters.signing import load_signer
    from ged.services.agreements import Agreement
    from ged.services.transfer_setup import TransferSetup

    agreements = {
        name: Agreement.from_table(name, table) for name, table in settings.agreements.items()
    }
    connector = partial(build_connector, settings)
    kinds = {name: str(table.get("kind")) for name, table in settings.connectors.items()}
    return TransferSetup(
        agreements,
        connector,
        settings.transfer_spool,
        load_signer(settings),
        kinds,
        schemas=settings.seda_schema_dir,  # where ``gedsae schemas install`` puts them
        uploads=InboundSpool(OwnedTempDir(settings.home / "spool", (INBOUND_PREFIX,))).body,
    )


def build_inbound_setup(settings: Settings) -> InboundSetup:
    """The import profiles' readers, the ``[inbound]`` table of ``config.toml`` (refused whole
    when wrong: ``inbound_misconfigured``) and the spool for uploaded bodies."""
    from ged.adapters.inbound.reader import InboundReaders

    spool = InboundSpool(OwnedTempDir(settings.home / "spool", (INBOUND_PREFIX,)))
    return InboundSetup(
        read=InboundReaders(spool),
        spool=spool.body,
        settings=InboundSettings.from_table(settings.inbound),
    )


def build_connector(settings: Settings, name: str) -> Connector:
    """The connector of the ``[connectors.NAME]`` table of ``config.toml``."""
    from connectors.config import ConnectorMisconfigured, ConnectorSettings, build

    table = settings.connectors.get(name)
    if table is None:
        raise ConnectorMisconfigured(f"connecteur {name} absent de config.toml")
    return build(ConnectorSettings.from_table(name, table))


# -- the web interface ------------------------------------------------------------------------
def session_secret(settings: Settings) -> bytes:
    """``session_secret_file`` (or ``_env``), else ``$GEDSAE_HOME/secrets/session.key`` —
    ``gedsae init`` makes it first."""
    return session_key(settings.session_secret or None, settings.session_secret_path)


def session_policy(settings: Settings) -> SessionPolicy:
    return policy_of(settings.session_idle_minutes, settings.session_absolute_hours)


def build_oidc(settings: Settings, clock: Callable[[], datetime] = utc_now) -> OidcClient | None:
    """The ``[oidc]`` provider of ``config.toml``, or None when there is none."""
    return oidc_client(settings.oidc, f"{settings.config_file} [oidc]", clock)
