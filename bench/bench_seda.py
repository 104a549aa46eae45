"""Benchmark of the SEDA library (not collected by pytest).

For N units (one object each): our streaming writer vs lxml building the whole tree; XSD
validation with lxml (whole tree, streaming) and xmlschema (only for N <= --xmlschema-max, it is
~30x slower); `aim` = build + `validate_path` of the manifest (XSD and references, the issue's
target: 100,000 units in < 15 s and < 150 MB); `sip` = `validate_path` of a SIP with N small
files (digests included; the SIP is written by another process). `--hostile` times each hostile
input of the issue (refused with a stable code in < 2 s and < 100 MB, no connection, nothing
written outside a temporary folder).
Each measurement runs in a fresh subprocess so peak RSS (VmHWM) is its own; absolute times drift
with the machine's load, so read the ratios against the lxml references measured in the same run.

    .venv/bin/python bench/bench_seda.py --schemas-dir ../shared/seda/xsd [--sizes 1000 100000]
    .venv/bin/python bench/bench_seda.py --schemas-dir ../shared/seda/xsd --hostile
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

NS = "fr:gouv:culture:archivesdefrance:seda:v2.3"


def _data(i: int) -> bytes:
    return f"file {i:010d}\n".encode()  # 16 bytes


def _transfer(n: int, with_digests: bool = False):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from seda.model import (
        Agency,
        ArchiveTransfer,
        ArchiveUnit,
        BinaryDataObject,
        Content,
        DataObjectGroup,
        ObjectReference,
        TransferHeader,
    )
    from seda.versions import SedaVersion

    def groups():  # type: ignore[no-untyped-def]
        for i in range(n):
            digest = hashlib.sha512(_data(i)).hexdigest() if with_digests else "ab" * 64
            obj = BinaryDataObject(
                f"BDO_{i}", f"content/BDO_{i}.txt", digest, size=16, filename=f"f{i}.txt"
            )
            yield DataObjectGroup(f"GOT_{i}", (obj,))

    def units():  # type: ignore[no-untyped-def]
        for i in range(n):
            ref = ObjectReference(data_object_group_reference_id=f"GOT_{i}")
            yield ArchiveUnit(
                f"AU_{i}", Content("Item", (f"Document {i}",)), object_references=(ref,)
            )

    header = TransferHeader(
        SedaVersion.V2_3, "BENCH", Agency("AA"), Agency("TA"), datetime(2024, 1, 1)
    )
    return ArchiveTransfer(header, groups(), units())


def task_stream(n: int, out: str, _schemas: str) -> None:
    from seda.writer import write_transfer

    write_transfer(Path(out), _transfer(n))


def task_tree(n: int, out: str, _schemas: str) -> None:
    from lxml import etree

    q = lambda name: f"{{{NS}}}{name}"  # noqa: E731
    root = etree.Element(q("ArchiveTransfer"), nsmap={None: NS})  # type: ignore[dict-item]
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

    path, limits = Path(out), XmlLimits(whole_tree_bytes=0)
    issues = xsd_issues(
        lambda: path.open("rb"), 1 << 62, SedaVersion.V2_3, Path(schemas), limits=limits
    )
    assert not issues, issues


def task_xmlschema(n: int, out: str, schemas: str) -> None:
    import xmlschema

    from seda.schemaset import official_main
    from seda.versions import SedaVersion

    xmlschema.limits.MAX_XML_ELEMENTS = 10**8
    main = official_main(Path(schemas), SedaVersion.V2_3)
    xmlschema.XMLSchema10(str(main), allow="sandbox").validate(out)


def task_aim(n: int, out: str, schemas: str) -> None:
    """Build the manifest, then validate it (XSD + references): the issue's 15 s / 150 MB aim."""
    from seda.validate import ValidationOptions, validate_path
    from seda.writer import write_transfer

    start = time.perf_counter()
    write_transfer(Path(out), _transfer(n))
    built = time.perf_counter()
    report = validate_path(Path(out), ValidationOptions(schema_dir=Path(schemas)))
    print(json.dumps({"build_s": built - start, "validate_s": time.perf_counter() - built}))
    assert report.valid, report.issues[:3]


def task_sip_write(n: int, out: str, _schemas: str) -> None:
    """Setup of `sip`, in its own process so that its memory is not counted: N 16-byte files."""
    from seda.writer import write_transfer

    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("manifest.xml", "w", force_zip64=True) as stream:
            write_transfer(stream, _transfer(n, with_digests=True))
        for i in range(n):
            archive.writestr(f"content/BDO_{i}.txt", _data(i))


def task_sip(n: int, out: str, schemas: str) -> None:
    from seda.validate import ValidationOptions, validate_path

    report = validate_path(Path(out), ValidationOptions(schema_dir=Path(schemas)))
    assert report.valid, report.issues[:3]


def task_validate(_n: int, out: str, schemas: str) -> None:
    """validate_path on one (hostile) input; prints its issue codes."""
    from seda.validate import ValidationOptions, validate_path

    report = validate_path(Path(out), ValidationOptions(schema_dir=Path(schemas)))
    print(json.dumps({"refused": report.refused, "codes": sorted(report.codes())}))


TASKS = {
    "stream": task_stream,
    "tree": task_tree,
    "lxml_tree": task_lxml_tree,
    "lxml_stream": task_lxml_stream,
    "xmlschema": task_xmlschema,
    "aim": task_aim,
    "sip_write": task_sip_write,
    "sip": task_sip,
    "validate": task_validate,
}


def _peak_rss_mb() -> float:
    """VmHWM: unlike ru_maxrss, it is not inherited from the parent across fork + exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(task: str, n: int, out: str, schemas: str) -> None:
    start = time.perf_counter()
    TASKS[task](n, out, schemas)
    elapsed = time.perf_counter() - start
    print(json.dumps({"s": elapsed, "rss_mb": _peak_rss_mb()}))


def _run(task: str, n: int, out: str, schemas: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [sys.executable, __file__, "--child", task, str(n), out, schemas],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict = {}  # type: ignore[type-arg]
    for line in done.stdout.splitlines():
        result |= json.loads(line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schemas-dir", default="../shared/seda/xsd")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--xmlschema-max", type=int, default=10000)
    parser.add_argument("--sip-max", type=int, default=100000)
    parser.add_argument("--hostile", action="store_true", help="only the hostile-input section")
    args = parser.parse_args()
    schemas = str(Path(args.schemas_dir).resolve())
    if args.hostile:
        hostile_section(schemas)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            out = str(Path(tmp) / f"m{n}.xml")
            rows = {
                "stream": _run("stream", n, out, schemas),
                "tree": _run("tree", n, out + ".tree.xml", schemas),
                "lxml_tree": _run("lxml_tree", n, out, schemas),
                "lxml_stream": _run("lxml_stream", n, out, schemas),
                "aim": _run("aim", n, str(Path(tmp) / f"aim{n}.xml"), schemas),
            }
            if n <= args.xmlschema_max:
                rows["xmlschema"] = _run("xmlschema", n, out, schemas)
            if n <= args.sip_max:
                _run("sip_write", n, str(Path(tmp) / f"sip{n}.zip"), schemas)
                rows["sip"] = _run("sip", n, str(Path(tmp) / f"sip{n}.zip"), schemas)
            _report(n, rows)


def _report(n: int, rows: dict[str, dict[str, float]]) -> None:
    print(f"\nN = {n:,} units")
    for name, row in rows.items():
        extra = "".join(
            f"  {k.removesuffix('_s')} {row[k]:.2f} s"
            for k in ("build_s", "validate_s")
            if k in row
        )
        print(f"  {name:12} {row['s']:8.2f} s  {row['rss_mb']:8.1f} MB peak RSS{extra}")
    s, t, v = rows["stream"], rows["tree"], rows["lxml_tree"]
    aim = rows["aim"]
    ratio = f"{s['s'] / t['s']:.2f}x time, {s['rss_mb'] / t['rss_mb']:.2f}x RSS"
    print(f"  build: streaming / lxml whole tree = {ratio}")
    print(
        f"  aim (build + XSD + references): {aim['s']:.2f} s, {aim['rss_mb']:.0f} MB "
        f"(target < 15 s, < 150 MB); its validation / lxml whole-tree validation = "
        f"{aim['validate_s'] / v['s']:.2f}x time, {aim['rss_mb'] / v['rss_mb']:.2f}x RSS"
    )
    if "sip" in rows:
        sip = rows["sip"]["s"] / v["s"]
        print(f"  SIP with digests: validate_path / lxml whole-tree validation = {sip:.2f}x time")
    if "xmlschema" in rows:
        print(f"  XSD: xmlschema / lxml whole tree = {rows['xmlschema']['s'] / v['s']:.1f}x time")
    else:
        print("  XSD: xmlschema skipped at this N (too slow: ~70 s, ~900 MB at 100,000)")


def hostile_section(schemas: str) -> None:
    """Each hostile input validated in its own process, with TMPDIR pointing at a scratch folder
    and a loopback listener that must never be contacted. The inputs are the ones the tests
    check the verdicts of (tests/seda/hostile_inputs.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.seda.hostile_inputs import xml_cases, zip_cases

    with tempfile.TemporaryDirectory() as tmp, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        folder, scratch = Path(tmp) / "inputs", Path(tmp) / "scratch"
        folder.mkdir()
        scratch.mkdir()
        secret = folder / "secret.txt"
        secret.write_text("TOP-SECRET")
        cases: dict[str, Path] = {}
        for i, (name, text) in enumerate(xml_cases(listener.getsockname()[1], secret).items()):
            cases[name] = folder / f"h{i}.xml"
            cases[name].write_text(text, encoding="utf-8")
        cases |= zip_cases(folder, bomb_mib=1024)
        before = sorted(p.name for p in Path(tmp).rglob("*"))
        env = os.environ | {"TMPDIR": str(scratch)}
        print(f"\n{'hostile input':24} {'time':>8} {'peak RSS':>10}  refused with")
        worst_s = worst_mb = 0.0
        for name, path in cases.items():
            row = _run("validate", 0, str(path), schemas, env)
            worst_s, worst_mb = max(worst_s, row["s"]), max(worst_mb, row["rss_mb"])
            verdict = (
                ", ".join(row["codes"])
                if row["refused"]
                else "NOT REFUSED: " + ", ".join(row["codes"])
            )
            print(f"{name:24} {row['s']:7.2f}s {row['rss_mb']:8.1f} MB  {verdict}")
        try:
            listener.accept()
            connected = True
        except BlockingIOError:
            connected = False
        after = sorted(p.name for p in Path(tmp).rglob("*"))
        print(
            f"worst: {worst_s:.2f} s, {worst_mb:.1f} MB (target < 2 s, < 100 MB; time without, RSS with the interpreter and imports)"
        )
        print(
            f"connection made: {connected}; files written: {sorted(set(after) - set(before)) or 'none'}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
