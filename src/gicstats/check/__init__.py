"""The check stage: the form's identities, plausibility, the narrative
against the tables, and year against year. Results are findings."""

from gicstats.check.checks import check_frame, check_identities, check_plausibility, check_report, check_series
from gicstats.read.report import register_checker

register_checker(check_frame)

__all__ = ["check_frame", "check_identities", "check_plausibility", "check_report", "check_series"]
