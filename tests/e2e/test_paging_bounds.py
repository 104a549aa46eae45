"""Paging parameters on every listing route of a real ``gedsae serve`` and ``gedsae-sae serve``:
out of range is 422 ``invalid_request`` naming the parameter, never a 500 or a page past the cap.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.processes import (
    SAE,
    GedServer,
    Service,
    gedsae_cli,
    new_port,
    sae_cli,
    serve_ged,
)
from tests.fixtures.seda_corpus import shared_path

BEYOND_INT64 = "9223372036854775808"
HUGE = "99999999999999999999"
GED_LISTS = [
    "/api/v1/dossiers",
    "/api/v1/search",
    "/api/v1/documents/{document}/versions",
    "/api/v1/transfers",
    "/api/v1/rules",
    "/api/v1/eliminations",
]
OUT_OF_RANGE = [
    ("offset", HUGE),
    ("offset", BEYOND_INT64),
    ("offset", "1000001"),
    ("offset", "-1"),
    ("limit", "-1"),
    ("limit", "0"),
    ("limit", "1001"),
]


@pytest.fixture(scope="module")
def ged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GedServer, str]]:
    """A served GED holding one dossier with one document (whose id is returned too)."""
    served = serve_ged(tmp_path_factory.mktemp("ged"))
    service_id = gedsae_cli(served.env, "services", "create", "Finances", "FR_DF").strip()
    with served.client() as client:
        dossier = client.post("/api/v1/dossiers", json={"service_id": service_id, "title": "D"})
        document = client.post(
            f"/api/v1/dossiers/{dossier.json()['id']}/documents",
            content=b"budget",
            headers={"Content-Type": "text/plain"},
        )
    yield served, document.json()["id"]
    served.service.stop()


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
@pytest.mark.parametrize("route", GED_LISTS)
def test_out_of_range_paging_on_a_ged_list_answers_422_naming_the_parameter(
    ged: tuple[GedServer, str], route: str, name: str, value: str
) -> None:
    served, document = ged
    with served.client() as client:
        response = client.get(route.format(document=document), params={name: value})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert [issue["path"] for issue in response.json()["issues"]] == [f"query.{name}"]


@pytest.mark.parametrize("route", GED_LISTS)
def test_the_largest_page_at_the_deepest_offset_is_served(
    ged: tuple[GedServer, str], route: str
) -> None:
    served, document = ged
    with served.client() as client:
        deepest = client.get(
            route.format(document=document), params={"limit": "100", "offset": "1000000"}
        )
        first = client.get(route.format(document=document), params={"limit": "1"})
    assert deepest.status_code == 200, deepest.text
    assert first.status_code == 200, first.text


def test_a_dossier_page_is_capped_at_200_rows(ged: tuple[GedServer, str]) -> None:
    served, _ = ged
    with served.client() as client:
        assert client.get("/api/v1/dossiers", params={"limit": "201"}).status_code == 422
        assert len(client.get("/api/v1/dossiers", params={"limit": "200"}).json()) == 1


@pytest.fixture(scope="module")
def sae(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("sae")
    env, port = {"GEDSAE_SAE_HOME": str(folder / "home")}, new_port()
    schemas = str(shared_path("official"))
    sae_cli(env, "init", "--organisation", "ARCH", "--port", str(port), "--schemas-from", schemas)
    token = sae_cli(env, "token", "create", "alice", "--role", "archivist").strip()
    service = Service("sae", ("serve",), env, port, "/api/v1/sae/health", folder / "log", SAE)
    service.start()
    yield service, {"Authorization": f"Bearer {token}"}
    service.stop()


@pytest.mark.parametrize(
    ("route", "name", "value"),
    [
        ("/api/v1/sae/review/transfers", "offset", BEYOND_INT64),
        ("/api/v1/sae/review/transfers", "offset", "-1"),
        ("/api/v1/sae/review/transfers", "limit", "-1"),
        ("/api/v1/sae/review/transfers", "limit", "1001"),
        ("/api/v1/sae/archives", "page", BEYOND_INT64),
        ("/api/v1/sae/archives", "page", "10001"),
        ("/api/v1/sae/archives", "page", "0"),
        ("/api/v1/sae/archives", "page_size", "-1"),
        ("/api/v1/sae/archives", "page_size", "101"),
        ("/api/v1/sae/log/entries", "after", BEYOND_INT64),  # found by the API fuzzer: a 500
    ],
)
def test_out_of_range_paging_on_a_repository_list_answers_422_naming_the_parameter(
    sae: tuple[Service, dict[str, str]], route: str, name: str, value: str
) -> None:
    service, headers = sae
    response = httpx.get(service.base_url + route, params={name: value}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert [issue["path"] for issue in response.json()["issues"]] == [f"query.{name}"]


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/api/v1/sae/review/transfers", {"limit": "200", "offset": "1000000"}),
        ("/api/v1/sae/archives", {"page": "10000", "page_size": "100"}),
    ],
)
def test_the_repository_serves_its_deepest_page(
    sae: tuple[Service, dict[str, str]], route: str, params: dict[str, str]
) -> None:
    service, headers = sae
    response = httpx.get(service.base_url + route, params=params, headers=headers)
    assert response.status_code == 200, response.text
