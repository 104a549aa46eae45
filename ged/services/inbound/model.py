"""What a format reader makes of an input, and what an import gives back.

A reader turns the files of one input (a folder, a zip, a tar.gz) into an ``InboundBundle``: the
dossier to create, its business events, and one ``InboundDocument`` per file, each naming the
member of the ``Source`` its bytes come from. Problems are collected, never raised one by one:
an input is refused with every problem found (``Parsed.issues``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Protocol

from ged.domain.inbound import DeliberationLink, InboundRecord, Profile
from ged.domain.model import Document, Metadata
from kernel.errors import ConflictError, InvalidError, Issue


class Source(Protocol):
    """The files of one input, by relative POSIX path; opened as streams, never extracted."""

    def names(self) -> list[str]: ...

    def size(self, name: str) -> int: ...

    def open(self, name: str) -> IO[bytes]: ...


@dataclass(frozen=True)
class CircuitStep:
    """A visa, a signature… of the circuit a document went through (its history)."""

    occurred_at: datetime
    kind: str
    agent: str
    detail: str = ""


@dataclass(frozen=True)
class InboundDocument:
    member: str  # where its bytes are in the Source
    metadata: Metadata
    history: tuple[CircuitStep, ...] = ()
    history_source: str = ""
    # a délibération's link key (number and decision date) and number, to meet its acte
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class BusinessEvent:
    """A dated event of the dossier a retention rule may count from (``dossier_events``)."""

    name: str
    on: date


@dataclass(frozen=True)
class InboundBundle:
    profile: Profile
    business_id: str
    title: str
    reference: str
    description: str
    opened_on: date
    documents: tuple[InboundDocument, ...]
    events: tuple[BusinessEvent, ...] = ()
    # where the dossier goes in the plan: the profile's node, or for actes, nature and matière
    plan_keys: tuple[str, ...] = ()
    # the acte side of a délibération link (its key and number)
    acte_link: tuple[str, str] | None = None


@dataclass
class Parsed:
    """A reader's verdict: the bundle (None when the input could not be understood at all),
    every problem found, and the files the bundle's members are read from."""

    source: Source
    bundle: InboundBundle | None
    issues: list[Issue] = field(default_factory=list)


class InboundReader(Protocol):
    """The input's path (folder or archive) and its original name (an upload's) in, the
    verdict out; the containers it opened stay open until the context exits."""

    def __call__(
        self, profile: Profile, path: Path, name: str | None
    ) -> AbstractContextManager[Parsed]: ...


class BodySpool(Protocol):
    """Writes an uploaded body to a private temp file, removed when the context exits."""

    def __call__(self, blocks: Iterator[bytes], max_size: int) -> AbstractContextManager[Path]: ...


class InboundRefused(InvalidError):
    code = "inbound_refused"
    title = "Import refusé"


class InboundConflict(ConflictError):
    """The business identifier was imported before with other files."""

    code = "inbound_already_imported"
    title = "Déjà importé avec un autre contenu"


@dataclass(frozen=True)
class ImportRequest:
    profile: Profile
    path: Path
    service_id: str
    name: str | None = None  # the original name of an upload (an i-Parapheur 4 folder's id)


@dataclass(frozen=True)
class ImportResult:
    record: InboundRecord
    created: bool
    documents: tuple[tuple[Document, str], ...]  # each document with its file name
    links: tuple[DeliberationLink, ...]
