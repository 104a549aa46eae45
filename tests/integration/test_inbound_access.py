"""Who may import, who sees an import, what bounds an input, and how a business identifier
claimed twice at once stays one dossier — on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from ged.adapters.inbound.reader import InboundReaders
from ged.adapters.inbound.sources import InputLimits
from ged.adapters.inbound.spool import INBOUND_PREFIX, InboundSpool
from ged.bootstrap import build_inbound_setup
from ged.domain.inbound import Profile
from ged.domain.model import Role
from ged.services.inbound.importing import import_inbound
from ged.services.inbound.model import ImportRequest, InboundConflict, InboundRefused
from ged.services.inbound.replay import get_import
from kernel.blobstore.tempfiles import OwnedTempDir
from kernel.errors import ForbiddenError, NotFoundError
from tests.fixtures.ged import Ged
from tests.fixtures.inbound_imports import run_import, stored
from tests.fixtures.inbound_samples import ActeSample, write_folder


def as_actor(ged: Ged, actor: object, path: Path, service_id: str) -> object:
    request = ImportRequest(Profile.ACTES, path, service_id, path.name)
    return import_inbound(ged.ctx, build_inbound_setup(ged.settings), actor, request)  # type: ignore[arg-type]


def test_an_agent_imports_only_into_the_services_it_files_in(ged: Ged, tmp_path: Path) -> None:
    agent, _ = ged.user("agent", Role.AGENT, services=(ged.other_service,))
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    folder = write_folder(tmp_path / "acte", ActeSample().files())

    with pytest.raises(NotFoundError):
        as_actor(ged, agent, folder, ged.service.id)
    with pytest.raises(ForbiddenError):
        as_actor(ged, archivist, folder, ged.service.id)
    assert stored(ged)["dossiers"] == 0


def test_an_acte_imported_in_a_service_one_cannot_see_is_a_conflict_that_names_nothing(
    ged: Ged, tmp_path: Path
) -> None:
    first = run_import(ged, Profile.ACTES, write_folder(tmp_path / "a", ActeSample().files()))
    agent, _ = ged.user("agent", Role.AGENT, services=(ged.other_service,))

    with pytest.raises(InboundConflict) as caught:
        as_actor(
            ged, agent, write_folder(tmp_path / "b", ActeSample().files()), ged.other_service.id
        )

    assert first.record.dossier_id not in caught.value.detail
    assert "auquel vous n'avez pas accès" in caught.value.detail


def test_another_organisations_import_is_not_found(ged: Ged, tmp_path: Path) -> None:
    run_import(ged, Profile.ACTES, write_folder(tmp_path / "a", ActeSample().files()))
    stranger, _, _ = ged.other_organisation()

    with pytest.raises(NotFoundError):
        get_import(ged.ctx, stranger, Profile.ACTES, ActeSample().id_acte)


def test_an_input_past_its_bounds_is_refused_before_it_is_read(ged: Ged, tmp_path: Path) -> None:
    spool = InboundSpool(OwnedTempDir(tmp_path / "spool", (INBOUND_PREFIX,)))
    folder = write_folder(tmp_path / "acte", ActeSample().files())
    setup = build_inbound_setup(ged.settings)
    for limits, code in (
        (InputLimits(max_entries=3), "input_too_many_files"),
        (InputLimits(max_xml_bytes=512), "xml_limit_exceeded"),
    ):
        bounded = replace(setup, read=InboundReaders(spool, limits))
        request = ImportRequest(Profile.ACTES, folder, ged.service.id, folder.name)
        with pytest.raises(InboundRefused) as caught:
            import_inbound(ged.ctx, bounded, ged.admin, request)
        assert code in {i.code for i in caught.value.issues}
    assert stored(ged)["dossiers"] == 0


def test_a_business_identifier_is_claimed_once(ged: Ged, tmp_path: Path) -> None:
    made = run_import(ged, Profile.ACTES, write_folder(tmp_path / "a", ActeSample().files()))
    other = replace(made.record, fingerprint="0" * 64)

    with ExitStack() as stack:
        uow = stack.enter_context(ged.ctx.uow())
        claimed = uow.inbound.claim(other)

    assert claimed is False
