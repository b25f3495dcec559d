"""Limits on what one source may make gicstats do, and how to change them.

Reports come from tens of thousands of websites of every quality. A page may
be huge, nested ten thousand tags deep, or hold a digit run that a careless
scraper made of a whole table. Every reader stays within the limits below:
what passes one is refused with a :class:`~gicstats.GicstatsError` that names
the file, the limit and its variable, never read for minutes or until memory
runs out. The defaults are far above any real report (a report has a few
hundred table cells, a few thousand lines and a few thousand HTML tags) and
far below what would stall a batch.

Each limit is read from its environment variable when a source is read, so
it can be changed for one run (``GICSTATS_MAX_CELLS=500000 gicstats build
…``):

==============================  ==============  ===============================================
Variable                        Default         What it bounds
==============================  ==============  ===============================================
``GICSTATS_MAX_BYTES``          67108864        Size of one source in bytes (64 MiB). Enforced
                                                by :func:`gicstats.sources.load`, which reads it
                                                once at import; mirrored here for the record.
``GICSTATS_MAX_TAGS``           2000000         ``<`` characters in an HTML page, counted
                                                before parsing (an upper bound on its elements:
                                                the parsed tree takes about 250 bytes each).
``GICSTATS_MAX_DEPTH``          2048            Nesting depth of HTML elements. libxml2 stops
                                                at 2048 whatever this says; a deeper page is
                                                refused instead of being silently cut short.
                                                A lower value costs one more pass over the tree.
``GICSTATS_MAX_CELLS``          200000          Table cells a reader produces (HTML ``td`` and
                                                ``th``, pipe-separated cells, text lines).
``GICSTATS_MAX_LINES``          500000          Lines of a text source, or of the text of an
                                                HTML page read as text.
``GICSTATS_MAX_SPLIT_STEPS``    100000          Search steps to cut one digit run into cells
                                                (``801000081`` = 80, 1, 0, 0, 0, 0, 81); past
                                                it the run is left unsplit, with a finding.
``GICSTATS_MAX_REPORT_STEPS``   1000000         Search steps for all digit runs of one report
                                                together; past it further runs are left
                                                unsplit, with a finding.
``GICSTATS_MAX_UNPACKED``       268435456       Bytes a DOCX or XLSX unpacks to (the sizes its
                                                ZIP directory declares), or a PDF's streams
                                                decode to, measured by bounded decoders before
                                                the library sees the file (256 MiB): a ZIP or
                                                Flate bomb is refused, not unpacked.
``GICSTATS_MAX_PAGES``          500             Pages of a PDF, counted before any is read.
``GICSTATS_MAX_OBJECTS``        500000          Characters and shapes (lines, rectangles) a
                                                PDF draws, all pages together, counted as
                                                pdfminer lays them out: each takes about 2 KB
                                                and 20 µs.
``GICSTATS_MAX_IMAGE_PIXELS``   100000000       Pixels of one image to OCR (an image file's
                                                frame, read from its header before any pixel
                                                is decoded, or a scanned PDF page as it would
                                                be rendered): a decompression-bomb image is
                                                refused. An A4 page at 600 dpi has 35 million.
``GICSTATS_MAX_OCR_PAGES``      50              Pages of one report to OCR (image frames, or
                                                PDF pages without a text layer): each takes
                                                several seconds (README "OCR").
==============================  ==============  ===============================================

On the 2-core development machine a source at every limit at once is read in
well under a minute; ``tests/hostile/test_fuzz.py`` checks the adversarial cases of
issue 7 (a 50 MB page, 10,000 nested tags, a run of 200 digits, a ZIP bomb
disguised as DOCX or XLSX, a PDF of 10,000 pages) in seconds.

``GICSTATS_MAX_CELLS`` also counts a DOCX's table cells (with their column
spans) and an XLSX's cells (each sheet's used range, rows times columns)
before they are read.

>>> limits = current()
>>> limits.max_cells, limits.max_depth
(200000, 2048)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from gicstats.errors import GicstatsError

# libxml2's nesting limit with ``huge_tree`` (XML_PARSE_HUGE); without it the
# limit is 256 and text nodes over 10 MB are cut off, both silently.
LIBXML2_MAX_DEPTH = 2048


@dataclass(frozen=True)
class Limits:
    """The limits in force; see the module docstring for each one.

    Attributes:
        max_bytes: Bytes of one source (``GICSTATS_MAX_BYTES``).
        max_tags: ``<`` characters of one HTML page (``GICSTATS_MAX_TAGS``).
        max_depth: HTML nesting depth (``GICSTATS_MAX_DEPTH``), at most 2048.
        max_cells: Table cells of one source (``GICSTATS_MAX_CELLS``).
        max_lines: Lines of one text (``GICSTATS_MAX_LINES``).
        max_split_steps: Search steps per digit run (``GICSTATS_MAX_SPLIT_STEPS``).
        max_report_steps: Search steps per report (``GICSTATS_MAX_REPORT_STEPS``).
        max_unpacked: Bytes a DOCX/XLSX or a PDF's streams unpack to
            (``GICSTATS_MAX_UNPACKED``).
        max_pages: Pages of a PDF (``GICSTATS_MAX_PAGES``).
        max_objects: Characters and shapes a PDF draws (``GICSTATS_MAX_OBJECTS``).
        max_image_pixels: Pixels of one image to OCR (``GICSTATS_MAX_IMAGE_PIXELS``).
        max_ocr_pages: Pages of one report to OCR (``GICSTATS_MAX_OCR_PAGES``).
    """

    max_bytes: int = 64 * 1024 * 1024
    max_tags: int = 2_000_000
    max_depth: int = 2048
    max_cells: int = 200_000
    max_lines: int = 500_000
    max_split_steps: int = 100_000
    max_report_steps: int = 1_000_000
    max_unpacked: int = 256 * 1024 * 1024
    max_pages: int = 500
    max_objects: int = 500_000
    max_image_pixels: int = 100_000_000
    max_ocr_pages: int = 50


VARIABLES = {
    "max_bytes": "GICSTATS_MAX_BYTES",
    "max_tags": "GICSTATS_MAX_TAGS",
    "max_depth": "GICSTATS_MAX_DEPTH",
    "max_cells": "GICSTATS_MAX_CELLS",
    "max_lines": "GICSTATS_MAX_LINES",
    "max_split_steps": "GICSTATS_MAX_SPLIT_STEPS",
    "max_report_steps": "GICSTATS_MAX_REPORT_STEPS",
    "max_unpacked": "GICSTATS_MAX_UNPACKED",
    "max_pages": "GICSTATS_MAX_PAGES",
    "max_objects": "GICSTATS_MAX_OBJECTS",
    "max_image_pixels": "GICSTATS_MAX_IMAGE_PIXELS",
    "max_ocr_pages": "GICSTATS_MAX_OCR_PAGES",
}


def current() -> Limits:
    """The limits in force: each variable that is set, else its default.

    Raises:
        GicstatsError: naming the variable, when it is not a positive integer.
    """
    values = {}
    for f in fields(Limits):
        variable = VARIABLES[f.name]
        raw = os.environ.get(variable)
        if raw is None or not raw.strip():
            continue
        try:
            value = int(raw.strip().replace("_", ""))
        except ValueError:
            value = 0
        if value <= 0:
            raise GicstatsError(variable, f"must be a positive whole number, not {raw!r}")
        values[f.name] = value
    limits = Limits(**values)
    if limits.max_depth > LIBXML2_MAX_DEPTH:
        limits = Limits(**{**values, "max_depth": LIBXML2_MAX_DEPTH})
    return limits


def over(what: str, count: int | str, limit: int, name: str) -> str:
    """The one-line problem for a source past a limit.

    >>> over("table cells", 250000, 200000, "max_cells")
    'has 250,000 table cells, over the limit of 200,000 (GICSTATS_MAX_CELLS)'
    """
    shown = f"{count:,}" if isinstance(count, int) else count
    return f"has {shown} {what}, over the limit of {limit:,} ({VARIABLES[name]})"


def beyond(what: str, limit: int, name: str, verb: str = "has") -> str:
    """The one-line problem for a source found past a limit before it was all counted (counting stops at the limit).

    >>> beyond("characters and shapes", 500000, "max_objects", verb="draws")
    'draws more characters and shapes than the limit of 500,000 (GICSTATS_MAX_OBJECTS)'
    """
    return f"{verb} more {what} than the limit of {limit:,} ({VARIABLES[name]})"


__all__ = ["LIBXML2_MAX_DEPTH", "VARIABLES", "Limits", "beyond", "current", "over"]
