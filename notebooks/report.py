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
year = 2021

# %%
from gicstats.publish import sections as nb

data = nb.open_corpus(corpus)
report = nb.open_report(data, agency, year)
checks = report.check()
nb.record("title", f"{report.agency} {report.year}")
nb.report_header(report, data)

# %% [markdown]
# One agency-year report: headline figures, the four tables as printed, every
# finding of the checks, and charts. All numbers come from the corpus built by
# `gicstats build`; each cell keeps the file and the text it was read from.

# %% [markdown]
# ## 主要数字 Headline figures

# %%
nb.headline(report)

# %% [markdown]
# ## 正文与表格不一致 Text against tables
# Figures the narrative states that disagree with the tables come first.

# %%
nb.narrative_mismatches(checks)

# %% [markdown]
# ## 全部核查结果 All findings
# `error`: a number does not add up or contradicts another; `warning`: worth a
# look; `not_assessable`: a cell the check needs is blank, so it neither passes
# nor fails.

# %%
nb.findings(checks)

# %% [markdown]
# ## 统计表 The tables, with their printed labels

# %%
nb.tables(report)

# %% [markdown]
# ## 图表 Charts

# %%
nb.charts(report)
