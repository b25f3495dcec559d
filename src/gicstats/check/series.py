"""Year against year, for every agency's series of reports.

The core works on plain values keyed by cell, so a corpus of any size is
checked from its grouped tables (:func:`check_series_frames`, linear in the
number of reports) and a handful of :class:`Report` objects the same way
(:func:`check_series`). Only adjacent years are compared; across the
template change only rows that kept their meaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

import pandas as pd

from gicstats.check.values import fmt as _fmt
from gicstats.check.values import report_values
from gicstats.form import template as T
from gicstats.form.findings import Finding
from gicstats.form.identities import TOLERANCE as _TOL
from gicstats.form.identities import CellKey
from gicstats.read.report import Report


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


@dataclass(frozen=True)
class Member:
    """What the series checks need of one report.

    Its id, year, template version and cell values.
    """

    id: str
    year: int
    version: str | None
    values: Mapping[CellKey, float | None]


def _pair(prev: Member, now: Member) -> list[Finding]:
    findings: list[Finding] = []
    values = {0: now.values, -1: prev.values}
    for rule in SERIES_RULES:
        if now.version not in rule.versions or prev.version not in rule.versions:
            continue
        table = T.TEMPLATES[now.version].table(rule.table)
        for row in rule.rows:
            for column in rule.columns or table.column_ids:
                terms = [(sign, off, (rule.table, r or row, c or column)) for sign, off, r, c in rule.terms]
                actual = values[0].get((rule.table, row, column))
                parts = [values[off].get(cell) for _, off, cell in terms]
                known = [p for p in parts if p is not None]
                if actual is not None and len(known) == len(parts):
                    expected = sum(sign * p for (sign, _, _), p in zip(terms, known))
                    if abs(actual - expected) <= _TOL:
                        continue  # holds: nothing to name
                # the cells and the label, for a finding only
                ids = [f"{now.year}:{rule.table}.{row}.{column}"]
                ids += [f"{now.year + off}:{'.'.join(cell)}" for _, off, cell in terms]
                label = f"“{table.row(row).label}”的“{table.column(column).label}”"
                if actual is None or len(known) < len(parts):
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


def _series(by_agency: Mapping[str, Mapping[int, Member]]) -> list[Finding]:
    findings: list[Finding] = []
    for series in by_agency.values():
        years = sorted(series)
        for earlier, year in pairwise(years):
            now = series[year]
            if year - earlier == 1:
                findings.extend(_pair(series[earlier], now))
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


def _member(report: Report) -> Member:
    return Member(report.id, int(report.year), report.template_version, report_values(report))  # type: ignore[arg-type]


def check_pair(prev: Report, now: Report) -> list[Finding]:
    """Year-against-year checks between two reports of one agency, ``now.year == prev.year + 1``."""
    return _pair(_member(prev), _member(now))


def agency_key(report: Report) -> str:
    """Grouping key of a report's agency (exact name; aliases come later)."""
    return T.normalize(report.agency or report.id)


def check_series(reports: Iterable[Report]) -> list[Finding]:
    """Year-against-year checks for every agency series among ``reports``.

    Only adjacent years are compared. Where the year before a report is
    missing but an earlier one exists, one ``not_assessable`` finding says so.
    """
    by_agency: dict[str, dict[int, Member]] = {}
    for r in reports:
        if r.year is not None:
            by_agency.setdefault(agency_key(r), {})[r.year] = _member(r)
    return _series(by_agency)


def _series_cells() -> tuple[set[str], set[str]]:
    """Tables and rows any series rule reads, to cut the cells table down first."""
    tables = {rule.table for rule in SERIES_RULES}
    rows = {row for rule in SERIES_RULES for row in rule.rows}
    rows |= {r for rule in SERIES_RULES for _, _, r, _ in rule.terms if r is not None}
    return tables, rows


#: An agency's series as the checks see it: ``{year: (report_id, template_version)}``.
Group = dict[int, tuple[str, str | None]]


def series_groups(reports: pd.DataFrame) -> dict[str, Group]:
    """The agencies' series among ``reports``, by grouping key.

    Args:
        reports: One row per readable report: ``report_id``, ``agency_key``
            (the grouping name; the report id where it is null), ``year``
            and ``template_version``. Reports without a year are in no series.

    Returns:
        ``{key: {year: (report_id, template_version)}}``. The year-against-year
        findings of a series depend on nothing else than this and the
        members' cells, so a build can keep the findings of a series that is
        the same as last time (see :func:`check_series_groups`).
    """
    groups: dict[str, Group] = {}
    columns = (reports[c].tolist() for c in ("report_id", "agency_key", "year", "template_version"))
    for rid, agency, year, version in zip(*columns):
        if _blank(year):
            continue
        key = T.normalize(rid if _blank(agency) else agency)
        groups.setdefault(key, {})[int(year)] = (str(rid), None if _blank(version) else str(version))
    return groups


def _blank(value: object) -> bool:
    """``pd.isna`` of one value, quicker: None, NaN or ``pd.NA``."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def check_series_groups(groups: Mapping[str, Group], cells: pd.DataFrame) -> list[Finding]:
    """Year-against-year checks of these series.

    Args:
        groups: Series as :func:`series_groups` gives them.
        cells: The cells of their members (others are ignored):
            ``report_id, table, row, column, value``.

    Returns:
        The findings, each naming its report by ``report_id``: one pass over
        the cells the rules read, one over the members.
    """
    tables, rows = _series_cells()
    part = cells[cells["table"].isin(tables) & cells["row"].isin(rows)]
    # one pass over plain values: a groupby per report costs more than the checks
    numbers = part["value"].to_numpy(dtype=float, na_value=float("nan"))
    values: dict[str, dict[CellKey, float | None]] = {}
    # as lists: iterating a column value by value costs far more (an Arrow-backed
    # string column, as pandas 3 makes of strings, most of all)
    keys = [part[name].tolist() for name in ("report_id", "table", "row", "column")]
    for rid, table, row, column, value in zip(*keys, numbers):
        cells_of = values.get(rid)
        if cells_of is None:
            cells_of = values[rid] = {}
        cells_of[(table, row, column)] = None if value != value else float(value)  # NaN: a blank
    by_agency = {
        key: {year: Member(rid, year, version, values.get(rid, {})) for year, (rid, version) in group.items()}
        for key, group in groups.items()
    }
    return _series(by_agency)


def check_series_frames(reports: pd.DataFrame, cells: pd.DataFrame) -> list[Finding]:
    """:func:`check_series` on a corpus's tables, without building reports.

    Args:
        reports: One row per readable report, as :func:`series_groups` reads it.
        cells: The cells of those reports: ``report_id, table, row, column,
            value``.

    Returns:
        The findings, each naming its report by ``report_id``; linear in the
        size of the corpus.
    """
    return check_series_groups(series_groups(reports), cells)
