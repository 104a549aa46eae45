"""What a ready SIP sent by a business application must satisfy before we sign and send it.

First the package as SEDA (``seda.validate``): package safety, the XSD of the agreement's SEDA
version, identifiers and references, each object's Uri, size and digest against the package,
files left unreferenced, and the agreement's RELAX NG profile when it names one. Then the
package against the agreement (SEDA 2.x §3.2.1, ArchiveTransfer): its ArchivalAgency,
TransferringAgency, ArchivalAgreement and ArchivalProfile are the agreement's, and every
OriginatingAgency it declares is a service the agreement covers and the caller files in. Every
problem is listed in one refusal (422); nothing is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ged.services.agreements import Agreement
from kernel.errors import InvalidError, Issue
from seda.issues import Severity
from seda.model import ArchiveTransfer, ArchiveUnit
from seda.package import open_package
from seda.reader import read_transfer
from seda.sip import MANIFEST
from seda.validate import ValidationOptions, validate_path

BLOCKING = frozenset({Severity.FATAL, Severity.ERROR})


class PackageRefused(InvalidError):
    code = "package_refused"
    title = "Paquet de versement refusé"


@dataclass(frozen=True)
class CheckedPackage:
    """What the transfer keeps of a package that passed: its MessageIdentifier and agencies."""

    message_identifier: str
    transferring_agency: str
    originating_agencies: frozenset[str]


def check_package(
    path: Path, agreement: Agreement, schema_dir: Path, services: frozenset[str]
) -> CheckedPackage:
    """The package's header once every check passed; ``services`` are the SEDA identifiers of
    the services the caller may send for under ``agreement``."""
    options = ValidationOptions(
        schema_dir=schema_dir,
        profile=agreement.profile_file,
        seda_versions=(agreement.seda_version,),
    )
    report = validate_path(path, options)
    issues = [
        Issue(i.code, i.message, line=i.line, path=i.xpath)
        for i in report.issues
        if i.severity in BLOCKING
    ]
    if report.refused:
        raise _refused(issues)
    transfer, manifest = _read(path)
    if manifest != MANIFEST:
        issues.append(
            Issue(
                "manifest_not_named",
                f"bordereau « {manifest} » : il doit s'appeler {MANIFEST}, à la racine du paquet",
                path=manifest,
            )
        )
    checked = CheckedPackage(
        transfer.header.message_identifier,
        transfer.header.transferring_agency.identifier,
        frozenset(originating_agencies(transfer)),
    )
    issues += list(_against_agreement(transfer, agreement))
    issues += list(_within_services(checked, services))
    if issues:
        raise _refused(issues)
    return checked


def _refused(issues: list[Issue]) -> PackageRefused:
    return PackageRefused(
        f"Paquet refusé : {len(issues)} problème(s), rien n'a été conservé ni envoyé",
        issues=issues,
    )


def _read(path: Path) -> tuple[ArchiveTransfer, str]:
    """The manifest read whole (its header, agencies and units), and its name in the package."""
    with open_package(path) as package:
        name = package.manifest_name or MANIFEST
        return read_transfer(lambda: package.open(name)), name


def originating_agencies(transfer: ArchiveTransfer) -> Iterator[str]:
    """Every OriginatingAgency the package declares: in its ManagementMetadata and in the
    content of any of its archive units."""
    declared = transfer.management_metadata.originating_agency_identifier
    if declared:
        yield declared
    yield from _in_units(transfer.units)


def _in_units(units: Iterable[ArchiveUnit]) -> Iterator[str]:
    for unit in units:
        if unit.content.originating_agency:
            yield unit.content.originating_agency
        yield from _in_units(unit.children)


def _against_agreement(transfer: ArchiveTransfer, agreement: Agreement) -> Iterator[Issue]:
    header = transfer.header
    expected = (
        ("ArchivalAgency", header.archival_agency.identifier, agreement.archival_agency),
        (
            "TransferringAgency",
            header.transferring_agency.identifier,
            agreement.transferring_agency,
        ),
        ("ArchivalAgreement", header.archival_agreement, agreement.archival_agreement),
        (
            "ArchivalProfile",
            transfer.management_metadata.archival_profile,
            agreement.archival_profile,
        ),
    )
    for element, found, wanted in expected:
        if wanted is not None and found != wanted:
            yield Issue(
                "package_outside_agreement",
                f"{element} : « {found or ''} » au lieu de « {wanted} » (accord {agreement.name})",
                path=element,
            )


def _within_services(checked: CheckedPackage, services: frozenset[str]) -> Iterator[Issue]:
    if not checked.originating_agencies:
        yield Issue(
            "originating_agency_missing",
            "le paquet ne nomme pas son service producteur (OriginatingAgencyIdentifier)",
            path="OriginatingAgencyIdentifier",
        )
    for agency in sorted(checked.originating_agencies - services):
        yield Issue(
            "originating_agency_outside",
            f"service producteur « {agency} » hors des services de l'accord ou de l'appelant",
            path="OriginatingAgency",
        )
