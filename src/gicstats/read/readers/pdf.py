"""Reader for PDF reports with a text layer (pdfplumber).

Where the PDF draws a table, its cells are read by their geometry
(``find_tables``): a cell spanning rows or columns comes once, on its first
row (pdfplumber gives ``None`` for the rest, as the HTML reader skips covered
grid positions), and the lines of a cell are joined, so the vertical
``三、本年度办理结果`` and headers printed ``结果`` / ``维持`` come out whole.
The document's tables are one sequence of rows: a table continuing on the
next page simply goes on.

Everything outside the drawn tables is read from the text layer, by the
position of its words:

- a narrow column of one- or two-character words stacked one above the other
  is a vertical cell (the ``三 、 本 年 …`` label, ``结 结 其 尚`` / ``果 果 他
  未`` headers) and is read top to bottom as one cell;
- words on one visual line are split into cells at wide gaps;
- a line of values is a table row; the label text printed on the lines just
  above or below it, left of its values (a label that wraps inside its cell
  while the numbers sit on its middle line), is put in front of the values,
  so that every row reads label first.

A PDF of a text set as typed (LibreOffice's PDF of a text report: no drawn
table, each line of the text a paragraph at the left margin, no gap inside a
line) is read as that text: its wrapped lines are joined again and the text
reader reads the result (:func:`_typed_text`), so that pipe rows and rows run
together read as in the text itself.

A reader only produces lines of cells with provenance locators
(``page 3, table 1, row 5, column 2``; ``page 3, line 12``); what the labels
mean is the mapper's business.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
import statistics
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from gicstats.errors import GicstatsError
from gicstats.read.document import CUT, Cell, Document, Line
from gicstats.read.labels import is_run, tokenize
from gicstats.read.limits import Limits, beyond, current, over
from gicstats.read.readers.guards import check_pdf_objects, check_pdf_streams

# pdfminer logs what it repairs in a damaged file ("Data-loss while
# decompressing corrupted data"). Without a handler, Python's last-resort
# handler prints each to stderr, in the middle of `gicstats parse`'s one line
# per file. A NullHandler keeps them from there; an application that
# configures logging still receives them through the root logger.
logging.getLogger("pdfminer").addHandler(logging.NullHandler())

# A page number alone on a line (``- 3 -``, ``3``, ``第 3 页``, ``3/12``) in the
# top or bottom margin is page furniture, not a table value.
_PAGE_NUMBER = re.compile(r"^[\s\-—–－]*(第\s*)?\d{1,4}(\s*页)?(\s*/\s*(共\s*)?\d{1,4}\s*页?)?[\s\-—–－]*$")
_MARGIN = 0.08  # share of the page height at the top and bottom
_DIGIT = re.compile(r"\d")


class _Box:
    """Geometry of a word's box (``x0``, ``x1``, ``top``, ``bottom``, in points), from a text layer or OCR."""

    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class _Word(_Box):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class _Segment:
    """Words of one visual line close enough to be one cell."""

    words: list[_Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def value(self) -> bool:
        return _is_value(self.text)


@dataclass
class _VisualLine:
    segments: list[_Segment]
    number: int = 0  # 1-based, in reading order on its page

    @property
    def top(self) -> float:
        return min(s.top for s in self.segments)

    @property
    def bottom(self) -> float:
        return max(s.bottom for s in self.segments)

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return statistics.median(w.height for s in self.segments for w in s.words)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    @property
    def values(self) -> list[_Segment]:
        return [s for s in self.segments if s.value]

    @property
    def is_value_line(self) -> bool:
        """A table row's values, perhaps after its label.

        One value or more, and no text after the first value.
        """
        segs = self.segments
        first = next((i for i, s in enumerate(segs) if s.value), None)
        return first is not None and all(s.value for s in segs[first:])


def _is_value(text: str) -> bool:
    text = text.strip()
    return bool(text) and is_run(text) and (bool(_DIGIT.search(text)) or text in ("-", "—", "－", "/", "／", "无"))


@dataclass
class _Item:
    """Something to emit, placed on its page by ``top``."""

    top: float
    line: Line
    narrative: str | None = None
    first: _VisualLine | None = None  # text-layer lines the item was read from
    last: _VisualLine | None = None


def read_pdf(data: bytes, name: str = "<bytes>", *, tables: bool = True, scans: Callable | None = None) -> Document:
    """Read a PDF's tables and text.

    Args:
        data: The PDF's bytes.
        name: The file name, for error messages.
        tables: Read drawn tables by their geometry (default). ``False``
            reads every page from the text layer alone, as for a PDF whose
            tables have no ruling lines.
        scans: Reads the pages that are images only (OCR), as described
            below; without it such a PDF is refused.

    Raises:
        GicstatsError: if the PDF cannot be parsed (truncated, damaged,
            encrypted), has no text layer (a scan), or goes past a limit
            (:mod:`gicstats.limits`: the size its streams decode to, its
            pages, the characters and shapes it draws).

    Pages with images and no text (a scan) are given to ``scans`` when
    one is given: ``scans(data, name, numbers, whole=…)`` returns the items
    and title hints of the pages it read, by page number (OCR,
    :func:`gicstats.read.readers.ocr.read_pdf_scans`; ``whole`` says that no
    page has text).
    """
    limits = current()
    check_pdf_streams(data, name, limits)  # before pdfminer decodes any
    repairs = _Repairs()
    logging.getLogger("pdfminer").addHandler(repairs)
    try:
        return _read(data, name, tables, limits, repairs, scans)
    finally:
        logging.getLogger("pdfminer").removeHandler(repairs)


# pdfminer warnings about a sound file: Chromium's PDFs declare CJK fonts
# without a FontBBox, which only matters to glyph metrics, not to the text.
_NOT_REPAIRS = ("Could not get FontBBox",)


class _Repairs(logging.Handler):
    """pdfminer's warnings about the file (what it repaired), from this thread only.

    Other threads may be reading other files.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())[:160]
        if message.startswith(_NOT_REPAIRS):
            return
        if record.thread == self.thread and (message in self.seen or len(self.seen) < 20):
            self.seen[message] += 1

    def lines(self) -> list[str]:
        return [f"pdfminer: {m}" + (f" ({n} times)" if n > 1 else "") for m, n in self.seen.items()]


def _read(data: bytes, name: str, tables: bool, limits: Limits, repairs: _Repairs, scans=None) -> Document:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        raise _unreadable(name, exc) from None
    try:
        with pdf:
            if pdf.doc.encryption:
                check_pdf_objects(pdf.doc, name, limits)
            _check_pages(pdf, name, limits)
            budget = _Budget(name, limits.max_objects)
            pages: list[_Page] = []
            as_typed = True  # until a page is laid out by position
            for number, page in enumerate(pdf.pages, start=1):
                pages.append(_read_page(page, number, tables, budget, as_typed))
                as_typed = as_typed and pages[-1].flow is not None
                page.close()  # its layout objects: only the words are kept
            typed = _typed_text(pages)
            if typed is not None:
                return _document_of_text(typed, pages, repairs, name)
            # left-aligned label columns, counted over the whole document: a
            # table's column has few rows on the page where the table starts
            starts = _column_starts([g for page in pages for g in page.groups])
            items_by_page, title_hints, images = [], [], 0
            for number, read in enumerate(pages, start=1):
                text_items, hints = _text_items(read, starts)
                items = sorted(read.table_items + text_items, key=lambda it: it.top)
                items_by_page.append(items)
                images += read.images
                if number == 1:
                    title_hints = hints
    except GicstatsError:
        raise
    except Exception as exc:
        raise _unreadable(name, exc) from None
    if not items_by_page:
        raise GicstatsError(name, "PDF has no pages")
    scanned = [n for n, (items, page) in enumerate(zip(items_by_page, pages), start=1) if not items and page.images]
    ocr_read = False
    if scanned and scans is not None:
        # pages of images only: a scan, read by OCR
        for number, (items, hints) in scans(data, name, scanned, whole=not any(items_by_page)).items():
            ocr_read = True
            items_by_page[number - 1] = items
            if number == 1:
                title_hints = hints
    if not any(items_by_page):
        count = f"{len(items_by_page)} page{'s' if len(items_by_page) > 1 else ''}"
        what = f"{count} of images only, a scan?" if images else f"{count} without text"
        found = "; OCR found no text on them" if ocr_read else ""
        raise GicstatsError(name, f"PDF has no text layer ({what}){found}")
    return _document(items_by_page, title_hints, repairs)


def _document(items_by_page: list[list[_Item]], title_hints: list[str], repairs: _Repairs) -> Document:
    """The document of the items of every page, in order: their lines, and the narrative they hold.

    A table row that a page break cut in two is one line again (:func:`_continued_row`).
    """
    lines: list[Line] = []
    narrative: list[str] = []
    joined: set[int] = set()  # ids of the lines joined into the row above them
    for items, after in itertools.pairwise([*items_by_page, []]):
        above = next((it for it in reversed(items) if it.line.grid), None)
        below = next((it for it in after if it.line.grid), None)
        if above is not None and below is not None:
            row = _continued_row(above.line, below.line)
            if row is not None:
                above.line = row
                joined.add(id(below.line))
    for items in items_by_page:
        for item in items:
            if id(item.line) in joined:
                continue
            lines.append(item.line)
            if item.narrative is not None:
                narrative.append(item.narrative)
    return Document(lines, "\n".join(narrative), title_hints, repairs.lines())


def _continued_row(above: Line, below: Line) -> Line | None:
    """The row a page break cut in two, from its part at the foot of a page and the rest atop the next.

    LibreOffice breaks a table row over two pages: the first lines of its
    label stay, with the values (printed on the label's first line), and the
    last lines go on, under the same columns: ``一、本年新收政府信 | 821 | 35
    | …`` at the foot of one page, ``息公开申请数量 | | | …`` atop the next.
    They are one row when the text cells of ``below`` complete the last text
    cells of ``above`` into row labels (each joined text is one label of the
    form; no text of ``below`` is a whole label by itself, which would be a
    row of its own) and only one part holds values. A text of ``below`` left of
    those (the end of a group label that spans rows) goes with its group. The row keeps the cells of
    the part with the values, in their columns (blanks stay blank where
    they are), with its labels joined. None when the parts are not one row.
    """

    def texts(line: Line) -> list[int]:
        return [i for i, c in enumerate(line.cells) if c.text.strip() and not _is_value(c.text)]

    def has_values(line: Line) -> bool:
        return any(_is_value(c.text) for c in line.cells)

    top, rest = texts(above), texts(below)
    if not rest or (has_values(above) and has_values(below)):
        return None
    # the end of a group label spanning rows (三、本年度办理结果's 果) may
    # go on beside the row's: the rightmost texts are paired
    spare = rest[: max(0, len(rest) - len(top))]
    rest = rest[len(spare) :]
    if any(_one_label(below.cells[i].text) for i in spare):
        return None
    pairs = list(zip(top[len(top) - len(rest) :], rest))
    labels: dict[int, str] = {}
    for i, j in pairs:
        head, tail = above.cells[i].text.strip(), below.cells[j].text.strip()
        if CUT in head + tail or _one_label(tail) or not _one_label(head + tail):
            return None
        labels[i] = head + tail
    where = below.cells[rest[0]].locator
    if not has_values(below):
        cells = list(above.cells)
        for i, text in labels.items():
            cells[i] = Cell(text, f"{cells[i].locator}; label continued on {where}")
        return Line(cells, structured=True, grid=True)
    # the values went on with the label's end: the row is the lower part,
    # with the label's beginning (and a group label above it) put back
    cells = list(below.cells)
    for (i, j), text in zip(pairs, labels.values()):
        cells[j] = Cell(text, f"{cells[j].locator}; label begun on {above.cells[i].locator}")
    for i in top[: len(top) - len(rest)]:
        if i < len(cells) and not cells[i].text.strip():
            cells[i] = Cell(above.cells[i].text, above.cells[i].locator)
    return Line(cells, structured=True, grid=True)


def _one_label(text: str) -> bool:
    """Whether ``text`` is one label of the form, whole."""
    tokens = tokenize(text.strip())
    return len(tokens) == 1 and tokens[0].kind == "label"


def _check_pages(pdf, name: str, limits: Limits) -> None:
    """Refuse a PDF of more than ``GICSTATS_MAX_PAGES`` pages.

    Counts no further than the limit (the page tree is walked lazily).
    """
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import resolve1

    count = sum(1 for _ in itertools.islice(PDFPage.create_pages(pdf.doc), limits.max_pages + 1))
    if count > limits.max_pages:
        try:  # what the page tree says, when it says more
            declared = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
        except Exception:  # a broken tree: say "more than"
            declared = None
        if isinstance(declared, int) and declared > limits.max_pages:
            raise GicstatsError(name, over("pages", declared, limits.max_pages, "max_pages"))
        raise GicstatsError(name, beyond("pages", limits.max_pages, "max_pages"))


class _Budget:
    """Characters and shapes left to draw, over all pages of one PDF."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit, self.left = name, limit, limit

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise GicstatsError(self.name, beyond("characters and shapes", self.limit, "max_objects", verb="draws"))


def _layout(page, budget: _Budget) -> None:
    """Lay ``page`` out as pdfplumber does, counting what is drawn.

    The result is left where pdfplumber looks for it (``Page._layout``).
    """
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfplumber.page import PDFPageAggregatorWithMarkedContent

    class Counting(PDFPageAggregatorWithMarkedContent):
        def render_char(self, *args, **kwargs) -> float:
            budget.spend()
            return super().render_char(*args, **kwargs)

        def paint_path(self, *args, **kwargs) -> None:
            budget.spend()
            super().paint_path(*args, **kwargs)

    device = Counting(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams)
    PDFPageInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    page._layout = device.get_result()


def _unreadable(name: str, exc: Exception) -> GicstatsError:
    if type(exc).__name__ == "PdfminerException" and exc.args and isinstance(exc.args[0], Exception):
        exc = exc.args[0]  # pdfplumber wraps what pdfminer raised
    kind = type(exc).__name__
    if "Password" in kind or "Encrypt" in kind:
        return GicstatsError(name, "PDF is encrypted; open it and save a copy without a password")
    detail = " ".join(str(exc).split())[:80] or kind
    return GicstatsError(name, f"not a readable PDF, perhaps truncated or damaged ({detail})")


# --------------------------------------------------------------------------
# One page
# --------------------------------------------------------------------------


@dataclass
class _Page:
    number: int
    height: float
    table_items: list[_Item]
    stacks: list[list[_Word]]  # vertical cells of the text layer
    groups: list[list[_Word]]  # the text layer's other words, by visual line
    images: int
    # the page's lines as typed, spaces included, where it has no drawn table
    # and no gap inside a line (:func:`_flow_lines`); None otherwise
    flow: list[_FlowLine] | None = None


def _read_page(page, number: int, use_tables: bool, budget: _Budget, typed: bool = True) -> _Page:
    _layout(page, budget)
    words = [
        _Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in page.extract_words() if w["text"].strip()
    ]
    items: list[_Item] = []
    taken: list[tuple[float, float, float, float]] = []
    if use_tables and words:
        closing = _closing_edges(page)
        settings = {"explicit_vertical_lines": closing} if closing else None
        for t_number, table in enumerate(page.find_tables(settings), start=1):
            rows_items, boxes = _table_items(table, number, t_number, page)
            items.extend(rows_items)
            taken.extend(boxes)
    if taken:
        words = [w for w in words if not any(b[0] <= w.xc <= b[2] and b[1] <= w.yc <= b[3] for b in taken)]
    flow = None
    if typed and not items and not _gapped(_line_groups(words)):
        flow = _flow_lines(page.chars, number)
    stacks, words = _vertical_cells(words)
    return _Page(number, float(page.height), items, stacks, _line_groups(words), len(page.images), flow)


def _cell_text(text: str) -> str:
    # a cell's lines are joined without a space: Chinese wraps anywhere, and
    # a number wrapped in a narrow cell (24252.31 / 1082) is one number
    return "".join(part.strip() for part in text.split("\n"))


def _closing_edges(page) -> list[dict]:
    """Vertical rules a table's horizontal rules call for but the page lacks.

    A browser printing a table a little wider than its printable area draws
    the horizontal rules of the last column but clips its right-hand rule
    (Chromium's "Save as PDF" of a report page): pdfplumber then ends the
    table one column early and the 总计 column is lost to the text layer.
    Where three horizontal rules or more end at one ``x`` (left or right)
    with no vertical rule there over their span, a rule is supplied there,
    from the first of them to the last.
    """
    h = [e for e in page.edges if e["orientation"] == "h" and e["x1"] - e["x0"] > 3]
    if len(h) < 3:
        return []
    v: dict[int, list[dict]] = {}  # by whole point: a dense page has many
    for e in page.edges:
        if e["orientation"] == "v":
            v.setdefault(round(e["x0"]), []).append(e)
    closing = []
    for side in ("x0", "x1"):
        ends: dict[int, list[dict]] = {}
        for e in h:
            ends.setdefault(round(e[side]), []).append(e)
        for x in sorted(ends):
            group = [e for d in (-1, 0, 1) for e in ends.get(x + d, ()) if round(e[side]) == x + d]
            if len(group) < 3 or any(len(ends.get(x + d, ())) > len(ends[x]) for d in (-1, 1)):
                continue  # too few, or counted at a neighbouring point
            top, bottom = min(e["top"] for e in group), max(e["bottom"] for e in group)
            at = statistics.median(e[side] for e in group)
            near = [e for d in range(-4, 5) for e in v.get(round(at) + d, ()) if abs(e["x0"] - at) <= 3]
            covered = sum(max(0.0, min(e["bottom"], bottom) - max(e["top"], top)) for e in near)
            if covered < 0.5 * (bottom - top):
                closing.append(
                    {
                        "object_type": "closing_edge",
                        "orientation": "v",
                        "x0": at,
                        "x1": at,
                        "top": top,
                        "bottom": bottom,
                        "width": 0.0,
                        "height": bottom - top,
                    }
                )
    return closing


def _table_items(table, page: int, t_number: int, pdf_page=None) -> tuple[list[_Item], list[tuple]]:
    """Rows of one drawn table.

    A row with a single cell (a sub-header or a paragraph inside a
    page-sized frame) is left to the text layer.

    A table wider than the page (LibreOffice exporting a wide web page or
    its DOCX) is cut at the page's edges: its rules are clipped there, so a
    cell touching an edge is a cut cell. Left of the page the text layer may
    still hold a cut cell's characters (the row labels run on past the
    edge), and they are read. A cut cell whose value is not in the file
    (nothing past the right edge; nothing past the left edge for a value
    cell) reads ``…`` in its column, never blank: the mapper keeps it null
    with a finding, and its locator says it was cut.
    """
    left, right = _page_edges(pdf_page)
    kept: list[tuple[int, list[tuple[int, str, str]], tuple]] = []
    for r, (cells, row) in enumerate(zip(table.extract(), table.rows)):
        if sum(c is not None for c in cells) >= 2:
            # None: a grid position covered by a cell spanning it
            texts, bbox = [], row.bbox
            texts_here = [_cell_text(t) for t in cells if t is not None]
            labelled = any(t and not _is_value(t) for t in texts_here)
            # a row of values (blank or not), not a header row of labels
            valued = sum(not t or _is_value(t) for t in texts_here) >= 2
            if not any(texts_here):
                # the empty part of a row broken over two pages: no cut marks
                kept.append((r, [(c, "", "") for c, t in enumerate(cells) if t is not None], row.bbox))
                continue
            for c, (t, box) in enumerate(zip(cells, row.cells)):
                if t is None:
                    continue
                text, note, past = _cut_cell(_cell_text(t), box, (left, right), pdf_page, valued, labelled)
                if past:
                    bbox = (-math.inf, *bbox[1:])  # those words are the table's
                texts.append((c, text, note))
            kept.append((r, texts, bbox))
    rows = drop_label_area_blanks([[(c, t) for c, t, _ in cells] for _, cells, _ in kept])
    items = []
    for (r, cells, bbox), survivors in zip(kept, rows):
        notes = {c: note for c, _, note in cells}
        if any("right edge" in note for note in notes.values()):
            # the labels say so too: the finding naming the row's missing
            # values quotes its label's locator
            for c, text, note in cells:
                if text and text != CUT and not _is_value(text) and "right edge" not in note:
                    notes[c] = f"{note}; row cut at the page's right edge"
        out = [
            Cell(text, f"page {page}, table {t_number}, row {r + 1}, column {c + 1}{notes[c]}") for c, text in survivors
        ]
        if out:
            items.append(_Item(bbox[1], Line(out, structured=True, grid=True)))
    return items, [bbox for _, _, bbox in kept]


def _cut_cell(
    text: str, box: tuple | None, edges: tuple[float, float], pdf_page, valued: bool, labelled: bool
) -> tuple[str, str, bool]:
    """A cell's text and locator note when the page's edge cuts it, and whether words past the left edge were taken.

    A cell is cut when its rule is the page's edge (the clip), not a rule
    drawn past it round a cell the text layer still holds.
    """
    left, right = edges
    if box is not None and abs(box[2] - right) <= 1 and box[0] < right:
        if _is_value(text) or (not text and valued):
            text = CUT
        return text, "; cut at the page's right edge", False
    if box is not None and abs(box[0] - left) <= 1 and box[2] > left:
        past = _past_left_edge(pdf_page, box)
        if past:
            return _cell_text(past), "; cut at the page's left edge", True
        if _is_value(text) or (not text and valued and not labelled):
            text = CUT  # a value column's cell
        return text, "; cut at the page's left edge", False
    return text, "", False


def _page_edges(pdf_page) -> tuple[float, float]:
    """The left and right edges of the page, where a table's rules are clipped.

    With no pdfplumber page (OCR's tables, found in a page image) nothing is
    clipped: the edges are infinitely far.
    """
    if pdf_page is None:
        return -math.inf, math.inf
    return float(pdf_page.bbox[0]), float(pdf_page.bbox[2])


def _past_left_edge(pdf_page, box: tuple) -> str | None:
    """The text of a cell cut at the page's left edge.

    With the characters the text layer holds left of the page (its cell's
    rules are clipped).
    """
    from pdfplumber.utils import extract_text

    chars = [
        ch
        for ch in pdf_page.chars
        if box[1] <= (ch["top"] + ch["bottom"]) / 2 <= box[3] and (ch["x0"] + ch["x1"]) / 2 <= box[2]
    ]
    return extract_text(chars) if chars else None


def drop_label_area_blanks(rows: list[list[tuple[int, str]]]) -> list[list[tuple[int, str]]]:
    """Drop the empty cells of one table's label area.

    A label printed over two grid columns without merging them (``（七）总计``
    then an empty cell, then the values) leaves an empty cell that is no
    blank value. Such a cell is dropped when its column holds row labels
    (text that is no value, on rows with values to its right) and, on its
    own row, it stands after a label and before the first value. Any other
    empty cell stays a blank value. ``rows`` are ``(column, text)`` pairs.
    """
    label_columns: set[int] = set()
    for cells in rows:
        for i, (c, text) in enumerate(cells):
            if text and not _is_value(text) and any(_is_value(t) for _, t in cells[i + 1 :]):
                label_columns.add(c)
    out = []
    for cells in rows:
        first_value = next((i for i, (_, t) in enumerate(cells) if _is_value(t)), len(cells))
        kept = []
        seen_label = False
        for i, (c, text) in enumerate(cells):
            if not text and c in label_columns and seen_label and i < first_value:
                continue
            seen_label = seen_label or (bool(text) and not _is_value(text))
            kept.append((c, text))
        out.append(kept)
    return out


# --------------------------------------------------------------------------
# The text layer
# --------------------------------------------------------------------------


def _vertical_cells(words: list[_Word]) -> tuple[list[list[_Word]], list[_Word]]:
    """Pull out narrow stacks of one- or two-character words (vertical labels and headers).

    Return the stacks and the other words.
    """

    def stackable(w: _Word) -> bool:
        return len(w.text) <= 2 and not _is_value(w.text) and not _DIGIT.search(w.text)

    cands = sorted((w for w in words if stackable(w)), key=lambda w: w.top)
    below: dict[int, _Word] = {}
    has_above: set[int] = set()
    for i, w in enumerate(cands):
        for v in cands[i + 1 :]:
            gap = v.top - w.bottom
            if gap > 0.6 * w.height:
                break
            # centred or left-aligned in its narrow column; ``三、`` may
            # share a line because 、 cannot start one
            aligned = abs(v.xc - w.xc) <= 0.2 * w.height or abs(v.x0 - w.x0) <= 0.2 * w.height
            if gap >= -0.2 * w.height and id(v) not in has_above and aligned:
                below[id(w)] = v
                has_above.add(id(v))
                break
    stacks: list[list[_Word]] = []
    used: set[int] = set()
    for w in cands:
        if id(w) in has_above or id(w) not in below:
            continue
        stack = [w]
        while id(stack[-1]) in below:
            stack.append(below[id(stack[-1])])
        stacks.append(stack)
        used.update(id(x) for x in stack)
    return stacks, [w for w in words if id(w) not in used]


def _line_groups(words: list[_Word]) -> list[list[_Word]]:
    """Words grouped into visual lines (by vertical overlap), left to right."""
    groups: list[list[_Word]] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        for group in reversed(groups[-4:]):
            seed = group[0]
            overlap = min(seed.bottom, w.bottom) - max(seed.top, w.top)
            if overlap >= 0.5 * min(seed.height, w.height):
                group.append(w)
                break
        else:
            groups.append([w])
    for group in groups:
        group.sort(key=lambda w: w.x0)
    return groups


def _visual_lines(groups: list[list[_Word]], starts: set[int]) -> list[_VisualLine]:
    """Lines split into segments (cells) at wide gaps and column starts."""
    lines = []
    for group in groups:
        size = statistics.median(w.height for w in group)
        segments = [_Segment([group[0]])]
        for w in group[1:]:
            prev = segments[-1].words[-1]
            gap = w.x0 - prev.x1
            # a wide gap parts cells; so does a narrower one where a column
            # of left-aligned cells starts, or where values follow text (a
            # label's cell ends where its values begin)
            if (
                gap > 0.9 * size
                or (gap > 0.2 * size and round(w.x0) in starts)
                or (gap > 0.45 * size and _is_value(w.text) and not _is_value(prev.text))
            ):
                segments.append(_Segment([w]))
            else:
                segments[-1].words.append(w)
        lines.append(_VisualLine(segments))
    lines.sort(key=lambda ln: ln.top)
    for i, line in enumerate(lines, start=1):
        line.number = i
    return lines


def _column_starts(groups: list[list[_Word]]) -> set[int]:
    """Left edges (whole points, and their neighbours) where at least three lines start a cell.

    The columns of left-aligned labels, such as the numbered items of table
    三 beside their group label.
    """
    counts: dict[int, int] = {}
    for group in groups:
        firsts = [group[0]] + [w for prev, w in itertools.pairwise(group) if w.x0 - prev.x1 > 0.9 * w.height]
        for w in firsts:
            counts[round(w.x0)] = counts.get(round(w.x0), 0) + 1
    frequent = {x for x, n in counts.items() if n + counts.get(x - 1, 0) + counts.get(x + 1, 0) >= 3}
    return {x + d for x in frequent for d in (-1, 0, 1)}


def _text_items(pg: _Page, starts: set[int]) -> tuple[list[_Item], list[str]]:
    page, height, stacks = pg.number, pg.height, pg.stacks
    lines = [
        ln
        for ln in _visual_lines(pg.groups, starts)
        if not (_PAGE_NUMBER.match(ln.text) and (ln.bottom < _MARGIN * height or ln.top > (1 - _MARGIN) * height))
    ]
    rows = _assemble_rows(lines)
    items: list[_Item] = []
    attached = {id(f) for frags in rows.values() for f in frags}
    narrative_lines: list[_VisualLine] = []
    previous: _VisualLine | None = None
    for line in lines:
        if id(line) in attached:
            continue
        where = f"page {page}, line {line.number}"
        if line.is_value_line:
            row = sorted([line, *rows.get(id(line), [])], key=lambda ln: ln.top)
            cells = [Cell(t, where) for t in _label_texts(row, line)]
            cells += [Cell(s.text, where) for s in line.values]
            items.append(_Item(min(ln.top for ln in row), Line(cells, structured=False)))
            previous = None
            continue
        if previous is not None and _same_cell(previous, line):
            # the next line of a label wrapped in its cell: one cell
            cell = items[-1].line.cells[0]
            cell.text += line.text
            cell.locator = f"{cell.locator.split(' … ')[0]} … line {line.number}"
        else:
            cells = [Cell(s.text, where) for s in line.segments]
            items.append(_Item(line.top, Line(cells, structured=False), first=line))
        items[-1].narrative = (items[-1].narrative or "") + line.text
        items[-1].last = line
        narrative_lines.append(line)
        previous = line
    for stack in stacks:
        where = f"page {page}, line {_line_at(lines, stack[0])}"
        items.append(_Item(stack[0].top, Line([Cell("".join(w.text for w in stack), where)], structured=False)))
    _join_paragraphs(items, narrative_lines)
    return items, _title_hints(narrative_lines) if page == 1 else []


def _same_cell(above: _VisualLine, below: _VisualLine) -> bool:
    """Whether ``below`` continues the one-cell line ``above`` as the same cell.

    It does when set tight under it (closer than a table row or a paragraph's line
    spacing would put it), starting no further right, ending no further out.
    """
    if len(above.segments) != 1 or len(below.segments) != 1:
        return False
    h = above.height
    a, b = above.segments[0], below.segments[0]
    return (
        0 <= below.top - above.bottom <= 0.6 * h and a.x0 - 2.5 * h <= b.x0 <= a.x0 + 0.5 * h and a.x1 >= b.x1 - 0.5 * h
    )


def _line_at(lines: list[_VisualLine], word: _Word) -> int:
    before = [ln.number for ln in lines if ln.top <= word.top]
    return before[-1] if before else 1


def _assemble_rows(lines: list[_VisualLine]) -> dict[int, list[_VisualLine]]:
    """Attach label lines to the line of values they belong to.

    A label line (text only, all of it left of the values) within 1.6 line
    heights of a value line's middle goes with the nearest value line; a
    label line just above or below one already attached follows it (labels
    of three lines and more).
    """
    values = [ln for ln in lines if ln.is_value_line]
    if not values:
        return {}
    rows: dict[int, list[_VisualLine]] = {}
    owner: dict[int, _VisualLine] = {}

    def left_of(frag: _VisualLine, row: _VisualLine) -> bool:
        first = min(s.x0 for s in row.values)
        return frag.segments[-1].x1 <= first + 1

    pending = [ln for ln in lines if not ln.values]
    for frag in pending:
        reach = 1.6 * frag.height
        near = [v for v in values if abs(v.yc - frag.yc) <= reach and left_of(frag, v)]
        if near:
            row = min(near, key=lambda v: abs(v.yc - frag.yc))
            rows.setdefault(id(row), []).append(frag)
            owner[id(frag)] = row
    for _ in range(3):  # labels of up to five lines
        grown = False
        for frag in pending:
            if id(frag) in owner:
                continue
            for other in pending:
                other_row = owner.get(id(other))
                if other_row is None:
                    continue
                gap = max(frag.top - other.bottom, other.top - frag.bottom)
                overlap = min(frag.segments[-1].x1, other.segments[-1].x1) - max(
                    frag.segments[0].x0, other.segments[0].x0
                )
                if gap <= 0.6 * frag.height and overlap > 0 and left_of(frag, other_row):
                    rows[id(other_row)].append(frag)
                    owner[id(frag)] = other_row
                    grown = True
                    break
        if not grown:
            break
    return rows


def _label_texts(row: list[_VisualLine], values_line: _VisualLine) -> list[str]:
    """The label cells of an assembled row, left to right.

    Text segments that overlap horizontally across lines are one cell, read
    top to bottom.
    """
    segs = [s for ln in row for s in ln.segments if not s.value]
    parent = list(range(len(segs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(segs):
        for j in range(i + 1, len(segs)):
            b = segs[j]
            same_line = min(a.bottom, b.bottom) - max(a.top, b.top) > 0
            if not same_line and min(a.x1, b.x1) - max(a.x0, b.x0) > 0:
                parent[find(j)] = find(i)
    groups: dict[int, list[_Segment]] = {}
    for i, s in enumerate(segs):
        groups.setdefault(find(i), []).append(s)
    cells = sorted(groups.values(), key=lambda g: min(s.x0 for s in g))
    return ["".join(s.text for s in sorted(g, key=lambda s: (s.top, s.x0))) for g in cells]


def _join_paragraphs(items: list[_Item], lines: list[_VisualLine]) -> None:
    """Run a narrative line into the next when it reaches the right margin.

    Chinese prose wraps anywhere; joined, the narrative keeps its
    sentences.
    """
    if not lines:
        return
    right = max(ln.segments[-1].x1 for ln in lines)
    owner: _Item | None = None
    for item in sorted((it for it in items if it.narrative is not None), key=lambda it: it.top):
        last = owner.last if owner is not None else None
        if (
            owner is not None
            and last is not None
            and len(item.line.cells) == 1
            and len(owner.line.cells) == 1
            and item.first is not None
            and item.first.number == last.number + 1
            and right - last.segments[-1].x1 <= 1.5 * last.height
        ):
            owner.narrative = (owner.narrative or "") + (item.narrative or "")
            owner.last = item.last
            item.narrative = None
        else:
            owner = item


def _title_hints(
    lines: list[_VisualLine], size_of: Callable = max, larger: float = 1.1, alike: float = 0.95
) -> list[str]:
    """The first page's title.

    The leading lines in the largest type, joined (a title often breaks
    after the agency's name): a line's type is ``size_of`` its words'
    heights; the title's is more than ``larger`` times the body's, and the
    title's lines are at least ``alike`` times its largest.
    """
    if not lines:
        return []
    sizes = [size_of(w.height for s in ln.segments for w in s.words) for ln in lines]
    body = statistics.median(sizes)
    top = max(sizes[:8])
    if top <= body * larger:
        return []
    title = []
    for line, size in zip(lines, sizes):
        if size >= top * alike:
            title.append(line.text)
        elif title:
            break
    return ["".join(title)] if title else []


# --------------------------------------------------------------------------
# A text set as typed (LibreOffice's PDF of a text report)
# --------------------------------------------------------------------------

# Set one line as it was typed: no gap between its characters wider than this
# share of their height (a space is a character; a table's column leaves a gap).
_TYPED_GAP = 0.5
# Share of a document's lines that start at its left margin when it is set as typed.
_TYPED_LEFT = 0.9


@dataclass
class _FlowLine:
    """One visual line of a page set as typed: its characters, spaces included."""

    text: str
    x0: float  # where it starts (a space that begins it included)
    x1: float  # where it ends (the spaces it ends in included)
    ink: float  # where its last character that is not a space ends
    top: float
    height: float
    first: float  # the width of what begins it, which a line breaker keeps together
    page: int
    number: int  # 1-based, in reading order on its page


def _wide(text: str) -> bool:
    """Whether ``text`` begins with a CJK character: a line may break before any of them."""
    return bool(text) and ord(text[0]) >= 0x2E80


def _first_width(group: list[_Word]) -> float:
    """The width of what begins a line, which a line breaker keeps together.

    A word of narrow characters (``000023``, ``2020``), up to a space or a
    wide character; else two ideographs (LibreOffice keeps a short word
    together: ``898989`` / ``第二十条`` with room left for ``第``), or one mark
    that cannot end a line with the ideograph after it; with the marks that
    cannot begin one after them (``（四）``).
    """
    head = list(itertools.dropwhile(lambda w: not w.text.strip(), group))
    if not head:
        return 0.0
    if not _wide(head[0].text):
        word = list(itertools.takewhile(lambda w: w.text.strip() and not _wide(w.text), head))
        return word[-1].x1 - word[0].x0
    n = 1
    if len(head) > 1 and (
        unicodedata.category(head[0].text[0]) in ("Ps", "Pi") or unicodedata.category(head[1].text[0]) == "Lo"
    ):
        n = 2
    while n < len(head) and _wide(head[n].text) and unicodedata.category(head[n].text[0]) in ("Pe", "Pf", "Po"):
        n += 1
    return head[n - 1].x1 - head[0].x0


def _gapped(groups: list[list[_Word]]) -> bool:
    """Whether a visual line has a gap wider than a space between two words (columns laid out by position)."""
    for group in groups:
        if len(group) > 1:
            height = statistics.median(w.height for w in group)
            if any(b.x0 - a.x1 > height for a, b in itertools.pairwise(group)):
                return True
    return False


def _flow_lines(chars: list[dict], page: int) -> list[_FlowLine] | None:
    """The page's visual lines from its characters, spaces included, if the page is set as typed.

    None when a line has a gap between two characters (columns laid out by
    position, not text set as typed).
    """
    words = [_Word(c["text"], c["x0"], c["x1"], c["top"], c["bottom"]) for c in chars if c["text"]]
    lines = []
    for group in sorted(_line_groups(words), key=lambda g: min(w.top for w in g)):
        height = statistics.median(w.height for w in group)
        if any(b.x0 - a.x1 > _TYPED_GAP * height for a, b in itertools.pairwise(group)):
            return None
        ink = [w for w in group if w.text.strip()]
        if not ink:
            continue
        text = "".join(w.text for w in group)
        top = min(w.top for w in group)
        lines.append(_FlowLine(text, group[0].x0, group[-1].x1, ink[-1].x1, top, height, _first_width(group), page, 0))
    for i, line in enumerate(lines, start=1):
        line.number = i
    return lines


def _goes_on(above: _FlowLine, below: _FlowLine, right: float, closing: bool) -> bool:
    """Whether ``below`` goes on with the paragraph of ``above``, wrapped at the right margin.

    It does when what begins ``below`` would not have fitted in the room
    left at the end of ``above``. A pipe row closed by its last pipe ends
    there (unless ``below`` goes on with pipes: a run of empty cells
    wrapped); a line breaker never parts two narrow letters or digits, unless
    their word fills the line.
    """
    if below.first <= right - above.x1:
        return False
    end, begin = above.text[-1], below.text[0]
    if closing and end == "|" and begin != "|":
        return False
    narrow = end.isalnum() and begin.isalnum() and not _wide(end) and not _wide(begin)
    return not (narrow and right - above.x1 >= 0.5 * above.height)


def _typed_text(pages: list[_Page]) -> list[tuple[str, str]] | None:
    """The lines of a document set as typed, its wrapped lines joined again, with their locators.

    A text report opened in LibreOffice and exported to PDF (or to DOCX and
    then PDF) is set as typed: each line of the text is a paragraph at the
    left margin, wrapped at the right one. Its pipe rows (``规章 | 0 | 0 | 18
    |``) and the run-together rows of a flattened page (``（七）总计23 0 00 0
    023四、结转…``) are then read as the text reader reads them, once the
    paragraphs are whole again: a line goes on in the next where what begins
    the next (:func:`_first_width`) would not have fitted in the room left at
    the end of the line, as the line breaker decides (:func:`_goes_on`).
    None when the document is not set so (a page has a drawn table, a line
    has a gap between its characters, few lines start at one left margin).
    """
    if not pages or any(p.flow is None or (p.images and not p.flow) for p in pages):
        return None  # a page laid out by position, or a page of images (a scan, for OCR)
    height = pages[0].height
    lines = [
        ln
        for p in pages
        for ln in p.flow or []
        if not (_PAGE_NUMBER.match(ln.text) and (ln.top < _MARGIN * height or ln.top > (1 - _MARGIN) * height))
    ]
    if len(lines) < 3:
        return None
    left = Counter(round(ln.x0) for ln in lines).most_common(1)[0][0]
    at_left = [ln for ln in lines if abs(ln.x0 - left) <= 1]
    if len(at_left) < _TYPED_LEFT * len(lines):
        return None
    # the right margin, where full lines end: a punctuation mark may hang past it
    full = [ln.ink for ln in lines if not unicodedata.category(ln.text.rstrip()[-1]).startswith("P")]
    right = max(full or [ln.ink for ln in lines])
    piped = [ln.text.rstrip() for ln in lines if "|" in ln.text]
    closing = sum(t.endswith("|") for t in piped) > len(piped) / 2
    out: list[tuple[str, str]] = []
    previous: _FlowLine | None = None
    for line in lines:
        where = f"page {line.page}, line {line.number}"
        if previous is not None and out and abs(line.x0 - left) <= 1 and _goes_on(previous, line, right, closing):
            text, begun = out[-1]
            out[-1] = (text + line.text, f"{begun.split(' … ')[0]} … {where}")
        else:
            out.append((line.text, where))
        previous = line
    return out


def _document_of_text(typed: list[tuple[str, str]], pages: list[_Page], repairs: _Repairs, name: str) -> Document:
    """The document of a PDF set as typed, read as the text reader reads a text (:func:`_typed_text`).

    Locators name the PDF's page and lines instead of the text's line.
    """
    from gicstats.read.readers.text import read_placed_lines

    doc = read_placed_lines(typed, name)
    starts: set[int] = set()
    hints = _title_hints(_visual_lines(pages[0].groups, starts))
    return Document(doc.lines, doc.text, hints, repairs.lines())
