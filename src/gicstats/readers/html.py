"""Reader for HTML report pages (lxml).

Tables are read row by row with their cells in document order; a cell that
spans rows appears once, on its first row, exactly as in pipe-scraped text,
so the mapper needs no grid. Spans are parsed leniently (``rowspan="2;"``)
and only to give each cell its grid position for provenance. Only a table's
own rows are read, so nested layout tables stay separate.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from ..mapping import Cell, Line
from . import Document
from .text import read_text

_SPAN = re.compile(r"\d+")
_BLOCKS = frozenset(
    "p div br tr li h1 h2 h3 h4 h5 h6 table section article header footer blockquote pre dt dd title".split()
)
_MAX_SPAN = 1000


def _span(value: str | None) -> int:
    m = _SPAN.search(value or "")
    return min(max(int(m.group()), 1), _MAX_SPAN) if m else 1


def _cell_text(el) -> str:
    """The text of a cell, with ``<br>``, ``<p>`` and ``<div>`` as spaces."""
    for node in el.iterdescendants("br", "p", "div"):
        node.tail = " " + (node.tail or "")
        if node.tag != "br":
            node.text = " " + (node.text or "")
    return "".join(el.itertext()).replace("\xa0", " ").strip()


def _rows(table) -> list:
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _table_lines(table, number: int) -> list[Line]:
    lines: list[Line] = []
    occupied: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(_rows(table)):
        col = 0
        cells: list[Cell] = []
        for td in tr.xpath("./td|./th"):
            while occupied.get((r, col)):
                col += 1
            rowspan, colspan = _span(td.get("rowspan")), _span(td.get("colspan"))
            for dr in range(rowspan):
                for dc in range(colspan):
                    if dr or dc:
                        occupied[(r + dr, col + dc)] = True
            cells.append(Cell(_cell_text(td), f"table {number}, row {r + 1}, column {col + 1}"))
            col += colspan
        if cells:
            lines.append(Line(cells, structured=True))
    return lines


def _block_text(root) -> str:
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    text = root.text_content().replace("\xa0", " ")
    return "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())


def read_html(text: str) -> Document:
    """Read an HTML page (already decoded to ``str``)."""
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return read_text(text)
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    title_hints = [t.text_content().strip() for t in root.xpath("//title|//h1|//h2") if t.text_content().strip()]
    lines: list[Line] = []
    tables = root.xpath("//table")
    for number, table in enumerate(tables, start=1):
        lines.extend(_table_lines(table, number))
    # tables are read; take them out before collecting the narrative
    for table in tables:
        if table.getparent() is not None and not any(a.tag == "table" for a in table.iterancestors()):
            table.drop_tree()
    narrative = _block_text(root)
    # pages that print the tables as paragraphs: read the text as well
    text_doc = read_text(narrative)
    return Document(lines + text_doc.lines, narrative, title_hints)
