"""PDFs of a text set as typed: LibreOffice's PDF of a text report.

LibreOffice opens a text report with each of its lines a paragraph at the
left margin and wraps the long ones at the right margin. Pipe rows
(Tianmen) come out as lines of text with their ``|``; a flattened page
(Pingtan, the whole report one line) as a paragraph of many lines, its
rows run together. The PDF reader joins the wrapped lines again and reads
the text as the text reader does.

The fixtures in ``tests/data/lo_typed`` are real LibreOffice output:
LibreOffice 7.4.7.2 (Debian 12, ``libreoffice-writer-nogui``), ``soffice
--headless --infilter="Text (encoded):UTF8" --convert-to pdf``, with the Noto
Sans CJK font that the shape matrix gives its producers
(``tests/shapes.py``, ``Workshop``), of excerpts of the real reports (the
``.txt`` beside each PDF, what LibreOffice was given):

- ``tianmen_police_2020_tables``: the title and lines 18-72 of
  ``data/tianmen_police_2020.txt`` (its tables with their pipes);
- ``pingtan_2019_tables``: the title, then the part of the one-line
  ``data/pingtan_2019.txt`` from the start of the PDF line where its
  tables begin (in LibreOffice's PDF of the whole report) to the end of the
  one where they end, so that the lines wrap where they wrap in that PDF:
  before ``第二十条`` with room left for one ideograph, after the space of
  ``230 000023``, before runs of digits.

The whole reports through LibreOffice (PDF, and DOCX then PDF) are in the
shape matrix (tests/integration/test_shape_matrix.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import generate as G
import pytest
from helpers import DATA, TRUTH

import gicstats
from gicstats.read.readers.pdf import read_pdf
from gicstats.read.readers.text import read_text

TYPED = Path(__file__).resolve().parents[1] / "data" / "lo_typed"
EXCERPTS = ("tianmen_police_2020_tables", "pingtan_2019_tables")


def _truth(report: str) -> dict:
    return json.loads((TRUTH / f"{report}.json").read_text(encoding="utf-8"))


def _cells(report: gicstats.Report) -> dict[str, object]:
    return {
        f"{t}.{r}.{c}": v
        for t, r, c, v in zip(report.cells["table"], report.cells["row"], report.cells["column"], report.cells["value"])
    }


@pytest.mark.parametrize("excerpt", EXCERPTS)
def test_the_lines_are_the_texts_lines(excerpt):
    """Every wrapped line is joined again, and no two lines of the text are.

    The PDF reads line for line, cell for cell, as the text LibreOffice was
    given; its locators name the PDF's page and lines.
    """
    pdf = read_pdf((TYPED / f"{excerpt}.pdf").read_bytes(), f"{excerpt}.pdf")
    text = read_text((TYPED / f"{excerpt}.txt").read_text(encoding="utf-8"), f"{excerpt}.txt")
    assert [[c.text for c in ln.cells] for ln in pdf.lines] == [[c.text for c in ln.cells] for ln in text.lines]
    assert pdf.text == text.text
    where = re.compile(r"page \d, line \d+( … page \d, line \d+)?(, cell \d+)?")
    assert all(where.fullmatch(c.locator) for ln in pdf.lines for c in ln.cells)


def test_tianmen_pipe_rows():
    """Tianmen's pipe rows, labels wrapped over two lines: every cell of the truth.

    Before, the ``|`` of the rows stacked up into vertical cells and 21 of
    201 cells were read.
    """
    report = gicstats.read_report(TYPED / "tianmen_police_2020_tables.pdf")
    truth = _truth("tianmen_police_2020")
    assert (report.agency, report.year, report.template_version) == (truth["agency"], truth["year"], truth["template"])
    cells = _cells(report)
    assert {k: cells.get(k) for k in truth["cells"]} == truth["cells"]
    assert report.table("active_art20_1", labels=False).loc["normative_documents"].tolist() == [4, 4, 9]
    # the label wrapped over two lines of the page, its values on the second
    row = report.cells[(report.cells["row"] == "normative_documents") & (report.cells["column"] == "total_published")]
    assert row["locator"].iloc[0] == "page 1, line 5 … page 1, line 6, cell 4"


def test_pingtan_flattened_rows():
    """Pingtan's flattened table 三, wrapped over many lines: the rows cut by a wrap are read.

    Before, ``（七）总`` / ``计23 0 00 0 023`` lost the results total and
    the row after it.
    """
    pdf = gicstats.read_report(TYPED / "pingtan_2019_tables.pdf")
    text = gicstats.read_report(TYPED / "pingtan_2019_tables.txt")
    truth = _truth("pingtan_2019")["cells"]
    cells = _cells(pdf)
    applications = {k: v for k, v in truth.items() if k.startswith("applications.")}
    assert {"applications.results_total.total", "applications.carried_to_next.total"} <= set(applications)
    assert {k: cells.get(k) for k in applications} == applications
    assert [cells[f"applications.results_total.{c}"] for c in ("natural_person", "commercial", "total")] == [23, 0, 23]
    # the rest reads as the excerpt's text does, cell for cell
    assert _cells(pdf) == _cells(text)
    assert list(pdf.findings["rule"]) == list(text.findings["rule"])


def test_a_pdf_laid_out_by_position_is_not_read_as_typed():
    """Columns laid out by position (a gap between a row's words) keep the text layer's reading.

    A real report's PDF with drawn tables, and a table without rules:
    their text cells are located by line, not as cells of a typed line.
    """
    values = G.balanced_values("2021", __import__("random").Random(5))
    unruled = G.render_pdf(values, "2021", "某市某局", 2021, ruled=False)
    for data, name in ((unruled, "unruled.pdf"), ((DATA / "hongze_2024.pdf").read_bytes(), "hongze_2024.pdf")):
        doc = read_pdf(data, name)
        assert not any(", cell " in c.locator for ln in doc.lines for c in ln.cells), name
