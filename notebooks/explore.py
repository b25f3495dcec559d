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

# %% [markdown]
# # 政府信息公开工作年度报告：语料库概览
# A first look at a corpus: which agencies and years it covers, finding an
# agency, the tidy cells with pandas and with SQL, the findings of the checks,
# and the indicators. Change the parameters below and run again; every
# function called here is in `gicstats.publish.explore`.

# %% tags=["parameters"]
corpus = ""  # empty: $GICSTATS_CORPUS (set by `gicstats lab`), else reports/corpus
find = "平潭"  # an agency: part of its name, or an alias
rule = "narrative."  # findings whose rule starts with this
severity = "error"  # error, warning, not_assessable or info; empty: all

# %%
from gicstats.publish import explore as ex
from gicstats.publish import sections as nb

data = nb.open_corpus(corpus)
data

# %% [markdown]
# ## 覆盖情况 Coverage: agencies × years

# %%
ex.coverage_heatmap(data)

# %% [markdown]
# ## 查找机关 Find an agency
# By part of its name, an alias from the reviewed alias file, or a name
# printed in a report title.

# %%
ex.find_agency(data, find)

# %% [markdown]
# ## 单元格 Cells with pandas
# `data.cells` is the tidy table: one row per cell, with the text as printed
# (`raw`) and where it was found (`source`, `locator`). Here: 本年新收 (new
# applications) by agency and year; a blank cell stays blank.

# %%
ex.cells_for(data, "applications", "new_received", "total")

# %% [markdown]
# ## 单元格 Cells with DuckDB SQL
# The same Parquet files, queried in SQL: `reports`, `cells`, `findings` and
# `sections` are views over them.

# %%
ex.sql(
    data,
    """
    select r.agency_key as agency, r.year, c.value as handled, c.raw, c.locator
    from cells c join reports r using (report_id)
    where c."table" = 'applications' and c."row" = 'results_total' and c."column" = 'total'
    order by agency, r.year
    """,
)

# %% [markdown]
# ## 核查结果 Findings by rule and severity

# %%
ex.findings_summary(data)

# %%
ex.browse_findings(data, rule=rule, severity=severity)

# %% [markdown]
# ## 指标 Indicators
# Rates are ratios (0.35, not 35 %); a blank is a value that cannot be
# computed exactly, never a guess.

# %%
ex.indicator_table(data)

# %%
ex.quick_charts(data, "disclosure_rate")
