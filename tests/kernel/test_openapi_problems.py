"""The OpenAPI description declares what the server answers on error: problem+json."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from kernel import problems
from kernel.errors import NotFoundError
from kernel.openapi_problems import ERROR_STATUSES, describe_problems, files


class Thing(BaseModel):
    name: str


def described() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    describe_problems(app)

    @app.post("/things/{thing_id}")
    def change(thing_id: str, body: Thing) -> Thing:
        raise NotFoundError("pas de chose")

    @app.get("/export", responses=files("text/csv"))
    def export() -> None:
        return None

    return app


def test_every_operation_declares_each_error_status_as_problem_json() -> None:
    spec = TestClient(described()).get("/openapi.json").json()
    responses = spec["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert set(ERROR_STATUSES) <= set(responses)
    for status in ERROR_STATUSES:
        assert list(responses[status]["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "code",
    ]


def test_the_declared_problem_is_what_the_server_answers() -> None:
    client = TestClient(described())
    answer = client.post("/things/x", json={"name": "a"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "code"} <= set(answer.json())


def test_a_download_declares_its_media_type_not_json() -> None:
    spec = TestClient(described()).get("/openapi.json").json()
    assert "text/csv" in spec["paths"]["/export"]["get"]["responses"]["200"]["content"]
