"""Text laid out by a page: paragraphs wrapped at the margin are read as one line again.

The fixtures under ``tests/data/dumps/`` are real bytes: ``pdftotext -layout
-enc UTF-8`` (poppler 22.12.0) of the PDF that LibreOffice 7.4.7.2 headless
made of the Pingtan text report (``soffice --infilter="Text (encoded):UTF8"
--convert-to pdf``, fonts: Noto Sans CJK), as ``bench/shape_matrix.py`` makes
it (``lo.pdf|pdftotext``); the lines around table 三 only. The report runs
its tables together in one paragraph; the page wraps that paragraph every
line, through labels (``1.信`` / ``访举报投诉类申请``) and between cells
(``…申请数量 230`` / ``000023 二、…``, ``230 000023`` in the report).
"""

from __future__ import annotations

import pytest
from helpers import ROOT, load_truth

import gicstats
from gicstats.read.readers.text import _reflow

DUMPS = ROOT / "tests" / "data" / "dumps"


def _cells(report) -> dict[str, float | None]:
    cells = report.cells
    return {f"{t}.{r}.{c}": v for t, r, c, v in zip(cells["table"], cells["row"], cells["column"], cells["value"])}


@pytest.mark.parametrize("name", ["pingtan_2019", "pingtan_2025"])
def test_table_three_of_a_wrapped_paragraph_reads_exactly(name):
    report = gicstats.read_report(DUMPS / f"{name}.lo-pdf.pdftotext.txt")
    truth = load_truth(name)
    got = _cells(report)
    keys = [k for k in truth["cells"] if k.startswith(("applications.", "review_litigation."))]
    assert len(keys) == 57
    assert {k: got.get(k) for k in keys} == {k: truth["cells"][k] for k in keys}
    assert report.template_version == truth["template"]


def test_the_cells_locate_the_lines_the_paragraph_spans():
    report = gicstats.read_report(DUMPS / "pingtan_2019.lo-pdf.pdftotext.txt")
    cells = report.cells.set_index(["table", "row", "column"])
    locator = cells.loc[("applications", "new_received", "natural_person"), "locator"]
    # the space at the line break is kept: the run is the report's "230 000023"
    assert locator.startswith("lines 1-20, chars ")
    assert "'230 000023'" in locator
    assert cells.loc[("applications", "new_received", "total"), "value"] == 23


def test_the_wrapped_dump_is_one_paragraph():
    lines = (DUMPS / "pingtan_2019.lo-pdf.pdftotext.txt").read_text(encoding="utf-8").split("\n")
    printed = list(lines)
    assert _reflow(lines) == {0: 19}
    assert lines[0] == "".join(
        ln.strip()
        if i == 0 or not (printed[i - 1].rstrip()[-1:].isdigit() and ln.strip()[:1].isdigit())
        # between two digits the line break stood for a space
        else " " + ln.strip()
        for i, ln in enumerate(printed[:20])
    )
    assert "1.信访举报投诉类申请" in lines[0]  # a label cut by the margin, whole again
    assert lines[1:20] == [""] * 19


def test_short_lines_are_not_joined():
    # one cell a line: no margin
    text = (
        "三、收到和处理政府信息公开申请情况\n"
        + "一、本年新收政府信息公开申请数量\n"
        + "\n".join(["80", "1", "0", "0", "0", "0", "81"] * 4)
    )
    lines = text.split("\n")
    assert _reflow(lines) == {}
    assert lines == text.split("\n")


def test_rows_laid_out_in_columns_are_not_joined():
    # pdftotext of a PDF table: cells apart by column gaps
    row = "一、本年新收政府信息公开申请数量                       821  35                 2    1 859"
    lines = [row] * 12
    assert _reflow(lines) == {}
    assert lines == [row] * 12


def test_lines_wider_than_a_page_are_not_joined():
    # a report of one paragraph a line (the archiver's text): no margin
    paragraph = "平潭综合实验区政府信息公开工作年度报告" * 20
    lines = [paragraph] * 12
    assert _reflow(lines) == {}


def test_digits_either_side_of_a_break_stay_apart():
    # a page breaks a line between two digits only at a space: the join puts
    # it back, so the last number of a line never runs into the first of the
    # next (``23`` / ``2019年`` is not 232019)
    prose = "政府信息公开工作年度报告按照条例要求编制，内容包括总体情况和主动公开情况等六个部分。"
    lines = [prose] * 11 + [
        "本年度共办理政府信息公开申请，其中予以公开的情况见下表（七）总计 23 0 0 0 0 0 23",
        "2019年，我区继续推进。",
    ]
    assert _reflow(lines) == {0: 12}
    assert "（七）总计 23 0 0 0 0 0 23 2019年，我区" in lines[0]
    assert "政府信息公开工作年度报告按照" in lines[0]
    assert prose + prose in lines[0]  # CJK text runs on without a space
