"""OpenAPI links (OpenAPI 3.1 §4.8.20, Link Object) between the GED's operations: a dossier
created is then read, filled with a document, closed and transferred; a document filed is then
read, downloaded and given a new version. Clients follow them, and the API fuzzer walks these
sequences with real identifiers instead of guessing them.

The raw upload bodies are declared too (any media type, the bytes as they are): FastAPI cannot
see a body the route streams itself.
"""

from __future__ import annotations

from typing import Any, Final

_DOSSIER: Final = {"dossier_id": "$response.body#/id"}
_DOCUMENT: Final = {"document_id": "$response.body#/id"}


def _link(operation_id: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "description": description, **extra}


SERVICES_LISTED: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "les services de l'organisation",
        "links": {
            "CreerUnDossier": _link(
                "create_dossier_api_v1_dossiers_post",
                "créer un dossier dans le premier service",
                requestBody={"service_id": "$response.body#/0/id", "title": "Dossier"},
            )
        },
    }
}
DOSSIER_CREATED: Final[dict[int | str, dict[str, Any]]] = {
    201: {
        "description": "le dossier créé",
        "links": {
            "LireLeDossier": _link(
                "get_dossier_api_v1_dossiers__dossier_id__get",
                "lire le dossier",
                parameters=_DOSSIER,
            ),
            "DeposerUnDocument": _link(
                "upload_document_api_v1_dossiers__dossier_id__documents_post",
                "déposer un document dans le dossier",
                parameters=_DOSSIER,
            ),
            "ListerSesDocuments": _link(
                "list_dossier_documents_api_v1_dossiers__dossier_id__documents_get",
                "les documents du dossier",
                parameters=_DOSSIER,
            ),
            "CloreLeDossier": _link(
                "close_dossier_api_v1_dossiers__dossier_id__close_post",
                "clore le dossier",
                parameters=_DOSSIER,
            ),
            "VerserLeDossier": _link(
                "start_transfer_api_v1_transfers_post",
                "verser le dossier",
                requestBody={"agreement": "accord", "dossier_ids": ["$response.body#/id"]},
            ),
        },
    }
}
DOCUMENT_FILED: Final[dict[int | str, dict[str, Any]]] = {
    201: {
        "description": "le document déposé",
        "links": {
            "LireLeDocument": _link(
                "get_document_api_v1_documents__document_id__get",
                "lire le document",
                parameters=_DOCUMENT,
            ),
            "TelechargerLeDocument": _link(
                "download_api_v1_documents__document_id__content_get",
                "télécharger son contenu",
                parameters=_DOCUMENT,
            ),
            "AjouterUneVersion": _link(
                "upload_version_api_v1_documents__document_id__versions_post",
                "déposer une nouvelle version",
                parameters=_DOCUMENT,
            ),
            "ListerSesVersions": _link(
                "list_versions_api_v1_documents__document_id__versions_get",
                "les versions du document",
                parameters=_DOCUMENT,
            ),
        },
    }
}
RAW_UPLOAD: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "le fichier tel quel (Content-Type : son type ; Content-Length conseillé)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
