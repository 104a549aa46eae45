"""SEDA versions and their namespaces (SEDA 2.1 / 2.2 / 2.3, SIAF).

The root element's namespace is the only version marker of a SEDA message:
`fr:gouv:culture:archivesdefrance:seda:vX.Y`. Vitam extracts it with the same rule.
"""

from __future__ import annotations

import re
from enum import StrEnum

from seda.errors import NotSeda, UnsupportedSedaVersion

NAMESPACE_PREFIX = "fr:gouv:culture:archivesdefrance:seda:v"
_NAMESPACE_RE = re.compile(r"^fr:gouv:culture:archivesdefrance:seda:v([0-9]+(?:\.[0-9]+)*)$")


class SedaVersion(StrEnum):
    V2_1 = "2.1"
    V2_2 = "2.2"
    V2_3 = "2.3"

    @property
    def namespace(self) -> str:
        return NAMESPACE_PREFIX + self.value

    def at_least(self, other: SedaVersion) -> bool:
        return _ORDER.index(self) >= _ORDER.index(other)


_ORDER = (SedaVersion.V2_1, SedaVersion.V2_2, SedaVersion.V2_3)


def version_from_namespace(namespace: str | None) -> SedaVersion:
    """The SedaVersion of a root namespace; NotSeda or UnsupportedSedaVersion otherwise."""
    match = _NAMESPACE_RE.match(namespace or "")
    if match is None:
        raise NotSeda(f"l'élément racine n'est pas dans un espace de noms SEDA ({namespace!r})")
    try:
        return SedaVersion(match.group(1))
    except ValueError:
        raise UnsupportedSedaVersion(
            f"version SEDA {match.group(1)} non prise en charge (2.1, 2.2 ou 2.3 attendue)"
        ) from None


def qname(version: SedaVersion, local: str) -> str:
    """Clark notation `{namespace}local` of a SEDA element."""
    return f"{{{version.namespace}}}{local}"
