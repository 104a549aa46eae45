"""The API fuzzer's harness: every operation of an OpenAPI description, driven by Schemathesis
against a real server process with each of the given tokens, and the checks every answer passes.

Checks: no 5xx; the status, media type, headers and body match what the description declares;
every error is problem+json with a stable ``code``. The caller adds what the description cannot
say (another organisation's data unchanged, memory bounded).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.profiles import fuzz_settings

PROBLEM = "application/problem+json"


def problem_json_on_every_error(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """RFC 9457: every 4xx/5xx answer is problem+json with its status and a stable code."""
    if response.status_code < 400:
        return None
    media = response.headers.get("content-type", [""])[0].split(";")[0]
    assert media == PROBLEM, f"{response.status_code} en {media!r}, pas en {PROBLEM}"
    if case.method.upper() == "HEAD":
        return True  # a HEAD answer has no body (RFC 9110 §9.3.2), only its headers
    body = response.json()
    assert body.get("status") == response.status_code, body
    assert isinstance(body.get("code"), str) and body["code"], body
    return True


@schemathesis.serializer(
    "application/zip", "application/gzip", "application/x-tar", "application/octet-stream"
)
def raw_bytes(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """Packages and raw uploads are sent as the bytes generated (``format: binary``)."""
    if isinstance(value, bytes):
        return value
    return str(value).encode()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    problem_json_on_every_error,
]


@dataclass
class Coverage:
    """What a run did: operations driven, requests sent, statuses seen, time spent."""

    operations: int = 0
    requests: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        rate = self.requests / self.seconds if self.seconds else 0.0
        seen = " ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{name} : {self.operations} opérations, {self.requests} requêtes en "
            f"{self.seconds:.1f} s ({rate:.1f}/s) ; statuts {seen} ; {len(self.failures)} échec(s)"
        )

    def record(self, report: Path, name: str) -> None:
        with report.open("a", encoding="utf-8") as out:
            out.write(self.line(name) + "\n")
            out.writelines(f"  - {failure}\n" for failure in self.failures)


def fuzz_every_operation(
    schema: schemathesis.BaseSchema,
    base_url: str,
    tokens: Sequence[str],
    examples: int,
    coverage: Coverage,
) -> None:
    """Each operation gets ``examples`` cases, each sent with one of ``tokens``; a failing
    operation is recorded in ``coverage.failures`` (the minimal case and why) and the run goes
    on with the next one."""
    session = requests.Session()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        coverage.operations += 1

        @fuzz_settings(examples, api=True)
        @given(case=operation.as_strategy(), token=st.sampled_from(list(tokens)))
        def drive(case: schemathesis.Case, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(base_url=base_url, session=session, headers=headers)
            coverage.requests += 1
            coverage.statuses[response.status_code] = (
                coverage.statuses.get(response.status_code, 0) + 1
            )
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            drive()
        except (Exception, BaseExceptionGroup) as failed:  # every failure is reported
            coverage.failures.append(f"{operation.label} : {first_line(failed)}")
    coverage.seconds += time.monotonic() - started


def first_line(failed: BaseException) -> str:
    """What failed and the request that reproduces it (Schemathesis's curl line)."""
    text = str(failed).strip() or type(failed).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    replay = [line for line in lines if line.startswith("curl ")]
    return " | ".join(lines[:6] + replay[:2])


def rss_kib(pid: int) -> int:
    """The resident memory of process ``pid`` (VmRSS of /proc/PID/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"pas de VmRSS pour le processus {pid}")
