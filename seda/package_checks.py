"""Package checks of a SIP: every `Uri` is in the package, no file is left unreferenced, sizes and
digests match (MessageDigest in hex or base64, algorithm as `SHA-512` or as an XML-DSig URI).

Objects are checked one by one as the manifest is scanned (`PackageChecker.check` is the scan's
callback), so nothing is kept per object but which members are not referenced yet (a byte per
member of a zip, `Package.files_left`).

Severity of a wrong declared `Size` (`package_size_mismatch`): a **warning** by default. The
digest is what proves that the file is the one described, and a digest mismatch stays an error;
`Size` is descriptive metadata (optional in the XSD), and Vitam, which every French transfer
chain must satisfy, only warns on it at ingest and records the measured size. A repository that
wants it to be blocking passes `size_mismatch=Severity.ERROR` (see `ValidationOptions`).
"""

from __future__ import annotations

import urllib.parse

from seda.digests import digest_matches, hash_chunks, hashlib_name
from seda.issues import Issue, Severity
from seda.package import PORTABLE_COMPONENT, Package
from seda.scan import BinaryRecord
from seda.sip import SIGNATURE_SUFFIX


class PackageChecker:
    """Checks each binary object against the package, then reports the leftovers."""

    def __init__(self, package: Package, size_mismatch: Severity = Severity.WARNING) -> None:
        self.package = package
        self.size_mismatch = size_mismatch
        self.issues: list[Issue] = []
        self._unreferenced = package.files_left()
        self._unreferenced.discard(package.manifest_name or "")
        # the manifest's detached signature (seda.sip), checked by the repository, not here
        self._unreferenced.discard((package.manifest_name or "") + SIGNATURE_SUFFIX)

    def check(self, record: BinaryRecord) -> None:
        member = _resolve(self.package, record.uri)
        if member is not None:
            self._unreferenced.discard(member)
        self.issues.extend(self._binary_issues(record, member))

    def finish(self) -> list[Issue]:
        """Every issue found, plus the files no object referenced (in package order)."""
        for name in self.package.entries:
            if name in self._unreferenced:
                self.issues.append(
                    Issue(
                        "package_file_unreferenced",
                        Severity.ERROR,
                        f"fichier du paquet absent du bordereau : {name}",
                    )
                )
        self.issues.extend(_portability_warnings(self.package))
        return self.issues

    def _binary_issues(self, record: BinaryRecord, member: str | None) -> list[Issue]:
        if not record.uri:
            return [_issue("package_uri_missing", f"objet {record.id} sans Uri", record)]
        if member is None:
            message = f"fichier absent du paquet : {record.uri}"
            return [_issue("package_file_missing", message, record)]
        if not record.digest:
            message = f"objet {record.id} sans MessageDigest"
            return [_issue("package_digest_missing", message, record)]
        algorithm = hashlib_name(record.algorithm)
        if algorithm is None:
            message = f"algorithme d'empreinte inconnu : {record.algorithm!r}"
            return [_issue("package_digest_algorithm_unsupported", message, record)]
        raw, size = hash_chunks(algorithm, self.package.chunks(member))
        issues: list[Issue] = []
        if record.size is not None and record.size != size:
            message = f"taille {size} au lieu de {record.size} déclarée : {member}"
            issues.append(_issue("package_size_mismatch", message, record, self.size_mismatch))
        if not digest_matches(record.digest, raw):
            message = f"empreinte {record.algorithm} différente : {member}"
            issues.append(_issue("package_digest_mismatch", message, record))
        return issues


def _resolve(package: Package, uri: str | None) -> str | None:
    if not uri:
        return None
    for candidate in (uri, urllib.parse.unquote(uri)):
        while candidate.startswith("./"):
            candidate = candidate[2:]
        if candidate in package.entries:
            return candidate
    return None


def _issue(
    code: str, message: str, record: BinaryRecord, severity: Severity = Severity.ERROR
) -> Issue:
    return Issue(code, severity, message, record.line, record.xpath)


def _portability_warnings(package: Package) -> list[Issue]:
    odd = [n for n in package.entries if not all(PORTABLE_COMPONENT.match(p) for p in n.split("/"))]
    if not odd:
        return []
    sample = ", ".join(odd[:3])
    return [
        Issue(
            "package_name_not_portable",
            Severity.WARNING,
            f"{len(odd)} nom(s) d'entrée refusé(s) par Vitam (ex. : {sample})",
        )
    ]
