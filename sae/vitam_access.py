"""``[vitam]`` of ``sae.toml``: the mutual-TLS listener of the Vitam-compatible ingest
(``sae.api.vitam``) and who may send into which tenant::

    [vitam]
    port = 8443                         # beside the main port; TLS 1.2 or later
    certificate = "tls/server.pem"      # this listener's certificate and key
    key = "tls/server-key.pem"
    client_ca = "tls/clients-ca.pem"    # the authorities that issue the senders' certificates

    [vitam.tenants.1]                   # X-Tenant-Id 1 (Vitam's integer tenants)
    tenant = "FR_AD_35"                 # the repository's tenant it stands for
    clients = ["tls/ged-rennes.pem"]    # the certificates allowed to ingest there

A certificate is known by the SHA-256 of its DER form, computed when the file is read: renewing
a sender's certificate means replacing its file and restarting. Relative paths are relative to
the home; every mistake names the option.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sae.config import SaeMisconfigured, home_path


@dataclass(frozen=True)
class VitamTenant:
    tenant: str  # the repository's tenant
    clients: frozenset[str]  # SHA-256 of each allowed client certificate (DER), hex


@dataclass(frozen=True)
class VitamAccess:
    port: int
    certificate: Path
    key: Path
    client_ca: Path
    tenants: Mapping[int, VitamTenant]


def fingerprint(pem: str) -> str:
    """SHA-256 (hex) of a certificate's DER form."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def vitam_access(home: Path, table: Mapping[str, Any] | None) -> VitamAccess | None:
    if not table:
        return None
    where = f"{home / 'sae.toml'} [vitam]"
    files = {key: _file(home, table, key, where) for key in ("certificate", "key", "client_ca")}
    port = table.get("port")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise SaeMisconfigured(f"{where} : port (entier de 1 à 65535) requis")
    tenants = table.get("tenants", {})
    if not isinstance(tenants, dict) or not tenants:
        raise SaeMisconfigured(f"{where} : au moins une table [vitam.tenants.N] est requise")
    return VitamAccess(
        port,
        files["certificate"],
        files["key"],
        files["client_ca"],
        {
            _tenant_number(n, where): _tenant(home, t, f"{where}.tenants.{n}")
            for n, t in tenants.items()
        },
    )


def _tenant_number(name: str, where: str) -> int:
    if not name.lstrip("-").isdecimal():
        raise SaeMisconfigured(
            f"{where} : [vitam.tenants.{name}] : un entier est attendu (X-Tenant-Id)"
        )
    return int(name)


def _tenant(home: Path, table: Any, where: str) -> VitamTenant:
    if not isinstance(table, dict) or not isinstance(table.get("tenant"), str):
        raise SaeMisconfigured(f"{where} : tenant (identifiant du locataire) requis")
    clients = table.get("clients", [])
    if not isinstance(clients, list) or not all(isinstance(c, str) for c in clients):
        raise SaeMisconfigured(f"{where} : clients (liste de fichiers de certificats) attendue")
    return VitamTenant(table["tenant"], frozenset(_client(home, c, where) for c in clients))


def _client(home: Path, name: str, where: str) -> str:
    path = home_path(home, name)
    try:
        return fingerprint(path.read_text(encoding="ascii"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SaeMisconfigured(f"{where} : certificat {path} illisible ({exc})") from exc


def _file(home: Path, table: Mapping[str, Any], key: str, where: str) -> Path:
    if not isinstance(table.get(key), str):
        raise SaeMisconfigured(f"{where} : {key} (chemin d'un fichier PEM) requis")
    path = home_path(home, table[key])
    if not path.is_file():
        raise SaeMisconfigured(f"{where} : {key} : fichier {path} absent")
    return path
