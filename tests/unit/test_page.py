"""The page around an export (gicstats.publish.page): escaping, contents, the CSP that lets the sorter run."""

from __future__ import annotations

import base64
import hashlib
import re

import pandas as pd

from gicstats.publish import page
from gicstats.publish.batch import Run


def test_title_header_and_tables_escape_text_from_reports():
    body = page.Header(
        "甲局 <script>alert(1)</script>",
        [
            ("文件 File", 'a"b.html', None),
            ("原文链接 Source", "https://x.gov.cn/?a=1&b=<2>", "https://x.gov.cn/?a=1&b=<2>"),
        ],
        [("← 全部导出 All exports", page.href("index.html"))],
    )._repr_html_()
    table = page.Table(["说明 Message"], [["表中“<b>行政”为3件"]], text={"说明 Message"})._repr_html_()
    doc = page.document(body + "<h2>统计表 <i>Tables</i></h2>" + table, title="平潭 <2021>")
    assert "<script>alert(1)" not in doc and "甲局 &lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "<title>平潭 &lt;2021&gt;</title>" in doc
    assert 'href="https://x.gov.cn/?a=1&amp;b=&lt;2&gt;"' in doc and "a&quot;b.html" in doc
    assert "表中“&lt;b&gt;行政”为3件" in doc
    # the contents replace the header's slot, and link to the numbered heading
    assert '<nav class="gicstats-toc"></nav>' not in doc
    assert '<li><a href="#sec-1">统计表 Tables</a></li>' in doc and '<h2 id="sec-1">统计表 <i>Tables</i></h2>' in doc


def test_the_csp_allows_exactly_the_sorting_script():
    doc = page.document("<p>x</p>", title="t")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', doc).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", doc, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp and "img-src data:" in csp
    assert "http" not in csp


def test_links_follow_the_batch_naming():
    assert page.href("index.html") == "../index.html"
    assert (
        page.export_href("trend", "平潭综合实验区")
        == "../trend/%E5%B9%B3%E6%BD%AD%E7%BB%BC%E5%90%88%E5%AE%9E%E9%AA%8C%E5%8C%BA.html"
    )
    # a name a file cannot hold gets the batch's hash suffix, so the link still finds it
    assert page.export_key("report", "甲局/乙处_2021").startswith("report/甲局_乙处_2021-")
    for notebook, label in (
        ("report", "平潭综合实验区_2021"),
        ("report", "甲局/乙处_2021"),
        ("trend", "<script>alert(1)</script>"),
        ("trend", "很长的机关名称" * 10),
        ("compare", "2019-2025"),
    ):
        assert page.export_key(notebook, label) == Run(notebook, {}, label).key


def test_table_sort_keys_mark_nulls_and_text():
    html = page.Table(
        ["年度", "率"], [["2019", "—（分母为0）"], ["2021", "50.0%"]], keys=[[2019, float("nan")], [2021, 0.5]]
    )
    out = html._repr_html_()
    assert '<td class="n" data-v="">—（分母为0）</td>' in out and '<td class="n" data-v="0.5">50.0%</td>' in out
    assert "gicstats-sortable" in out
    assert repr(html).splitlines()[1].split() == ["2019", "—（分母为0）"]
    assert isinstance(html.frame(), pd.DataFrame)
