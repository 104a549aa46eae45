"""Package checks of a SIP: every `Uri` is in the package, no file is left unreferenced, sizes and
digests match (MessageDigest in hex or base64, algorithm as `SHA-512` or as an XML-DSig URI).
"""

from __future__ import annotations

import urllib.parse

from seda.digests import digest_matches, hash_chunks, hashlib_name, read_chunks
from seda.issues import Issue, Severity
from seda.package import PORTABLE_COMPONENT, Package
from seda.scan import BinaryRecord


def package_issues(package: Package, binaries: list[BinaryRecord]) -> list[Issue]:
    issues: list[Issue] = []
    referenced: set[str] = set()
    for record in binaries:
        member = _resolve(package, record.uri)
        if member is not None:
            referenced.add(member)
        issues.extend(_binary_issues(package, record, member))
    for name in package.entries:
        if name not in referenced and name != package.manifest_name:
            issues.append(
                Issue(
                    "package_file_unreferenced",
                    Severity.ERROR,
                    f"fichier du paquet absent du bordereau : {name}",
                )
            )
    issues.extend(_portability_warnings(package))
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


def _issue(code: str, message: str, record: BinaryRecord) -> Issue:
    return Issue(code, Severity.ERROR, message, record.line, record.xpath)


def _binary_issues(package: Package, record: BinaryRecord, member: str | None) -> list[Issue]:
    if not record.uri:
        return [_issue("package_uri_missing", f"objet {record.id} sans Uri", record)]
    if member is None:
        return [_issue("package_file_missing", f"fichier absent du paquet : {record.uri}", record)]
    if not record.digest:
        return [_issue("package_digest_missing", f"objet {record.id} sans MessageDigest", record)]
    algorithm = hashlib_name(record.algorithm)
    if algorithm is None:
        return [
            _issue(
                "package_digest_algorithm_unsupported",
                f"algorithme d'empreinte inconnu : {record.algorithm!r}",
                record,
            )
        ]
    with package.open(member) as stream:
        raw, size = hash_chunks(algorithm, read_chunks(stream))
    issues: list[Issue] = []
    if record.size is not None and record.size != size:
        issues.append(
            _issue(
                "package_size_mismatch",
                f"taille {size} au lieu de {record.size} déclarée : {member}",
                record,
            )
        )
    if not digest_matches(record.digest, raw):
        issues.append(
            _issue(
                "package_digest_mismatch",
                f"empreinte {record.algorithm} différente : {member}",
                record,
            )
        )
    return issues


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
