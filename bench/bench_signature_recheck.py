"""The repository's re-check of the signatures a SIP declares: documents per second.

    .venv/bin/python bench/bench_signature_recheck.py [--count 50]

A package holds ``count`` signed PDFs (PAdES, made here with pyHanko), each with its validation
report (``kernel.signing.report_file``) as the GED writes it. Timed:
``sae.ingest.signed_documents.recheck_signatures`` with the sandboxed verifier (one sandbox
worker, as ``gedsae-sae serve`` runs it), the worker started and warmed before the clock runs.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography import x509

from kernel.sandbox.pool import SandboxPool
from kernel.signing.documents.sandboxed import sandboxed_verifier
from kernel.signing.report_file import (
    REPORT_SUFFIX,
    DeclaredReport,
    DeclaredSignature,
    SignedDocument,
    dump_report,
)
from sae.ingest.manifest import ManifestFacts
from sae.ingest.signed_documents import recheck_signatures
from seda.package import open_package
from tests.fixtures import signatures as samples


def build(folder: Path, count: int, pki: samples.Pki, now: datetime) -> tuple[Path, ManifestFacts]:
    sip, facts = folder / "sip.zip", ManifestFacts()
    with zipfile.ZipFile(sip, "w") as archive:
        for n in range(1, count + 1):
            pdf = samples.signed_pdf(pki, pki.agent, text=f"Arrêté n° {n}")
            name, report = f"content/BDO_{n}.pdf", f"content/BDO_{n}_SR.json"
            declared = DeclaredReport(
                SignedDocument(f"AU_{n}", f"BDO_{n}", f"arrete-{n}.pdf", hashlib.sha512(pdf).hexdigest()),
                "valid", now.isoformat(), "bench",
                (DeclaredSignature("pades", "valid"),),
            )  # fmt: skip
            archive.writestr(name, pdf)
            archive.writestr(report, dump_report(declared))
            facts.objects[f"BDO_{n}"] = (name, f"arrete-{n}.pdf")
            facts.objects[f"BDO_{n}_SR"] = (report, f"arrete-{n}.pdf{REPORT_SUFFIX}")
    return sip, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    now = datetime.now(UTC)
    pki = samples.make_pki(now)
    anchors = [x509.load_pem_x509_certificate(pki.root.pem)]
    pool = SandboxPool(1)
    verify = sandboxed_verifier(pool)
    try:
        with tempfile.TemporaryDirectory() as folder:
            sip, facts = build(Path(folder), args.count, pki, now)
            with open_package(sip) as package:
                recheck_signatures(package, ManifestFacts(objects={}), anchors, verify, now)
                pool.call("kernel.signing.documents.verify:verify_file", "pdf", "/dev/null", (), now, None)  # fmt: skip
                started = time.perf_counter()
                _issues, verdicts = recheck_signatures(package, facts, anchors, verify, now)
                elapsed = time.perf_counter() - started
    finally:
        pool.close()
    agreed = sum(v.agrees for v in verdicts)
    print(f"== {args.count} signed PDFs, one sandbox worker")
    print(f"  re-check          {elapsed:.2f} s   {args.count / elapsed:.1f} documents/s")
    print(
        f"  per document      {elapsed / args.count * 1000:.0f} ms   ({agreed} found as declared)"
    )


if __name__ == "__main__":
    main()
