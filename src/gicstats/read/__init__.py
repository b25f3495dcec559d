"""The read stage: from a source to a report on the form.

Sources, readers, mapping onto the form, metadata, corrections, and
:func:`read_report`.
"""

from gicstats.read.pipeline import read_report
from gicstats.read.report import Report

__all__ = ["Report", "read_report"]
