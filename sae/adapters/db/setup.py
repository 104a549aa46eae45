"""A tenant's setup (``TenantSetupRepository``): its archival agreements and its imported files
(referentials, trust anchors, archival profiles), kept verbatim in ``tenant_files``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import Connection, delete, insert, select

from sae.adapters.db import tables as t
from sae.model import ArchivalAgreement, FileKind, TenantFile
from sae.ports import AgreementNotFound
from seda.versions import SedaVersion

_AGREEMENTS: Final = t.agreements
_FILES: Final = t.tenant_files


class SqlTenantSetup:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def agreements(self) -> dict[str, ArchivalAgreement]:
        query = (
            select(_AGREEMENTS)
            .where(_AGREEMENTS.c.tenant == self.tenant)
            .order_by(_AGREEMENTS.c.identifier)
        )
        return {r.identifier: _agreement(r._mapping) for r in self.conn.execute(query)}

    def put_agreement(self, identifier: str, agreement: ArchivalAgreement) -> None:
        self._remove(_AGREEMENTS, _AGREEMENTS.c.identifier == identifier)
        row = {
            "tenant": self.tenant,
            "identifier": identifier,
            "transferring_agencies": json.dumps(sorted(agreement.transferring_agencies)),
            "seda_versions": json.dumps(sorted(v.value for v in agreement.seda_versions)),
            "signature_required": agreement.signature_required,
            "profile": agreement.profile,
            "profile_identifier": agreement.profile_identifier,
        }
        self.conn.execute(insert(_AGREEMENTS), row)

    def remove_agreement(self, identifier: str) -> None:
        if not self._remove(_AGREEMENTS, _AGREEMENTS.c.identifier == identifier):
            raise AgreementNotFound(f"Accord de versement {identifier} introuvable")

    def files(self) -> list[TenantFile]:
        query = (
            select(_FILES)
            .where(_FILES.c.tenant == self.tenant)
            .order_by(_FILES.c.kind, _FILES.c.name)
        )
        return [_file(r._mapping) for r in self.conn.execute(query)]

    def file(self, kind: FileKind, name: str = "") -> TenantFile | None:
        query = select(_FILES).where(
            _FILES.c.tenant == self.tenant, _FILES.c.kind == kind.value, _FILES.c.name == name
        )
        row = self.conn.execute(query).first()
        return None if row is None else _file(row._mapping)

    def put_file(self, file: TenantFile) -> None:
        self._remove(_FILES, (_FILES.c.kind == file.kind.value) & (_FILES.c.name == file.name))
        row = {
            "tenant": self.tenant,
            "kind": file.kind.value,
            "name": file.name,
            "content": file.content,
            "sha256": file.sha256,
            "imported_at": file.imported_at,
        }
        self.conn.execute(insert(_FILES), row)

    def _remove(self, table: Any, condition: Any) -> bool:
        statement = delete(table).where(table.c.tenant == self.tenant, condition)
        return bool(self.conn.execute(statement).rowcount)


def _agreement(row: Mapping[Any, Any]) -> ArchivalAgreement:
    return ArchivalAgreement(
        organisation=row["tenant"],
        transferring_agencies=frozenset(json.loads(row["transferring_agencies"])),
        seda_versions=frozenset(SedaVersion(v) for v in json.loads(row["seda_versions"])),
        signature_required=bool(row["signature_required"]),
        profile=row["profile"],
        profile_identifier=row["profile_identifier"],
    )


def _file(row: Mapping[Any, Any]) -> TenantFile:
    return TenantFile(
        FileKind(row["kind"]), row["name"], bytes(row["content"]), row["sha256"], row["imported_at"]
    )
