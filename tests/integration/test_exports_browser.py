"""Exports of a real batch run, read and clicked in headless Chromium.

A batch run over the bundled corpus (seven reports, 平潭综合实验区's trend
and the comparison) leaves the folder a user shares; Chromium opens
the exports from ``file://`` with host name resolution off (no network)
and reports the DOM after the pages' scripts ran. Links are followed by
clicking them in a copy of the page beside it (the probe script of
``test_browser.py``), so the relative links are resolved by the browser
itself. Skipped only when no Chromium is found.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_browser import CHROMIUM, Browser, probe, probe_result

from gicstats.publish.batch import Options, plan, run_batch

AGENCY = "平潭综合实验区"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary found (see test_browser.py)")

CHART_TITLES = {
    "本年新收申请的申请人构成 New applications by applicant type",
    "本年度办理结果 Outcomes of applications handled",
    "行政复议、行政诉讼结果 Administrative review and litigation outcomes",
    "主动公开：行政许可、处罚、强制等处理决定数量 Decisions published (licensing, penalties, coercion)",
    "申请量 Applications",
    "比率 Rates",
    "公开率排名 Disclosure rate, (予以公开+部分公开)/总计",
    "无法提供占比排名 Share unable to provide",
    "指标分布 Distribution of indicators",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory, bundled_corpus):
    out = tmp_path_factory.mktemp("exports")
    runs = plan(bundled_corpus)  # every export, so that every link has its target
    result = run_batch(runs, out, jobs=2, options=Options(timeout=600))
    assert result.failed == [], result.failed
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    return Browser(tmp_path_factory.mktemp("browser-home"))


def _page(site: Path, notebook: str, name: str) -> Path:
    path = site / notebook / f"{name}.html"
    assert path.is_file(), sorted(p.name for p in (site / notebook).iterdir())
    return path


def _title(dom: str) -> str:
    found = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert found, dom[:500]
    return html.unescape(found.group(1))


def test_title_header_and_table_of_contents(site, browser):
    report = _page(site, "report", f"{AGENCY}_2021")
    dom = browser.dom(report.as_uri())
    title = f"{AGENCY} 2021年政府信息公开工作年度报告 · 数据核查"
    assert _title(dom) == title
    assert f"<h1>{title}</h1>" in dom
    head = re.search(r'<p class="gicstats-meta">(.*?)</p>', dom, re.S).group(1)
    assert "发布 Published 2022-02-08" in head
    assert "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202202/t20220208_80613.htm" in head
    assert "pingtan_2021.txt（sha256 b6c67f00cebb）" in head
    assert re.search(r"生成 Generated \d{4}-\d{2}-\d{2} · gicstats \d", head)
    toc = re.search(r'<nav aria-label="目录 Contents" class="gicstats-toc">(.*?)</nav>', dom, re.S)
    toc = toc or re.search(r'<nav class="gicstats-toc" aria-label="目录 Contents">(.*?)</nav>', dom, re.S)
    assert toc, "no table of contents"
    entries = re.findall(r'<a href="#(sec-\d+)">(.*?)</a>', toc.group(1))
    assert [t for _, t in entries] == [
        "主要数字 Headline figures",
        "正文与表格不一致 Text against tables",
        "全部核查结果 All findings",
        "统计表 The tables, with their printed labels",
        "图表 Charts",
    ]
    for anchor, text in entries:  # each entry points at its heading
        assert f'<h2 id="{anchor}">{text}</h2>' in dom
    # clicking an entry scrolls to its section
    script = (
        "var link = document.querySelector('.gicstats-toc a[href=\"#sec-4\"]'); link.click();"
        "var target = document.getElementById('sec-4');"
        "return {hash: location.hash, top: Math.round(target.getBoundingClientRect().top), y: window.scrollY};"
    )
    res = probe_result(browser.dom(probe(report, script, "probe-toc.html").as_uri()))
    assert res["hash"] == "#sec-4" and res["y"] > 0 and abs(res["top"]) <= 2


def test_links_back_and_across_are_followed_by_a_click(site, browser):
    report = _page(site, "report", f"{AGENCY}_2021")
    landings = {
        "← 全部导出 All exports": ("index.html", None),
        f"{AGENCY} 历年趋势 Trend": (
            f"trend/{AGENCY}.html",
            f"{AGENCY} 2019–2025年政府信息公开工作年度报告 · 历年趋势",
        ),
        "2023年报告 Report": (f"report/{AGENCY}_2023.html", f"{AGENCY} 2023年政府信息公开工作年度报告 · 数据核查"),
        "机关比较 Compare 2019-2025": ("compare/2019-2025.html", "2019–2025年政府信息公开工作年度报告 · 机关比较"),
    }
    for i, (text, (target, title)) in enumerate(landings.items()):
        script = (
            "var hit = Array.prototype.filter.call(document.querySelectorAll('nav.gicstats-nav a'), function (a) {"
            f" return a.textContent.trim() === {text!r}; }});"
            "if (hit.length !== 1) { return null; }"
            "var href = hit[0].getAttribute('href'); hit[0].click(); return href;"
        )
        dom = browser.dom(probe(report, script, f"probe-link-{i}.html").as_uri())
        # the click navigated: the DOM is the landing page's, without the probe's result
        assert '<pre id="probe">' not in dom, f"{text!r} was not followed"
        if title is None:
            assert "<h1>" in dom and 'data-js="ready"' in dom  # the index, its own script running
        else:
            assert _title(dom) == title
        assert (site / target).is_file()
    # from the trend back to a report and to the index, and from the comparison to the trend
    trend = _page(site, "trend", AGENCY)
    compare = _page(site, "compare", "2019-2025")
    for page, text, title in (
        (trend, "2021年报告 Report", f"{AGENCY} 2021年政府信息公开工作年度报告 · 数据核查"),
        (compare, f"{AGENCY} 历年趋势 Trend", f"{AGENCY} 2019–2025年政府信息公开工作年度报告 · 历年趋势"),
    ):
        script = (
            "var hit = Array.prototype.filter.call(document.querySelectorAll('nav.gicstats-nav a'), function (a) {"
            f" return a.textContent.trim() === {text!r}; }});"
            "if (hit.length !== 1) { return null; } hit[0].click(); return 1;"
        )
        dom = browser.dom(probe(page, script, "probe-across.html").as_uri())
        assert '<pre id="probe">' not in dom and _title(dom) == title
    # every link of every export is relative and lands on a file of the folder
    for export in sorted(site.glob("*/*.html")):
        text = export.read_text(encoding="utf-8")
        nav = re.search(r'<nav aria-label="导航 Navigation" class="gicstats-nav">(.*?)</nav>', text, re.S)
        assert nav, export
        for href in re.findall(r'href="([^"]+)"', nav.group(1)):
            assert not urlsplit(href).scheme and href.startswith("../"), href
            assert (export.parent / unquote(html.unescape(href))).resolve().is_file(), (export.name, href)


def test_findings_are_shown_in_full(site, browser):
    dom = browser.dom(_page(site, "report", f"{AGENCY}_2019").as_uri())
    text = html.unescape(re.sub(r"<[^>]+>", "\n", dom))
    # the 2019 report's digit runs that split several ways: every candidate named, nothing cut
    assert (
        "行“规范性文件”的数字串“898989”有多种拆分（8,9,8989 | 8,98,989 | 8,989,89 | 8,9898,9 | 89,8,989 | "
        "89,89,89 | 89,898,9 | 898,9,89 等10种），无法唯一确定，未读取"
    ) in text
    assert "…" not in text and "..." not in text
    # messages are left-aligned prose, without a pandas row index
    script = (
        "var t = document.querySelectorAll('table.gicstats-table')[0];"
        "var rows = document.querySelectorAll('table.gicstats-sortable');"
        "var msg = Array.prototype.filter.call(rows, function (x) {"
        " return x.tHead.textContent.indexOf('说明 Message') >= 0; })[0];"
        "var cell = msg.tBodies[0].rows[0].cells[2];"
        "return {align: getComputedStyle(cell).textAlign, heads: Array.prototype.map.call(msg.tHead.rows[0].cells,"
        " function (c) { return c.textContent.trim(); }), first: t.tHead.rows.length};"
    )
    res = probe_result(browser.dom(probe(_page(site, "report", f"{AGENCY}_2019"), script, "probe-find.html").as_uri()))
    assert res["align"] == "left"
    assert res["heads"] == ["级别 Severity", "规则 Rule", "说明 Message", "数值 Values"]


def test_table_three_keeps_its_group_labels(site, browser):
    dom = browser.dom(_page(site, "report", f"{AGENCY}_2021").as_uri())
    groups = re.findall(r'<tr class="grp"><th colspan="8">(.*?)</th></tr>', dom)
    assert groups == ["三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"]
    # each "1." row sits under its group: the labels in printed order
    table = dom[dom.index("三、本年度办理结果") :]
    labels = ("（三）不予公开", "1.属于国家秘密", "（四）无法提供", "1.本机关不掌握相关政府信息")
    order = [table.index(x) for x in labels]
    assert order == sorted(order)


def test_alt_text_of_every_chart_is_its_title(site, browser):
    for page in (
        _page(site, "report", f"{AGENCY}_2021"),
        _page(site, "trend", AGENCY),
        _page(site, "compare", "2019-2025"),
    ):
        script = "return Array.prototype.map.call(document.images, function (i) { return [i.alt, i.naturalWidth]; });"
        images = probe_result(browser.dom(probe(page, script, "probe-alt.html").as_uri()))
        assert images, page
        assert all(alt in CHART_TITLES and width > 100 for alt, width in images), images
    text = "".join(p.read_text(encoding="utf-8") for p in site.glob("*/*.html"))
    assert "No description has been provided" not in text


def test_an_all_zero_report_gets_sentences_not_empty_axes(site, browser):
    # 天门市公安局 2020 printed 0 in every cell of tables 三 and 四; only its 主动公开 decisions are drawn
    tianmen = _page(site, "report", "天门市公安局_2020")
    script = "return Array.prototype.map.call(document.images, function (i) { return i.alt; });"
    images = probe_result(browser.dom(probe(tianmen, script, "probe-zero.html").as_uri()))
    assert images == [
        "主动公开：行政许可、处罚、强制等处理决定数量 Decisions published (licensing, penalties, coercion)"
    ]
    dom = browser.dom(tianmen.as_uri())
    for title in (
        "本年新收申请的申请人构成 New applications by applicant type",
        "本年度办理结果 Outcomes of applications handled",
        "行政复议、行政诉讼结果 Administrative review and litigation outcomes",
    ):
        assert f'<p class="gicstats-note">{title}：表中各项均为0，无可绘制 (every value is 0)</p>' in dom


def test_sortable_tables_work_from_file_with_the_network_off(site, browser):
    trend = _page(site, "trend", AGENCY)
    # under the page's own CSP the script ran (its hash matched) and readied the tables
    dom = browser.dom(trend.as_uri())
    assert 'data-sortable="ready"' in dom
    assert "<script src" not in dom and "<link" not in dom
    script = r"""
      var table = Array.prototype.filter.call(document.querySelectorAll("table.gicstats-sortable"), function (t) {
        return t.tHead.textContent.indexOf("公开率") >= 0; })[0];
      function years() { return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
        return r.cells[0].textContent; }); }
      function head(text) { return Array.prototype.filter.call(table.tHead.rows[0].cells, function (c) {
        return c.textContent.indexOf(text) === 0; })[0]; }
      var out = {initial: years()};
      var rate = head("公开率");
      rate.querySelector("button").click(); out.asc = years(); out.ascSort = rate.getAttribute("aria-sort");
      rate.querySelector("button").click(); out.desc = years();
      rate.querySelector("button").click(); out.reset = years();
      var review = head("行政复议纠错率");
      review.querySelector("button").click(); out.nullAsc = years();
      review.querySelector("button").click(); out.nullDesc = years();
      return out;
    """
    res = probe_result(browser.dom(probe(trend, script, "probe-sort.html").as_uri()))
    assert res["initial"] == ["2019", "2021", "2023", "2025"]
    # 公开率 34.8%, 50.7%, 51.9%, 48.0%
    assert res["asc"] == ["2019", "2025", "2021", "2023"] and res["ascSort"] == "ascending"
    assert res["desc"] == ["2023", "2021", "2025", "2019"]
    assert res["reset"] == res["initial"]
    # 复议纠错率 —（分母为0）, 0.0%, 50.0%, 8.3%: the null last either way
    assert res["nullAsc"] == ["2021", "2025", "2023", "2019"]
    assert res["nullDesc"] == ["2023", "2025", "2021", "2019"]


def test_numbers_are_formatted_one_way(site):
    text = "".join(html.unescape(re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8"))) for p in site.glob("*/*.html"))
    body = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    for raw in (r"<NA>", r"agency_key", r"disclosure_rate", r"0\.347826", r"\b23\.0\b", r"\bnan\b"):
        assert not re.search(raw, body), raw
    assert "34.8%" in body and "—（分母为0）" in body
