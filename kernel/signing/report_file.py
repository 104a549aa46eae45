"""The validation report of a signed document, as a file of the SIP (machine-readable JSON).

The GED writes one per signed document version it transfers (a BinaryDataObject whose file name
ends with ``REPORT_SUFFIX``, in a unit under the signed document's); the repository reads it back
at ingest to compare its own verification with the declared one. The statuses are the ETSI
EN 319 102-1 §5 indications (TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE) as ``valid``,
``invalid``, ``indeterminate``; reasons are stable codes.

    {"format": "gedsae/signature-report/1",
     "document": {"unit": "AU_1", "object": "BDO_1", "filename": "arrete.pdf", "sha512": "…"},
     "status": "valid", "checked_at": "2024-03-02T08:30:00+00:00", "trust_anchors": "…",
     "signatures": [{"format": "pades", "status": "valid", "reasons": [], "messages": [],
                     "signer": "…", "signing_time": "…", "timestamp_time": null,
                     "detached_signature_unit": null, "detached_signature_object": null}]}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Final

REPORT_FORMAT: Final = "gedsae/signature-report/1"
REPORT_SUFFIX: Final = ".rapport-signatures.json"
MAX_REPORT_BYTES: Final = 1024 * 1024
STATUSES: Final = ("valid", "invalid", "indeterminate", "none")


@dataclass(frozen=True)
class DeclaredSignature:
    format: str  # pades, cades, xades
    status: str
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    signer: str | None = None
    signing_time: str | None = None
    timestamp_time: str | None = None
    detached_signature_unit: str | None = None  # the unit of the .p7s, for a detached CAdES
    detached_signature_object: str | None = None  # and its BinaryDataObject


@dataclass(frozen=True)
class SignedDocument:
    unit: str
    object: str
    filename: str
    sha512: str


@dataclass(frozen=True)
class DeclaredReport:
    document: SignedDocument
    status: str
    checked_at: str
    trust_anchors: str
    signatures: tuple[DeclaredSignature, ...]


def dump_report(report: DeclaredReport) -> bytes:
    body = {"format": REPORT_FORMAT, **asdict(report)}
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"


def load_report(data: bytes) -> DeclaredReport:
    """The report a file holds; ``ValueError`` for anything else (another format, a missing
    field, an unknown status)."""
    if len(data) > MAX_REPORT_BYTES:
        raise ValueError("rapport de signature trop volumineux")
    try:
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("format") != REPORT_FORMAT:
            raise ValueError(f"format {REPORT_FORMAT} attendu")
        report = DeclaredReport(
            SignedDocument(**body["document"]),
            _status(body["status"]),
            str(body["checked_at"]),
            str(body["trust_anchors"]),
            tuple(_signature(s) for s in body["signatures"]),
        )
    except (KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"rapport de signature illisible : {exc}") from exc
    return report


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise ValueError(f"statut de signature inconnu : {value!r}")
    return str(value)


def _signature(body: dict[str, Any]) -> DeclaredSignature:
    return DeclaredSignature(
        format=str(body["format"]),
        status=_status(body["status"]),
        reasons=tuple(body.get("reasons", ())),
        messages=tuple(body.get("messages", ())),
        signer=body.get("signer"),
        signing_time=body.get("signing_time"),
        timestamp_time=body.get("timestamp_time"),
        detached_signature_unit=body.get("detached_signature_unit"),
        detached_signature_object=body.get("detached_signature_object"),
    )
