"""Plausibility of one report.

Negative counts, and table 二's new items above its total (2019).
"""

from __future__ import annotations

from gicstats.check.values import fmt as _fmt
from gicstats.check.values import report_values as _values
from gicstats.form.findings import Finding
from gicstats.form.identities import TOLERANCE as _TOL
from gicstats.read.report import Report


def check_plausibility(report: Report) -> list[Finding]:
    """Negative counts where a count cannot be negative.

    Also, in 2019, 本年新公开数量 above 对外公开总数量.
    """
    if report.template_version is None:
        return []
    findings: list[Finding] = []
    values = _values(report)
    template = report.template
    for (table_id, row_id, column), value in values.items():
        if value is None or value >= 0:
            continue
        table = template.table(table_id)
        col = table.column(column)
        if col.dtype == "signed":
            continue
        findings.append(
            Finding(
                report.id,
                f"{'active' if table_id.startswith('active_') else table_id}.negative",
                "error",
                f"{table_id}.{row_id}.{column}",
                "≥ 0",
                _fmt(value),
                f"“{table.row(row_id).label}”的“{col.label}”为负数（{_fmt(value)}），该项只能是非负数，请核对原表",
            )
        )
    if report.template_version == "2019":
        table = template.table("active_art20_1")
        for row in table.rows:
            new = values.get(("active_art20_1", row.id, "new_published"))
            total = values.get(("active_art20_1", row.id, "total_published"))
            if new is not None and total is not None and new > total + _TOL:
                findings.append(
                    Finding(
                        report.id,
                        "active.new_published_exceeds_total",
                        "warning",
                        f"active_art20_1.{row.id}.new_published, active_art20_1.{row.id}.total_published",
                        f"≤ {_fmt(total)}",
                        _fmt(new),
                        f"“{row.label}”本年新公开数量（{_fmt(new)}）大于对外公开总数量（{_fmt(total)}），请核对",
                    )
                )
    return findings
