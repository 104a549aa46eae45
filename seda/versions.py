"""SEDA versions and their namespaces (SEDA 1.0, 2.1, 2.2, 2.3, SIAF).

The root element's namespace is the only version marker of a SEDA message:
`fr:gouv:culture:archivesdefrance:seda:vX.Y`. Vitam extracts it with the same rule.

SEDA 1.0 (2012) has its own vocabulary (Archive / ArchiveObject / Document) and message shapes,
so it is a type of its own (`Seda1Version`): code written for the 2.x model takes a
`SedaVersion` and can never be handed 1.0 by mistake; code that handles both takes an
`AnyVersion`.
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


class Seda1Version(StrEnum):
    V1_0 = "1.0"

    @property
    def namespace(self) -> str:
        return NAMESPACE_PREFIX + self.value


SEDA_1_0 = Seda1Version.V1_0
AnyVersion = SedaVersion | Seda1Version
ALL_VERSIONS: tuple[AnyVersion, ...] = (SEDA_1_0, *_ORDER)


def any_version(value: str) -> AnyVersion:
    """The version named `value` ("1.0", "2.1", "2.2" or "2.3"); ValueError otherwise."""
    return SEDA_1_0 if value == SEDA_1_0.value else SedaVersion(value)


def any_version_from_namespace(namespace: str | None) -> AnyVersion:
    """Like `version_from_namespace`, SEDA 1.0 included."""
    if namespace == SEDA_1_0.namespace:
        return SEDA_1_0
    return version_from_namespace(namespace)


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


def qname(version: AnyVersion, local: str) -> str:
    """Clark notation `{namespace}local` of a SEDA element."""
    return f"{{{version.namespace}}}{local}"
