"""Content of an ArchiveUnit (SEDA 2.1 / 2.2 / 2.3): what a dossier's description carries (level,
title, description, producer, dates, keywords, identifiers, custodial history and events) is
written in schema order, valid against the official XSD, and read back to the same values."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    Content,
    CustodialHistoryItem,
    Event,
    Keyword,
    RawXml,
    TransferHeader,
)
from seda.reader import read_transfer
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from seda.writer import write_transfer

DOSSIER = Content(
    description_level="File",
    titles=("Marché de voirie 2019 — lot 3 <enrobés> & signalisation",),
    descriptions=("Pièces contractuelles et dossier d'exécution",),
    start_date="2019-03-01",
    end_date="2021-06-30",
    system_ids=("d5f1c2e0-7b7a-4c1e-9a59-0c1f4f7e2b11",),
    originating_agency_archive_unit_identifiers=("MP-2019-03",),
    custodial_history=(
        CustodialHistoryItem("Dossier constitué dans la GED du service", when="2019-03-01"),
        CustodialHistoryItem("Versé au service d'archives"),
    ),
    keywords=(
        Keyword("voirie", type="subject"),
        Keyword("Rennes", reference="FR-35238", type="geogname"),
        Keyword("marché public"),
    ),
    originating_agency="FR_DF",
    events=(
        Event("2019-03-01T09:00:00+01:00", type="created", detail="Dossier créé"),
        Event(
            "2021-06-30T17:30:00+02:00",
            identifier="EVT-2",
            type_code="CLOSE",
            type="closed",
            detail="Dossier clos",
            outcome="OK",
            outcome_detail="CLOSE.OK",
            outcome_detail_message="clôture par l'agent",
            detail_data='{"by": "agent-12"}',
        ),
        Event("2024-02-01", type="held", detail="Gel : contentieux"),
    ),
)


def _write_and_read(content: Content, version: SedaVersion, schema_dir: Path, tmp: Path) -> Content:
    header = TransferHeader(version, "MSG-C", Agency("AA"), Agency("TA"), datetime(2024, 5, 6))
    out = tmp / "manifest.xml"
    write_transfer(out, ArchiveTransfer(header, [], [ArchiveUnit("AU_1", content)]))
    report = validate_path(out, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, report.issues
    return next(iter(read_transfer(lambda: out.open("rb")).units)).content


@pytest.mark.parametrize("version", list(SedaVersion))
def test_a_dossier_description_is_valid_and_reads_back_the_same(
    version: SedaVersion, schema_dir: Path, tmp_path: Path
) -> None:
    again = _write_and_read(DOSSIER, version, schema_dir, tmp_path)
    # The producer comes back verbatim, where the repository's catalogue reads it today.
    agency = f'<OriginatingAgency xmlns="{version.namespace}"><Identifier>FR_DF</Identifier>'
    assert again.extra == (RawXml("OriginatingAgency", (agency + "</OriginatingAgency>").encode()),)
    assert dataclasses.replace(again, extra=(), originating_agency="FR_DF") == DOSSIER


def test_keywords_the_model_cannot_type_stay_verbatim_and_in_order(
    schema_dir: Path, tmp_path: Path
) -> None:
    ns = SedaVersion.V2_3.namespace
    with_lang = (
        f'<Keyword xmlns="{ns}"><KeywordContent xml:lang="fr">voirie</KeywordContent></Keyword>'
    )
    extra = (RawXml("Keyword", with_lang.encode()),)
    content = Content("File", ("Dossier",), extra=extra, keywords=())
    again = _write_and_read(content, SedaVersion.V2_3, schema_dir, tmp_path)
    assert again.keywords == ()
    assert [raw.name for raw in again.extra] == ["Keyword"]
    assert b'xml:lang="fr"' in again.extra[0].xml
