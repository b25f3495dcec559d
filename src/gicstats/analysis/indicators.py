"""Indicators computed from tables 二, 三 and 四: volumes, rates, mixes, growth.

One call computes every declared indicator for every report of a corpus::

    long = compute(cells, reports)   # one row per (report, indicator)
    table = wide(long)               # one row per report, one column per indicator

``cells`` is the tidy cell table (``report_id, table, row, column, value``;
other columns are ignored) and ``reports`` has one row per report
(``report_id, agency_key, year, template_version``). :func:`from_reports`
builds both from :class:`gicstats.Report` objects.

The indicators are declared once, as data, in :data:`INDICATORS` (id, labels,
unit, formula, denominator). The formulas follow the analyses peers actually
run (``shared/research/peers.md`` §3), with one notation throughout, all on
the 总计 column of table 三 unless said otherwise:

* N = 一、本年新收 (``new_received``), C = 二、上年结转 (``carried_over_from_prev``);
* G = （一）予以公开, P = （二）部分公开, D = Σ（三）不予公开 1–8, U = Σ（四）无法提供
  1–3, X = Σ（五）不予处理 1–5, O = （六）其他处理 (2019: the printed row; 2021:
  the sum of its three items), T = （七）总计, F = 四、结转下年度;
* table 四: R = 行政复议, L = 未经复议直接起诉 + 复议后起诉.

Design decisions:

* **Units.** Counts are ``"件"``. Every rate, share and ratio is ``"ratio"``,
  a plain fraction (0.35, not 35 %). Shares of a whole lie in [0, 1]; growth,
  dispute conversion and 许可/处罚 are ratios that may leave [0, 1].
* **Absent values are null with a reason** (in Chinese): the template version
  has no such item, a needed cell is blank or missing, the denominator is 0,
  or the adjacent year's report is absent. A blank cell is never read as 0.
* **Blank 总计 cells.** A printed 总计 is used as printed. Where it is blank,
  the total is the sum of the six applicant columns (table 三) or of the four
  outcome columns (table 四) when every one of them is printed; ``basis``
  then says ``"sum of applicant columns"`` / ``"sum of outcome columns"`` and
  ``note`` names the cell. Otherwise the indicator is null, and the reason
  names the blank total and the blank parts. With ``blank_cells="deduce"``,
  blank parts may also count as 0 when the report's own printed totals prove
  it: counts are non-negative, so when a printed (or proven-zero) whole equals
  the sum of its printed parts, its blank parts are 0. Shanghai 2019
  (上海市人民政府办公厅) is the case in point: its （一）予以公开 row reads
  258, 12, blank, blank, 1, 1 with a blank 总计. By default its disclosure rate
  is null; with ``"deduce"``, 科研机构 and 社会公益组织 are proven 0 through
  （七）总计 (767 + 35 + 2 + 1 = 805, so those two columns close at 0, so every
  result row is 0 there) and the rate is (272 + 3) / 805.
* **Small samples.** ``small_sample`` is True when the denominator is below
  ``min_denominator`` (30 by default, the sample guard of KIROGOVCOMPARE's
  risk rules). A rate of 100 % on 2 cases is not a finding. Counts have no
  denominator and are never flagged.
* **尚未审结 (pending) cases.** Peers disagree on whether they belong in the
  denominator of a correction rate, so both variants exist under distinct ids:
  ``*_correction_rate_closed`` excludes them, ``*_correction_rate_all``
  includes them.
* **Growth** compares a report only with the same ``agency_key``'s report for
  the immediately preceding year; across a gap it is null with a reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from gicstats.form import template as T
from gicstats.form.identities import deduce_blanks
from gicstats.form.identities import instances as identity_instances

COUNT = "件"
RATIO = "ratio"

BASIS_PRINTED = "printed"
BASIS_APPLICANT_SUM = "sum of applicant columns"
BASIS_OUTCOME_SUM = "sum of outcome columns"
BASIS_DEDUCED = "blanks deduced 0"

BLANK_CELL_MODES = ("strict", "deduce")

APPS = "applications"
REVIEW = "review_litigation"

APPLICANT_COLUMNS = T.summand_columns(T.TEMPLATES["2021"].table(APPS))
LEGAL_PERSON_COLUMNS = tuple(c for c in APPLICANT_COLUMNS if c != "natural_person")
OUTCOME_COLUMNS = T.summand_columns(T.TEMPLATES["2021"].table(REVIEW))
LITIGATION = ("lit_direct", "lit_after_review")

LONG_COLUMNS = (
    "report_id",
    "indicator",
    "value",
    "numerator",
    "denominator",
    "unit",
    "small_sample",
    "basis",
    "comparable",
    "reason",
    "note",
)


# Reason groups of table 三, from the template declaration.
GROUPS: dict[str, tuple[str, ...]] = {group: T.group_rows("2021", group) for group in T.RESULT_GROUPS}
_GROUP_ENGLISH = {
    "withheld": "withheld",
    "unable": "unable to provide",
    "not_processed": "not processed",
    "other_handling": "other handling",
}
GROUP_LABELS = {group: (T.group_name(group), _GROUP_ENGLISH[group]) for group in T.RESULT_GROUPS}


# --------------------------------------------------------------------------
# One report's cells, with the bookkeeping behind ``reason``, ``basis``, ``note``
# --------------------------------------------------------------------------


def _key(table: str, row: str, column: str) -> str:
    return f"{table}.{row}.{column}"


class _Inputs:
    """The cells of one report, looked up by the indicator functions.

    Every lookup records what it needed: cells that were blank or missing,
    totals that had to be summed, zeros that were deduced. The framework
    turns these records into the ``reason``, ``basis`` and ``note`` columns.
    """

    def __init__(self, report_id: str, version: str | None, values: dict[str, float | None], mode: str) -> None:
        self.report_id = report_id
        self.version = version
        self.values = values  # key -> value; None for a cell present but blank
        self.mode = mode
        self.zeros: set[str] = _deduce_zeros(values, version) if mode == "deduce" else set()
        self.previous: _Inputs | None = None
        self.previous_reason: str | None = None
        self.reset()

    def reset(self) -> None:
        self.missing: list[str] = []
        self.problems: list[str] = []
        self.bases: set[str] = set()
        self.details: list[str] = []

    # -- lookups -----------------------------------------------------------

    def _printed(self, key: str) -> float | None:
        return self.values.get(key)

    def _known(self, key: str) -> float | None:
        value = self.values.get(key)
        if value is None and key in self.zeros:
            return 0.0
        return value

    def cell(self, table: str, row: str, column: str) -> float | None:
        """A cell's value; a blank cell is None (recorded), or 0 if proven so."""
        key = _key(table, row, column)
        value = self._printed(key)
        if value is not None:
            return value
        if key in self.zeros:
            self.bases.add(BASIS_DEDUCED)
            self.details.append(f"{key} 空白，按勾稽关系推得为0")
            return 0.0
        self.missing.append(key)
        return None

    def total(self, table: str, row: str) -> float | None:
        """The 总计 of a row: printed, else the sum of its parts when all are known."""
        key = _key(table, row, "total")
        printed = self._printed(key)
        if printed is not None:
            return printed
        if key in self.zeros:
            return self.cell(table, row, "total")
        parts = APPLICANT_COLUMNS if table == APPS else OUTCOME_COLUMNS
        part_keys = [_key(table, row, c) for c in parts]
        printed_parts = [self._printed(k) for k in part_keys]
        known_parts = [self._known(k) for k in part_keys]
        known = [v for v in known_parts if v is not None]
        if len(known) == len(known_parts):
            basis = BASIS_APPLICANT_SUM if table == APPS else BASIS_OUTCOME_SUM
            self.bases.add(basis)
            terms = "+".join(_fmt(v) for v in known)
            deduced = [k.rsplit(".", 1)[1] for k, v in zip(part_keys, printed_parts, strict=True) if v is None]
            if deduced:
                self.bases.add(BASIS_DEDUCED)
                self.details.append(
                    f"{key} 总计栏为空，按各列求和（{terms}；空白的{'、'.join(deduced)}按勾稽关系推得为0）"
                )
            else:
                self.details.append(f"{key} 总计栏为空，按各列求和（{terms}）")
            return float(sum(known))
        blank = [k for k, v in zip(part_keys, known_parts, strict=True) if v is None]
        what = "申请人各列" if table == APPS else "各结果列"
        self.problems.append(f"总计栏为空且{what}不全，未求和: {key}（为空或缺失: {', '.join(blank)}）")
        return None

    def group_sum(self, group: str) -> float | None:
        """Σ of the totals of a reason group's items (D, U, X, or 2021's O)."""
        return _add(*[self.total(APPS, row) for row in GROUPS[group]])

    def previous_total(self, table: str, row: str) -> float | None:
        """A total from the same agency's previous-year report, or None with a reason."""
        if self.previous is None:
            self.problems.append(self.previous_reason or "缺少上一年度报告")
            return None
        prev = self.previous
        prev.reset()
        value = prev.total(table, row)
        label = f"上一年度报告 {prev.report_id}"
        if prev.missing:
            self.problems.append(f"{label}: 所需单元格为空或缺失: {', '.join(prev.missing)}")
        self.problems.extend(f"{label}: {p}" for p in prev.problems)
        self.bases |= prev.bases
        self.details.extend(f"{label}: {d}" for d in prev.details)
        return value

    # -- outcome -----------------------------------------------------------

    def reason(self) -> str | None:
        parts = list(dict.fromkeys(self.problems))
        if self.missing:
            parts.append("所需单元格为空或缺失: " + ", ".join(dict.fromkeys(self.missing)))
        return "；".join(parts) or None

    def basis(self) -> str:
        if not self.bases:
            return BASIS_PRINTED
        sums = [b for b in (BASIS_APPLICANT_SUM, BASIS_OUTCOME_SUM) if b in self.bases]
        text = "; ".join(sums) if sums else BASIS_PRINTED
        if BASIS_DEDUCED in self.bases:
            text += f" ({BASIS_DEDUCED})"
        return text


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _add(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    if len(known) < len(values):
        return None
    return float(sum(known))


def _deduce_zeros(values: dict[str, float | None], version: str | None) -> set[str]:
    """Blank cells that the report's own totals prove to be 0.

    Counts are non-negative, so when a whole (a printed total, or a cell
    already proven 0) equals the sum of its printed parts, every blank part
    is 0. The wholes used are the sum identities of the form (each row's 总计
    over its applicant columns, each column's （七）总计 over the result rows,
    each proceeding's 总计 over its outcomes), evaluated by the one identity
    engine (:func:`gicstats.form.identities.deduce_blanks`); a blank total is
    never filled in here, :meth:`_Inputs.total` sums it with its basis.
    """
    versions = (version,) if version in T.VERSIONS else T.VERSIONS
    insts = {i for v in versions for i in identity_instances(v) if i.whole is not None}
    known = {tuple(k.split(".")): float(v) for k, v in values.items() if v is not None}
    deduced = deduce_blanks(sorted(insts, key=lambda i: i.cells), known, fill_totals=False)  # type: ignore[arg-type]
    return {".".join(cell) for cell, (_, how) in deduced.items() if how == "zero"}


# --------------------------------------------------------------------------
# Indicator functions. Each returns (numerator, denominator); counts return
# (value, None).
# --------------------------------------------------------------------------

Fraction = tuple[float | None, float | None]


def applications_received(r: _Inputs) -> Fraction:
    """Applications received this year (本年新收申请数量).

    Formula: N = ``applications.new_received.total``.
    Unit: 件 (a count).
    Denominator: none.

    Args:
        r: One report's cells.

    Returns:
        ``(N, None)``.
    """
    return r.total(APPS, "new_received"), None


def applications_growth(r: _Inputs) -> Fraction:
    """Growth of applications received against the same agency's previous year.

    Formula: g = N_y / N_{y−1} − 1, reported as numerator N_y − N_{y−1} over
    denominator N_{y−1}.
    Unit: ratio (−1 and up; 0.25 means +25 %).
    Denominator: N_{y−1}, ``applications.new_received.total`` of the same
    ``agency_key``'s report for year y − 1. Only adjacent years are compared:
    with no report for y − 1 the value is null with a reason. N means the same
    in both template versions, so growth may cross versions.

    Args:
        r: One report's cells, with ``r.previous`` set by the framework.

    Returns:
        ``(N_y − N_{y−1}, N_{y−1})``.
    """
    current = r.total(APPS, "new_received")
    previous = r.previous_total(APPS, "new_received")
    if current is None or previous is None:
        return None, previous
    return current - previous, previous


def workload(r: _Inputs) -> Fraction:
    """Workload (受理合计): applications received plus those carried over.

    Formula: N + C = ``new_received.total`` + ``carried_over_from_prev.total``.
    Unit: 件 (a count).
    Denominator: none.

    Args:
        r: One report's cells.

    Returns:
        ``(N + C, None)``.
    """
    return _add(r.total(APPS, "new_received"), r.total(APPS, "carried_over_from_prev")), None


def disclosure_rate(r: _Inputs) -> Fraction:
    """Disclosure rate (公开率, 实质公开率): answered with information, in full or in part.

    Formula: (G + P) / T = (``granted.total`` + ``partially_granted.total``) /
    ``results_total.total``.
    Unit: ratio in [0, 1].
    Denominator: T, （七）总计 of 三、本年度办理结果, the applications closed
    this year (each counted once, by the 区分处理 rule).

    Args:
        r: One report's cells.

    Returns:
        ``(G + P, T)``.
    """
    return _add(r.total(APPS, "granted"), r.total(APPS, "partially_granted")), r.total(APPS, "results_total")


def full_grant_rate(r: _Inputs) -> Fraction:
    """Full-grant rate (全部公开答复率): answered with all the information asked for.

    Formula: G / T = ``granted.total`` / ``results_total.total``.
    Unit: ratio in [0, 1].
    Denominator: T, （七）总计 of the results (applications closed this year).

    Args:
        r: One report's cells.

    Returns:
        ``(G, T)``.
    """
    return r.total(APPS, "granted"), r.total(APPS, "results_total")


def group_share(r: _Inputs, group: str) -> Fraction:
    """Share of closed applications that ended in one reason group.

    Formula: D / T (不予公开, ``withheld_*``), U / T (无法提供, ``unable_*``),
    X / T (不予处理, ``not_processed_*``) or O / T (其他处理), where the group
    sum adds the 总计 of the group's numbered items. O is the printed
    ``other_handling`` row in the 2019 template and the sum of
    ``other_overdue_correction``, ``other_overdue_fee`` and ``other_misc`` in
    the 2021 template: the same concept, so the share is comparable.
    Unit: ratio in [0, 1].
    Denominator: T, （七）总计 of the results (applications closed this year).

    Args:
        r: One report's cells.
        group: ``withheld``, ``unable``, ``not_processed`` or ``other_handling``.

    Returns:
        ``(group sum, T)``.
    """
    if group == "other_handling" and r.version is None:
        r.problems.append("模板版本未知：其他处理在2019版为单行、2021版为三项")
        return None, r.total(APPS, "results_total")
    if group == "other_handling" and r.version == "2019":
        numerator = r.total(APPS, "other_handling")
    else:
        numerator = r.group_sum(group)
    return numerator, r.total(APPS, "results_total")


def reason_mix(r: _Inputs, group: str, item: str) -> Fraction:
    """Mix of reasons within a group: one numbered item over its group's sum.

    Formula: D_i / D, U_i / U, X_i / X, or (2021 only) O_i / O, each on the
    总计 column, e.g. ``withheld_state_secret.total`` / Σ ``withheld_*.total``.
    Unit: ratio in [0, 1].
    Denominator: the group sum (the number of applications closed with any
    reason of the group). It is often small: check ``small_sample``. The 2019
    template prints （六）其他处理 as one row, so its mix is null there.

    Args:
        r: One report's cells.
        group: The group id (a key of :data:`GROUPS`).
        item: The row id of the item.

    Returns:
        ``(item, group sum)``.
    """
    return r.total(APPS, item), r.group_sum(group)


def carry_forward_rate(r: _Inputs) -> Fraction:
    """Carry-forward rate (结转率): the year's workload still open at year end.

    Formula: F / (N + C) = ``carried_to_next.total`` /
    (``new_received.total`` + ``carried_over_from_prev.total``).
    Unit: ratio in [0, 1].
    Denominator: N + C, the workload.

    Args:
        r: One report's cells.

    Returns:
        ``(F, N + C)``.
    """
    return r.total(APPS, "carried_to_next"), _add(
        r.total(APPS, "new_received"), r.total(APPS, "carried_over_from_prev")
    )


def natural_person_share(r: _Inputs) -> Fraction:
    """Share of new applications filed by natural persons (自然人).

    Formula: ``new_received.natural_person`` / ``new_received.total``.
    Unit: ratio in [0, 1].
    Denominator: N, applications received this year.

    Args:
        r: One report's cells.

    Returns:
        ``(N_自然人, N)``.
    """
    return r.cell(APPS, "new_received", "natural_person"), r.total(APPS, "new_received")


def legal_person_share(r: _Inputs) -> Fraction:
    """Share of new applications filed by legal persons and other organisations.

    Formula: (商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他) / 总计, all
    on the ``new_received`` row (the template has no 法人或其他组织 subtotal).
    Unit: ratio in [0, 1].
    Denominator: N, applications received this year.

    Args:
        r: One report's cells.

    Returns:
        ``(Σ five organisation columns, N)``.
    """
    numerator = _add(*[r.cell(APPS, "new_received", c) for c in LEGAL_PERSON_COLUMNS])
    return numerator, r.total(APPS, "new_received")


def _correction(r: _Inputs, proceedings: tuple[str, ...], closed: bool) -> Fraction:
    corrected = _add(*[r.cell(REVIEW, p, "corrected") for p in proceedings])
    if closed:
        denominator = _add(*[r.cell(REVIEW, p, o) for p in proceedings for o in ("upheld", "corrected", "other")])
    else:
        denominator = _add(*[r.total(REVIEW, p) for p in proceedings])
    return corrected, denominator


def review_correction_rate_closed(r: _Inputs) -> Fraction:
    """Administrative review correction rate (复议纠错率), closed cases only.

    Formula: Rc / (R维持 + Rc + R其他) = ``review.corrected`` /
    (``review.upheld`` + ``review.corrected`` + ``review.other``).
    Unit: ratio in [0, 1].
    Denominator: reviews decided this year; 尚未审结 (pending) is excluded,
    since its outcome is unknown. See ``review_correction_rate_all``.

    Args:
        r: One report's cells.

    Returns:
        ``(Rc, R − R尚未审结)``.
    """
    return _correction(r, ("review",), closed=True)


def review_correction_rate_all(r: _Inputs) -> Fraction:
    """Administrative review correction rate (复议纠错率), all cases.

    Formula: Rc / R = ``review.corrected`` / ``review.total`` (KIROGOVCOMPARE's
    definition).
    Unit: ratio in [0, 1].
    Denominator: R, every review including 尚未审结 (pending), which lowers the
    rate while cases are open. See ``review_correction_rate_closed``.

    Args:
        r: One report's cells.

    Returns:
        ``(Rc, R)``.
    """
    return _correction(r, ("review",), closed=False)


def litigation_correction_rate_closed(r: _Inputs) -> Fraction:
    """Litigation correction rate (诉讼纠错率/败诉率), closed cases only.

    Formula: Lc / (L维持 + Lc + L其他), where L = 未经复议直接起诉
    (``lit_direct``) + 复议后起诉 (``lit_after_review``), each outcome summed
    over both.
    Unit: ratio in [0, 1].
    Denominator: lawsuits decided this year; 尚未审结 (pending) is excluded.

    Args:
        r: One report's cells.

    Returns:
        ``(Lc, L − L尚未审结)``.
    """
    return _correction(r, LITIGATION, closed=True)


def litigation_correction_rate_all(r: _Inputs) -> Fraction:
    """Litigation correction rate (诉讼纠错率/败诉率), all cases.

    Formula: Lc / L = (``lit_direct.corrected`` + ``lit_after_review.corrected``)
    / (``lit_direct.total`` + ``lit_after_review.total``).
    Unit: ratio in [0, 1].
    Denominator: L, every lawsuit including 尚未审结 (pending).

    Args:
        r: One report's cells.

    Returns:
        ``(Lc, L)``.
    """
    return _correction(r, LITIGATION, closed=False)


def dispute_conversion_rate(r: _Inputs) -> Fraction:
    """Dispute conversion (争议转化率): reviews and lawsuits per new application.

    Formula: (R + L) / N = (``review.total`` + ``lit_direct.total`` +
    ``lit_after_review.total``) / ``applications.new_received.total``.
    Unit: ratio, usually in [0, 1] but not bounded: a case may concern an
    application of an earlier year.
    Denominator: N, applications received this year.

    Args:
        r: One report's cells.

    Returns:
        ``(R + L, N)``.
    """
    disputes = _add(*[r.total(REVIEW, p) for p in ("review", *LITIGATION)])
    return disputes, r.total(APPS, "new_received")


def licensing_penalty_ratio(r: _Inputs) -> Fraction:
    """监管—服务结构比: 行政许可 decisions per 行政处罚 decision.

    Formula: ``active_art20_5.admin_licensing.decisions`` /
    ``active_art20_6.admin_penalty.decisions``.
    Unit: ratio (unbounded; 1.8 means 1.8 licensing decisions per penalty).
    Denominator: 行政处罚 decisions of the year.

    Not comparable across template versions: the 2019 column is 处理决定数量,
    the 2021 column 本年处理决定数量 covers a wider scope (published and
    unpublished decisions). Each row's ``note`` says so and ``comparable`` is
    False. Peers add that the ratio does not measure the business environment.

    Args:
        r: One report's cells.

    Returns:
        ``(licensing decisions, penalty decisions)``.
    """
    return r.cell("active_art20_5", "admin_licensing", "decisions"), r.cell(
        "active_art20_6", "admin_penalty", "decisions"
    )


# --------------------------------------------------------------------------
# The declaration
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One indicator, declared as data.

    Attributes:
        id: Stable id, the column name in :func:`wide`.
        label_zh: Chinese label.
        label_en: English label.
        unit: ``"件"`` (a count) or ``"ratio"`` (a fraction, not a percentage).
        formula: The formula, in the notation of the module docstring.
        denominator: What the denominator counts (``"—"`` for counts).
        function: Computes ``(numerator, denominator)`` from one report.
        versions: Template versions in which the indicator exists.
        absent_reason: ``reason`` for a report of another version.
        comparable: Whether values from 2019- and 2021-template reports mean
            the same thing.
        note: A caveat repeated in each row's ``note``.
    """

    id: str
    label_zh: str
    label_en: str
    unit: str
    formula: str
    denominator: str
    function: Callable[[_Inputs], Fraction] = field(repr=False, compare=False)
    versions: tuple[str, ...] = T.VERSIONS
    absent_reason: str | None = None
    comparable: bool = True
    note: str | None = None


_T_TEXT = "T，（七）总计（本年度办结的申请）"

_DECISIONS_NOTE = "跨版本不可直接比较：2019版为“处理决定数量”，2021版为“本年处理决定数量”，口径更宽（含未公开的决定）"


def _mix_indicators() -> list[Indicator]:
    out = []
    for group, items in GROUPS.items():
        zh, en = GROUP_LABELS[group]
        symbol = {"withheld": "D", "unable": "U", "not_processed": "X", "other_handling": "O"}[group]
        applications = T.TEMPLATES["2021"].table(APPS)
        for item in items:
            label = applications.row(item).label
            two_version = group != "other_handling"
            out.append(
                Indicator(
                    id=f"mix_{item}",
                    label_zh=f"{zh}中“{label}”占比",
                    label_en=f"{item} within {en}",
                    unit=RATIO,
                    formula=f"{item}.total / {symbol}",
                    denominator=f"{symbol}，{zh}各项总计之和",
                    function=functools.partial(reason_mix, group=group, item=item),
                    versions=T.VERSIONS if two_version else ("2021",),
                    absent_reason=None if two_version else "2019版模板无此项：（六）其他处理为单行，未分三项",
                )
            )
    return out


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "applications_received", "本年新收申请数量", "applications received", COUNT,
        "N", "—", applications_received,
    ),
    Indicator(
        "applications_growth", "新收申请同比增长率", "growth of applications received", RATIO,
        "N_y / N_{y-1} - 1（仅相邻年度）", "N_{y-1}，同一机关上一年度的本年新收", applications_growth,
    ),
    Indicator("workload", "受理合计", "workload (received + carried over)", COUNT, "N + C", "—", workload),
    Indicator(
        "disclosure_rate", "公开率（予以公开+部分公开）", "disclosure rate (full or partial)", RATIO,
        "(G + P) / T", _T_TEXT, disclosure_rate,
    ),
    Indicator("full_grant_rate", "予以公开率", "full-grant rate", RATIO, "G / T", _T_TEXT, full_grant_rate),
    Indicator(
        "withheld_share", "不予公开占比", "share withheld", RATIO, "D / T", _T_TEXT,
        functools.partial(group_share, group="withheld"),
    ),
    Indicator(
        "unable_share", "无法提供占比", "share unable to provide", RATIO, "U / T", _T_TEXT,
        functools.partial(group_share, group="unable"),
    ),
    Indicator(
        "not_processed_share", "不予处理占比", "share not processed", RATIO, "X / T", _T_TEXT,
        functools.partial(group_share, group="not_processed"),
    ),
    Indicator(
        "other_handling_share", "其他处理占比", "share other handling", RATIO,
        "O / T（2019版为（六）其他处理行；2021版为（六）1–3项之和）", _T_TEXT,
        functools.partial(group_share, group="other_handling"),
    ),
    *_mix_indicators(),
    Indicator(
        "carry_forward_rate", "结转率", "carry-forward rate", RATIO, "F / (N + C)", "N + C，受理合计",
        carry_forward_rate,
    ),
    Indicator(
        "natural_person_share", "自然人申请占比", "natural-person share of applicants", RATIO,
        "N_自然人 / N", "N，本年新收", natural_person_share,
    ),
    Indicator(
        "legal_person_share", "法人或其他组织申请占比", "legal-person and other-organisation share of applicants",
        RATIO, "(商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他) / N", "N，本年新收", legal_person_share,
    ),
    Indicator(
        "review_correction_rate_closed", "行政复议纠错率（不含尚未审结）", "review correction rate, closed cases",
        RATIO, "Rc / (R维持 + Rc + R其他)", "已审结的行政复议（结果维持 + 结果纠正 + 其他结果）",
        review_correction_rate_closed,
    ),
    Indicator(
        "review_correction_rate_all", "行政复议纠错率（含尚未审结）", "review correction rate, all cases", RATIO,
        "Rc / R", "R，行政复议总计（含尚未审结）", review_correction_rate_all,
    ),
    Indicator(
        "litigation_correction_rate_closed", "行政诉讼纠错率（不含尚未审结）",
        "litigation correction rate, closed cases", RATIO, "Lc / (L维持 + Lc + L其他)，L = 直接起诉 + 复议后起诉",
        "已审结的行政诉讼", litigation_correction_rate_closed,
    ),
    Indicator(
        "litigation_correction_rate_all", "行政诉讼纠错率（含尚未审结）", "litigation correction rate, all cases",
        RATIO, "Lc / L，L = 直接起诉 + 复议后起诉", "L，行政诉讼总计（含尚未审结）", litigation_correction_rate_all,
    ),
    Indicator(
        "dispute_conversion_rate", "争议转化率", "dispute conversion rate", RATIO, "(R + L) / N", "N，本年新收",
        dispute_conversion_rate,
    ),
    Indicator(
        "licensing_penalty_ratio", "行政许可/行政处罚处理决定比", "licensing to penalty decisions", RATIO,
        "行政许可处理决定数量 / 行政处罚处理决定数量", "行政处罚处理决定数量", licensing_penalty_ratio,
        comparable=False, note=_DECISIONS_NOTE,
    ),
)  # fmt: skip

INDICATOR_IDS = tuple(i.id for i in INDICATORS)
if len(set(INDICATOR_IDS)) != len(INDICATOR_IDS):  # pragma: no cover - a declaration error
    raise RuntimeError("duplicate indicator ids")


def indicator_table() -> pd.DataFrame:
    """The declaration as a table: id, labels, unit, formula, denominator, versions.

    >>> indicator_table().loc["disclosure_rate", "formula"]
    '(G + P) / T'
    """
    rows = [
        {
            "id": i.id,
            "label_zh": i.label_zh,
            "label_en": i.label_en,
            "unit": i.unit,
            "formula": i.formula,
            "denominator": i.denominator,
            "versions": ", ".join(i.versions),
            "comparable": i.comparable,
        }
        for i in INDICATORS
    ]
    return pd.DataFrame(rows).set_index("id")


# --------------------------------------------------------------------------
# The framework
# --------------------------------------------------------------------------


def _validate(cells: pd.DataFrame, reports: pd.DataFrame, blank_cells: str) -> None:
    need_cells = {"report_id", "table", "row", "column", "value"}
    need_reports = {"report_id", "agency_key", "year", "template_version"}
    for name, frame, need in (("cells", cells, need_cells), ("reports", reports, need_reports)):
        lacking = need - set(frame.columns)
        if lacking:
            raise ValueError(f"{name} lacks column(s): {', '.join(sorted(lacking))}")
    if blank_cells not in BLANK_CELL_MODES:
        raise ValueError(f"blank_cells must be one of {BLANK_CELL_MODES}, not {blank_cells!r}")
    if reports["report_id"].duplicated().any():
        dup = reports.loc[reports["report_id"].duplicated(), "report_id"].tolist()
        raise ValueError(f"reports has duplicate report_id: {dup}")
    unknown = set(cells["report_id"]) - set(reports["report_id"])
    if unknown:
        raise ValueError(f"cells has report_id(s) not in reports: {sorted(map(str, unknown))}")
    keys = ["report_id", "table", "row", "column"]
    if cells.duplicated(keys).any():
        dup = cells.loc[cells.duplicated(keys), keys].head(3).to_dict("records")
        raise ValueError(f"cells has duplicate keys, e.g. {dup}")
    bad = {str(v) for v in reports["template_version"].dropna()} - set(T.VERSIONS)
    if bad:
        raise ValueError(f"unknown template_version(s): {sorted(bad)}; expected one of {T.VERSIONS}")


def _version(value) -> str | None:
    return None if pd.isna(value) else str(value)


def _year(value) -> int | None:
    return None if pd.isna(value) else int(value)


def _link_previous(contexts: dict[str, _Inputs], reports: pd.DataFrame) -> None:
    by_agency_year: dict[tuple, list[str]] = {}
    for rec in reports.itertuples(index=False):
        year = _year(rec.year)
        if not pd.isna(rec.agency_key) and year is not None:
            by_agency_year.setdefault((rec.agency_key, year), []).append(rec.report_id)
    for rec in reports.itertuples(index=False):
        ctx = contexts[rec.report_id]
        year = _year(rec.year)
        if pd.isna(rec.agency_key) or year is None:
            ctx.previous_reason = "报告的机关或年度未知，无法找到上一年度报告"
            continue
        previous = by_agency_year.get((rec.agency_key, year - 1), [])
        if not previous:
            ctx.previous_reason = f"缺少同一机关{year - 1}年度的报告（增长率只与相邻年度比较）"
        elif len(previous) > 1:
            ctx.previous_reason = f"同一机关{year - 1}年度有多份报告: {', '.join(map(str, previous))}"
        else:
            ctx.previous = contexts[previous[0]]


def _evaluate(indicator: Indicator, ctx: _Inputs, min_denominator: int) -> dict:
    ctx.reset()
    numerator = denominator = value = None
    reason = basis = None
    if ctx.version is None and indicator.versions != T.VERSIONS:
        reason = "模板版本未知"
    elif ctx.version is not None and ctx.version not in indicator.versions:
        reason = indicator.absent_reason or f"{ctx.version}版模板无此项"
    elif ctx.version is None and not indicator.comparable:
        reason = "模板版本未知，口径不明"
    else:
        numerator, denominator = indicator.function(ctx)
        reason = ctx.reason()
        if reason is None:
            if indicator.unit == COUNT:
                value = numerator
            elif denominator == 0:
                reason = "分母为0"
            else:
                # every None an indicator returns comes from a cell it recorded as missing
                assert numerator is not None and denominator is not None, indicator.id
                value = numerator / denominator
        if value is not None:
            basis = ctx.basis()
    notes = [indicator.note] if indicator.note else []
    if value is not None:
        notes += list(dict.fromkeys(ctx.details))
    return {
        "report_id": ctx.report_id,
        "indicator": indicator.id,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "unit": indicator.unit,
        "small_sample": indicator.unit != COUNT and denominator is not None and denominator < min_denominator,
        "basis": basis,
        "comparable": indicator.comparable,
        "reason": reason,
        "note": "；".join(notes) or None,
    }


def compute(
    cells: pd.DataFrame,
    reports: pd.DataFrame,
    *,
    min_denominator: int = 30,
    blank_cells: str = "deduce",
) -> pd.DataFrame:
    """Compute every indicator of :data:`INDICATORS` for every report.

    Args:
        cells: Tidy cells, at least ``report_id, table, row, column, value``
            (``value`` null for a blank cell). Other columns are ignored.
        reports: One row per report: ``report_id, agency_key, year,
            template_version`` (``"2019"``, ``"2021"`` or null).
        min_denominator: Denominators below this set ``small_sample``.
        blank_cells: ``"deduce"`` (default): blank cells proven 0 by the
            report's own printed totals count as 0 (counts cannot be
            negative, so when a printed total equals the sum of its printed
            parts, its blank parts are 0; see the module docstring), and
            ``basis`` says so. ``"strict"``: a blank 总计 is replaced by the
            sum of its parts only when every part is printed. A blank that
            cannot be proven 0 is never filled in either mode.

    Returns:
        A long frame, one row per (report, indicator), reports in the order
        of ``reports`` and indicators in declared order: ``report_id,
        indicator, value`` (Float64, null when absent), ``numerator,
        denominator`` (Float64; for counts the denominator is null),
        ``unit`` (``"件"`` or ``"ratio"``), ``small_sample`` (bool),
        ``basis`` (``"printed"``, ``"sum of applicant columns"``, ``"sum of
        outcome columns"``, with `` (blanks deduced 0)`` when zeros were
        deduced; null when the value is), ``comparable`` (bool: the value
        means the same in both template versions), ``reason`` (Chinese, null
        when the value is present), ``note`` (caveats and how blank totals
        were filled).

    Raises:
        ValueError: a required column is missing, a key is duplicated, a
            cell's report is not in ``reports``, a template version is
            unknown or ``blank_cells`` is not a known mode.
    """
    _validate(cells, reports, blank_cells)
    values: dict[str, dict[str, float | None]] = {rid: {} for rid in reports["report_id"]}
    for rec in cells[["report_id", "table", "row", "column", "value"]].itertuples(index=False):
        value = None if pd.isna(rec.value) else float(rec.value)
        values[rec.report_id][_key(rec.table, rec.row, rec.column)] = value
    contexts = {
        rec.report_id: _Inputs(rec.report_id, _version(rec.template_version), values[rec.report_id], blank_cells)
        for rec in reports.itertuples(index=False)
    }
    _link_previous(contexts, reports)
    rows = [
        _evaluate(indicator, contexts[rid], min_denominator) for rid in reports["report_id"] for indicator in INDICATORS
    ]
    out = pd.DataFrame(rows, columns=list(LONG_COLUMNS))
    return out.astype(
        {
            "report_id": "string",
            "indicator": "string",
            "value": "Float64",
            "numerator": "Float64",
            "denominator": "Float64",
            "unit": "string",
            "small_sample": bool,
            "basis": "string",
            "comparable": bool,
            "reason": "string",
            "note": "string",
        }
    )


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per report (index ``report_id``), one Float64 column per indicator value.

    Columns follow the declared order of :data:`INDICATORS`; reports keep
    their order in ``long``. Nulls stay null: look up the reason in ``long``.
    """
    order = list(dict.fromkeys(long["report_id"]))
    table = long.pivot(index="report_id", columns="indicator", values="value")
    columns = [i for i in INDICATOR_IDS if i in table.columns] + sorted(set(table.columns) - set(INDICATOR_IDS))
    table = table.reindex(index=order, columns=columns).astype("Float64")
    table.columns.name = None
    table.index.name = "report_id"
    return table


def from_reports(reports: Iterable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the ``cells`` and ``reports`` inputs of :func:`compute` from :class:`gicstats.Report` objects.

    ``report_id`` is ``report.id``, ``agency_key`` is ``report.agency``.
    """
    cell_frames, meta = [], []
    for report in reports:
        frame = report.cells.copy()
        frame.insert(0, "report_id", report.id)
        cell_frames.append(frame)
        meta.append(
            {
                "report_id": report.id,
                "agency_key": report.agency,
                "year": report.year,
                "template_version": report.template_version,
            }
        )
    cells = (
        pd.concat(cell_frames, ignore_index=True)
        if cell_frames
        else pd.DataFrame(columns=["report_id", "table", "row", "column", "value"])
    )
    return cells, pd.DataFrame(meta, columns=["report_id", "agency_key", "year", "template_version"])
