"""What the import use cases need besides the context: the format readers, the plan mapping of
``config.toml`` and a spool for uploaded bodies (wired once in ``ged.bootstrap``)."""

from __future__ import annotations

from dataclasses import dataclass

from ged.services.inbound.model import BodySpool, InboundReader
from ged.services.inbound.settings import InboundSettings


@dataclass(frozen=True)
class InboundSetup:
    read: InboundReader
    spool: BodySpool
    settings: InboundSettings
