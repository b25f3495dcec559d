"""What the notebooks call: one function per section, so notebooks stay thin.

Everything shown comes from :mod:`gicstats`; tables from reports are pandas
objects whose HTML escapes their text. ``record`` leaves a machine-readable
copy of key figures in the notebook's outputs, for tests and batch indexes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gicstats.analysis import plots
from gicstats.corpus.store import Corpus, build_stamp, read_corpus
from gicstats.errors import GicstatsError
from gicstats.form.rules import SEVERITIES, SEVERITY_LABELS
from gicstats.read.report import Report

RECORD_MIME = "application/vnd.gicstats.record+json"

SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
_ENGLISH = {"not_assessable": "n/a"}
SEVERITY_LABEL = {s: f"{SEVERITY_LABELS[s]} {_ENGLISH.get(s, s)}" for s in SEVERITIES}


class NotebookStop(Exception):
    """Raised in a notebook when its parameters do not match the corpus."""


def _display(obj) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - notebooks always have IPython
        print(obj)
        return
    display(obj)


def show_figure(fig):
    """Display a figure as an inline PNG, whatever the backend.

    Outside a notebook nothing is displayed and the figure is returned
    (``plt.show()`` or ``fig.savefig`` it).
    """
    import io

    if not _in_kernel():
        return fig
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)  # tight_layout is done; "tight" bbox would draw twice
    try:
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover
        return
    display(Image(data=buf.getvalue(), format="png"))


def _in_kernel() -> bool:
    """Whether we run in a Jupyter kernel rather than a plain Python or IPython terminal.

    A kernel keeps every output's mimebundle.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and "ipykernel" in type(shell).__module__


def record(name: str, value) -> None:
    """Leave ``value`` (JSON-serialisable) in the notebook's outputs under ``name``.

    Only in a notebook's kernel: a terminal would print the raw mimebundle,
    so there it does nothing.
    """
    if not _in_kernel():
        return
    from IPython.display import display

    display({RECORD_MIME: {"name": name, "value": json.loads(json.dumps(value, default=_json_default))}}, raw=True)


def _json_default(obj):
    if pd.isna(obj):
        return None
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def open_corpus(path: str | Path = "") -> Corpus:
    """The corpus at ``path``.

    Empty: the default corpus (:func:`gicstats.paths.corpus_dir`:
    ``$GICSTATS_CORPUS``, which ``gicstats lab`` sets, else
    ``reports/corpus``). Stops the notebook clearly if absent.
    """
    from gicstats.paths import corpus_dir

    path = path or corpus_dir()
    try:
        return _cached_corpus(Path(path))
    except GicstatsError as exc:
        raise NotebookStop(f"无法打开语料库 {path}：{exc}") from None


# the corpus a kernel read last: (folder, build stamp, corpus); a warm kernel
# runs notebook after notebook on the same corpus
_last_corpus: tuple[Path, tuple, Corpus] | None = None


def _cached_corpus(path: Path) -> Corpus:
    """The corpus at ``path``, read once per build in this process.

    Kept while its files are those of the same build (:func:`build_stamp`);
    each caller gets a copy, so what one notebook changes the next never sees.
    """
    global _last_corpus
    folder = path.resolve()
    stamp = build_stamp(folder)
    if stamp is not None and _last_corpus is not None and _last_corpus[:2] == (folder, stamp):
        return _last_corpus[2].copy()
    corpus = read_corpus(path)
    if stamp is None or build_stamp(folder) != stamp:  # rebuilt while being read: keep nothing
        _last_corpus = None
        return corpus
    _last_corpus = (folder, stamp, corpus)
    return corpus.copy()


def open_report(corpus: str | Path | Corpus, agency: str, year: int) -> Report:
    """The report of ``agency`` in ``year``; stops the notebook clearly if absent."""
    corpus = corpus if isinstance(corpus, Corpus) else open_corpus(corpus)
    have = agency_series(corpus, agency)
    if len(have.agencies) > 1:
        raise NotebookStop(f"“{agency}”对应多个机关：{'、'.join(have.agencies)}；请写全名称")
    hit = have.select(year=year)
    if len(hit) == 0:
        raise NotebookStop(f"语料库中没有“{agency}”{year}年的报告；已有年份：{', '.join(map(str, have.years))}")
    return hit._report(hit.reports.iloc[0].to_dict())


def headline(report: Report) -> pd.DataFrame:
    """Headline figures of one report, recorded as ``headline``."""
    from gicstats.analysis import indicators

    value = report.value
    rows = [
        ("本年新收申请 New applications", value("applications", "new_received", "total"), "件"),
        ("上年结转 Carried over", value("applications", "carried_over_from_prev", "total"), "件"),
        ("办理结果总计 Handled", value("applications", "results_total", "total"), "件"),
        ("结转下年度 Carried forward", value("applications", "carried_to_next", "total"), "件"),
        ("行政复议 Reviews", value("review_litigation", "review", "total"), "件"),
        ("行政诉讼（直接起诉） Suits, direct", value("review_litigation", "lit_direct", "total"), "件"),
        ("行政诉讼（复议后起诉） Suits after review", value("review_litigation", "lit_after_review", "total"), "件"),
    ]
    ind = indicators.compute(*indicators.from_reports([report]))
    rates = {}
    for ind_id, label in (
        ("disclosure_rate", "公开率 Disclosure rate"),
        ("full_grant_rate", "予以公开率 Full-grant rate"),
    ):
        hit = ind[ind["indicator"] == ind_id]
        if len(hit):
            v = hit["value"].iloc[0]
            rates[ind_id] = None if pd.isna(v) else float(v)
            rows.append((label, None if pd.isna(v) else round(float(v) * 100, 1), "%"))
    shown = [(label, "—" if value is None else f"{value:g}", unit) for label, value, unit in rows]
    frame = pd.DataFrame(shown, columns=["指标 Figure", "数值 Value", "单位 Unit"]).set_index("指标 Figure")
    record("headline", {r[0]: r[1] for r in rows})
    record("rates", rates)
    record(
        "report",
        {
            "agency": report.agency,
            "year": report.year,
            "template_version": report.template_version,
            "source": report.name,
        },
    )
    return frame


def tables(report: Report) -> None:
    """Display the four tables with their printed labels."""
    for table in report.template.tables:
        if table.id not in set(report.cells["table"]):
            continue
        _display(_Heading(table.title))
        _display(report.table(table.id))


class _Heading:
    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        import html

        return f"<h4>{html.escape(self.text)}</h4>"

    def __repr__(self) -> str:
        return self.text


def findings(frame: pd.DataFrame, *, show_not_assessable: bool = True) -> pd.DataFrame:
    """Findings sorted by severity, narrative mismatches first within each.

    Records counts by severity as ``findings``.
    """
    counts = frame["severity"].value_counts().to_dict() if len(frame) else {}
    record("findings", {s: int(counts.get(s, 0)) for s in SEVERITY_ORDER})
    if not len(frame):
        return pd.DataFrame({"结果 Result": ["未发现问题 No findings"]})
    shown = frame if show_not_assessable else frame[frame["severity"] != "not_assessable"]
    order = shown.assign(
        _s=shown["severity"].map(SEVERITY_ORDER),
        _n=~shown["rule"].str.startswith("narrative."),
    ).sort_values(["_s", "_n", "rule"])
    out = order[["severity", "rule", "message", "cells", "expected", "actual"]].copy()
    out["severity"] = out["severity"].map(SEVERITY_LABEL)
    out.columns = ["级别 Severity", "规则 Rule", "说明 Message", "单元格 Cells", "应为 Expected", "实为 Actual"]
    return out.reset_index(drop=True)


def narrative_mismatches(frame: pd.DataFrame) -> pd.DataFrame:
    """The narrative-against-table findings only (shown first in reports)."""
    hit = frame[frame["rule"].str.startswith("narrative.")] if len(frame) else frame
    record("narrative", len(hit[hit["severity"] == "error"]) if len(hit) else 0)
    if not len(hit):
        return pd.DataFrame({"结果 Result": ["正文与表格一致 Text agrees with tables"]})
    return findings(hit)


def charts(report: Report):
    """The four charts of a report (outside a notebook: returned as a list of figures)."""
    shown = [
        show_figure(make(report))
        for make in (plots.applicant_mix, plots.outcome_breakdown, plots.review_litigation, plots.proactive)
    ]
    return None if _in_kernel() else shown


# --------------------------------------------------------------------------
# Series of one agency (trend notebook)
# --------------------------------------------------------------------------


def agency_series(corpus: Corpus, agency: str) -> Corpus:
    """All readable reports of one agency (by name, alias, or part of one: see :meth:`Corpus.select`).

    Stops the notebook clearly if none.
    """
    try:
        hit = corpus.select(agency=agency, ok_only=True)
    except GicstatsError as exc:
        raise NotebookStop(f"语料库中没有机关“{agency}”；{exc.problem}") from None
    if len(hit) == 0:
        raise NotebookStop(f"语料库中没有机关“{agency}”的可读报告；已有机关：{'、'.join(corpus.agencies[:20])}")
    return hit


def indicator_frame(corpus: Corpus) -> pd.DataFrame:
    """Indicators of every report of ``corpus`` in long form, with agency and year."""
    from gicstats.analysis import indicators

    reports = corpus.reports[corpus.reports["error"].isna()]
    long = indicators.compute(corpus.cells, reports[["report_id", "agency_key", "year", "template_version"]])
    meta = reports.set_index("report_id")[["agency_key", "year", "template_version"]]
    return long.join(meta, on="report_id")


def trend_table(corpus: Corpus, indicator_ids: list[str]) -> pd.DataFrame:
    """One row per year, one column per indicator (values), for one agency."""
    long = indicator_frame(corpus)
    long = long[long["indicator"].isin(indicator_ids)]
    table = long.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
    table = table.reindex(columns=indicator_ids).astype("Float64")
    table.index = table.index.astype(int)
    record(
        "trend",
        {str(y): {k: (None if pd.isna(v) else float(v)) for k, v in row.items()} for y, row in table.iterrows()},
    )
    return table


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """The same table with indicator columns named by their Chinese and English labels, for display.

    Rates shown as ratios.
    """
    from gicstats.analysis.indicators import INDICATORS

    names = {i.id: f"{i.label_zh} {i.label_en}" for i in INDICATORS}
    return table.rename(columns=names)


def template_change_year(corpus: Corpus) -> int | None:
    """The first year on the 2021 template after a year on the 2019 template."""
    rows = corpus.reports.dropna(subset=["year"]).sort_values("year")
    prev = None
    for year, version in zip(rows["year"], rows["template_version"]):
        if prev == "2019" and version == "2021":
            return int(year)
        prev = version
    return None


def carry_over_continuity(corpus: Corpus) -> pd.DataFrame:
    """For each year: 上年结转 printed against last year's 结转下年度 (总计 column)."""
    rows = []
    by_year = {int(r.year): r.report_id for r in corpus.reports.dropna(subset=["year"]).itertuples()}
    cells = corpus.cells
    total = cells[(cells["table"] == "applications") & (cells["column"] == "total")]

    def get(rid, row):
        hit = total[(total["report_id"] == rid) & (total["row"] == row)]
        return None if hit.empty or pd.isna(hit["value"].iloc[0]) else float(hit["value"].iloc[0])

    for year in sorted(by_year):
        now = get(by_year[year], "carried_over_from_prev")
        if year - 1 in by_year:
            before = get(by_year[year - 1], "carried_to_next")
            status = (
                "无法核对 n/a"
                if now is None or before is None
                else ("一致 agrees" if now == before else "不一致 differs")
            )
        else:
            before, status = None, "缺上一年报告 previous year missing"
        rows.append(
            {
                "年度 Year": year,
                "本年上年结转 Carried over (Y)": _show(now),
                "上年结转下年度 Carried forward (Y-1)": _show(before),
                "核对 Check": status,
            }
        )
    frame = pd.DataFrame(rows)
    record("carry_over", frame["核对 Check"].tolist())
    return frame


def _show(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def findings_by_year(corpus: Corpus) -> pd.DataFrame:
    """Counts of findings by year and severity."""
    f = corpus.findings.merge(corpus.reports[["report_id", "year"]], on="report_id")
    if f.empty:
        return pd.DataFrame()
    table = f.pivot_table(index="year", columns="severity", values="rule", aggfunc="count", fill_value=0)
    table = table.reindex(columns=[s for s in SEVERITY_ORDER if s in table.columns])
    table.index = table.index.astype(int)
    record("findings_by_year", {str(y): {k: int(v) for k, v in row.items()} for y, row in table.iterrows()})
    return table


# --------------------------------------------------------------------------
# Many agencies (compare notebook)
# --------------------------------------------------------------------------


def compare_selection(corpus: Corpus, year_from: int, year_to: int, region: str = "") -> Corpus:
    """Readable reports in the year range (and region prefix); stops clearly if none."""
    years = range(int(year_from), int(year_to) + 1)
    hit = corpus.select(year=years, region=region or None, ok_only=True)
    if len(hit) == 0:
        raise NotebookStop(
            f"语料库中没有{year_from}–{year_to}年{('“' + region + '”') if region else ''}的报告；"
            f"已有年份：{', '.join(map(str, corpus.years))}"
        )
    return hit


def compare_table(corpus: Corpus, indicator_ids: list[str], min_denominator: int = 30) -> pd.DataFrame:
    """One row per agency-year.

    Indicators, a small-sample flag, and data quality (errors found,
    share of the agency's reports with an error).
    """
    long = indicator_frame(corpus)
    long = long[long["indicator"].isin(indicator_ids)]
    values = long.pivot_table(index=["agency_key", "year"], columns="indicator", values="value", aggfunc="first")
    values = values.reindex(columns=indicator_ids).astype("Float64")
    small = long[long["small_sample"]].groupby(["agency_key", "year"])["indicator"].apply(lambda s: "、".join(s))
    errors = corpus.findings[corpus.findings["severity"] == "error"].groupby("report_id").size()
    meta = corpus.reports.set_index("report_id")
    err = (
        meta.assign(errors=errors.reindex(meta.index).fillna(0).astype(int))
        .groupby(["agency_key", "year"])["errors"]
        .sum()
    )
    share = meta.assign(has=errors.reindex(meta.index).fillna(0) > 0).groupby("agency_key")["has"].mean()
    out = values.copy()
    out["样本过小 Small sample"] = small.reindex(out.index).fillna("")
    out["错误数 Errors"] = err.reindex(out.index).fillna(0).astype(int)
    out["有错误的报告占比 Share of reports with errors"] = [float(share.get(a, 0.0)) for a, _ in out.index]
    record(
        "compare",
        {
            f"{a}|{int(y)}": {
                k: (None if pd.isna(v) else (v if isinstance(v, str) else float(v))) for k, v in row.items()
            }
            for (a, y), row in out.iterrows()
        },
    )
    return out


def ranking_chart(table: pd.DataFrame, indicator: str, label: str) -> None:
    """Bar chart ranking agency-years on one indicator; small samples hatched."""
    names = [f"{a} {int(y)}" for a, y in table.index]
    series = pd.Series(table[indicator].astype(float).values, index=names)
    flagged = pd.Series([indicator in s.split("、") for s in table["样本过小 Small sample"]], index=names)
    show_figure(plots.ranking(series, title=label, xlabel="比率 (ratio)", flagged=flagged))


def distribution_chart(table: pd.DataFrame, indicators: dict[str, str]) -> None:
    """Box plots of several rate indicators across agency-years."""
    data = {label: table[i].astype(float).dropna() for i, label in indicators.items()}
    show_figure(plots.distribution(data, caption=f"来源 Source：gicstats corpus；{len(table)}份报告"))


def trend_charts(table: pd.DataFrame, change: int | None, agency: str) -> None:
    """Volumes and rates of one agency over the years."""
    caption = f"来源 Source：{agency}各年度政府信息公开工作年度报告"
    volumes = {
        k: v
        for k, v in {"applications_received": "本年新收 New", "workload": "新收+结转 Workload"}.items()
        if k in table.columns
    }
    rates = {
        k: v
        for k, v in {
            "disclosure_rate": "公开率 Disclosure",
            "full_grant_rate": "予以公开率 Full grant",
            "unable_share": "无法提供 Unable",
            "carry_forward_rate": "结转率 Carry-forward",
        }.items()
        if k in table.columns
    }
    for columns, title, ylabel in ((volumes, "申请量 Applications", "件"), (rates, "比率 Rates", "比率 (ratio)")):
        if columns:
            show_figure(
                plots.trend(table, columns, title=title, ylabel=ylabel, template_change=change, caption=caption)
            )
