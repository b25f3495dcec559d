"""A rebuild hashes only the files that may have changed since the last build.

The last build's hashes are kept with each file's stat (device, inode,
size, modification and change times). A file is read again unless all of
them are as they were and both times were well before its hashing: a file
rewritten to the same size with its modification time set back still has a
new change time, which nothing but the system can set.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import time

import pytest
from helpers import DATA

from gicstats.corpus import build, read_corpus

build_module = importlib.import_module("gicstats.corpus.build")

NAMES = ("pingtan_2019.txt", "pingtan_2021.txt")


@pytest.fixture
def sources(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in NAMES:
        shutil.copy(DATA / name, src / name)
    return src


@pytest.fixture
def hashed(monkeypatch):
    """The names of the files hashed, in calls to ``_hash_file``."""
    calls: list[str] = []
    hash_file = build_module._hash_file

    def counting(path):
        calls.append(path.name)
        return hash_file(path)

    monkeypatch.setattr(build_module, "_hash_file", counting)
    return calls


def _no_racy_window(monkeypatch) -> None:
    # a file is trusted once its times are before its hashing; the test
    # waits for the clock to move past them instead of three seconds
    monkeypatch.setattr(build_module, "RACY_NS", 0)
    time.sleep(0.05)


def test_an_unchanged_file_is_not_hashed_again(sources, tmp_path, hashed, monkeypatch):
    _no_racy_window(monkeypatch)
    out = tmp_path / "corpus"
    build([sources], out, jobs=1)
    assert sorted(hashed) == sorted(NAMES)
    first = read_corpus(out).reports.set_index("report")["sha256"]
    hashed.clear()
    result = build([sources], out, jobs=1)
    assert hashed == []
    assert (result.read, result.reused) == (0, 2)
    again = read_corpus(out).reports.set_index("report")["sha256"]
    assert again.to_dict() == first.to_dict()
    assert first["pingtan_2021.txt"] == hashlib.sha256((DATA / "pingtan_2021.txt").read_bytes()).hexdigest()


def test_a_file_rewritten_with_its_size_and_modification_time_kept_is_read_again(
    sources, tmp_path, hashed, monkeypatch
):
    _no_racy_window(monkeypatch)
    out = tmp_path / "corpus"
    build([sources], out, jobs=1)
    path = sources / "pingtan_2021.txt"
    before = path.stat()
    text = path.read_bytes()
    changed = text.replace(b"2021", b"2020", 1)
    assert changed != text and len(changed) == len(text)
    time.sleep(0.05)  # the change time moves on
    path.write_bytes(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    hashed.clear()
    result = build([sources], out, jobs=1)
    assert hashed == ["pingtan_2021.txt"]
    assert (result.read, result.reused) == (1, 1)
    shas = read_corpus(out).reports.set_index("report")["sha256"]
    assert shas["pingtan_2021.txt"] == hashlib.sha256(changed).hexdigest()


def test_a_file_changed_just_before_its_hashing_is_hashed_again(sources, tmp_path, hashed):
    out = tmp_path / "corpus"
    build([sources], out, jobs=1)  # the files were copied a moment ago
    hashed.clear()
    result = build([sources], out, jobs=1)
    assert sorted(hashed) == sorted(NAMES)
    assert (result.read, result.reused) == (0, 2)


def test_a_damaged_or_missing_record_of_hashes_means_hashing_every_file(sources, tmp_path, hashed, monkeypatch):
    _no_racy_window(monkeypatch)
    out = tmp_path / "corpus"
    build([sources], out, jobs=1)
    record = out / build_module.HASHES_FILE
    assert record.is_file()
    record.write_bytes(b"PAR1 not a Parquet file")
    hashed.clear()
    result = build([sources], out, jobs=1)
    assert sorted(hashed) == sorted(NAMES) and (result.read, result.reused) == (0, 2)
    record.unlink()
    hashed.clear()
    build([sources], out, jobs=1)
    assert sorted(hashed) == sorted(NAMES)
    # and the build wrote it again: the next one trusts it
    hashed.clear()
    build([sources], out, jobs=1)
    assert hashed == []
