"""One call that returns every issue of a SEDA message or SIP package.

Order of the checks: package safety (before reading anything), root namespace → version, one
streaming pass (ids, references, objects, dates), XSD (official lxml or Vitam xmlschema),
references and cycles, package contents (Uri, unreferenced files, sizes, digests), then the
archival profile (RELAX NG) given explicitly or declared by `ArchivalProfile`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from seda.errors import NotSeda, SedaError, UnsupportedSedaVersion
from seda.issues import Issue, Severity, ValidationReport
from seda.package import DEFAULT_PACKAGE_LIMITS, Package, PackageLimits, is_package, open_package
from seda.package_checks import package_issues
from seda.profile import profile_issues
from seda.refs import reference_issues
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe
from seda.scan import ScanResult, scan
from seda.schemaset import SchemaSetName
from seda.versions import SedaVersion, version_from_namespace
from seda.xsdcheck import xsd_issues


@dataclass(frozen=True)
class ValidationOptions:
    schema_dir: Path
    schema_set: SchemaSetName = "official"
    profile: Path | None = None
    # ArchivalProfile identifier → RELAX NG file, for profiles declared by the message.
    profiles: Mapping[str, Path] = field(default_factory=dict)
    xml_limits: XmlLimits = DEFAULT_XML_LIMITS
    package_limits: PackageLimits = DEFAULT_PACKAGE_LIMITS


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
    size = package.entries[name].size
    _validate_message(lambda: package.open(name), size, options, report, package)


def _validate_message(
    open_stream: Opener,
    size: int,
    options: ValidationOptions,
    report: ValidationReport,
    package: Package | None,
) -> None:
    namespace, report.message_type = peek_root(open_stream, options.xml_limits)
    version = _version(namespace, report)
    if version is None and report.refused:
        return
    result = scan(open_stream, namespace or "", options.xml_limits)
    report.issues.extend(result.issues)
    if version is not None:
        report.issues.extend(
            xsd_issues(
                open_stream,
                size,
                version,
                options.schema_dir,
                options.schema_set,
                options.xml_limits,
            )
        )
    report.issues.extend(reference_issues(result))
    if package is not None:
        report.issues.extend(package_issues(package, result.binaries))
    _profile(open_stream, options, report, result)


def _version(namespace: str | None, report: ValidationReport) -> SedaVersion | None:
    try:
        version = version_from_namespace(namespace)
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
