"""The three notebooks, executed with papermill on the bundled data.

Assertions are on what the notebooks computed (their recorded values and
outputs), not only on their having run.
"""

from __future__ import annotations

import re
import warnings

import pytest
from helpers import DATA

import gicstats
from gicstats.analysis import plots
from gicstats.publish import execute as notebooks


def _run(tmp_path, name, params, bundled_corpus):
    out = tmp_path / f"{name}.ipynb"
    nb = notebooks.execute(name, {"corpus": str(bundled_corpus), **params}, out, cwd=tmp_path)
    assert out.is_file()
    stderr = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr")
    assert "missing from font" not in stderr
    return nb, notebooks.records(nb)


def test_report_notebook(tmp_path, bundled_corpus):
    nb, rec = _run(tmp_path, "report", {"agency": "平潭综合实验区", "year": 2021}, bundled_corpus)
    assert rec["report"] == {
        "agency": "平潭综合实验区",
        "year": 2021,
        "template_version": "2021",
        "source": "pingtan_2021.txt",
    }
    head = rec["headline"]
    assert head["本年新收申请 New applications"] == 70
    assert head["办理结果总计 Handled"] == 69
    assert head["公开率 Disclosure rate"] == round(35 / 69 * 100, 1)
    assert head["行政诉讼（直接起诉） Suits, direct"] == 12
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 4
    html = notebooks.export_html(nb, tmp_path / "r.html", title="平潭 <2021>")
    page = html.read_text(encoding="utf-8")
    # the notebook's own title (agency and year) wins over the caller's; escaping: tests/unit/test_page.py
    assert '<meta charset="utf-8">' in page and "平潭 &lt;2021&gt;" not in page
    assert "<title>平潭综合实验区 2021年政府信息公开工作年度报告 · 数据核查</title>" in page
    # the one external URL is the report's own page (原文链接), a link to click, never a resource to load
    source = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202202/t20220208_80613.htm"
    assert re.findall(r"https?://[^\s\"<>]+", page) == [source, source]
    assert f'<a href="{source}">{source}</a>' in page
    assert page.count("data:image/png;base64") == 4
    assert "予以公开" in page and "import gicstats" not in page and "from gicstats" not in page


def test_report_notebook_on_the_seed_shows_the_narrative_mismatch(tmp_path, bundled_corpus):
    nb, rec = _run(tmp_path, "report", {"agency": "天门市公安局", "year": 2020}, bundled_corpus)
    assert rec["narrative"] >= 1
    text = "".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "3328" in text and "3228" in text


def test_trend_notebook(tmp_path, bundled_corpus):
    _, rec = _run(tmp_path, "trend", {"agency": "平潭综合实验区"}, bundled_corpus)
    assert rec["years"] == [2019, 2021, 2023, 2025]
    trend = rec["trend"]
    assert [trend[y]["applications_received"] for y in ("2019", "2021", "2023", "2025")] == [23, 70, 81, 154]
    assert trend["2021"]["disclosure_rate"] == pytest.approx(35 / 69)
    # the series has gaps: no year can be checked against the one before
    assert rec["carry_over"] == ["缺上一年报告 previous year missing"] * 4


def test_compare_notebook(tmp_path, bundled_corpus):
    _, rec = _run(tmp_path, "compare", {"year_from": 2019, "year_to": 2025}, bundled_corpus)
    assert rec["selection"] == {
        "reports": 7,
        "agencies": ["上海市人民政府办公厅", "天门市公安局", "平潭综合实验区", "淮安市洪泽区人民政府"],
    }
    row = rec["compare"]["平潭综合实验区|2019"]
    assert row["applications_received"] == 23
    assert "disclosure_rate" in row["样本过小 Small sample"]  # 23 applications: a small sample
    assert rec["compare"]["平潭综合实验区|2025"]["样本过小 Small sample"] == ""
    assert rec["compare"]["天门市公安局|2020"]["错误数 Errors"] >= 1  # the 3328/3228 mismatch


def test_unknown_parameter_is_rejected_before_running(tmp_path, bundled_corpus):
    with pytest.raises(gicstats.GicstatsError, match=r"unknown parameter 'yaer' \(did you mean 'year'\?\)"):
        notebooks.execute("report", {"corpus": str(bundled_corpus), "agency": "x", "yaer": 2021}, tmp_path / "x.ipynb")
    assert not (tmp_path / "x.ipynb").exists()


def test_agency_not_in_corpus_stops_with_a_clear_message(tmp_path, bundled_corpus):
    with pytest.raises(gicstats.GicstatsError, match="NotebookStop: 语料库中没有机关“某某局”"):
        notebooks.execute(
            "report",
            {"corpus": str(bundled_corpus), "agency": "某某局", "year": 2021},
            tmp_path / "y.ipynb",
            cwd=tmp_path,
        )
    assert not (tmp_path / "y.ipynb").exists()


def test_charts_render_chinese_without_missing_glyphs():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for make in (plots.applicant_mix, plots.outcome_breakdown, plots.review_litigation, plots.proactive):
            fig = make(report)
            fig.canvas.draw()
    assert plots.setup_fonts() is not None


def test_compare_of_one_agency_shows_it_among_its_peers(bundled_corpus):
    from gicstats.publish import sections as nb

    corpus = nb.open_corpus(bundled_corpus)
    selection = nb.compare_selection(corpus, 2025, 2025)
    assert selection.agencies == ["平潭综合实验区"]
    drawn, focus = nb.peers(corpus, selection)
    # no other agency reported for 2025: its peers are every readable report of the corpus
    assert focus == "平潭综合实验区" and len(drawn) == 7 and len(drawn.agencies) == 4
    table = nb.compare_table(drawn, ["disclosure_rate"], keep=False)
    fig = nb.ranking_chart(table, "disclosure_rate", "公开率排名", highlight=focus)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    orange = [
        label
        for label, bar in zip(labels, ax.patches)
        if bar.get_facecolor()[:3] == (0xDD / 255, 0x84 / 255, 0x52 / 255)
    ]
    # 天门 2020 has no rate (分母为0): six bars, the four years of 平潭 highlighted
    assert len(labels) == 6 and sorted(orange) == [f"平潭综合实验区 {y}" for y in (2019, 2021, 2023, 2025)]
    assert ax.xaxis.get_major_formatter()(0.5, 0) == "50%"
    assert plots.title_of(fig) == "公开率排名"
