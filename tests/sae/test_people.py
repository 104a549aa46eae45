"""People of the repository log in as people: accounts, locks, sessions, OpenID Connect
identities, each change in the journal — the kernel's login flows on the repository's database.

The suite runs against the ``PeopleRepository`` of the SQLAlchemy adapter on every database the
repository supports (``sae_db``: SQLite and PostgreSQL). People belong to a tenant: ARCH here,
and AUTRE where another tenant matters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kernel.accounts import login
from kernel.accounts.login import People
from kernel.accounts.model import (
    AccountLocked,
    AddressThrottle,
    LoginExists,
    LoginRefused,
    NoAccountForIdentity,
    SessionEnded,
    SessionPolicy,
)
from kernel.accounts.oidc import OidcIdentity
from kernel.accounts.passwords import Argon2Passwords
from kernel.errors import InvalidError
from sae.model import Person
from sae.people.accounts import (
    AccountAlreadyDisabled,
    NewPerson,
    create_person,
    disable_account,
    set_password,
)
from sae.people.login import people
from sae.ports import Database
from tests.fakes import FixedClock
from tests.sae import setup, stored

PASSWORD = "un mot de passe assez long"
POLICY = SessionPolicy()
QUICK = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def db(sae_db: Database) -> Database:
    for tenant in ("ARCH", "AUTRE"):
        setup.tenant(sae_db, tenant)
    return sae_db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def alice(db: Database, clock: FixedClock, **fields: str | None) -> Person:
    new = NewPerson(
        **{
            "login": "alice",
            "organisation": "ARCH",
            "role": "archivist",
            "email": "alice@archives.example",
            "password": PASSWORD,
            **fields,
        }  # type: ignore[arg-type]
    )
    return create_person(db, QUICK, clock, new, actor="cli")


def bound(db: Database, clock: FixedClock, tenant: str | None = "ARCH") -> People[Person]:
    """The login flows as the pages of ``tenant`` run them."""
    return people(db, QUICK, clock, lambda: tenant)


def log_in(
    db: Database, clock: FixedClock, password: str = PASSWORD, tenant: str | None = "ARCH"
) -> login.OpenedSession[Person]:
    return login.login_with_password(
        bound(db, clock, tenant), POLICY, AddressThrottle(), "alice", password, "10.0.0.1"
    )


def actions(db: Database, tenant: str = "ARCH") -> list[str]:
    """The tenant's log after its creation."""
    return [e.action for e in stored.entries(db, tenant) if e.action != "tenant.created"]


def test_an_archivist_logs_in_and_the_session_is_theirs(db: Database, clock: FixedClock) -> None:
    made = alice(db, clock)
    opened = log_in(db, clock)
    assert opened.principal == made
    assert opened.principal.principal.role == "archivist"
    resumed = login.resume_session(bound(db, clock), POLICY, opened.token)
    assert resumed.principal == made
    assert actions(db) == ["account.create", "login.success"]
    with db.reading("ARCH") as uow:
        assert uow.people.session(opened.token) is None  # only its digest is kept
        assert uow.people.session(login.session_hash(opened.token)) is not None


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    db: Database, clock: FixedClock
) -> None:
    alice(db, clock)
    for _ in range(4):
        with pytest.raises(LoginRefused):
            log_in(db, clock, "mauvais mot de passe")
    with pytest.raises(AccountLocked) as locked:
        log_in(db, clock, "mauvais mot de passe")
    assert locked.value.retry_after == 15 * 60
    with pytest.raises(AccountLocked):
        log_in(db, clock)
    assert actions(db)[-6:] == ["login.failure"] * 4 + ["login.locked", "login.refused"]
    clock.advance(minutes=15)
    assert log_in(db, clock).principal.login == "alice"


def test_a_new_password_clears_the_lock_and_the_old_one_no_longer_opens(
    db: Database, clock: FixedClock
) -> None:
    alice(db, clock)
    for _ in range(5):
        with pytest.raises((LoginRefused, AccountLocked)):
            log_in(db, clock, "mauvais mot de passe")
    set_password(db, QUICK, "ARCH", "alice", "un tout nouveau mot de passe", actor="cli")
    with pytest.raises(LoginRefused):
        log_in(db, clock)
    assert log_in(db, clock, "un tout nouveau mot de passe").principal.login == "alice"
    assert "account.password" in actions(db)


def test_disabling_an_account_ends_its_sessions_and_refuses_it(
    db: Database, clock: FixedClock
) -> None:
    alice(db, clock)
    opened = log_in(db, clock)
    disable_account(db, clock, "ARCH", "alice", actor="cli")
    with pytest.raises(SessionEnded):
        login.resume_session(bound(db, clock), POLICY, opened.token)
    with pytest.raises(LoginRefused):
        log_in(db, clock)
    with pytest.raises(AccountAlreadyDisabled):
        disable_account(db, clock, "ARCH", "alice", actor="cli")
    disabled = [e for e in stored.entries(db) if e.action == "account.disable"]
    assert [e.details["sessions_revoked"] for e in disabled] == [1]


def test_logout_ends_the_session_and_messages_are_shown_once(
    db: Database, clock: FixedClock
) -> None:
    alice(db, clock)
    opened = log_in(db, clock)
    flows = bound(db, clock)
    login.push_flash(flows, opened.token, "Versement accepté.")
    taken = login.resume_session(flows, POLICY, opened.token, take_flash=True)
    assert taken.flash == ["Versement accepté."]
    assert login.resume_session(flows, POLICY, opened.token, take_flash=True).flash == []
    login.close_session(flows, opened.token, "10.0.0.1")
    with pytest.raises(SessionEnded):
        login.resume_session(flows, POLICY, opened.token)
    assert actions(db)[-1] == "logout"


def test_a_login_is_unique_within_its_tenant_and_bad_fields_are_all_listed(
    db: Database, clock: FixedClock
) -> None:
    alice(db, clock)
    with pytest.raises(LoginExists):
        alice(db, clock, role="reader")
    assert alice(db, clock, organisation="AUTRE").organisation == "AUTRE"
    with pytest.raises(InvalidError) as refused:
        alice(db, clock, login="é", role="transferring", email="nulle-part", password="court")
    assert {i.code for i in refused.value.issues} == {
        "bad_login",
        "password_too_short",
        "unknown_role",
        "bad_email",
    }


def test_a_first_oidc_login_is_linked_to_the_person_with_that_email(
    db: Database, clock: FixedClock
) -> None:
    made = alice(db, clock, password=None)
    flows = bound(db, clock)
    identity = OidcIdentity("https://idp.example", "sub-1", "Alice@Archives.example", True)
    assert login.login_with_oidc(flows, POLICY, identity, "10.0.0.1").principal == made
    renamed = OidcIdentity("https://idp.example", "sub-1", "autre@archives.example", True)
    assert login.login_with_oidc(flows, POLICY, renamed, "10.0.0.1").principal == made
    stranger = OidcIdentity("https://idp.example", "sub-2", "bob@archives.example", True)
    with pytest.raises(NoAccountForIdentity):
        login.login_with_oidc(flows, POLICY, stranger, "10.0.0.1")
    with pytest.raises(LoginRefused):  # no password: only single sign-on opens this account
        log_in(db, clock)


def test_a_person_logs_in_to_their_own_tenant_whose_log_records_it(
    db: Database, clock: FixedClock
) -> None:
    at_arch = alice(db, clock)
    at_autre = alice(db, clock, organisation="AUTRE", password="le mot de passe d'AUTRE")
    with pytest.raises(LoginRefused):  # ARCH's alice has her own password
        log_in(db, clock, "le mot de passe d'AUTRE")
    opened = log_in(db, clock, "le mot de passe d'AUTRE", tenant="AUTRE")
    assert opened.principal == at_autre != at_arch
    resumed = login.resume_session(bound(db, clock, tenant=None), POLICY, opened.token)
    assert resumed.principal == at_autre  # a session finds its tenant by itself
    assert actions(db, "AUTRE") == ["account.create", "login.success"]
    assert actions(db) == ["account.create", "login.failure"]
    with pytest.raises(LoginRefused):  # a page asked for no tenant logs no one in
        log_in(db, clock, tenant=None)
