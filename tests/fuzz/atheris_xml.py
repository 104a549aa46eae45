"""Coverage-guided fuzzing (Atheris, libFuzzer) of the readers that sit on native code: the SEDA
reply and transfer readers on lxml/libxml2, the SIP reader on zipfile and tarfile.

Atheris instruments our Python code (and the pure-Python standard library it reaches); libxml2
itself is not instrumented (the lxml wheel is not built for libFuzzer), so the guidance comes
from the Python paths the input opens. Run by ``scripts/fuzz``:
``python tests/fuzz/atheris_xml.py -max_total_time=60 tests/fuzz/corpus/atheris`` — the corpus
folder keeps what raised coverage; a crash is written as ``crash-*`` in the working folder.
Only our documented errors may escape (``SedaError``).
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from seda.errors import SedaError
    from seda.package import PackageLimits, open_package
    from seda.reader import read_transfer
    from seda.replies import parse_reply

_FOLDER = Path(tempfile.mkdtemp(prefix="atheris-"))


def one_input(data: bytes) -> None:
    """Each input is read as a reply, as a transfer, then as a zip and a tar package."""
    for read in (parse_reply, lambda d: read_transfer(lambda: io.BytesIO(d))):
        with contextlib.suppress(SedaError):
            read(data)
    for suffix in (".zip", ".tar"):
        path = _FOLDER / f"paquet{suffix}"
        path.write_bytes(data)
        try:
            with open_package(path, PackageLimits(max_entries=50)) as package:
                package.extract(_FOLDER / "sortie")
        except SedaError:
            pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
