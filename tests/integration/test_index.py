"""The batch index page, from hand-built run records.

The page is parsed back with :mod:`html.parser` where it matters, so the
assertions are about what a browser would see, not only about substrings.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from gicstats.publish.index import href, render_index, write_index

EVIL_AGENCY = "<script>alert(1)</script>"
EVIL_ERROR = 'ValueError: bad "quote" <b>bold</b> & </script><script>alert(2)</script>'
EVIL_REGION = '省"/<img src=x onerror=alert(3)>'


def run(key, notebook="report", status="done", **fields):
    """A run record as the batch runner writes it, with sensible defaults."""
    record = {
        "key": key,
        "notebook": notebook,
        "params": {},
        "status": status,
        "error": None,
        "failed_cell": None,
        "html": None if status == "failed" else f"{key}.html",
        "ipynb": f"{key}.ipynb",
        "agency": None,
        "region": None,
        "year": None,
        "year_from": None,
        "year_to": None,
        "headline": None,
        "seconds": 1.0,
    }
    record.update(fields)
    return record


def sample_runs():
    return [
        run(
            "report/平潭综合实验区_2021",
            agency="平潭综合实验区",
            region="福建省/平潭综合实验区",
            year=2021,
            params={"agency": "平潭综合实验区", "year": 2021},
            headline={
                "applications": 70,
                "disclosure_rate": 0.507,
                "findings": {"error": 0, "warning": 1, "not_assessable": 3},
            },
            seconds=2.7,
        ),
        run(
            "report/平潭综合实验区_2019",
            status="skipped",
            agency="平潭综合实验区",
            region="福建省/平潭综合实验区",
            year=2019,
            headline={
                "applications": 23.0,
                "disclosure_rate": 0.3478,
                "findings": {"error": 0, "warning": 7, "not_assessable": 0, "info": 0},
            },
        ),
        run(
            "trend/平潭综合实验区",
            "trend",
            agency="平潭综合实验区",
            region="福建省/平潭综合实验区",
            headline={"applications": None, "disclosure_rate": None, "findings": {"error": 0, "warning": 10}},
        ),
        run(
            "report/天门市公安局_2020",
            status="failed",
            agency="天门市公安局",
            region="湖北省/天门市",
            year=2020,
            error="NotebookStop: 语料库中没有“天门市公安局”2020年的报告",
            failed_cell=2,
            ipynb="report/天门市公安局_2020.failed.ipynb",
        ),
        run(
            "report/上海市人民政府办公厅_2019",
            agency="上海市人民政府办公厅",
            region="上海市",
            year=2019,
            headline={
                "applications": 859,
                "disclosure_rate": 0.3416,
                "findings": {"error": 5, "warning": 0, "not_assessable": 38},
            },
        ),
        run("compare/2019-2025", "compare", year_from=2019, year_to=2025, params={"year_from": 2019, "year_to": 2025}),
        run("report/某局_2022", agency="某局", year=2022),
    ]


class Page(HTMLParser):
    """What a browser would see: text, elements with attributes, script bodies."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)

    def all(self, tag):
        return [attrs for t, attrs in self.elements if t == tag]


def keys_in_order(page: str) -> list[str]:
    return [a["data-key"] for a in Page(page).all("tr") if "data-key" in a]


def test_report_and_parameter_text_is_escaped_everywhere():
    runs = [
        run(
            "report/x_2020",
            status="failed",
            agency=EVIL_AGENCY,
            region=EVIL_REGION,
            year=2020,
            error=EVIL_ERROR,
            failed_cell=3,
            ipynb="report/<x>.failed.ipynb",
            params={"agency": EVIL_AGENCY, "note": "</script>"},
        ),
        run("report/y_2021", agency=EVIL_AGENCY, region=EVIL_REGION, year=2021, html='report/"><b>.html'),
    ]
    page = render_index(runs, title="<i>标题</i>", note='"<note>"')
    for raw in (EVIL_AGENCY, EVIL_ERROR, EVIL_REGION, "<b>bold</b>", "<img", "<i>标题", '"<note>"', '"><b>'):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "ValueError: bad &quot;quote&quot; &lt;b&gt;bold&lt;/b&gt; &amp; &lt;/script&gt;" in page
    parsed = Page(page)
    # Exactly the page's own elements: one script, one style, no image.
    assert len(parsed.all("script")) == 1 and not parsed.all("img")
    assert not any(k.startswith("on") for _, attrs in parsed.elements for k in attrs)
    # The script holds no report text at all, escaped or not.
    (script,) = parsed.scripts
    for needle in ("alert", "x_2020", "script&gt;", "天门", "ValueError"):
        assert needle not in script
    # A browser reads the original text back, once escaped (not twice).
    text = "".join(parsed.text)
    assert EVIL_AGENCY in text and EVIL_ERROR in text and "<i>标题</i>" in text
    assert "&lt;" not in text
    rows = [a for a in parsed.all("tr") if "data-key" in a]
    assert {a["data-key"] for a in rows} == {"report/x_2020", "report/y_2021"}
    agency_cells = [a["data-v"] for a in parsed.all("td") if a.get("data-v") == EVIL_AGENCY]
    assert len(agency_cells) == 2
    # Link targets are percent-encoded, so quotes and brackets cannot end the attribute.
    assert "report/%22%3E%3Cb%3E.html" in [a["href"] for a in parsed.all("a")]


def test_no_external_reference_of_any_kind():
    page = render_index(sample_runs())
    lowered = page.lower()
    for needle in ("http://", "https://", "//cdn", "@import", "url(", " src="):
        assert needle not in lowered
    parsed = Page(page)
    assert not parsed.all("link") and not parsed.all("img") and not parsed.all("iframe")
    for attrs in parsed.all("a"):
        url = attrs["href"]
        assert not url.startswith(("/", "\\")) and ":" not in url and "//" not in url


def test_charset_declared_first_and_csp_pins_the_inline_style_and_script():
    page = render_index(sample_runs())
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">')
    (csp,) = [a["content"] for a in Page(page).all("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)

    def digest(text):
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"style-src {digest(style)};" in csp and f"script-src {digest(script)};" in csp
    assert csp.startswith("default-src 'none';") and "unsafe-inline" not in csp


def test_links_are_relative_percent_encoded_and_point_at_the_exports(tmp_path):
    runs = sample_runs()
    runs.append(run("report/a b#1%_2020", agency="a b#1%", year=2020, html="report/a b#1%_2020.html"))
    for r in runs:
        for field in ("html", "ipynb"):
            if r[field]:
                (tmp_path / r[field]).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / r[field]).write_text("x", encoding="utf-8")
    page = write_index(runs, tmp_path).read_text(encoding="utf-8")
    hrefs = [a["href"] for a in Page(page).all("a")]
    assert "report/%E5%B9%B3%E6%BD%AD%E7%BB%BC%E5%90%88%E5%AE%9E%E9%AA%8C%E5%8C%BA_2021.html" in hrefs
    assert "report/a%20b%231%25_2020.html" in hrefs
    assert hrefs and all(re.fullmatch(r"[A-Za-z0-9_.~%/-]+", h) for h in hrefs)
    assert all((tmp_path / unquote(h)).is_file() for h in hrefs)
    expected = {r[f] for r in runs for f in ("html", "ipynb") if r[f]}
    assert {unquote(h) for h in hrefs} == expected


@pytest.mark.parametrize(
    "bad",
    ["/etc/passwd", "../x.html", "report/../../x.html", "C:\\x.html", "C:x.html", "\\\\server\\share\\x.html", ""],
)
def test_href_refuses_paths_outside_the_output_folder(bad):
    with pytest.raises(ValueError):
        href(bad)


def test_failed_runs_show_their_error_and_cell_and_no_html_link():
    page = render_index(sample_runs())
    row = re.search(r'<tr class="run failed"[^>]*data-key="report/天门市公安局_2020">.*?</tr>', page, re.S).group(0)
    assert "失败 failed" in row
    assert "第 2 个单元格 cell 2: NotebookStop: 语料库中没有“天门市公安局”2020年的报告" in row
    assert 'class="html"' not in row and "<a href" not in row  # no export to open
    assert 'href="report/%E5%A4%A9' in row and ".failed.ipynb" in row  # the failed notebook is linked
    summary = re.search(r'<div class="summary".*?</div>', page, re.S).group(0)
    assert "<b>7</b> 次运行 runs" in summary
    assert "完成 done <b>5</b>" in summary and "未变 skipped <b>1</b>" in summary and "失败 failed <b>1</b>" in summary
    assert "<b>1</b> 次运行发现错误" in summary  # Shanghai's five errors


def test_headline_figures_are_formatted_and_missing_ones_dashed():
    page = render_index(sample_runs())
    row = re.search(r'<tr [^>]*data-key="report/平潭综合实验区_2021">.*?</tr>', page, re.S).group(0)
    assert '<td class="num" data-v="70">70</td>' in row
    assert '<td class="num" data-v="0.507">50.7%</td>' in row
    assert "错误 0" in row and "警告 1" in row and "无法核对 3" in row and "说明" not in row
    assert 'href="report/%E5%B9%B3%E6%BD%AD%E7%BB%BC%E5%90%88%E5%AE%9E%E9%AA%8C%E5%8C%BA_2021.html"' in row
    assert "<td" in row and "2.7" not in row  # run times are off by default
    row = re.search(r'<tr [^>]*data-key="report/平潭综合实验区_2019">.*?</tr>', page, re.S).group(0)
    assert ">23<" in row and ">34.8%<" in row and "未变 skipped" in row
    row = re.search(r'<tr [^>]*data-key="compare/2019-2025">.*?</tr>', page, re.S).group(0)
    assert ">2019–2025<" in row and row.count('<span class="none">—</span>') >= 4
    big = render_index([run("report/x", headline={"applications": 12345.0, "disclosure_rate": float("nan")})])
    assert '<td class="num" data-v="12345">12,345</td>' in big
    assert '<td class="num" data-v=""><span class="none">—</span></td><td class="nowrap"' in big  # NaN rate


def test_same_runs_give_the_same_bytes_in_any_order(tmp_path):
    runs = sample_runs()
    first = render_index(runs)
    for seed in range(5):
        shuffled = runs[:]
        random.Random(seed).shuffle(shuffled)
        assert render_index(shuffled) == first
    # Run times differ between executions; they do not change the page by default.
    slower = [{**r, "seconds": r["seconds"] * 3 + 1} for r in runs]
    assert render_index(slower) == first
    assert render_index(slower, timings=True) != render_index(runs, timings=True)
    a = write_index(runs, tmp_path / "a").read_bytes()
    b = write_index(list(reversed(runs)), tmp_path / "b").read_bytes()
    assert a == b == first.encode("utf-8")


def test_grouped_by_region_then_agency_then_notebook_and_year():
    page = render_index(sample_runs())
    assert keys_in_order(page) == [
        "report/上海市人民政府办公厅_2019",
        "report/天门市公安局_2020",
        "report/平潭综合实验区_2019",
        "report/平潭综合实验区_2021",
        "trend/平潭综合实验区",
        "report/某局_2022",  # an agency with no region
        "compare/2019-2025",  # runs across agencies come last
    ]
    groups = re.findall(
        r'<tr class="grp" data-g="(\d+)"><th colspan="9" scope="rowgroup">(.*?)<span class="n">'
        r"(\d+) 次运行",
        page,
    )
    assert groups == [
        ("0", "上海市", "1"),
        ("1", "湖北省 / 天门市", "1"),
        ("2", "福建省 / 平潭综合实验区", "3"),
        ("3", "地区未注明 Region not given", "1"),
        ("4", "跨机关 Across agencies", "1"),
    ]
    # Every row sits after its group's header and carries its group number.
    rows = re.findall(r'<tr class="(grp|run[^"]*)" data-(?:g|i)="(\d+)"(?: data-g="(\d+)")?', page)
    current = None
    for kind, first, group in rows:
        if kind == "grp":
            current = first
        else:
            assert group == current


def test_sortable_headers_and_filter_controls_are_there():
    page = render_index(sample_runs(), timings=True)
    parsed = Page(page)
    sortable = [a for a in parsed.all("th") if "data-type" in a]
    assert [a["data-type"] for a in sortable] == ["text", "text", "num", "text", "text", "num", "num", "num", "num"]
    assert len(parsed.all("button")) == len(sortable) + 4  # plus the four status counts
    assert {a.get("id") for a in parsed.all("input")} == {"q", "grouped"}
    assert {a.get("id") for a in parsed.all("select")} == {"status", "notebook"}
    values = [a["value"] for a in parsed.all("option")]
    assert values == ["", "done", "skipped", "earlier", "failed", "", "report", "trend", "compare"]
    assert '<td class="num" data-v="2.7">2.7</td>' in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "ok"}, "unknown status"),
        ({"key": ""}, "'key' must be"),
        ({"headline": {"disclosure_rate": 50.7}}, "not a ratio"),
        ({"headline": {"findings": {"fatal": 1}}}, "unknown finding severity"),
        ({"html": "/abs/x.html"}, "relative"),
    ],
)
def test_bad_records_fail_loudly(change, message):
    with pytest.raises(ValueError, match=message):
        render_index([{**run("report/x_2021"), **change}])


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="twice"):
        render_index([run("report/x"), run("report/x", status="failed")])


def test_write_index_is_atomic_and_returns_the_path(tmp_path):
    path = write_index([], tmp_path / "out")
    assert path == tmp_path / "out" / "index.html"
    assert "没有运行 No runs" in path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["index.html"]  # no temporary file left
    assert path.stat().st_mode & 0o644 == 0o644


def test_header_counts_the_exports_up_to_date_and_those_of_earlier_runs():
    runs = [
        run("report/甲_2021", status="skipped", agency="甲", year=2021),
        run("report/甲_2022", agency="甲", year=2022),
        run("report/乙_2021", status="earlier", agency="乙", year=2021),
        run("report/丙_2021", status="failed", agency="丙", year=2021),
    ]
    page = render_index(runs)
    summary = re.search(r'<div class="summary".*?</div>', page, re.S).group(0)
    assert "<b>4</b> 次运行 runs" in summary
    assert "最新 up to date: <b>2</b>" in summary  # done now or unchanged; not the earlier nor the failed
    assert "此前 earlier run <b>1</b>" in summary
    row = re.search(r'<tr [^>]*data-key="report/乙_2021">.*?</tr>', page, re.S).group(0)
    assert 'data-status="earlier"' in row and "此前 earlier run" in row
    assert 'href="report/%E4%B9%99_2021.html"' in row  # its export is linked like any other
