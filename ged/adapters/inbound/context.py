"""What a profile's reader may need beyond the input's files."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from ged.adapters.inbound.sources import InputLimits
from ged.adapters.inbound.spool import InboundSpool


@dataclass(frozen=True)
class ReadContext:
    """Limits, and temp files for the archives nested in the input, kept open on ``stack``
    until the import is over."""

    limits: InputLimits
    spool: InboundSpool
    stack: ExitStack
