"""Accounts lock after repeated failures, sessions end, addresses are throttled (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel.accounts.model import (
    LOCK_DURATION,
    MAX_FAILURES,
    Account,
    AddressThrottle,
    SessionPolicy,
    TooManyAttempts,
    WebSession,
    login_issues,
    password_issues,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def account() -> Account:
    return Account("p", "marie", NOW)


def test_the_fifth_consecutive_failure_locks_the_account_for_fifteen_minutes() -> None:
    found = account()
    for _ in range(MAX_FAILURES - 1):
        found = found.after_failure(NOW)
        assert not found.locked(NOW)
    found = found.after_failure(NOW)
    assert found.locked(NOW)
    assert found.locked(NOW + LOCK_DURATION - timedelta(seconds=1))
    assert not found.locked(NOW + LOCK_DURATION)
    assert found.seconds_locked(NOW) == 15 * 60


def test_a_success_clears_the_count_of_consecutive_failures() -> None:
    found = account()
    for _ in range(MAX_FAILURES - 1):
        found = found.after_failure(NOW)
    found = found.after_success().after_failure(NOW)
    assert found.failed_attempts == 1 and not found.locked(NOW)


def session(**changes: object) -> WebSession:
    values: dict[str, object] = {
        "id_hash": "h",
        "principal_id": "p",
        "created_at": NOW,
        "last_seen_at": NOW,
        "expires_at": NOW + timedelta(hours=12),
        "method": "password",
        **changes,
    }
    return WebSession(**values)  # type: ignore[arg-type]


def test_a_session_ends_after_its_idle_time_its_lifetime_or_its_revocation() -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30))
    assert session().usable(NOW + timedelta(minutes=29), policy)
    assert not session().usable(NOW + timedelta(minutes=30), policy)
    active = session(last_seen_at=NOW + timedelta(hours=11, minutes=50))
    assert not active.usable(NOW + timedelta(hours=12), policy)
    assert not session(revoked_at=NOW).usable(NOW, policy)


def test_a_session_records_its_activity_at_most_once_a_minute() -> None:
    policy = SessionPolicy()
    assert not session().needs_touch(NOW + timedelta(seconds=59), policy)
    assert session().needs_touch(NOW + timedelta(minutes=1), policy)


def test_an_address_is_refused_past_its_failures_until_the_oldest_leaves_the_window() -> None:
    throttle = AddressThrottle(limit=3, window=timedelta(minutes=10))
    for minute in range(3):
        throttle.check("10.0.0.1", NOW + timedelta(minutes=minute))
        throttle.failed("10.0.0.1", NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("10.0.0.1", NOW + timedelta(minutes=5))
    assert refused.value.retry_after == 5 * 60 + 1
    throttle.check("10.0.0.2", NOW + timedelta(minutes=5))  # another address is not concerned
    throttle.check("10.0.0.1", NOW + timedelta(minutes=10))  # the first failure left the window


def test_logins_and_passwords_follow_their_rules_with_a_french_reason() -> None:
    assert login_issues("marie.dupont@mairie") == []
    assert [i.code for i in login_issues("é")] == ["bad_login"]
    assert [i.code for i in password_issues("court")] == ["password_too_short"]
    assert "12 caractères" in password_issues("court")[0].message
    assert password_issues("x" * 12) == []
