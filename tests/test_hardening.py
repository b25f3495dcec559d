"""Bugs the fuzz tests found, each pinned by tests that failed before
its fix:

1. a title search that backtracked for seconds on very long lines;
2. a page past a limit named by its base name, not the path as given.

Inputs are built here by hand or from the bundled reports; nothing touches
the network.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import generate as G
import pandas as pd
import pytest

from gicstats.cli import main
from gicstats.errors import GicstatsError
from gicstats.meta import find_published, find_title, split_sections
from gicstats.report import read_report

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TITLE = "平潭综合实验区2021年度政府信息公开工作年度报告"


def _page(seed: int = 3, version: str = "2021") -> str:
    values = G.balanced_values(version, random.Random(seed))
    return G.render_html(values, version, "某市某局", 2021, published="2022-01-20")


def _lone_cell(page: str, report) -> tuple[tuple[str, str, str], str]:
    """A cell of at least two digits whose text occurs once in the page, as
    ``>raw<``: its key and raw text."""
    for row in report.cells.itertuples():
        if row.raw and len(row.raw) >= 2 and page.count(f">{row.raw}<") == 1:
            return (row.table, row.row, row.column), row.raw
    raise AssertionError("no cell printed once")


def _without(frame: pd.DataFrame, key: tuple[str, str, str]) -> pd.DataFrame:
    hit = (frame["table"] == key[0]) & (frame["row"] == key[1]) & (frame["column"] == key[2])
    return frame[~hit].reset_index(drop=True)


def _same_cells(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same cells, values and raw texts; locators may differ (text was
    added before the tables)."""
    pd.testing.assert_frame_equal(a.drop(columns="locator"), b.drop(columns="locator"))


def _cell(report, key: tuple[str, str, str]) -> pd.Series:
    cells = report.cells.set_index(["table", "row", "column"])
    return cells.loc[key]


# --------------------------------------------------------------------------
# 1. Titles after very long lines
# --------------------------------------------------------------------------

# 105,000 characters on which the title pattern, searched whole, tries 60 x 60
# ways at each of the 21,000 years: ten such lines took 10 to 14 s.
LONG_LINE = "2021年" * 21_000


def test_title_after_ten_very_long_lines_is_found_quickly() -> None:
    text = "\n".join([LONG_LINE] * 10 + [TITLE, "一、总体情况"])
    start = time.perf_counter()
    found = find_title(text)
    elapsed = time.perf_counter() - start
    assert found == (TITLE, "平潭综合实验区", 2021)
    assert elapsed < 3, f"find_title took {elapsed:.1f} s"


def test_report_after_ten_very_long_lines_reads_as_without_them() -> None:
    data = (DATA / "pingtan_2021.txt").read_bytes()
    clean = read_report(data, name="pingtan_2021.txt")
    junk = ("\n".join([LONG_LINE] * 10) + "\n").encode()
    start = time.perf_counter()
    report = read_report(junk + data, name="pingtan_2021.txt")
    elapsed = time.perf_counter() - start
    assert (report.title, report.agency, report.year) == (TITLE, "平潭综合实验区", 2021)
    _same_cells(report.cells, clean.cells)
    assert elapsed < 5, f"read_report took {elapsed:.1f} s"


def test_title_inside_a_long_line_is_still_found() -> None:
    """A text dump may run the whole page into one line: the title is
    searched near each 政府信息公开 of a long line."""
    noise = "首页 政府信息公开专栏 政府信息公开年报 " * 30 + "甲" * 2000 + "。"
    line = noise + TITLE + "。" + "乙" * 5000
    assert len(line) > 200
    assert find_title(line) == (TITLE, "平潭综合实验区", 2021)


def test_other_metadata_finders_are_quick_on_long_lines() -> None:
    text = "\n".join(["日期" + " " * 3990, "标题" + "\t" * 3990, *[LONG_LINE] * 10, "2022年1月20日"])
    start = time.perf_counter()
    assert find_published(text) == pd.Timestamp("2022-01-20").date()
    split_sections(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 3, f"took {elapsed:.1f} s"


# --------------------------------------------------------------------------
# 4. Limit refusals name the path as given
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variable", "problem"),
    [("big.html", "GICSTATS_MAX_TAGS", "page has"), ("big.txt", "GICSTATS_MAX_LINES", "text has")],
)
def test_limit_refusal_names_the_path_as_given(tmp_path, monkeypatch, capsys, name, variable, problem) -> None:
    folder = tmp_path / "some" / "dir"
    folder.mkdir(parents=True)
    text = _page() if name.endswith(".html") else (DATA / "pingtan_2021.txt").read_text(encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv(variable, "5")
    with pytest.raises(GicstatsError) as err:
        read_report(folder / name)
    assert str(err.value).startswith(f"{folder / name}: {problem} ")
    monkeypatch.chdir(tmp_path)
    assert main(["parse", f"some/dir/{name}"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"gicstats: some/dir/{name}: {problem} ") and f"({variable})" in line
