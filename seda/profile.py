"""Archival profiles (profils d'archivage): RELAX NG grammars over the whole SEDA message, as
written by SHERPA / cubicweb-seda and PASTIS, applied after XSD validation (as Vitam does)."""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from seda.issues import Issue, Severity
from seda.safexml import (
    DEFAULT_XML_LIMITS,
    Opener,
    XmlLimits,
    parse_bytes,
    parse_document,
)


def load_profile(path: Path) -> etree.RelaxNG:
    stat = path.stat()
    return _compile(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _compile(path: str, _mtime: int, _size: int) -> etree.RelaxNG:
    # The profile is input too: parsed with the same refusals as a message.
    return etree.RelaxNG(parse_bytes(Path(path).read_bytes()))


def profile_issues(
    open_stream: Opener, profile: Path, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> list[Issue]:
    try:
        grammar = load_profile(profile)
    except (OSError, etree.RelaxNGParseError, etree.XMLSyntaxError) as exc:
        return [Issue("profile_unreadable", Severity.ERROR, f"profil illisible {profile}: {exc}")]
    tree = parse_document(open_stream, limits)
    if grammar.validate(tree):
        return []
    return [
        Issue(
            "profile_invalid",
            Severity.ERROR,
            f"profil {profile.name} : {e.message}",
            e.line or None,
            e.path or None,
        )
        for e in grammar.error_log
    ]
