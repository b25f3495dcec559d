"""Readers turn a source into lines of cells and narrative text."""

from __future__ import annotations

from dataclasses import dataclass, field

from gicstats.read.mapping import Line


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
