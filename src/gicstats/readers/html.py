"""Reader for HTML report pages (lxml).

Tables are read row by row with their cells in document order; a cell that
spans rows appears once, on its first row, exactly as in pipe-scraped text,
so the mapper needs no grid. Spans are parsed leniently (``rowspan="2;"``)
and only to give each cell its grid position for provenance. Only a table's
own rows are read, so nested layout tables stay separate.
"""

from __future__ import annotations

import re

from lxml import etree

from .. import templates as T
from ..mapping import Cell, Line
from . import Document
from .text import read_text

_SPAN = re.compile(r"\d+")
_BLOCKS = frozenset(
    "p div br tr li h1 h2 h3 h4 h5 h6 table section article header footer blockquote pre dt dd title".split()
)
_MAX_SPAN = 1000
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


def _span(value: str | None) -> int:
    if value is None:
        return 1
    if value.isdigit():
        return min(max(int(value), 1), _MAX_SPAN)
    m = _SPAN.search(value)  # lenient: rowspan="2;" is 2
    return min(max(int(m.group()), 1), _MAX_SPAN) if m else 1


def _spaced(table) -> None:
    """Put a space where ``<br>``, ``<p>`` and ``<div>`` break a cell's text,
    once per table, so cell texts can be serialised in C."""
    for node in table.iter("br", "p", "div"):
        node.tail = " " + (node.tail or "")
        if node.tag != "br":
            node.text = " " + (node.text or "")


def _cell_text(el) -> str:
    """The text of a cell (after :func:`_spaced`)."""
    if not len(el):  # no child elements: the common case in real pages
        text = el.text or ""
    else:
        text = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return text.replace("\xa0", " ").strip()


def _drop(el) -> None:
    """Remove an element but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _rows(table) -> list:
    """The table's own rows (not those of nested tables)."""
    rows = []
    for child in table.iterchildren("tr", "thead", "tbody", "tfoot"):
        if child.tag == "tr":
            rows.append(child)
        else:
            rows.extend(child.iterchildren("tr"))
    return rows


def _table_lines(table, number: int) -> list[Line]:
    lines: list[Line] = []
    occupied: dict[tuple[int, int], bool] = {}
    _spaced(table)
    for r, tr in enumerate(_rows(table)):
        col = 0
        cells: list[Cell] = []
        for td in tr.iterchildren("td", "th"):
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
    for el in root.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "")
    text = "".join(root.itertext()).replace("\xa0", " ")
    return "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())


_ANCHORS = None


def _has_anchor(lines: list[Line]) -> bool:
    """Whether the HTML tables hold one of the template's tables."""
    global _ANCHORS
    if _ANCHORS is None:
        _ANCHORS = frozenset(T.normalize(a) for v in T.VERSIONS for t in T.TEMPLATES[v].tables for a in t.anchors)
    return any(T.normalize(c.text) in _ANCHORS for line in lines for c in line.cells if len(c.text) < 80)


def read_html(text: str) -> Document:
    """Read an HTML page (already decoded to ``str``)."""
    try:
        root = etree.fromstring(text, _PARSER) if text.strip() else None
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return read_text(text)
    for bad in list(root.iter("script", "style", "noscript", "template")):
        _drop(bad)
    title_hints = []
    for t in root.iter("title", "h1", "h2"):
        hint = "".join(t.itertext()).strip()
        if hint:
            title_hints.append(hint)
    lines: list[Line] = []
    tables = list(root.iter("table"))
    for number, table in enumerate(tables, start=1):
        lines.extend(_table_lines(table, number))
    # tables are read; take them out before collecting the narrative
    for table in tables:
        if not any(a.tag == "table" for a in table.iterancestors()):
            _drop(table)
    narrative = _block_text(root)
    if _has_anchor(lines):
        return Document(lines, narrative, title_hints)
    # no report table among the <table>s: the page may print them as text
    return Document(lines + read_text(narrative).lines, narrative, title_hints)
