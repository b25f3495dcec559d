"""Reviewed corrections of known source errors.

A corrections file is TOML, reviewed like code. Each entry names the report
(its file name or sha256), the cell, the action, the new value, the reason,
and an ``expect`` guard holding the cell text as printed. A correction stops
applying once the source no longer prints ``expect``: a fixed source is
never corrected twice. Corrections are applied after reading; the cell's
``raw`` text stays as printed, ``original_value`` keeps what was read, and
``corrected`` marks the cell. Never patch numbers in notebooks.

Example::

    [[correction]]
    report = "example_2020.html"
    cell = "applications.granted.total"
    action = "set"          # set | blank
    value = 272
    expect = ""             # as printed: the 总计 cell is blank
    reason = "总计 left blank; the agency's errata of 2021-03-01 gives 272"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from gicstats.errors import GicstatsError
from gicstats.form.findings import Finding, findings_frame
from gicstats.read.report import Report

ACTIONS = ("set", "blank")


@dataclass(frozen=True)
class Correction:
    """One reviewed correction, as the corrections file gives it.

    Attributes:
        report: The report, by file name, id or sha256.
        cell: The cell, as ``table.row.column``.
        action: ``set`` or ``blank``.
        value: The new value for ``set``; None for ``blank``.
        expect: The cell text as printed; the correction applies only while the
            source prints it.
        reason: Why, with the evidence.
    """

    report: str
    cell: str
    action: str
    value: float | None
    expect: str
    reason: str

    @property
    def key(self) -> tuple[str, str, str]:
        """The cell as ``(table, row, column)``."""
        table, row, column = self.cell.split(".")
        return table, row, column


def load_corrections(path: str | os.PathLike) -> list[Correction]:
    """Read and validate a corrections file.

    Raises:
        GicstatsError: naming the file and the entry that is wrong.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GicstatsError(path, "no such corrections file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GicstatsError(path, f"not valid TOML ({exc})") from None
    out = []
    for i, entry in enumerate(data.get("correction", []), start=1):
        where = f"correction #{i}"
        missing = [k for k in ("report", "cell", "action", "expect", "reason") if k not in entry]
        if missing:
            raise GicstatsError(path, f"{where} lacks {', '.join(missing)}")
        if entry["action"] not in ACTIONS:
            raise GicstatsError(path, f"{where}: action must be one of {', '.join(ACTIONS)}")
        if str(entry["cell"]).count(".") != 2:
            raise GicstatsError(path, f"{where}: cell must be table.row.column")
        if entry["action"] == "set" and not isinstance(entry.get("value"), (int, float)):
            raise GicstatsError(path, f"{where}: action 'set' needs a numeric value")
        if not str(entry["reason"]).strip():
            raise GicstatsError(path, f"{where}: reason is empty")
        value = float(entry["value"]) if entry["action"] == "set" else None
        out.append(
            Correction(
                str(entry["report"]),
                str(entry["cell"]),
                entry["action"],
                value,
                str(entry["expect"]),
                str(entry["reason"]),
            )
        )
    return out


def _stale(report_id: str, c: Correction, actual: str, message: str) -> Finding:
    """A correction that no longer applies: the report changed under it."""
    return Finding(report_id, "correction.stale", "warning", c.cell, c.expect, actual, message)


def apply_corrections(report: Report, corrections: list[Correction]) -> Report:
    """Return a copy of ``report`` with the corrections that apply to it.

    Adds ``corrected`` (bool) and ``original_value`` columns to the cells,
    and a finding for every correction applied (``correction.applied``,
    info) or no longer applying (``correction.stale``, warning).
    """
    cells = report.cells.copy()
    if "corrected" not in cells:
        cells["corrected"] = False
        cells["original_value"] = cells["value"]
    findings: list[Finding] = []
    for c in corrections:
        if c.report not in (report.name, report.id, report.sha256):
            continue
        table, row, column = c.key
        mask = (cells["table"] == table) & (cells["row"] == row) & (cells["column"] == column)
        if not mask.any():
            findings.append(_stale(report.id, c, "", f"更正未应用：报告中没有单元格{c.cell}"))
            continue
        raw = cells.loc[mask, "raw"].iloc[0]
        raw = "" if pd.isna(raw) else str(raw)
        if raw.strip() != c.expect.strip():
            message = f"更正未应用：单元格{c.cell}现为“{raw}”，不再是更正所针对的“{c.expect}”，请复核更正文件"
            findings.append(_stale(report.id, c, raw, message))
            continue
        cells.loc[mask, "value"] = c.value if c.value is not None else pd.NA
        cells.loc[mask, "corrected"] = True
        old = cells.loc[mask, "original_value"].iloc[0]
        findings.append(
            Finding(
                report.id,
                "correction.applied",
                "info",
                c.cell,
                "" if c.value is None else f"{c.value:g}",
                "" if pd.isna(old) else f"{old:g}",
                f"已按更正文件修改{c.cell}（原表为“{raw}”）：{c.reason}",
            )
        )
    merged = findings_frame(findings)
    all_findings = pd.concat([report.findings, merged], ignore_index=True) if len(merged) else report.findings
    return replace(report, cells=cells, findings=all_findings)
