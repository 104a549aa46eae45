"""The webhooks' HTTP sender against a real receiver process on loopback: a redirection is an
answer, never followed; an internal address is refused before any connection unless the
instance allows it."""

from __future__ import annotations

from pathlib import Path

from ged.adapters.webhook_sender import HttpWebhookSender
from tests.fixtures.processes import new_port
from tests.fixtures.webhook_receiver import start_receiver

BODY = b'{"event": "transfer.state_changed"}'


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(tmp_path: Path) -> None:
    for receiver in start_receiver(tmp_path, failures=0, answer=302):
        answer = HttpWebhookSender(allow_private=True).post(receiver.url, BODY, {})
        assert (answer.status, answer.error) == (302, None)
        assert [r["status"] for r in receiver.requests()] == [302]  # /ailleurs never asked


def test_a_loopback_receiver_is_never_reached_unless_allowed(tmp_path: Path) -> None:
    for receiver in start_receiver(tmp_path, failures=0):
        refused = HttpWebhookSender(allow_private=False).post(receiver.url, BODY, {})
        assert refused.status is None and refused.error is not None
        assert "adresse interne (127.0.0.1)" in refused.error
        assert receiver.requests() == []
        allowed = HttpWebhookSender(allow_private=True).post(receiver.url, BODY, {})
        assert allowed.status == 204 and receiver.requests()[0]["body"] == BODY


def test_no_answer_is_an_attempt_with_its_reason() -> None:
    closed = f"http://127.0.0.1:{new_port()}/gedsae"  # nothing listens there
    answer = HttpWebhookSender(allow_private=True, timeout=2).post(closed, BODY, {})
    assert answer.status is None and answer.error is not None
    assert answer.error.startswith("pas de réponse : ConnectError")
