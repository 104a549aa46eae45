"""People log in with a password or through OpenID Connect, on both databases: sessions,
locks, disabling, linking an identity to a pre-provisioned account; all of it logged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services import accounts, admin
from ged.services.login import people
from kernel.accounts import login
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
from kernel.errors import AuthenticationError, InvalidError
from tests.fixtures.ged import Ged

PASSWORD = "un mot de passe assez long"
POLICY = SessionPolicy()
ISSUER = "https://idp.example"


def create(ged: Ged, login_name: str = "marie", password: str | None = PASSWORD) -> Principal:
    person = accounts.NewPerson(
        login_name,
        frozenset({Role.AGENT}),
        frozenset({ged.service.id}),
        "Marie@Mairie.example",
        password,
    )
    return accounts.create_person(ged.ctx, ged.admin, person).principal


def log_in(
    ged: Ged, password: str = PASSWORD, address: str = "10.0.0.1"
) -> login.OpenedSession[Principal]:
    return login.login_with_password(
        people(ged.ctx), POLICY, AddressThrottle(), "marie", password, address
    )


def actions(ged: Ged) -> list[str]:
    with ged.ctx.uow() as uow:
        return [e.action for e in uow.iter_log()]


def test_a_person_logs_in_with_a_password_and_the_session_is_theirs(ged: Ged) -> None:
    marie = create(ged)
    opened = log_in(ged)
    assert opened.principal == marie
    assert login.resume_session(people(ged.ctx), POLICY, opened.token).principal == marie
    assert actions(ged)[-2:] == ["account.create", "login.success"]


def test_the_session_token_is_not_stored_only_its_digest(ged: Ged) -> None:
    create(ged)
    opened = log_in(ged)
    with ged.ctx.uow() as uow:
        assert uow.accounts.session(opened.token) is None
        assert uow.accounts.session(login.session_hash(opened.token)) is not None


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(ged: Ged) -> None:
    create(ged)
    for _ in range(4):
        with pytest.raises(LoginRefused):
            log_in(ged, "mauvais mot de passe")
    with pytest.raises(AccountLocked) as locked:
        log_in(ged, "mauvais mot de passe")
    assert locked.value.retry_after == 15 * 60
    with pytest.raises(AccountLocked):
        log_in(ged)
    assert actions(ged)[-6:] == ["login.failure"] * 4 + ["login.locked", "login.refused"]
    ged.clock.advance(minutes=15)
    assert log_in(ged).principal.name == "marie"


def test_an_unknown_login_is_refused_like_a_wrong_password_and_logged(ged: Ged) -> None:
    with pytest.raises(LoginRefused) as refused:
        log_in(ged)
    assert refused.value.detail == "Identifiant ou mot de passe incorrect"
    with ged.ctx.uow() as uow:
        last = list(uow.iter_log())[-1]
    assert (last.action, last.details["reason"], last.actor) == (
        "login.failure",
        "unknown_login",
        "anonymous",
    )


def test_a_session_ends_after_thirty_idle_minutes(ged: Ged) -> None:
    create(ged)
    opened = log_in(ged)
    ged.clock.advance(minutes=29)
    login.resume_session(people(ged.ctx), POLICY, opened.token)
    ged.clock.advance(minutes=29)  # the activity above kept it alive
    login.resume_session(people(ged.ctx), POLICY, opened.token)
    ged.clock.advance(minutes=30)
    with pytest.raises(SessionEnded):
        login.resume_session(people(ged.ctx), POLICY, opened.token)


def test_logout_ends_the_session_from_the_next_request(ged: Ged) -> None:
    create(ged)
    opened = log_in(ged)
    login.close_session(people(ged.ctx), opened.token, "10.0.0.1")
    with pytest.raises(SessionEnded):
        login.resume_session(people(ged.ctx), POLICY, opened.token)
    assert actions(ged)[-1] == "logout"


def test_disabling_an_account_ends_its_sessions_and_refuses_its_tokens(ged: Ged) -> None:
    marie = create(ged)
    opened = log_in(ged)
    token = admin.create_token(ged.ctx, "test", marie.organisation_id, "marie", "script").token
    accounts.disable_account(ged.ctx, ged.admin, "marie")
    with pytest.raises(SessionEnded):
        login.resume_session(people(ged.ctx), POLICY, opened.token)
    with pytest.raises(AuthenticationError):
        admin.authenticate(ged.ctx, token)
    with pytest.raises(LoginRefused):
        log_in(ged)
    assert "account.disable" in actions(ged)


def test_a_login_is_unique_on_the_whole_platform(ged: Ged) -> None:
    create(ged)
    other_admin, _, _ = ged.other_organisation()
    person = accounts.NewPerson("marie", frozenset({Role.AGENT}))
    with pytest.raises(LoginExists):
        accounts.create_person(ged.ctx, other_admin, person)


def test_an_account_with_bad_fields_lists_every_issue(ged: Ged) -> None:
    person = accounts.NewPerson(
        "é", frozenset({Role.APPLICATION}), email="sans-arobase", password="court"
    )
    with pytest.raises(InvalidError) as refused:
        accounts.create_person(ged.ctx, ged.admin, person)
    assert sorted(i.path or "" for i in refused.value.issues) == [
        "email",
        "login",
        "password",
        "roles",
    ]


def test_a_new_password_clears_the_lock(ged: Ged) -> None:
    create(ged)
    for _ in range(5):
        with pytest.raises((LoginRefused, AccountLocked)):
            log_in(ged, "mauvais mot de passe")
    accounts.set_password(ged.ctx, ged.admin, "marie", "un tout nouveau mot de passe")
    assert log_in(ged, "un tout nouveau mot de passe").principal.name == "marie"


def test_a_first_oidc_login_is_linked_to_the_account_with_that_email(ged: Ged) -> None:
    marie = create(ged, password=None)
    identity = OidcIdentity(ISSUER, "sub-1", "marie@mairie.example", True, "mdupont")
    assert login.login_with_oidc(people(ged.ctx), POLICY, identity, "10.0.0.1").principal == marie
    moved = OidcIdentity(ISSUER, "sub-1", "ailleurs@example.org", True, "autre")
    assert login.login_with_oidc(people(ged.ctx), POLICY, moved, "10.0.0.1").principal == marie


def test_an_oidc_identity_without_an_account_creates_nothing_and_is_logged(ged: Ged) -> None:
    create(ged, password=None)
    stranger = OidcIdentity(ISSUER, "sub-2", "inconnu@example.org", True, "inconnu")
    with pytest.raises(NoAccountForIdentity):
        login.login_with_oidc(people(ged.ctx), POLICY, stranger, "10.0.0.1")
    unverified = OidcIdentity(ISSUER, "sub-3", "marie@mairie.example", False, None)
    with pytest.raises(NoAccountForIdentity):
        login.login_with_oidc(people(ged.ctx), POLICY, unverified, "10.0.0.1")
    with ged.ctx.uow() as uow:
        assert [a.login for a in uow.accounts.of_organisation(ged.admin.organisation_id)] == [
            "marie"
        ]
    assert actions(ged)[-2:] == ["login.refused", "login.refused"]


def test_an_account_linked_to_one_identity_is_not_taken_by_another(ged: Ged) -> None:
    create(ged, password=None)
    first = OidcIdentity(ISSUER, "sub-1", "marie@mairie.example", True, None)
    login.login_with_oidc(people(ged.ctx), POLICY, first, "10.0.0.1")
    impostor = OidcIdentity(ISSUER, "sub-9", "marie@mairie.example", True, None)
    with pytest.raises(NoAccountForIdentity):
        login.login_with_oidc(people(ged.ctx), POLICY, impostor, "10.0.0.1")


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_login(ged: Ged) -> None:
    create(ged)  # hashed with the tests' cheap parameters
    stronger = replace(ged.ctx, passwords=Argon2Passwords())
    login.login_with_password(
        people(stronger), POLICY, AddressThrottle(), "marie", PASSWORD, "10.0.0.1"
    )
    with ged.ctx.uow() as uow:
        account = uow.accounts.by_login("marie")
    assert account is not None and account.password_hash is not None
    assert "$m=19456,t=2,p=1$" in account.password_hash
