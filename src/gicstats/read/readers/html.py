"""Reader for HTML report pages (lxml).

Tables are read row by row with their cells in document order; a cell that
spans rows appears once, on its first row, exactly as in pipe-scraped text,
so the mapper needs no grid. Spans are parsed leniently (``rowspan="2;"``)
and only to give each cell its grid position for provenance. Only a table's
own rows are read, so nested layout tables stay separate: a nested table is
read on its own and its text is not repeated in the cell that holds it.

Hostile pages stay bounded (see :mod:`gicstats.limits`): tags are counted
before parsing, cells (and depth, below libxml2's own limit) before reading,
every element is visited a fixed number of times however tables and
headings nest, dropped elements are emptied in place (not merged into their
neighbours' text, which is quadratic), and row and column spans mark at most
``_MAX_SPAN_SLOTS`` grid slots per page. A page past a limit, or one libxml2
stops parsing, is refused rather than read in part.
"""

from __future__ import annotations

import re

from lxml import etree

from gicstats.form import template as T
from gicstats.read.document import Cell, Document, Line
from gicstats.read.limits import LIBXML2_MAX_DEPTH, current, over
from gicstats.read.readers.text import read_text, refused

_SPAN = re.compile(r"\d+")
_BLOCKS = frozenset(
    "p div br tr li h1 h2 h3 h4 h5 h6 table section article header footer blockquote pre dt dd title".split()
)
_MAX_SPAN = 1000
# Grid slots a page may mark as covered by row and column spans. Spans only
# number the columns of locators, and a real report's tables cover a few
# hundred slots; a page of cells spanning 1000 x 1000 would cover a million
# each. Past this, further spans are not tracked (locators count cells).
_MAX_SPAN_SLOTS = 1_000_000
# An XML declaration naming an encoding makes lxml refuse a str; the text is
# already decoded, so the declaration has nothing left to say.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
# Characters lxml refuses in any text it is given back (C0 controls other
# than tab and line breaks, U+FFFE, U+FFFF). libxml2 parses them into the
# tree, so a page holding one (Word exports leave \x0b and \x0c) fails where
# the reader sets a tail; it is read again with each of them as a space.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _parser() -> etree.HTMLParser:
    # One parser per page: its error log tells whether libxml2 stopped early,
    # and parsers must not be shared between threads. ``huge_tree`` lifts the
    # 256-level depth limit and the 10 MB text-node limit, past which libxml2
    # would silently drop the rest of the page; our own limits apply instead.
    return etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=True)


def _span(value: str | None) -> int:
    if value is None:
        return 1
    if value.isdigit():
        return min(max(int(value), 1), _MAX_SPAN)
    m = _SPAN.search(value)  # lenient: rowspan="2;" is 2
    return min(max(int(m.group()), 1), _MAX_SPAN) if m else 1


def _spaced(el) -> None:
    """Put a space where ``<br>``, ``<p>`` and ``<div>`` break the text in ``el``.

    So its text can be serialised in C. lxml raises ValueError here for a
    text holding a character XML forbids (see :func:`read_html`).
    """
    for node in el.iter("br", "p", "div"):
        node.tail = " " + (node.tail or "")
        if node.tag != "br":
            node.text = " " + (node.text or "")


_PARAGRAPHS = frozenset(("p", "div"))  # a space before and after their text
# Elements whose text is joined as it is, with nothing spaced.
_INLINE = frozenset(("span", "font", "b", "strong", "i", "em", "u", "a", "sub", "sup", "small", "big", "o:p"))


def _cell_text(el) -> str:
    """The text of a cell, with a space where ``<br>``, ``<p>`` and ``<div>`` break it.

    A cell whose children hold no elements (``<td><p>60</p></td>``, as Word
    exports every cell), or whose one paragraph holds one inline element
    (``<td><p><span>60</span></p></td>``), is joined here from its pieces, as
    ``etree.tostring(method="text")`` joins them from the spaced tree:
    spacing the tree and serialising it cost more for such a cell than the
    rest of its reading. Deeper cells are spaced (:func:`_spaced`) and
    serialised. Either way, a text that lxml would refuse to take back
    raises ValueError where spacing it would.
    """
    n = len(el)
    if not n:  # no child elements: nothing to space
        text = el.text or ""
    elif (
        n == 1
        and (child := el[0]).tag in _PARAGRAPHS
        and (not (m := len(child)) or (m == 1 and not len(inner := child[0]) and inner.tag in _INLINE))
    ):
        if not m:
            # one paragraph, the commonest cell, joined as the loop below joins it
            text = f"{el.text or ''} {child.text or ''} {child.tail or ''}"
        else:
            # one paragraph holding one inline element (<p><span>60</span></p>,
            # as Word and WPS export a styled cell): nothing in it is spaced
            text = f"{el.text or ''} {child.text or ''}{inner.text or ''}{inner.tail or ''} {child.tail or ''}"
        if not text.isprintable() and _NOT_XML.search(text):
            _spaced(el)  # raises if one sits where spacing sets a text
    else:
        parts = [el.text or ""]
        for child in el:
            tag = child.tag
            if len(child) or not isinstance(tag, str):
                # deeper markup (or a node that is no element): the general way
                _spaced(el)
                text = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
                break
            if tag in _PARAGRAPHS:
                parts += (" ", child.text or "", " ", child.tail or "")
            elif tag == "br":
                parts += (child.text or "", " ", child.tail or "")
            else:
                parts += (child.text or "", child.tail or "")
        else:
            text = "".join(parts)
            if not text.isprintable() and _NOT_XML.search(text):
                _spaced(el)  # raises if one sits where spacing sets a text
    return text.replace("\xa0", " ").strip()


_DROPPED = "gicstats-dropped"


def _drop(el) -> None:
    """Empty an element but keep the text that follows it.

    The element stays as an empty placeholder that no reader step looks for,
    so its text and its children are gone and its tail reads on from the
    text before it. Moving the tail onto the element before instead would
    copy the text after a run of dropped elements once per element:
    quadratic on a page of many scripts or tables.
    """
    if el.getparent() is None:
        return
    el.clear(keep_tail=True)
    el.tag = _DROPPED


_SECTIONS = frozenset(("thead", "tbody", "tfoot"))
_CELLS = frozenset(("td", "th"))


def _rows(table) -> tuple[list, list]:
    """The table's own rows (not those of nested tables), and its other children and theirs.

    The others (``<caption>``, ``<colgroup>``, stray markup between rows)
    hold no cells.
    """
    rows: list = []
    others: list = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag in _SECTIONS:
            for grandchild in child:
                (rows if grandchild.tag == "tr" else others).append(grandchild)
        else:
            others.append(child)
    return rows, others


def _table_lines(table, number: int, slots: list[int]) -> list[Line]:
    """The rows of one table.

    ``slots`` holds the span slots the page may still mark (see
    ``_MAX_SPAN_SLOTS``), and is charged here.
    """
    lines: list[Line] = []
    occupied: dict[tuple[int, int], bool] = {}
    rows, others = _rows(table)
    for r, tr in enumerate(rows):
        col = 0
        cells: list[Cell] = []
        where = f"table {number}, row {r + 1}, column "  # the locator, but for the column
        for td in tr.iterchildren("td", "th"):
            if occupied:
                while occupied.pop((r, col), False):
                    col += 1
            # most cells span nothing: no call for them
            rowspan, colspan = td.get("rowspan"), td.get("colspan")
            rowspan = 1 if rowspan is None else _span(rowspan)
            colspan = 1 if colspan is None else _span(colspan)
            area = rowspan * colspan
            if area > 1 and area <= slots[0]:
                slots[0] -= area
                # the rows below: this row's own slots are passed by col below
                for dr in range(1, rowspan):
                    for dc in range(colspan):
                        occupied[(r + dr, col + dc)] = True
            cells.append(Cell(_cell_text(td), f"{where}{col + 1}"))
            col += colspan
        if len(cells) != len(tr):
            others.extend(child for child in tr if child.tag not in _CELLS)
        if cells:
            lines.append(Line(cells, structured=True))
    for other in others:
        # no cell's text, but spaced as cells are: lxml raises ValueError
        # for a character it refuses there too (see read_html)
        _spaced(other)
    return lines


def _block_text(root) -> str:
    for el in root.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "")
    # serialised in C: the same text as joining root.itertext(), a third of the time
    text = etree.tostring(root, method="text", encoding="unicode", with_tail=False).replace("\xa0", " ")
    return "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())


_ANCHORS = None


def _has_anchor(lines: list[Line]) -> bool:
    """Whether the HTML tables hold one of the template's tables."""
    global _ANCHORS
    if _ANCHORS is None:
        _ANCHORS = frozenset(T.normalize(a) for v in T.VERSIONS for t in T.TEMPLATES[v].tables for a in t.anchors)
    return any(T.normalize(c.text) in _ANCHORS for line in lines for c in line.cells if len(c.text) < 80)


# A title is a line; a heading longer than this is not one.
_MAX_HINT_CHARS = 1000
_HINT_TAGS = ("title", "h1", "h2")


def _hint(el) -> str | None:
    """The text of a heading, or None past ``_MAX_HINT_CHARS``."""
    parts, size = [], 0
    for piece in el.itertext():
        size += len(piece)
        if size > _MAX_HINT_CHARS:
            return None
        parts.append(piece)
    return "".join(parts)


def _title_hints(root) -> list[str]:
    """Texts of ``title``, ``h1`` and ``h2`` elements short enough to be titles.

    Headings may nest in headings (the parser allows it); each heading's text
    then holds the text of those inside it, and taking it whole for each would
    copy the innermost text once per level. Such pages go through
    :func:`_nested_hints`, which copies every text once.
    """
    heads = list(root.iter(*_HINT_TAGS))
    if len(heads) <= _FEW:
        # a few headings: asking each for an enclosing one costs less than a
        # walk over every element (at most _FEW walks up the tree)
        nested = any(next(h.iterancestors(*_HINT_TAGS), None) is not None for h in heads)
    else:
        nested = _any_nested(root, _HINT_TAGS)
    texts = _nested_hints(root) if nested else [_hint(h) for h in heads]
    return [t.strip() for t in texts if t and t.strip()]


# Up to this many headings (or tables), each is asked for an enclosing one.
_FEW = 64


def _any_nested(root, tags: tuple[str, ...]) -> bool:
    """Whether an element of ``tags`` sits inside another, in one walk over the tree."""
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end"), tag=tags):
        if event == "start":
            if depth:
                return True
            depth += 1
        else:
            depth -= 1
    return False


class _Hint:
    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def feed(self, text: str) -> bool:
        """Add text; False once the heading is too long to be a title."""
        self.size += len(text)
        if self.size > _MAX_HINT_CHARS:
            return False
        self.parts.append(text)
        return True


def _nested_hints(root) -> list[str | None]:
    """Heading texts in one pass over the tree.

    Each text node feeds every heading open around it, but only until each
    has passed ``_MAX_HINT_CHARS``.
    """
    hints: list[_Hint] = []
    open_hints: list[_Hint] = []
    alive: list[_Hint] = []  # open headings still short enough

    def feed(text: str | None) -> None:
        nonlocal alive
        if text and alive:
            kept = [h for h in alive if h.feed(text)]
            if len(kept) != len(alive):
                alive = kept

    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if el.tag in _HINT_TAGS:
                hint = _Hint()
                hints.append(hint)
                open_hints.append(hint)
                alive.append(hint)
            feed(el.text)
        else:
            if el.tag in _HINT_TAGS:
                hint = open_hints.pop()
                if hint in alive:
                    alive.remove(hint)
            feed(el.tail)
    return [None if h.size > _MAX_HINT_CHARS else "".join(h.parts) for h in hints]


def _nested_flags(root, tables: list) -> list[bool]:
    """For each table of ``tables`` (every table, in document order), whether it sits inside another."""
    if len(tables) <= _FEW:
        return [next(t.iterancestors("table"), None) is not None for t in tables]
    flags: list[bool] = []
    open_tables = 0
    for event, _ in etree.iterwalk(root, events=("start", "end"), tag="table"):
        if event == "start":
            flags.append(open_tables > 0)
            open_tables += 1
        else:
            open_tables -= 1
    return flags


def _depth_over(root, limit: int) -> bool:
    """Whether elements nest more than ``limit`` deep (no recursion)."""
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _stopped(parser: etree.HTMLParser) -> str | None:
    """The problem when libxml2 gave up on the page before its end."""
    for entry in parser.error_log:
        if entry.level_name != "FATAL":
            continue
        if "depth" in entry.message.lower():
            return f"page is nested more than {LIBXML2_MAX_DEPTH:,} elements deep (libxml2's limit)"
        where = f"line {entry.line}, column {entry.column}"
        return f"page cannot be parsed: libxml2 stopped at {where}: {entry.message.strip()}"
    return None


def read_html(text: str, name: str | None = None) -> Document:
    """Read an HTML page (already decoded to ``str``).

    Args:
        text: The page.
        name: The file, for errors (``<text>`` when not given).

    Raises:
        GicstatsError: naming ``name``, for a page past a limit of
            :mod:`gicstats.limits`, or one libxml2 cannot parse to its end.
    """
    limits = current()
    tags = text.count("<")
    if tags > limits.max_tags:
        refused("page " + over("tags ('<' characters)", tags, limits.max_tags, "max_tags"), name)
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        return _read(text, name, limits, tags)
    except ValueError:
        # lxml refused to take back a text holding a character XML forbids;
        # such pages are rare, so they alone pay for cleaning the text
        return _read(_NOT_XML.sub(" ", text), name, limits, tags)


def _read(text: str, name: str | None, limits, tags: int) -> Document:
    """Read the page ``text`` of at most ``tags`` '<' characters."""
    parser = _parser()
    try:
        root = etree.fromstring(text, parser) if text and not text.isspace() else None
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    problem = _stopped(parser)
    if problem is not None:
        refused(problem, name)
    if root is None:
        return read_text(text, name)
    if limits.max_depth < LIBXML2_MAX_DEPTH and _depth_over(root, limits.max_depth):
        refused(f"page is nested more than {limits.max_depth:,} elements deep (GICSTATS_MAX_DEPTH)", name)
    # libxml2 makes a cell of a tag the page opens (it infers html, head,
    # body and p, never a cell): with fewer '<' than the limit, no counting
    n_cells = sum(1 for _ in root.iter("td", "th")) if tags > limits.max_cells else 0
    if n_cells > limits.max_cells:
        refused("page " + over("table cells", n_cells, limits.max_cells, "max_cells"), name)
    for bad in list(root.iter("script", "style", "noscript", "template")):
        _drop(bad)
    title_hints = _title_hints(root)
    tables = list(root.iter("table"))
    nested = _nested_flags(root, tables)
    # Innermost first: a nested table is read, then taken out (its tail text
    # stays), so the cell holding it neither repeats its text nor makes every
    # enclosing table walk it again.
    per_table: list[list[Line]] = [[] for _ in tables]
    slots = [_MAX_SPAN_SLOTS]
    for i in range(len(tables) - 1, -1, -1):
        per_table[i] = _table_lines(tables[i], i + 1, slots)
        if nested[i]:
            _drop(tables[i])
    lines: list[Line] = [line for table_lines in per_table for line in table_lines]
    # tables are read; take them out before collecting the narrative
    for table, inside in zip(tables, nested):
        if not inside:
            _drop(table)
    narrative = _block_text(root)
    if _has_anchor(lines):
        return Document(lines, narrative, title_hints)
    # no report table among the <table>s: the page may print them as text
    as_text = read_text(narrative, name)
    return Document(lines + as_text.lines, narrative, title_hints)
