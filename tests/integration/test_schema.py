"""The corpus schema.

Declared once, checked when the build writes and when a corpus is read; the
streaming build copies unchanged reports row for row.
"""

from __future__ import annotations

import importlib
import pickle
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from helpers import DATA

import gicstats
from gicstats.corpus import build, read_corpus
from gicstats.corpus.schema import CELLS, FINDINGS, SCHEMAS, TABLES, KeyGuard, validate_table

# the module: ``gicstats.corpus.build`` is the function
build_module = importlib.import_module("gicstats.corpus.build")


def _cells(rows: list[tuple]) -> pa.Table:
    """Cells rows ``(report_id, table, row, column, value)``; the other columns filled in."""
    n = len(rows)
    return pa.table(
        {
            "build_id": ["b"] * n,
            "report_id": [r[0] for r in rows],
            "table": [r[1] for r in rows],
            "row": [r[2] for r in rows],
            "column": [r[3] for r in rows],
            "value": pa.array([r[4] for r in rows], pa.float64()),
            "raw": [str(r[4]) for r in rows],
            "unit": [None] * n,
            "source": ["x.html"] * n,
            "locator": ["t1"] * n,
        },
        schema=CELLS.schema,
    )


def test_every_table_is_declared_with_build_and_report_ids_first():
    assert TABLES == ("reports", "cells", "findings", "sections")
    for spec in SCHEMAS.values():
        assert spec.columns[:2] == ("build_id", "report_id")
        assert spec.key[0] == "report_id" and set(spec.key) <= set(spec.columns)
    assert FINDINGS.key == ("report_id", "n") and FINDINGS.schema.field("n").type == pa.int64()
    assert CELLS.schema.field("value").type == pa.float64()


# --------------------------------------------------------------------------
# Written: every table passes through validate_table or a KeyGuard
# --------------------------------------------------------------------------


def test_a_duplicate_cell_key_is_refused_naming_table_and_key():
    rows = [("r1", "applications", "granted", "total", 3.0), ("r1", "applications", "granted", "total", 4.0)]
    with pytest.raises(gicstats.GicstatsError) as err:
        validate_table("cells", _cells(rows), "corpus/cells.parquet")
    message = str(err.value)
    assert message == (
        "corpus/cells.parquet: table cells: duplicate key (report_id, table, row, column) = "
        "('r1', 'applications', 'granted', 'total')"
    )
    assert "\n" not in message


def test_a_duplicate_key_past_the_small_table_path_is_refused():
    # above 4096 rows the key is checked by a hash aggregation, not a set
    rows = [("r1", "t", f"row{i}", "c", float(i)) for i in range(5000)] + [("r1", "t", "row4321", "c", 0.0)]
    with pytest.raises(gicstats.GicstatsError, match=r"duplicate key .* = \('r1', 't', 'row4321', 'c'\)"):
        validate_table("cells", _cells(rows), "cells.parquet")
    validate_table("cells", _cells(rows[:-1]), "cells.parquet")  # the same without the duplicate passes


def test_a_missing_column_or_null_key_is_refused():
    table = _cells([("r1", "applications", "granted", "total", 3.0)]).drop_columns(["locator"])
    with pytest.raises(gicstats.GicstatsError, match="table cells: missing column 'locator'"):
        validate_table("cells", table, "cells.parquet")
    table = _cells([("r1", "applications", None, "total", 3.0)])
    with pytest.raises(gicstats.GicstatsError, match=r"table cells: null in key .* = \('r1', 'applications', None"):
        validate_table("cells", table, "cells.parquet")
    table = _cells([("r1", "applications", "granted", "total", 3.0)])
    bad = table.set_column(5, "value", pa.array(["3"], pa.string()))
    with pytest.raises(gicstats.GicstatsError, match="table cells: column 'value' is string, not double"):
        validate_table("cells", bad, "cells.parquet")


def test_key_guard_refuses_a_report_written_twice_or_a_duplicate_within_one():
    guard = KeyGuard("cells", "cells.parquet")
    guard.add("r1", _cells([("r1", "a", "x", "c", 1.0), ("r1", "a", "y", "c", 2.0)]))
    guard.add("r2", _cells([("r2", "a", "x", "c", 1.0)]))  # same cell, another report: fine
    with pytest.raises(gicstats.GicstatsError, match=r"duplicate key .*: rows of report_id 'r1' written twice"):
        guard.add("r1", _cells([("r1", "a", "z", "c", 1.0)]))
    with pytest.raises(gicstats.GicstatsError, match=r"table cells: duplicate key .* = \('r3', 'a', 'x', 'c'\)"):
        guard.add("r3", _cells([("r3", "a", "x", "c", 1.0), ("r3", "a", "x", "c", 1.0)]))
    with pytest.raises(gicstats.GicstatsError, match="rows of another report"):
        guard.add("r4", _cells([("r5", "a", "x", "c", 1.0)]))


def test_build_writes_tables_as_declared(bundled_corpus):
    for name, spec in SCHEMAS.items():
        table = pq.read_table(bundled_corpus / spec.file)
        assert table.schema.equals(spec.schema), name
        validate_table(name, table, name)
    # findings are numbered 0, 1, … within each report, year-against-year ones last
    findings = read_corpus(bundled_corpus).findings
    assert len(findings) > 0
    for _, group in findings.groupby("report_id"):
        assert list(group["n"]) == list(range(len(group)))
        series = list(group["rule"].str.startswith("series."))
        assert series == sorted(series)  # the report's own findings, then the series ones
    # the same rule on one report with different cells: two findings, two keys
    repeated = findings.groupby(["report_id", "rule"]).size()
    assert (repeated > 1).any()


# --------------------------------------------------------------------------
# Read: a hand-corrupted file is refused with one line naming table and key
# --------------------------------------------------------------------------


def _rewrite(path, change) -> None:
    table = pq.read_table(path)
    pq.write_table(change(table), path)


def test_reading_a_corpus_with_a_duplicated_cell_is_refused(tmp_path, bundled_corpus):
    out = tmp_path / "c"
    shutil.copytree(bundled_corpus, out)
    cells = pq.read_table(out / "cells.parquet")
    row = cells.slice(10, 1)
    _rewrite(out / "cells.parquet", lambda t: pa.concat_tables([t, row]))
    key = tuple(row.column(c)[0].as_py() for c in CELLS.key)
    with pytest.raises(gicstats.GicstatsError) as err:
        read_corpus(out)
    assert str(err.value) == (
        f"{out / 'cells.parquet'}: table cells: duplicate key (report_id, table, row, column) = "
        f"('{key[0]}', '{key[1]}', '{key[2]}', '{key[3]}')"
    )


def test_reading_a_corpus_without_a_declared_column_is_refused(tmp_path, bundled_corpus):
    out = tmp_path / "c"
    shutil.copytree(bundled_corpus, out)
    _rewrite(out / "findings.parquet", lambda t: t.drop_columns(["n"]))
    with pytest.raises(gicstats.GicstatsError, match=r"findings.parquet: table findings: missing column 'n'$"):
        read_corpus(out)
    # the build does not trust such a corpus either: it reads every report again
    result = build([DATA], out, agencies=DATA / "agencies.toml", corrections=DATA / "corrections.toml", jobs=1)
    assert (result.read, result.reused) == (7, 0)
    assert len(read_corpus(out)) == 7


def test_reading_a_corpus_with_a_duplicated_report_is_refused(tmp_path, bundled_corpus):
    out = tmp_path / "c"
    shutil.copytree(bundled_corpus, out)
    _rewrite(out / "reports.parquet", lambda t: pa.concat_tables([t, t.slice(0, 1)]))
    with pytest.raises(
        gicstats.GicstatsError, match=r"table reports: duplicate key \(report_id\) = \('[0-9a-f]{16}'\)$"
    ):
        read_corpus(out)


# --------------------------------------------------------------------------
# The streaming build: copies, row groups, the index
# --------------------------------------------------------------------------


def _tables(folder) -> dict[str, pa.Table]:
    return {name: pq.read_table(folder / f"{name}.parquet").drop_columns(["build_id"]) for name in TABLES}


def test_a_rebuild_copies_every_row_of_unchanged_reports(tmp_path, monkeypatch):
    """Small row groups and copy batches, so that reports span batches."""
    monkeypatch.setattr(build_module, "ROW_GROUP_ROWS", 50)
    monkeypatch.setattr(build_module, "COPY_BATCH_ROWS", 7)
    src = tmp_path / "src"
    src.mkdir()
    for p in DATA.iterdir():
        if p.suffix in (".txt", ".html"):
            shutil.copy(p, src / p.name)
    out = tmp_path / "corpus"
    first = build([src], out, agencies=DATA / "agencies.toml", jobs=2)
    assert (first.read, first.reused) == (6, 0)
    assert pq.ParquetFile(out / "cells.parquet").metadata.num_row_groups > 5
    before = _tables(out)
    second = build([src], out, agencies=DATA / "agencies.toml", jobs=2)
    assert (second.read, second.reused) == (0, 6)
    after = _tables(out)
    for name in ("cells", "findings", "sections"):
        key = list(SCHEMAS[name].key)
        assert (
            after[name]
            .sort_by([(k, "ascending") for k in key])
            .equals(before[name].sort_by([(k, "ascending") for k in key]))
        ), name
    assert after["reports"].equals(before["reports"])
    # one build id in every file, a new one
    ids = {pc.unique(pq.read_table(out / f"{n}.parquet").column("build_id")).to_pylist()[0] for n in TABLES}
    assert len(ids) == 1
    # series findings are made again, not copied twice: the Pingtan gaps once each
    gaps = read_corpus(out).findings.query("rule == 'series.gap'")
    assert len(gaps) == 3


def _pingtan_2019_2021(tmp_path):
    """A folder of Pingtan 2019 and 2021 and its corpus, built: ``(src, out)``."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pingtan_2019.txt", "pingtan_2021.txt"):
        shutil.copy(DATA / name, src / name)
    out = tmp_path / "corpus"
    build([src], out, jobs=1)
    return src, out


def test_adding_a_report_rereads_only_it_and_redoes_the_series(tmp_path):
    src, out = _pingtan_2019_2021(tmp_path)
    assert read_corpus(out).findings.query("rule == 'series.gap'")["report_id"].size == 1
    shutil.copy(DATA / "pingtan_2023.txt", src / "pingtan_2023.txt")
    result = build([src], out, jobs=1)
    assert (result.read, result.reused) == (1, 2)
    corpus = read_corpus(out)
    names = dict(zip(corpus.reports["report_id"], corpus.reports["report"]))
    gaps = corpus.findings.query("rule == 'series.gap'")
    assert sorted(gaps["report_id"].map(names)) == ["pingtan_2021.txt", "pingtan_2023.txt"]


def _findings(folder) -> pa.Table:
    table = pq.read_table(folder / "findings.parquet").drop_columns(["build_id"])
    return table.sort_by([("report_id", "ascending"), ("n", "ascending")])


def test_a_rebuild_has_the_findings_of_a_fresh_build(tmp_path):
    """Series kept from the previous build or checked again: the same findings as a build from nothing.

    One folder is rebuilt as its files, the alias file and the corrections
    change; after each step its findings must be those of a fresh build of
    the same inputs.
    """
    src = tmp_path / "src"
    src.mkdir()
    for year in (2019, 2023):
        shutil.copy(DATA / f"pingtan_{year}.txt", src / f"pingtan_{year}.txt")
    text = (DATA / "pingtan_2021.txt").read_text(encoding="utf-8")
    # 2021 under another name, which only the alias file joins to the series
    (src / "pingtan_2021.txt").write_text(text.replace("平潭综合实验区", "平潭综合实验区管委会", 1), encoding="utf-8")
    # and a 2022 (2021's tables again) so that two years are adjacent: its
    # 上年结转 (0) against 2021's 结转下年度 (1) is a series.carry_over error
    (src / "pingtan_2022.txt").write_text(text.replace("2021年", "2022年"), encoding="utf-8")
    aliases = DATA / "agencies.toml"
    corrections = tmp_path / "corrections.toml"
    corrections.write_text(
        '[[correction]]\nreport = "pingtan_2021.txt"\ncell = "applications.carried_to_next.total"\n'
        'action = "set"\nvalue = 0\nexpect = "1"\nreason = "test"\n',
        encoding="utf-8",
    )
    out = tmp_path / "corpus"

    def step(n: int, read: int, reused: int, **inputs) -> pa.Table:
        result = build([src], out, jobs=1, **inputs)
        assert (result.read, result.reused) == (read, reused)
        fresh = build([src], tmp_path / f"fresh{n}", jobs=1, **inputs)
        assert fresh.reused == 0
        got, want = _findings(out), _findings(tmp_path / f"fresh{n}")
        assert got.equals(want), (got.to_pandas(), want.to_pandas())
        return got

    def series(findings: pa.Table, rule: str) -> list[str]:
        """The cells (or, for a gap, the report) of each finding of ``rule``."""
        reports = pq.read_table(out / "reports.parquet")
        names = dict(zip(reports["report_id"].to_pylist(), reports["report"].to_pylist()))
        rows = zip(findings["report_id"].to_pylist(), findings["rule"].to_pylist(), findings["cells"].to_pylist())
        return sorted(cells.split(",")[0] or names[r] for r, got, cells in rows if got == rule)

    def carry(now: int, column: str) -> str:
        return f"{now}:applications.carried_over_from_prev.{column}"

    joined = step(1, 4, 0, agencies=aliases)
    assert series(joined, "series.gap") == ["pingtan_2021.txt"]  # 2019 → 2021
    every = [carry(y, c) for y in (2022, 2023) for c in ("natural_person", "total")]
    assert series(joined, "series.carry_over") == every
    assert step(2, 0, 4, agencies=aliases).equals(joined)  # nothing changed: the series kept
    split = step(3, 0, 4)  # no aliases: 2021 stands alone, 2022 follows 2019
    assert series(split, "series.gap") == ["pingtan_2022.txt"]
    assert series(split, "series.carry_over") == every[2:]
    assert step(4, 0, 4, agencies=aliases).equals(joined)
    # corrected, every report is read again: 2021 carries 0 over in all, as 2022 says
    corrected = step(5, 4, 0, agencies=aliases, corrections=corrections)
    assert series(corrected, "series.carry_over") == [carry(2022, "natural_person"), *every[2:]]
    (src / "pingtan_2023.txt").unlink()
    shutil.copy(DATA / "pingtan_2025.txt", src / "pingtan_2025.txt")
    step(6, 1, 3, agencies=aliases, corrections=corrections)


def test_the_same_bytes_under_two_names_are_one_report(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "pingtan_2021.txt", src / "a.txt")
    shutil.copy(DATA / "pingtan_2021.txt", src / "b.txt")
    result = build([src, src / "a.txt", tmp_path / "gone.txt", tmp_path / "gone.txt"], tmp_path / "c", jobs=1)
    corpus = read_corpus(tmp_path / "c")
    assert sorted(corpus.reports["report"]) == ["a.txt", "gone.txt"]
    assert result.read == 1 and result.failed == [(str(tmp_path / "gone.txt"), "no such file")]


def test_corpus_report_takes_exactly_its_rows(bundled_corpus):
    corpus = read_corpus(bundled_corpus)
    for row in corpus.reports.to_dict(orient="records"):
        if pd.isna(row["year"]) or pd.isna(row["agency_key"]):
            continue
        report = corpus.report(row["agency_key"], int(row["year"]))
        mask = corpus.cells["report_id"] == report.id
        assert len(report.cells) == int(mask.sum()) == row["n_cells"]
        stored = corpus.findings[corpus.findings["report_id"] == report.id]
        assert list(report.findings["message"]) == list(stored["message"])
    pingtan = corpus.select(agency="平潭综合实验区")
    assert set(pingtan.cells["report_id"]) == set(pingtan.reports["report_id"])
    assert len(pingtan.cells) == int(corpus.cells["report_id"].isin(set(pingtan.reports["report_id"])).sum())


def test_a_previous_corpus_damaged_inside_stops_the_rebuild_naming_the_file(tmp_path):
    """Footers intact (so the corpus looks reusable), a data page of cells overwritten."""
    src, out = _pingtan_2019_2021(tmp_path)
    cells = out / "cells.parquet"
    data = bytearray(cells.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    start = 4  # after the magic bytes: the first column chunk's pages
    data[start : len(data) - footer] = bytes(len(data) - footer - start)
    cells.write_bytes(bytes(data))
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    shutil.copy(DATA / "pingtan_2023.txt", src / "pingtan_2023.txt")
    with pytest.raises(gicstats.GicstatsError) as err:
        build([src], out, jobs=1)
    assert str(err.value).startswith(f"{cells}: unreadable Parquet file (")
    assert str(err.value).endswith("); delete it and rebuild")
    # nothing half-written, and the corpus as it was
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_chunk_of_reports_crosses_to_the_build_as_read_with_a_failure_among_them(tmp_path):
    """A worker's chunk: readable reports around one that fails, pickled as the pool pickles it."""
    names = ("pingtan_2019.txt", "shanghai_bgt_2019.html", "tianmen_police_2020.txt")
    (tmp_path / "empty.html").write_bytes(b"")
    paths = [str(DATA / names[0]), str(tmp_path / "empty.html"), str(DATA / names[1]), str(DATA / names[2])]
    items = [(p, str(i) * 64) for i, p in enumerate(paths)]
    chunk = build_module._Chunk.read(items, None, None, "b")
    again = pickle.loads(pickle.dumps(chunk))
    assert again.rows == chunk.rows
    assert [r["error"] for r in again.rows] == [None, "file is empty", None, None]
    assert "counts" not in again.rows[1]
    for name, table in chunk.tables.items():
        assert again.tables[name].equals(table), name
    # each readable report's rows, one report after another, as read alone
    for row, path in zip([again.rows[i] for i in (0, 2, 3)], [paths[0], paths[2], paths[3]]):
        report = gicstats.read_report(path)
        checked = report.check()
        rid = row["report_id"]
        cells = again.tables["cells"].filter(pc.equal(again.tables["cells"].column("report_id"), rid))
        assert cells.num_rows == row["counts"]["cells"] == row["n_cells"] == len(report.cells) > 100
        assert cells.column("raw").to_pylist() == report.cells["raw"].tolist()
        assert set(cells.column("source").to_pylist()) == {path}
        findings = again.tables["findings"].filter(pc.equal(again.tables["findings"].column("report_id"), rid))
        assert findings.column("n").to_pylist() == list(range(len(checked))) == list(range(row["counts"]["findings"]))
        assert findings.column("rule").to_pylist() == checked["rule"].tolist()
        sections = again.tables["sections"].filter(pc.equal(again.tables["sections"].column("report_id"), rid))
        assert dict(zip(sections.column("section").to_pylist(), sections.column("text").to_pylist())) == report.sections
    runs = pc.run_end_encode(again.tables["cells"].column("report_id").combine_chunks()).values.to_pylist()
    assert runs == [again.rows[i]["report_id"] for i in (0, 2, 3)]
    assert set(again.tables["series"].column("report_id").to_pylist()) == set(runs)


def test_one_process_and_two_build_the_same_corpus(tmp_path):
    """In one process, every report is in one chunk; across two, in chunks of one: same tables."""
    src = tmp_path / "src"
    src.mkdir()
    for p in DATA.iterdir():
        if p.suffix in (".txt", ".html"):
            shutil.copy(p, src / p.name)
    (src / "empty.html").write_bytes(b"")
    one, two = tmp_path / "one", tmp_path / "two"
    assert build([src], one, jobs=1).failed == build([src], two, jobs=2).failed != []
    for name in TABLES:
        key = [(k, "ascending") for k in SCHEMAS[name].key]
        a, b = (pq.read_table(d / f"{name}.parquet").drop_columns(["build_id"]).sort_by(key) for d in (one, two))
        assert a.num_rows and a.equals(b), name


def test_series_checked_a_batch_at_a_time_find_what_they_find_together(tmp_path, monkeypatch):
    """Batches of one series each (the Pingtan years, Tianmen, Shanghai, ...) against all at once."""
    src = tmp_path / "src"
    src.mkdir()
    for p in DATA.iterdir():
        if p.suffix in (".txt", ".html"):
            shutil.copy(p, src / p.name)
    build([src], tmp_path / "together", agencies=DATA / "agencies.toml", jobs=1)
    monkeypatch.setattr(build_module, "SERIES_BATCH_REPORTS", 1)
    build([src], tmp_path / "apart", agencies=DATA / "agencies.toml", jobs=1)
    key = [(k, "ascending") for k in FINDINGS.key]
    together, apart = (
        pq.read_table(tmp_path / d / "findings.parquet").drop_columns(["build_id"]).sort_by(key)
        for d in ("together", "apart")
    )
    assert together.equals(apart)
    series = together.filter(pc.starts_with(together.column("rule"), "series."))
    assert series.filter(pc.equal(series.column("rule"), "series.gap")).num_rows == 3
