"""Tianmen's pipe-table text through LibreOffice, read as the text reads.

The fixtures are real outputs of the shape matrix's producers
(``tests/shapes.py``), made from ``data/tianmen_police_2020.txt``:

- ``tests/data/tianmen_police_2020.lo.docx``: LibreOffice 7.4.7.2
  (``soffice --headless --infilter="Text (encoded):UTF8" --convert-to
  "docx:MS Word 2007 XML"``), the whole file. Writer opens the text with each
  line a paragraph, and saves the paragraphs: the pipe rows are paragraphs
  of text, there is no Word table.
- ``tests/data/tianmen_police_2020.lo.pdftotext.procurement.txt``: lines
  53-56 of ``pdftotext -layout`` (poppler 22.12.0) of LibreOffice's PDF of
  the same text (the matrix's ``lo.pdf|pdftotext``): table 第二十条第(九)项,
  whose amount ``117.785万`` comes out as ``117.785 万``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import DATA, assert_truth, load_truth

import gicstats
from gicstats.read.readers.office import read_docx
from gicstats.read.values import parse_value, spaced_unit

FIXTURES = Path(__file__).resolve().parents[1] / "data"
LO_DOCX = FIXTURES / "tianmen_police_2020.lo.docx"
LO_PDFTOTEXT = FIXTURES / "tianmen_police_2020.lo.pdftotext.procurement.txt"


def test_libreoffice_docx_of_the_text_reads_every_cell():
    report = gicstats.read_report(LO_DOCX)
    assert report.format == "docx"
    assert_truth(report, load_truth("tianmen_police_2020"))
    assert report.findings.empty, report.findings[["rule", "message"]].to_string()


def test_libreoffice_docx_reads_as_the_text_does():
    """The same cells, raw texts and units as the text report; the locators name paragraphs."""
    text = gicstats.read_report(DATA / "tianmen_police_2020.txt")
    docx = gicstats.read_report(LO_DOCX)
    columns = ["table", "row", "column", "value", "raw", "unit"]
    assert docx.cells[columns].equals(text.cells[columns])
    assert (docx.title, docx.agency, docx.year) == (text.title, text.agency, text.year)
    assert text.cells["locator"].str.startswith("line ").all()
    # the text's line n is the DOCX's paragraph n: Writer made a paragraph of each line
    assert docx.cells["locator"].tolist() == [loc.replace("line ", "paragraph ", 1) for loc in text.cells["locator"]]
    amount = docx.cells.set_index(["table", "row", "column"]).loc[
        ("active_art20_9", "central_procurement", "total_amount")
    ]
    assert (amount["value"], amount["raw"], amount["unit"], amount["locator"]) == (
        117.785,
        "117.785万",
        "万元",
        "paragraph 36, cell 3",
    )


def test_libreoffice_docx_has_no_table_the_rows_are_paragraphs():
    import docx

    document = docx.Document(str(LO_DOCX))
    assert document.tables == []
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[35] == "政府集中采购 | 13 | 117.785万 |"  # paragraph 36
    lines = read_docx(LO_DOCX.read_bytes(), LO_DOCX.name).lines
    row = next(line for line in lines if line.cells[0].text == "政府集中采购")
    assert row.structured and row.dump
    assert [(c.text, c.locator) for c in row.cells] == [
        ("政府集中采购", "paragraph 36, cell 1"),
        ("13", "paragraph 36, cell 2"),
        ("117.785万", "paragraph 36, cell 3"),
    ]


def _docx(paragraphs: list[str | list[str]]) -> bytes:
    """A DOCX of these paragraphs; a list is one paragraph whose parts are joined by line breaks."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        parts = [paragraph] if isinstance(paragraph, str) else paragraph
        p = document.add_paragraph()
        for i, part in enumerate(parts):
            run = p.add_run(part)
            if i < len(parts) - 1:
                run.add_break()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_paragraphs_without_pipe_rows_stay_narrative_as_printed():
    """Prose with a stray ``|`` is not a table: each paragraph is one narrative line, pipe and all."""
    data = _docx(["天门市公安局2020年度政府信息公开工作年度报告", "公开渠道：网站 | 微博", "", "无"])
    doc = read_docx(data, "prose.docx")
    assert [(line.structured, [(c.text, c.locator) for c in line.cells]) for line in doc.lines] == [
        (False, [("天门市公安局2020年度政府信息公开工作年度报告", "paragraph 1")]),
        (False, [("公开渠道：网站 | 微博", "paragraph 2")]),
        (False, [("无", "paragraph 4")]),
    ]
    assert doc.text == "天门市公安局2020年度政府信息公开工作年度报告\n公开渠道：网站 | 微博\n无"


def test_pipe_rows_broken_inside_one_paragraph_are_located_by_paragraph_and_line():
    """Tianmen's table 第二十条第(五)项 as one paragraph whose lines are line breaks (Shift+Enter)."""
    text = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8").split("\n")
    start = text.index("第二十条第(五)项 | |||")
    block = text[start : start + 4]
    assert block[2].startswith("行政许可 | 46 | 0 | 165482 |")
    report = gicstats.read_report(_docx([text[0], block]), name="breaks.docx")
    truth = load_truth("tianmen_police_2020")["cells"]
    cells = report.cells.set_index(["table", "row", "column"])
    for column in ("prev_year_items", "items_change", "decisions"):
        assert (
            cells.loc[("active_art20_5", "admin_licensing", column), "value"]
            == truth[f"active_art20_5.admin_licensing.{column}"]
        )
        assert (
            cells.loc[("active_art20_5", "other_external_services", column), "value"]
            == truth[f"active_art20_5.other_external_services.{column}"]
        )
    assert cells.loc[("active_art20_5", "admin_licensing", "decisions"), "locator"] == "paragraph 2, line 3, cell 4"


def test_pdftotext_amount_with_its_unit_after_a_space_is_one_value():
    """``政府集中采购 | 13 | 117.785 万 |``: the amount with its unit, as the text's ``117.785万`` reads."""
    assert LO_PDFTOTEXT.read_text(encoding="utf-8").endswith("政府集中采购 | 13 | 117.785 万 |\n")
    report = gicstats.read_report(LO_PDFTOTEXT)
    truth = load_truth("tianmen_police_2020")["cells"]
    cells = report.cells.set_index(["table", "row", "column"])
    count = cells.loc[("active_art20_9", "central_procurement", "project_count")]
    amount = cells.loc[("active_art20_9", "central_procurement", "total_amount")]
    assert count["value"] == truth["active_art20_9.central_procurement.project_count"] == 13
    assert amount["value"] == truth["active_art20_9.central_procurement.total_amount"] == 117.785
    assert (count["raw"], count["locator"]) == ("13", "line 8, cell 2")
    assert (amount["raw"], amount["unit"], amount["locator"]) == ("117.785 万", "万元", "line 8, cell 3")
    assert not report.findings["rule"].isin(["parse.unsplittable", "parse.unreadable_cell"]).any()
    # the row above, with no unit, reads as before
    fees = report.table("active_art20_8", labels=False).loc["admin_fees"].tolist()
    assert fees == [truth["active_art20_8.admin_fees.prev_year_items"], truth["active_art20_8.admin_fees.items_change"]]


@pytest.mark.parametrize(
    ("raw", "one"),
    [
        ("117.785 万", True),
        ("117.785\xa0万元", True),
        ("-8 项", True),
        ("1,234 元", True),
        ("117.785万", False),  # one segment: one value already
        ("13 117.785", False),  # two numbers: two cells run together
        ("13 117.785 万", False),
        ("0 万 0", False),
        ("万 13", False),
        ("117.785 万人", False),
        ("- 万", False),  # a blank marker is not a number
    ],
)
def test_spaced_unit(raw, one):
    assert spaced_unit(raw) is one
    if one:
        assert parse_value(raw) == parse_value(raw.split()[0] + raw.split()[1])
