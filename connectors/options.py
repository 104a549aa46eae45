"""The options each connector kind reads from its ``[connectors.NAME]`` table, so that a
configuration file can refuse a key no connector reads (a misspelt ``poll_intervall`` would
otherwise leave the default in silence).

Kept apart from ``connectors.config`` so that checking a configuration imports no HTTP or SSH
library. A secret option ``NAME`` is written ``NAME_file`` or ``NAME_env``; ``NAME`` itself is
known too, so that its reader refuses it with the right message (never in clear). The switches
that would disable TLS verification are known for the same reason: they are refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping

REFUSED_SWITCHES = ("verify", "verify_tls", "insecure", "tls_verify")
_HTTP = ("read_timeout", "connect_timeout", "ca_bundle", "client_certificate", "client_key")
_HTTP_SECRETS = ("client_key_password",)
_DROP = ("outbox_dir", "replies_dir", "done_marker", "poll_interval", "max_reply_bytes")

# kind -> (plain options, secret options)
_OPTIONS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sae_http": (
        ("base_url", "poll_interval", "max_reply_bytes", "max_package_bytes", *_HTTP),
        ("token", *_HTTP_SECRETS),
    ),
    "vitam": (
        ("base_url", "tenant", "context_id", "admin_base_url", "poll_interval", "max_reply_bytes",
         *_HTTP),
        _HTTP_SECRETS,
    ),
    "asalae": (
        ("base_url", "username", "password_form", "poll_style", "attachments_format",
         "chunk_bytes", "chunked_above_bytes", "poll_interval", "max_reply_bytes", *_HTTP),
        ("password", *_HTTP_SECRETS),
    ),
    "maarch_rm": (
        ("base_url", "poll_interval", "max_base64_bytes", "max_reply_bytes", "manifest_filename",
         "schema", "user_agent", *_HTTP),
        ("token", *_HTTP_SECRETS),
    ),
    "drop_folder": (_DROP, ()),
    "sftp": (
        ("host", "port", "username", "private_key", "known_hosts", "host_key_sha256",
         "connect_timeout", "read_timeout", *_DROP),
        ("private_key_passphrase", "password"),
    ),
}  # fmt: skip


def kinds() -> tuple[str, ...]:
    return tuple(_OPTIONS)


def known_options(kind: object) -> frozenset[str] | None:
    """Every key a ``[connectors.NAME]`` table of ``kind`` may hold; None for an unknown kind
    (the connector's own check names it)."""
    if not isinstance(kind, str) or kind not in _OPTIONS:
        return None
    plain, secrets = _OPTIONS[kind]
    written = {f"{name}{suffix}" for name in secrets for suffix in ("", "_file", "_env")}
    return frozenset({"kind", *plain, *written, *REFUSED_SWITCHES})
