"""SFTP connector: the drop-folder exchange of `connectors.dropfolder` on a remote host.

The algorithm (temporary name, rename, optional done marker, idempotency by SHA-256, replies
correlated by MessageIdentifier) is `dropfolder.DropBox`; this module only supplies the file
operations over SFTP (SSH File Transfer Protocol, draft-ietf-secsh-filexfer-02 as OpenSSH
implements it) with paramiko, and the SSH session around them:

- one SSH session per call (`submit`, `poll`, `check`), closed afterwards: the connector keeps
  no state between calls, like every connector;
- the host key is always verified, before any credential is sent: either against a
  `known_hosts` file (OpenSSH format, hashed names accepted, `[host]:port` for a port other than
  22) or against a pinned `host_key_sha256` fingerprint as `ssh-keygen -l` prints it
  (`SHA256:…`). Neither given is a configuration error; there is no "accept any key" switch;
- authentication by private key (``private_key`` path, passphrase as the secret
  ``private_key_passphrase``) or by the secret ``password``;
- the SIP is streamed in chunks with pipelined writes, then `fsync@openssh.com` (when the server
  has it) and `posix-rename@openssh.com` from the temporary name to the final one: the plain
  SFTP rename refuses to replace, and some servers implement it as copy-then-delete.

`check()` names the failure: ``remote_unavailable`` (no TCP connection or SSH negotiation),
``host_key_unknown`` / ``host_key_mismatch``, ``credentials_refused``, ``folder_missing``,
``not_a_folder``, ``permission_denied``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from posixpath import join as posix_join
from typing import Any, cast

import paramiko
from paramiko.sftp import CMD_EXTENDED
from paramiko.ssh_exception import IncompatiblePeer

from connectors.base import (
    ConnectorError,
    CredentialsRefused,
    Exchange,
    HealthReport,
    PollResult,
    ProtocolError,
    RemoteUnavailable,
    Secret,
    Submission,
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings
from connectors.dropfolder import DropBox, DropSettings, drop_settings
from connectors.files import FileStat, file_kind

NAME = "sftp"
DEFAULT_PORT = 22
_PREFETCH_REQUESTS = 64  # x 32 KiB per request


class HostKeyRefused(ConnectorError):
    """The server's host key is not the one we know (or we know none for it): nothing was sent.

    `code` is ``host_key_unknown`` or ``host_key_mismatch``."""

    code = "host_key_refused"


def fingerprint_sha256(key: paramiko.PKey) -> str:
    """The key's fingerprint as OpenSSH prints it: ``SHA256:`` + unpadded base64."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _normalised_pin(value: str) -> str:
    body = value.strip()
    if body.upper().startswith("SHA256:"):
        body = body[len("SHA256:") :]
    return "SHA256:" + body.rstrip("=")


@dataclass(frozen=True)
class HostKeyPolicy:
    """Exactly one of `known_hosts` and `pinned_sha256`."""

    known_hosts: Path | None = None
    pinned_sha256: str | None = None

    def __post_init__(self) -> None:
        if (self.known_hosts is None) == (self.pinned_sha256 is None):
            raise ValueError("donnez known_hosts ou host_key_sha256 (un seul des deux)")

    def known_types(self, label: str) -> set[str]:
        entries = self._entries(label)
        return set() if entries is None else set(entries.keys())

    def verify(self, label: str, key: paramiko.PKey) -> None:
        actual = fingerprint_sha256(key)
        if self.pinned_sha256 is not None:
            expected = _normalised_pin(self.pinned_sha256)
            if not hmac.compare_digest(actual, expected):
                raise HostKeyRefused(
                    f"clé d'hôte de {label} inattendue : {actual} (attendue {expected})",
                    code="host_key_mismatch",
                )
            return
        entries = self._entries(label)
        if entries is None:
            raise HostKeyRefused(
                f"{label} absent de {self.known_hosts} (clé présentée {actual})",
                code="host_key_unknown",
            )
        known = entries.get(key.get_name())
        if known is None or known.asbytes() != key.asbytes():
            raise HostKeyRefused(
                f"clé d'hôte de {label} différente de celle de {self.known_hosts} "
                f"(présentée {key.get_name()} {actual})",
                code="host_key_mismatch",
            )

    def _entries(self, label: str) -> Mapping[str, paramiko.PKey] | None:
        hosts = paramiko.HostKeys()
        assert self.known_hosts is not None
        try:
            hosts.load(str(self.known_hosts))
        except OSError as exc:
            raise ConnectorMisconfigured(
                f"known_hosts illisible ({self.known_hosts}) : {exc.strerror or exc}"
            ) from exc
        return hosts.lookup(label)


@dataclass(frozen=True)
class SftpEndpoint:
    """Where to connect and who we are; the credentials never appear in a repr."""

    host: str
    username: str
    host_keys: HostKeyPolicy
    port: int = DEFAULT_PORT
    private_key: paramiko.PKey | None = None
    password: Secret | None = None
    connect_timeout: float = 15.0
    read_timeout: float = 300.0

    def __post_init__(self) -> None:
        if (self.private_key is None) == (self.password is None):
            raise ValueError("donnez private_key ou password (un seul des deux)")

    def __repr__(self) -> str:
        return f"SftpEndpoint({self.username}@{self.label})"

    @property
    def label(self) -> str:
        """The name known_hosts files use for this endpoint."""
        return self.host if self.port == DEFAULT_PORT else f"[{self.host}]:{self.port}"

    def url(self, path: str) -> str:
        where = self.host if self.port == DEFAULT_PORT else f"{self.host}:{self.port}"
        return f"sftp://{where}{path if path.startswith('/') else '/' + path}"


class SftpFileSystem:
    """`files.FileSystem` over an open SFTP session."""

    def __init__(self, sftp: paramiko.SFTPClient, endpoint: SftpEndpoint) -> None:
        self.sftp = sftp
        self.endpoint = endpoint

    def url(self, path: str) -> str:
        return self.endpoint.url(path)

    def join(self, folder: str, name: str) -> str:
        return posix_join(folder, name)

    def stat(self, path: str) -> FileStat | None:
        try:
            found = self.sftp.stat(path)
        except FileNotFoundError:
            return None
        return FileStat(
            "other" if found.st_mode is None else file_kind(found.st_mode), found.st_size or 0
        )

    def names(self, folder: str) -> list[str]:
        return self.sftp.listdir(folder)

    def read(self, path: str, chunk_bytes: int) -> Iterator[bytes]:
        with self.sftp.open(path, "rb") as handle:
            # bounded read-ahead: an unbounded prefetch buffers as fast as the server sends
            handle.prefetch(max_concurrent_requests=_PREFETCH_REQUESTS)
            while chunk := handle.read(chunk_bytes):
                yield chunk

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        with self.sftp.open(path, "wb") as handle:
            handle.set_pipelined(True)
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            self._fsync(handle)

    def _fsync(self, handle: paramiko.SFTPFile) -> None:
        """OpenSSH's fsync@openssh.com extension; paramiko has no public call for it, and a
        server without the extension answers an error we can ignore (close still flushes)."""
        request = cast(Any, self.sftp)._request
        try:
            request(CMD_EXTENDED, "fsync@openssh.com", cast(Any, handle).handle)
        except OSError:
            return

    def rename(self, source: str, target: str) -> None:
        self.sftp.posix_rename(source, target)

    def remove(self, path: str) -> None:
        try:
            self.sftp.remove(path)
        except FileNotFoundError:
            return


def _preferred_key_types(offered: Iterable[str], known: set[str]) -> list[str]:
    """Ask the server for a key type we know first (its RSA key may be signed with SHA-2)."""

    def family(algorithm: str) -> str:
        return "ssh-rsa" if algorithm.startswith("rsa-sha2-") else algorithm

    offered = list(offered)
    return [a for a in offered if family(a) in known] + [
        a for a in offered if family(a) not in known
    ]


class SftpConnector:
    """Drops SIPs into a folder of an SFTP server and picks replies up from another."""

    name = NAME

    def __init__(
        self,
        endpoint: SftpEndpoint,
        settings: DropSettings,
        *,
        history: list[Exchange] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.history: list[Exchange] = [] if history is None else history
        self._clock = clock

    def __repr__(self) -> str:
        return f"SftpConnector({self.endpoint.username}@{self.endpoint.label})"

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        del transferring_agency, manifest_digest  # the package carries both
        sip.stat()  # a missing SIP is the caller's problem, found before connecting
        with self._session() as (box, _):
            return box.submit(sip, message_identifier)

    def poll(self, submission: Submission) -> PollResult:
        with self._session() as (box, _):
            return box.poll(submission)

    def check(self) -> HealthReport:
        remote = self.endpoint.url("/")
        try:
            with self._session() as (box, host_key):
                return box.check(remote, {"host_key": host_key})
        except ConnectorError as exc:
            return HealthReport.failed(NAME, remote, exc)

    @contextmanager
    def _session(self) -> Iterator[tuple[DropBox, str]]:
        """An authenticated SFTP session as a `DropBox`, with the host key it presented."""
        transport = self._connect()
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise ProtocolError("sous-système SFTP refusé par le serveur", code="sftp_refused")
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(self.endpoint.read_timeout)
            files = SftpFileSystem(sftp, self.endpoint)
            key = transport.get_remote_server_key()
            box = DropBox(NAME, files, self.settings, self.history, clock=self._clock)
            yield box, f"{key.get_name()} {fingerprint_sha256(key)}"
        except (paramiko.SSHException, EOFError) as exc:
            raise RemoteUnavailable(
                f"session SFTP interrompue ({self.endpoint.label}) : {exc or type(exc).__name__}"
            ) from exc
        finally:
            transport.close()

    def _connect(self) -> paramiko.Transport:
        endpoint = self.endpoint
        try:
            sock = socket.create_connection(
                (endpoint.host, endpoint.port), timeout=endpoint.connect_timeout
            )
        except OSError as exc:
            raise RemoteUnavailable(
                f"serveur SFTP injoignable ({endpoint.label}) : {exc.strerror or exc}"
            ) from exc
        transport = paramiko.Transport(sock)
        try:
            self._negotiate(transport)
            self._authenticate(transport)
        except BaseException:
            transport.close()
            raise
        return transport

    def _negotiate(self, transport: paramiko.Transport) -> None:
        endpoint = self.endpoint
        options = transport.get_security_options()
        if endpoint.host_keys.known_hosts is not None:
            known = endpoint.host_keys.known_types(endpoint.label)
            options.key_types = _preferred_key_types(options.key_types, known)
        try:
            transport.start_client(timeout=endpoint.connect_timeout)
        except IncompatiblePeer as exc:
            raise ProtocolError(
                f"négociation SSH impossible avec {endpoint.label} : {exc}",
                code="ssh_negotiation_failed",
            ) from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise RemoteUnavailable(
                f"négociation SSH échouée avec {endpoint.label} : {exc or type(exc).__name__}"
            ) from exc
        endpoint.host_keys.verify(endpoint.label, transport.get_remote_server_key())

    def _authenticate(self, transport: paramiko.Transport) -> None:
        endpoint = self.endpoint
        try:
            if endpoint.private_key is not None:
                remaining = transport.auth_publickey(endpoint.username, endpoint.private_key)
            else:
                assert endpoint.password is not None
                remaining = transport.auth_password(endpoint.username, endpoint.password.reveal())
        except paramiko.AuthenticationException as exc:
            raise CredentialsRefused(
                f"authentification refusée par {endpoint.label} pour {endpoint.username} : {exc}"
            ) from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise RemoteUnavailable(
                f"authentification interrompue ({endpoint.label}) : {exc or type(exc).__name__}"
            ) from exc
        if remaining or not transport.is_authenticated():
            raise CredentialsRefused(
                f"{endpoint.label} demande une authentification de plus ({', '.join(remaining)})"
            )


def _private_key(settings: ConnectorSettings) -> paramiko.PKey | None:
    path = settings.optional_path("private_key")
    if path is None:
        return None
    passphrase = settings.secret("private_key_passphrase", required=False)
    try:
        return paramiko.PKey.from_path(path, passphrase.reveal() if passphrase else None)
    except paramiko.PasswordRequiredException as exc:
        raise ConnectorMisconfigured(
            f"connecteur {settings.name} : la clé {path} demande private_key_passphrase"
        ) from exc
    except (paramiko.SSHException, OSError, ValueError) as exc:
        raise ConnectorMisconfigured(
            f"connecteur {settings.name} : clé privée inutilisable ({path}) : {exc}"
        ) from exc


def _host_keys(settings: ConnectorSettings) -> HostKeyPolicy:
    known_hosts = settings.optional_path("known_hosts")
    pinned = settings.optional_text("host_key_sha256")
    try:
        return HostKeyPolicy(known_hosts, pinned)
    except ValueError as exc:
        raise ConnectorMisconfigured(f"connecteur {settings.name} : {exc}") from exc


def from_settings(settings: ConnectorSettings, history: list[Exchange]) -> SftpConnector:
    """``host``, ``port`` (22), ``username``, ``known_hosts`` or ``host_key_sha256``,
    ``private_key`` (+ secret ``private_key_passphrase``) or secret ``password``,
    ``connect_timeout``, ``read_timeout``, and the drop-folder options (``outbox_dir``,
    ``replies_dir``: paths on the server; ``done_marker``, ``poll_interval``,
    ``max_reply_bytes``)."""
    key = _private_key(settings)
    password = None if key is not None else settings.secret("password", required=False)
    try:
        endpoint = SftpEndpoint(
            host=settings.text("host"),
            username=settings.text("username"),
            host_keys=_host_keys(settings),
            port=settings.integer("port", DEFAULT_PORT),
            private_key=key,
            password=password,
            connect_timeout=settings.number("connect_timeout", 15.0),
            read_timeout=settings.number("read_timeout", 300.0),
        )
    except ValueError as exc:
        raise ConnectorMisconfigured(f"connecteur {settings.name} : {exc}") from exc
    return SftpConnector(endpoint, drop_settings(settings), history=history)
