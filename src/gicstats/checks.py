"""Checks: the template's identities, plausibility, and year against year.

Every check is declared once: the identities in
:data:`gicstats.templates.IDENTITIES`, the plausibility and cross-year rules
below. A check that needs a blank or missing cell says ``not_assessable``; it
never passes or fails on a guess. Results are findings, collected in one
table, never exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import pandas as pd

from . import templates as T
from .findings import Finding, findings_frame
from .report import Report

_TOL = 1e-6


def _fmt(v: float | None) -> str:
    if v is None:
        return "空"
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _values(report: Report) -> dict[tuple[str, str, str], float | None]:
    cells = report.cells
    out: dict[tuple[str, str, str], float | None] = {}
    for table, row, column, value in zip(cells["table"], cells["row"], cells["column"], cells["value"]):
        out[(table, row, column)] = None if pd.isna(value) else float(value)
    return out


def _cell_id(table: str, cell: tuple[str, str]) -> str:
    return f"{table}.{cell[0]}.{cell[1]}"


# --------------------------------------------------------------------------
# Identities (template §6.1, §6.2)
# --------------------------------------------------------------------------


def _member_label(table: T.Table, identity: T.Identity, member: str) -> str:
    if identity.axis == "column":
        return f"“{table.column(member).label}”列"
    if table.single_line:
        return f"“{table.row(member).label}”"
    return f"“{table.row(member).label}”行"


def _side(table: T.Table, cells: list[tuple[str, str]], values: dict, identity: T.Identity) -> str:
    parts = []
    for row, column in cells:
        name = table.row(row).label if identity.axis == "column" else table.column(column).label
        parts.append(f"{_short(name)}({_fmt(values.get((table.id, row, column)))})")
    return " + ".join(parts)


def _short(label: str) -> str:
    """A printed label without its bracketed counting note, for messages."""
    return label.split("（区分处理")[0]


def check_identities(report: Report) -> list[Finding]:
    """Check every identity of the report's template, per column or per row."""
    if report.template_version is None:
        return []
    from .readers.ocr import misread_note

    findings: list[Finding] = []
    values = _values(report)
    present_tables = set(report.cells["table"])
    frame = report.cells
    keys = zip(frame["table"], frame["row"], frame["column"], frame["locator"])
    locators = {f"{t}.{r}.{c}": loc for t, r, c, loc in keys}
    for identity in T.IDENTITIES[report.template_version]:
        if identity.table not in present_tables:
            continue
        table = report.template.table(identity.table)
        for member, lhs, rhs in identity.instances(table):
            cells = lhs + rhs
            ids = ", ".join(_cell_id(table.id, c) for c in cells)
            needed = [values.get((table.id, *c)) for c in cells]
            where = _member_label(table, identity, member)
            if any(v is None for v in needed):
                blank = [_cell_id(table.id, c) for c, v in zip(cells, needed) if v is None]
                findings.append(
                    Finding(
                        report.id,
                        identity.rule,
                        "not_assessable",
                        ids,
                        "",
                        "",
                        f"{where}无法核对“{identity.description}”：{len(blank)}个所需单元格为空或缺失（{blank[0]}等）",
                    )
                )
                continue
            left = sum(values[(table.id, *c)] for c in lhs)
            right = sum(values[(table.id, *c)] for c in rhs)
            if abs(left - right) <= _TOL:
                continue
            lhs_text = _side(table, lhs, values, identity) if len(lhs) <= 4 else f"{len(lhs)}项之和({_fmt(left)})"
            findings.append(
                Finding(
                    report.id,
                    identity.rule,
                    "error",
                    ids,
                    _fmt(left),
                    _fmt(right),
                    f"{where}不符合“{identity.description}”：{lhs_text} = {_fmt(left)}，"
                    f"而{_side(table, rhs, values, identity)}，相差{_fmt(abs(left - right))}，请核对原表"
                    # cells read by OCR: a misread or a misprint, and which cells to look at
                    + misread_note({_cell_id(table.id, c): str(locators.get(_cell_id(table.id, c))) for c in cells}),
                )
            )
    return findings


# --------------------------------------------------------------------------
# Plausibility (table 二 and counts everywhere)
# --------------------------------------------------------------------------


def check_plausibility(report: Report) -> list[Finding]:
    """Negative counts where a count cannot be negative; 2019 本年新公开数量
    above 对外公开总数量."""
    if report.template_version is None:
        return []
    findings: list[Finding] = []
    values = _values(report)
    template = report.template
    for (table_id, row, column), value in values.items():
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
                f"{table_id}.{row}.{column}",
                "≥ 0",
                _fmt(value),
                f"“{table.row(row).label}”的“{col.label}”为负数（{_fmt(value)}），该项只能是非负数，请核对原表",
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


# --------------------------------------------------------------------------
# Year against year
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRule:
    """``now == Σ sign × term`` between years Y-1 and Y of one agency.

    Attributes:
        rows, columns: The cells checked in year Y (``columns=()``: every
            column of the table).
        terms: ``(sign, year_offset, row, column)``; ``None`` for row or
            column means the checked cell's own.
        versions: Template versions both years must follow; across the
            template change only rows whose meaning did not change compare.
    """

    rule: str
    table: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    terms: tuple[tuple[int, int, str | None, str | None], ...]
    versions: tuple[str, ...]
    severity: str
    description: str


_ITEMS_TERMS = ((1, -1, None, "prev_year_items"), (1, -1, None, "items_change"))
_ITEMS_TEXT = "本年“上一年项目数量”应等于上年的“上一年项目数量”加“本年增/减”"

SERIES_RULES: tuple[SeriesRule, ...] = (
    SeriesRule(
        "series.carry_over",
        "applications",
        ("carried_over_from_prev",),
        (),
        ((1, -1, "carried_to_next", None),),
        ("2019", "2021"),
        "error",
        "本年“上年结转”应等于上年“结转下年度继续办理”",
    ),
    # 〔2019〕 only, and a heuristic (spec §6.3 [H]): a warning
    *(
        SeriesRule(
            "series.prev_year_items", table, rows, ("prev_year_items",), _ITEMS_TERMS, ("2019",), "warning", _ITEMS_TEXT
        )
        for table, rows in (
            ("active_art20_5", ("admin_licensing", "other_external_services")),
            ("active_art20_6", ("admin_penalty", "admin_coercion")),
            ("active_art20_8", ("admin_fees",)),
        )
    ),
    # 〔2021〕: clean-ups of normative documents break it, so a flag only
    SeriesRule(
        "series.in_force",
        "active_art20_1",
        ("regulations", "normative_documents"),
        ("in_force",),
        ((1, -1, None, "in_force"), (1, 0, None, "issued"), (-1, 0, None, "repealed")),
        ("2021",),
        "warning",
        "现行有效件数一般等于上年现行有效件数加本年制发件数减本年废止件数（集中清理文件时会不符）",
    ),
)


def check_pair(prev: Report, now: Report) -> list[Finding]:
    """Year-against-year checks between two reports of one agency, ``now.year == prev.year + 1``."""
    findings: list[Finding] = []
    values = {0: _values(now), -1: _values(prev)}
    for rule in SERIES_RULES:
        if now.template_version not in rule.versions or prev.template_version not in rule.versions:
            continue
        table = now.template.table(rule.table)
        for row in rule.rows:
            for column in rule.columns or table.column_ids:
                terms = [(sign, off, (rule.table, r or row, c or column)) for sign, off, r, c in rule.terms]
                ids = [f"{now.year}:{rule.table}.{row}.{column}"]
                ids += [f"{now.year + off}:{'.'.join(cell)}" for _, off, cell in terms]
                actual = values[0].get((rule.table, row, column))
                parts = [values[off].get(cell) for _, off, cell in terms]
                label = f"“{table.row(row).label}”的“{table.column(column).label}”"
                if actual is None or any(p is None for p in parts):
                    findings.append(
                        Finding(
                            now.id,
                            rule.rule,
                            "not_assessable",
                            ", ".join(ids),
                            "",
                            "",
                            f"{now.year}年{label}无法与{prev.year}年核对：所需单元格为空或缺失",
                        )
                    )
                    continue
                expected = sum(sign * p for (sign, _, _), p in zip(terms, parts))
                if abs(actual - expected) <= _TOL:
                    continue
                findings.append(
                    Finding(
                        now.id,
                        rule.rule,
                        rule.severity,
                        ", ".join(ids),
                        _fmt(expected),
                        _fmt(actual),
                        f"{now.year}年{label}为{_fmt(actual)}，按{prev.year}年报告应为{_fmt(expected)}"
                        f"（{rule.description}）",
                    )
                )
    return findings


def agency_key(report: Report) -> str:
    """Grouping key of a report's agency (exact name; aliases come later)."""
    return T.normalize(report.agency or report.id)


def check_series(reports: Iterable[Report]) -> list[Finding]:
    """Year-against-year checks for every agency series among ``reports``.

    Only adjacent years are compared. Where the year before a report is
    missing but an earlier one exists, one ``not_assessable`` finding says so.
    """
    by_agency: dict[str, dict[int, Report]] = {}
    for r in reports:
        if r.year is not None:
            by_agency.setdefault(agency_key(r), {})[r.year] = r
    findings: list[Finding] = []
    for series in by_agency.values():
        years = sorted(series)
        for earlier, year in pairwise(years):
            now = series[year]
            if year - earlier == 1:
                findings.extend(check_pair(series[earlier], now))
            else:
                findings.append(
                    Finding(
                        now.id,
                        "series.gap",
                        "not_assessable",
                        "",
                        str(year - 1),
                        str(earlier),
                        f"缺少{year - 1}年的报告，{year}年无法与上一年核对结转等跨年数据（最近的是{earlier}年）",
                    )
                )
    return findings


# --------------------------------------------------------------------------
# All checks of one report
# --------------------------------------------------------------------------


def check_report(report: Report) -> list[Finding]:
    """Identity, plausibility and narrative checks of one report."""
    from .narrative import compare_narrative

    return check_identities(report) + check_plausibility(report) + compare_narrative(report)


def check_frame(report: Report) -> pd.DataFrame:
    """Findings of reading and of every check, as one DataFrame."""
    frame = findings_frame(check_report(report))
    if len(report.findings):
        frame = pd.concat([report.findings, frame], ignore_index=True)
    return frame
