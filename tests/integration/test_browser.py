"""The index page and a report export, opened in headless Chromium.

Builds a corpus from the bundled data, runs the report notebook for one
agency-year, exports it, writes the index, then asks Chromium for the DOM
after scripts ran and for screenshots. No network: pages are opened from
``file://``, the index pins its own script and style with a CSP, and host
name resolution is switched off for the browser. Browser, fontconfig and
HOME-level state live in the test's temporary folder.

Chinese needs a CJK font; the test points fontconfig at the Noto Sans CJK
that gicstats depends on for its charts (``noto-cjk-sans-otc``), so it does
not depend on the machine's fonts. Skipped only when no Chromium is found
(set ``GICSTATS_CHROMIUM`` to a binary to choose one).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from helpers import CHROMIUM_FLAGS, DATA

from gicstats.publish.execute import execute, export_html, records
from gicstats.publish.index import write_index

AGENCY = "平潭综合实验区"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell")


def find_chromium() -> str | None:
    chosen = os.environ.get("GICSTATS_CHROMIUM")
    if chosen:
        return shutil.which(chosen) or chosen  # a wrong choice fails loudly rather than skipping
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason=f"no Chromium binary found (looked for {', '.join(CANDIDATES)} on PATH and $GICSTATS_CHROMIUM)",
    ),
]


class Browser:
    """Headless Chromium with every bit of its state under ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.profiles = 0
        for sub in ("config", "cache", "data", "fontconfig-cache"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        fonts = home / "fonts.conf"
        fonts.write_text(self._fonts_conf(), encoding="utf-8")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_DATA_HOME": str(home / "data"),
            "FONTCONFIG_FILE": str(fonts),
        }

    def _fonts_conf(self) -> str:
        try:
            import noto_cjk_sans_otc

            font_dir = f"<dir>{html.escape(str(Path(noto_cjk_sans_otc.__file__).parent))}</dir>"
        except ImportError:  # pragma: no cover - a declared dependency
            font_dir = ""
        return (
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
            '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
            f"  {font_dir}\n  <cachedir>{html.escape(str(self.home / 'fontconfig-cache'))}</cachedir>\n"
            "</fontconfig>\n"
        )

    def run(self, url: str, *args: str) -> str:
        self.profiles += 1
        command = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.home / f'profile-{self.profiles}'}",
            *args,
            url,
        ]
        done = subprocess.run(command, env=self.env, capture_output=True, timeout=180, check=False)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
        return done.stdout.decode("utf-8")

    def dom(self, url: str) -> str:
        """The serialised DOM after the page loaded and its scripts ran."""
        return self.run(url, "--virtual-time-budget=5000", "--dump-dom")

    def screenshot(self, url: str, path: Path, size: str = "1280,900") -> Path:
        self.run(url, "--hide-scrollbars", f"--window-size={size}", f"--screenshot={path}")
        assert path.is_file()
        return path


def probe(page: Path, script: str, name: str) -> Path:
    """A copy of ``page`` beside it, without its CSP, with ``script`` run on load.

    The script leaves its result as JSON in ``<pre id="probe">``.
    """
    text = page.read_text(encoding="utf-8")
    text, n = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', "", text)
    assert n <= 1
    wrapper = (
        '<script>window.addEventListener("load", function () {'
        f"var result = (function () {{ {script} }})();"
        'var pre = document.createElement("pre"); pre.id = "probe";'
        "pre.textContent = JSON.stringify(result); document.body.appendChild(pre);});</script>"
    )
    out = page.with_name(name)
    out.write_text(text.replace("</body>", wrapper + "</body>", 1), encoding="utf-8")
    return out


def probe_result(dom: str):
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def png_stats(path: Path) -> tuple[tuple[int, int], int]:
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 24) or []
        return rgb.size, len(colours)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An output folder as a batch run leaves it: one report export and the index."""
    out = tmp_path_factory.mktemp("site")
    from gicstats.corpus import build

    build([DATA], out / "corpus", agencies=DATA / "agencies.toml", jobs=1)
    stem = out / "report" / f"{AGENCY}_2021"
    nb = execute(
        "report", {"corpus": str(out / "corpus"), "agency": AGENCY, "year": 2021}, stem.with_suffix(".ipynb"), cwd=out
    )
    export_html(nb, stem.with_suffix(".html"), title=f"{AGENCY} 2021 · report")
    rec = records(nb)
    head = rec["headline"]
    runs = [
        {
            "key": f"report/{AGENCY}_2021",
            "notebook": "report",
            "params": {"agency": AGENCY, "year": 2021},
            "status": "done",
            "error": None,
            "failed_cell": None,
            "html": f"report/{AGENCY}_2021.html",
            "ipynb": f"report/{AGENCY}_2021.ipynb",
            "agency": rec["report"]["agency"],
            "region": "福建省/平潭综合实验区",
            "year": rec["report"]["year"],
            "year_from": None,
            "year_to": None,
            "headline": {
                "applications": head["本年新收申请 New applications"],
                "disclosure_rate": head["公开率 Disclosure rate"] / 100,
                "findings": rec["findings"],
            },
            "seconds": 3.0,
        },
        {
            "key": "report/天门市公安局_2020",
            "notebook": "report",
            "params": {"agency": "天门市公安局", "year": 2020},
            "status": "failed",
            "error": 'NotebookStop: 语料库中没有“天门市公安局”2020年的报告 <"x">',
            "failed_cell": 2,
            "html": None,
            "ipynb": None,
            "agency": "天门市公安局",
            "region": "湖北省/天门市",
            "year": 2020,
            "year_from": None,
            "year_to": None,
            "headline": None,
            "seconds": 1.0,
        },
    ]
    write_index(runs, out)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    return Browser(tmp_path_factory.mktemp("browser-home"))


def test_index_renders_with_its_script_running_under_its_csp(site, browser):
    dom = browser.dom((site / "index.html").as_uri())
    assert 'data-js="ready"' in dom  # set by the inline script, so the CSP hash matched
    assert '<div class="controls" id="controls">' in dom  # unhidden by the script
    assert f">{AGENCY}</a>" in dom and "天门市公安局" in dom
    assert "50.7%" in dom and "显示 2 / 2" in dom
    assert 'NotebookStop: 语料库中没有“天门市公安局”2020年的报告 &lt;"x"&gt;' in dom


def test_index_link_opens_the_report_with_its_charts(site, browser):
    index_url = (site / "index.html").as_uri()
    dom = browser.dom(index_url)
    (link,) = re.findall(r'<a class="html" href="([^"]+)">', dom)
    assert "%E5%B9%B3" in link  # percent-encoded Chinese
    report_url = urljoin(index_url, html.unescape(link))
    report = Path(unquote(urlsplit(report_url).path))
    assert report == site / "report" / f"{AGENCY}_2021.html"
    report_dom = browser.dom(report_url)
    assert AGENCY in report_dom and "data:image/png;base64," in report_dom

    script = (
        "return Array.prototype.map.call(document.images, function (i) { return {w: i.naturalWidth,"
        " h: i.naturalHeight, data: i.src.indexOf('data:image/png;base64,') === 0}; });"
    )
    images = probe_result(browser.dom(probe(report, script, "probe-report.html").as_uri()))
    assert len(images) == 4
    assert all(i["data"] and i["w"] > 100 and i["h"] > 100 for i in images)


def test_sorting_filtering_and_grouping_work_in_the_browser(site, browser):
    script = r"""
      function visible() {
        return Array.prototype.filter.call(document.querySelectorAll("#runs tr.run"), function (r) {
          return !r.hidden; }).map(function (r) { return r.getAttribute("data-key"); });
      }
      function groups() {
        return Array.prototype.filter.call(document.querySelectorAll("#runs tr.grp"), function (r) {
          return !r.hidden; }).map(function (r) { return r.getAttribute("data-g"); });
      }
      var out = {initial: visible(), groups: groups()};
      var q = document.getElementById("q");
      q.value = "天门"; q.dispatchEvent(new Event("input"));
      out.filtered = visible(); out.filteredGroups = groups();
      out.shown = document.getElementById("shown").textContent;
      q.value = "no such agency"; q.dispatchEvent(new Event("input"));
      out.none = visible();
      q.value = ""; q.dispatchEvent(new Event("input"));
      var st = document.getElementById("status");
      st.value = "failed"; st.dispatchEvent(new Event("change"));
      out.failed = visible();
      st.value = ""; st.dispatchEvent(new Event("change"));
      var grouped = document.getElementById("grouped");
      grouped.checked = false; grouped.dispatchEvent(new Event("change"));
      out.flatGroups = groups();
      out.regionShown = getComputedStyle(document.querySelector("#runs td.c-region")).display;
      var year = document.querySelectorAll("#runs thead th")[2];
      year.querySelector("button").click();
      out.yearAsc = visible(); out.yearSort = year.getAttribute("aria-sort");
      year.querySelector("button").click();
      out.yearDesc = visible(); out.yearSortDesc = year.getAttribute("aria-sort");
      year.querySelector("button").click();
      out.reset = visible(); out.resetSort = year.getAttribute("aria-sort");
      document.querySelector('button.pill[data-status="done"]').click();
      out.pill = visible();
      return out;
    """
    res = probe_result(browser.dom(probe(site / "index.html", script, "probe-index.html").as_uri()))
    ptr, tm = f"report/{AGENCY}_2021", "report/天门市公安局_2020"
    assert res["initial"] == [tm, ptr]  # 湖北省 sorts before 福建省 by code point
    assert res["groups"] == ["0", "1"]
    assert res["filtered"] == [tm] and res["filteredGroups"] == ["0"] and res["shown"] == "显示 1 / 2"
    assert res["none"] == []
    assert res["failed"] == [tm]
    assert res["flatGroups"] == [] and res["regionShown"] != "none"
    assert res["yearAsc"] == [tm, ptr] and res["yearSort"] == "ascending"
    assert res["yearDesc"] == [ptr, tm] and res["yearSortDesc"] == "descending"
    assert res["reset"] == [tm, ptr] and res["resetSort"] == "none"
    assert res["pill"] == [ptr]


def test_screenshots_show_text_and_charts(site, browser):
    """Screenshots (kept in the site's ``screenshots/`` folder for a human to look at).

    The index is not blank, and each chart of the report is painted where the
    browser laid it out.
    """
    from PIL import Image

    shots = site / "screenshots"
    shots.mkdir(exist_ok=True)
    index = browser.screenshot((site / "index.html").as_uri(), shots / "index.png", "1280,500")
    size, colours = png_stats(index)
    assert size == (1280, 500) and colours > 50  # text, badges and table rules, not a blank page

    report = site / "report" / f"{AGENCY}_2021.html"
    width, height = 1100, 7000
    script = (
        "return Array.prototype.map.call(document.images, function (i) {"
        " var r = i.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });"
    )
    layout = probe(report, script, "probe-layout.html").as_uri()
    window = (f"--window-size={width},{height}", "--hide-scrollbars")
    rects = probe_result(browser.run(layout, *window, "--virtual-time-budget=5000", "--dump-dom"))
    assert len(rects) == 4 and all(bottom <= height for *_, bottom in rects), rects
    shot = browser.screenshot(report.as_uri(), shots / "report.png", f"{width},{height}")
    with Image.open(shot) as image:
        assert image.size == (width, height)
        for left, top, right, bottom in rects:
            chart = image.convert("RGB").crop((round(left), round(top), round(right), round(bottom)))
            pixels = chart.width * chart.height
            inked = sum(n for n, rgb in chart.getcolors(pixels) if min(rgb) < 200)
            assert chart.width > 300 and chart.height > 200
            assert inked > pixels * 0.02  # bars, axes and labels, not an empty box
