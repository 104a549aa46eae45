"""The repository's own pages through Starlette's test client, on a repository that received
transfers through the ``sae_http`` connector: the archivists' queue, the review screen and the
decision, by role, with CSRF, in French."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kernel.accounts.passwords import Argon2Passwords
from kernel.sandbox.pool import SandboxPool
from kernel.sandbox.preview import sandboxed_renderer
from kernel.web.setup import WebSetup
from sae.journal.log import log_audit
from sae.model import TransferState
from sae.people.accounts import NewPerson, create_person
from sae.ports import Database
from sae.storage.audit import audit
from sae.web.views import transfers
from seda.disk_import import transfer_from_directory
from seda.model import AccessRule, AppraisalRule, ArchiveTransfer, Management, Rule
from seda.replies import Outcome
from seda.sip import write_sip
from seda.versions import SedaVersion
from tests.fakes import FixedClock
from tests.fixtures.hostile_pdfs import text_pdf
from tests.fixtures.sae import TestDatabase
from tests.sae import stored
from tests.sae.test_ingest import (
    AGREEMENTS,
    Repository,
    build_sip,
    make_sip,
    open_repository,
    submit,
)
from tests.web.test_csrf import routes_of

PASSWORD = "un mot de passe assez long"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
# Codes that must never reach a person: states, severities, final actions, check codes.
RAW = ("awaiting_review", "accepted", "rejected", "warning", "fatal", "Keep", "Destroy",
       "package_digest_mismatch", "None")  # fmt: skip


@dataclass
class Site:
    """The repository's pages; ARCH is the default tenant (its login page: ``/connexion``),
    another tenant's people log in at ``/connexion?locataire=TENANT``."""

    repo: Repository
    db: Database
    database: TestDatabase  # the same, as its owner sees it (to tamper with it)

    def person(self, login: str, role: str, organisation: str = "ARCH") -> None:
        new = NewPerson(login, organisation, role, f"{login}@archives.example", PASSWORD)
        create_person(self.db, Argon2Passwords(), FixedClock(), new, actor="test")

    def browser(self) -> TestClient:
        return TestClient(self.repo.client.app, follow_redirects=False)

    def logged_in(self, login: str, tenant: str | None = None) -> TestClient:
        browser = self.browser()
        page = "/connexion" + (f"?locataire={tenant}" if tenant else "")
        token = csrf_of(browser.get(page).text)
        form = {"csrf_token": token, "login": login, "password": PASSWORD, "suivant": "/"}
        assert browser.post(page, data=form).status_code == 303
        return browser

    def received(self, tmp_path: Path, message_id: str, *, tamper: bool = False) -> str:
        return submit(
            self.repo, make_sip(tmp_path, message_id, tamper=tamper), message_id
        ).remote_reference


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def visible(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxPool]:
    with SandboxPool(1) as pool:
        yield pool


@pytest.fixture
def site(
    tmp_path: Path, sae_database: TestDatabase, schema_dir: Path, sandbox: SandboxPool
) -> Iterator[Site]:
    web = WebSetup(secret_key=b"k" * 32, public_url="http://testserver")
    previews = sandboxed_renderer(sandbox)
    with open_repository(
        tmp_path,
        sae_database,
        schema_dir,
        AGREEMENTS,
        web=web,
        render_page=previews,
        default_tenant="ARCH",
    ) as repo:
        made = Site(repo, repo.db, sae_database)
        made.person("alice", "archivist")
        yield made


def decide(browser: TestClient, transfer_id: str, verb: str, **form: str) -> httpx.Response:
    token = csrf_of(browser.get(f"/versements/{transfer_id}").text)
    return browser.post(f"/versements/{transfer_id}/{verb}", data={"csrf_token": token, **form})


def test_the_queue_lists_received_transfers_with_state_producer_date_size_and_checks(
    site: Site, tmp_path: Path
) -> None:
    site.received(tmp_path, "TR-OK")
    site.received(tmp_path, "TR-KO", tamper=True)
    page = site.logged_in("alice").get("/versements")
    assert page.status_code == 200
    text = visible(page.text)
    assert "TR-OK" in text and "TR-KO" in text and "SERVICE-A" in text
    assert "en attente de décision" in text and "conformes" in text
    assert "1 anomalie(s) bloquante(s)" in text
    assert re.search(r"\d+(,\d)? Ko|\d+ octets", text)
    assert not [code for code in RAW if re.search(rf"\b{code}\b", text)]


def test_the_review_screen_shows_the_bordereau_its_files_and_every_check_in_french(
    site: Site, tmp_path: Path
) -> None:
    transfer_id = site.received(tmp_path, "TR-1")
    page = site.logged_in("alice").get(f"/versements/{transfer_id}")
    assert page.status_code == 200
    text = visible(page.text)
    for expected in ("Bordereau", "deliberation.txt", "courrier.txt", "dossier", "SHA-512",
                     "Schéma SEDA", "Empreintes et tailles", "Signature", "Référentiels",
                     "Accepter le versement", "Motif du refus"):  # fmt: skip
        assert expected in text, expected
    # what had nothing to check says so, never « conforme »
    assert "sans objet : bordereau non signé, aucune signature exigée par l'accord" in text
    assert "sans objet : aucun référentiel configuré pour l'organisation" in text
    assert "sans objet : aucun profil exigé par l'accord" in text
    assert not [code for code in RAW if re.search(rf"\b{code}\b", text)]


def test_the_review_screen_shows_the_repositorys_signature_verdicts_in_french(
    site: Site, tmp_path: Path
) -> None:
    transfer_id = site.received(tmp_path, "TR-SIG")
    verdicts = [
        {"object_id": "BDO_1", "filename": "arrete.pdf", "declared": "valid", "found": "invalid",
         "reasons": ["signature_altered"], "signer": "Agent signataire"},
        {"object_id": "BDO_2", "filename": "convention.pdf", "declared": "valid",
         "found": "valid", "reasons": [], "signer": None},
    ]  # fmt: skip
    changed = site.database.tamper(
        "UPDATE transfers SET signature_checks = :checks WHERE id = :id",
        "ARCH",
        checks=json.dumps(verdicts),
        id=transfer_id,
    )
    assert changed == 1
    text = visible(site.logged_in("alice").get(f"/versements/{transfer_id}").text)
    assert "Vérification de signature" in text
    assert re.search(r"arrete\.pdf\s+valide\s+invalide\s+Agent signataire\s+écart", text)
    assert re.search(r"convention\.pdf\s+valide\s+valide\s+concorde", text)
    assert not [code for code in RAW if re.search(rf"\b{code}\b", text)]


def test_a_transfer_that_failed_its_checks_says_why_and_can_only_be_refused(
    site: Site, tmp_path: Path
) -> None:
    transfer_id = site.received(tmp_path, "TR-KO", tamper=True)
    browser = site.logged_in("alice")
    text = visible(browser.get(f"/versements/{transfer_id}").text)
    assert "ne peut qu'être refusé" in text and "Bloquant" in text
    assert "Accepter le versement" not in text
    forced = decide(browser, transfer_id, "accepter")
    assert forced.status_code == 409 and "échoué aux contrôles" in visible(forced.text)


def test_an_archivist_accepts_and_the_decision_is_theirs(site: Site, tmp_path: Path) -> None:
    transfer_id = site.received(tmp_path, "TR-1")
    browser = site.logged_in("alice")
    done = decide(browser, transfer_id, "accepter")
    assert (done.status_code, done.headers["location"]) == (303, "/versements")
    after = visible(browser.get("/versements").text)
    assert "Versement TR-1 accepté" in after and "Aucun versement n'attend" in after
    transfer = stored.transfer(site.db, "ARCH", transfer_id)
    assert (transfer.state, transfer.decided_by) == (TransferState.ACCEPTED, "alice")
    [entry] = [e for e in stored.entries(site.db) if e.action == "transfer.accepted"]
    assert entry.actor == "alice"


def test_a_refusal_needs_a_reason_which_goes_to_the_transferring_agency(
    site: Site, tmp_path: Path
) -> None:
    submission = submit(site.repo, make_sip(tmp_path, "TR-1"), "TR-1")
    transfer_id = submission.remote_reference
    browser = site.logged_in("alice")
    empty = decide(browser, transfer_id, "refuser", motif="  ")
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text and "Indiquez le motif du refus" in empty.text
    assert stored.transfer(site.db, "ARCH", transfer_id).state is TransferState.AWAITING_REVIEW
    done = decide(browser, transfer_id, "refuser", motif="Pièces manquantes")
    assert done.status_code == 303
    reply = site.repo.connector.poll(submission.with_acknowledgement())
    assert reply.outcome.outcome is Outcome.REJECTED  # type: ignore[union-attr]
    transfer = stored.transfer(site.db, "ARCH", transfer_id)
    assert (transfer.comment, transfer.decided_by) == ("Pièces manquantes", "alice")


def test_only_archivists_of_the_organisation_see_the_queue_and_decide(
    site: Site, tmp_path: Path
) -> None:
    transfer_id = site.received(tmp_path, "TR-1")
    stranger = site.browser().get("/versements")
    assert (stranger.status_code, stranger.headers["location"]) == (
        303,
        "/connexion?suivant=%2Fversements",
    )
    site.person("rene", "reader")
    reader = site.logged_in("rene")
    assert reader.get("/versements").status_code == 403
    assert reader.get(f"/versements/{transfer_id}").status_code == 403
    site.person("oscar", "archivist", organisation="OTHER")
    other = site.logged_in("oscar", "OTHER")
    assert other.get(f"/versements/{transfer_id}").status_code == 404
    assert "TR-1" not in visible(other.get("/versements").text)


def test_another_tenants_transfer_is_the_same_404_page_as_a_missing_one(
    site: Site, tmp_path: Path
) -> None:
    transfer_id = site.received(tmp_path, "TR-1")
    site.person("alice", "archivist", organisation="OTHER")  # the same login, another tenant
    other = site.logged_in("alice", "OTHER")
    theirs = other.get(f"/versements/{transfer_id}")
    missing_id = "00000000-0000-4000-8000-000000000000"
    missing = other.get(f"/versements/{missing_id}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(transfer_id, "ID") == missing.text.replace(missing_id, "ID")
    assert "TR-1" not in theirs.text
    for page in ("/versements", "/archives"):
        assert "TR-1" not in visible(other.get(page).text)
    arch = site.logged_in("alice")
    assert arch.get(f"/versements/{transfer_id}").status_code == 200  # ARCH's alice sees it


def test_a_login_page_is_for_its_tenant_and_an_unknown_tenants_logs_in_no_one(site: Site) -> None:
    site.person("oscar", "archivist", organisation="OTHER")
    page = site.browser().get("/connexion?locataire=OTHER&suivant=/journal").text
    assert 'action="/connexion?locataire=OTHER"' in page  # the form posts for that tenant
    assert 'name="suivant" value="/journal"' in page
    browser = site.browser()
    token = csrf_of(browser.get("/connexion").text)
    form = {"csrf_token": token, "login": "oscar", "password": PASSWORD, "suivant": "/"}
    assert browser.post("/connexion", data=form).status_code == 401  # not ARCH's oscar
    unknown = browser.post("/connexion?locataire=INCONNU", data=form)
    assert unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in visible(unknown.text)
    assert browser.post("/connexion?locataire=OTHER", data=form).status_code == 303


def test_a_decision_without_the_forms_token_is_refused_and_changes_nothing(
    site: Site, tmp_path: Path
) -> None:
    transfer_id = site.received(tmp_path, "TR-1")
    browser = site.logged_in("alice")
    for verb, form in (("accepter", {}), ("refuser", {"motif": "Non"})):
        refused = browser.post(f"/versements/{transfer_id}/{verb}", data=form)
        assert refused.status_code == 403
    assert stored.transfer(site.db, "ARCH", transfer_id).state is TransferState.AWAITING_REVIEW


def accepted_through_the_pages(site: Site, tmp_path: Path) -> TestClient:
    transfer_id = site.received(tmp_path, "TR-1")
    browser = site.logged_in("alice")
    assert decide(browser, transfer_id, "accepter").status_code == 303
    return browser


def test_a_reader_finds_an_archive_and_downloads_its_file_verified(
    site: Site, tmp_path: Path
) -> None:
    accepted_through_the_pages(site, tmp_path)
    site.person("rene", "reader")
    reader = site.logged_in("rene")
    found = reader.get("/archives", params={"q": "deliberation"})
    assert found.status_code == 200
    link = re.search(r'href="(/archives/AU-[^"]+)">deliberation.txt', found.text)
    assert link, found.text
    page = reader.get(link.group(1))
    text = visible(page.text)
    assert "Télécharger deliberation.txt" in text and "pièce" in text and "SERVICE-A" in text
    download = re.search(r'href="(/archives/[^"]+/objets/[^"]+)"', page.text)
    assert download
    served = reader.get(download.group(1))
    assert served.status_code == 200 and served.content == "Délibération TR-1\n".encode()
    assert served.headers["Content-Security-Policy"] == "sandbox"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert not [code for code in RAW if re.search(rf"\b{code}\b", text)]


def test_a_damaged_archive_is_never_served_and_says_so_in_french(
    site: Site, tmp_path: Path
) -> None:
    browser = accepted_through_the_pages(site, tmp_path)
    page = browser.get("/archives", params={"q": "courrier"})
    archive = re.search(r'href="(/archives/AU-[^"]+)">courrier.txt', page.text)
    assert archive
    download = re.search(
        r'href="(/archives/[^"]+/objets/[^"]+)"', browser.get(archive.group(1)).text
    )
    assert download
    for offer in site.repo.offers.offers:
        for blob in (tmp_path / f"offer-{offer.name}").rglob("*"):
            if blob.is_file() and blob.stat().st_size == len("Courrier au préfet\n".encode()):
                blob.write_bytes("Courrier au préfeT\n".encode())
    refused = browser.get(download.group(1))
    assert refused.status_code == 503
    assert "Aucune copie vérifiée" in visible(refused.text)
    assert "Courrier au préfeT" not in refused.text


def test_the_journal_shows_the_last_audit_and_operations_and_verifies_on_demand(
    site: Site, tmp_path: Path
) -> None:
    browser = accepted_through_the_pages(site, tmp_path)
    offers = site.repo.offers
    log_audit(site.db, "ARCH", audit(offers.offers, offers.registry, repair=False))
    page = visible(browser.get("/journal").text)
    assert "aucun scellement" in page and "2 objet(s) contrôlé(s), aucune anomalie restante" in page
    assert "versement accepté" in page and "audit des copies" in page and "alice" in page
    assert "service d'archives ouvert sur la plateforme" in page and "jeton créé" in page
    assert "inconnu" not in page  # every action of a tenant's log has its French words
    assert not [code for code in RAW if re.search(rf"\b{code}\b", page)]
    sound = decide_on(browser, "/journal", "/journal/verifier")
    assert sound.status_code == 200 and "Journal intègre" in visible(sound.text)
    rewritten = "UPDATE operation_log SET actor = 'mallory' WHERE action = 'transfer.accepted'"
    assert site.database.tamper(rewritten, "ARCH") == 1
    broken = visible(decide_on(browser, "/journal", "/journal/verifier").text)
    assert "Le journal n'est pas intègre" in broken and "Chaîne du journal rompue" in broken


def test_the_journal_is_for_archivists_and_its_verification_needs_the_forms_token(
    site: Site,
) -> None:
    site.person("rene", "reader")
    assert site.logged_in("rene").get("/journal").status_code == 403
    assert site.logged_in("alice").post("/journal/verifier").status_code == 403


def decide_on(browser: TestClient, page: str, action: str) -> httpx.Response:
    return browser.post(action, data={"csrf_token": csrf_of(browser.get(page).text)})


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4bb0000000049454e44ae426082"
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def files_sip(tmp_path: Path) -> Path:
    """A transfer of a PDF, a PNG, an SVG and a text file holding markup."""
    root = tmp_path / "tree-TR-F"
    root.mkdir()
    (root / "rapport.pdf").write_bytes(text_pdf(["Rapport annuel", "Annexes"]))
    (root / "plan.png").write_bytes(PNG)
    (root / "logo.svg").write_text(SVG)
    (root / "note.txt").write_text("<script>alert(1)</script> Note de service\n")
    built = transfer_from_directory(
        root, SedaVersion.V2_2, message_identifier="TR-F", archival_agency="ARCH",
        transferring_agency="SERVICE-A", archival_agreement="AGR-1",
    )  # fmt: skip
    sip = tmp_path / "TR-F.zip"
    write_sip(sip, built.transfer, built.members)
    return sip


def previews_of(site: Site, tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    transfer_id = submit(site.repo, files_sip(tmp_path), "TR-F").remote_reference
    browser = site.logged_in("alice")
    review = browser.get(f"/versements/{transfer_id}").text
    links = re.findall(r'href="(/versements/[^"]+/fichiers/[^"]+)">([^<]+)</a>', review)
    return browser, {name: link for link, name in links}


def test_the_review_screen_previews_a_pdf_drawn_by_the_server_and_text_escaped(
    site: Site, tmp_path: Path
) -> None:
    browser, links = previews_of(site, tmp_path)
    assert set(links) == {"rapport.pdf", "plan.png", "logo.svg", "note.txt"}
    pdf = browser.get(links["rapport.pdf"])
    assert pdf.status_code == 200 and "Page 1 sur 2" in visible(pdf.text)
    drawn = browser.get(links["rapport.pdf"] + "/pages/2")
    assert drawn.status_code == 200 and drawn.content.startswith(b"\x89PNG")
    assert drawn.headers["Content-Security-Policy"] == "sandbox"
    assert browser.get(links["rapport.pdf"] + "/pages/3").status_code == 404
    text = browser.get(links["note.txt"]).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Note de service" in text
    assert "<script>alert(1)</script>" not in text


def test_images_are_shown_sandboxed_and_an_svg_never(site: Site, tmp_path: Path) -> None:
    browser, links = previews_of(site, tmp_path)
    image = browser.get(links["plan.png"] + "/image")
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["Content-Security-Policy"] == "sandbox"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "Pas d'aperçu pour ce format" in visible(browser.get(links["logo.svg"]).text)
    assert browser.get(links["logo.svg"] + "/image").status_code == 404


def test_every_state_changing_page_route_is_known_and_refused_without_the_token(
    site: Site, tmp_path: Path
) -> None:
    posts = {
        route.path
        for route in routes_of(site.repo.client.app.routes)  # type: ignore[attr-defined]
        if route.endpoint.__module__.startswith(("sae.web", "kernel.web"))
        and route.methods - {"GET", "HEAD"}
    }
    assert posts == {
        "/connexion",
        "/deconnexion",
        "/versements/{transfer_id}/accepter",
        "/versements/{transfer_id}/refuser",
        "/journal/verifier",
    }
    transfer_id = site.received(tmp_path, "TR-1")
    browser = site.logged_in("alice")
    for path in posts:
        answer = browser.post(path.replace("{transfer_id}", transfer_id), data={"motif": "x"})
        assert answer.status_code == 403, path


def test_every_page_has_one_title_labelled_fields_and_nothing_the_csp_forbids(
    site: Site, tmp_path: Path
) -> None:
    browser, links = previews_of(site, tmp_path)
    transfer_id = links["note.txt"].split("/")[2]
    pages = ["/versements", f"/versements/{transfer_id}", links["note.txt"], "/archives",
             "/journal", "/connexion"]  # fmt: skip
    for path in pages:
        html = browser.get(path).text
        assert html.count("<h1") == 1, path
        assert '<html lang="fr">' in html and 'href="#contenu"' in html, path
        assert not re.search(r"<script>|\sstyle=|\son[a-z]+=", html), path
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (path, field_id)


def test_a_wrong_password_is_refused_in_french_and_the_fifth_locks_the_account(
    site: Site,
) -> None:
    browser = site.browser()
    for attempt in range(5):
        token = csrf_of(browser.get("/connexion").text)
        form = {"csrf_token": token, "login": "alice", "password": "pas le bon", "suivant": "/"}
        refused = browser.post("/connexion", data=form)
        assert refused.status_code in (401, 423, 429), attempt
    text = visible(refused.text)
    assert "verrouillé" in text.lower(), text
    assert [e.action for e in stored.entries(site.db)][-2:] == ["login.failure", "login.locked"]


def with_rules(transfer: ArchiveTransfer) -> ArchiveTransfer:
    """The bordereau's DUA and communicabilité, and one unit (the folder) with its own DUA."""
    defaults = Management(
        appraisal=AppraisalRule((Rule("AG-01", date(2020, 1, 1)),), final_action="Destroy"),
        access=AccessRule((Rule("AR038", date(2020, 1, 1)),)),
    )
    metadata = dataclasses.replace(transfer.management_metadata, rules=defaults)
    [root] = list(transfer.units)
    own = Management(appraisal=AppraisalRule((Rule("AG-99"),), final_action="Keep"))
    children = [
        dataclasses.replace(c, management=own) if c.content.titles == ("dossier",) else c
        for c in root.children
    ]
    units = [dataclasses.replace(root, children=tuple(children))]
    return dataclasses.replace(transfer, management_metadata=metadata, units=units)


def test_the_rules_are_shown_on_the_review_screen_and_kept_on_the_archive_page(
    site: Site, tmp_path: Path
) -> None:
    sip = build_sip(tmp_path, "TR-R", edit=with_rules)
    transfer_id = submit(site.repo, sip, "TR-R").remote_reference
    browser = site.logged_in("alice")
    review = visible(browser.get(f"/versements/{transfer_id}").text)
    assert "AG-01 à compter du 1er janvier 2020 ; élimination (règle du bordereau)" in review
    assert "AR038 à compter du 1er janvier 2020 (règle du bordereau)" in review
    assert "AG-99 ; conservation définitive" in review
    assert decide(browser, transfer_id, "accepter").status_code == 303
    found = browser.get("/archives", params={"q": "courrier"}).text
    link = re.search(r'href="(/archives/AU-[^"]+)">courrier.txt', found)
    assert link
    archive = visible(browser.get(link.group(1)).text)
    assert "DUA et sort final  AG-01 à compter du 1er janvier 2020 ; élimination" in archive
    assert "Communicabilité  AR038 à compter du 1er janvier 2020" in archive


def test_a_large_bordereau_draws_its_first_rows_and_counts_the_others(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfers, "SHOWN_ROWS", 2)
    transfer_id = site.received(tmp_path, "TR-1")
    text = visible(site.logged_in("alice").get(f"/versements/{transfer_id}").text)
    assert "Seules les 2 premières unités sur 4 sont affichées." in text
    assert "Seuls les 2 premiers fichiers" not in text  # two files: both drawn
