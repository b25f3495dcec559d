"""The corpus store: build, incremental rebuild, failures recorded, reading back."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import DATA

import gicstats
from gicstats.corpus import build, read_corpus


def test_bundled_corpus_tables(bundled_corpus):
    corpus = read_corpus(bundled_corpus)
    reports = corpus.reports
    assert len(reports) == 7 and reports["error"].isna().all()
    assert corpus.agencies == ["上海市人民政府办公厅", "天门市公安局", "平潭综合实验区", "淮安市洪泽区人民政府"]
    assert corpus.years == [2019, 2020, 2021, 2023, 2024, 2025]
    assert reports.set_index("report").loc["hongze_2024.pdf", "format"] == "pdf"
    pingtan = corpus.select(agency="平潭综合实验区管理委员会")  # an alias from data/agencies.toml
    assert pingtan.years == [2019, 2021, 2023, 2025]
    assert set(pingtan.reports["region"]) == {"福建省/平潭综合实验区"}
    assert len(corpus.select(region="福建省")) == 4
    # cells keep provenance and match reading the file directly
    direct = gicstats.read_report(DATA / "pingtan_2021.txt")
    stored = corpus.report("平潭综合实验区", 2021)
    assert stored.value("applications", "granted", "total") == direct.value("applications", "granted", "total") == 30
    assert stored.cells["source"].str.endswith("pingtan_2021.txt").all()
    assert stored.sections["other_matters"] == direct.sections["other_matters"]
    # series findings are in the findings table: the Pingtan series has gaps
    gaps = corpus.findings[corpus.findings["rule"] == "series.gap"]
    names = dict(zip(corpus.reports["report_id"], corpus.reports["report"]))
    assert sorted(gaps["report_id"].map(names)) == ["pingtan_2021.txt", "pingtan_2023.txt", "pingtan_2025.txt"]


def test_incremental_rebuild_reads_only_changed_files_and_records_failures(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pingtan_2019.txt", "pingtan_2021.txt", "tianmen_police_2020.txt"):
        shutil.copy(DATA / name, src / name)
    out = tmp_path / "corpus"
    first = build([src], out, jobs=2)
    assert (first.read, first.reused, first.failed) == (3, 0, [])
    second = build([src], out, jobs=2)
    assert (second.read, second.reused) == (0, 3)
    (src / "broken.html").write_bytes(b"")
    (src / "pingtan_2021.txt").write_text(
        (DATA / "pingtan_2021.txt").read_text(encoding="utf-8").replace("行政许可2293", "行政许可2294"),
        encoding="utf-8",
    )
    third = build([src], out, jobs=2)
    assert (third.read, third.reused) == (2, 2)  # the changed file and the new broken one
    assert [(p.endswith("broken.html"), e) for p, e in third.failed] == [(True, "file is empty")]
    corpus = read_corpus(out)
    broken = corpus.reports[corpus.reports["report"] == "broken.html"]
    assert broken["error"].tolist() == ["file is empty"]
    assert corpus.report("平潭综合实验区", 2021).value("active_art20_5", "admin_licensing", "decisions") == 2294
    assert not list(out.glob(".*.tmp"))


def test_mixed_builds_are_refused(tmp_path, bundled_corpus):
    out = tmp_path / "c"
    shutil.copytree(bundled_corpus, out)
    cells = pd.read_parquet(out / "cells.parquet")
    cells["build_id"] = "another"
    cells.to_parquet(out / "cells.parquet")
    with pytest.raises(gicstats.GicstatsError, match="different builds"):
        read_corpus(out)


def test_not_a_corpus(tmp_path):
    with pytest.raises(gicstats.GicstatsError, match="not a gicstats corpus"):
        read_corpus(tmp_path)


def test_missing_report_is_a_clear_error(bundled_corpus):
    with pytest.raises(gicstats.GicstatsError, match="no report of '某局' for 2020"):
        read_corpus(bundled_corpus).report("某局", 2020)
