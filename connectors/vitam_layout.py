"""The SIP layout Vitam's ingest-external accepts, checked before anything is sent to it.

Contract, as read in the Vitam sources at 5e6acc2f (SafeFileChecker.java, VitamConstants.java
`MANIFEST_FILE_NAME_REGEX`) and summarised in shared/reference/connector-contracts-verified.md
("SIP layout"): one root manifest (`manifest.xml` or `<prefix>_manifest.xml`), folders under
`content/`, safe path components. The layout is checked from the zip's central directory before
anything is sent, so a refusal costs no upload.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from connectors.base import Misconfiguration

_MANIFEST = re.compile(r"^(?:[a-zA-Z0-9_-]{0,56}[_-])?manifest\.xml$")
_SAFE_COMPONENT = re.compile(r"^[a-zA-Z0-9\-_@]+(\.[a-zA-Z0-9\-_@]+)*$")


def sip_layout_problems(names: Iterable[str]) -> list[str]:
    """What Vitam would refuse in a SIP's entry names, each problem once, in order."""
    names = list(names)
    problems: list[str] = []
    root_files = [n for n in names if "/" not in n]
    manifests = [n for n in root_files if _MANIFEST.match(n)]
    if not manifests:
        problems.append("aucun manifest.xml (ou <préfixe>_manifest.xml) à la racine")
    if len(manifests) > 1:
        problems.append(f"plusieurs manifestes à la racine : {', '.join(manifests)}")
    problems += [
        f"fichier à la racine autre que le manifeste : {n}"
        for n in root_files
        if n not in manifests
    ]
    folders = {n.split("/", 1)[0] for n in names if "/" in n}
    problems += [
        f"dossier hors de content/ : {f}/" for f in sorted(folders) if f.lower() != "content"
    ]
    problems += [f"nom refusé par Vitam : {n}" for n in names if not _safe_path(n)]
    return problems


def refuse_unsafe_layout(sip: Path) -> None:
    """Raise `Misconfiguration` (`vitam_sip_layout`) before anything is sent: a package Vitam
    would refuse comes from the agreement's settings (a signature beside the manifest, a flat
    layout), not from the records. Reads only the zip's central directory."""
    try:
        with zipfile.ZipFile(sip) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        problems = [f"pas une archive zip lisible : {exc}"]
    else:
        problems = sip_layout_problems(names)
    if problems:
        raise Misconfiguration(
            f"SIP non envoyé : Vitam refuserait sa disposition ({len(problems)} problème(s) : "
            f"{' ; '.join(problems)}) — vérifier sign_package et sip_layout de l'accord",
            code="vitam_sip_layout",
            reasons=tuple(problems),
        )


def _safe_path(name: str) -> bool:
    components = name[:-1].split("/") if name.endswith("/") else name.split("/")
    return all(_SAFE_COMPONENT.match(c) for c in components)
