"""Every answer of both HTTP applications carries the security headers, and the API's
documentation pages work offline: their scripts and styles come from the server itself."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sae.api.app import create_app
from sae.bootstrap import build_config
from sae.config import load_settings
from tests.fixtures.processes import GedServer, sae_cli
from tests.fixtures.seda_corpus import shared_path

ASSET = re.compile(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"')


def assert_hardened(answer: httpx.Response, *, api: bool = True) -> None:
    headers = answer.headers
    what = f"{answer.request.method} {answer.request.url.path} → {answer.status_code}"
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), what
    if api:
        assert headers.get("cache-control") == "no-store", what


def test_every_answer_of_the_ged_carries_the_security_headers(ged_server: GedServer) -> None:
    with ged_server.client() as http:
        answers = [
            http.get("/api/v1/services"),
            http.get("/api/v1/dossiers/inconnu"),
            http.post("/api/v1/services", json={}),
            http.get("/openapi.json"),
            http.get("/healthz"),
            http.get("/docs"),
        ]
        answers.append(http.get("/api/v1/services", headers={"Authorization": "Bearer x"}))
    assert [a.status_code for a in answers] == [200, 404, 422, 200, 200, 200, 401]
    for answer in answers:
        assert_hardened(answer)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_load_only_same_origin_assets(
    ged_server: GedServer, page: str
) -> None:
    with httpx.Client(base_url=ged_server.base_url, timeout=60) as http:
        html = http.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assets = ASSET.findall(html.text)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
        assert "http://" not in html.text and "https://" not in html.text
        for asset in assets:
            loaded = http.get(asset)
            assert loaded.status_code == 200 and len(loaded.content) > 1000, asset
            assert_hardened(loaded, api=False)
        spec = http.get("/openapi.json")
        assert spec.status_code == 200 and spec.json()["info"]["title"] == "gedsae"


def test_web_pages_carry_their_strict_policy_and_json_keeps_the_apis(
    ged_server: GedServer,
) -> None:
    with httpx.Client(base_url=ged_server.base_url, timeout=60) as http:
        page = http.get("/connexion")
        assets = [http.get(a) for a in ASSET.findall(page.text)]
        api = http.get(
            "/api/v1/services", headers={"Authorization": f"Bearer {ged_server.admin_token}"}
        )
    policy = page.headers["content-security-policy"]
    assert policy == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )
    assert_hardened(page)
    assert [a.status_code for a in assets] == [200, 200, 200]  # stylesheet, htmx, our script
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_every_answer_of_the_repository_carries_the_security_headers(tmp_path: Path) -> None:
    home = tmp_path / "sae"
    sae_cli(
        {"GEDSAE_SAE_HOME": str(home)},
        "init", "--organisation", "ARCH", "--schemas-from", str(shared_path("official")),
    )  # fmt: skip
    with TestClient(create_app(build_config(load_settings(home)))) as client:
        answers = [
            client.get("/api/v1/sae/health"),
            client.get("/openapi.json"),
            client.get("/docs"),
            client.get("/redoc"),
        ]
        assets = ASSET.findall(answers[2].text)
        assert assets and all(a.startswith("/") for a in assets)
        answers.extend(client.get(asset) for asset in assets)
    assert [a.status_code for a in answers] == [401, 200, 200, 200] + [200] * len(assets)
    for answer in answers[:4]:
        assert_hardened(answer)
    for answer in answers[4:]:
        assert_hardened(answer, api=False)
