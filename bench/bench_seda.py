"""Benchmark of the SEDA library (not collected by pytest).

For N units (one object each): build time and peak RSS of our streaming writer vs lxml building
a whole tree; XSD validation of the same document with lxml (whole tree and streaming) vs
xmlschema (only for N <= --xmlschema-max, it is ~30x slower); full `validate_path` of a SIP with N
small files. Each measurement runs in a fresh subprocess so peak RSS is its own.

    .venv/bin/python bench/bench_seda.py --schemas-dir ../shared/seda/xsd --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _units(n: int):  # type: ignore[no-untyped-def]
    from seda.model import ArchiveUnit, Content, ObjectReference

    for i in range(n):
        yield ArchiveUnit(
            f"AU_{i}",
            Content("Item", (f"Document {i}",)),
            object_references=(ObjectReference(data_object_group_reference_id=f"GOT_{i}"),),
        )


def _groups(n: int, digests: list[str] | None = None):  # type: ignore[no-untyped-def]
    from seda.model import BinaryDataObject, DataObjectGroup

    for i in range(n):
        digest = digests[i] if digests else "ab" * 64
        yield DataObjectGroup(
            f"GOT_{i}",
            (
                BinaryDataObject(
                    f"BDO_{i}", f"content/BDO_{i}.txt", digest, size=16, filename=f"f{i}.txt"
                ),
            ),
        )


def _transfer(n: int, digests: list[str] | None = None):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from seda.model import Agency, ArchiveTransfer, TransferHeader
    from seda.versions import SedaVersion

    header = TransferHeader(
        SedaVersion.V2_3, "BENCH", Agency("AA"), Agency("TA"), datetime(2024, 1, 1)
    )
    return ArchiveTransfer(header, _groups(n, digests), _units(n))


def task_stream(n: int, out: str, _schemas: str) -> None:
    from seda.writer import write_transfer

    write_transfer(Path(out), _transfer(n))


def task_tree(n: int, out: str, _schemas: str) -> None:
    from lxml import etree

    from seda.versions import SedaVersion

    ns = SedaVersion.V2_3.namespace
    q = lambda name: f"{{{ns}}}{name}"  # noqa: E731
    root = etree.Element(q("ArchiveTransfer"), nsmap={None: ns})  # type: ignore[dict-item]
    for name, text in (("Date", "2024-01-01T00:00:00"), ("MessageIdentifier", "BENCH")):
        etree.SubElement(root, q(name)).text = text
    etree.SubElement(root, q("CodeListVersions"))
    package = etree.SubElement(root, q("DataObjectPackage"))
    for i in range(n):
        group = etree.SubElement(package, q("DataObjectGroup"), id=f"GOT_{i}")
        bdo = etree.SubElement(group, q("BinaryDataObject"), id=f"BDO_{i}")
        etree.SubElement(bdo, q("DataObjectVersion")).text = "BinaryMaster_1"
        etree.SubElement(bdo, q("Uri")).text = f"content/BDO_{i}.txt"
        etree.SubElement(bdo, q("MessageDigest"), algorithm="SHA-512").text = "ab" * 64
        etree.SubElement(bdo, q("Size")).text = "16"
        etree.SubElement(etree.SubElement(bdo, q("FileInfo")), q("Filename")).text = f"f{i}.txt"
    dm = etree.SubElement(package, q("DescriptiveMetadata"))
    for i in range(n):
        unit = etree.SubElement(dm, q("ArchiveUnit"), id=f"AU_{i}")
        content = etree.SubElement(unit, q("Content"))
        etree.SubElement(content, q("DescriptionLevel")).text = "Item"
        etree.SubElement(content, q("Title")).text = f"Document {i}"
        ref = etree.SubElement(unit, q("DataObjectReference"))
        etree.SubElement(ref, q("DataObjectGroupReferenceId")).text = f"GOT_{i}"
    etree.SubElement(package, q("ManagementMetadata"))
    for name in ("ArchivalAgency", "TransferringAgency"):
        etree.SubElement(etree.SubElement(root, q(name)), q("Identifier")).text = "X"
    etree.ElementTree(root).write(out, xml_declaration=True, encoding="utf-8")


def task_lxml_tree(n: int, out: str, schemas: str) -> None:
    from lxml import etree

    from seda.schemaset import official_schema
    from seda.versions import SedaVersion

    schema = official_schema(Path(schemas), SedaVersion.V2_3)
    assert schema.validate(etree.parse(out)), schema.error_log


def task_lxml_stream(n: int, out: str, schemas: str) -> None:
    from seda.safexml import XmlLimits
    from seda.versions import SedaVersion
    from seda.xsdcheck import xsd_issues

    path = Path(out)
    issues = xsd_issues(
        lambda: path.open("rb"),
        1 << 62,
        SedaVersion.V2_3,
        Path(schemas),
        limits=XmlLimits(whole_tree_bytes=0),
    )
    assert not issues, issues


def task_xmlschema(n: int, out: str, schemas: str) -> None:
    import xmlschema

    from seda.schemaset import official_main
    from seda.versions import SedaVersion

    xmlschema.limits.MAX_XML_ELEMENTS = 10**8
    schema = xmlschema.XMLSchema10(
        str(official_main(Path(schemas), SedaVersion.V2_3)), allow="sandbox"
    )
    schema.validate(out)


def task_sip(n: int, out: str, schemas: str) -> None:
    """Build a SIP of N 16-byte files (not timed), then time validate_path on it."""
    import hashlib

    from seda.sip import write_sip
    from seda.validate import ValidationOptions, validate_path

    folder = Path(out).with_suffix(".files")
    folder.mkdir(exist_ok=True)
    digests, members = [], []
    for i in range(n):
        data = f"file {i:010d}\n".encode()
        (folder / f"{i}.txt").write_bytes(data)
        digests.append(hashlib.sha512(data).hexdigest())
        members.append((f"content/BDO_{i}.txt", folder / f"{i}.txt"))
    sip = Path(out).with_suffix(".zip")
    write_sip(sip, _transfer(n, digests), members)
    start = time.perf_counter()
    report = validate_path(sip, ValidationOptions(schema_dir=Path(schemas)))
    print(json.dumps({"validate_s": time.perf_counter() - start}))
    assert report.valid, report.issues[:3]


TASKS = {
    "stream": task_stream,
    "tree": task_tree,
    "lxml_tree": task_lxml_tree,
    "lxml_stream": task_lxml_stream,
    "xmlschema": task_xmlschema,
    "sip": task_sip,
}


def _child(task: str, n: int, out: str, schemas: str) -> None:
    import resource

    start = time.perf_counter()
    TASKS[task](n, out, schemas)
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"s": elapsed, "rss_mb": rss}))


def _run(task: str, n: int, out: str, schemas: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", task, str(n), out, schemas],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = {}
    for line in done.stdout.splitlines():
        result |= json.loads(line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schemas-dir", default="../shared/seda/xsd")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--xmlschema-max", type=int, default=10000)
    parser.add_argument("--sip-max", type=int, default=100000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            out = str(Path(tmp) / f"m{n}.xml")
            rows = {
                "stream": _run("stream", n, out, args.schemas_dir),
                "tree": _run("tree", n, out + ".tree.xml", args.schemas_dir),
                "lxml_tree": _run("lxml_tree", n, out, args.schemas_dir),
                "lxml_stream": _run("lxml_stream", n, out, args.schemas_dir),
            }
            if n <= args.xmlschema_max:
                rows["xmlschema"] = _run("xmlschema", n, out, args.schemas_dir)
            if n <= args.sip_max:
                rows["sip"] = _run("sip", n, str(Path(tmp) / f"sip{n}"), args.schemas_dir)
            _report(n, rows)


def _report(n: int, rows: dict[str, dict[str, float]]) -> None:
    print(f"\nN = {n:,} units")
    for name, row in rows.items():
        extra = f"  (validate_path alone {row['validate_s']:.2f} s)" if "validate_s" in row else ""
        print(f"  {name:12} {row['s']:8.2f} s  {row['rss_mb']:8.1f} MB peak RSS{extra}")
    s, t = rows["stream"], rows["tree"]
    print(
        f"  build: whole tree / streaming = {t['s'] / s['s']:.2f}x time, "
        f"{t['rss_mb'] / s['rss_mb']:.1f}x RSS"
    )
    if "xmlschema" in rows:
        print(
            f"  XSD: xmlschema / lxml (whole tree) = "
            f"{rows['xmlschema']['s'] / rows['lxml_tree']['s']:.1f}x time"
        )
    else:
        print("  XSD: xmlschema skipped at this N (too slow: ~70 s, ~900 MB at 100,000)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
