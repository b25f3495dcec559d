"""The check stage: the form's identities, plausibility, the narrative against the tables, and year against year.

Results are findings, collected in one table, never exceptions; a check
that needs a blank or missing cell says ``not_assessable`` and neither
passes nor fails.
"""

from __future__ import annotations

import pandas as pd

from gicstats.check.identities import check_identities
from gicstats.check.narrative import compare_narrative
from gicstats.check.plausibility import check_plausibility
from gicstats.check.series import check_pair, check_series, check_series_frames
from gicstats.form.findings import Finding, findings_frame
from gicstats.read.report import Report, register_checker


def check_report(report: Report) -> list[Finding]:
    """Identity, plausibility and narrative checks of one report."""
    return check_identities(report) + check_plausibility(report) + compare_narrative(report)


def check_frame(report: Report) -> pd.DataFrame:
    """Findings of reading and of every check of one report, as one DataFrame."""
    frame = findings_frame(check_report(report))
    if len(report.findings):
        frame = pd.concat([report.findings, frame], ignore_index=True)
    return frame


register_checker(check_frame)

__all__ = [
    "check_frame",
    "check_identities",
    "check_pair",
    "check_plausibility",
    "check_report",
    "check_series",
    "check_series_frames",
]
