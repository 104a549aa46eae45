"""One call that returns every issue of a SEDA message or SIP package.

Order of the checks: package safety (before reading anything), root namespace → version, one
streaming pass (ids, references and cycles, dates, and each object's Uri, size and digest against
the package), XSD (official lxml or Vitam xmlschema; for a large manifest, in that same pass),
files left unreferenced, then the archival profile (RELAX NG) given explicitly or declared by
`ArchivalProfile`.

SEDA 1.0 is checked when the caller accepts it (`ValidationOptions.seda_versions`): official XSD,
each `Document` against the package (file, `Integrity`, `Size` in bytes), files left
unreferenced, profile. By default only 2.1, 2.2 and 2.3 are accepted: a caller that cannot go on
with a 1.0 message gets it reported as an unsupported version, as before 1.0 was known here.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from seda.errors import NotSeda, SedaError, UnsupportedSedaVersion
from seda.idindex import IdIndex, MemoryIdIndex
from seda.issues import Issue, Severity, ValidationReport
from seda.package import DEFAULT_PACKAGE_LIMITS, Package, PackageLimits, is_package, open_package
from seda.package_checks import PackageChecker
from seda.profile import profile_issues
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe
from seda.scan import ScanResult, XsdStreamStopped, scan
from seda.schemaset import SchemaSetName
from seda.v1.scan import scan_v1
from seda.versions import (
    ALL_VERSIONS,
    AnyVersion,
    Seda1Version,
    SedaVersion,
    any_version_from_namespace,
)
from seda.xsdcheck import listed_after_stream, streaming_failure, streaming_schema, xsd_issues

SEDA_2_VERSIONS: tuple[AnyVersion, ...] = tuple(SedaVersion)
__all__ = ["ALL_VERSIONS", "SEDA_2_VERSIONS", "ValidationOptions", "peek_root", "validate_path"]


@dataclass(frozen=True)
class ValidationOptions:
    schema_dir: Path
    schema_set: SchemaSetName = "official"
    profile: Path | None = None
    # ArchivalProfile identifier → RELAX NG file, for profiles declared by the message.
    profiles: Mapping[str, Path] = field(default_factory=dict)
    xml_limits: XmlLimits = DEFAULT_XML_LIMITS
    package_limits: PackageLimits = DEFAULT_PACKAGE_LIMITS
    # A declared Size that differs from the file: a warning, as in Vitam (seda.package_checks).
    size_mismatch: Severity = Severity.WARNING
    # The versions the caller goes on with; ALL_VERSIONS adds SEDA 1.0.
    seda_versions: tuple[AnyVersion, ...] = SEDA_2_VERSIONS
    # Where each scan keeps the identifiers it meets (seda.idindex): in memory unless given.
    id_index: Callable[[], IdIndex] = MemoryIdIndex


def validate_path(path: Path, options: ValidationOptions) -> ValidationReport:
    """Validate a manifest (XML file) or a SIP package (zip, tar, tar.gz)."""
    report = ValidationReport(str(path))
    try:
        if is_package(path):
            with open_package(path, options.package_limits) as package:
                _validate_package(package, options, report)
        else:
            size = path.stat().st_size
            _validate_message(lambda: path.open("rb"), size, options, report, None)
    except SedaError as exc:
        report.add(_fatal(exc))
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
        # A member whose bytes do not match its CRC or cannot be inflated, met while reading.
        report.add(Issue("sip_corrupt_entry", Severity.FATAL, f"entrée corrompue : {exc}"))
    except OSError as exc:
        report.add(Issue("input_unreadable", Severity.FATAL, f"lecture impossible : {exc}"))
    return report


def _validate_package(
    package: Package, options: ValidationOptions, report: ValidationReport
) -> None:
    name = package.manifest_name
    if name is None:
        report.add(
            Issue(
                "sip_no_manifest",
                Severity.FATAL,
                "aucun bordereau (manifest.xml) à la racine du paquet",
            )
        )
        return
    size = package.entries[name]
    _validate_message(lambda: package.open(name), size, options, report, package)


def _validate_message(
    open_stream: Opener,
    size: int,
    options: ValidationOptions,
    report: ValidationReport,
    package: Package | None,
) -> None:
    namespace, report.message_type = peek_root(open_stream, options.xml_limits)
    version = _version(namespace, report, options.seda_versions)
    if version is None and report.refused:
        return
    if isinstance(version, Seda1Version):
        _validate_v1(open_stream, size, version, options, report, package)
        return
    result, checker, xsd = _scan(open_stream, namespace or "", size, version, options, package)
    report.issues.extend(result.issues)
    if version is not None and xsd is None:
        xsd = xsd_issues(
            open_stream,
            size,
            version,
            options.schema_dir,
            options.schema_set,
            options.xml_limits,
        )
    report.issues.extend(xsd or [])
    if checker is not None:
        report.issues.extend(checker.finish())
    _profile(open_stream, options, report, result)


def _scan(
    open_stream: Opener,
    namespace: str,
    size: int,
    version: SedaVersion | None,
    options: ValidationOptions,
    package: Package | None,
) -> tuple[ScanResult, PackageChecker | None, list[Issue] | None]:
    """Our checks, in the same pass as the XSD validation when the manifest is streamed.

    The XSD issues come back when that pass found them, None when XSD validation is still to
    do. A streamed XSD validation stops at its first error: the pass is then run again without
    the schema, so that every other issue is still reported, and a message small enough is
    validated again as a whole tree (None), for every XSD error (``seda.xsdcheck``)."""
    xsd: list[Issue] | None = None
    if version is not None:
        schema = streaming_schema(
            size, version, options.schema_dir, options.schema_set, options.xml_limits
        )
        if schema is not None:
            checker = _checker(package, options)
            try:
                return _run_scan(open_stream, namespace, options, checker, schema), checker, []
            except XsdStreamStopped as stopped:
                # Small enough: validated again as a tree below, for every error.
                if not listed_after_stream(size, options.xml_limits):
                    xsd = streaming_failure(str(stopped), stopped.line, version)
    checker = _checker(package, options)
    return _run_scan(open_stream, namespace, options, checker, None), checker, xsd


def _validate_v1(
    open_stream: Opener,
    size: int,
    version: Seda1Version,
    options: ValidationOptions,
    report: ValidationReport,
    package: Package | None,
) -> None:
    """SEDA 1.0: the documents against the package, the official XSD, leftovers, profile."""
    checker = _checker(package, options)
    on_binary = None if checker is None else checker.check
    result = scan_v1(open_stream, options.xml_limits, on_binary=on_binary)
    limits, schemas = options.xml_limits, options.schema_dir
    report.issues.extend(xsd_issues(open_stream, size, version, schemas, "official", limits))
    if checker is not None:
        report.issues.extend(checker.finish())
    _profile(open_stream, options, report, result)


def _checker(package: Package | None, options: ValidationOptions) -> PackageChecker | None:
    return None if package is None else PackageChecker(package, options.size_mismatch)


def _run_scan(
    open_stream: Opener,
    namespace: str,
    options: ValidationOptions,
    checker: PackageChecker | None,
    schema: etree.XMLSchema | None,
) -> ScanResult:
    return scan(
        open_stream,
        namespace,
        options.xml_limits,
        on_binary=None if checker is None else checker.check,
        schema=schema,
        # Vitam refuses a unit naming an object of a group (seda.refs); the official SEDA allows it.
        grouped_object_refs=Severity.ERROR if options.schema_set == "vitam" else Severity.WARNING,
        id_index=options.id_index,
    )


def _version(
    namespace: str | None, report: ValidationReport, accepted: tuple[AnyVersion, ...]
) -> AnyVersion | None:
    try:
        version = any_version_from_namespace(namespace)
        if version not in accepted:
            names = ", ".join(v.value for v in accepted)
            raise UnsupportedSedaVersion(
                f"version SEDA {version.value} non prise en charge ({names} attendue)"
            )
    except UnsupportedSedaVersion as exc:
        report.add(Issue(exc.code, Severity.ERROR, str(exc), 1))
        return None
    except NotSeda as exc:
        report.add(_fatal(exc))
        return None
    report.version = version.value
    return version


def _profile(
    open_stream: Opener, options: ValidationOptions, report: ValidationReport, result: ScanResult
) -> None:
    profile = options.profile
    declared = result.declared_profile
    if profile is None and declared is not None:
        profile = options.profiles.get(declared)
        if profile is None and options.profiles:
            report.add(
                Issue(
                    "profile_unknown",
                    Severity.WARNING,
                    f"profil d'archivage déclaré inconnu : {declared}",
                )
            )
    if profile is not None:
        report.issues.extend(profile_issues(open_stream, profile, options.xml_limits))


def peek_root(
    open_stream: Opener, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> tuple[str | None, str]:
    """Namespace and local name of the root element, reading only the document's start."""
    events = iterparse_safe(open_stream, ("start",), limits=limits)
    try:
        _event, root = next(events)
    except StopIteration:
        raise NotSeda("document vide") from None
    finally:
        events.close()
    qname = etree.QName(root)
    return qname.namespace, qname.localname


def _fatal(exc: SedaError) -> Issue:
    return Issue(exc.code, Severity.FATAL, str(exc), exc.line)
