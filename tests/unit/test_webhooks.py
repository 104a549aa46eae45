"""The webhooks' rules without I/O: which addresses may receive deliveries (SSRF guard, the
resolver injected), the signature of a body (HMAC-SHA256, RFC 2104), and what an attempt does
to a delivery (delivered, tried again later with back-off, given up)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from ged.services.webhook_delivery import Answer, after_attempt, signature
from ged.services.webhook_repository import Delivery, DeliveryState
from ged.services.webhooks import Resolve, WebhookSettings, url_problems

CHANGED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
SETTINGS = WebhookSettings(give_up_after=timedelta(hours=1), retry_base_seconds=30)


def resolver(*addresses: str) -> Resolve:
    def resolve(host: str) -> Iterable[str]:
        if not addresses:
            raise OSError(f"{host}: no address")
        return addresses

    return resolve


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "fd00::1"]
)
def test_an_internal_address_is_refused_unless_the_instance_allows_it(address: str) -> None:
    resolve = resolver(address)
    assert url_problems("https://app.example/hook", resolve, allow_private=False)
    assert url_problems("https://app.example/hook", resolve, allow_private=True) == []


def test_a_public_https_address_is_accepted() -> None:
    assert url_problems("https://app.example/hook", resolver("203.0.114.7"), False) == []


def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    problems = url_problems("https://app.example/", resolver("203.0.114.7", "10.0.0.1"), False)
    assert problems == [
        "app.example désigne une adresse interne (10.0.0.1) : refusée sur cette instance"
    ]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://app.example/hook", "adresse http:// ou https:// attendue"),
        ("https:///hook", "adresse http:// ou https:// attendue"),
        ("https://user:pw@app.example/", "identifiants dans l'adresse refusés"),
        ("https://nowhere.example/", "hôte nowhere.example introuvable"),
    ],
)
def test_what_is_not_an_http_address_of_a_known_host_is_refused(url: str, why: str) -> None:
    problems = url_problems(url, resolver(), allow_private=True)
    assert len(problems) == 1 and problems[0].startswith(why)


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    # the published HMAC-SHA256 example ("key", "The quick brown fox jumps over the lazy dog")
    signed = signature("key", b"The quick brown fox jumps over the lazy dog")
    assert signed == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


def delivery(attempts: int = 0) -> Delivery:
    done = Delivery("d1", "w1", {"event": "transfer.state_changed"}, DeliveryState.PENDING,
                    (), CHANGED, CHANGED)  # fmt: skip
    for n in range(attempts):
        done = after_attempt(done, Answer(503), CHANGED + timedelta(seconds=n), SETTINGS)
    return done


def test_a_2xx_answer_delivers_and_nothing_is_tried_again() -> None:
    done = after_attempt(delivery(), Answer(204), CHANGED, SETTINGS)
    assert (done.state, done.next_attempt_at) == (DeliveryState.DELIVERED, None)
    assert [(a.status, a.error) for a in done.attempts] == [(204, None)]


def test_a_failure_is_tried_again_after_a_delay_doubled_at_each_failure() -> None:
    first = after_attempt(delivery(), Answer(None, "pas de réponse"), CHANGED, SETTINGS)
    assert first.state is DeliveryState.PENDING
    assert first.next_attempt_at == CHANGED + timedelta(seconds=30)
    second = after_attempt(first, Answer(302), CHANGED, SETTINGS)  # a redirect is not followed
    assert second.next_attempt_at == CHANGED + timedelta(seconds=60)
    assert [a.error for a in second.attempts] == ["pas de réponse", "réponse HTTP 302"]


def test_a_delivery_still_failing_once_its_time_is_over_is_given_up() -> None:
    late = CHANGED + SETTINGS.give_up_after
    done = after_attempt(delivery(attempts=3), Answer(500), late, SETTINGS)
    assert (done.state, done.next_attempt_at, len(done.attempts)) == (
        DeliveryState.ABANDONED,
        None,
        4,
    )


def test_the_next_try_never_comes_after_the_give_up_time() -> None:
    near_end = CHANGED + SETTINGS.give_up_after - timedelta(seconds=5)
    done = after_attempt(delivery(attempts=5), Answer(500), near_end, SETTINGS)
    assert done.next_attempt_at == CHANGED + SETTINGS.give_up_after
