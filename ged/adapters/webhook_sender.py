"""The webhooks' HTTP side: one POST per attempt with httpx, no redirect followed, no proxy from
the environment, the host's addresses checked again just before (``webhooks.url_problems``)
so that a name re-pointed to an internal address after registration is refused too."""

from __future__ import annotations

import socket
from collections.abc import Iterable

import httpx

from ged.services.webhook_delivery import Answer
from ged.services.webhooks import Resolve, url_problems

TIMEOUT_SECONDS = 10.0


def resolve(host: str) -> Iterable[str]:
    """Every address of ``host`` (OSError when it has none)."""
    return {str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}


class HttpWebhookSender:
    def __init__(
        self, allow_private: bool, resolver: Resolve = resolve, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self.timeout = timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        problems = url_problems(url, self.resolver, self.allow_private)
        if problems:
            return Answer(None, "; ".join(problems))
        try:
            with httpx.Client(
                follow_redirects=False, trust_env=False, timeout=self.timeout
            ) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Answer(None, f"pas de réponse : {type(exc).__name__} {exc}".strip())
        return Answer(response.status_code)
