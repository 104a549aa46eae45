"""An application client transfers a dossier it filed (documents with their metadata, under
the plan's rules) once it is due: we wrap it into a SIP as for anyone, it follows the transfer
and asks for its reply; never a dossier of another service."""

from __future__ import annotations

import pytest

from ged.domain.lifecycle import Phase
from ged.domain.model import Role
from ged.services import transfer_loop, transfer_runner
from ged.services.ports import TransferState
from kernel.errors import ForbiddenError, NotFoundError
from tests.integration.test_transfer_loop import due_dossier, phase
from tests.integration.test_transfer_runner import Loop, review
from tests.integration.test_transfer_runner import loop as loop  # the fixture, re-exported


def test_an_application_transfers_its_due_dossier_and_follows_it_to_permanent(
    loop: Loop,
) -> None:
    ged = loop.ged
    app, _ = ged.user("parapheur", Role.APPLICATION, services=(ged.service,))
    dossier = due_dossier(ged)
    record = transfer_runner.start(loop.setup, ged.ctx, app, "ad35", [dossier])
    assert (record.state, record.dossiers, record.created_by) == (
        TransferState.SENT,
        (dossier,),
        app.id,
    )
    assert phase(ged, dossier) is Phase.TRANSFERRING

    review(loop, record.message_identifier, "accept", "Conforme")
    ged.clock.advance(hours=1)
    seen = transfer_loop.get_transfer(ged.ctx, app, record.message_identifier)
    transfer_runner.step(loop.setup, ged.ctx, app, seen)  # acknowledgement
    done = transfer_runner.step(loop.setup, ged.ctx, app, seen)  # the reply, acted on
    assert done.state is TransferState.ACCEPTED
    assert phase(ged, dossier) is Phase.PERMANENT


def test_an_application_may_not_transfer_another_services_dossier_nor_every_due_one(
    loop: Loop,
) -> None:
    ged = loop.ged
    app, _ = ged.user("parapheur", Role.APPLICATION, services=(ged.service,))
    elsewhere = due_dossier(ged, "Registres RH", service=ged.other_service)
    with pytest.raises(NotFoundError):
        transfer_runner.start(loop.setup, ged.ctx, app, "ad35", [elsewhere])
    assert phase(ged, elsewhere) is Phase.DUE
    with pytest.raises(ForbiddenError):
        transfer_runner.start(loop.setup, ged.ctx, app, "ad35")  # the due ones: people decide
    assert transfer_loop.list_transfers(ged.ctx, ged.admin) == []
    assert list(loop.setup.spool.glob("*")) == []
