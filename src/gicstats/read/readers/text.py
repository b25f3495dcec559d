"""Reader for text scraped from report pages.

Handles every shape of ``shared/spec/template.md`` §7.5: pipe rows with
merged-cell gaps and rowspan labels only on their first row; one cell per
line; ``cell |`` lines and ``|`` on its own line; and cells run together with
no separator, which the mapper splits with the table's identities.

Lines and ``|`` separators are counted before the text is split, so a text
past the limits of :mod:`gicstats.limits` is refused before any work.
"""

from __future__ import annotations

import re
from typing import NoReturn

from gicstats.errors import GicstatsError
from gicstats.read.document import Cell, Document, Line
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
_CLOSED = re.compile(r"[^|\s][^\S\n]*\|[^\S\n]*$")
_OPEN_END = re.compile(r"\|[^|\n]*[^|\s][^|\n]*$")
_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
# A page footer a converter left inside a table: "— 5 —", "- 5 -", "第5页".
_PAGE_FOOTER = re.compile(
    r"^[\s|]*(?:[-—–]+[\s|]*\d{1,4}[\s|]*[-—–]+|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?)[\s|]*$"
)


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
    for i, line in enumerate(out):
        if "|" in line or len(line.strip()) > 80 or _open(line) <= 0:
            continue
        depth = _open(line)
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
    closing = sum(1 for ln in piped if _CLOSED.search(ln)) > sum(1 for ln in piped if _OPEN_END.search(ln))
    lines: list[Line] = []
    narrative: list[str] = []
    raw_lines = _join_open_brackets(raw_lines)
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        if ("|" in raw or "-" in raw or "─" in raw) and _RULE_LINE.match(raw) and _RULE_CHARS.search(raw):
            continue  # a table rule or a Markdown separator row: structure only
        if _PAGE_FOOTER.match(raw):
            continue  # a page number between table rows, not a value
        where = f"line {number}"
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
        narrative.append(raw.strip())
    return Document(lines, "\n".join(narrative))
