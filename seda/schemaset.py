"""Loading and caching of the XSD sets used to validate SEDA messages.

Layout of a schema folder (what `gedsae schemas install` writes, and also the layout of the
corpus folder `shared/seda/xsd/`):
`<dir>/<version>/seda-<version>-main.xsd` for the official 2.x sets and `<dir>/1.0/seda_v1-0.xsd`
for SEDA 1.0 (all XSD 1.0, validated with lxml),
`<dir>/<version>-vitam-server/*-main.xsd` for Vitam's XSD 1.1 variants (validated with xmlschema),
and optionally `<dir>/catalog.xml`, an OASIS catalog mapping the absolute W3C addresses imported
by the official schemas to local copies. No schema is ever fetched from the network.
Each set is compiled once per process.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from seda.errors import SchemaUnavailable
from seda.safexml import secure_parser
from seda.versions import AnyVersion, Seda1Version, SedaVersion

SchemaSetName = Literal["official", "vitam"]
CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


class _CatalogResolver(etree.Resolver):
    """Maps absolute schema addresses to local files; anything unmapped stays unresolved."""

    def __init__(self, mapping: dict[str, str]) -> None:
        super().__init__()
        self._mapping = mapping

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        local = self._mapping.get(system_url)
        if local is None:
            return None
        # lxml-stubs lack resolve_filename and the context argument of resolve().
        return self.resolve_filename(local, context)  # type: ignore[attr-defined]


def read_catalog(catalog: Path) -> dict[str, str]:
    """`uri`/`system` entries of an OASIS XML catalog, as absolute local paths."""
    if not catalog.is_file():
        return {}
    root = etree.parse(str(catalog), secure_parser()).getroot()
    mapping: dict[str, str] = {}
    for entry in root.iter(f"{{{CATALOG_NS}}}uri", f"{{{CATALOG_NS}}}system"):
        name = entry.get("name") or entry.get("systemId")
        target = entry.get("uri")
        if name and target:
            mapping[name] = str((catalog.parent / target).resolve())
    return mapping


def official_main(schema_dir: Path, version: AnyVersion) -> Path:
    if isinstance(version, Seda1Version):
        return schema_dir / version.value / "seda_v1-0.xsd"  # includes every 1.0 message
    return schema_dir / version.value / f"seda-{version.value}-main.xsd"


def vitam_main(schema_dir: Path, version: SedaVersion) -> Path:
    found = sorted((schema_dir / f"{version.value}-vitam-server").glob("*-main.xsd"))
    if not found:
        raise SchemaUnavailable(
            f"jeu XSD Vitam {version.value} absent de {schema_dir} "
            f"(attendu : {version.value}-vitam-server/*-main.xsd)"
        )
    return found[0]


def official_schema(schema_dir: Path, version: AnyVersion) -> etree.XMLSchema:
    """The compiled official XSD of `version` (lxml, XSD 1.0), cached per process."""
    return _compile_official(str(schema_dir.resolve()), version)


@functools.lru_cache(maxsize=16)
def _compile_official(schema_dir: str, version: AnyVersion) -> etree.XMLSchema:
    main = official_main(Path(schema_dir), version)
    if not main.is_file():
        raise SchemaUnavailable(
            f"XSD SEDA {version.value} absent : {main} (lancer « gedsae schemas install »)"
        )
    parser = secure_parser()
    parser.resolvers.add(_CatalogResolver(read_catalog(Path(schema_dir) / "catalog.xml")))
    try:
        return etree.XMLSchema(etree.parse(str(main), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise SchemaUnavailable(f"XSD SEDA {version.value} illisible : {exc}") from exc


def vitam_schema(schema_dir: Path, version: SedaVersion) -> Any:
    """Vitam's XSD 1.1 variant, compiled with xmlschema (lax: see shared/seda/README.md §2)."""
    return _compile_vitam(str(schema_dir.resolve()), version)


@functools.lru_cache(maxsize=8)
def _compile_vitam(schema_dir: str, version: SedaVersion) -> Any:
    import xmlschema  # slow to import, only needed for this optional profile

    main = vitam_main(Path(schema_dir), version)
    return xmlschema.XMLSchema11(str(main), allow="sandbox", validation="lax")
