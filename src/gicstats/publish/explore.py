"""What ``notebooks/explore.py`` calls: a first look at a corpus.

One function per section: coverage of agencies × years (a table and a
heatmap), finding an agency by part of its name or an alias, the tidy cells
queried with pandas and with DuckDB SQL over the Parquet files, a findings
browser by rule and severity, and indicator tables with quick charts. Each
records its key figures (:func:`gicstats.publish.sections.record`) for tests
and works in a plain Python session too, where charts come back as figures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gicstats.analysis import plots
from gicstats.corpus.store import TABLES, Corpus
from gicstats.form import template as T
from gicstats.publish.sections import (
    SEVERITY_LABEL,
    SEVERITY_ORDER,
    NotebookStop,
    indicator_frame,
    record,
    show_figure,
)

# shown by default in the indicator table (all are in gicstats.indicators.INDICATORS)
MAIN_INDICATORS = (
    "applications_received",
    "disclosure_rate",
    "full_grant_rate",
    "carry_forward_rate",
    "review_correction_rate_closed",
    "litigation_correction_rate_closed",
)


# --------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------


def coverage(corpus: Corpus) -> pd.DataFrame:
    """Agencies × years.

    How many readable reports each has (0 where none), with a last column
    of files that could not be read. Recorded as ``coverage`` (agency →
    years).
    """
    reports = corpus.reports
    ok = reports[reports["error"].isna() & reports["year"].notna()]
    table = pd.crosstab(ok["agency_key"].fillna("（未识别 unknown）"), ok["year"].astype(int))
    years = list(range(min(table.columns), max(table.columns) + 1)) if len(table.columns) else []
    table = table.reindex(columns=years, fill_value=0)
    failed = reports[reports["error"].notna()]
    if len(failed):
        table["无法读取 Unreadable"] = 0
        table.loc["（无法读取的文件 unreadable files）", :] = 0
        table.loc["（无法读取的文件 unreadable files）", "无法读取 Unreadable"] = len(failed)
    table = table.fillna(0).astype(int)
    table.index.name = "机关 Agency"
    table.columns.name = "年度 Year"
    record(
        "coverage",
        {str(a): [int(y) for y in years if table.loc[a, y] > 0] for a in table.index if not str(a).startswith("（")},
    )
    return table


def coverage_heatmap(corpus: Corpus):
    """The coverage table as a heatmap.

    A dark cell is a report, a white one a year without one.
    """
    table = coverage(corpus)
    table = table[[c for c in table.columns if isinstance(c, int)]]
    table = table[[not str(a).startswith("（") for a in table.index]]
    plots.setup_fonts()
    fig, ax = plots._subplots((max(4.5, 0.55 * len(table.columns) + 3), max(2.0, 0.38 * len(table) + 1.4)))
    if table.empty:
        plots._blank_note(ax)
    else:
        ax.imshow(table.values, cmap="Blues", vmin=0, vmax=max(1, int(table.values.max())), aspect="auto")
        ax.set_xticks(range(len(table.columns)), [str(y) for y in table.columns], fontsize=8)
        ax.set_yticks(range(len(table.index)), list(table.index), fontsize=9)
        for i in range(len(table.index)):
            for j in range(len(table.columns)):
                n = int(table.values[i, j])
                if n > 1:  # two files for one agency-year deserve a look
                    ax.text(j, i, str(n), ha="center", va="center", fontsize=8, color="white")
    ax.set_title("覆盖情况 Coverage: reports by agency and year", fontsize=11)
    fig.text(0.01, 0.01, "来源 Source：gicstats corpus", fontsize=8, color="#555555")
    plots._layout(fig, ax, right=0.2)
    return show_figure(fig)


# --------------------------------------------------------------------------
# Finding an agency
# --------------------------------------------------------------------------


def find_agency(corpus: Corpus, query: str) -> pd.DataFrame:
    """Agencies whose grouped name, alias or printed title name contains ``query``.

    Aliases come from the reviewed alias file; full- and half-width match
    alike. One row per agency: what matched, its region and years. Recorded
    as ``find`` (agency → what matched).

    Raises:
        NotebookStop: nothing matches; the message lists the closest names.
    """
    hits = corpus.find_agency(query)
    record("find", {row.agency: row.matched for row in hits.itertuples()})
    if hits.empty:
        import difflib

        names = corpus.agencies + sorted(set(corpus.aliases.values()))
        close = difflib.get_close_matches(query, names, n=5, cutoff=0.3)
        raise NotebookStop(f"没有机关的名称或别名包含“{query}”；相近的有：{'、'.join(close) or '（无）'}")
    return hits.rename(
        columns={"agency": "机关 Agency", "matched": "匹配 Matched", "region": "地区 Region", "years": "年度 Years"}
    )


# --------------------------------------------------------------------------
# Cells with pandas and with DuckDB
# --------------------------------------------------------------------------


def cells_for(corpus: Corpus, table: str, row: str, column: str = "total") -> pd.DataFrame:
    """One cell of the form for every report, with pandas.

    Agencies as rows, years as columns; a blank or unreadable cell stays
    blank (never 0). Recorded as ``cells:<table>.<row>.<column>``
    (``agency|year`` → value).
    """
    cells = corpus.cells
    hit = cells[(cells["table"] == table) & (cells["row"] == row) & (cells["column"] == column)]
    hit = hit.merge(corpus.reports[["report_id", "agency_key", "year"]], on="report_id")
    wide = hit.pivot_table(index="agency_key", columns="year", values="value", aggfunc="first", dropna=False)
    wide = wide.astype("Float64")
    wide.index.name = "机关 Agency"
    wide.columns = [int(y) for y in wide.columns]
    record(
        f"cells:{table}.{row}.{column}",
        {
            f"{a}|{int(y)}": (None if pd.isna(v) else float(v))
            for a, y, v in zip(hit["agency_key"], hit["year"], hit["value"])
        },
    )
    return wide


def sql(corpus: Corpus, query: str) -> pd.DataFrame:
    """Run DuckDB SQL over the corpus.

    ``reports``, ``cells``, ``findings`` and ``sections`` name its tables:
    views over the Parquet files when the corpus was read from a folder,
    else the frames in memory. Recorded as ``sql`` (the result's records).
    """
    con = connect(corpus)
    try:
        result = con.sql(query).df()
    finally:
        con.close()
    record("sql", result.astype(object).where(result.notna(), None).to_dict(orient="records"))
    return result


def connect(corpus: Corpus):
    """A DuckDB connection with the corpus tables as views."""
    import duckdb

    con = duckdb.connect()
    for name in TABLES:
        file = Path(corpus.path) / f"{name}.parquet" if corpus.path else None  # a selection has no path
        if file is not None and file.is_file():
            literal = str(file).replace("'", "''")
            con.sql(f"create view {name} as select * exclude (build_id) from read_parquet('{literal}')")
        else:
            con.register(name, getattr(corpus, name))
    return con


# --------------------------------------------------------------------------
# Findings browser
# --------------------------------------------------------------------------


def findings_summary(corpus: Corpus) -> pd.DataFrame:
    """Findings counted by rule (rows) and severity (columns), most serious first.

    Recorded as ``findings_by_rule`` (rule → severity → count).
    """
    f = corpus.findings
    if f.empty:
        record("findings_by_rule", {})
        return pd.DataFrame({"结果 Result": ["未发现问题 No findings"]})
    table = f.pivot_table(index="rule", columns="severity", values="report_id", aggfunc="count", fill_value=0)
    table = table.reindex(columns=[s for s in SEVERITY_ORDER if s in table.columns])
    table = table.sort_values(list(table.columns), ascending=False)
    record("findings_by_rule", {r: {k: int(v) for k, v in row.items() if v} for r, row in table.iterrows()})
    table.columns = [SEVERITY_LABEL[c] for c in table.columns]
    table.index.name = "规则 Rule"
    return table


def browse_findings(corpus: Corpus, *, rule: str = "", severity: str = "") -> pd.DataFrame:
    """The findings of one rule (or rule prefix) and/or severity, with each one's agency, year and file.

    A rule prefix is such as ``narrative.``. Recorded as ``browse`` (how
    many).
    """
    f = corpus.findings
    if rule:
        f = f[f["rule"].str.startswith(rule)]
    if severity:
        if severity not in SEVERITY_ORDER:
            raise NotebookStop(f"未知的级别“{severity}”；可选：{'、'.join(SEVERITY_ORDER)}")
        f = f[f["severity"] == severity]
    meta = corpus.reports[["report_id", "agency_key", "year", "report"]]
    out = f.merge(meta, on="report_id", how="left").sort_values(["agency_key", "year", "rule"])
    record("browse", len(out))
    out = out[["agency_key", "year", "report", "severity", "rule", "message"]].reset_index(drop=True)
    out["severity"] = out["severity"].map(SEVERITY_LABEL)
    out.columns = ["机关 Agency", "年度 Year", "文件 File", "级别 Severity", "规则 Rule", "说明 Message"]
    return out


# --------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------


def indicator_table(corpus: Corpus, indicator_ids=MAIN_INDICATORS) -> pd.DataFrame:
    """One row per agency-year, one column per indicator (values; rates as ratios), labelled in Chinese and English.

    Recorded as ``indicators``.
    """
    from gicstats.analysis.indicators import INDICATORS

    long = indicator_frame(corpus)
    long = long[long["indicator"].isin(indicator_ids)]
    table = long.pivot_table(index=["agency_key", "year"], columns="indicator", values="value", aggfunc="first")
    table = table.reindex(columns=list(indicator_ids)).astype("Float64")
    table.index = table.index.set_levels(table.index.levels[1].astype(int), level=1)
    record(
        "indicators",
        {
            f"{a}|{int(y)}": {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
            for (a, y), row in table.iterrows()
        },
    )
    names = {i.id: f"{i.label_zh} {i.label_en}" for i in INDICATORS}
    table.index.names = ["机关 Agency", "年度 Year"]
    return table.rename(columns=names)


def quick_charts(corpus: Corpus, indicator: str = "disclosure_rate"):
    """A ranking of agency-years on one rate, and the spread of the main rates.

    Small samples are hatched.
    """
    from gicstats.analysis.indicators import INDICATORS

    spec = {i.id: i for i in INDICATORS}
    if indicator not in spec:
        raise NotebookStop(f"未知的指标“{indicator}”")
    long = indicator_frame(corpus)
    one = long[long["indicator"] == indicator]
    names = [f"{a} {int(y)}" for a, y in zip(one["agency_key"], one["year"])]
    values = pd.Series(one["value"].astype(float).values, index=names)
    flagged = pd.Series(one["small_sample"].astype(bool).values, index=names)
    label = f"{spec[indicator].label_zh} {spec[indicator].label_en}"
    shown = [show_figure(plots.ranking(values, title=label, xlabel="比率 (ratio)", flagged=flagged))]
    rates = [i for i in ("disclosure_rate", "full_grant_rate", "carry_forward_rate") if i in spec]
    data = {spec[i].label_zh: long.loc[long["indicator"] == i, "value"].astype(float).dropna() for i in rates}
    shown.append(show_figure(plots.distribution(data, caption=f"来源 Source：gicstats corpus；{len(one)}份报告")))
    return shown if shown[0] is not None else None


def normalize(text: str) -> str:
    """The form's text normalisation (full-width to half-width, spaces out)."""
    return T.normalize(text)
