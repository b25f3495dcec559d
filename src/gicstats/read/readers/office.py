"""Readers for Word (DOCX, python-docx) and Excel (XLSX, openpyxl) reports.

Both mirror the HTML reader: a table row becomes a structured line whose
cells come in printed order, and a merged cell comes once, on its first row
and column.

- python-docx repeats a merged cell's text at every grid position it covers
  (``gridSpan`` across, ``vMerge`` down); the positions of one merged cell
  share the same ``<w:tc>`` element, which is how a repeat is recognised.
  Paragraphs outside tables are the narrative, one line each, in document
  order with the tables. Paragraphs that print a table as pipe rows (a text
  report opened in Writer and saved as DOCX: each line a paragraph, ``规章 |
  0 | 0 | 18 |``) are read as the text reader reads the text.
- openpyxl gives the cells a merged range covers as ``MergedCell`` objects
  with no value; only the range's top-left cell is read. Each worksheet is
  read in order; a row whose only content is one cell is narrative.

Legacy ``.doc`` and ``.xls`` are refused earlier, by ``sources.sniff_format``.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from gicstats.errors import GicstatsError
from gicstats.read.document import Cell, Document, Line
from gicstats.read.limits import current
from gicstats.read.readers.guards import cells_problem, check_archive
from gicstats.read.readers.pdf import drop_label_area_blanks
from gicstats.read.readers.text import read_placed_lines


def _joined(text: str) -> str:
    # a cell's paragraphs are joined without a space, as in the PDF reader:
    # a label broken over two lines is one label, 117.785 / 万 one value
    return "".join(part.strip() for part in text.replace("\r", "\n").split("\n"))


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------


def read_docx(data: bytes, name: str = "<bytes>") -> Document:
    """Read a DOCX report's tables and paragraphs in document order.

    Raises:
        GicstatsError: if the file is not a readable DOCX, or unpacks or
            holds table cells past the limits (:mod:`gicstats.limits`).
    """
    import docx
    from docx.table import Table

    limits = current()
    check_archive(data, name, "DOCX", limits)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except Exception as exc:
        raise _unreadable(name, "DOCX", exc) from None
    lines: list[Line] = []
    narrative: list[str] = []
    t_number = 0
    positions = 0  # grid positions python-docx will make, column spans included
    paragraphs: list[tuple[int, str]] = []  # the paragraphs since the last table
    try:
        for p_number, block in enumerate(blocks, start=1):
            if isinstance(block, Table):
                _docx_paragraphs(paragraphs, name, lines, narrative)
                paragraphs = []
                t_number += 1
                positions += sum(tc.grid_span for tc in block._tbl.iter_tcs())
                if positions > limits.max_cells:
                    raise GicstatsError(name, cells_problem(limits.max_cells))
                lines.extend(_docx_table(block, t_number))
                continue
            paragraphs.append((p_number, block.text))
        _docx_paragraphs(paragraphs, name, lines, narrative)
        title = (document.core_properties.title or "").strip()
    except GicstatsError:
        raise
    except Exception as exc:
        raise _unreadable(name, "DOCX", exc) from None
    return Document(lines, "\n".join(narrative), [title] if title else [])


def _docx_paragraphs(paragraphs: list[tuple[int, str]], name: str, lines: list[Line], narrative: list[str]) -> None:
    """Add a run of paragraphs between tables to ``lines`` and ``narrative``.

    Paragraphs are one line each. Where they print pipe rows, as a text
    report saved as DOCX by LibreOffice does, the text reader reads them
    (the same rows, wrapped labels and page footers as in the text), with
    its locators turned to the paragraphs'; otherwise the text reader finds
    no table row in them, and each paragraph is a line of narrative.
    """
    placed: list[tuple[str, str]] = []  # each text line, with its paragraph (and its line in a paragraph of several)
    for p_number, text in paragraphs:
        parts = text.replace("\r", "\n").split("\n")
        for i, part in enumerate(parts, start=1):
            placed.append((part, f"paragraph {p_number}" if len(parts) == 1 else f"paragraph {p_number}, line {i}"))
    if not placed:
        return
    as_text = read_placed_lines(placed, name)
    if any(line.structured for line in as_text.lines):
        lines.extend(as_text.lines)
        if as_text.text:
            narrative.append(as_text.text)
        return
    for p_number, text in paragraphs:
        text = text.strip()
        if text:
            lines.append(Line([Cell(text, f"paragraph {p_number}")], structured=False))
            narrative.append(text)


def _docx_table(table, number: int) -> list[Line]:
    # hold every row's cells at once: lxml hands out the same proxy object
    # for an element only while a reference to it is alive, so ``is``
    # recognises the positions of one merged cell
    grid = [list(row.cells) for row in table.rows]
    rows: list[list[tuple[int, str]]] = []
    for r, cells in enumerate(grid):
        out = []
        for c, cell in enumerate(cells):
            if c > 0 and cell._tc is cells[c - 1]._tc:
                continue  # gridSpan: the cell to the left again
            if r > 0 and c < len(grid[r - 1]) and cell._tc is grid[r - 1][c]._tc:
                continue  # vMerge: the cell above again
            out.append((c, _joined(cell.text)))
        rows.append(out)
    rows = drop_label_area_blanks(rows)
    return [
        Line([Cell(text, f"table {number}, row {r + 1}, column {c + 1}") for c, text in cells], structured=True)
        for r, cells in enumerate(rows)
        if cells
    ]


# --------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------


def read_xlsx(data: bytes, name: str = "<bytes>") -> Document:
    """Read every worksheet of an XLSX report, row by row.

    Raises:
        GicstatsError: if the file is not a readable XLSX, or unpacks or
            holds cells past the limits (:mod:`gicstats.limits`).
    """
    import openpyxl
    from openpyxl.cell.cell import MergedCell
    from openpyxl.utils import get_column_letter

    limits = current()
    check_archive(data, name, "XLSX", limits)
    try:
        # not read-only: merged ranges are only known in the full mode
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise _unreadable(name, "XLSX", exc) from None
    lines: list[Line] = []
    narrative: list[str] = []
    title = (book.properties.title or "").strip() if book.properties else ""
    # rows are read over each sheet's used range, empty positions included:
    # two cells at A1 and XFD1048576 would make 17 billion
    if sum(sheet.max_row * sheet.max_column for sheet in book.worksheets) > limits.max_cells:
        raise GicstatsError(name, cells_problem(limits.max_cells))
    try:
        for sheet in book.worksheets:
            block: list[list[tuple[int, str, str]]] = []
            for row in sheet.iter_rows():
                cells = []
                for cell in row:
                    if isinstance(cell, MergedCell):
                        continue
                    where = f"sheet {sheet.title!r}, cell {get_column_letter(cell.column)}{cell.row}"
                    cells.append((cell.column, _xlsx_text(cell.value), where))
                filled = [text for _, text, _ in cells if text]
                if len(filled) <= 1:
                    # an empty row or a row of one text (a heading, a
                    # paragraph, a sub-table's heading) ends a block of rows
                    lines.extend(_block_lines(block))
                    block = []
                    if filled:  # with its empty cells: a row label may have blank values
                        lines.append(Line([Cell(t, w) for _, t, w in cells], structured=True))
                        if len(filled[0]) > 1 and not _number_like(filled[0]):
                            narrative.append(filled[0])
                    continue
                block.append(cells)
            lines.extend(_block_lines(block))
    except Exception as exc:
        raise _unreadable(name, "XLSX", exc) from None
    return Document(lines, "\n".join(narrative), [title] if title else [])


def _block_lines(block: list[list[tuple[int, str, str]]]) -> list[Line]:
    """The rows of one block of a sheet, with the empty cells of its label area dropped.

    A block is one printed table, or part of one.
    """
    rows = drop_label_area_blanks([[(c, t) for c, t, _ in cells] for cells in block])
    out = []
    for cells, kept in zip(block, rows):
        where = {c: w for c, _, w in cells}
        out.append(Line([Cell(t, where[c]) for c, t in kept], structured=True))
    return out


def _number_like(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()


def _xlsx_text(value) -> str:
    """A cell's value as printed: integers without ``.0``, dates as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return _joined(str(value))


def _unreadable(name: str, kind: str, exc: Exception) -> GicstatsError:
    detail = " ".join(str(exc).split())[:80]
    return GicstatsError(
        name, f"not a readable {kind} file, perhaps truncated or damaged ({type(exc).__name__}: {detail})"
    )
