"""Every route of the repository's API, called by another tenant with a tenant's identifiers:
its transfer, archive, object, journal entry or audit answers 404 exactly as a missing one, a
listing never shows them, the platform's routes refuse it (on SQLite and on PostgreSQL).

The routes are enumerated from the application itself: a new route that fits none of the
kinds below fails the test until it is classified.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from sae.journal.log import log_audit
from sae.storage.audit import audit
from tests.fixtures.sae import TestDatabase
from tests.sae import setup, stored
from tests.sae.test_catalogue import (
    ARCHIVIST,
    OTHER_ARCHIVIST,
    SENDER,
    Sae,
    accepted,
    archive_of,
    open_sae,
)
from tests.sae.test_deliveries import delivered, derogated
from tests.sae.test_eliminations import proposed_in
from tests.sae.test_restitutions import restituted

OTHER_SENDER: Final = {"Authorization": "Bearer other-ged-token"}
# Path parameters that name something a tenant holds: another tenant's answers 404.
HELD: Final = frozenset(
    {
        "transfer_id",
        "archive_id",
        "object_id",
        "entry_hash",
        "audit_id",
        "message_identifier",  # a delivery's or a restitution's request
        "derogation_id",
        "elimination_id",
        "message_id",  # of the producers' mailbox
    }
)
# Routes whose answer depends on no identifier of a tenant's (a delivery request names
# archives: another tenant's are refused as unknown in the reply, tests/sae/test_deliveries).
UNSCOPED: Final = {
    ("GET", "/api/v1/sae/health"),
    ("POST", "/api/v1/sae/transfers"),
    ("POST", "/api/v1/sae/deliveries"),
    ("POST", "/api/v1/sae/restitutions"),
    ("POST", "/api/v1/sae/eliminations"),  # what is due of the caller's tenant
    ("POST", "/api/v1/sae/authorization-replies"),  # another tenant's request: not found
    ("POST", "/api/v1/sae/control-authorization-replies"),  # the same for the authority
}
MISSING: Final = "0" * 64
# As@lae's REST services take Basic credentials and name transfers by agency and message
# identifier, Vitam's routes a client certificate: another tenant's sender is refused there in
# tests/sae/test_asalae_compat.py and tests/e2e/test_vitam_compat.py.
ELSEWHERE: Final = ("/restservices/", "/ingest-external/", "/admin-external/")


@dataclass(frozen=True)
class Held:
    """What the tenant ARCH holds, by path parameter."""

    ids: dict[str, str]

    def path(self, route: str, *, missing: bool = False) -> str:
        return re.sub(
            r"{(\w+)}", lambda m: MISSING if missing else self.ids.get(m[1], "ARCH"), route
        )


@pytest.fixture(scope="module")
def arch(
    tmp_path_factory: pytest.TempPathFactory, schema_dir: Path, sae_module_database: TestDatabase
) -> Iterator[tuple[Sae, Held]]:
    """ARCH with an accepted transfer, its archive and object, log entries and an audit; OTHER
    with an archivist's and a sender's token of its own."""
    tmp_path = tmp_path_factory.mktemp("isolation")
    with open_sae(tmp_path, sae_module_database, schema_dir) as sae:
        transfer = accepted(sae, tmp_path, "TR-1")
        setup.tokens(sae.db, {"other-ged-token": ("OTHER", "transferring", "ged-autre")})
        found = archive_of(sae, "eclairage")
        report = log_audit(sae.db, "ARCH", audit(sae.offers.offers, sae.offers.registry))
        # a restitution (not acknowledged: nothing deleted) under the delivery's identifier
        restituted(sae.client, found["archive_id"], ack=False)
        elimination, message = proposed_in(sae.client, sae.db, tmp_path)
        ids = {
            "transfer_id": transfer["transfer_id"],
            "archive_id": found["archive_id"],
            "object_id": found["objects"][0]["object_id"],
            "entry_hash": stored.entries(sae.db)[1].hash,
            "audit_id": report.hash,
            "message_identifier": delivered(sae.client, found["archive_id"]),
            "derogation_id": derogated(sae.client, found["archive_id"]),
            "elimination_id": elimination,
            "message_id": message,
        }
        yield sae, Held(ids)


def routes(client: TestClient) -> list[tuple[str, str, set[str]]]:
    """Every operation of the application, from its own OpenAPI description."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    found = [
        (method.upper(), path, set(re.findall(r"{(\w+)}", path)))
        for path, operations in paths.items()
        for method in operations
        if not path.startswith(ELSEWHERE)
    ]
    assert len(found) >= 26, found  # the enumeration itself must not come back empty
    return found


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    body = {"comment": "essai"} if method in ("POST", "PUT") else None
    return client.request(method, path, headers=headers, json=body)


def answer(response: Any) -> tuple[int, str | None]:
    code = response.json().get("code") if response.content else None
    return response.status_code, code


def test_every_route_classified(arch: tuple[Sae, Held]) -> None:
    sae, _ = arch
    for method, path, params in routes(sae.client):
        known = (
            params & HELD or "/platform/" in path or method == "GET" or (method, path) in UNSCOPED
        )
        assert known, f"{method} {path}: not classified for tenant isolation"


def test_another_tenants_identifiers_answer_404_like_missing_ones_on_every_route(
    arch: tuple[Sae, Held],
) -> None:
    sae, held = arch
    checked = []
    for method, path, params in routes(sae.client):
        if not params & HELD:
            continue
        own = call(sae.client, method, held.path(path), ARCHIVIST if "review" in path else SENDER)
        if method == "GET" and own.status_code == 403:
            own = call(sae.client, method, held.path(path), ARCHIVIST)
        assert own.status_code != 404, (method, path, own.text)  # ARCH's identifiers are real
        for other in (OTHER_ARCHIVIST, OTHER_SENDER):
            theirs = call(sae.client, method, held.path(path), other)
            if theirs.status_code == 403:
                continue  # this role may not use the route at all
            missing = call(sae.client, method, held.path(path, missing=True), other)
            assert theirs.status_code == 404, (method, path, theirs.text)
            assert answer(theirs) == answer(missing), (method, path)
            checked.append((method, path))
    held_routes = {(m, path) for m, path, params in routes(sae.client) if params & HELD}
    assert len(held_routes) >= 9  # transfers, review, archives, objects, log entries, audits
    assert set(checked) == held_routes


def test_another_tenants_listings_show_none_of_the_tenants_identifiers(
    arch: tuple[Sae, Held],
) -> None:
    sae, held = arch
    for method, path, params in routes(sae.client):
        if method != "GET" or params or "/platform/" in path:
            continue
        mine = call(sae.client, method, path, ARCHIVIST)
        assert mine.status_code == 200, (path, mine.text)
        for other in (OTHER_ARCHIVIST, OTHER_SENDER):
            theirs = call(sae.client, method, path, other)
            assert theirs.status_code in (200, 403), (path, theirs.text)
            assert not [v for v in held.ids.values() if v in theirs.text], path


def test_a_tenants_tokens_open_no_platform_route(arch: tuple[Sae, Held]) -> None:
    sae, held = arch
    platform = [(m, p) for m, p, _ in routes(sae.client) if "/platform/" in p]
    assert platform
    for method, path in platform:
        for token in (ARCHIVIST, SENDER, OTHER_ARCHIVIST, OTHER_SENDER):
            refused = call(sae.client, method, held.path(path), token)
            assert refused.status_code == 403, (method, path, refused.text)
