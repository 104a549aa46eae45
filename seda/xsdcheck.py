"""XSD validation of a SEDA message against the official set (lxml, XSD 1.0) or Vitam's XSD 1.1
variant (xmlschema).

SEDA 2.x messages are validated against the official set while streaming, in bounded memory, in
the same pass as the validator's own checks (`streaming_schema` + `seda.scan.scan(schema=...)`):
libxml2 validates the parser's events, no tree is kept. That validation stops at the first
error, so a message it finds invalid is validated again as a whole tree when it is under
`XmlLimits.whole_tree_bytes`, which reports every error with its line and path; a larger one
reports its first error only. Only invalid messages pay for a tree: measured on 10,000 units
(bench/bench_seda.py), the whole tree costs 73 MB of peak RSS against 29 MB streamed, the same
0.3 s; xmlschema (even its lazy mode) 14 s and 94 MB, so it stays for Vitam's XSD 1.1 set only.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from lxml import etree

from seda.issues import Issue, Severity
from seda.safexml import (
    DEFAULT_XML_LIMITS,
    Opener,
    XmlLimits,
    iterparse_safe,
    line_of,
    log_entries,
    parse_document,
    release,
)
from seda.schemaset import SchemaSetName, official_schema, vitam_schema
from seda.versions import AnyVersion, Seda1Version, SedaVersion

# Subtrees freed once finished while streaming: 2.x units and objects, 1.0 objects and documents.
_RELEASED = (
    "ArchiveUnit",
    "BinaryDataObject",
    "PhysicalDataObject",
    "DataObjectGroup",
    "ArchiveObject",
    "Document",
)


def readable(message: str, version: AnyVersion) -> str:
    return message.replace("{" + version.namespace + "}", "")


def xsd_issues(
    open_stream: Opener,
    size: int,
    version: AnyVersion,
    schema_dir: Path,
    schema_set: SchemaSetName = "official",
    limits: XmlLimits = DEFAULT_XML_LIMITS,
) -> list[Issue]:
    """Every XSD issue of the message. Vitam has no SEDA 1.0 set: 1.0 is always checked against
    the official schemas."""
    if schema_set == "vitam" and isinstance(version, SedaVersion):
        return _vitam_issues(open_stream, version, schema_dir, limits)
    schema = official_schema(schema_dir, version)
    if size <= limits.whole_tree_bytes:
        return _whole_tree_issues(open_stream, schema, version, limits)
    return _streaming_issues(open_stream, schema, version, limits)


def _whole_tree_issues(
    open_stream: Opener, schema: etree.XMLSchema, version: AnyVersion, limits: XmlLimits
) -> list[Issue]:
    tree = parse_document(open_stream, limits)
    if schema.validate(tree):
        return []
    return [
        Issue(
            "xsd_invalid",
            Severity.ERROR,
            readable(e.message, version),
            e.line or None,
            e.path or None,
        )
        for e in log_entries(schema.error_log)
    ]


def streaming_schema(
    size: int,
    version: AnyVersion,
    schema_dir: Path,
    schema_set: SchemaSetName = "official",
    limits: XmlLimits = DEFAULT_XML_LIMITS,
) -> etree.XMLSchema | None:
    """The schema to validate with while streaming (official set), else None."""
    official = schema_set == "official" or isinstance(version, Seda1Version)
    if not official:
        return None
    return official_schema(schema_dir, version)


def listed_after_stream(size: int, limits: XmlLimits = DEFAULT_XML_LIMITS) -> bool:
    """Whether a message the stream found invalid is validated again whole, for every error."""
    return size <= limits.whole_tree_bytes


def streaming_failure(message: str, line: int | None, version: AnyVersion) -> list[Issue]:
    """The issues of a streaming validation stopped by its first XSD error (`line`: the last
    element finished before it, libxml2 giving none)."""
    return [
        Issue("xsd_invalid", Severity.ERROR, readable(message, version), line),
        Issue(
            "xsd_first_error_only",
            Severity.WARNING,
            "gros bordereau validé en flux : seule la première erreur XSD est signalée",
        ),
    ]


def _streaming_issues(
    open_stream: Opener, schema: etree.XMLSchema, version: AnyVersion, limits: XmlLimits
) -> list[Issue]:
    brace = "{" + version.namespace + "}"
    last: int | None = None
    try:
        for _event, el in iterparse_safe(
            open_stream, ("end",), schema=schema, limits=limits, tag=[brace + t for t in _RELEASED]
        ):
            last = line_of(el)
            release(el)
    except etree.XMLSyntaxError as exc:
        return streaming_failure(str(exc), last, version)
    return []


def _vitam_issues(
    open_stream: Opener, version: SedaVersion, schema_dir: Path, limits: XmlLimits
) -> list[Issue]:
    import xmlschema  # slow to import, only needed for this optional profile

    schema = vitam_schema(schema_dir, version)
    with open_stream() as stream:
        data = stream.read(limits.max_bytes + 1)
    resource = xmlschema.XMLResource(io.BytesIO(data), allow="none", defuse="always")
    return [_from_xmlschema(err, version) for err in schema.iter_errors(resource)]


def _from_xmlschema(err: Any, version: SedaVersion) -> Issue:
    line = getattr(err, "sourceline", None)
    return Issue(
        "xsd_invalid",
        Severity.ERROR,
        readable(str(err.reason or err.message), version),
        line if isinstance(line, int) else None,
        err.path,
    )
