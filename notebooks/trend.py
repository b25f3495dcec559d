# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
corpus = ""  # empty: $GICSTATS_CORPUS (set by `gicstats lab`), else reports/corpus
agency = "平潭综合实验区"

# %%
from gicstats.publish import sections as nb

data = nb.open_corpus(corpus)
series = nb.agency_series(data, agency)
change = nb.template_change_year(series)
nb.record("years", series.years)
nb.trend_header(series, data, agency)

# %% [markdown]
# One agency across years: volumes and rates over time with the change of
# template marked, carry-over continuity between years, and findings across the
# series. Rates are harmonised across the 2019 and 2021 templates only where
# the rows mean the same.

# %%
print(
    f"{series.agencies[0]}：{len(series)}份报告，{series.years[0]}–{series.years[-1]}年"
    + (f"；{change}年起使用2021版模板" if change else "")
)

# %% [markdown]
# ## 指标 Indicators by year

# %%
table = nb.trend_table(
    series,
    [
        "applications_received",
        "workload",
        "disclosure_rate",
        "full_grant_rate",
        "unable_share",
        "carry_forward_rate",
        "review_correction_rate_closed",
    ],
)
nb.labelled(table)

# %%
nb.trend_charts(table, change, agency)

# %% [markdown]
# ## 结转衔接 Carry-over continuity
# This year's 上年结转 should equal last year's 结转下年度继续办理; only adjacent
# years can be compared.

# %%
nb.carry_over_continuity(series)

# %% [markdown]
# ## 历年核查结果 Findings across the series

# %%
nb.findings_by_year(series)

# %%
nb.findings(nb.series_findings(series))
