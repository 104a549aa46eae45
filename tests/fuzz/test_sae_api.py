"""Every operation of the repository's OpenAPI description, fuzzed by Schemathesis against a
real ``gedsae-sae serve`` (without the GED): with a transferring service's token, an
archivist's, the platform administrator's, then another tenant's archivist. No 5xx, answers as
described, problem+json errors; the other tenant's catalogue and tokens unchanged; memory
bounded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis

from tests.fixtures.processes import SAE, Service, new_port, sae_cli
from tests.fixtures.seda_corpus import shared_path
from tests.fuzz.api import Coverage, fuzz_every_operation, rss_kib
from tests.fuzz.profiles import CORPUS, examples

RSS_GROWTH_KIB = 200 * 1024


@dataclass
class Repository:
    service: Service
    env: dict[str, str]
    tokens: list[str]  # the first tenant's roles
    other: str  # the other tenant's archivist
    platform: str  # the platform administrator, who may act on every tenant


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    folder = tmp_path_factory.mktemp("sae-fuzz")
    env, port = {"GEDSAE_SAE_HOME": str(folder / "home")}, new_port()
    schemas = str(shared_path("official"))
    sae_cli(env, "init", "--organisation", "ARCH", "--port", str(port), "--schemas-from", schemas)
    platform = sae_cli(
        env, "token", "create", "fuzz-plateforme", "--platform", "--role", "platform_admin"
    ).strip()
    service = Service("sae", ("serve",), env, port, "/api/v1/sae/health", folder / "log", SAE)
    service.start()
    try:
        yield _with_tokens(service, env, platform)
    finally:
        service.stop()


def _with_tokens(service: Service, env: dict[str, str], platform: str) -> Repository:
    """A token of each role of the first tenant, a second tenant and its archivist's token,
    made through the platform API (each command line would start a process)."""
    headers = {"Authorization": f"Bearer {platform}"}
    url = service.base_url + "/api/v1/sae/platform/tenants"
    with httpx.Client(headers=headers, timeout=60) as http:
        http.post(url, json={"identifier": "AUTRE", "name": "Autre"}).raise_for_status()
        issued = {
            (tenant, role): http.post(
                f"{url}/{tenant}/tokens", json={"name": f"fuzz-{role}", "role": role}
            )
            for tenant, role in (
                ("ARCH", "transferring"),
                ("ARCH", "archivist"),
                ("AUTRE", "archivist"),
            )
        }
    tokens = {key: answer.raise_for_status().json()["token"] for key, answer in issued.items()}
    mine = [tokens["ARCH", "transferring"], tokens["ARCH", "archivist"]]
    return Repository(service, env, mine, tokens["AUTRE", "archivist"], platform)


def tenant_digest(repository: Repository, token: str) -> str:
    """What a tenant sees of itself: its catalogue, its review queue, its tokens."""
    headers = {"Authorization": f"Bearer {token}"}
    digest = hashlib.sha256()
    for path in ("/api/v1/sae/archives", "/api/v1/sae/review/transfers", "/api/v1/sae/log/entries"):
        answer = httpx.get(repository.service.base_url + path, headers=headers, timeout=60)
        digest.update(f"{path} {answer.status_code} {answer.text}".encode())
    return digest.hexdigest()


def test_every_repository_operation_answers_as_described_without_touching_another_tenant(
    repository: Repository,
) -> None:
    process = repository.service.process
    assert process is not None
    schema = schemathesis.openapi.from_url(repository.service.base_url + "/openapi.json")
    rss_before = rss_kib(process.pid)
    theirs = tenant_digest(repository, repository.other)
    coverage = Coverage()
    url = repository.service.base_url
    fuzz_every_operation(schema, url, repository.tokens, examples(4), coverage)
    assert tenant_digest(repository, repository.other) == theirs
    fuzz_every_operation(schema, url, [repository.other], examples(2), coverage)
    fuzz_every_operation(schema, url, [repository.platform], examples(2), coverage)
    rss_after = rss_kib(process.pid)
    CORPUS.mkdir(exist_ok=True)
    coverage.record(CORPUS / "last-run.txt", "dépôt")
    print(coverage.line("dépôt"))
    assert coverage.failures == []
    assert rss_after - rss_before < RSS_GROWTH_KIB, (rss_before, rss_after)
