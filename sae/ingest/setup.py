"""A tenant's setup as ingest reads it (``TenantSetup``): its agreements, and its imported files
parsed, each file once per content (the same referential serves many transfers).

The files were checked when they were imported (``sae.tenancy.setup``); a file that no longer
parses (a rule of the parser changed since) is reported here as it would be at import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from cryptography import x509

from sae.ingest.referential import parse_agencies, parse_rules
from sae.ingest.settings import TenantSetup
from sae.model import ArchivalAgreement, FileKind, Referential, TenantFile
from sae.ports import Database

T = TypeVar("T")
_CACHE_LIMIT: Final = 4096
_cache: dict[tuple[FileKind, str], object] = {}
_cache_lock = threading.Lock()


def load_setup(db: Database, tenant: str) -> TenantSetup:
    """The tenant's setup, read in one reading unit of work."""
    with db.reading(tenant) as uow:
        agreements = uow.setup.agreements()
        files = uow.setup.files()
    return tenant_setup(agreements, files)


def tenant_setup(
    agreements: Mapping[str, ArchivalAgreement], files: list[TenantFile]
) -> TenantSetup:
    by_kind = {(f.kind, f.name): f for f in files}
    agencies = by_kind.get((FileKind.AGENCIES, ""))
    rules = by_kind.get((FileKind.RULES, ""))
    anchors = by_kind.get((FileKind.TRUST_ANCHORS, ""))
    roots = by_kind.get((FileKind.SIGNATURE_ANCHORS, ""))
    referential = None
    if agencies is not None or rules is not None:
        referential = Referential(
            None if agencies is None else parsed(agencies, parse_agencies),
            None if rules is None else parsed(rules, parse_rules),
        )
    return TenantSetup(
        agreements=dict(agreements),
        referential=referential,
        trust_anchors=() if anchors is None else parsed(anchors, certificates),
        signature_anchors=() if roots is None else parsed(roots, certificates),
        profiles={f.name: f.content for f in files if f.kind is FileKind.PROFILE},
    )


def certificates(data: bytes) -> tuple[x509.Certificate, ...]:
    """Every certificate of a PEM bundle; ``ValueError`` when there is none or one is bad."""
    return tuple(x509.load_pem_x509_certificates(data))


def parsed(file: TenantFile, parse: Callable[[bytes], T]) -> T:
    """``parse(file.content)``, remembered by kind and SHA-256."""
    key = (file.kind, file.sha256)
    with _cache_lock:
        if key in _cache:
            return _cache[key]  # type: ignore[return-value]
    value = parse(file.content)
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = value
    return value
