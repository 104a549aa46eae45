"""Pure parts of the imports: where an acte goes in the plan, how a délibération meets its
acte, what an IDActe and the TdT's file names look like."""

from __future__ import annotations

from datetime import date

import pytest

from ged.adapters.inbound.actes import FILE_NAME, ID_ACTE_RE
from ged.domain.inbound import LinkClaim, LinkSide, Profile, link_key, pair_links
from ged.services.inbound.model import InboundBundle
from ged.services.inbound.settings import InboundSettings


def acte_bundle(*plan_keys: str) -> InboundBundle:
    return InboundBundle(Profile.ACTES, "x", "t", "r", "d", date(2026, 1, 1), (), (), plan_keys)


def test_the_most_specific_plan_entry_wins() -> None:
    settings = InboundSettings.from_table(
        {"actes": {"plan": {"DE": "DELIB", "DE 7": "FIN", "DE 7.1": "BUDGET", "*": "ACTES"}}}
    )

    assert settings.plan_code(acte_bundle("DE 7.1", "DE 7", "DE", "*")) == ("BUDGET", None)
    assert settings.plan_code(acte_bundle("DE 7.2", "DE 7", "DE", "*")) == ("FIN", None)
    assert settings.plan_code(acte_bundle("DE 5.3", "DE 5", "DE", "*")) == ("DELIB", None)
    assert settings.plan_code(acte_bundle("AR 6.1", "AR 6", "AR", "*")) == ("ACTES", None)


def test_without_a_plan_table_actes_are_filed_outside_the_plan() -> None:
    assert InboundSettings.from_table({}).plan_code(acte_bundle("DE 7", "DE", "*")) == (None, None)


def test_an_acte_no_entry_classifies_gets_a_reason() -> None:
    settings = InboundSettings.from_table({"actes": {"plan": {"AR": "ARRETES"}}})

    code, issue = settings.plan_code(acte_bundle("DE 7", "DE", "*"))

    assert code is None and issue is not None and issue.code == "actes_no_plan_node"


def test_a_deliberation_meets_its_acte_by_number_and_decision_date_whichever_came_first() -> None:
    key = link_key(" 2026_014 ", date(2026, 1, 12))
    acte = LinkClaim("org", key, LinkSide.ACTE, "2026_014", "dossier-acte")
    deliberation = LinkClaim(
        "org",
        link_key("2026_014", date(2026, 1, 12)),
        LinkSide.DELIBERATION,
        "2026_014",
        "dossier-seance",
        "doc-delib",
    )
    other_day = LinkClaim(
        "org",
        link_key("2026_014", date(2025, 1, 12)),
        LinkSide.DELIBERATION,
        "2026_014",
        "dossier-seance-2025",
        "doc-2025",
    )

    links = pair_links([deliberation, other_day, acte])

    assert [(link.seance_dossier_id, link.acte_dossier_id) for link in links] == [
        ("dossier-seance", "dossier-acte")
    ]


@pytest.mark.parametrize(
    ("name", "typology", "flux", "n"),
    [
        ("034-491011698-20171207-CL20171227_06-DE-1-1_0.xml", None, "1-1", "0"),
        ("99_AU-034-491011698-20171207-CL20171227_06-DE-1-1_2.pdf", "99_AU", "1-1", "2"),
        ("CO_DE-02A-491011698-20171207-12-AR-1-1_1.pdf", "CO_DE", "1-1", "1"),
        ("034-491011698-20171207-CL20171227_06-DE-1-2.xml", None, "1-2", None),
    ],
)
def test_tdt_file_names_are_read_with_their_typology_prefix(
    name: str, typology: str | None, flux: str, n: str | None
) -> None:
    match = FILE_NAME.match(name)

    assert match is not None
    assert (match["typology"], match["flux"], match["n"]) == (typology, flux, n)


@pytest.mark.parametrize(
    "id_acte",
    [
        "034-49101169-20171207-CL01-DE",  # SIREN of 8 digits
        "134-491011698-20171207-CL01-DE",  # département starting with 1
        "034-491011698-2017127-CL01-DE",  # date of 7 digits
        "034-491011698-20171207-CL-01-DE",  # a dash in the number
        "034-491011698-20171207-ABCDEFGHIJKLMNOP-DE",  # a number of 16 characters
        "034-491011698-20171207-CL01-de",  # nature in lower case
    ],
)
def test_malformed_idactes_are_not_idactes(id_acte: str) -> None:
    assert ID_ACTE_RE.match(id_acte) is None
