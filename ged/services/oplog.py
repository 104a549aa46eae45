"""Verification of the operation log's hash chain (``gedsae log verify``)."""

from __future__ import annotations

from ged.services.context import Context
from kernel.oplog import VerifyReport, verify_chain


def verify_log(ctx: Context) -> VerifyReport:
    with ctx.uow() as uow:
        return verify_chain(uow.iter_log())
