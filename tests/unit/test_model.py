from __future__ import annotations

from datetime import date

import pytest

from ged.domain.access import Principal
from ged.domain.model import Dossier, DossierClosed, Metadata, Role
from ged.services.documents import safe_filename
from kernel.errors import ForbiddenError, InvalidError, NotFoundError


def dossier() -> Dossier:
    return Dossier("d1", "org", "svc", None, "Marché 2026-01", date(2026, 1, 1))


def test_closed_dossier_refuses_new_documents() -> None:
    d = dossier()
    d.close(date(2026, 3, 1))
    with pytest.raises(DossierClosed):
        d.ensure_open()
    with pytest.raises(DossierClosed):
        d.close(date(2026, 3, 2))


def test_closing_before_opening_is_invalid() -> None:
    with pytest.raises(InvalidError) as err:
        dossier().close(date(2025, 12, 31))
    assert err.value.issues[0].code == "closing_before_opening"


def test_metadata_lists_every_issue() -> None:
    meta = Metadata(title=" ", extra={"": "x", "ok": "y" * 10_001})
    with pytest.raises(InvalidError) as err:
        meta.validate()
    assert [i.code for i in err.value.issues] == ["title_required", "bad_field", "bad_field"]


def test_agent_reads_only_own_services_and_other_orgs_are_not_found() -> None:
    agent = Principal("p", "agent", "org", frozenset({Role.AGENT}), frozenset({"svc"}))
    agent.ensure_reads("org", "svc", "Dossier")
    with pytest.raises(NotFoundError):
        agent.ensure_reads("org", "other-svc", "Dossier")
    with pytest.raises(NotFoundError):
        agent.ensure_reads("other-org", "svc", "Dossier")


def test_archivist_reads_everywhere_but_does_not_file() -> None:
    archivist = Principal("p", "arch", "org", frozenset({Role.ARCHIVIST}), frozenset())
    archivist.ensure_reads("org", "any", "Dossier")
    with pytest.raises(ForbiddenError):
        archivist.ensure_files("org", "any", "Dossier")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\rapport.pdf", "rapport.pdf"),
        ("a\x00b\x1fc\u202e.pdf", "abc.pdf"),
        ("", "document"),
        ("..", "document"),
        ("/", "document"),
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_long_filename_keeps_extension() -> None:
    name = safe_filename("x" * 300 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")
