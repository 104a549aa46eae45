"""The hostile inputs of the SEDA issue, with the stable code each must be refused with.

Shared by tests/seda/test_hostile.py (verdicts) and bench/bench_seda.py --hostile (time and
memory, which tests must not measure).
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

NS = "fr:gouv:culture:archivesdefrance:seda:v2.1"
MINIMAL = (
    f'<ArchiveTransfer xmlns="{NS}"><Date>2024-01-01T00:00:00</Date>'
    "<MessageIdentifier>M1</MessageIdentifier><CodeListVersions/>"
    "<ArchivalAgency><Identifier>A</Identifier></ArchivalAgency>"
    "<TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>"
)
EXPECTED = {
    "XXE to a local file": "xml_dtd_forbidden",
    "XXE over http": "xml_dtd_forbidden",
    "external DTD": "xml_dtd_forbidden",
    "billion laughs": "xml_dtd_forbidden",
    "quadratic blow-up": "xml_dtd_forbidden",
    "100,000-deep nesting": "xml_limit_exceeded",
    "20 MB attribute": "xml_limit_exceeded",
    "zip slip": "sip_unsafe_path",
    "symlink": "sip_symlink",
    "zip bomb": "sip_compression_ratio",
    "overlapping entries": "sip_overlapping_entries",
    "duplicate entries": "sip_duplicate_entry",
}


def _with_body(old: str, new: str) -> str:
    return MINIMAL.replace(old, new)


def xml_cases(port: int, secret: Path) -> dict[str, str]:
    """Hostile manifests; `port` is a loopback listener that must never be contacted."""
    laughs = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    http = f"http://127.0.0.1:{port}"
    return {
        "XXE to a local file": f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]>'
        + _with_body("M1", "&x;"),
        "XXE over http": f'<!DOCTYPE a [<!ENTITY x SYSTEM "{http}/x">]>' + _with_body("M1", "&x;"),
        "external DTD": f'<!DOCTYPE ArchiveTransfer SYSTEM "{http}/a.dtd">' + MINIMAL,
        "billion laughs": f"<!DOCTYPE a [{laughs}]>" + _with_body("M1", "&a9;"),
        "quadratic blow-up": f'<!DOCTYPE a [<!ENTITY q "{"x" * 100_000}">]>'
        + _with_body("M1", "&q;" * 1000),
        "100,000-deep nesting": _with_body(
            "<CodeListVersions/>", "<x>" * 100_000 + "</x>" * 100_000
        ),
        "20 MB attribute": _with_body(
            "<CodeListVersions/>", f'<CodeListVersions a="{"x" * 20_000_000}"/>'
        ),
    }


def write_zip(path: Path, entries: Sequence[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _bomb(path: Path, mib: int) -> Path:
    """`mib` MiB of zeros deflated to about a thousandth of that, written without holding them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.xml", MINIMAL)
        with archive.open("content/zeros.bin", "w", force_zip64=True) as out:
            for _ in range(mib):
                out.write(bytes(1024 * 1024))
    return path


def _overlapping(path: Path) -> Path:
    """Two central-directory records naming the same local data (the non-recursive zip bomb)."""
    write_zip(path, [("manifest.xml", MINIMAL.encode()), ("content/a.bin", bytes(1000))])
    data = path.read_bytes()
    end_at = data.index(b"PK\x05\x06")
    record = data[data.rindex(b"PK\x01\x02") : end_at]  # the last one: content/a.bin
    end = bytearray(data[end_at:])
    end[8:12] = (3).to_bytes(2, "little") * 2  # entries on this disk, entries in all
    end[12:16] = (int.from_bytes(end[12:16], "little") + len(record)).to_bytes(4, "little")
    twin = record.replace(b"content/a.bin", b"content/b.bin")
    path.write_bytes(data[:end_at] + twin + bytes(end))
    return path


def zip_cases(folder: Path, bomb_mib: int = 50) -> dict[str, Path]:
    manifest = ("manifest.xml", MINIMAL.encode())
    link = zipfile.ZipInfo("content/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    duplicates = [manifest, ("content/a.txt", b"1"), ("content/A.txt", b"2")]
    return {
        "zip slip": write_zip(folder / "slip.zip", [manifest, ("../../evil.txt", b"x")]),
        "symlink": write_zip(folder / "link.zip", [manifest, (link, b"/etc/passwd")]),
        "zip bomb": _bomb(folder / "bomb.zip", bomb_mib),
        "overlapping entries": _overlapping(folder / "overlap.zip"),
        "duplicate entries": write_zip(folder / "dup.zip", duplicates),
    }
