"""What comes from a report never runs in a browser, and never picks a path.

A report whose agency is ``<script>alert(1)</script>``, with a table label
and a narrative sentence carrying ``<img src=x onerror=alert(1)>``, goes
through ``gicstats build`` and ``gicstats run`` (report, trend and compare
notebooks, their HTML exports and the index page). Every page shows those
texts as text: no script or image element comes from them, and their
escaped form is what the pages hold.

Output names come from agency names: property tests over random names check
that every file a run writes stays inside the output folder, with a name
that is safe on any system and still readable in Chinese.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import unicodedata
from html import escape
from pathlib import Path

import generate as G
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from gicstats.paths import safe_name
from gicstats.publish.batch import Run
from gicstats.publish.index import href, render_index

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _hostile_page(year: int, seed: int) -> str:
    """A report of agency ``SCRIPT``.

    An unknown row label ``IMG`` inside table 三, and a narrative sentence
    quoting ``IMG`` whose figure contradicts the table (so a narrative
    finding quotes it).
    """
    values = G.balanced_values("2021", random.Random(seed))
    page = G.render_html(values, "2021", SCRIPT, year, chrome=True)
    row = page.rindex("<tr>", 0, page.index("二、上年结转"))
    page = page[:row] + f'<tr><td colspan="3">{escape(IMG)}</td><td>1</td></tr>' + page[row:]
    wrong = values["applications", "new_received", "total"] + 5
    return page.replace("<p>三、", f"<p>{escape(IMG)}本年度共收到政府信息公开申请{wrong}件。</p><p>三、", 1)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gicstats.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def _unsafe_elements(page: str) -> list[str]:
    """Elements or attributes that the hostile texts would have made.

    That is, if they had reached the page unescaped.
    """
    doc = lxml_html.fromstring(page)
    bad = [f"<script> holding {s.text_content()[:40]!r}" for s in doc.iter("script") if "alert(" in s.text_content()]
    bad += [
        f"<{el.tag}> with {name}="
        for el in doc.iter()
        if isinstance(el.tag, str)
        for name in el.attrib
        if name.lower().startswith("on")
    ]
    bad += [
        f"<img src={img.get('src')!r}>" for img in doc.iter("img") if not (img.get("src") or "").startswith("data:")
    ]
    return bad


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    sources = base / "sources"
    sources.mkdir()
    for year, seed in ((2020, 1), (2021, 2)):
        (sources / f"hostile_{year}.html").write_text(_hostile_page(year, seed), encoding="utf-8")
    build = _cli("build", str(sources), "-o", str(base / "corpus"), "-j", "1", cwd=base)
    assert build.returncode == 0, build.stderr
    run = _cli("run", "--corpus", str(base / "corpus"), "-o", str(base / "out"), "-j", "2", "-q", cwd=base)
    return base / "out", run


def test_hostile_texts_reach_every_page_as_text(hostile_run) -> None:
    out, run = hostile_run
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 done, 0 failed" in run.stdout
    pages = sorted(out.rglob("*.html"))
    names = {p.relative_to(out).as_posix() for p in pages}
    # a label that had to change for a file name gets a hash of the original
    patterns = [
        r"index\.html",
        r"report/script_alert\(1\)_script__2020-[0-9a-f]{8}\.html",
        r"report/script_alert\(1\)_script__2021-[0-9a-f]{8}\.html",
        r"trend/script_alert\(1\)_script-[0-9a-f]{8}\.html",
        r"compare/2020-2021\.html",
    ]
    assert sorted(names) == sorted(names, key=str) and len(names) == len(patterns), names
    assert all(any(re.fullmatch(p, n) for n in names) for p in patterns), names
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert SCRIPT not in text and "<img src=x" not in text, page
        assert not _unsafe_elements(text), (page, _unsafe_elements(text))
    report = next((out / "report").glob("script_alert(1)_script__2021-*.html")).read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    # shown, as text: the agency (printed heading, charts' captions are images)
    # and the label and the narrative sentence quoted by the findings table
    for page in (report, index):
        assert escape(SCRIPT, quote=False) in page
    assert escape(IMG, quote=False) in report
    shown = lxml_html.fromstring(report).text_content()
    assert SCRIPT in shown and IMG in shown


def test_hostile_texts_in_a_failed_run_are_escaped(tmp_path) -> None:
    """A failed run's error message is escaped on the index page too.

    The message may quote report text.
    """
    page = render_index(
        [
            {
                "key": "report/x_2021",
                "notebook": "report",
                "status": "failed",
                "agency": SCRIPT,
                "region": IMG,
                "error": f"NotebookStop: 语料库中没有机关“{SCRIPT}”{IMG}",
                "params": {"note": IMG},
            }
        ]
    )
    assert SCRIPT not in page and "<img src=x" not in page
    assert not _unsafe_elements(page)


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

agency_names = st.one_of(
    st.text(min_size=0, max_size=300),
    st.text(
        alphabet=st.sampled_from(list('平潭综合实验区人民政府办公室局/\\.:*?"<>| \t\n\x00\x1f\u202e_-')), max_size=80
    ),
    st.sampled_from(
        [
            "..",
            ".",
            "../../etc/passwd",
            "..\\..\\windows",
            "/abs/path",
            "C:\\x",
            "CON",
            "nul",
            "com1.txt",
            "LPT9",
            "~",
            "-rf",
            " ",
            "\x00",
            "a/../../b",
            "././.",
            "……",
            "名" * 200,
            SCRIPT,
            IMG,
        ]
    ),
)


def _written(out: Path, run: Run) -> list[Path]:
    """The files ``batch.run_one`` writes for ``run`` (see its ``path``)."""
    stem = out / run.key
    return [stem.parent / f"{stem.name}{ext}" for ext in (".ipynb", ".html", ".failed.ipynb")]


@settings(max_examples=300, deadline=None)
@given(agency=agency_names, year=st.integers(1900, 2100), notebook=st.sampled_from(["report", "trend"]))
def test_output_paths_stay_inside_the_output_folder(tmp_path_factory, agency: str, year: int, notebook: str) -> None:
    out = tmp_path_factory.getbasetemp() / "out"
    label = f"{agency}_{year}" if notebook == "report" else agency
    run = Run(notebook, {"agency": agency, "year": year}, label, agency)
    folder, _, name = run.key.partition("/")
    assert folder == notebook and name and "/" not in name
    assert name not in (".", "..") and not name.startswith((".", " "))
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name)
    assert not set(name) & set('\\/:*?"<>|')
    assert len(name.encode("utf-8")) <= 120
    assert name.split(".")[0].upper() not in _RESERVED
    for path in _written(out, run):
        resolved = path.resolve()
        assert resolved.is_relative_to(out.resolve()), path
        assert resolved.parent == (out / notebook).resolve()
        href(path.relative_to(out))  # the index links it (raises for anything outside)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=40))
def test_chinese_names_stay_readable(name: str) -> None:
    assert safe_name(name) == unicodedata.normalize("NFC", name)


def test_extreme_names_are_cut_on_a_character() -> None:
    name = safe_name("政" * 10_000)
    assert name == "政" * 40 and len(name.encode()) == 120


def test_long_agency_names_keep_their_years_apart() -> None:
    """Found by these tests.

    Names were cut at 120 bytes, so two years of an agency named in 40+
    Chinese characters shared one output file (and the index then refused
    the batch: 'appears twice').
    """
    agency = "某某省某某市某某区人民政府某某街道办事处综合行政执法队与某某社区居民委员会联合办公室"
    assert len(agency) > 40
    keys = {Run("report", {}, f"{agency}_{year}", agency).key for year in (2020, 2021)}
    assert len(keys) == 2


def test_distinct_agencies_get_distinct_outputs() -> None:
    """Found by these tests: names that sanitise alike shared outputs."""
    keys = {Run("trend", {}, agency, agency).key for agency in ("甲局/乙处", "甲局_乙处", "甲局:乙处")}
    assert len(keys) == 3


def test_every_control_character_is_replaced() -> None:
    """Found by these tests: C1 controls and bidi overrides stayed in names."""
    for agency in ("甲\x85乙", "甲\x9b乙", "甲\u202e乙"):
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in safe_name(agency)), agency


def test_reserved_names_with_a_dot() -> None:
    """Found by these tests.

    ``com1.txt`` became ``com1.txt_``, still a device name on Windows
    (what comes before the first dot counts).
    """
    for agency in ("com1.txt", "NUL.tar.gz", "con.x"):
        assert safe_name(agency).split(".")[0].upper() not in _RESERVED, agency


def test_no_output_outside_the_folder_end_to_end(hostile_run) -> None:
    """After the hostile build and run, every file is inside the output folder.

    Nothing was written next to it or above it.
    """
    out, _ = hostile_run
    around = {p.name for p in out.parent.iterdir()}
    assert around == {"sources", "corpus", "out"}
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())
    assert not [
        p
        for p in out.rglob("*")
        if p.name.endswith(".tmp") or (p.name.startswith(".") and p.name != ".gicstats-runs.json")
    ], sorted(p.name for p in out.iterdir())
