"""Reader for text scraped from report pages.

Handles every shape of ``shared/spec/template.md`` §7.5: pipe rows with
merged-cell gaps and rowspan labels only on their first row; one cell per
line; ``cell |`` lines and ``|`` on its own line; and cells run together with
no separator, which the mapper splits with the table's identities. Text
dumps of pages too: paragraphs a page wrapped at its margin are joined
again, table 三 laid out in columns (``pdftotext -layout``) is read by its
head's columns, and table 三 dumped a cell a paragraph (``lynx -dump``) by
its empty lines.

Lines and ``|`` separators are counted before the text is split, so a text
past the limits of :mod:`gicstats.limits` is refused before any work.
"""

from __future__ import annotations

import itertools
import re
from typing import NoReturn

from gicstats.errors import GicstatsError
from gicstats.form import template as T
from gicstats.read.document import CUT, Cell, Document, Line
from gicstats.read.labels import tokenize
from gicstats.read.limits import current, over

# A text is in the pipe-table shape when at least this many lines hold two or
# more non-empty cells between pipes.
_MIN_PIPE_ROWS = 3
# Text browsers (w3m -dump) draw tables with box-drawing characters: their
# vertical bars separate cells as "|" does, and a line of rules only is
# structure. Markdown writes that structure as a separator row
# (``|---|:---:|``): never values.
_BOX_BARS = str.maketrans({ch: "|" for ch in "│┃║├┤┼┝┥┠┨╟╢╠╣╞╡╪╫╬┌┐└┘┬┴╔╗╚╝╦╩╤╧╥╨╓╖╙╜╒╕╘╛"})
_RULE_LINE = re.compile(r"^[\s|+:\-=─━═┄┅┈┉╌╍]*$")
_RULE_CHARS = re.compile(r"[-=─━═┄┅┈┉╌╍]{3}")
_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
# A page footer a converter left inside a table: "— 5 —", "- 5 -", "第5页".
_PAGE_FOOTER = re.compile(
    r"^[\s|]*(?:[-—–]+[\s|]*\d{1,4}[\s|]*[-—–]+|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?)[\s|]*$"
)

# What a line of either begins with (after white space)
_RULE_OR_FOOTER_FIRST = frozenset("|+:-=─━═┄┅┈┉╌╍—–第")


def _structure_only(line: str) -> bool:
    """A table rule or a Markdown separator row (structure only), or a page footer between table rows (no value)."""
    if ("|" in line or "-" in line or "─" in line) and _RULE_LINE.match(line) and _RULE_CHARS.search(line):
        return True
    return _PAGE_FOOTER.match(line) is not None


def _closed(line: str) -> bool:
    """Whether a pipe row ends in a pipe after its last cell (``a | b |``), not in the cell (``a | b``)."""
    text = line.rstrip()
    if not text.endswith("|"):
        return False
    before = text[:-1].rstrip()
    return bool(before) and before[-1] != "|"


def _pipe_cells(line: str, leading_pipe: bool, closing: bool = False) -> list[str]:
    """Cells of a pipe row.

    Where the document's rows open with ``|`` (a Markdown-like dump), the
    empty text before it is not a cell; elsewhere a line starting with ``|``
    has a blank first cell. Where rows are ``closing`` (``a | b |``), the
    empty text after the last pipe is not a cell either; where they are not
    (html2text's ``a| b|  ``), it is a blank last cell.
    """
    cells = [c.strip() for c in line.split("|")]
    if leading_pipe and cells and cells[0] == "" and line.lstrip().startswith("|"):
        cells = cells[1:]
    if closing and len(cells) > 1 and cells[-1] == "" and line.rstrip().endswith("|"):
        # the pipe that closes the row (``a | b |`` is two cells): counted as a
        # cell, a row that lost cells would seem to have its full count
        cells = cells[:-1]
    return cells


# A label wrapped inside its bracket note is joined with at most this many
# following lines, each at most this long (a cell's width, not prose).
_WRAP_LINES = 2
_WRAP_CHARS = 40


def _join_open_brackets(lines: list[str]) -> list[str]:
    """Join a line whose bracket is left open with the short lines that close it.

    A label wrapped in a cell (``（二）部分公开（区分处理的，只计这一情 形，不`` / ``计其他情形）``). The
    joined text takes the first line's place and the lines it took in stay as
    empty lines, so line numbers still locate.

    A pipe row whose label a page wrapped, as ``pdftotext`` lays out a PDF of
    a pipe text (``其他主动公开文件(含…可参考`` / ``本单位…栏目数据) | 3 | 3 | 4 |``),
    is joined too when its last line closes the bracket before its first
    ``|``: the row takes that last line's place, where its values are.
    """
    out = list(lines)
    # a bracket left open needs one opened: most lines have none, and are
    # passed over in one comprehension (a joined line is read again below)
    opened = [i for i, line in enumerate(out) if "（" in line or "(" in line]
    for i in opened:
        line = out[i]
        if "|" in line or len(line.strip()) > 80:
            continue
        depth = _open(line)
        if depth <= 0:
            continue
        for j in range(i + 1, min(len(out), i + 1 + _WRAP_LINES)):
            nxt = out[j].strip()
            if "|" in nxt and _closes_label(depth, nxt):
                out[j] = " ".join(out[k].strip() for k in range(i, j + 1))
                for k in range(i, j):
                    out[k] = ""
                break
            if not nxt or "|" in nxt or len(nxt) > _WRAP_CHARS:
                break
            depth += _open(nxt)
            if depth < 0:
                break
            if depth == 0:
                out[i] = line.rstrip() + " " + " ".join(out[k].strip() for k in range(i + 1, j + 1))
                for k in range(i + 1, j + 1):
                    out[k] = ""
                break
    return out


# A text laid out by a page (pdftotext of a PDF that a word processor or a
# browser made of a text report) wraps each paragraph at the page's margin:
# a table run together in one paragraph (``…申请数量 230`` / ``000023 二、…``)
# is cut into lines, and so are its labels (``1.信`` / ``访举报投诉类申请``).
# Such a text is recognised by its lines: nearly all of them (_WRAPPED_SHARE)
# end at one margin (_FULL of the width most lines reach, the 90th
# percentile), a margin no wider than a page or a screen (_MAX_MARGIN display
# columns) and at least _MIN_MARGIN wide, over at least _MIN_WRAPPED lines.
# A text of short lines, of table rows laid out in columns or of one
# paragraph a line is left as it is.
_FULL = 0.8
_WRAPPED_SHARE = 0.75
_MAX_MARGIN = 240
_MIN_MARGIN = 40
_MIN_WRAPPED = 10
# A column gap: two spaces or more between words (a table laid out in columns)
_GAP = re.compile(r"\S {2,}\S")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


def _width(line: str) -> int:
    """A line's width on the page, in columns: an ideograph (three bytes in UTF-8) takes two, ASCII one."""
    return (len(line.encode("utf-8", "surrogatepass")) + len(line)) // 2


def _prose(line: str) -> bool:
    """A line of running text: not empty, no ``|`` cells, no column gaps."""
    return bool(line.strip()) and "|" not in line and not _GAP.search(line.strip())


def _reflow(lines: list[str]) -> dict[int, int]:
    """Join the lines of paragraphs a page wrapped at its margin; returns the joined spans.

    Each line that reaches the margin is joined with the next line of
    running text; the paragraph takes its first line's place and the lines
    it took in stay as empty lines, so line numbers still locate. Returns,
    for each joined paragraph, the index of its first line mapped to that of
    its last. Joined without a space (CJK text and a label cut anywhere run
    on), except between two digits or Latin letters: a page breaks a line
    inside a number or a word only at a space (Unicode line breaking), so
    ``230`` / ``000023`` was ``230 000023``; a space there keeps the cells
    apart and never joins two numbers into one.
    """
    lengths = list(map(len, lines))
    if max(lengths, default=0) > _MAX_MARGIN:
        return {}  # a line wider than any page (a cheap test first): not wrapped at a margin
    # a cheap test next: a full line is at least _FULL * _MIN_MARGIN columns
    # wide, half as many characters (ideographs take two columns)
    short = _FULL * _MIN_MARGIN / 2
    long_prose = len([n for n, ln in zip(lengths, lines) if n >= short and "|" not in ln])
    if long_prose < _WRAPPED_SHARE * (len(lengths) - lengths.count(0)):
        return {}
    widths = [_width(ln.replace("\f", "").rstrip()) if _prose(ln) else -1 for ln in lines]
    prose = sorted(w for w in widths if w >= 0)
    if len(prose) < _MIN_WRAPPED:
        return {}
    margin = prose[int(len(prose) * 0.9)]
    full = _FULL * margin
    if not _MIN_MARGIN <= margin <= _MAX_MARGIN or sum(1 for w in prose if w >= full) < _WRAPPED_SHARE * len(prose):
        return {}
    spans: dict[int, int] = {}
    start = -1
    for i, line in enumerate(lines):
        if start >= 0 and widths[i] >= 0 and widths[i - 1] >= full:
            head, tail = lines[start].rstrip(), line.replace("\f", "").strip()
            glue = " " if _ASCII_WORD.match(head[-1]) and _ASCII_WORD.match(tail[0]) else ""
            lines[start], lines[i] = head + glue + tail, ""
            spans[start] = i
            continue
        start = i if widths[i] >= 0 else -1
    return spans


# Table 三 laid out in columns, as ``pdftotext -layout`` prints a PDF's table:
# a row's label, then its values where their columns are, blank cells left
# as spaces (``一、本年新收…   821  35          2    1 859``). The columns are
# where the head prints their labels (自然人 … 总计), found within
# _HEAD_LINES lines of one another; a value is read in the column whose
# label it stands under, when that column is nearer by at least
# _COLUMN_MARGIN characters than the next nearest. The rows are read up to
# the next section heading, at most _LAYOUT_LINES lines on.
_LAYOUT_TABLE = "applications"
_HEAD_LINES = 3
_MIN_PRINTED = 4
_COLUMN_MARGIN = 1.0
_LAYOUT_LINES = 120
_WORD = re.compile(r"\S+")


def _column_labels() -> list[tuple[str, ...]]:
    """The printed labels of table 三's columns, in order (alike in both versions)."""
    table = T.TEMPLATES[T.VERSIONS[0]].table(_LAYOUT_TABLE)
    return [(c.label, *c.aliases) for c in table.columns]


def _layout_head(lines: list[str]) -> tuple[int, list[float], int] | None:
    """The last line of table 三's head laid out in columns, each column's centre (characters), how many are printed.

    A head cut at the page's right edge (a table wider than the page) prints
    its first columns, then the start of the next label (``社会公益组织 法``)
    and nothing after: at least _MIN_PRINTED columns are read by, and the
    centre of the one cut follows theirs, so that a value under it is not
    read in another.
    """
    labels = _column_labels()
    for i, line in enumerate(lines):
        if labels[2][0] not in line or labels[3][0] not in line:
            continue  # 科研机构 and 社会公益组织: a cheap test first
        window = [lines[j].replace("\f", "") for j in range(max(0, i - _HEAD_LINES + 1), i + 1)]
        words = [(m.start(), m.group()) for text in window for m in _WORD.finditer(text)]
        centres: list[float] = []
        for names in labels:
            found = [start + len(word) / 2 for start, word in words if word in names]
            if len(found) > 1:
                return None  # a column printed twice: no layout to read by
            if not found:
                break
            centres.append(found[0])
        printed = len(centres)
        if printed < len(labels):
            last = list(_WORD.finditer(window[-1]))[-1]
            after = {word for _, word in words} & {name for names in labels[printed:] for name in names}
            cut = [name for name in labels[printed] if name.startswith(last.group()) and name != last.group()]
            if printed < _MIN_PRINTED or after or not cut:
                return None  # a column missing, not cut at the edge
            centres.append(last.start() + len(cut[0]) / 2)
        if all(a + 2 <= b for a, b in itertools.pairwise(centres)):
            return i, centres, printed
        return None
    return None


def _row_label(text: str) -> bool:
    """Whether ``text`` is labels only, the last a row of table 三 (group labels may precede it)."""
    tokens = tokenize(text)
    if not tokens or any(t.kind != "label" for t in tokens):
        return False
    return any(
        r.kind == "row" and r.table == _LAYOUT_TABLE
        for v in T.VERSIONS
        for r in T.label_index(v).get(tokens[-1].key, ())
    )


def _layout_cells(line: str, centres: list[float], printed: int) -> list[str] | None:
    """A row of table 三 laid out in columns: its label, then a cell a column (blank where nothing is printed).

    The columns past the ``printed`` ones were cut at the page's edge: their
    cells are :data:`CUT`. None for a line that is not such a row: not a row
    label, or a value that does not stand clearly under one printed column.
    """
    words = [(m.start(), m.group()) for m in _WORD.finditer(line)]
    k = len(words)
    while k and words[k - 1][1].isascii() and words[k - 1][1].isdigit():
        k -= 1
    values = words[k:]
    label = line[: values[0][0]].strip() if values else line.strip()
    if not _row_label(label):
        return None
    cells = [""] * printed + [CUT] * (len(_column_labels()) - printed)
    last = -1
    for start, word in values:
        at = start + len(word) / 2
        near = sorted(range(len(centres)), key=lambda c: abs(centres[c] - at))
        best = near[0]
        if abs(centres[near[1]] - at) - abs(centres[best] - at) < _COLUMN_MARGIN or best <= last or best >= printed:
            return None
        cells[best], last = word, best
    return [label, *cells]


def _layout_rows(lines: list[str]) -> dict[int, list[str]]:
    """Rows of table 三 laid out in columns, by line index: the label, then a cell a column.

    A row that prints its label only has blank cells where a table laid out
    in columns prints nothing; it is read so only between two lines that are
    rows too (or the head, or the table's end): a line that is not one (a
    label wrapped, values without a label, labels run together) may hold its
    values, and such a row is left to the text reader, which does not read
    it blank.
    """
    head = _layout_head(lines)
    if head is None:
        return {}
    at, centres, printed = head
    # (line, its cells or None, whether it prints values without a label)
    found: list[tuple[int, list[str] | None, bool]] = [(at, ["head"], False)]
    for j in range(at + 1, min(len(lines), at + 1 + _LAYOUT_LINES)):
        line = lines[j].replace("\f", "").rstrip()
        if not line.strip():
            continue
        if T.section_of_heading(line.strip()):
            break
        cells = _layout_cells(line, centres, printed)
        found.append((j, cells, cells is None and all(w.isascii() and w.isdigit() for w in line.split())))
    found.append((len(lines), ["end"], False))
    rows: dict[int, list[str]] = {}
    for n in range(1, len(found) - 1):
        j, cells, _ = found[n]
        before, after = found[n - 1], found[n + 1]
        if cells is None or before[2] or after[2]:
            continue  # values beside it without a label may be this row's
        if any(c and c != CUT for c in cells[1:]) or (before[1] is not None and after[1] is not None):
            rows[j] = cells
    return rows


# The longest row label of table 三 with its group labels before it is about
# 40 characters; longer text alone on a line is prose.
_MAX_ROW_LABEL = 80


def _paragraph_rows(lines: list[str]) -> dict[int, tuple[int, list[str]]]:
    """Rows of table 三 dumped a cell a paragraph, by the index of their label's line.

    ``lynx -dump`` prints a table whose cells are paragraphs (``<td><p>…``)
    a cell after another: the cell's text, then an empty line; an empty
    cell (``<p>&nbsp;</p>``) is an empty line alone. A row label alone on
    its line, followed by its empty line, then bare numbers and empty lines
    up to the next text, is read as the row's cells when they count exactly
    the table's columns; a row that counts more or fewer (cells printed
    otherwise, or dropped) is left to the text reader. Returns, by the
    label's line, the index of the row's last line and its cells (the
    label's text first).
    """
    width = len(_column_labels())
    rows: dict[int, tuple[int, list[str]]] = {}
    n = len(lines)
    texts = [line.strip() for line in lines]
    if "" not in texts:
        return rows  # no empty line: no paragraph a cell
    cell = [not t or (t.isascii() and t.isdigit()) for t in texts]  # a number or an empty line
    # cheap tests first, in one comprehension: a text, its empty line, then a cell
    starts = [i for i in range(n - 2) if not cell[i] and not texts[i + 1] and cell[i + 2]]
    for i in starts:
        text = texts[i]
        if len(text) > _MAX_ROW_LABEL or text.isdigit() or not _row_label(text):  # long text is prose
            continue
        cells: list[str] = []
        j = last = i + 2  # the line after the label's empty line; the row's last line
        while j < n and len(cells) <= width:
            value = texts[j]
            if not cell[j]:
                break
            cells.append(value)
            if value:
                if j + 1 < n and texts[j + 1]:
                    cells = []  # a value not followed by its empty line: not a paragraph a cell
                    break
                j += 1
            last = min(j, n - 1)
            j += 1
        if len(cells) == width and any(cells):
            rows[i] = (last, [text, *cells])
    return rows


def _closes_label(depth: int, line: str) -> bool:
    """Whether the first cell of pipe row ``line`` is the short rest of a label open ``depth`` brackets deep."""
    head = line.split("|", 1)[0].strip()
    return bool(head) and len(head) <= _WRAP_CHARS and depth + _open(head) == 0


def _open(text: str) -> int:
    return text.count("（") + text.count("(") - text.count("）") - text.count(")")


def refused(problem: str, name: str | None) -> NoReturn:
    """A source past a limit: raise naming the file.

    The name is ``<text>`` when the caller gave none.
    """
    raise GicstatsError(name or "<text>", problem)


# The text reader's locator: the text's line, then the cell's place in it.
_LINE_LOCATOR = re.compile(r"line (\d+)(.*)", re.S)


def read_placed_lines(lines: list[tuple[str, str]], name: str | None = None) -> Document:
    """Read lines of another source as :func:`read_text` reads a text, locators naming their places.

    Each line comes with its place in its source (``paragraph 12``, ``page
    2, line 5``), which takes the place of ``line N`` in the locators.
    """
    doc = read_text("\n".join(text for text, _ in lines), name)
    for line in doc.lines:
        for cell in line.cells:
            m = _LINE_LOCATOR.match(cell.locator)
            if m and 0 < int(m[1]) <= len(lines):
                cell.locator = lines[int(m[1]) - 1][1] + m[2]
    return doc


def read_text(text: str, name: str | None = None) -> Document:
    """Split scraped text into lines of cells.

    Args:
        text: The text.
        name: The file, for errors.

    Raises:
        GicstatsError: naming ``name`` for a text past a limit of
            :mod:`gicstats.limits`.
    """
    limits = current()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "─" in text or "│" in text or "━" in text or "┃" in text or "║" in text:
        text = text.translate(_BOX_BARS)
    n_lines = text.count("\n") + 1
    if n_lines > limits.max_lines:
        refused("text " + over("lines", n_lines, limits.max_lines, "max_lines"), name)
    bars = text.count("|")
    if bars > limits.max_cells:
        refused("text " + over("'|' cell separators", bars, limits.max_cells, "max_cells"), name)
    raw_lines = text.split("\n")
    pipe_rows = sum(1 for ln in raw_lines if "|" in ln and sum(1 for c in ln.split("|") if c.strip()) >= 2)
    tabular = pipe_rows >= _MIN_PIPE_ROWS
    piped = [ln for ln in raw_lines if "|" in ln]
    leading_pipe = sum(ln.lstrip().startswith("|") for ln in piped) > len(piped) / 2
    # Markdown tables have separator rows; their spanned cells are empty cells
    markdown = any(_MD_SEPARATOR.match(ln) for ln in piped)
    # rows closed by a pipe after their last cell, rather than ending in it
    closing = tabular and sum(map(_closed, piped)) > sum(1 for ln in piped if ln.rpartition("|")[2].strip())
    lines: list[Line] = []
    narrative: list[str] = []
    layout = _layout_rows(raw_lines)
    for i, (last, paragraph_cells) in _paragraph_rows(raw_lines).items():
        if i not in layout and not any(j in layout for j in range(i, last + 1)):
            layout[i] = paragraph_cells
            raw_lines[i + 1 : last + 1] = [""] * (last - i)
    for j in layout:
        raw_lines[j] = ""  # read by its columns below: no paragraph or label runs through it
    spans = _reflow(raw_lines)
    raw_lines = _join_open_brackets(raw_lines)
    for number, raw in enumerate(raw_lines, start=1):
        if layout and number - 1 in layout:
            label, *values = layout[number - 1]
            where = f"line {number}"
            cells = [Cell(label, f"{where}, label")]
            cells.extend(
                Cell(v, f"{where}, column {c + 1}" + (" (cut at the page's right edge)" if v == CUT else ""))
                for c, v in enumerate(values)
            )
            # grid: a row whose last cells are blank may be one that lost
            # cells (a page whose repeated cells were dropped, laid out under
            # the first columns): the mapper reads it as printed only where
            # that cannot be
            lines.append(Line(cells, structured=True, grid=True))
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped[0] in _RULE_OR_FOOTER_FIRST and _structure_only(raw):  # a cheap test first
            continue
        where = f"lines {number}-{spans[number - 1] + 1}" if number - 1 in spans else f"line {number}"
        if "|" in raw and tabular:
            texts = _pipe_cells(raw, leading_pipe, closing)
            cells = [Cell(c, f"{where}, cell {i + 1}") for i, c in enumerate(texts)]
            lines.append(Line(cells, structured=True, markdown=markdown, dump=True))
            continue
        if "|" in raw:
            # "cell |" lines, or "|" alone between cells: one cell per line
            content = " ".join(c.strip() for c in raw.split("|") if c.strip())
            if content:
                lines.append(Line([Cell(content, where)], structured=False))
            continue
        lines.append(Line([Cell(raw, where)], structured=False))
        narrative.append(stripped)
    return Document(lines, "\n".join(narrative))
