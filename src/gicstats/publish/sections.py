"""What the notebooks call: one function per section, so notebooks stay thin.

Everything shown comes from :mod:`gicstats`; tables from reports are pandas
objects whose HTML escapes their text. ``record`` leaves a machine-readable
copy of key figures in the notebook's outputs, for tests and batch indexes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from gicstats.analysis import plots
from gicstats.corpus.store import Corpus, build_stamp, read_corpus
from gicstats.errors import GicstatsError
from gicstats.form.identities import IDENTITIES
from gicstats.form.rules import SEVERITIES, SEVERITY_LABELS
from gicstats.publish import page
from gicstats.read.report import Report

RECORD_MIME = page.RECORD_MIME

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
    """Display a figure as an inline PNG whose alt text is the chart's title, whatever the backend.

    A chart with nothing to draw (every value blank or 0, see
    :func:`gicstats.analysis.plots.nothing_to_draw`) is shown as a sentence
    instead of empty axes. Outside a notebook nothing is displayed and the
    figure is returned (``plt.show()`` or ``fig.savefig`` it).
    """
    import base64

    if not _in_kernel():
        return fig
    title = plots.title_of(fig)
    empty = plots.nothing_to_draw(fig)
    if empty:
        _display(page.Note(f"{title}：{empty}"))
        return None
    # drawn once at the figure's 100 dpi, margins already set ("tight" bbox would draw twice);
    # the same bytes serve the HTML (with its alt text) and the image/png output
    data = base64.b64encode(plots.png(fig)).decode("ascii")
    tag = f'<img src="data:image/png;base64,{data}" alt="{page.esc(title)}">'
    _display_bundle({"text/html": tag, "image/png": data, "text/plain": f"<图表 {title}>"})
    return None


def _display_bundle(bundle: dict) -> None:
    from IPython.display import display

    display(bundle, raw=True)


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


# --------------------------------------------------------------------------
# Headers: what an export is, where it comes from, and where to go next
# --------------------------------------------------------------------------

_URL_LINE = re.compile(r"原文链接\s*[:：]\s*(https?://[^\s<>\"'“”]+)")


def source_url(report: Report, corpus: Corpus | None = None) -> str | None:
    """The page the report was published at, where known.

    The URL it was fetched from, else the 原文链接 line of a saved page's text.
    """
    if corpus is not None:
        rows = corpus.reports[corpus.reports["report_id"] == report.id]
        if len(rows) and str(rows["source"].iloc[0]).startswith(("http://", "https://")):
            return str(rows["source"].iloc[0])
    found = _URL_LINE.search(report.sections.get("preamble", "") or "")
    return found.group(1) if found else None


def _generated() -> list[tuple[str, str, str | None]]:
    """The generation date (no time of day: two runs of a day give the same export) and version."""
    import datetime as dt

    from gicstats._version import __version__

    return [("生成 Generated", dt.date.today().isoformat(), None), ("gicstats", __version__, None)]


def _years_of(corpus: Corpus, agency: str) -> list[int]:
    rows = corpus.reports[(corpus.reports["agency_key"] == agency) & corpus.reports["error"].isna()]
    return sorted(int(y) for y in rows["year"].dropna())


def _compare_label(corpus: Corpus) -> str | None:
    """The label of the comparison a batch run makes over the whole corpus (``2019-2025``)."""
    years = sorted({int(y) for y in corpus.reports[corpus.reports["error"].isna()]["year"].dropna()})
    return f"{years[0]}-{years[-1]}" if years else None


def _agency_links(corpus: Corpus, agency: str, *, year: int | None = None, trend: bool = True):
    """Links to an agency's exports as a batch run names them: its trend, then its other years' reports."""
    years = _years_of(corpus, agency)
    links = []
    if trend and len(years) >= 2:  # a batch run makes a trend only then
        links.append((f"{agency} 历年趋势 Trend", page.export_href("trend", agency)))
    links += [(f"{y}年报告 Report", page.export_href("report", f"{agency}_{y}")) for y in years if y != year]
    return links


def _index_link() -> tuple[str, str]:
    return ("← 全部导出 All exports", page.href("index.html"))


def report_header(report: Report, corpus: Corpus | None = None) -> page.Header:
    """The report export's header: agency and year, provenance, links.

    Links go back to ``index.html`` and across to the agency's trend, its
    other years and the comparison, all relative. Records the title as
    ``page_title``.
    """
    agency, year = report.agency or "?", report.year
    title = f"{agency} {year or '?'}年政府信息公开工作年度报告 · 数据核查"
    facts: list[tuple[str, str, str | None]] = [
        ("发布 Published", report.published.isoformat() if report.published else "—（报告未载明）", None)
    ]
    url = source_url(report, corpus)
    if url:
        facts.append(("原文链接 Source", url, url))
    facts.append(("文件 File", f"{report.name}（sha256 {report.sha256[:12]}）", None))
    facts.append(
        ("模板 Template", f"{report.template_version}版" if report.template_version else "—（未能判定）", None)
    )
    facts += _generated()
    links = [_index_link()]
    if corpus is not None and report.agency:
        links += _agency_links(corpus, report.agency, year=year)
        label = _compare_label(corpus)
        if label:
            links.append((f"机关比较 Compare {label}", page.export_href("compare", label)))
    record(page.RECORD_TITLE, title)
    return page.Header(title, facts, links)


def trend_header(series: Corpus, corpus: Corpus, agency: str) -> page.Header:
    """The trend export's header: agency and years, the reports it reads, links."""
    name = series.agencies[0] if len(series.agencies) == 1 else agency
    years = series.years
    title = f"{name} {years[0]}–{years[-1]}年政府信息公开工作年度报告 · 历年趋势"
    rows = series.reports.sort_values("year")
    files = "、".join(f"{int(r.year)}年 {r.report}（sha256 {str(r.sha256)[:12]}）" for r in rows.itertuples())
    facts: list[tuple[str, str, str | None]] = [("来源 Sources", files, None), *_generated()]
    links = [_index_link()]
    links += [(f"{y}年报告 Report", page.export_href("report", f"{name}_{y}")) for y in _years_of(corpus, name)]
    label = _compare_label(corpus)
    if label:
        links.append((f"机关比较 Compare {label}", page.export_href("compare", label)))
    record(page.RECORD_TITLE, title)
    return page.Header(title, facts, links)


def compare_header(
    selection: Corpus, corpus: Corpus, year_from: int, year_to: int, region: str = "", agency: str = ""
) -> page.Header:
    """The comparison export's header: years, region, the agency compared; links to each agency's exports."""
    focus = f"{agency}与同类机关 " if agency else ""
    where = f"{region} " if region else ""
    years = f"{year_from}年" if int(year_from) == int(year_to) else f"{year_from}–{year_to}年"
    title = f"{focus}{where}{years}政府信息公开工作年度报告 · 机关比较"
    facts: list[tuple[str, str, str | None]] = [
        ("来源 Sources", f"{len(selection)}份报告，{len(selection.agencies)}个机关", None),
        *_generated(),
    ]
    links = [_index_link()]
    for name in [agency] if agency else selection.agencies:
        have = _years_of(corpus, name)
        if len(have) >= 2:
            links.append((f"{name} 历年趋势 Trend", page.export_href("trend", name)))
        elif have:
            links.append((f"{name} {have[0]}年报告 Report", page.export_href("report", f"{name}_{have[0]}")))
    record(page.RECORD_TITLE, title)
    return page.Header(title, facts, links)


# --------------------------------------------------------------------------
# One report (report notebook)
# --------------------------------------------------------------------------


def _count(value: float) -> str:
    """A number in full: an integer without ".0", else every digit read (never rounded by a format)."""
    value = float(value)
    return f"{int(value)}" if value.is_integer() else repr(value)


def _rate(value: float) -> str:
    return f"{value * 100:.1f}%"


def headline(report: Report) -> pd.DataFrame:
    """Headline figures of one report, recorded as ``headline``.

    Counts as integers, rates as percentages with one decimal; a figure
    that cannot be computed is "—" with its reason.
    """
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
    reasons = {}
    for ind_id, label in (
        ("disclosure_rate", "公开率 Disclosure rate"),
        ("full_grant_rate", "予以公开率 Full-grant rate"),
    ):
        hit = ind[ind["indicator"] == ind_id]
        if len(hit):
            v = hit["value"].iloc[0]
            rates[ind_id] = None if pd.isna(v) else float(v)
            if pd.isna(v) and pd.notna(hit["reason"].iloc[0]):
                reasons[label] = str(hit["reason"].iloc[0])
            rows.append((label, None if pd.isna(v) else round(float(v) * 100, 1), "%"))
    shown = [
        (
            label,
            ("—" + (f"（{reasons[label]}）" if label in reasons else "（表中空白或无法读取）"))
            if value is None
            else (f"{value:.1f}" if unit == "%" else _count(value)),
            unit,
        )
        for label, value, unit in rows
    ]
    frame = pd.DataFrame(shown, columns=["指标 Figure", "数值 Value", "单位 Unit"]).set_index("指标 Figure")
    frame.index.name = None  # pandas would print it as a header row of its own
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


def _cell_text(value, raw, unit, column) -> str:
    """One printed cell: counts as integers, amounts with their unit, blanks as "—" with why."""
    if pd.isna(value):
        raw = "" if raw is None or pd.isna(raw) else str(raw).strip()
        return f"—（原文“{raw}”无法读取）" if raw else "—"
    text = _count(value)
    if column.dtype == "amount":
        unit = unit if unit is not None and not pd.isna(unit) else column.unit
        if unit:
            text += f" {unit}"
    return text


def table_view(report: Report, table_id: str) -> page.Table:
    """One table as printed: labels, group labels of table 三, units, "—" for blanks."""
    spec = report.template.table(table_id)
    values = report.table(table_id, labels=False)
    part = report.cells[report.cells["table"] == table_id]
    raw = {(r, c): (x, u) for r, c, x, u in zip(part["row"], part["column"], part["raw"], part["unit"])}
    rows: list[list[str]] = []
    groups: dict[int, str] = {}
    seen: set[str] = set()
    for row_id in values.index:
        row = spec.row(row_id)
        if row.group and row.group not in seen:
            seen.add(row.group)
            groups[len(rows)] = row.group
        cells = [row.label]
        for column in spec.columns:
            text, unit = raw.get((row_id, column.id), (None, None))
            cells.append(_cell_text(values.loc[row_id, column.id], text, unit, column))
        rows.append(cells)
    columns = [spec.title] + [c.label for c in spec.columns]
    return page.Table(columns, rows, text={spec.title}, sortable=False, groups=groups)


def tables(report: Report) -> None:
    """Display the tables with their printed labels, group labels and units."""
    present = set(report.cells["table"])
    for table in report.template.tables:
        if table.id not in present:
            continue
        _display(_Heading(table.title))
        _display(table_view(report, table.id))


class _Heading:
    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        import html

        return f"<h4>{html.escape(self.text)}</h4>"

    def __repr__(self) -> str:
        return self.text


_IDENTITY_RULES = frozenset(i.rule for group in IDENTITIES.values() for i in group)
_WHERE = re.compile(r"^(?P<where>.*?)无法核对(?P<what>“.*?”)：")
_STRAY = re.compile(r"^(?P<head>.*?)“(?P<value>[^”]*)”（(?P<at>.*?), column (?P<col>\d+)）(?P<tail>.*)$")


def _values_text(rule: str, expected, actual) -> str:
    """Expected and actual of one finding in words: 正文/表中 for the text against a table."""
    e = "" if expected is None or pd.isna(expected) else str(expected)
    a = "" if actual is None or pd.isna(actual) else str(actual)
    if not e and not a:
        return ""
    if rule.startswith("narrative."):
        return f"正文 Text {a or '—'} · 表中 Table {e or '—'}"
    if rule in _IDENTITY_RULES:
        return f"左边 = {e or '—'} · 右边 = {a or '—'}"
    return " · ".join(x for x in (f"应为 Expected {e}" if e else "", f"实为 Actual {a}" if a else "") if x)


def _summarised(frame: pd.DataFrame) -> pd.DataFrame:
    """Not-assessable findings one row per rule, the stray values of one row as one finding."""
    keep, extra = [], []
    for (_, rule, severity), group in frame.groupby(["report_id", "rule", "severity"], sort=False):
        if severity == "not_assessable" and len(group) > 1:
            extra.append(_one_per_rule(rule, group))
        elif rule == "parse.stray_value" and len(group) > 1:
            extra.extend(_strays_by_row(group))
        else:
            keep.append(group)
    return pd.concat([*keep, pd.DataFrame(extra, columns=frame.columns)] if extra else keep, ignore_index=True)


def _one_per_rule(rule: str, group: pd.DataFrame) -> dict:
    messages = list(group["message"])
    parts = [hit for hit in (_WHERE.match(m) for m in messages) if hit]
    if len(parts) == len(messages) and len({p["what"] for p in parts}) == 1:
        wheres = page.joined(p["where"] for p in parts)
        message = f"{len(messages)}处无法核对{parts[0]['what']}（所需单元格为空或缺失）：{wheres}"
    else:
        message = f"{len(messages)}处：" + "；".join(messages)
    return {
        **group.iloc[0].to_dict(),
        "rule": rule,
        "severity": "not_assessable",
        "cells": page.joined((str(c) for c in group["cells"]), ", "),
        "expected": "",
        "actual": "",
        "message": message,
    }


def _strays_by_row(group: pd.DataFrame) -> list[dict]:
    rows: dict[tuple, list] = {}
    for finding in group.to_dict("records"):
        hit = _STRAY.match(str(finding["message"]))
        key = (finding["report_id"], hit["head"], hit["at"], hit["tail"]) if hit else (id(finding),)
        rows.setdefault(key, []).append((finding, hit))
    out: list[dict] = []
    for items in rows.values():
        first, hit = items[0]
        if len(items) == 1 or hit is None:
            out.extend(f for f, _ in items)
            continue
        values = "、".join(f"“{h['value']}”" for _, h in items)
        columns = "、".join(h["col"] for _, h in items)
        out.append(
            {
                **first,
                "actual": " ".join(str(f["actual"]) for f, _ in items),
                "message": f"{hit['head']}{values}（{hit['at']}, columns {columns}）{hit['tail']}",
            }
        )
    return out


def findings(frame: pd.DataFrame, *, show_not_assessable: bool = True) -> page.Table | page.Note:
    """Findings sorted by severity, narrative mismatches first within each, messages in full.

    Not-assessable findings are summarised per rule and the stray values of
    one row grouped into one finding. Records counts by severity (before
    summarising) as ``findings``.
    """
    counts = frame["severity"].value_counts().to_dict() if len(frame) else {}
    record("findings", {s: int(counts.get(s, 0)) for s in SEVERITY_ORDER})
    if not len(frame):
        return page.Note("未发现问题 No findings")
    shown = frame if show_not_assessable else frame[frame["severity"] != "not_assessable"]
    shown = _summarised(shown) if len(shown) else shown
    order = shown.assign(
        _s=shown["severity"].map(SEVERITY_ORDER),
        _n=~shown["rule"].str.startswith("narrative."),
    ).sort_values(["_s", "_n", "rule"], kind="stable")
    rows = [
        [SEVERITY_LABEL.get(f.severity, f.severity), f.rule, f.message, _values_text(f.rule, f.expected, f.actual)]
        for f in order.itertuples()
    ]
    keys = [[SEVERITY_ORDER.get(f.severity, 9), f.rule, None, None] for f in order.itertuples()]
    columns = ["级别 Severity", "规则 Rule", "说明 Message", "数值 Values"]
    if "year" in order.columns:  # findings of a series: which year's report
        rows = [[_plain(_key(y)), *r] for y, r in zip(order["year"], rows)]
        keys = [[_key(y), *k] for y, k in zip(order["year"], keys)]
        columns = ["年度 Year", *columns]
    return page.Table(columns, rows, keys=keys, text=set(columns) - {"年度 Year"})


def series_findings(series: Corpus, severities: tuple[str, ...] = ("error", "warning")) -> pd.DataFrame:
    """The findings of a series of reports with ``severities``, each with its report's year."""
    found = series.findings[series.findings["severity"].isin(severities)]
    years = series.reports[["report_id", "year"]]
    return found.merge(years, on="report_id", how="left").sort_values("year", kind="stable")


def narrative_mismatches(frame: pd.DataFrame) -> page.Table | page.Note:
    """The narrative-against-table findings only (shown first in reports): 正文 and 表中 side by side."""
    hit = frame[frame["rule"].str.startswith("narrative.")] if len(frame) else frame
    record("narrative", len(hit[hit["severity"] == "error"]) if len(hit) else 0)
    if not len(hit):
        return page.Note("正文与表格一致 Text agrees with tables")
    hit = hit.assign(_s=hit["severity"].map(SEVERITY_ORDER)).sort_values(["_s", "rule"], kind="stable")
    rows = [
        [SEVERITY_LABEL.get(f.severity, f.severity), f.message, _plain(f.actual), _plain(f.expected)]
        for f in hit.itertuples()
    ]
    columns = ["级别 Severity", "说明 Message", "正文 Text", "表中 Table"]
    return page.Table(columns, rows, text={"级别 Severity", "说明 Message"})


def _plain(value) -> str:
    return "—" if value is None or pd.isna(value) or str(value) == "" else str(value)


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
    table.attrs["reasons"] = _reasons(long, "year")
    record(
        "trend",
        {str(y): {k: (None if pd.isna(v) else float(v)) for k, v in row.items()} for y, row in table.iterrows()},
    )
    return table


def _reasons(long: pd.DataFrame, *index: str) -> dict:
    """Why each null indicator is null (分母为0 …), by (index…, indicator)."""
    hit = long[long["value"].isna() & long["reason"].notna()]
    out = {}
    for *key, indicator, reason in hit[[*index, "indicator", "reason"]].itertuples(index=False, name=None):
        # the reason in words, without the cell ids that follow it ("…未求和: review_litigation.…")
        out[(*(_key(x) for x in key), indicator)] = re.split(r"\s*[:：]\s*[a-z_0-9]+\.", str(reason))[0]
    return out


def _key(value):
    return int(value) if isinstance(value, float) and float(value).is_integer() else value


_EXTRA_COLUMNS = {"样本过小 Small sample", "错误数 Errors", "有错误的报告占比 Share of reports with errors"}


def labelled(table: pd.DataFrame, *, highlight: str = "") -> page.Table:
    """The table for display: indicators named by their Chinese and English labels, values formatted one way.

    Rates as percentages with one decimal, counts as integers, a null as
    "—" with its reason; an agency-year index becomes 机关 and 年度 columns.
    Rows of ``highlight`` (an agency) are marked. Sortable in the export.
    """
    from gicstats.analysis.indicators import INDICATORS

    by_id = {i.id: i for i in INDICATORS}
    reasons = table.attrs.get("reasons", {})
    names = list(table.index.names) if isinstance(table.index, pd.MultiIndex) else [table.index.name]
    heads = [{"agency_key": "机关 Agency", "year": "年度 Year"}.get(str(n), str(n)) for n in names]
    columns = heads + [f"{by_id[c].label_zh} {by_id[c].label_en}" if c in by_id else str(c) for c in table.columns]
    rows, keys, marked = [], [], set()
    for i, (index, row) in enumerate(table.iterrows()):
        index = index if isinstance(index, tuple) else (index,)
        index = tuple(_key(x) for x in index)
        if highlight and highlight in index:
            marked.add(i)
        shown, sort = [str(x) for x in index], list(index)
        for column, value in row.items():
            text, key = _formatted(column, value, by_id, reasons.get((*index, column)))
            shown.append(text)
            sort.append(key)
        rows.append(shown)
        keys.append(sort)
    return page.Table(columns, rows, keys=keys, text={heads[0], "样本过小 Small sample"}, highlight=marked)


def _formatted(column: str, value, by_id: dict, reason: str | None) -> tuple[str, object]:
    if column == "样本过小 Small sample":
        labels = [by_id[i].label_zh if i in by_id else i for i in str(value).split("、") if i]
        return "、".join(labels), None
    if value is None or pd.isna(value):
        return "—" + (f"（{reason}）" if reason else ""), float("nan")
    value = float(value)
    if column == "有错误的报告占比 Share of reports with errors":
        return _rate(value), value
    indicator = by_id.get(column)
    if indicator is not None and indicator.unit == "ratio" and not column.endswith("_ratio"):
        return _rate(value), value
    if indicator is not None and indicator.unit == "ratio":
        return f"{value:.2f}", value
    return _count(value), value


def template_change_year(corpus: Corpus) -> int | None:
    """The first year on the 2021 template after a year on the 2019 template."""
    rows = corpus.reports.dropna(subset=["year"]).sort_values("year")
    prev = None
    for year, version in zip(rows["year"], rows["template_version"]):
        if prev == "2019" and version == "2021":
            return int(year)
        prev = version
    return None


def carry_over_continuity(corpus: Corpus) -> page.Table:
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
    return page.Table(list(frame.columns), [[str(x) for x in r] for r in frame.itertuples(index=False)], sortable=False)


def _show(value: float | None) -> str:
    return "—" if value is None else _count(value)


def findings_by_year(corpus: Corpus) -> page.Table | page.Note:
    """Counts of findings by year and severity."""
    f = corpus.findings.merge(corpus.reports[["report_id", "year"]], on="report_id")
    if f.empty:
        return page.Note("未发现问题 No findings")
    table = f.pivot_table(index="year", columns="severity", values="rule", aggfunc="count", fill_value=0)
    table = table.reindex(columns=[s for s in SEVERITY_ORDER if s in table.columns])
    table.index = table.index.astype(int)
    record("findings_by_year", {str(y): {k: int(v) for k, v in row.items()} for y, row in table.iterrows()})
    columns = ["年度 Year"] + [SEVERITY_LABEL[c] for c in table.columns]
    rows = [[str(y)] + [str(int(v)) for v in row] for y, row in table.iterrows()]
    return page.Table(columns, rows, keys=[[int(x) for x in r] for r in rows], sortable=False)


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


def compare_table(
    corpus: Corpus, indicator_ids: list[str], min_denominator: int = 30, *, keep: bool = True
) -> pd.DataFrame:
    """One row per agency-year.

    Indicators, a small-sample flag, and data quality (errors found,
    share of the agency's reports with an error). ``keep``: record it as
    ``compare`` (the table shown, not the peers a chart draws).
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
    out.attrs["reasons"] = _reasons(long, "agency_key", "year")
    if not keep:
        return out
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


def peers(corpus: Corpus, selection: Corpus, agency: str = "") -> tuple[Corpus, str]:
    """The reports a comparison's charts draw, and the agency they highlight.

    With ``agency`` given, or one agency alone in the selection, that agency
    is shown among its peers: every readable report of the corpus in the
    same years, or in any year when it has none there.
    """
    focus = agency or (selection.agencies[0] if len(selection.agencies) == 1 else "")
    if not focus:
        return selection, ""
    focus = agency_series(corpus, focus).agencies[0]
    years = selection.years
    same = corpus.select(year=range(years[0], years[-1] + 1), ok_only=True) if years else selection
    every = same if len(same.agencies) > 1 else corpus.select(ok_only=True)
    return every, focus


def ranking_chart(table: pd.DataFrame, indicator: str, label: str, *, highlight: str = ""):
    """Bar chart ranking agency-years on one indicator, on a percent axis; small samples hatched.

    ``highlight`` (an agency) draws its bars in a second colour. Outside a
    notebook the figure is returned.
    """
    names = [f"{a} {int(y)}" for a, y in table.index]
    series = pd.Series(table[indicator].astype(float).values, index=names)
    flagged = pd.Series([indicator in s.split("、") for s in table["样本过小 Small sample"]], index=names)
    marked = {n for n, (a, _) in zip(names, table.index) if highlight and a == highlight}
    return show_figure(
        plots.ranking(series, title=label, xlabel="百分比 (%)", flagged=flagged, percent=True, highlight=marked)
    )


def distribution_chart(table: pd.DataFrame, indicators: dict[str, str], *, highlight: str = "") -> None:
    """Box plots of several rate indicators across agency-years; ``highlight``'s values as points over them."""
    data = {label: table[i].astype(float).dropna() for i, label in indicators.items()}
    points = None
    if highlight:
        mine = table[[a == highlight for a, _ in table.index]]
        points = {label: mine[i].astype(float).dropna() for i, label in indicators.items()}
    show_figure(
        plots.distribution(
            data,
            caption=f"来源 Source：gicstats corpus；{len(table)}份报告",
            highlight=points,
            highlight_label=highlight,
        )
    )


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
    for columns, title, ylabel, percent in (
        (volumes, "申请量 Applications", "件", False),
        (rates, "比率 Rates", "百分比 (%)", True),
    ):
        if columns:
            show_figure(
                plots.trend(
                    table,
                    columns,
                    title=title,
                    ylabel=ylabel,
                    template_change=change,
                    caption=caption,
                    percent=percent,
                )
            )
