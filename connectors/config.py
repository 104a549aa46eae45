"""Connector settings as configured per archival agreement, and the registry that builds them.

An instance's ``config.toml`` holds one table per connector::

    [connectors.vitam-prod]
    kind = "vitam"
    base_url = "https://ingest.vitam.example"
    tenant = 1
    client_certificate = "/etc/gedsae/vitam-client.pem"
    client_key = "/etc/gedsae/vitam-client.key"
    ca_bundle = "/etc/gedsae/vitam-ca.pem"

Secrets never sit in that file or in logs: a secret option ``password`` is read from
``password_file`` (a path, its content stripped) or ``password_env`` (the name of an environment
variable), and a literal ``password = "…"`` is refused. TLS verification cannot be switched off:
``ca_bundle`` replaces the system trust store, it never disables the check (issue 6, item 6).
Every connector module exposes ``from_settings(settings, history) -> Connector``; the registry
imports the module on first use so that an instance without SFTP never imports paramiko.
"""

from __future__ import annotations

import importlib
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import httpx

from connectors.base import Connector, Exchange, Misconfiguration, PackageRules, Secret
from connectors.options import REFUSED_SWITCHES

KINDS: Mapping[str, str] = {
    "sae_http": "connectors.sae_http",
    "vitam": "connectors.vitam",
    "asalae": "connectors.asalae",
    "maarch_rm": "connectors.maarch",
    "drop_folder": "connectors.dropfolder",
    "sftp": "connectors.sftp",
}
_MISSING = object()


class ConnectorMisconfigured(Misconfiguration):
    """The connector's settings are incomplete or contradictory; nothing was sent."""

    code = "connector_misconfigured"


@dataclass(frozen=True)
class ConnectorSettings:
    """One ``[connectors.NAME]`` table, with typed accessors that say what is wrong."""

    name: str
    kind: str
    options: Mapping[str, Any]
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)

    @classmethod
    def from_table(
        cls, name: str, table: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> ConnectorSettings:
        kind = table.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            known = ", ".join(sorted(KINDS))
            raise ConnectorMisconfigured(
                f"connecteur {name} : kind {kind!r} inconnu (attendu : {known})"
            )
        for switch in REFUSED_SWITCHES:
            if switch in table:
                raise ConnectorMisconfigured(
                    f"connecteur {name} : {switch} refusé, la vérification TLS reste active "
                    "(donnez ca_bundle pour une autorité privée)"
                )
        options = {k: v for k, v in table.items() if k != "kind"}
        return cls(name, kind, options, dict(os.environ) if environ is None else environ)

    def _raw(self, key: str, default: object) -> Any:
        if key in self.options:
            return self.options[key]
        if default is _MISSING:
            raise ConnectorMisconfigured(f"connecteur {self.name} : option {key} manquante")
        return default

    def _wrong(self, key: str, expected: str) -> ConnectorMisconfigured:
        return ConnectorMisconfigured(
            f"connecteur {self.name} : option {key} invalide ({expected} attendu)"
        )

    def text(self, key: str, default: str | object = _MISSING) -> str:
        value = self._raw(key, default)
        if not isinstance(value, str) or not value:
            raise self._wrong(key, "texte non vide")
        return value

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if key in self.options else None

    def integer(self, key: str, default: int | object = _MISSING) -> int:
        value = self._raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "entier")
        return value

    def number(self, key: str, default: float | object = _MISSING) -> float:
        value = self._raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self._wrong(key, "nombre positif")
        return float(value)

    def flag(self, key: str, default: bool | object = _MISSING) -> bool:
        value = self._raw(key, default)
        if not isinstance(value, bool):
            raise self._wrong(key, "true ou false")
        return value

    def path(self, key: str, default: Path | object = _MISSING) -> Path:
        value = self._raw(key, default)
        if isinstance(value, Path):
            return value
        if not isinstance(value, str) or not value:
            raise self._wrong(key, "chemin")
        return Path(value).expanduser()

    def optional_path(self, key: str) -> Path | None:
        return self.path(key) if key in self.options else None

    def secret(self, key: str, *, required: bool = True) -> Secret | None:
        """``key_file`` or ``key_env``; a literal value is refused so it never lands in git."""
        if key in self.options:
            raise ConnectorMisconfigured(
                f"connecteur {self.name} : {key} ne s'écrit pas en clair, "
                f"utilisez {key}_file ou {key}_env"
            )
        if f"{key}_file" in self.options:
            path = self.path(f"{key}_file")
            try:
                return Secret(path.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise ConnectorMisconfigured(
                    f"connecteur {self.name} : {key}_file illisible ({path}) : {exc.strerror}"
                ) from exc
        if f"{key}_env" in self.options:
            variable = self.text(f"{key}_env")
            if variable not in self.environ:
                raise ConnectorMisconfigured(
                    f"connecteur {self.name} : variable d'environnement {variable} absente"
                )
            return Secret(self.environ[variable])
        if required:
            raise ConnectorMisconfigured(
                f"connecteur {self.name} : secret {key} manquant ({key}_file ou {key}_env)"
            )
        return None


def tls_context(settings: ConnectorSettings) -> ssl.SSLContext:
    """Verification always on: ``ca_bundle`` or the system store; optional client certificate
    (``client_certificate`` + ``client_key``, key password as the secret ``client_key_password``)."""
    ca_bundle = settings.optional_path("ca_bundle")
    try:
        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectorMisconfigured(
            f"connecteur {settings.name} : ca_bundle inutilisable ({ca_bundle}) : {exc}"
        ) from exc
    certificate = settings.optional_path("client_certificate")
    key = settings.optional_path("client_key")
    if (certificate is None) != (key is None):
        raise ConnectorMisconfigured(
            f"connecteur {settings.name} : client_certificate et client_key vont ensemble"
        )
    if certificate is not None and key is not None:
        password = settings.secret("client_key_password", required=False)
        try:
            context.load_cert_chain(
                str(certificate), str(key), password.reveal() if password else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConnectorMisconfigured(
                f"connecteur {settings.name} : certificat client inutilisable "
                f"({certificate}) : {exc}"
            ) from exc
    return context


def http_client(settings: ConnectorSettings, *, read_timeout: float = 300.0) -> httpx.Client:
    """The client every HTTP connector uses: verified TLS, bounded connect and read times."""
    timeout = httpx.Timeout(
        settings.number("read_timeout", read_timeout),
        connect=settings.number("connect_timeout", 15.0),
    )
    return httpx.Client(verify=tls_context(settings), timeout=timeout, follow_redirects=False)


class _Factory(Protocol):
    def __call__(self, settings: ConnectorSettings, history: list[Exchange]) -> Connector: ...


def package_rules(kind: str) -> PackageRules:
    """What packages a connector kind delivers (its module's ``PACKAGE_RULES``; any, else)."""
    module = importlib.import_module(KINDS[kind])
    rules = getattr(module, "PACKAGE_RULES", None)
    return rules if isinstance(rules, PackageRules) else PackageRules(kind)


def build(settings: ConnectorSettings, history: list[Exchange] | None = None) -> Connector:
    """The connector a ``[connectors.NAME]`` table describes."""
    module = importlib.import_module(KINDS[settings.kind])
    factory = cast(_Factory, module.from_settings)
    return factory(settings, [] if history is None else history)
