"""A report just read keeps its cells and findings as rows and builds the DataFrames on first access.

These must be the frames it always had, and the Arrow tables must hold the
same rows without building them.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import gicstats
from gicstats.form.findings import COLUMNS as FINDING_COLUMNS
from gicstats.form.findings import Finding
from gicstats.read import report as R

DATA = Path(__file__).resolve().parents[2] / "data"


def _pending(report: gicstats.Report, name: str) -> bool:
    return isinstance(report.__dict__[f"_{name}_frame"], (R.PendingCells, R.PendingFindings))


def _via_arrow(report: gicstats.Report) -> pd.DataFrame:
    """The cells frame the way it was always built: Arrow's to_pandas."""
    pending = report.__dict__["_cells_frame"]
    return R._cells_arrow(pending.cells, pending.source).to_pandas(types_mapper=R._ARROW_TO_PANDAS.get)


@pytest.mark.parametrize("name", ["shanghai_bgt_2019.html", "pingtan_2021.txt", "tianmen_police_2020.txt"])
def test_frames_are_built_on_first_access_as_before(name):
    report = gicstats.read_report(DATA / name)
    assert _pending(report, "cells") and _pending(report, "findings")
    text = repr(report)  # counts rows without building a frame
    assert _pending(report, "cells") and f"cells={len(report.__dict__['_cells_frame'])}" in text
    expected = _via_arrow(report)
    cells = report.cells
    assert not _pending(report, "cells")
    assert report.cells is cells  # built once, then kept
    pd.testing.assert_frame_equal(cells, expected, check_exact=True)
    assert [str(t) for t in cells.dtypes] == ["string"] * 3 + ["Float64"] + ["string"] * 4
    assert list(cells.columns) == list(R.CELL_COLUMNS)
    findings = report.findings
    assert list(findings.columns) == list(FINDING_COLUMNS)
    assert all(str(t) == "string" for t in findings.dtypes)


def test_shanghai_values_and_blanks_survive_the_direct_frame():
    cells = gicstats.read_report(DATA / "shanghai_bgt_2019.html").cells
    first = cells.iloc[0]
    assert (first["table"], first["row"], first["column"], first["value"], first["raw"]) == (
        "active_art20_1",
        "regulations",
        "new_made",
        13.0,
        "13",
    )
    blank = cells[cells["raw"] == ""]
    assert len(blank) and blank["value"].isna().all()  # a blank cell is <NA>, never 0


def test_arrow_tables_match_the_frames_before_and_after_they_are_built():
    report = gicstats.read_report(DATA / "pingtan_2021.txt")
    cells, findings = report.cells_arrow(), report.findings_arrow()
    assert _pending(report, "cells") and _pending(report, "findings")
    assert cells.schema == pa.schema([(c, pa.float64() if c == "value" else pa.string()) for c in R.CELL_COLUMNS])
    assert cells.num_rows == len(report.cells) > 100
    assert cells.to_pylist() == report.cells_arrow().to_pylist()  # from the built frame now
    assert cells.column("value").to_pylist() == [None if pd.isna(v) else v for v in report.cells["value"]]
    assert findings.num_rows == len(report.findings) > 0
    assert findings.to_pylist() == report.findings_arrow().to_pylist()
    assert findings.column("rule").to_pylist() == list(report.findings["rule"])


def test_finding_objects_are_the_same_before_and_after_the_frame_is_built():
    report = gicstats.read_report(DATA / "pingtan_2021.txt")
    pending = report.finding_objects()
    assert _pending(report, "findings") and len(pending) > 0
    assert all(isinstance(f, Finding) for f in pending)
    rules = list(report.findings["rule"])  # builds the frame
    assert not _pending(report, "findings")
    assert report.finding_objects() == pending
    assert [f.rule for f in pending] == rules


def test_a_report_pickles_with_its_frames_pending():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    again = pickle.loads(pickle.dumps(report))
    assert _pending(again, "cells")
    pd.testing.assert_frame_equal(again.cells, report.cells)
    pd.testing.assert_frame_equal(again.findings, report.findings)


def test_a_frame_set_on_a_report_is_kept_as_given():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    frame = report.cells.iloc[:3].copy()
    report.cells = frame
    assert report.cells is frame
    assert report.cells_arrow().num_rows == 3
