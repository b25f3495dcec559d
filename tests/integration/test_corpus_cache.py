"""A kernel reads a corpus once per build (issue 16), and never hands out stale or shared data.

``open_corpus`` keeps the last corpus it read, keyed by the build id its
Parquet files carry and their identity; every notebook gets its own copy.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from helpers import DATA

from gicstats.corpus import build
from gicstats.corpus.store import build_stamp, read_corpus
from gicstats.publish import sections


@pytest.fixture
def corpus_dir(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pingtan_2019.txt", "pingtan_2021.txt"):
        shutil.copy(DATA / name, src / name)
    out = tmp_path / "corpus"
    build([src], out, jobs=1)
    sections._last_corpus = None
    yield src, out
    sections._last_corpus = None


def test_second_open_is_the_cached_read_and_a_copy(corpus_dir):
    _, out = corpus_dir
    first = sections.open_corpus(out)
    kept = sections._last_corpus
    second = sections.open_corpus(out)
    assert sections._last_corpus is kept  # not read again
    assert first is not second and first.cells is not second.cells
    fresh = read_corpus(out)
    for name in ("reports", "cells", "findings", "sections"):
        pd.testing.assert_frame_equal(getattr(second, name), getattr(fresh, name))
    report = sections.open_report(out, "平潭综合实验区", 2021)
    assert report.value("applications", "new_received", "total") == 70


def test_a_notebook_changing_its_corpus_changes_nothing_for_the_next(corpus_dir):
    _, out = corpus_dir
    first = sections.open_corpus(out)
    first.cells["value"] = -1
    first.cells = first.cells.iloc[5:]  # rows gone: the cached positions no longer fit
    assert sections.open_report(out, "平潭综合实验区", 2021).value("applications", "new_received", "total") == 70
    # the changed copy still selects its own rows right, not by the cache's positions
    hit = first.select(agency="平潭综合实验区", year=2021)
    rid = hit.reports["report_id"].iloc[0]
    want = first.cells[first.cells["report_id"] == rid]
    assert len(hit.cells) == len(want) and (hit.cells["report_id"] == rid).all()
    assert (hit.cells["value"] == -1).all()


def test_a_new_build_is_read_anew(corpus_dir):
    src, out = corpus_dir
    assert len(sections.open_corpus(out)) == 2
    stamp = build_stamp(out)
    shutil.copy(DATA / "pingtan_2023.txt", src / "pingtan_2023.txt")
    build([src], out, jobs=1)
    assert build_stamp(out) != stamp
    assert len(sections.open_corpus(out)) == 3
    assert sections.open_corpus(out).years == [2019, 2021, 2023]


def test_no_stamp_without_a_corpus(tmp_path):
    assert build_stamp(tmp_path) is None
