"""Findings: one validation or parsing result each, collected in one table."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from gicstats.form.rules import SEVERITIES, lookup

COLUMNS = ("report_id", "rule", "severity", "cells", "expected", "actual", "message")


@dataclass(frozen=True)
class Finding:
    """One finding.

    Attributes:
        report_id: Id of the report it is about (:attr:`gicstats.Report.id`,
            the first 16 hex digits of its sha256).
        rule: Rule id, e.g. ``parse.ambiguous_split`` or ``applications.balance``.
        severity: ``error``, ``warning``, ``not_assessable`` or ``info``.
        cells: The cells involved, as ``table.row.column`` joined by ``, ``.
        expected: What the rule expected, as text (may be empty).
        actual: What was found, as text (may be empty).
        message: One line in Chinese that an analyst can act on.
    """

    report_id: str
    rule: str
    severity: str
    cells: str
    expected: str
    actual: str
    message: str

    def __post_init__(self) -> None:
        """Refuse an unknown severity, or a rule not declared with this severity.

        Raises:
            ValueError: the severity or rule is not in :mod:`gicstats.form.rules`.
        """
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        rule = lookup(self.rule)
        if rule is None:
            raise ValueError(f"rule {self.rule!r} is not declared in gicstats.form.rules")
        if self.severity not in rule.severities:
            raise ValueError(f"rule {self.rule!r} is declared with severities {rule.severities}, not {self.severity!r}")


_EMPTY: pd.DataFrame | None = None


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Collect findings into a DataFrame with the fixed column order."""
    if not findings:
        # a copy of one empty frame: a tenth of the time of making one
        global _EMPTY
        if _EMPTY is None:
            _EMPTY = pd.DataFrame({c: pd.array([], dtype="string") for c in COLUMNS})
        return _EMPTY.copy()
    return pd.DataFrame([asdict(f) for f in findings], columns=list(COLUMNS)).astype("string")
