"""Escaped XML text for the SEDA writers: element text and attribute values, with any
character XML 1.0 cannot carry refused (InvalidXmlCharacter), so the output stays well-formed."""

from __future__ import annotations

import re

from seda.errors import InvalidXmlCharacter

# Characters XML 1.0 does not allow (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape_text(value: str) -> str:
    if not _SPECIAL.search(value):
        return value  # the common case: nothing to escape
    if _NOT_XML.search(value):
        raise InvalidXmlCharacter(f"caractère interdit en XML dans {value[:40]!r}")
    # \r is escaped so that it survives the parser's end-of-line normalisation.
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attr(value: str) -> str:
    return escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def element(name: str, value: str) -> str:
    return f"<{name}>{escape_text(value)}</{name}>"
