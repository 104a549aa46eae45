"""The OpenAPI description says what the server answers on error: RFC 9457 problem+json.

``kernel.problems`` turns every error into ``application/problem+json``; FastAPI's generated
description knew nothing of it (it declared its own ``HTTPValidationError`` JSON for 422 and no
other error). ``describe_problems`` replaces the generated description by one where every
operation declares the error statuses of ``kernel.errors``' families with the ``Problem`` schema
(OpenAPI 3.1 §4.8.16, Responses Object), so a client generated from it, and a fuzzer checking
answers against it, read the errors the server really sends.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI

from kernel.problems import PROBLEM

# 400 bad request, 401 unauthenticated, 403 forbidden, 404 not found (also another
# organisation's objects), 409 conflict, 413 payload too large, 415 unsupported media type,
# 422 invalid, 429 rate limited, 503 unavailable (Retry-After).
ERROR_STATUSES: Final = ("400", "401", "403", "404", "409", "413", "415", "422", "429", "503")
_TITLES: Final = {
    "400": "Requête incorrecte",
    "401": "Authentification requise",
    "403": "Action non autorisée pour ce rôle",
    "404": "Introuvable",
    "409": "Conflit avec l'état actuel",
    "413": "Contenu trop volumineux",
    "415": "Type de contenu non pris en charge",
    "422": "Données invalides (chaque problème est listé dans issues)",
    "429": "Trop de requêtes (Retry-After)",
    "503": "Indisponible pour l'instant (Retry-After)",
}
PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; ``code`` is stable, ``title`` and ``detail`` are "
    "French",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "issues": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemIssue"}},
        "retry_after": {"type": "integer"},
        "request_id": {"type": "string"},
    },
}
ISSUE_SCHEMA: Final[dict[str, Any]] = {
    "title": "ProblemIssue",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "line": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "path": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}
_GENERATED_422: Final = ("HTTPValidationError", "ValidationError")


def describe_problems(app: FastAPI) -> None:
    """From now on ``app.openapi()`` declares problem+json for every error status."""

    generated = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_problems(generated())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` where every operation declares the error statuses as problem+json."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for generated in _GENERATED_422:
        schemas.pop(generated, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemIssue"] = ISSUE_SCHEMA
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                declared = responses.get(status, {})
                responses[status] = {
                    "description": _description(declared, status),
                    "content": {PROBLEM: _problem_content(declared)},
                }
    return document


def _description(declared: dict[str, Any], status: str) -> str:
    given = str(declared.get("description", ""))
    return given if given and given != "Validation Error" else _TITLES[status]


def _problem_content(declared: dict[str, Any]) -> dict[str, Any]:
    """The problem+json content, keeping an example a route gave for its own error."""
    content: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for media in declared.get("content", {}).values():
        if "example" in media:
            content["example"] = media["example"]
    return content


def files(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route that answers 200 with bytes of one of ``media_types`` (a
    download, an export), not JSON."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": "le fichier", "content": {m: binary for m in media_types}}}


def problem_for(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` declaring problem+json for statuses beyond the common ones (a protocol's
    own, e.g. Vitam's 412 for a missing tenant)."""
    return {
        status: {
            "description": "problème (RFC 9457)",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
