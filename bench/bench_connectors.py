"""Does every connector stream its upload? (issue 6, item 6: "a 5 GiB SIP never sits in memory")

One large SIP (default 1 GiB, ``--size``: a real zip, ``manifest.xml`` + one incompressible
binary under ``content/``, built by ``seda.disk_import.transfer_from_directory`` and
``seda.sip.write_sip``) goes through ``submit()`` of each connector, each in its own child
process (``--child KIND``) that reports its own peak RSS: ``VmHWM`` from /proc/self/status, not
``ru_maxrss``, which Linux floors at the forking parent's RSS (see `peak_rss_mib`):

- ``sae_http``, ``vitam`` (https base URL: nothing opens a socket), ``maarch_rm`` (the SIP as
  base64 inside a JSON body; its ``max_base64_bytes`` is raised to fit, the default 256 MiB
  would refuse a 1 GiB SIP before reading it), and ``asalae`` three ways: the zip in one multipart
  request, the zip in 2 MiB chunks, and Pastell's default (the SIP repacked as tar.gz, then
  2 MiB chunks). Their remote is scripted in the child with a transport that hands the handler
  the request **with its body unread** — ``httpx.MockTransport`` itself calls ``request.read()``
  before its handler (httpx 0.28, ``_transports/mock.py``), which would buffer the whole SIP and
  hide the very thing measured. The handler iterates ``request.stream``, parses what it needs as
  it arrives (multipart, the base64 string, gzip + tar), hashes and discards, and answers what
  the connector's contract expects.
- ``drop_folder``: the outbox is a folder on the same disk; this one copies the SIP (fsync'ed).
- ``sftp`` is not measured: it needs a running sshd.

After ``submit()`` returns, the child checks that the remote received exactly the SIP's bytes
(SHA-256 and size; for the tar.gz the SHA-256 of every member against the SIP's members, for
Maarch the decoded base64), so a connector that truncates or buffers cannot look fast. The time
is ``submit()`` alone, remote included: the ``remote s`` column is the handler's own share
(its parsing and hashing; the rest is the connector reading, hashing and encoding).
``RSS before submit`` is the child's peak just before ``submit()`` (interpreter, httpx, lxml, the
connector: ~38 MiB); ``peak − before`` is what ``submit()`` itself added, the figure that must not
grow with ``--size``. ``RSS − ref RSS`` is against the bare reference interpreter, imports
included.

References in the same run: a bare Python process reading the SIP 1 MiB at a time and hashing it
with hashlib SHA-256 (the floor any streaming reader costs; the ratios use it), ``cp SIP
/dev/null`` (the read), and ``cp SIP COPY && sync`` (the durable-copy floor, for drop_folder).
Page cache warm (the SIP was just written). Absolute times drift by ±30 % on this machine type
(shared/reference/performance-anchors.md): read the ratios and the RSS. Not collected by pytest.

    .venv/bin/python bench/bench_connectors.py [--size 1G] [--only sae_http,vitam] [--dir DIR]
"""

from __future__ import annotations

import argparse
import binascii
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_blobstore import MIB, make_big_file, parse_size

if TYPE_CHECKING:
    from connectors.base import Connector

MESSAGE_IDENTIFIER = "BENCH-CONNECTORS-1"
AGENCY = "SERVICE-A"
CHUNK_BYTES = 2 * MIB  # As@lae's chunk size (Pastell's 2,097,152)
SMALL_PART_LIMIT = 16 * MIB  # a form field or the manifest; anything larger is not one
KINDS = {
    "sae_http": "sae_http",
    "vitam": "vitam",
    "asalae_single": "asalae zip, one request",
    "asalae_chunked": "asalae zip, 2 MiB chunks",
    "asalae_targz": "asalae tar.gz+2 MiB chunks (default)",
    "maarch_rm": "maarch_rm (base64 in JSON)",
    "drop_folder": "drop_folder (copy+fsync)",
}

# The floor: a bare interpreter (no httpx, no connector imported) reading and hashing the SIP.
REFERENCE_SCRIPT = """
import hashlib, json, sys, time
began = time.perf_counter()
digest = hashlib.sha256()
with open(sys.argv[1], "rb") as handle:
    while chunk := handle.read(1024 * 1024):
        digest.update(chunk)
seconds = time.perf_counter() - began
status = open("/proc/self/status").read().split("VmHWM:")[1]
peak = int(status.split()[0]) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mib": peak, "check": digest.hexdigest()}))
"""


class ReceivedBytesDiffer(Exception):
    """The remote did not receive what the SIP holds (or not in the form the contract says)."""


@dataclass(frozen=True)
class Expected:
    """What the remote must receive, computed once by the parent from the SIP."""

    sip_sha256: str
    sip_size: int
    manifest_sha256: str
    members: dict[str, str]  # every member but the manifest → SHA-256


def peak_rss_mib() -> float:
    """This program's peak RSS since its exec (VmHWM). Not ``ru_maxrss``: Linux carries the
    forking parent's RSS into a child's ``ru_maxrss`` across fork + exec (a child of a 300 MiB
    parent reports 300 MiB while its own peak is 11 MiB), and so into RUSAGE_CHILDREN too."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM absent de /proc/self/status (Linux requis)")


def must_match(what: str, got: object, wanted: object) -> None:
    if got != wanted:
        raise ReceivedBytesDiffer(f"{what}: reçu {got!r}, attendu {wanted!r}")


# -- sinks: what the remote does with the bytes as they arrive -----------------------------------


class Sink(Protocol):
    def feed(self, data: bytes) -> None: ...


class Digest:
    """SHA-256 and size of what is fed; keeps the bytes only for small parts (fields)."""

    def __init__(self, keep: int = 0, forward: Sink | None = None) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.keep = keep
        self.kept = bytearray()
        self.forward = forward

    def feed(self, data: bytes) -> None:
        self.sha256.update(data)
        self.size += len(data)
        if self.keep:
            if self.size > self.keep:
                raise ReceivedBytesDiffer(f"partie de plus de {self.keep} octets")
            self.kept += data
        if self.forward is not None:
            self.forward.feed(data)

    def text(self) -> str:
        return self.kept.decode("utf-8")


class MultipartReader:
    """multipart/form-data (RFC 7578) read as it arrives: each part's bytes go to the sink that
    ``open_part(name, filename)`` returns; only a delimiter's length is held back."""

    def __init__(self, content_type: str, open_part: Callable[[str, str | None], Sink]) -> None:
        boundary = content_type.split("boundary=", 1)[1].strip('"')
        self.delimiter = b"\r\n--" + boundary.encode("ascii")
        self.buffer = b"\r\n"  # the first delimiter has no CRLF of its own
        self.open_part = open_part
        self.part: Sink | None = None
        self.in_headers = False
        self.done = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while not self.done and self._step():
            pass

    def _step(self) -> bool:
        if self.in_headers:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            self.part = self.open_part(*_disposition(self.buffer[:end].decode("latin-1")))
            self.buffer, self.in_headers = self.buffer[end + 4 :], False
            return True
        at = self.buffer.find(self.delimiter)
        if at < 0:
            keep = len(self.delimiter) - 1
            if len(self.buffer) > keep:
                self._emit(self.buffer[:-keep])
                self.buffer = self.buffer[-keep:]
            return False
        self._emit(self.buffer[:at])
        after = self.buffer[at + len(self.delimiter) : at + len(self.delimiter) + 2]
        if len(after) < 2:
            self.buffer = self.buffer[at:]
            return False
        self.done, self.in_headers = after == b"--", after == b"\r\n"
        self.buffer, self.part = self.buffer[at + len(self.delimiter) + 2 :], None
        return True

    def _emit(self, data: bytes) -> None:
        if data and self.part is not None:
            self.part.feed(data)


def _disposition(head: str) -> tuple[str, str | None]:
    found = re.search(r'name="([^"]*)"(?:; filename="([^"]*)")?', head)
    if found is None:
        raise ReceivedBytesDiffer(f"partie sans Content-Disposition : {head!r}")
    return found.group(1), found.group(2)


class TarDigests:
    """A tar stream (ustar, pax) read as it arrives: SHA-256 of each regular member's data."""

    def __init__(self) -> None:
        self.members: dict[str, str] = {}
        self.header = b""
        self.left = 0  # data bytes of the current member still to come
        self.skip = 0  # padding to the next 512-byte block
        self.current: tuple[str, bytes, Any] | None = None  # name, type flag, hash or pax bytes
        self.pax_path: str | None = None
        self.ended = False

    def feed(self, data: bytes) -> None:
        view, at = memoryview(data), 0
        while at < len(view) and not self.ended:
            if self.left:
                take = min(self.left, len(view) - at)
                self._data(view[at : at + take])
                at, self.left = at + take, self.left - take
                if not self.left:
                    self._member_done()
            elif self.skip:
                take = min(self.skip, len(view) - at)
                at, self.skip = at + take, self.skip - take
            else:
                take = min(512 - len(self.header), len(view) - at)
                self.header += bytes(view[at : at + take])
                at += take
                if len(self.header) == 512:
                    self._start(self.header)
                    self.header = b""

    def _start(self, header: bytes) -> None:
        if header == bytes(512):
            self.ended = True
            return
        name = header[0:100].rstrip(b"\0").decode("utf-8")
        prefix = header[345:500].rstrip(b"\0").decode("utf-8")
        name = self.pax_path or (f"{prefix}/{name}" if prefix else name)
        size = int(header[124:136].strip(b"\0 ") or b"0", 8)
        flag = header[156:157]
        self.pax_path = None
        self.current = (name, flag, bytearray() if flag == b"x" else hashlib.sha256())
        self.left, self.skip = size, -size % 512
        if not size:
            self._member_done()

    def _data(self, data: memoryview) -> None:
        if self.current is None:
            return
        if self.current[1] == b"x":
            self.current[2].extend(data)  # a pax header's records: small
        else:
            self.current[2].update(data)

    def _member_done(self) -> None:
        if self.current is None:
            return
        name, flag, state = self.current
        if flag == b"x":
            found = re.search(rb"\d+ path=([^\n]*)\n", bytes(state))
            self.pax_path = found.group(1).decode("utf-8") if found else None
        elif flag in (b"0", b"\0"):
            self.members[name] = state.hexdigest()
        self.current = None


class GzipTarDigests:
    """A .tar.gz read as it arrives: inflated piece by piece into a `TarDigests`."""

    def __init__(self) -> None:
        self.inflate = zlib.decompressobj(wbits=31)
        self.tar = TarDigests()
        self.compressed = Digest()

    def feed(self, data: bytes) -> None:
        self.compressed.feed(data)
        self.tar.feed(self.inflate.decompress(data))


class Base64Json:
    """Maarch's body ``{"messageFile":"<base64>",…}`` read as it arrives: the base64 string is
    decoded 4 characters at a time into a `Digest`, the few bytes after it parsed at the end."""

    HEAD = b'{"messageFile":"'

    def __init__(self) -> None:
        self.state = "head"
        self.head = b""
        self.carry = b""
        self.tail = b""
        self.package = Digest()

    def feed(self, data: bytes) -> None:
        if self.state == "head":
            missing = len(self.HEAD) - len(self.head)
            self.head, data = self.head + data[:missing], data[missing:]
            if len(self.head) < len(self.HEAD):
                return
            must_match("début du corps JSON", self.head, self.HEAD)
            self.state = "string"
        if self.state == "string":
            end = data.find(b'"')  # no quote in the base64 alphabet: the string's end
            self._decode(data if end < 0 else data[:end])
            if end < 0:
                return
            must_match("base64 incomplet en fin de chaîne", self.carry, b"")
            self.state, data = "tail", data[end + 1 :]
        self.tail += data
        if len(self.tail) > SMALL_PART_LIMIT:
            raise ReceivedBytesDiffer("JSON trop long après messageFile")

    def _decode(self, piece: bytes) -> None:
        data = self.carry + piece
        cut = len(data) - len(data) % 4
        self.carry = data[cut:]
        if cut:
            self.package.feed(binascii.a2b_base64(data[:cut], strict_mode=True))

    def fields(self) -> Any:
        """The members after messageFile (the tail starts with its comma)."""
        return json.loads(b"{" + self.tail.removeprefix(b","))


# -- scripted remotes ----------------------------------------------------------------------------


class StreamingMockTransport(httpx.MockTransport):
    """MockTransport without its ``request.read()``: the handler gets the body unread and
    consumes it as a server would, so nothing here buffers the upload."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.handler(request)
        if not isinstance(response, httpx.Response):
            raise TypeError("gestionnaire synchrone attendu")
        return response


class Remote:
    """Base of the scripted remotes: feeds request bodies to sinks, timing its own share."""

    def __init__(self) -> None:
        self.busy = 0.0

    def consume(self, request: httpx.Request, sink: Sink) -> int:
        stream = request.stream
        if not isinstance(stream, httpx.SyncByteStream):
            raise TypeError("corps de requête synchrone attendu")
        size = 0
        for chunk in stream:
            began = time.perf_counter()
            sink.feed(chunk)
            self.busy += time.perf_counter() - began
            size += len(chunk)
        declared = request.headers.get("Content-Length")
        if declared is not None:
            must_match("Content-Length", int(declared), size)
        return size

    def __call__(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    def verify(self, expected: Expected) -> str:
        raise NotImplementedError


class SaeHttpRemote(Remote):
    """Our repository: `POST /api/v1/sae/transfers`, 202 + JSON locators."""

    def __init__(self) -> None:
        super().__init__()
        self.body = Digest()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        must_match("requête", (request.method, request.url.path), ("POST", "/api/v1/sae/transfers"))
        self.body = Digest()
        self.consume(request, self.body)
        urls = {
            k: f"/api/v1/sae/transfers/t1/{k[:-4]}" for k in ("acknowledgement_url", "reply_url")
        }
        return httpx.Response(202, json={"transfer_id": "t1", **urls})

    def verify(self, expected: Expected) -> str:
        must_match("SHA-256 du corps", self.body.sha256.hexdigest(), expected.sip_sha256)
        return f"corps = SIP ({self.body.size} octets, SHA-256 identique)"


class VitamRemote(SaeHttpRemote):
    """ingest-external: octet-stream body, 202 + X-Request-Id."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        must_match(
            "requête", (request.method, request.url.path), ("POST", "/ingest-external/v1/ingests")
        )
        must_match("Content-Type", request.headers.get("Content-Type"), "application/octet-stream")
        self.body = Digest()
        self.consume(request, self.body)
        return httpx.Response(202, headers={"X-Request-Id": "aeeaaaaaagedsaebench0001"})


class AsalaeRemote(Remote):
    """As@lae's REST services: the Acknowledgement probe (404), `POST /sedaMessages` in one
    request or opening a chunk session, then `POST /sedaAttachmentsChunkFiles` per chunk."""

    def __init__(self, *, targz: bool = False) -> None:
        super().__init__()
        self.targz = targz
        self.manifest: Digest | None = None
        self.archive: Digest | GzipTarDigests = GzipTarDigests() if targz else Digest()
        self.chunks: list[int] = []
        self.declared_chunks = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/restservices")
        if request.method == "GET" and path.startswith("/sedaMessages/"):
            return httpx.Response(404, text="Not Found")  # never received: send it
        fields: dict[str, Digest] = {}

        def open_part(name: str, filename: str | None) -> Sink:
            if name in ("attachments", "chunk_content"):
                fields[name] = Digest(forward=self.archive)
            else:
                fields[name] = Digest(keep=SMALL_PART_LIMIT)
            return fields[name]

        self.consume(request, MultipartReader(request.headers["Content-Type"], open_part))
        if path == "/sedaMessages" and request.method == "POST":
            return self._message(fields)
        if path == "/sedaAttachmentsChunkFiles" and request.method == "POST":
            return self._chunk({k: v for k, v in fields.items() if k != "chunk_content"}, fields)
        return httpx.Response(404, text="Not Found")

    def _message(self, fields: dict[str, Digest]) -> httpx.Response:
        self.manifest = fields["seda_message"]
        if "attachments" in fields:
            return httpx.Response(200, json="ok")
        must_match("send_chunked_attachments", fields["send_chunked_attachments"].text(), "true")
        return httpx.Response(
            200, json={"chunk_session_identifier": 12, "chunk_security_identifier": "sec-12"}
        )

    def _chunk(self, values: dict[str, Digest], fields: dict[str, Digest]) -> httpx.Response:
        form = {k: v.text() for k, v in values.items()}
        must_match(
            "session", (form["session_identifier"], form["security_identifier"]), ("12", "sec-12")
        )
        must_match("chunk_index", int(form["chunk_index"]), len(self.chunks) + 1)
        must_match(
            "compression_algorithm", form["compression_algorithm"], "TARGZ" if self.targz else "ZIP"
        )
        self.declared_chunks = int(form["number_of_chunks"])
        size = fields["chunk_content"].size
        if size > CHUNK_BYTES:
            raise ReceivedBytesDiffer(f"morceau de {size} octets (au plus {CHUNK_BYTES})")
        self.chunks.append(size)
        return httpx.Response(200, json={"chunk_index": len(self.chunks)})

    def verify(self, expected: Expected) -> str:
        if self.manifest is None:
            raise ReceivedBytesDiffer("aucun bordereau reçu")
        must_match(
            "SHA-256 du bordereau", self.manifest.sha256.hexdigest(), expected.manifest_sha256
        )
        if self.chunks:
            must_match("nombre de morceaux", len(self.chunks), self.declared_chunks)
        how = f"{len(self.chunks)} morceaux" if self.chunks else "une requête"
        if isinstance(self.archive, GzipTarDigests):
            must_match("fin du gzip", self.archive.inflate.eof, True)
            must_match("empreintes des membres du tar", self.archive.tar.members, expected.members)
            size = self.archive.compressed.size
            return f"bordereau ok ; tar.gz de {size} octets ({how}), membres = ceux du SIP"
        must_match(
            "SHA-256 des pièces jointes", self.archive.sha256.hexdigest(), expected.sip_sha256
        )
        return f"bordereau ok ; pièces jointes = SIP ({how}, SHA-256 identique)"


class MaarchRemote(Remote):
    """Maarch RM: `POST /medona/Archivetransfer`, JSON with the package in base64; 200 + the
    Acknowledgement as a medona/message object."""

    def __init__(self) -> None:
        super().__init__()
        self.body = Base64Json()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        must_match(
            "requête", (request.method, request.url.path), ("POST", "/rm/medona/Archivetransfer")
        )
        self.body = Base64Json()
        self.consume(request, self.body)
        return httpx.Response(200, json={"messageId": "a1", "receivedMessageId": "m1"})

    def verify(self, expected: Expected) -> str:
        must_match("filename", self.body.fields().get("filename"), "manifest.xml")
        package = self.body.package
        must_match("SHA-256 du messageFile décodé", package.sha256.hexdigest(), expected.sip_sha256)
        return f"messageFile décodé = SIP ({package.size} octets, SHA-256 identique)"


# -- the child: one connector, one submit() ------------------------------------------------------


@dataclass
class Case:
    connector: Connector
    verify: Callable[[], str]
    remote: Remote | None = None


def http_case(kind: str, expected: Expected) -> Case:
    from connectors.asalae import AsalaeConnector
    from connectors.maarch import DEFAULT_MAX_BASE64_BYTES, MaarchRmConnector
    from connectors.maarch_body import base64_size
    from connectors.sae_http import SaeHttpConnector
    from connectors.vitam import VitamConnector

    remotes: dict[str, Remote] = {
        "sae_http": SaeHttpRemote(),
        "vitam": VitamRemote(),
        "asalae_single": AsalaeRemote(),
        "asalae_chunked": AsalaeRemote(),
        "asalae_targz": AsalaeRemote(targz=True),
        "maarch_rm": MaarchRemote(),
    }
    remote = remotes[kind]
    client = httpx.Client(transport=StreamingMockTransport(remote))
    secret = "bench-secret"  # noqa: S105 - the scripted remotes check no credential
    builders: dict[str, Callable[[], Connector]] = {
        "sae_http": lambda: SaeHttpConnector("https://sae.example", secret, client),
        "vitam": lambda: VitamConnector("https://vitam.example", 1, client),
        "asalae_single": lambda: AsalaeConnector(
            "https://asalae.example",
            "bench",
            secret,
            client,
            attachments_format="zip",
            chunked_above_bytes=expected.sip_size,
        ),
        "asalae_chunked": lambda: AsalaeConnector(
            "https://asalae.example",
            "bench",
            secret,
            client,
            attachments_format="zip",
            chunk_bytes=CHUNK_BYTES,
        ),
        "asalae_targz": lambda: AsalaeConnector(
            "https://asalae.example", "bench", secret, client, chunk_bytes=CHUNK_BYTES
        ),
        "maarch_rm": lambda: MaarchRmConnector(
            "https://maarch.example/rm",
            secret,
            client,
            max_base64_bytes=max(DEFAULT_MAX_BASE64_BYTES, base64_size(expected.sip_size)),
        ),
    }
    return Case(builders[kind](), lambda: remote.verify(expected), remote)


def drop_case(work: Path, expected: Expected) -> Case:
    from connectors.dropfolder import DropFolderConnector, DropSettings

    outbox, replies = work / "outbox", work / "replies"
    outbox.mkdir(exist_ok=True)
    replies.mkdir(exist_ok=True)
    connector = DropFolderConnector(DropSettings(str(outbox), str(replies)))

    def verify() -> str:
        dropped = outbox / f"{MESSAGE_IDENTIFIER}.zip"
        with dropped.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        dropped.unlink()
        must_match("SHA-256 du fichier déposé", digest, expected.sip_sha256)
        return "fichier déposé = SIP (SHA-256 identique)"

    return Case(connector, verify)


def run_child(kind: str, sip: Path, expected_path: Path, work: Path) -> None:
    expected = Expected(**json.loads(expected_path.read_text()))
    case = drop_case(work, expected) if kind == "drop_folder" else http_case(kind, expected)
    before = peak_rss_mib()
    began = time.perf_counter()
    case.connector.submit(
        sip,
        message_identifier=MESSAGE_IDENTIFIER,
        transferring_agency=AGENCY,
        manifest_digest=("SHA-256", expected.manifest_sha256),
    )
    seconds = time.perf_counter() - began
    peak = peak_rss_mib()
    check = case.verify()
    remote = None if case.remote is None else case.remote.busy
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mib": peak,
                "rss_before_mib": before,
                "remote_seconds": remote,
                "check": check,
            }
        )
    )


# -- the parent: SIP, references, one child per connector, the table -----------------------------


@dataclass(frozen=True)
class Row:
    name: str
    seconds: float
    peak_rss_mib: float | None
    rss_before_mib: float | None = None
    remote_seconds: float | None = None
    check: str = ""


def build_sip(work: Path, size: int) -> Path:
    from seda.disk_import import transfer_from_directory
    from seda.sip import write_sip
    from seda.versions import SedaVersion

    tree = work / "tree"
    tree.mkdir()
    make_big_file(tree / "registre.bin", size)
    built = transfer_from_directory(
        tree,
        SedaVersion.V2_2,  # As@lae takes 2.1 and 2.2, not 2.3
        message_identifier=MESSAGE_IDENTIFIER,
        archival_agency="ARCH",
        transferring_agency=AGENCY,
    )
    sip = work / "sip.zip"
    write_sip(sip, built.transfer, built.members)
    (tree / "registre.bin").unlink()  # the SIP holds it now; spare the disk
    return sip


def expected_of(sip: Path) -> Expected:
    import zipfile

    def sha256(handle: Any) -> str:
        return hashlib.file_digest(handle, "sha256").hexdigest()

    with sip.open("rb") as handle:
        whole = sha256(handle)
    with zipfile.ZipFile(sip) as archive:
        digests = {}
        for name in archive.namelist():
            with archive.open(name) as member:
                digests[name] = sha256(member)
    manifest = digests.pop("manifest.xml")
    return Expected(whole, sip.stat().st_size, manifest, digests)


def shell_row(name: str, command: str) -> Row:
    """Time only: cp's own peak is its buffer (KiB), and what wait4 would report is the shell's,
    floored at this process's RSS (see `peak_rss_mib`)."""
    began = time.perf_counter()
    subprocess.run(["sh", "-c", command], check=True)
    return Row(name, time.perf_counter() - began, None)


def python_row(name: str, command: list[str]) -> Row:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    if process.returncode:
        last = (err.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        return Row(name, float("nan"), None, check=f"ÉCHEC : {last}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    return Row(
        name,
        report["seconds"],
        report["peak_rss_mib"],
        report.get("rss_before_mib"),
        report.get("remote_seconds"),
        report["check"],
    )


def references(sip: Path, expected: Expected) -> list[Row]:
    floor = python_row(
        "ref: hashlib sha256, 1 MiB reads", [sys.executable, "-c", REFERENCE_SCRIPT, str(sip)]
    )
    must_match("SHA-256 de la référence", floor.check, expected.sip_sha256)
    copy = sip.with_name("sip.copy")
    rows = [
        Row(floor.name, floor.seconds, floor.peak_rss_mib, check="lecture + SHA-256"),
        shell_row("ref: cp SIP /dev/null", f"cp '{sip}' /dev/null"),
        shell_row("ref: cp SIP COPY && sync", f"cp '{sip}' '{copy}' && sync"),
    ]
    copy.unlink()
    return rows


def table(rows: list[Row], reference: Row, size: int) -> str:
    def mib(value: float | None, signed: bool = False) -> str:
        return "" if value is None else f"{value:+.1f}" if signed else f"{value:.1f}"

    floor = reference.peak_rss_mib or 0.0
    lines = [
        "| connector | seconds | MiB/s | peak RSS MiB | RSS − ref RSS | time / ref time "
        "| RSS before submit | peak − before | remote s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        peak, before = row.peak_rss_mib, row.rss_before_mib
        cells = [
            row.name,
            f"{row.seconds:.2f}",
            f"{size / MIB / row.seconds:.0f}",
            mib(peak),
            mib(None if peak is None else peak - floor, signed=True),
            f"{row.seconds / reference.seconds:.2f}",
            mib(before),
            mib(None if peak is None or before is None else peak - before, signed=True),
            "" if row.remote_seconds is None else f"{row.remote_seconds:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=1024 * MIB, help="e.g. 256M, 1G")
    parser.add_argument(
        "--only", default=",".join(KINDS), help="comma-separated: " + ",".join(KINDS)
    )
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: /tmp)")
    parser.add_argument("--child", choices=list(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sip, expected, work = (Path(a) for a in args.child_args)
        run_child(args.child, sip, expected, work)
        return
    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"connecteurs inconnus : {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="bench-connectors-", dir=args.dir) as tmp:
        bench(Path(tmp), args.size, kinds)


def bench(work: Path, size: int, kinds: list[str]) -> None:
    began = time.perf_counter()
    sip = build_sip(work, size)
    expected = expected_of(sip)
    (work / "expected.json").write_text(json.dumps(asdict(expected)))
    print(
        f"SIP {expected.sip_size / MIB:.1f} MiB built and hashed in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    refs = references(sip, expected)
    rows = []
    for kind in kinds:
        command = [
            sys.executable,
            __file__,
            "--child",
            kind,
            str(sip),
            str(work / "expected.json"),
            str(work),
        ]
        rows.append(python_row(KINDS[kind], command))
        print(f"  {KINDS[kind]}: {rows[-1].seconds:.2f} s", flush=True)
    print(
        f"\n== one SIP of {expected.sip_size / MIB:.1f} MiB through submit(); ratios against {refs[0].name!r}\n"
    )
    print(table(refs + rows, refs[0], expected.sip_size))
    print("\nchecks (what the remote received):")
    for row in rows:
        print(f"  {row.name}: {row.check}")
    print("  sftp: not measured (needs a running sshd)")
    if any(row.check.startswith("ÉCHEC") for row in rows):
        sys.exit("au moins un connecteur n'a pas livré le SIP intact")


if __name__ == "__main__":
    main()
