"""Reader for text scraped from report pages.

Handles every shape of ``shared/spec/template.md`` §7.5: pipe rows with
merged-cell gaps and rowspan labels only on their first row; one cell per
line; ``cell |`` lines and ``|`` on its own line; and cells run together with
no separator, which the mapper splits with the table's identities.

Lines and ``|`` separators are counted before the text is split, so a text
past the limits of :mod:`gicstats.limits` is refused before any work.
"""

from __future__ import annotations

from typing import NoReturn

from gicstats.errors import GicstatsError
from gicstats.read.document import Cell, Document, Line
from gicstats.read.limits import current, over

# A text is in the pipe-table shape when at least this many lines hold two or
# more non-empty cells between pipes.
_MIN_PIPE_ROWS = 3


def _pipe_cells(line: str, leading_pipe: bool) -> list[str]:
    """Cells of a pipe row.

    Where the document's rows open with ``|`` (a Markdown-like dump), the
    empty text before it is not a cell; elsewhere a line starting with ``|``
    has a blank first cell.
    """
    cells = [c.strip() for c in line.split("|")]
    if leading_pipe and cells and cells[0] == "" and line.lstrip().startswith("|"):
        cells = cells[1:]
    return cells


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
    lines: list[Line] = []
    narrative: list[str] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        where = f"line {number}"
        if "|" in raw and tabular:
            cells = _pipe_cells(raw, leading_pipe)
            lines.append(Line([Cell(c, f"{where}, cell {i + 1}") for i, c in enumerate(cells)], structured=True))
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
