"""The reader of each import profile, behind one callable (``InboundSetup.read``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ged.adapters.inbound.actes_files import read_actes
from ged.adapters.inbound.context import ReadContext
from ged.adapters.inbound.parapheur import read_parapheur
from ged.adapters.inbound.seance_files import read_seance
from ged.adapters.inbound.sources import InputLimits, UnreadableInput, open_input
from ged.adapters.inbound.spool import InboundSpool
from ged.domain.inbound import Profile
from ged.services.inbound.model import InboundRefused, Parsed, Source

# the input's files, its original name (None: unknown) and what readers may need
ProfileReader = Callable[[Source, str | None, ReadContext], Parsed]


def _actes(source: Source, name: str | None, context: ReadContext) -> Parsed:
    return read_actes(source, context.limits)


def _parapheur(source: Source, name: str | None, context: ReadContext) -> Parsed:
    return read_parapheur(source, name, context.limits)


def _seance(source: Source, name: str | None, context: ReadContext) -> Parsed:
    return read_seance(source, context)


READERS: dict[Profile, ProfileReader] = {
    Profile.ACTES: _actes,
    Profile.PARAPHEUR: _parapheur,
    Profile.SEANCE: _seance,
}


class InboundReaders:
    def __init__(self, spool: InboundSpool, limits: InputLimits | None = None) -> None:
        self.spool = spool
        self.limits = limits or InputLimits()

    @contextmanager
    def __call__(self, profile: Profile, path: Path, name: str | None) -> Iterator[Parsed]:
        with ExitStack() as stack:
            try:
                source = stack.enter_context(open_input(path, self.limits))
            except UnreadableInput as exc:
                detail = f"Import refusé : entrée illisible ({exc.issue.message})"
                raise InboundRefused(detail, issues=[exc.issue]) from exc
            context = ReadContext(self.limits, self.spool, stack)
            yield READERS[profile](source, _stem(name) if name else None, context)


def _stem(name: str) -> str:
    """The input's name without its archive extension (an i-Parapheur 4 folder's id)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for extension in (".tar.gz", ".tgz", ".tar", ".zip"):
        if base.lower().endswith(extension):
            return base[: -len(extension)]
    return base
