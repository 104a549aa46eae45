"""What the SEDA 1.0 writers need beyond the 2.x model: our rules in 1.0 terms (an AR code for an
access rule, a duration for an appraisal rule), the description language, and the code lists
the 1.0 schemas close attribute values to (MIME types, file formats).

Rule identifiers are those of the producer's referential; SEDA 1.0 has no referential, only
its code list of access restrictions and durations. An identifier that is itself a code of the
list (`AR048`) needs no translation; any other rule must be translated, or the message is
refused naming it (UnmappedRule) before it is written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from seda.errors import InvalidRule, UnmappedRule
from seda.safexml import secure_parser
from seda.v1.codes import ACCESS_RESTRICTIONS

_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?$")
_XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True)
class RuleTranslation:
    access: Mapping[str, str] = field(default_factory=dict)  # rule id → AR038…AR062
    appraisal: Mapping[str, str] = field(default_factory=dict)  # rule id → xs:duration, "P10Y"

    def access_code(self, rule_id: str) -> str:
        code = self.access.get(rule_id, rule_id)
        if code not in ACCESS_RESTRICTIONS:
            raise UnmappedRule(
                f"règle de communicabilité {rule_id} sans code SEDA 1.0 (AR038 à AR062) : "
                "message non écrit"
            )
        return code

    def duration(self, rule_id: str) -> str:
        duration = self.appraisal.get(rule_id)
        if duration is None:
            raise UnmappedRule(
                f"règle de durée d'utilité administrative {rule_id} sans durée SEDA 1.0 "
                "(par exemple P10Y) : message non écrit"
            )
        if not _DURATION.match(duration):
            raise InvalidRule(f"durée {duration!r} de la règle {rule_id} : P10Y, P6M… attendu")
        return duration


@dataclass(frozen=True)
class AttachmentCodes:
    """The values `Attachment/@mimeCode` and `@format` may take (IANA list of 2011, PRONOM
    identifiers of 2011): a value outside them is left out rather than making the message
    invalid. None: every value is written as given."""

    mime_types: frozenset[str] | None = None
    formats: frozenset[str] | None = None

    @classmethod
    def from_schemas(cls, schema_dir: Path) -> AttachmentCodes:
        """The two lists, read from the installed SEDA 1.0 schemas."""
        codes = schema_dir.resolve() / "1.0" / "v10" / "codes"
        return cls(
            _enumeration(codes / "IANA_MIMEMediaType_20110216.xsd"),
            _enumeration(codes / "seda_v1-0_filetype_code.xsd"),
        )

    def mime_type(self, value: str | None) -> str | None:
        return _kept(value, self.mime_types)

    def format(self, value: str | None) -> str | None:
        return _kept(value, self.formats)


def _kept(value: str | None, known: frozenset[str] | None) -> str | None:
    return value if value is None or known is None or value in known else None


@functools.lru_cache(maxsize=4)
def _enumeration(path: Path) -> frozenset[str]:
    tree = etree.parse(str(path), secure_parser())
    return frozenset(e.get("value") or "" for e in tree.iter(_XS + "enumeration"))


@dataclass(frozen=True)
class Seda1Options:
    """`attachment_codes` has no default on purpose: PDF 1.7 (fmt/276) and many recent formats
    are not in the 2011 lists, so a writer without them produces invalid messages;
    `AttachmentCodes.from_schemas(schema_dir)` is what a producer wants."""

    attachment_codes: AttachmentCodes
    rules: RuleTranslation = field(default_factory=RuleTranslation)
    language: str = "fra"  # DescriptionLanguage and Language (code list of ISO 639-3)
