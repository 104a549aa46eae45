"""Archival profiles (profils d'archivage): RELAX NG grammars over the whole SEDA message, as
written by SHERPA / cubicweb-seda and PASTIS, applied after XSD validation (as Vitam does).

A profile comes from a file (``profile_issues``) or as bytes kept elsewhere, a repository's
database for instance (``grammar_issues``); either way it is parsed with the same refusals as a
message, and compiled once per content."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from lxml import etree

from seda.errors import SedaError
from seda.issues import Issue, Severity
from seda.safexml import (
    DEFAULT_XML_LIMITS,
    Opener,
    XmlLimits,
    parse_bytes,
    parse_document,
)


class ProfileUnreadable(ValueError):
    """Bytes that are not a RELAX NG grammar this library can compile."""


def load_profile(path: Path) -> etree.RelaxNG:
    stat = path.stat()
    return _compile(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _compile(path: str, _mtime: int, _size: int) -> etree.RelaxNG:
    # The profile is input too: parsed with the same refusals as a message.
    return etree.RelaxNG(parse_bytes(Path(path).read_bytes()))


def compile_grammar(grammar: bytes) -> etree.RelaxNG:
    """``ProfileUnreadable`` when ``grammar`` cannot be compiled (why is in the message)."""
    try:
        return _compile_bytes(hashlib.sha256(grammar).hexdigest(), grammar)
    except (etree.RelaxNGParseError, etree.XMLSyntaxError, SedaError) as exc:
        raise ProfileUnreadable(str(exc)) from exc


@functools.lru_cache(maxsize=64)
def _compile_bytes(_sha256: str, grammar: bytes) -> etree.RelaxNG:
    return etree.RelaxNG(parse_bytes(grammar))


def profile_issues(
    open_stream: Opener, profile: Path, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> list[Issue]:
    try:
        grammar = load_profile(profile)
    except (OSError, etree.RelaxNGParseError, etree.XMLSyntaxError) as exc:
        return [Issue("profile_unreadable", Severity.ERROR, f"profil illisible {profile}: {exc}")]
    return _validate(open_stream, grammar, profile.name, limits)


def grammar_issues(
    open_stream: Opener, grammar: bytes, name: str, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> list[Issue]:
    """``profile_issues`` for a profile given as bytes, named ``name`` in the messages."""
    try:
        compiled = compile_grammar(grammar)
    except ProfileUnreadable as exc:
        return [Issue("profile_unreadable", Severity.ERROR, f"profil illisible {name}: {exc}")]
    return _validate(open_stream, compiled, name, limits)


def _validate(
    open_stream: Opener, grammar: etree.RelaxNG, name: str, limits: XmlLimits
) -> list[Issue]:
    tree = parse_document(open_stream, limits)
    if grammar.validate(tree):
        return []
    return [
        Issue(
            "profile_invalid",
            Severity.ERROR,
            f"profil {name} : {e.message}",
            e.line or None,
            e.path or None,
        )
        for e in grammar.error_log
    ]
