"""A report's cells as the checks read them, and numbers as messages print them."""

from __future__ import annotations

from gicstats.form.identities import CellKey
from gicstats.read.report import Report
from gicstats.read.values import format_number


def fmt(v: float | None) -> str:
    """A value for a message: ``3228``, ``117.785``; ``空`` for a blank.

    See :func:`~gicstats.read.values.format_number`.
    """
    return format_number(v)


def report_values(report: Report) -> dict[CellKey, float | None]:
    """``{(table, row, column): value}`` of one report, from its rows; a blank or unreadable cell is ``None``."""
    return {
        (c["table"], c["row"], c["column"]): None if c["value"] is None else float(c["value"])
        for c in report.cell_rows()
    }
