"""The SEDA 1.0 code lists kept as data agree with the official 1.0 schemas they cite, and
choose the access code a delay, its start point and its legal reference call for."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from seda.v1.codes import (
    ACCESS_RESTRICTIONS,
    APPRAISAL_CODES,
    DESCRIPTION_LEVELS,
    KEYWORD_TYPES,
    StartEvent,
    UnknownAccessCode,
    access_code,
    article_of,
    reply_label,
)

XS = "{http://www.w3.org/2001/XMLSchema}"


def _enumeration(schema_dir: Path, name: str) -> list[str]:
    tree = etree.parse(str(schema_dir / "1.0" / "v10" / "codes" / name))
    return [e.get("value") or "" for e in tree.iter(XS + "enumeration")]


def test_the_code_lists_are_those_of_the_official_schemas(schema_dir: Path) -> None:
    access = _enumeration(schema_dir, "seda_v1-0_accessrestriction_code.xsd")
    assert list(ACCESS_RESTRICTIONS) == access
    assert set(APPRAISAL_CODES.values()) == set(
        _enumeration(schema_dir, "seda_v1-0_appraisal_code.xsd")
    )
    levels = _enumeration(schema_dir, "seda_v1-0_descriptionlevel_code.xsd")
    assert set(DESCRIPTION_LEVELS.values()) == set(levels)
    assert set(_enumeration(schema_dir, "seda_v1-0_keywordtype_code.xsd")) == KEYWORD_TYPES


def test_each_access_code_states_the_delay_its_name_gives(schema_dir: Path) -> None:
    tree = etree.parse(
        str(schema_dir / "1.0" / "v10" / "codes" / "seda_v1-0_accessrestriction_code.xsd")
    )
    for enumeration in tree.iter(XS + "enumeration"):
        name = next(enumeration.iter("{*}Name")).text or ""
        restriction = ACCESS_RESTRICTIONS[enumeration.get("value") or ""]
        expected = None if name == "Illimitée" else int(name.split()[0])
        assert restriction.years == expected, restriction.code
        birth, death = "naissance" in name, "décès" in name
        start = StartEvent.BIRTH if birth else StartEvent.DEATH if death else StartEvent.DOCUMENT
        assert restriction.start is start, restriction.code
        text = " ".join(enumeration.itertext()).replace(", ", "")
        assert restriction.article[0] in text, restriction.code
        assert "".join(restriction.article[1:]) in text, restriction.code


@pytest.mark.parametrize(
    ("years", "start", "reference", "code"),
    [
        (0, StartEvent.DOCUMENT, "", "AR038"),
        (120, StartEvent.BIRTH, "", "AR061"),
        (None, StartEvent.DOCUMENT, "", "AR062"),
        (25, StartEvent.DOCUMENT, "Code du patrimoine, art. L213-2 I 1° b", "AR040"),
        (75, StartEvent.DOCUMENT, "Code du patrimoine, art. L213-2 I 4° b", "AR056"),
        (25, StartEvent.DEATH, "art. L. 213-2, I, 2", "AR043"),
        (50, StartEvent.DOCUMENT, "L213-2 I 1° c", "AR051"),
    ],
)
def test_a_delay_its_start_and_its_article_give_one_access_code(
    years: int | None, start: StartEvent, reference: str, code: str
) -> None:
    assert access_code(years, start, reference) == code


def test_a_delay_several_codes_share_is_refused_with_the_candidates() -> None:
    with pytest.raises(UnknownAccessCode, match=r"AR048.*AR049.*AR050"):
        access_code(50)
    with pytest.raises(UnknownAccessCode, match="aucun code"):
        access_code(30)


def test_references_are_read_as_articles_and_reply_codes_as_words() -> None:
    assert article_of("Code du patrimoine, art. L. 213-2, I, 4, e") == ("213-2", "I", "4", "e")
    assert article_of("CGCT, art. L2121-26") == ()
    assert reply_label("000") == "accepté"
    assert reply_label("305") == "non conforme à l'accord de versement"
    assert "inconnu" in reply_label("ZZZ")
