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
year_from = 2019
year_to = 2025
region = ""
agency = ""  # one agency to show among its peers (highlighted); empty: none

# %%
from gicstats.publish import sections as nb

data = nb.open_corpus(corpus)
selection = nb.compare_selection(data, year_from, year_to, region)
drawn, focus = nb.peers(data, selection, agency)
nb.record("selection", {"reports": len(selection), "agencies": selection.agencies})
nb.compare_header(selection, data, year_from, year_to, region, focus)

# %% [markdown]
# Many agencies of a corpus in one year or a range of years: rankings and
# distributions of the indicators. Rates on fewer than 30 applications are
# marked as small samples (a rate of 100% on 2 cases is not a finding), and a
# data-quality column shows the share of each agency's reports with errors.
# One agency (given, or alone in the selection) is highlighted among its peers
# in the corpus.

# %%
print(f"{year_from}–{year_to}年：{len(selection.agencies)}个机关，{len(selection)}份报告")

# %% [markdown]
# ## 指标表 Indicators by agency and year

# %%
INDICATORS = [
    "applications_received",
    "disclosure_rate",
    "full_grant_rate",
    "unable_share",
    "not_processed_share",
    "carry_forward_rate",
    "dispute_conversion_rate",
]
table = nb.compare_table(selection, INDICATORS)
nb.labelled(table, highlight=focus)

# %% [markdown]
# ## 排名 Rankings

# %%
chart_table = table if drawn is selection else nb.compare_table(drawn, INDICATORS, keep=False)
nb.ranking_chart(chart_table, "disclosure_rate", "公开率排名 Disclosure rate, (予以公开+部分公开)/总计", highlight=focus)

# %%
nb.ranking_chart(chart_table, "unable_share", "无法提供占比排名 Share unable to provide", highlight=focus)

# %% [markdown]
# ## 分布 Distributions

# %%
nb.distribution_chart(
    chart_table,
    {
        "disclosure_rate": "公开率",
        "full_grant_rate": "予以公开率",
        "unable_share": "无法提供",
        "carry_forward_rate": "结转率",
    },
    highlight=focus,
)
