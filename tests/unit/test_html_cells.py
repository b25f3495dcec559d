"""The HTML reader's cell texts, spans, headings and layout tables, on hand-built pages.

Cells are read by the shortest route their markup allows (no children, one
paragraph, paragraphs and breaks, deeper markup); every route must give the
text that spacing the tree at each ``<p>``, ``<div>`` and ``<br>`` and
serialising the cell gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import gicstats
from gicstats.read import report as R
from gicstats.read.readers.html import read_html
from gicstats.read.values import MAX_VALUE, parse_value


def _texts(cells: str) -> list[str]:
    doc = read_html(f"<html><body><p>前言</p><table><tr>{cells}</tr></table><p>结语</p></body></html>")
    return [c.text for c in doc.lines[0].cells]


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("<td>60</td>", "60"),
        ('<td nowrap="nowrap" style="width:149px;"><p align="center">60</p></td>', "60"),
        ("<td>\r\n<p>60</p>\r\n</td>", "60"),
        ("<td>a<p>b</p>c</td>", "a b c"),
        ("<td><div>科研</div>机构</td>", "科研 机构"),
        ("<td><p>本年新</p><p>制作数量</p></td>", "本年新  制作数量"),
        ("<td>商业<br/>企业</td>", "商业 企业"),
        ("<td><span>1</span><span>2</span></td>", "12"),
        ("<td><div><p>科研</p>机构</div></td>", "科研 机构"),
        ("<td><p><span>6</span>0</p></td>", "60"),
        ('<td><p align="center"><span style="font-size:12.0pt">60</span></p></td>', "60"),
        ("<td>a<p>b<span>c</span>d</p>e</td>", "a bcd e"),
        ("<td><div><font>科研</font>机构</div></td>", "科研机构"),
        ("<td><p><span>&nbsp;</span></p></td>", ""),
        ("<td><p><br/></p></td>", ""),
        ("<td><p><span>本年新<br/>制作数量</span></p></td>", "本年新 制作数量"),
        ("<td><p>本年新<br>制作数量</p></td>", "本年新 制作数量"),
        ("<td>&nbsp;</td>", ""),
        ("<td><p>&nbsp;5&nbsp;</p></td>", "5"),
    ],
)
def test_cell_text_by_every_route(cell: str, text: str) -> None:
    assert _texts(cell) == [text]


def test_a_character_lxml_refuses_is_a_space_where_the_reader_spaces_text() -> None:
    # in a paragraph of a cell (the one-paragraph route) and after a break
    # (the loop over children), the page is read again with it as a space
    assert _texts("<td><p>1\x012</p></td><td>本年新<br/>\x0b制作数量</td>") == ["1 2", "本年新  制作数量"]
    # deeper markup: the same
    assert _texts("<td><div><p>3\x1b4</p></div></td>") == ["3 4"]
    # a paragraph's own text, beside an inline element: the same
    assert _texts("<td><p>5\x1b<span>6</span></p></td>") == ["5 6"]
    # inside the inline element, where nothing is spaced, it stays
    assert _texts("<td><p><span>7\x1b8</span></p></td>") == ["7\x1b8"]
    # in a cell's own text, where nothing is spaced, it stays as it was
    assert _texts("<td>x\x0by</td>") == ["x\x0by"]
    # unless a paragraph of the table outside its rows holds one too
    doc = read_html("<table><caption><p>表\x0b</p></caption><tr><td>x\x0by</td></tr></table>")
    assert [c.text for c in doc.lines[0].cells] == ["x y"]


def test_spanned_cells_keep_their_grid_columns() -> None:
    doc = read_html(
        "<table>"
        "<tr><td rowspan='2' colspan='2'>a</td><td colspan='3'>b</td><td rowspan='3'>c</td></tr>"
        "<tr><td>d</td><td rowspan='2'>e</td><td>f</td></tr>"
        "<tr><td>g</td><td>h</td><td>i</td><td>j</td></tr>"
        "</table>"
    )
    columns = [[(c.text, c.locator.rsplit(" ", 1)[1]) for c in line.cells] for line in doc.lines]
    assert columns == [
        [("a", "1"), ("b", "3"), ("c", "6")],
        [("d", "3"), ("e", "4"), ("f", "5")],
        [("g", "1"), ("h", "2"), ("i", "3"), ("j", "5")],
    ]


def test_title_hints_of_few_and_many_headings() -> None:
    nested = read_html("<html><head><title>甲</title></head><body><h1>乙<h2>丙</h2>丁</h1></body></html>")
    assert nested.title_hints == ["甲", "乙丙丁", "丙"]
    many = "".join(f"<h2>小标题{i}</h2>" for i in range(80))
    flat = read_html(f"<html><head><title>甲</title></head><body>{many}</body></html>")
    assert flat.title_hints == ["甲"] + [f"小标题{i}" for i in range(80)]
    deep = read_html(f"<html><body>{many}<h1>乙<h2>丙</h2></h1></body></html>")
    assert deep.title_hints[-2:] == ["乙丙", "丙"] and len(deep.title_hints) == 82


@pytest.mark.parametrize("wrappers", [1, 70])
def test_a_report_inside_layout_tables_is_read_once(wrappers: int) -> None:
    page = (Path(__file__).resolve().parents[2] / "data" / "shanghai_bgt_2019.html").read_text(encoding="utf-8")
    wrapped = "<table><tr><td>" * wrappers + page + "</td></tr></table>" * wrappers
    doc = read_html(wrapped)
    # the report's three tables, numbered after the layout tables that hold them
    numbers = {int(c.locator.split(",")[0].split()[1]) for line in doc.lines for c in line.cells}
    assert sorted(numbers)[-3:] == [wrappers + 1, wrappers + 2, wrappers + 3]

    def cells(report: gicstats.Report) -> list[tuple]:
        return [(c["table"], c["row"], c["column"], c["value"], c["raw"]) for c in report.cell_rows()]

    flat = gicstats.read_report(page.encode(), name="flat.html")
    assert cells(gicstats.read_report(wrapped.encode(), name="wrapped.html")) == cells(flat)
    assert len(cells(flat)) == 198


def test_bare_numbers_read_as_through_the_pattern() -> None:
    for raw in ("0", "007", "524", "999999999999"):
        fast, spaced = parse_value(raw), parse_value(f" {raw} ")
        assert (fast.value, fast.unit, fast.blank, fast.readable) == (float(raw), None, False, True)
        assert fast == spaced
    for raw in ("1000000000000", "1" * 400):
        value = parse_value(raw)
        assert value.value is None and not value.readable and value.implausible
        assert value == parse_value(f" {raw} ")
    assert float("999999999999") < MAX_VALUE <= float("1000000000000")


def test_cells_arrow_of_no_cells() -> None:
    table = R._cells_arrow([], "empty.html")
    assert table.num_rows == 0
    assert table.schema == R._cells_schema()
