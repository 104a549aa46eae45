"""Transfers (versements) in the web interface, through a real drop-folder connector: preparing
one shows what leaves and what stays with its reason, sending, following it (states in French,
the repository's reasons of a rejection, its exchanges, the raw reply downloadable), polling
again now, and an archivist recording a reply received by hand; records officers and archivists
act, agents are refused, another organisation's transfer is the 404 page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from connectors.base import Connector
from connectors.dropfolder import DropFolderConnector, DropSettings
from ged.domain.lifecycle import BindingTarget
from ged.services import filing, holds, lifecycle, rules, transfer_loop
from ged.services.agreements import Agreement
from ged.services.ports import TransferRecord, TransferState
from ged.services.transfer_setup import TransferSetup
from seda.versions import SedaVersion
from tests.fixtures.web import Web, form_token
from tests.fixtures.web_data import Archive, build_archive, neighbour, people
from tests.integration.test_transfer_loop import _reply as transfer_reply
from tests.web.test_french_pages import raw_codes, visible
from tests.web.test_markup import check_markup

AGREEMENT = "ad35"


class Folders:
    """The repository's side of the drop folder: the packages it received, the replies it
    writes (under a dot-name, then renamed, as a repository does)."""

    def __init__(self, root: Path) -> None:
        self.outbox, self.replies = root / "outbox", root / "replies"
        self.outbox.mkdir()
        self.replies.mkdir()

    def connector(self, name: str) -> Connector:
        return DropFolderConnector(DropSettings(str(self.outbox), str(self.replies)))

    def answer(self, data: bytes, mid: str) -> None:
        partial = self.replies / f".ATR_{mid}.xml"
        partial.write_bytes(data)
        partial.replace(self.replies / f"ATR_{mid}.xml")


def accepted(mid: str) -> bytes:
    return transfer_reply(mid, "OK", ("archive-1",), ())


def rejected(mid: str) -> bytes:
    event = ("CHECK_MANIFEST", "KO", "Le bordereau ne respecte pas le profil d'archivage")
    return transfer_reply(mid, "KO", (), (event,))


def instance(web: Web, tmp_path: Path) -> tuple[Archive, Folders, str]:
    """The collectivity of ``web_data``, one agreement through a drop folder, and one more
    dossier due and to keep (the held sitting stays)."""
    found = build_archive(web)
    people(web)
    folders = Folders(tmp_path)
    with web.ged.ctx.uow() as uow:
        organisation = uow.repo.get_organisation(web.ged.admin.organisation_id)
    assert organisation is not None
    agreement = Agreement(
        name=AGREEMENT,
        connector="depot",
        seda_version=SedaVersion.V2_2,
        archival_agency="FR_AD_35",
        transferring_agency="FR_DF",
        organisation=organisation.name,
        sign_package=False,
    )
    web.transfers = TransferSetup({AGREEMENT: agreement}, folders.connector, tmp_path / "spool")
    return found, folders, due_to_keep(web)


def due_to_keep(web: Web) -> str:
    ctx, admin = web.ged.ctx, web.ged.admin
    dossier = web.dossier("Séance du 1er juin 2015", opened_on=date(2015, 1, 2))
    web.document(dossier, "proces-verbal.txt", b"proces-verbal de la seance")
    lifecycle.record_event(ctx, admin, dossier, "date de la séance", date(2015, 6, 1))
    rules.bind_rule(ctx, admin, BindingTarget.DOSSIER, dossier, "AG-01", "séance ancienne")
    filing.close_dossier(ctx, admin, dossier, date(2015, 6, 30))
    lifecycle.run_lifecycle(ctx, admin)
    return dossier


def held_and_due(web: Web) -> str:
    """A second sitting due and to keep, held: it stays, and says why."""
    dossier = due_to_keep(web)
    holds.place_hold(web.ged.ctx, web.ged.admin, dossier, "Recours en annulation")
    return dossier


def sent(web: Web, browser: TestClient) -> TransferRecord:
    token = form_token(browser, "/versements/nouveau")
    answer = browser.post(
        "/versements", data={"csrf_token": token, "accord": AGREEMENT, "tous": "1"}
    )
    assert answer.status_code == 303, answer.text
    mid = answer.headers["location"].removeprefix("/versements/")
    return transfer_loop.get_transfer(web.ged.ctx, web.ged.admin, mid)


def poll(browser: TestClient, mid: str) -> str:
    token = form_token(browser, f"/versements/{mid}")
    answer = browser.post(f"/versements/{mid}/relance", data={"csrf_token": token})
    assert answer.status_code == 303
    return browser.get(answer.headers["location"]).text


def test_preparing_shows_what_may_leave_and_what_stays_with_its_reason(
    web: Web, tmp_path: Path
) -> None:
    _, _, dossier = instance(web, tmp_path)
    held = held_and_due(web)
    page = web.logged_in("referent").get("/versements/nouveau")
    assert page.status_code == 200
    html = page.text
    assert f'name="dossiers" type="checkbox" value="{dossier}" checked>' in html
    assert f'<a href="/dossiers/{held}">Séance du 1er juin 2015</a>' in html
    assert "gelé depuis le 15 janvier 2026 (Recours en annulation)" in html
    assert f'value="{held}"' not in html
    assert "ad35 — service d&#39;archives FR_AD_35" in html


def test_a_records_officer_sends_the_due_dossiers_and_follows_the_transfer_to_acceptance(
    web: Web, tmp_path: Path
) -> None:
    _, folders, dossier = instance(web, tmp_path)
    held_and_due(web)
    browser = web.logged_in("referent")
    record = sent(web, browser)
    mid = record.message_identifier
    assert record.dossiers == (dossier,) and record.state is TransferState.SENT
    assert (folders.outbox / f"{mid}.zip").exists()
    page = browser.get(f"/versements/{mid}").text
    assert "Versement de 1 dossier : envoyé." in page
    assert "Reste ici : « Séance du 1er juin 2015 », gelé depuis le 15 janvier 2026" in page
    assert f'<a href="/dossiers/{dossier}">Séance du 1er juin 2015</a>' in page
    assert "Interroger le service d&#39;archives maintenant" in page
    assert "<td>envoyé</td>" in browser.get("/versements").text
    folders.answer(accepted(mid), mid)
    page = poll(browser, mid)
    assert "État : accepté." in page and "<dd>accepté</dd>" in page
    assert f'href="/versements/{mid}/reponse" download>' in page
    download = browser.get(f"/versements/{mid}/reponse")
    assert download.content == accepted(mid)
    assert download.headers["content-disposition"] == f'attachment; filename="reponse-{mid}.xml"'
    assert download.headers["content-security-policy"] == "sandbox"


def test_a_rejection_shows_the_repositorys_reasons(web: Web, tmp_path: Path) -> None:
    _, folders, _ = instance(web, tmp_path)
    browser = web.logged_in("referent")
    mid = sent(web, browser).message_identifier
    folders.answer(rejected(mid), mid)
    page = poll(browser, mid)
    assert "<dd>refusé</dd>" in page
    assert "Motifs donnés par le service d'archives" in page
    assert "Le bordereau ne respecte pas le profil d&#39;archivage" in page
    assert "maintenant</button>" not in page


def test_an_archivist_records_a_reply_by_hand_once_it_is_checked(web: Web, tmp_path: Path) -> None:
    instance(web, tmp_path)
    mid = sent(web, web.logged_in("referent")).message_identifier
    assert 'id="champ-fichier"' not in web.logged_in("referent").get(f"/versements/{mid}").text
    browser = web.logged_in("archiviste")
    token = form_token(browser, f"/versements/{mid}")
    wrong = browser.post(
        f"/versements/{mid}/reponse",
        data={"csrf_token": token},
        files={"fichier": ("reponse.xml", accepted("GEDSAE-autre"), "application/xml")},
    )
    assert wrong.status_code == 422
    assert 'id="erreur-fichier">la réponse concerne GEDSAE-autre, pas ' in wrong.text
    assert transfer_loop.get_transfer(web.ged.ctx, web.ged.admin, mid).state is (TransferState.SENT)
    done = browser.post(
        f"/versements/{mid}/reponse",
        data={"csrf_token": token},
        files={"fichier": ("reponse.xml", accepted(mid), "application/xml")},
    )
    assert done.status_code == 303
    assert "Réponse enregistrée. État : accepté." in browser.get(f"/versements/{mid}").text


def test_a_records_officer_may_not_record_a_reply_by_hand(web: Web, tmp_path: Path) -> None:
    instance(web, tmp_path)
    browser = web.logged_in("referent")
    mid = sent(web, browser).message_identifier
    token = form_token(browser, f"/versements/{mid}")
    answer = browser.post(
        f"/versements/{mid}/reponse",
        data={"csrf_token": token},
        files={"fichier": ("reponse.xml", accepted(mid), "application/xml")},
    )
    assert answer.status_code == 403 and "<h1>Accès refusé</h1>" in answer.text
    assert transfer_loop.get_transfer(web.ged.ctx, web.ged.admin, mid).state is (TransferState.SENT)


def test_sending_no_dossier_is_refused_on_the_form_and_nothing_leaves(
    web: Web, tmp_path: Path
) -> None:
    _, folders, _ = instance(web, tmp_path)
    browser = web.logged_in("referent")
    token = form_token(browser, "/versements/nouveau")
    answer = browser.post("/versements", data={"csrf_token": token, "accord": AGREEMENT})
    assert answer.status_code == 422
    assert "Cochez au moins un dossier" in answer.text and 'id="erreur-dossiers"' in answer.text
    assert list(folders.outbox.iterdir()) == []
    assert transfer_loop.list_transfers(web.ged.ctx, web.ged.admin) == []


def test_without_an_agreement_the_list_says_so_and_preparing_is_unavailable(web: Web) -> None:
    build_archive(web)
    people(web)
    browser = web.logged_in("referent")
    assert "Aucun accord de versement n'est configuré" in browser.get("/versements").text
    answer = browser.get("/versements/nouveau")
    assert answer.status_code == 503 and "Configurez" in answer.text


def test_an_agent_can_neither_see_nor_send_transfers(web: Web, tmp_path: Path) -> None:
    instance(web, tmp_path)
    mid = sent(web, web.logged_in("referent")).message_identifier
    browser = web.logged_in("agent")
    for page in ("/versements", "/versements/nouveau", f"/versements/{mid}"):
        answer = browser.get(page)
        assert answer.status_code == 403 and "<h1>Accès refusé</h1>" in answer.text, page
    token = form_token(browser, "/")
    answers = [
        browser.post("/versements", data={"csrf_token": token, "accord": AGREEMENT, "tous": "1"}),
        browser.post(f"/versements/{mid}/relance", data={"csrf_token": token}),
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert len(transfer_loop.list_transfers(web.ged.ctx, web.ged.admin)) == 1


def test_another_organisations_transfer_and_its_reply_are_the_404_page(
    web: Web, tmp_path: Path
) -> None:
    _, folders, _ = instance(web, tmp_path)
    referent = web.logged_in("referent")
    mid = sent(web, referent).message_identifier
    folders.answer(accepted(mid), mid)
    poll(referent, mid)
    neighbour(web)
    browser = web.logged_in("voisin")
    assert mid not in browser.get("/versements").text
    for page in (f"/versements/{mid}", f"/versements/{mid}/reponse"):
        assert browser.get(page).status_code == 404, page
    token = form_token(browser, "/versements")
    assert browser.post(f"/versements/{mid}/relance", data={"csrf_token": token}).status_code == 404


def test_the_transfer_forms_refuse_a_missing_csrf_token(web: Web, tmp_path: Path) -> None:
    instance(web, tmp_path)
    referent = web.logged_in("referent")
    mid = sent(web, referent).message_identifier
    answers = [
        referent.post("/versements", data={"accord": AGREEMENT, "tous": "1"}),
        referent.post(f"/versements/{mid}/relance", data={}),
        web.logged_in("archiviste").post(
            f"/versements/{mid}/reponse",
            files={"fichier": ("reponse.xml", accepted(mid), "application/xml")},
        ),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert len(transfer_loop.list_transfers(web.ged.ctx, web.ged.admin)) == 1
    assert transfer_loop.get_transfer(web.ged.ctx, web.ged.admin, mid).state is (TransferState.SENT)


def test_every_transfer_page_is_french_with_its_fields_labelled(web: Web, tmp_path: Path) -> None:
    _, folders, _ = instance(web, tmp_path)
    held_and_due(web)
    referent = web.logged_in("referent")
    mid = sent(web, referent).message_identifier
    folders.answer(rejected(mid), mid)
    poll(referent, mid)
    archivist = web.logged_in("archiviste")
    due_to_keep(web)
    other = sent(web, referent)  # sent, awaiting its reply: the archivist's form shows
    for browser in (referent, archivist):
        for page in (
            "/versements",
            "/versements/nouveau",
            f"/versements/{mid}",
            f"/versements/{other.message_identifier}",
        ):
            html = browser.get(page).text
            check_markup(html, page)
            assert raw_codes(visible(html)) == [], page


def test_a_reply_to_a_transfer_already_judged_is_refused_in_french(
    web: Web, tmp_path: Path
) -> None:
    _, folders, _ = instance(web, tmp_path)
    mid = sent(web, web.logged_in("referent")).message_identifier
    folders.answer(accepted(mid), mid)
    browser = web.logged_in("archiviste")
    poll(browser, mid)
    token = form_token(browser, f"/versements/{mid}")
    answer = browser.post(
        f"/versements/{mid}/reponse",
        data={"csrf_token": token},
        files={"fichier": ("reponse.xml", accepted(mid), "application/xml")},
    )
    assert answer.status_code == 409
    assert f"Le transfert {mid} est « accepté » : il n&#39;attend plus de réponse" in answer.text
    assert raw_codes(visible(answer.text)) == []
