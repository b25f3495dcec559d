"""Text dumps of report tables: paragraphs wrapped at a page's margin, tables laid out in columns, a cell a paragraph.

The fixtures under ``tests/data/dumps/`` are real bytes, the lines about
table 三 (and 四) of what ``bench/shape_matrix.py`` makes (fonts: Noto Sans
CJK through its own fontconfig file):

- ``pingtan_*.lo-pdf.pdftotext.txt``: ``pdftotext -layout -enc UTF-8``
  (poppler 22.12.0) of the PDF that LibreOffice 7.4.7.2 headless made of the
  Pingtan text report (``soffice --infilter="Text (encoded):UTF8"
  --convert-to pdf``; ``lo.pdf|pdftotext``). The report runs its tables
  together in one paragraph; the page wraps that paragraph every line,
  through labels (``1.信`` / ``访举报投诉类申请``) and between cells (``…申请数量
  230`` / ``000023 二、…``, ``230 000023`` in the report).
- ``shanghai_bgt_2019.chromium-pdf.pdftotext.txt``: the same pdftotext of
  Chromium 156.0.8078.114's print to PDF of the Shanghai page
  (``chromium.pdf|pdftotext``): table 三 laid out in columns, its blank
  cells left as spaces.
- ``shanghai_bgt_2019.lo-pdf.pdftotext.txt``: the same pdftotext of
  LibreOffice's PDF of the page (``lo.pdf|pdftotext``), whose table 三 runs
  past both edges of the page.
- ``shanghai_bgt_2019.lynx.txt``: ``lynx -dump -nolist -width=200`` (Lynx
  2.9.0dev.12) of the page (``lynx``): a cell a paragraph, an empty cell
  an empty line.
- ``shanghai_bgt_2019.collapsed.*``: the same two of the page with its
  repeated cells dropped (``collapsed.html|…``, ``tests/shapes.py``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import DATA, ROOT, load_truth

import gicstats
from gicstats.read.readers.text import _layout_cells, _layout_head, _reflow

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


# --------------------------------------------------------------------------
# Shanghai: table 三 laid out in columns (pdftotext), a cell a paragraph (lynx)
# --------------------------------------------------------------------------

SHANGHAI_DUMPS = ["shanghai_bgt_2019.chromium-pdf.pdftotext.txt", "shanghai_bgt_2019.lynx.txt"]


def _read(report) -> dict[str, tuple[float | None, str]]:
    cells = report.cells
    return {
        f"{t}.{r}.{c}": (None if pd.isna(v) else v, raw)
        for t, r, c, v, raw in zip(cells["table"], cells["row"], cells["column"], cells["value"], cells["raw"])
    }


def _named(report) -> set[str]:
    named: set[str] = set()
    for entry in report.findings["cells"].dropna():
        named.update(part.strip() for part in str(entry).split(","))
    return named


@pytest.fixture(scope="module")
def shanghai_page():
    """The page read from its HTML: what every value read from a dump of it must equal."""
    return _read(gicstats.read_report(DATA / "shanghai_bgt_2019.html"))


@pytest.mark.parametrize("dump", SHANGHAI_DUMPS)
def test_table_three_of_a_dumped_page_reads_exactly(dump, shanghai_page):
    report = gicstats.read_report(DUMPS / dump)
    got = _read(report)
    truth = load_truth("shanghai_bgt_2019")["cells"]
    keys = [k for k in truth if k.startswith("applications.")]
    assert len(keys) == 42
    for key in keys:
        value, raw = got[key]
        # a blank the truth records as 0 stays null, read as blank
        assert value == truth[key] or (truth[key] == 0 and value is None and raw == ""), (key, value, raw)
    # the rows the truth does not list: every value read is the page's
    read = {k: v for k, (v, _) in got.items() if k.startswith("applications.") and v is not None}
    assert len(read) >= 30
    assert read == {k: shanghai_page[k][0] for k in read}


@pytest.mark.parametrize("dump", SHANGHAI_DUMPS)
def test_the_review_table_of_a_dumped_page_is_null_with_a_finding(dump):
    """Table 四's values do not say their columns in these dumps (see README, known limits): none is read."""
    report = gicstats.read_report(DUMPS / dump)
    got = _read(report)
    named = _named(report)
    keys = [k for k in load_truth("shanghai_bgt_2019")["cells"] if k.startswith("review_litigation.")]
    assert all(got.get(k, (None, ""))[0] is None for k in keys)
    assert all(k in named or "review_litigation" in named for k in keys)


@pytest.mark.parametrize(
    "dump", ["shanghai_bgt_2019.collapsed.chromium-pdf.pdftotext.txt", "shanghai_bgt_2019.collapsed.lynx.txt"]
)
def test_a_page_that_lost_its_repeated_cells_reads_no_wrong_number(dump, shanghai_page):
    """(一)予以公开 ``258 | 12 | | | 1 | 1 |`` lost its second 1: not read, with a finding."""
    report = gicstats.read_report(DUMPS / dump)
    got = _read(report)
    read = {k: v for k, (v, _) in got.items() if k.startswith("applications.") and v is not None}
    assert read == {k: shanghai_page[k][0] for k in read}
    assert got["applications.new_received.natural_person"] == (821, "821")
    granted = [f"applications.granted.{c}" for c in ("natural_person", "commercial", "legal_service", "other")]
    assert all(got.get(k, (None, ""))[0] is None for k in granted)
    assert set(granted) <= _named(report)


def test_a_label_alone_is_blank_only_between_rows():
    """``3.危及“三安全一稳定”`` is followed by labels pdftotext ran together (``4.5.保护…``).

    That line may hold its values: the row is not read blank.
    """
    report = gicstats.read_report(DUMPS / "shanghai_bgt_2019.chromium-pdf.pdftotext.txt")
    got = _read(report)
    row = [k for k in got if k.startswith("applications.withheld_security_stability.")]
    assert all(got[k][0] is None and got[k][1] != "" for k in row)
    assert {f"applications.withheld_security_stability.{c}" for c in ("natural_person", "total")} <= _named(report)
    # the row before it, between two rows, is blank as printed
    assert got["applications.withheld_law_prohibited.natural_person"] == (None, "")


def test_a_table_cut_at_the_page_edge_reads_the_columns_printed():
    """LibreOffice's PDF of the page, through pdftotext: the table runs past both edges of the page.

    The head prints 自然人 … 社会公益组织 and ``法``; the rows 一, 二 and 四 lost
    the start of their labels (``府信息公开申请数量`` twice): not read. The
    rows left read their four printed columns, blanks blank, and the three
    cut ones null with a finding.
    """
    report = gicstats.read_report(DUMPS / "shanghai_bgt_2019.lo-pdf.pdftotext.txt")
    got = _read(report)
    truth = load_truth("shanghai_bgt_2019")["cells"]
    named = _named(report)
    printed = ("natural_person", "commercial", "research", "social_org")
    for row in ("granted", "partially_granted", "results_total"):
        for column in printed:
            key = f"applications.{row}.{column}"
            value, raw = got[key]
            assert value == truth[key] or (truth[key] == 0 and value is None and raw == ""), key
        for column in ("legal_service", "other", "total"):
            key = f"applications.{row}.{column}"
            assert got[key] == (None, "…") and key in named, key
    for row in ("new_received", "carried_over_from_prev", "carried_to_next"):
        assert all(got.get(f"applications.{row}.{c}", (None, None))[0] is None for c in printed)
        # null with a finding naming the cell or its row (parse.missing_row)
        assert {f"applications.{row}.natural_person", f"applications.{row}"} & named, row


def test_a_head_missing_a_column_gives_no_columns():
    cut = "                                           商业企业 科研机构 社会公益组织 法"
    lines = ["                                    自然人", cut, "     （一）予以公开                          258   12"]
    head = _layout_head(lines)
    assert head is not None and head[2] == 4  # cut at the edge: four columns printed
    # 其他 without 法律服务机构 before it: a column missing, not cut
    assert _layout_head([lines[0], cut[:-1] + " 其他", lines[2]]) is None
    # nothing after 社会公益组织: not known to be cut there
    assert _layout_head([lines[0], cut[:-2], lines[2]]) is None


def test_a_value_between_two_columns_is_not_placed():
    lines = (DUMPS / "shanghai_bgt_2019.chromium-pdf.pdftotext.txt").read_text(encoding="utf-8").split("\n")
    head = _layout_head(lines)
    assert head is not None
    _, centres, printed = head
    assert printed == 7
    total = next(ln for ln in lines if "（七）总计" in ln)
    assert _layout_cells(total, centres, printed) == ["（七）总计", "767", "35", "", "", "2", "1", "805"]
    # 35 moved to stand halfway between 科研机构 and 社会公益组织: in neither column
    at = total.index(" 35 ") + 1
    middle = round((centres[2] + centres[3]) / 2 - 1)  # a two-digit word's centre is its start + 1
    moved = total[:at] + " " * (middle - at) + "35" + total[at + 2 :][middle - at :]
    assert moved.split() == total.split()
    assert _layout_cells(moved, centres, printed) is None


def test_a_paragraph_row_that_does_not_count_the_columns_is_not_read():
    text = (DUMPS / "shanghai_bgt_2019.lynx.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.strip() == "二、上年结转政府信息公开申请数量")
    assert [ln.strip() for ln in lines[at : at + 11]] == [
        "二、上年结转政府信息公开申请数量",
        "",
        "18",
        *[""] * 6,
        "18",
        "",
    ]
    del lines[at + 5]  # one blank cell fewer: six cells
    report = gicstats.read_report("\n".join(lines).encode("utf-8"), name="lynx_short.txt")
    got = _read(report)
    row = [f"applications.carried_over_from_prev.{c}" for c in ("natural_person", "total")]
    assert all(got.get(k, (None, ""))[0] is None for k in row)
    assert set(row) <= _named(report)
    assert got["applications.new_received.total"] == (859, "859")


def test_a_paragraph_row_at_the_end_of_the_text_reads():
    lines = (DUMPS / "shanghai_bgt_2019.lynx.txt").read_text(encoding="utf-8").split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.strip() == "四、结转下年度继续办理")
    cut = lines[: at + 10]  # up to its last value, 72, with no empty line after it
    assert [ln.strip() for ln in cut[at:]] == ["四、结转下年度继续办理", "", "72", "", "", "", "", "", "", "72"]
    report = gicstats.read_report("\n".join(cut).encode("utf-8"), name="lynx_cut.txt")
    got = _read(report)
    row = [got[f"applications.carried_to_next.{c}"][0] for c in ("natural_person", "commercial", "other", "total")]
    assert row == [72, None, None, 72]
    assert got["applications.carried_to_next.commercial"][1] == ""


def test_values_without_a_label_beside_a_row_keep_it_unread():
    """A line of values only may hold a row's values (a label wrapped around them): the rows beside it are not read."""
    lines = (DUMPS / "shanghai_bgt_2019.chromium-pdf.pdftotext.txt").read_text(encoding="utf-8").split("\n")
    at = next(i for i, ln in enumerate(lines) if "（一）予以公开" in ln)
    orphan = " " * 44 + "7"  # under 商业企业
    report = gicstats.read_report("\n".join([*lines[: at + 1], orphan, *lines[at + 1 :]]).encode("utf-8"), name="o.txt")
    got = _read(report)
    granted = [f"applications.granted.{c}" for c in ("natural_person", "commercial", "research", "total")]
    assert all(got.get(k, (None, None))[0] is None and got.get(k, (None, None))[1] != "" for k in granted)
    assert set(granted) <= _named(report)
    assert got["applications.new_received.total"] == (859, "859")
