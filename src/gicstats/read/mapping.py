"""Mapping a document's cells onto the template, by their labels.

Readers turn a source into :class:`Line` objects: an HTML table row, a
pipe-separated text line, or one line of a text dump. The mapper walks them,
recognises anchors, row labels, column headers and section headings through
the label index of :mod:`gicstats.templates`, and assigns the values that
follow each row label to the row's columns in printed order. Nothing is
assigned by position in the document, so page chrome, narrative and local
variants do not shift numbers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from gicstats.form import template as T
from gicstats.form.findings import Finding
from gicstats.form.identities import Status, evaluate, instances, row_identity
from gicstats.read.document import Cell, Line
from gicstats.read.labels import Token, bare_number, is_run, tokenize
from gicstats.read.limits import current as current_limits
from gicstats.read.split import Budget, SearchExhausted, expansions, split_run
from gicstats.read.values import BLANKS, MAX_VALUE, parse_value, spaced_unit
from gicstats.read.values import format_number as _fmt

# Longest text (characters) recorded as an unknown label; longer text inside
# a table region is narrative that a scraper interleaved.
_MAX_LABEL_CHARS = 80
# Bound on combinations tried when several rows' splits are ambiguous.
MAX_COMBINATIONS = 100_000
# More expansions of a row of collapsed cells than this are not listed.
_MAX_EXPANSIONS = 64
# Which meaning of a label wins when it has several (Mapper._choose).
_KIND_ORDER = {"row": 0, "anchor": 1, "group": 2, "column": 3, "header": 4, "section": 5}
# Chinese characters, CJK and full-width punctuation, and a rule read as a
# stroke: text holding one is no misread digit (``。|1`` is two cells whose
# rule was lost, not one value)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef|丨]")


def _misread_digits(text: str) -> bool:
    """Short text without a Chinese character that is not a value: what OCR makes of a digit it misreads (``L``, ``o``).

    >>> [_misread_digits(t) for t in ("L", "0°", "维持", "12", "。|1")]
    [True, True, False, False, False]
    """
    text = text.strip()
    return 0 < len(text) <= 8 and not is_run(text) and not _CJK.search(text)


def _speck_mark(raw: str, dtype: str) -> bool:
    """A point in a whole number, or a sign in a count: what a speck makes OCR read (50 as 5.0).

    A cell read by OCR with such a mark is unreadable, never another number.

    >>> [_speck_mark(raw, dtype) for raw, dtype in (("5.0", "count"), ("-3", "count"), ("-3", "signed"))]
    [True, True, False]
    >>> [_speck_mark(raw, dtype) for raw, dtype in (("1.5", "amount"), ("50", "count"), ("1,234", "count"))]
    [False, False, False]
    """
    return (dtype != "amount" and "." in raw) or (dtype == "count" and any(s in raw for s in "-+−"))


@dataclass
class _Event:
    kind: str  # label, run, text, eol
    text: str = ""
    locator: str = ""
    key: str = ""
    positional: bool = False
    data_line: bool = False  # a table row of values only (table 四's data row)
    markdown: bool = False  # from a row of a Markdown table (see Line)
    dump: bool = False  # from a row of a text dump (see Line)
    grid: bool = False  # from a row of a drawn grid (see Line)


@dataclass
class _PendingRow:
    table: T.Table
    row_ids: tuple[str, ...]  # one row, or all rows of a single-line table
    label: str
    locator: str
    structured: bool = False  # opened by a label cell of a table row
    runs: list[_Event] = field(default_factory=list)

    @property
    def slots(self) -> int:
        return len(self.row_ids) * len(self.table.columns)


@dataclass
class _Candidate:
    pending: _PendingRow
    options: list[list[tuple[str, float | None, str | None]]]  # raw, value, unit per slot
    run_text: str
    locator: str


def _shown(raws: list[str], found: list[tuple[int, ...]]) -> list[str]:
    """Each expansion of collapsed cells as its row reads (``0,0,18``): printed value i, counts[i] times."""
    return [",".join(r for r, c in zip(raws, counts) for _ in range(c)) for counts in found]


def _events(lines: list[Line]) -> list[_Event]:
    events: list[_Event] = []
    for line in lines:
        if not line.structured:
            start = len(events)
            for cell in line.cells:
                events.extend(_free_text_events(tokenize(cell.text), cell.locator))
            if line.markdown or line.dump:
                for ev in events[start:]:
                    ev.markdown, ev.dump = line.markdown, line.dump
            continue
        own: list[_Event] = []
        for cell in line.cells:
            text = cell.text
            if not text or bare_number(text):
                # a blank cell or a bare number, most cells of a table:
                # what _structured_cell makes of them, without tokens
                own.append(_Event("run", text, cell.locator, positional=True))
            else:
                own.extend(_structured_cell(cell))
        if line.markdown or line.dump or line.grid:
            for ev in own:
                ev.markdown, ev.dump, ev.grid = line.markdown, line.dump, line.grid
        if own and all(ev.kind == "run" for ev in own) and any(ev.text for ev in own):
            for ev in own:
                ev.data_line = True
        events.extend(own)
        events.append(_Event("eol"))
    return events


def _free_text_events(tokens: list[Token], locator: str) -> list[_Event]:
    """Events of a free-text line.

    A line of labels and values only is table content. A line that mixes
    them with other text is narrative, except for stretches of labels and
    values that hold an anchor or three row labels: a text dump that ran a
    whole table into one line (``行政许可3960181其他对外…``). A narrative
    phrase such as ``行政许可1282件`` is not read as a cell.
    """
    if not any(t.kind == "text" for t in tokens):
        return [_token_event(t, locator) for t in tokens]
    if len(tokens) == 1:
        return [_token_event(tokens[0], locator)]
    row = _row_before_heading(tokens, locator)
    if row:
        return row
    events: list[_Event] = []
    stretch: list[Token] = []
    for tok in [*tokens, None]:
        if tok is not None and tok.kind != "text":
            stretch.append(tok)
            continue
        if stretch and is_table_stretch(stretch):
            events.extend(_token_event(t, locator) for t in stretch)
        stretch = []
    return events


_RUN_THEN_HEADING = re.compile(r"^(\s*[0-9][0-9\s]*?)\s*(?=[一二三四五六七八九十]、)")


def _row_before_heading(tokens: list[Token], locator: str) -> list[_Event]:
    """A flattened page where a table's last row runs into the next section's heading.

    For example ``四、结转下年度继续办理 0000000 四、政府信息公开行政复议…``: the line opens with a
    row label, then its values, then the heading. The label and values are
    table content; the heading and what follows are left to the narrative.
    """
    if len(tokens) < 2 or tokens[0].kind != "label" or tokens[1].kind != "text":
        return []
    if "row" not in _label_kinds(tokens[0].key):
        return []
    m = _RUN_THEN_HEADING.match(tokens[1].text)
    if not m or T.section_of_heading(tokens[1].text[m.end() :].strip() + "".join(t.text for t in tokens[2:])) is None:
        return []
    start = tokens[1].start
    run = Token("run", m.group(1), start, start + m.end(1))
    return [_token_event(tokens[0], locator), _token_event(run, locator)]


def is_table_stretch(tokens: list[Token]) -> bool:
    """Whether ``tokens`` read as part of a table: an anchor among them, or three row labels."""
    kinds = [_label_kinds(t.key) for t in tokens if t.kind == "label"]
    if any("anchor" in k for k in kinds):
        return True
    return sum(1 for k in kinds if "row" in k) >= 3


def _label_kinds(key: str) -> set[str]:
    return {r.kind for v in T.VERSIONS for r in T.label_index(v).get(key, ())}


def _token_event(tok: Token, locator: str) -> _Event:
    where = f"{locator}, chars {tok.start}-{tok.end}" if locator else f"chars {tok.start}-{tok.end}"
    return _Event(tok.kind, tok.text.strip(), where, tok.key)


def _structured_cell(cell: Cell) -> list[_Event]:
    """A cell of a table row: one label, one value (possibly blank), or text.

    A cell mixing a label with text it does not explain is kept whole as
    text, so a misprinted label is reported rather than half-matched.
    """
    text, locator = cell.text, cell.locator
    if "OCR confidence" in locator and _misread_digits(text):
        # OCR read a digit as a letter (1 as L): an unreadable value of its
        # column, so that its neighbours keep theirs (and it opens no row)
        return [_Event("run", text.strip(), locator, positional=True)]
    shape = _cell_shape(text) if len(text) <= _SHAPE_CACHE_MAX_CHARS else _shape(text)
    return [
        _Event(kind, ev_text, locator if span is None else f"{locator}, {span}" if locator else span, key, positional)
        for kind, ev_text, key, positional, span in shape
    ]


# A cell's events but for their locators: kind, text, key, whether
# positional, and a token's span in the cell (None: the event is the cell's).
_Shape = tuple[tuple[str, str, str, bool, str | None], ...]


def _shape(text: str) -> _Shape:
    """What :func:`_structured_cell` makes of a cell of ``text``, without its locator."""
    tokens = tokenize(text)
    if not tokens:
        return (("run", "", "", True, None),)
    kinds = {t.kind for t in tokens}
    if kinds == {"run"}:  # one value, or values printed in one cell
        return (("run", text.strip(), "", True, None),)
    if "text" in kinds:
        return (("text", " ".join(text.split()), "", True, None),)
    if len(tokens) == 1:  # one label, the commonest of these
        tok = tokens[0]
        return ((tok.kind, tok.text.strip(), tok.key, True, f"chars {tok.start}-{tok.end}"),)
    # labels, perhaps with values printed in the same cell
    return tuple((t.kind, t.text.strip(), t.key, t.kind == "label", f"chars {t.start}-{t.end}") for t in tokens)


# Labels repeat in every report: a cell's text is taken apart once (short
# texts only, as labels are)
_SHAPE_CACHE_MAX_CHARS = 300
_cell_shape = lru_cache(maxsize=65536)(_shape)


def detect_version(events: list[_Event]) -> tuple[str | None, dict[str, int]]:
    """The template version, and the count of version-only labels per version.

    The version comes from the labels that exist in one version only, never
    from the year.
    """
    markers = T.version_markers()
    counts = {v: 0 for v in T.VERSIONS}
    for ev in events:
        if ev.kind == "label":
            for version, keys in markers.items():
                if ev.key in keys:
                    counts[version] += 1
    if counts["2019"] == counts["2021"]:
        # A report with table 三 only: （六）其他处理 is a data row in 2019 and a
        # group of three 2021-only items in 2021, so without those items it is 2019.
        other = T.normalize("（六）其他处理")
        if not counts["2021"] and any(ev.kind == "label" and ev.key == other for ev in events):
            return "2019", counts
        return None, counts
    return max(counts, key=lambda v: counts[v]), counts


class Mapper:
    """Walks the events of one document and collects cells and findings."""

    def __init__(self, version: str, report: str) -> None:
        """Start mapping a document onto template ``version``; findings name ``report``."""
        self.version = version
        self.report = report
        self.template = T.TEMPLATES[version]
        self.index = T.label_index(version)
        self.other_index = T.label_index("2021" if version == "2019" else "2019")
        self.table: T.Table | None = None
        self.pending: _PendingRow | None = None
        # locators of the cells (table, row, column) and rows (table, row) read
        self.seen: dict[tuple[str, ...], str] = {}
        self.cells: list[dict] = []
        self.findings: list[Finding] = []
        self.candidates: list[_Candidate] = []
        self.tables_seen: set[str] = set()
        self.last_group: str | None = None
        self.last_rows: dict[str, str] = {}  # table id: its last printed row (finish)
        limits = current_limits()
        self.max_split_steps = limits.max_split_steps
        # every digit run of the report draws on one budget of search steps
        self.split_budget = Budget(limits.max_report_steps)
        # whether a table row of the document prints two equal values side by
        # side: its producer does not collapse repeated cells (_padded_row)
        self.prints_repeats = True
        # the document's lines, for the labels of local rows it prints
        # (report_missing), and the tables a finding was made in
        self.lines: list[Line] = []
        self._printed: str | None = None
        self.troubled: set[str] = set()

    # -- findings -----------------------------------------------------------
    def finding(
        self, rule: str, severity: str, message: str, cells: str = "", expected: str = "", actual: str = ""
    ) -> None:
        """Record a finding about the report."""
        if self.table is not None:
            self.troubled.add(self.table.id)
        self.findings.append(Finding(self.report, rule, severity, cells, expected, actual, message))

    # -- walking --------------------------------------------------------------
    def run(self, events: list[_Event]) -> None:
        """Map every event of the document, then settle the pending splits and report missing tables."""
        for ev in events:
            if ev.kind == "label":
                self.on_label(ev)
            elif ev.kind == "run":
                self.on_run(ev)
            elif ev.kind == "text":
                self.on_text(ev)
            elif ev.kind == "eol":
                if self.pending is not None and self.pending.runs:
                    self.finish()
        self.finish()
        self.resolve_candidates()
        self.report_missing()

    def on_label(self, ev: _Event) -> None:
        """A label opens a section, a table, a row or a group, or belongs to the table head."""
        refs = self.index.get(ev.key, ())
        if not refs:
            if self.table is not None and self.other_index.get(ev.key):
                self.finding(
                    "parse.other_version_label",
                    "warning",
                    f"标签“{ev.text}”属于另一版本的模板（本报告按{self.version}版读取），已忽略",
                    actual=ev.text,
                )
            return
        ref = self._choose(refs)
        if ref.kind == "section":
            self.finish()
            self.table = None
            return
        assert ref.table is not None  # only section headings belong to no table
        if ref.kind == "anchor":
            self.finish()
            self.table = self.template.table(ref.table)
            self.tables_seen.add(ref.table)
            return
        if ref.kind == "row":
            self.finish()
            table = self.template.table(ref.table)
            self.table = table
            self.tables_seen.add(table.id)
            self.pending = _PendingRow(table, (ref.id,), ev.text, ev.locator, ev.positional)
            return
        if ref.kind == "group":
            self.finish()
            self.last_group = ref.id
            return
        # column or header labels: part of the table head
        if self.table is None or self.table.id != ref.table:
            if ref.table == "review_litigation" and ref.kind == "header" and ref.id in ("review", "行政诉讼"):
                # table 四's head opens with 行政复议 / 行政诉讼 before its anchor
                self.finish()
                self.table = self.template.table(ref.table)
                self.tables_seen.add(ref.table)
            return
        if self.pending is not None and self.pending.runs:
            self.finish()

    def _choose(self, refs: tuple[T.LabelRef, ...]) -> T.LabelRef:
        if len(refs) == 1:  # what the rules below return for a single meaning
            return refs[0]
        current = self.table.id if self.table else None
        order = _KIND_ORDER
        in_table = [r for r in refs if r.table == current]
        pool = in_table or list(refs)
        if not in_table:
            # outside its table a label only opens a table by anchor or row
            strong = [r for r in refs if r.kind in ("anchor", "row", "section")]
            pool = strong or pool
        return min(pool, key=lambda r: order[r.kind])

    def on_run(self, ev: _Event) -> None:
        """A run of values: added to the pending row (table 四's one line opens one), or stray outside any row."""
        if self.pending is None:
            text = ev.text.strip()
            if self.table is None or not (text or (ev.data_line and self.table.single_line)):
                return
            if not self.table.single_line:
                self.finding(
                    "parse.stray_value",
                    "warning",
                    f"表格“{self.table.title}”中有不属于任何行的数值“{text}”（{ev.locator}），未读取",
                    actual=text,
                )
                return
            self.pending = _PendingRow(self.table, self.table.row_ids, "", ev.locator)
        self.pending.runs.append(ev)

    def on_text(self, ev: _Event) -> None:
        """Text in a table: an unreadable cell, a section heading, a misprinted numbered item or an unknown label."""
        if self.table is None:
            return
        text = ev.text
        pending = self.pending
        if ev.positional and pending is not None and pending.structured and all(r.positional for r in pending.runs):
            if len(pending.runs) < pending.slots:
                # a cell among a row's values: an unreadable value, kept raw
                pending.runs.append(ev)
                return
        if T.section_of_heading(text):
            self.finish()
            self.table = None
            return
        if pending is not None and not pending.runs and self._label_continues(pending, text):
            return  # the rest of a row label wrapped onto the next line
        if self.table.id == "applications" and self._numbered_fallback(ev):
            return
        if len(text) <= _MAX_LABEL_CHARS and not is_run(text):
            self.finish()
            if self.table is None:
                # that row was the table's last: the text is narrative after
                # the table (a note such as 注：本表数据由本机关统计。)
                return
            self.finding(
                "parse.unknown_label",
                "warning",
                f"表格{self.table.title}中的标签“{text}”与模板不符，其后的数值未读取（{ev.locator}）",
                actual=text,
            )
            # values after an unknown label must not land in the previous
            # row: with no pending row they are reported as stray values
            self.pending = None

    def _label_continues(self, pending: _PendingRow, text: str) -> bool:
        """Whether ``text`` completes the label of a row that has no values yet.

        The label and the text read together are the row's label (or one of
        its aliases), or its start.
        """
        if len(pending.row_ids) != 1:
            return False
        joined = T.normalize(pending.label + text)
        row = pending.table.row(pending.row_ids[0])
        return any(T.normalize(label).startswith(joined) for label in (row.label, *row.aliases))

    def _numbered_fallback(self, ev: _Event) -> bool:
        """Map a misprinted numbered item to the item with that number in the current group.

        For example ``2.其他法律行政止公开``; a warning says so.
        """
        m = re.match(r"^(\d+)\.", T.normalize(ev.text))
        if not m or self.last_group is None or self.table is None:
            return False
        prefix = f"{m.group(1)}."
        rows = [r for r in self.table.rows if r.group == self.last_group and T.normalize(r.label).startswith(prefix)]
        if len(rows) != 1 or (self.table.id, rows[0].id) in self.seen:
            return False
        row = rows[0]
        self.finish()
        self.finding(
            "parse.label_variant",
            "warning",
            f"标签“{ev.text}”与模板的“{row.label}”不完全一致，按其编号读作该行",
            cells=f"{self.table.id}.{row.id}",
            expected=row.label,
            actual=ev.text,
        )
        self.pending = _PendingRow(self.table, (row.id,), ev.text, ev.locator)
        return True

    # -- assigning values -----------------------------------------------------
    def finish(self) -> None:
        """Assign the pending row's values to its cells; a table ends with its last row."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        table = pending.table
        last = self.last_rows.get(table.id)
        if last is None:
            last = self.last_rows[table.id] = [r.id for r in table.rows if not r.local][-1]
        if pending.row_ids[-1] == last and self.table is table:
            self.table = None  # the table is complete: what follows is narrative
        self._assign(pending)

    def _assign_cells(self, pending: _PendingRow, runs: list[_Event], slot_cells: list, k: int) -> None:
        """Assign a row whose values came one a cell: in order, the extra ones and the missing ones reported."""
        table = pending.table
        values = runs[:k]
        extra = [r.text for r in runs[k:] if r.text.strip()]
        if extra:
            self.finding(
                "parse.extra_values",
                "warning",
                f"{self._where(pending)}的数值多于模板的{k}列，多出的“{'、'.join(extra)}”未读取",
                cells=self._cell_ids(pending),
                actual="、".join(extra),
            )
        if len(values) < k:
            completed = self._short_row(pending, values)
            if completed is None:
                return
            values = completed
        for (rid, col), run in zip(slot_cells, values):
            parsed = parse_value(run.text)
            self._emit(
                table,
                rid,
                col,
                run.text.strip(),
                parsed.value,
                parsed.unit,
                run.locator,
                parsed.readable,
                implausible=parsed.implausible,
            )
        if len(values) < k:
            self._record_missing(pending, f"只有{len(values)}个数值，模板有{k}列", slot_cells[len(values) :])

    def _assign(self, pending: _PendingRow) -> None:
        table = pending.table
        k = len(pending.row_ids) * len(table.columns)
        runs = pending.runs
        if not runs or (not any(r.positional for r in runs) and all(not r.text.strip() for r in runs)):
            self._record_missing(pending, "行只有标签，没有数值")
            return
        slot_cells = [(rid, c) for rid in pending.row_ids for c in table.columns]
        # one value a cell (a table row): padding is dropped from those only,
        # and what is left of them is still one value a cell
        positional = all(r.positional for r in runs)
        if positional and len(runs) > k:
            padded = self._drop_span_padding(pending, runs, k)
            if padded is None:
                return
            runs = padded
        if positional and all(self._single(r.text) for r in runs[:k]):
            if len(runs) >= k and not runs[k - 1].text.strip() and any(r.dump or r.grid for r in runs):
                padded = self._padded_row(pending, runs, k)
                if padded is None:
                    return
                runs = padded
            self._assign_cells(pending, runs, slot_cells, k)
            return
        # free text: the values may have run together
        text = " ".join(r.text.strip() for r in runs if r.text.strip())
        locator = runs[0].locator if len(runs) == 1 else f"{runs[0].locator} … {runs[-1].locator}"
        segments = text.split()
        if len(segments) == k:
            # one value a segment: read as printed; identities are for checks
            note = "" if len(runs) > 1 else f" (run {text!r} split at its spaces)"
            for (rid, col), raw in zip(slot_cells, segments):
                parsed = parse_value(raw)
                self._emit(
                    table,
                    rid,
                    col,
                    raw,
                    parsed.value,
                    parsed.unit,
                    locator + note,
                    parsed.readable,
                    implausible=parsed.implausible,
                )
            return
        accept, group = self._row_identity(table, pending)
        dtypes = [c.dtype for _ in pending.row_ids for c in table.columns]
        try:
            options = split_run(
                text, dtypes, accept, group=group, max_steps=self.max_split_steps, budget=self.split_budget
            )
        except SearchExhausted:
            self.finding(
                "parse.split_exhausted",
                "warning",
                f"{self._where(pending)}的数字串“{text[:60]}”无法在限定步数内拆分为{k}个数值，未读取",
                cells=self._cell_ids(pending),
                actual=text[:200],
            )
            self._emit_unsplit(pending, text, locator)
            return
        if not options and len(segments) < k and self._expand_collapsed(pending, segments, locator):
            return
        if not options:
            self.finding(
                "parse.unsplittable",
                "warning",
                f"{self._where(pending)}的数字串“{text[:60]}”无法拆分为满足行内勾稽关系的{k}个数值，未读取",
                cells=self._cell_ids(pending),
                actual=text[:200],
            )
            self._emit_unsplit(pending, text, locator)
            return
        packed = [[(p.text, p.value, p.unit) for p in opt] for opt in options]
        if len(packed) == 1:
            note = "" if len(text.split()) == k else f" (digit run {text!r} split into {k} cells)"
            for (rid, col), (raw, value, unit) in zip(slot_cells, packed[0]):
                self._emit(table, rid, col, raw, value, unit, locator + note, True)
            return
        self.candidates.append(_Candidate(pending, packed, text, locator))

    def _short_row(self, pending: _PendingRow, runs: list[_Event]) -> list[_Event] | None:
        """A table row with fewer cells than the template has columns.

        Empty cells at its end pad the row to the table's width (and, in a
        Markdown table 三, empty cells after the label are the label's span):
        they are not cells of the row. What is left is expanded where runs of
        equal cells were collapsed (:meth:`_expand_collapsed`). Otherwise, in
        a text dump (whose producer may have dropped cells anywhere), which
        columns its values belong to is unknown (``0 | 18`` may be 0, 0, 18
        collapsed): the row is not read (None), with a finding; so is a row
        with an empty cell among its values. A row of an HTML page, a PDF or
        a document is returned, to be read in printed order with the missing
        columns reported, and so is a row with no values at all.
        """
        accept, _ = self._row_identity(pending.table, pending)
        kept = list(runs)
        while kept and not kept[-1].text.strip():
            kept.pop()
        if kept and any(r.markdown for r in kept) and accept is not None:
            while kept and not kept[0].text.strip():
                kept.pop(0)
        if not kept:
            return runs
        locator = kept[0].locator
        raws = [r.text.strip() for r in kept]
        if all(raws) and self._expand_collapsed(pending, raws, locator):
            return None
        if not any(r.dump for r in kept) and (all(raws) or not any(r.markdown for r in kept)):
            # a table row of an HTML page, a PDF or a document: cells are not
            # dropped from the middle (an empty one is a blank cell, as in a
            # PDF row cut at the page's edge), so the values read in printed
            # order and the missing columns are reported
            return kept
        printed = " | ".join(raws)
        shown = self._collapse_candidates(pending, raws)
        more = f" 等{len(shown)}种" if len(shown) > 8 else ""
        candidates = f"；若为相邻相同单元格被合并，可展开为{' | '.join(shown[:8])}{more}" if shown else ""
        self.finding(
            "parse.short_row",
            "warning",
            f"{self._where(pending)}只有{len(raws)}个单元格“{printed}”、模板有{pending.slots}列，"
            f"无法确定各数值所在的列{candidates}，未读取（{pending.locator}）",
            cells=self._cell_ids(pending),
            expected=" | ".join(shown),
            actual=printed,
        )
        self._emit_unsplit(pending, printed, locator)
        return None

    def _collapse_candidates(self, pending: _PendingRow, raws: list[str]) -> list[str]:
        """The rows a short row may be, were its runs of equal cells collapsed (``0,0,18`` of ``0 | 18``).

        Each is a candidate only: a row without an identity to choose one (as
        table 二's) or one where none satisfies it is not read. Empty where a
        value is blank or unreadable, two printed neighbours are equal (they
        would have been collapsed), or the row has its full count.
        """
        accept, group = self._row_identity(pending.table, pending)
        tried = self._collapsed_expansions(pending, raws, accept or (lambda _: True), group)
        return [] if tried is None else _shown(raws, tried[1])

    def _collapsed_expansions(
        self, pending: _PendingRow, raws: list[str], accept: Callable, group: int | None
    ) -> tuple[list, list[tuple[int, ...]]] | None:
        """The printed values parsed and the expansions ``accept`` takes, or None where none can be tried.

        None for a row with a blank or unreadable value, two printed
        neighbours equal (they would have been collapsed), or its full count.
        """
        k = pending.slots
        if not raws or len(raws) >= k or not all(raws) or any(a == b for a, b in itertools.pairwise(raws)):
            return None
        parsed = [parse_value(r) for r in raws]
        if not all(p.readable and p.value is not None for p in parsed):
            return None
        return parsed, expansions([p.value for p in parsed], k, accept, group or k, _MAX_EXPANSIONS)

    def _padded_row(self, pending: _PendingRow, runs: list[_Event], k: int) -> list[_Event] | None:
        """A table row that ends in empty cells and has the template's count only with them.

        An archiver that drops repeated cells leaves ``46 | 0 | 46`` of ``46 |
        0 | 0 | 0 | 0 | 0 | 46``; a dump or a PDF that draws the table's grid
        (w3m, a browser's PDF; a pipe text's ``||``) then pads the row with
        empty cells, which make up the count: read as printed, the second 46
        would land in 科研机构. Such a row is read as printed (returned) where
        it cannot be a collapsed one: its document prints two equal values
        side by side somewhere (its producer does not collapse), or the row
        does; or the row as printed satisfies its identity (a blank counted
        as 0, as reports print zeros) and no expansion does. Where exactly one
        expansion satisfies it and the printed row does not, the row is
        expanded, with ``parse.collapsed_cells`` naming it. Otherwise it is
        not read (None), with ``parse.ambiguous_collapse`` listing the row as
        printed and its expansions. Table 二 has no row identity: a row there
        that may have been collapsed is never read.
        """
        last = max((i for i, r in enumerate(runs) if r.text.strip()), default=-1)
        if last < 0 or last >= k or self.prints_repeats:
            return runs  # nothing to misplace, values past the count (extra), or a producer that does not collapse
        raws = [r.text.strip() for r in runs[: last + 1]]
        if any(a and a == b for a, b in itertools.pairwise(raws)):
            return runs
        parsed = [parse_value(r) for r in raws]
        values = [p.value if p.readable else None for p in parsed]
        accept, group = self._row_identity(pending.table, pending)

        def holds(cells: list[float | None]) -> bool:
            return accept is None or accept([0.0 if v is None else v for v in cells])

        if any(raw and v is None for raw, v in zip(raws, values)):
            found: list[tuple[int, ...]] = []  # an unreadable value: no expansion can be checked
            printed_holds = False
        else:
            found = expansions(values, k, holds, group or k, _MAX_EXPANSIONS)
            padded = values + [None] * (k - len(values))
            printed_holds = accept is not None and all(
                holds(padded[g : g + (group or k)]) for g in range(0, k, group or k)
            )
        if printed_holds and not found:
            return runs
        shown = [",".join(r or "空" for r, c in zip(raws, counts) for _ in range(c)) for counts in found]
        printed = ",".join([r or "空" for r in raws] + ["空"] * (k - len(raws)))
        if len(found) == 1 and not printed_holds and accept is not None:
            self.finding(
                "parse.collapsed_cells",
                "warning",
                f"{self._where(pending)}只有{len(raws)}个单元格“{' | '.join(raws)}”，其后为空单元格，"
                f"按相邻相同单元格被合并读作{shown[0]}（唯一满足勾稽关系的展开；原样读作{printed}不满足）",
                cells=self._cell_ids(pending),
                expected=shown[0],
                actual=" | ".join(raws),
            )
            note = f" (collapsed cells {' | '.join(raws)!r} expanded to {shown[0]})"
            self._emit_expanded(pending, raws, parsed, found[0], runs[0].locator + note)
            return None
        more = f" 等{len(found)}种" if len(found) > 8 else ""
        why = (
            f"若相邻相同的单元格被合并，可展开为{' | '.join(shown[:8])}{more}"
            if found
            else "原样与任何展开都不满足勾稽关系"
        )
        self.finding(
            "parse.ambiguous_collapse",
            "warning",
            f"{self._where(pending)}只有{len(raws)}个单元格，其后的空单元格可能只是补齐表格宽度的占位（文档中没有相邻相同的数值，"
            f"可能经过合并相同单元格的处理）：{why}，与原样读作{printed}无法区分，未读取（{pending.locator}）",
            cells=self._cell_ids(pending),
            expected=" | ".join([printed, *shown]),
            actual=" | ".join(raws),
        )
        where = runs[0].locator + " (collapsed cells or padding undetermined)"
        for rid in pending.row_ids:
            for col in pending.table.columns:
                self._emit(pending.table, rid, col, " | ".join(raws), None, None, where, True)
        return None

    def _emit_expanded(
        self, pending: _PendingRow, raws: list[str], parsed: list, counts: tuple[int, ...], locator: str
    ) -> None:
        """Emit a collapsed row's cells: each printed value ``counts[i]`` times, in the row's slots in order."""
        slots = [(rid, c) for rid in pending.row_ids for c in pending.table.columns]
        cells = [(raw, p) for raw, p, c in zip(raws, parsed, counts) for _ in range(c)]
        for (rid, col), (raw, p) in zip(slots, cells):
            self._emit(pending.table, rid, col, raw, p.value, p.unit, locator, True)

    def _expand_collapsed(self, pending: _PendingRow, raws: list[str], locator: str) -> bool:
        """Expand a row whose runs of equal cells were collapsed to one.

        Some archivers drop consecutive identical text nodes: ``46 | 0 | 0 |
        0 | 0 | 0 | 46`` arrives as ``46``, ``0``, ``46``; an all-zero row as
        one ``0``; table 四's fifteen cells as ``1``, ``0``, ``1``, ``0``. Each
        value printed then stands for one or more equal cells in a row. The
        expansions that satisfy the row's identity (every row, for a
        single-line table) are tried: exactly one is read, with a finding
        naming it; several leave the row null, with a finding listing them.
        Nothing is expanded for a table without a row identity, for a row
        with a blank or unreadable value, or where two printed neighbours are
        equal (they would have been collapsed). Returns whether the row was
        handled.
        """
        accept, group = self._row_identity(pending.table, pending)
        tried = None if accept is None else self._collapsed_expansions(pending, raws, accept, group)
        if not tried or not tried[1]:
            return False
        parsed, found = tried
        shown = _shown(raws, found[:_MAX_EXPANSIONS])
        printed = " ".join(raws)
        if len(found) == 1:
            note = f" (collapsed cells {printed!r} expanded to {shown[0]})"
            self.finding(
                "parse.collapsed_cells",
                "warning",
                f"{self._where(pending)}只有{len(raws)}个数值“{printed}”，按相邻相同单元格被合并读作{shown[0]}"
                f"（唯一满足勾稽关系的展开）",
                cells=self._cell_ids(pending),
                expected=shown[0],
                actual=printed,
            )
            self._emit_expanded(pending, raws, parsed, found[0], locator + note)
            return True
        more = f" 等{len(found)}种" if len(found) > 8 else ""
        self.finding(
            "parse.ambiguous_collapse",
            "warning",
            f"{self._where(pending)}只有{len(raws)}个数值“{printed}”，若为相邻相同单元格被合并，"
            f"有多种展开（{' | '.join(shown[:8])}{more}），无法唯一确定，未读取",
            cells=self._cell_ids(pending),
            expected=" | ".join(shown),
            actual=printed,
        )
        self._emit_unsplit(pending, printed, locator)
        return True

    def _drop_span_padding(self, pending: _PendingRow, runs: list[_Event], k: int) -> list[_Event] | None:
        """The cells of a table row with more cells than the template has columns.

        The empty cells that only pad a spanned cell are left out.

        Where exactly as many cells are empty as there are cells too many,
        they are all padding. A Markdown converter writes a cell spanning n
        columns as the cell and n - 1 empty cells after it, so in a Markdown
        table the empty cells right after the row label are the label's
        span, in a table whose value cells never span (one with a row
        identity: table 三), provided what is left satisfies it or no other
        placement of the padding would. Any other
        surplus is left as it is (the cells past the template's columns are
        reported as extra values); a Markdown row whose padding cannot be
        told from its blank cells is not read (None), with a finding.
        """
        extra = len(runs) - k
        blank = [i for i, r in enumerate(runs) if not r.text.strip()]
        accept, _ = self._row_identity(pending.table, pending)

        def holds(kept: list[_Event]) -> bool:
            return accept is None or len(pending.row_ids) > 1 or accept(_values(kept))

        filled = [r for r in runs if r.text.strip()]
        if len(blank) == extra and holds(filled):
            return filled
        if not any(r.markdown for r in runs) or len(blank) < extra:
            return runs
        leading = next((i for i, r in enumerate(runs) if r.text.strip()), len(runs))
        kept = runs[extra:]
        # only in a table whose value cells never span (one with a row
        # identity, table 三): in table 二 a value cell spans to the edge
        if leading >= extra and accept is not None:
            if holds(kept):
                return kept
            # a row that breaks its identity is read as the converter wrote
            # it, unless another placement of the padding would satisfy it
            others = (
                [r for i, r in enumerate(runs) if i not in drop]
                for drop in itertools.islice(itertools.combinations(blank, extra), 1000)
            )
            if not any(holds(o) for o in others):
                return kept
        self.finding(
            "parse.ambiguous_alignment",
            "warning",
            f"{self._where(pending)}有{len(runs)}个单元格、模板只有{k}列，其中{len(blank)}个为空，"
            f"无法确定哪些空格只是合并单元格的占位，未读取（{pending.locator}）",
            cells=self._cell_ids(pending),
            actual=" | ".join(r.text for r in runs),
        )
        raw = " | ".join(r.text for r in runs)  # not a printed blank: the row as it came
        where = pending.locator + " (alignment undetermined)"
        for rid in pending.row_ids:
            for col in pending.table.columns:
                self._emit(pending.table, rid, col, raw, None, None, where, True)
        return None

    def _single(self, text: str) -> bool:
        if not text or text.isdigit():  # a blank or a number, most cells: one value
            return True
        text = text.strip()
        return not text or text in BLANKS or len(text.split()) == 1 or not is_run(text) or spaced_unit(text)

    def _row_identity(self, table: T.Table, pending: _PendingRow):
        """What a split of one row must satisfy.

        The table's row identity (总计 = the sum of its parts), through the
        one identity engine.
        """
        identity = row_identity(self.version, table.id)
        if identity is None:
            return None, None
        # the identity is declared alike for every row, so a single-line table
        # (table 四: several rows in one run, checked a row at a time through
        # ``group``) is checked with its first row's instance
        row = pending.row_ids[0]
        instance = next(i for i in instances(self.version, table.id, "row") if i.member == row)
        keys = [(table.id, row, c) for c in table.column_ids]

        def accept(values: list[float | None]) -> bool:
            return evaluate(instance, dict(zip(keys, values))).status is not Status.FAILS

        return accept, len(keys)

    def _emit(self, table, row_id, col, raw, value, unit, locator, readable, *, implausible: bool = False) -> None:
        table_id, seen = table.id, self.seen
        key = (table_id, row_id, col.id)
        if key in seen:
            self.finding(
                "parse.duplicate_cell",
                "warning",
                f"单元格{'.'.join(key)}在报告中出现了两次，保留第一次的值（{seen[key]}）",
                cells=".".join(key),
            )
            return
        seen[key] = locator
        seen[(table_id, row_id)] = locator
        if value is not None and "OCR confidence" in locator and _speck_mark(raw, col.dtype):
            self.finding(
                "parse.unreadable_cell",
                "warning",
                f"单元格{'.'.join(key)}由OCR识别为“{raw}”，整数栏中的小数点或正负号可能是污点，记为空值",
                cells=".".join(key),
                actual=raw,
            )
            value = None
        elif implausible:
            digits = sum(ch.isdigit() for ch in raw)
            shown = raw if len(raw) <= 40 else f"{raw[:20]}…{raw[-8:]}"
            self.finding(
                "parse.implausible_value",
                "warning",
                f"单元格{'.'.join(key)}的数值“{shown}”（{digits}位数字）大得不可能是真实数值（上限为10的12次方），"
                "可能是多个单元格连在一起，记为空值",
                cells=".".join(key),
                expected=f"less than {MAX_VALUE:.0e}",
                actual=raw,
            )
        elif not readable:
            self.finding(
                "parse.unreadable_cell",
                "warning",
                f"单元格{'.'.join(key)}的内容“{raw}”不是数值，记为空值",
                cells=".".join(key),
                actual=raw,
            )
        self.cells.append(
            {
                "table": table_id,
                "row": row_id,
                "column": col.id,
                "value": value,
                "raw": raw,
                "unit": unit if unit else col.unit,
                "locator": locator,
            }
        )

    def _emit_unsplit(self, pending: _PendingRow, text: str, locator: str) -> None:
        for rid in pending.row_ids:
            for col in pending.table.columns:
                self._emit(pending.table, rid, col, text, None, None, locator + " (digit run not split)", True)

    def _record_missing(self, pending: _PendingRow, why: str, slots=None) -> None:
        self.finding(
            "parse.missing_values",
            "warning",
            f"{self._where(pending)}{why}（{pending.locator}）",
            cells=", ".join(f"{pending.table.id}.{r}.{c.id}" for r, c in slots) if slots else self._cell_ids(pending),
        )
        for rid in pending.row_ids:
            self.seen.setdefault((pending.table.id, rid), pending.locator)

    def _where(self, pending: _PendingRow) -> str:
        if pending.table.single_line:
            return f"表格“{pending.table.title}”"
        return f"行“{pending.table.row(pending.row_ids[0]).label}”"

    def _cell_ids(self, pending: _PendingRow) -> str:
        return ", ".join(f"{pending.table.id}.{r}.{c.id}" for r in pending.row_ids for c in pending.table.columns)

    # -- ambiguous splits ---------------------------------------------------
    def resolve_candidates(self) -> None:
        """Choose among ambiguous splits with the table's column identities."""
        if not self.candidates:
            return
        by_table: dict[str, list[_Candidate]] = {}
        for cand in self.candidates:
            by_table.setdefault(cand.pending.table.id, []).append(cand)
        for table_id, cands in by_table.items():
            chosen = self._choose_combination(table_id, cands)
            for i, cand in enumerate(cands):
                table = cand.pending.table
                slots = [(rid, c) for rid in cand.pending.row_ids for c in table.columns]
                if chosen is not None:
                    note = f" (digit run {cand.run_text!r} split using the table identities)"
                    for (rid, col), (raw, value, unit) in zip(slots, chosen[i]):
                        self._emit(table, rid, col, raw, value, unit, cand.locator + note, True)
                    continue
                every = " | ".join(",".join(_fmt(v) for _, v, _ in opt) for opt in cand.options)
                shown = " | ".join(",".join(_fmt(v) for _, v, _ in opt) for opt in cand.options[:8])
                more = f" 等{len(cand.options)}种" if len(cand.options) > 8 else ""
                self.finding(
                    "parse.ambiguous_split",
                    "warning",
                    f"{self._where(cand.pending)}的数字串“{cand.run_text}”有多种拆分（{shown}{more}），无法唯一确定，未读取",
                    cells=self._cell_ids(cand.pending),
                    actual=cand.run_text,
                    expected=every,
                )
                self._emit_unsplit(cand.pending, cand.run_text, cand.locator)

    def _choose_combination(self, table_id: str, cands: list[_Candidate]):
        """The one combination of the candidates' splits that fails no column identity, or None.

        None also when several combinations pass, or when there are too many
        to try (``MAX_COMBINATIONS``).
        """
        column_instances = instances(self.version, table_id, "column")
        if not column_instances:
            return None
        total = 1
        for cand in cands:
            total *= len(cand.options)
        if total > MAX_COMBINATIONS:
            return None
        fixed = {(c["table"], c["row"], c["column"]): c["value"] for c in self.cells if c["table"] == table_id}
        table = self.template.table(table_id)
        survivors = []
        for combo in itertools.product(*(c.options for c in cands)):
            values = dict(fixed)
            for cand, opt in zip(cands, combo):
                slots = [(table_id, rid, col.id) for rid in cand.pending.row_ids for col in table.columns]
                for slot, (_, v, _) in zip(slots, opt):
                    values[slot] = v
            if all(evaluate(i, values).status is not Status.FAILS for i in column_instances):
                survivors.append(combo)
                if len(survivors) > 1:
                    return None
        return survivors[0] if len(survivors) == 1 else None

    # -- completeness ---------------------------------------------------------
    def report_missing(self) -> None:
        """A finding for each table of the template of which no label or row was seen."""
        for table in self.template.tables:
            rows = [r for r in table.rows if not r.local]
            if table.id not in self.tables_seen and not any((table.id, r.id) in self.seen for r in rows):
                self.finding(
                    "parse.missing_table",
                    "warning",
                    f"报告中没有找到表格“{table.title}”",
                    cells=table.id,
                )
                continue
            missing = [r.label for r in rows if (table.id, r.id) not in self.seen]
            if missing:
                self.finding(
                    "parse.missing_row",
                    "warning",
                    f"表格“{table.title}”缺少以下行：{'；'.join(missing[:5])}{' 等' if len(missing) > 5 else ''}",
                    cells=", ".join(f"{table.id}.{r.id}" for r in rows if (table.id, r.id) not in self.seen),
                )
            # a provincial variant's row is not expected, but one whose label
            # the document prints and that was not read would leave its cells
            # null with nothing saying why. Looked for where the table lost
            # rows or text (a table read whole has not lost one): the scan of
            # the whole text costs a tenth of a small page's read
            unread = [
                r
                for r in table.rows
                if r.local
                and (table.id, r.id) not in self.seen
                and (missing or table.id in self.troubled)
                and self.prints_label(r)
            ]
            if unread:
                self.finding(
                    "parse.missing_row",
                    "warning",
                    f"报告印有“{'；'.join(r.label for r in unread)}”，但表格“{table.title}”中未读到该行",
                    cells=", ".join(f"{table.id}.{r.id}" for r in unread),
                )

    def prints_label(self, row: T.Row) -> bool:
        """Whether the document's cells hold ``row``'s label, compared as labels are (:func:`T.normalize`)."""
        if self._printed is None:
            # one pass over the whole text, not one per cell
            self._printed = T.normalize("\n".join(c.text for line in self.lines for c in line.cells))
        return any(T.normalize(label) in self._printed for label in (row.label, *row.aliases))


def _values(runs: list[_Event]) -> list[float | None]:
    return [parse_value(r.text).value for r in runs]


def _prints_repeats(lines: list[Line]) -> bool:
    """Whether a table row prints two equal values side by side.

    An archiver that drops repeated cells leaves none anywhere.
    """
    for line in lines:
        if not line.structured:
            continue
        before = ""
        for cell in line.cells:
            text = cell.text.strip()
            if text and text == before and is_run(text):
                return True
            before = text
    return False


def map_lines(lines: list[Line], report: str) -> tuple[str | None, list[dict], list[Finding]]:
    """Detect the template version and map ``lines`` onto it.

    Returns:
        The template version (``None`` if undetermined), the cells as dicts
        and the parse findings.
    """
    events = _events(lines)
    version, counts = detect_version(events)
    findings: list[Finding] = []
    mapping_version = version or "2019"
    if version is None:
        if any(ev.kind == "label" for ev in events):
            findings.append(
                Finding(
                    report,
                    "parse.template_undetermined",
                    "warning",
                    "",
                    "",
                    f"2019版标签{counts['2019']}个，2021版标签{counts['2021']}个",
                    "无法从表格标签判断模板版本（2019版或2021版），按2019版读取",
                )
            )
    elif counts["2019"] and counts["2021"]:
        findings.append(
            Finding(
                report,
                "parse.mixed_template",
                "info",
                "",
                version,
                f"2019版标签{counts['2019']}个，2021版标签{counts['2021']}个",
                f"报告同时含有两个版本模板的标签，按标签较多的{version}版读取",
            )
        )
    mapper = Mapper(mapping_version, report)
    mapper.prints_repeats = _prints_repeats(lines)
    mapper.lines = lines
    mapper.run(events)
    return version, mapper.cells, findings + mapper.findings
