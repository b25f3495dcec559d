"""Splitting runs of digits whose cell boundaries were lost.

Text dumps of report pages often run a row's cells together:
``801000081`` is 80, 1, 0, 0, 0, 0, 81. A run is cut into exactly as many
numbers as the row has columns, no number may have a leading zero, spaces
left over from ``&nbsp;`` are kept as boundaries, and the row's identity
(applicant columns add up to 总计) must hold. The search is bounded: no
input can make it run away. Each run gets at most ``max_steps`` steps
(``GICSTATS_MAX_SPLIT_STEPS``), and a :class:`Budget` shared by the runs of
one report caps them all together (``GICSTATS_MAX_REPORT_STEPS``), so a page
of a thousand unsplittable runs costs what one report may cost, not a
thousand times that. A step is one cut tried; on the 2-core development
machine 100,000 steps take about a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gicstats.read.values import BLANKS

# Longest number one cell may hold, in characters, by dtype. A count of
# a billion or more does not occur in these reports.
MAX_CHARS = {"count": 9, "signed": 10, "amount": 16}
# Upper bound on search steps for one run; past it the split is given up.
MAX_STEPS = 100_000
# More candidates than this are not kept.
MAX_CANDIDATES = 64

_PART = {
    "count": re.compile(r"^(0|[1-9]\d*)$"),
    "signed": re.compile(r"^(0|-?[1-9]\d*)$"),
    "amount": re.compile(r"^(0|[1-9]\d*)(\.\d+)?$"),
}
_UNIT = re.compile(r"(万元|亿元|万|元)$")


class SearchExhausted(Exception):
    """The split search passed its step bound."""


class Budget:
    """Search steps left for the digit runs of one report.

    >>> budget = Budget(10)
    >>> split_run("801000081", ["count"] * 7, budget=budget)
    Traceback (most recent call last):
    ...
    gicstats.read.split.SearchExhausted: 801000081
    >>> budget.left
    0
    """

    def __init__(self, steps: int) -> None:
        """Allow ``steps`` search steps in all."""
        self.left = steps


@dataclass(frozen=True)
class Part:
    """One cell of a split digit run.

    Attributes:
        text: The cell's text, as printed.
        value: Its value; None for a piece not read as a number.
        unit: The unit printed with it, if any.
    """

    text: str
    value: float | None
    unit: str | None


def _segments(run: str) -> list[str]:
    """Whitespace-separated segments; each holds one or more whole cells."""
    return run.split()


def split_run(
    run: str,
    dtypes: Sequence[str],
    accept: Callable[[list[float | None]], bool] | None = None,
    *,
    group: int | None = None,
    max_steps: int = MAX_STEPS,
    budget: Budget | None = None,
) -> list[list[Part]]:
    """All ways to cut ``run`` into ``len(dtypes)`` numbers that ``accept``.

    Args:
        run: The printed run, e.g. ``"230 000023"``. Whitespace separates
            cells; digits without separators may hold several cells.
        dtypes: The dtype of each column (``count``, ``signed``, ``amount``).
        accept: Optional identity the numbers of a candidate must satisfy;
            it receives ``None`` for blank cells.
        group: Apply ``accept`` to each consecutive group of this many
            numbers as soon as the group is complete (table 四 has three
            groups of five); by default to all numbers at once.
        max_steps: Bound on the search.
        budget: Steps left for the whole report; the steps this run takes
            are charged to it, and the search stops when it runs out.

    Returns:
        Candidate splits, at most ``MAX_CANDIDATES``.

    Raises:
        SearchExhausted: when the bound (or the budget) is reached.

    >>> [[p.value for p in c] for c in split_run("801000081", ["count"] * 7,
    ...     lambda v: sum(v[:6]) == v[6])]
    [[80.0, 1.0, 0.0, 0.0, 0.0, 0.0, 81.0]]
    """
    segments = _segments(run)
    k = len(dtypes)
    if not segments or len(segments) > k:
        return []
    if budget is not None:
        max_steps = min(max_steps, budget.left)
    search = _Search(run, segments, dtypes, accept, group or k, max_steps)
    try:
        search.cut(0, 0, [])
    finally:
        if budget is not None:
            budget.left = max(0, budget.left - min(search.steps, max_steps))
    return search.out


class _Search:
    """One run's search: cells are cut left to right, backtracking over every cut that fits.

    Attributes:
        steps: The cuts tried so far.
        out: The candidate splits found so far.
    """

    def __init__(
        self,
        run: str,
        segments: list[str],
        dtypes: Sequence[str],
        accept: Callable[[list[float | None]], bool] | None,
        group: int,
        max_steps: int,
    ) -> None:
        self.run = run
        self.segments = segments
        self.dtypes = dtypes
        self.k = len(dtypes)
        self.accept = accept
        self.group = group
        self.max_steps = max_steps
        self.steps = 0
        self.out: list[list[Part]] = []

    def _group_ok(self, acc: list[Part]) -> bool:
        if self.accept is None or len(acc) % self.group:
            return True
        return self.accept([p.value for p in acc[-self.group :]])

    def cut(self, seg_i: int, pos: int, acc: list[Part]) -> None:
        """Extend ``acc`` with every cell that may start at ``pos`` of segment ``seg_i``, then go on.

        Raises:
            SearchExhausted: when the step bound is reached.
        """
        self.steps += 1
        if self.steps > self.max_steps:
            raise SearchExhausted(self.run)
        segments, k = self.segments, self.k
        if len(self.out) >= MAX_CANDIDATES:
            return
        if seg_i == len(segments):
            if len(acc) == k:
                self.out.append(list(acc))
            return
        seg = segments[seg_i]
        if seg in BLANKS:  # a dash or 无 in a run is one blank cell
            self._blank(seg_i, seg, acc)
            return
        unit, body = _unit(seg)
        remaining_cells = k - len(acc)
        if remaining_cells <= len(segments) - seg_i - 1:
            return
        # the rest of this segment and the later ones must fit what is left
        rest = len(body) - pos + sum(len(s) for s in segments[seg_i + 1 :])
        if not remaining_cells <= rest <= sum(MAX_CHARS[d] for d in self.dtypes[len(acc) :]):
            return
        dtype = self.dtypes[len(acc)]
        pattern = _PART[dtype]
        for end in range(pos + 1, min(len(body), pos + MAX_CHARS[dtype]) + 1):
            piece = body[pos:end]
            if not pattern.match(piece):
                if piece[0] == "0" and not piece.startswith("0.") and dtype != "signed":
                    break  # a leading zero stands alone, or begins a decimal (0.092)
                continue
            last_of_segment = end == len(body)
            acc.append(Part(piece, float(piece), unit if last_of_segment else None))
            if self._group_ok(acc):
                if last_of_segment:
                    self.cut(seg_i + 1, 0, acc)
                elif len(acc) < k:
                    self.cut(seg_i, end, acc)
            acc.pop()

    def _blank(self, seg_i: int, seg: str, acc: list[Part]) -> None:
        """A printed blank (a dash or 无) is one cell; go on after it."""
        if len(acc) < self.k:
            acc.append(Part(seg, None, None))
            if self._group_ok(acc):
                self.cut(seg_i + 1, 0, acc)
            acc.pop()


def _unit(seg: str) -> tuple[str | None, str]:
    """The unit a segment ends with (万元 …), if any, and the segment without it."""
    m = _UNIT.search(seg)
    if m:
        return m.group(1), seg[: m.start()]
    return None, seg


def expansions(
    values: Sequence[float | None],
    k: int,
    accept: Callable[[list[float | None]], bool],
    group: int,
    limit: int,
) -> list[tuple[int, ...]]:
    """The ways a row of collapsed cells may have read: how many cells each printed value stood for.

    An archiver that drops consecutive identical cells leaves one value of
    each run of equal cells (``46 | 0 | 46`` of ``46 | 0 | 0 | 0 | 0 | 0 |
    46``). Each value is repeated once or more so that the row has ``k``
    cells; a blank (``None``) stands for itself alone. ``accept`` checks
    each consecutive group of ``group`` cells as soon as it is complete.
    The search stops past ``limit`` expansions.

    >>> expansions([46.0, 0.0, 46.0], 7, lambda v: sum(v[:6]) == v[6], 7, 64)
    [(1, 5, 1)]
    >>> expansions([1.0, None, 1.0], 4, lambda v: True, 4, 64)
    [(1, 1, 2), (2, 1, 1)]
    """
    found: list[tuple[int, ...]] = []
    n = len(values)

    def rec(i: int, counts: list[int], row: list[float | None]) -> None:
        if len(found) > limit:
            return
        if i == n:
            if len(row) == k:
                found.append(tuple(counts))
            return
        room = k - len(row) - (n - i - 1)
        for c in range(1, (room if values[i] is not None else min(room, 1)) + 1):
            grown = row + [values[i]] * c
            done = len(grown) // group * group
            if any(not accept(grown[g : g + group]) for g in range(len(row) // group * group, done, group)):
                continue
            rec(i + 1, [*counts, c], grown)

    rec(0, [], [])
    return found
