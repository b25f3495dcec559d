"""The document model: what a reader extracts from a source, before mapping.

Readers produce it (:mod:`gicstats.read.readers`), the mapper consumes it
(:mod:`gicstats.read.mapping`); neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# What a table cell cut off at the page's edge reads, in a PDF or its text
# dump: not a blank, not a value (the mapper keeps it null with a
# parse.unreadable_cell finding).
CUT = "…"


@dataclass(slots=True)  # readers make one per table cell: slots make that cheaper
class Cell:
    """One cell of a source as a reader found it."""

    text: str
    locator: str


@dataclass(slots=True)
class Line:
    """A row of cells.

    ``structured`` lines (HTML rows, pipe rows) keep one value per cell, so
    a blank cell is a blank value; other lines are free text whose values
    may have run together.
    """

    cells: list[Cell]
    structured: bool
    markdown: bool = False  # a row of a Markdown table: a spanned cell is written as an empty cell after it
    dump: bool = False  # a row of a text dump, whose producer may have dropped cells (``46 | 0 | 46``)
    grid: bool = False  # a row of a drawn grid (a PDF table): empty cells may only pad a row that lost cells


@dataclass
class Document:
    """What a reader extracts from a source, before mapping.

    Attributes:
        lines: Table rows and text lines, in document order.
        text: The document's text with tables left out, one block a line.
        title_hints: Short texts likely to hold the title (HTML ``<title>``).
        repairs: What the reader's library repaired in a damaged file, one
            line each (``pdfminer: Data-loss while decompressing corrupted
            data (2 times)``): numbers may be missing where it did.
    """

    lines: list[Line]
    text: str
    title_hints: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
