"""The form's arithmetic identities (spec §6.1, §6.2), declared once, and the one engine that evaluates them.

Every consumer goes through this module: the mapper choosing how to split a
digit run, the identity checks, the narrative comparison and the indicators.
There is one rule for blanks: an instance whose cells are not all known (a
blank, an unreadable cell, a cell the report does not have) is *not
assessable*; it neither holds nor fails.

Cells are keyed ``(table, row, column)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache

from gicstats.form.template import TEMPLATES, VERSIONS, Table, result_rows, summand_columns

CellKey = tuple[str, str, str]

# Values are counts (or money amounts with a few decimals): a difference below
# this is rounding in the source's own arithmetic, never a real discrepancy.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Identity:
    """``Σ lhs = Σ rhs``, for every column or for every row of one table.

    With ``axis="column"``, lhs and rhs are row ids; with ``axis="row"``,
    they are column ids.

    Attributes:
        rule: Rule id of the check, e.g. ``applications.balance``.
        table: The table id.
        axis: ``"column"`` or ``"row"``.
        lhs: Row ids (column axis) or column ids (row axis) summed on the left.
        rhs: Likewise on the right.
        description: What it says, in Chinese, for messages.
        source: ``T`` stated in the template, ``S`` implied by its structure.
    """

    rule: str
    table: str
    axis: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    description: str
    source: str = "S"

    def instances(self, table: Table) -> Iterator[Instance]:
        """One :class:`Instance` per column (column axis) or row (row axis)."""
        if self.axis == "column":
            for column in table.columns:
                yield Instance(
                    self,
                    column.id,
                    tuple((table.id, r, column.id) for r in self.lhs),
                    tuple((table.id, r, column.id) for r in self.rhs),
                )
        else:
            for row in table.rows:
                yield Instance(
                    self,
                    row.id,
                    tuple((table.id, row.id, c) for c in self.lhs),
                    tuple((table.id, row.id, c) for c in self.rhs),
                )


@dataclass(frozen=True)
class Instance:
    """One identity in one column or row: ``Σ lhs = Σ rhs`` over cells."""

    identity: Identity
    member: str  # the column id (column axis) or row id (row axis)
    lhs: tuple[CellKey, ...]
    rhs: tuple[CellKey, ...]

    @property
    def cells(self) -> tuple[CellKey, ...]:
        """Every cell of the instance, left side first."""
        return self.lhs + self.rhs

    @property
    def whole(self) -> CellKey | None:
        """The single total cell, when one side is one cell (a sum identity)."""
        return self.rhs[0] if len(self.rhs) == 1 else None


class Status(Enum):
    """What evaluating an instance says."""

    HOLDS = "holds"
    FAILS = "fails"
    NOT_ASSESSABLE = "not_assessable"


@dataclass(frozen=True)
class Outcome:
    """The result of :func:`evaluate`.

    The status, both sums (``None`` when not assessable) and the cells that
    were not known.
    """

    status: Status
    left: float | None
    right: float | None
    blanks: tuple[CellKey, ...]


def known(value: object) -> bool:
    """True for a number; False for ``None``, NaN and ``pd.NA``: the one rule for blanks."""
    if value is None:
        return False
    try:
        return not math.isnan(value)  # type: ignore[arg-type]
    except TypeError:  # pd.NA and other missing markers
        return False


def evaluate(instance: Instance, values: Mapping[CellKey, float | None]) -> Outcome:
    """Evaluate one instance on ``values`` (keyed ``(table, row, column)``).

    A cell that is absent from ``values`` or not a number makes the instance
    not assessable; otherwise it holds when both sums agree within
    :data:`TOLERANCE`.
    """
    blanks = tuple(c for c in instance.cells if not known(values.get(c)))
    if blanks:
        return Outcome(Status.NOT_ASSESSABLE, None, None, blanks)
    left = math.fsum(values[c] for c in instance.lhs)  # type: ignore[misc]
    right = math.fsum(values[c] for c in instance.rhs)  # type: ignore[misc]
    status = Status.HOLDS if abs(left - right) <= TOLERANCE else Status.FAILS
    return Outcome(status, left, right, ())


def _identities(version: str) -> tuple[Identity, ...]:
    apps = TEMPLATES[version].table("applications")
    review = TEMPLATES[version].table("review_litigation")
    return (
        Identity(
            "applications.balance",
            "applications",
            "column",
            ("new_received", "carried_over_from_prev"),
            ("results_total", "carried_to_next"),
            "本年新收 + 上年结转 = （七）总计 + 结转下年度",
            "T",
        ),
        Identity(
            "applications.results_sum",
            "applications",
            "column",
            result_rows(apps),
            ("results_total",),
            "各项办理结果之和 = （七）总计",
        ),
        Identity(
            "applications.row_total",
            "applications",
            "row",
            summand_columns(apps),
            ("total",),
            "自然人与各类法人或其他组织之和 = 总计",
        ),
        Identity(
            "review_litigation.group_total",
            "review_litigation",
            "row",
            summand_columns(review),
            ("total",),
            "结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计",
        ),
    )


IDENTITIES: dict[str, tuple[Identity, ...]] = {v: _identities(v) for v in VERSIONS}


@cache
def instances(version: str, table: str | None = None, axis: str | None = None) -> tuple[Instance, ...]:
    """Every instance of ``version``'s identities, optionally of one table or axis."""
    template = TEMPLATES[version]
    return tuple(
        inst
        for identity in IDENTITIES[version]
        if (table is None or identity.table == table) and (axis is None or identity.axis == axis)
        for inst in identity.instances(template.table(identity.table))
    )


def row_identity(version: str, table: str) -> Identity | None:
    """The identity that ties a row's columns together (总计 over its parts), if any."""
    hits = [i for i in IDENTITIES[version] if i.table == table and i.axis == "row"]
    return hits[0] if hits else None


def parts_of(version: str, cell: CellKey) -> tuple[CellKey, ...] | None:
    """The cells a 总计 cell is the row sum of, or None when it is no row total."""
    for inst in instances(version, cell[0], "row"):
        if inst.whole == cell:
            return inst.lhs
    return None


def deduce_blanks(
    insts: tuple[Instance, ...] | list[Instance],
    values: Mapping[CellKey, float],
    present: set[CellKey] | None = None,
    *,
    fill_totals: bool = True,
) -> dict[CellKey, tuple[float, str]]:
    """Blanks that the identities force, for non-negative counts.

    Two rules only, repeated until nothing changes:

    - ``zero``: when one side of an instance is known and the known cells of
      the other side already make it, the other side's blanks are 0;
    - ``sum`` (with ``fill_totals``): when every part of a sum is known and
      its single total cell is blank, the total is the sum.

    Nothing else is solved for, so a source that breaks its identities is
    never "repaired" with invented numbers.

    Args:
        insts: The instances to use.
        values: The known values (blanks absent).
        present: Cells the report has (blank or not); an instance with a cell
            outside it is skipped. ``None``: every cell counts as present.
        fill_totals: Apply the ``sum`` rule too.

    Returns:
        ``{cell: (value, "zero" | "sum")}`` for each deduced blank.
    """
    usable = [i for i in insts if present is None or all(c in present for c in i.cells)]
    derived: dict[CellKey, tuple[float, str]] = {}
    # the known values and, as they are deduced, the blanks: a blank is
    # deduced only where no value is known, so neither shadows the other
    current = {cell: float(v) for cell, v in values.items() if known(v)}
    get = current.get

    changed = True
    while changed:
        changed = False
        for inst in usable:
            for side, other in ((inst.lhs, inst.rhs), (inst.rhs, inst.lhs)):
                other_values = [get(c) for c in other]
                if any(v is None for v in other_values):
                    continue
                target = math.fsum(other_values)  # type: ignore[arg-type]
                unknown = [c for c in side if get(c) is None]
                if not unknown:
                    continue
                have = math.fsum(get(c) for c in side if c not in unknown)  # type: ignore[misc]
                if abs(have - target) < 1e-9:
                    for c in unknown:
                        derived[c] = (0.0, "zero")
                        current[c] = 0.0
                    changed = True
                elif fill_totals and len(side) == 1 and side is inst.rhs:
                    derived[unknown[0]] = (target, "sum")
                    current[unknown[0]] = target
                    changed = True
    return derived
