"""The folder walk of ``gedsae import``: folders depth first by name, each with its regular
files by name; links and other entries reported, never followed; a link to a folder passed
over, as before."""

from __future__ import annotations

import os
from pathlib import Path

from ged.services.importer import count_files, walk


def test_folders_come_depth_first_by_name_with_their_files_by_name(tmp_path: Path) -> None:
    for name in ("b/d/2.txt", "b/d/1.txt", "a/x.txt", "b/c/y.txt", "racine.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name, encoding="utf-8")

    seen = [
        (str(Path(folder).relative_to(tmp_path)), [Path(f).name for f in files])
        for folder, files, _ in walk(tmp_path)
    ]

    assert seen == [
        (".", ["racine.txt"]),
        ("a", ["x.txt"]),
        ("b", []),
        ("b/c", ["y.txt"]),
        ("b/d", ["1.txt", "2.txt"]),
    ]
    assert count_files(tmp_path) == 5


def test_links_and_pipes_are_reported_and_a_link_to_a_folder_is_not_followed(
    tmp_path: Path,
) -> None:
    (tmp_path / "dossier").mkdir()
    (tmp_path / "dossier" / "note.txt").write_text("note", encoding="utf-8")
    (tmp_path / "lien.txt").symlink_to(tmp_path / "dossier" / "note.txt")
    (tmp_path / "lien-dossier").symlink_to(tmp_path / "dossier")
    os.mkfifo(tmp_path / "tube")

    listed = {
        Path(folder): ([Path(f) for f in files], [Path(o) for o in others])
        for folder, files, others in walk(tmp_path)
    }

    assert set(listed) == {tmp_path, tmp_path / "dossier"}
    assert listed[tmp_path] == ([], [tmp_path / "lien.txt", tmp_path / "tube"])
    assert listed[tmp_path / "dossier"] == ([tmp_path / "dossier" / "note.txt"], [])
    assert count_files(tmp_path) == 1
