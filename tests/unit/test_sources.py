"""Which files a build reads under a folder, and a file it cannot read."""

from __future__ import annotations

import importlib
import shutil

from helpers import DATA

from gicstats.corpus import build, read_corpus
from gicstats.paths import expand_sources

build_module = importlib.import_module("gicstats.corpus.build")


def test_report_files_under_folders_sorted_part_by_part(tmp_path):
    for rel in (
        "a/b/1.HTML",
        "a/b/10.Txt",
        "a/2.txt",
        "a-b/3.pdf",
        ".hid/x/4.txt",  # under a hidden folder
        "c/.sub/5.txt",
        "c/.6.txt",  # hidden file
        "d/7.docx",
        "d/8.zip",  # not a report's ending
        "d/9.tar.gz",
        "11.xlsx",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    (tmp_path / "d" / "link").symlink_to(tmp_path / "a-b")  # a linked folder is not entered
    (tmp_path / "d" / "l2.txt").symlink_to(tmp_path / "a" / "2.txt")  # a linked file is read
    (tmp_path / "d" / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "e.txt").mkdir()  # a folder named like a report
    got = expand_sources([tmp_path, tmp_path / "named.txt", tmp_path / "a"])
    rel = [str(p.relative_to(tmp_path)) for p in got]
    # "a/…" before "a-b/…": paths compare part by part, not as strings
    assert rel == [
        "11.xlsx",
        "a/2.txt",
        "a/b/1.HTML",
        "a/b/10.Txt",
        "a-b/3.pdf",
        "d/7.docx",
        "d/l2.txt",
        "named.txt",  # named: kept as given, even if it does not exist
        "a/2.txt",
        "a/b/1.HTML",
        "a/b/10.Txt",
    ]


def test_a_file_that_cannot_be_read_is_recorded_and_the_others_built(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pingtan_2019.txt", "pingtan_2021.txt"):
        shutil.copy(DATA / name, src / name)
    hash_file = build_module._hash_file

    def denied(path):
        if path.name == "pingtan_2019.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return hash_file(path)

    monkeypatch.setattr(build_module, "_hash_file", denied)
    result = build([src], tmp_path / "corpus", jobs=1)
    assert result.failed == [(str(src / "pingtan_2019.txt"), "cannot be read (Permission denied)")]
    corpus = read_corpus(tmp_path / "corpus")
    assert sorted(corpus.reports["report"]) == ["pingtan_2019.txt", "pingtan_2021.txt"]
    assert corpus.reports.set_index("report").loc["pingtan_2021.txt", "year"] == 2021
