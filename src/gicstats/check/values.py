"""A report's cells as the checks read them, and numbers as messages print them."""

from __future__ import annotations

import pandas as pd

from gicstats.form.identities import CellKey
from gicstats.read.report import Report
from gicstats.read.values import format_number


def fmt(v: float | None) -> str:
    """A value for a message: ``3228``, ``117.785``; ``空`` for a blank.

    See :func:`~gicstats.read.values.format_number`.
    """
    return format_number(v)


def cell_values(cells: pd.DataFrame) -> dict[CellKey, float | None]:
    """``{(table, row, column): value}``; a blank or unreadable cell is ``None``."""
    return {
        (table, row, column): None if pd.isna(value) else float(value)
        for table, row, column, value in zip(cells["table"], cells["row"], cells["column"], cells["value"])
    }


def report_values(report: Report) -> dict[CellKey, float | None]:
    """:func:`cell_values` of one report, from its rows (no DataFrame is built)."""
    return {
        (c["table"], c["row"], c["column"]): None if c["value"] is None else float(c["value"])
        for c in report.cell_rows()
    }
