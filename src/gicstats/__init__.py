"""gicstats: the statistics of Chinese government information disclosure
annual reports (政府信息公开工作年度报告), read exactly and checked."""

from __future__ import annotations

from .errors import GicstatsError
from .report import Report, read_report
from .templates import TEMPLATES

__version__ = "0.1.0"

__all__ = ["TEMPLATES", "GicstatsError", "Report", "__version__", "read_report"]
