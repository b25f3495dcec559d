"""Exploring.

The explore notebook on the bundled corpus, the discoverable API
(top-level names, reprs, selecting an agency by part of its name), and
notebooks of one's own batch-run through ``gicstats run`` with ``-p``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from helpers import DATA, ROOT

import gicstats
from gicstats.publish import execute as notebooks

FEES = """\
# %% [markdown]
# # 收费 Fees: an analyst's own notebook

# %% tags=["parameters"]
corpus = ""
agency = ""
year = 0
threshold = 30  # applications from which a year counts as busy

# %%
from gicstats.publish import sections as nb

report = nb.open_report(corpus, agency, year)
received = report.value("applications", "new_received", "total")
nb.record("fees", {"agency": report.agency, "year": report.year, "received": received,
                   "threshold": threshold, "busy": received is not None and received >= threshold})
print(f"{report.agency} {report.year}: {received}")
"""

SUMMARY = """\
# %% tags=["parameters"]
corpus = ""
year_from = 0
year_to = 0

# %%
from gicstats.publish import sections as nb

data = nb.open_corpus(corpus)
nb.record("span", [year_from, year_to, len(data)])
"""


def test_explore_notebook(tmp_path, bundled_corpus):
    nb = notebooks.execute("explore", {"corpus": str(bundled_corpus)}, tmp_path / "explore.ipynb", cwd=tmp_path)
    rec = notebooks.records(nb)
    assert rec["coverage"] == {
        "上海市人民政府办公厅": [2019],
        "天门市公安局": [2020],
        "平潭综合实验区": [2019, 2021, 2023, 2025],
        "淮安市洪泽区人民政府": [2024],
    }
    assert rec["find"] == {"平潭综合实验区": "名称 name: 平潭综合实验区"}
    new = rec["cells:applications.new_received.total"]
    assert new["平潭综合实验区|2021"] == 70 and new["上海市人民政府办公厅|2019"] == 859
    sql = {(r["agency"], r["year"]): r for r in rec["sql"]}
    assert len(sql) == 7
    assert sql[("平潭综合实验区", 2021)]["handled"] == 69 and sql[("平潭综合实验区", 2021)]["raw"] == "69"
    assert sql[("上海市人民政府办公厅", 2019)]["handled"] == 805
    by_rule = rec["findings_by_rule"]
    assert by_rule["narrative.admin_penalty_decisions"] == {"error": 1}  # the seed's 3328 against 3228
    assert rec["browse"] == sum(v.get("error", 0) for k, v in by_rule.items() if k.startswith("narrative."))
    ind = rec["indicators"]
    assert ind["平潭综合实验区|2021"]["disclosure_rate"] == pytest.approx(35 / 69)
    assert ind["平潭综合实验区|2019"]["applications_received"] == 23
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 3  # the coverage heatmap, a ranking and the distribution of rates
    text = json.dumps(nb, ensure_ascii=False)
    assert "Corpus(7 reports" in text  # the corpus shows its short repr and its coverage


def test_explore_finds_an_agency_by_an_alias_and_stops_on_none(tmp_path, bundled_corpus):
    nb = notebooks.execute(
        "explore", {"corpus": str(bundled_corpus), "find": "管委会", "severity": ""}, tmp_path / "a.ipynb"
    )
    rec = notebooks.records(nb)
    assert rec["find"] == {"平潭综合实验区": "别名 alias: 平潭综合实验区管委会"}
    with pytest.raises(gicstats.GicstatsError, match="没有机关的名称或别名包含“公安厅”"):
        notebooks.execute("explore", {"corpus": str(bundled_corpus), "find": "公安厅"}, tmp_path / "b.ipynb")


def test_top_level_api_is_discoverable():
    names = dir(gicstats)
    for name in ("read_report", "read_corpus", "indicators", "Report", "Corpus", "build", "GicstatsError"):
        assert name in names and getattr(gicstats, name).__doc__, name
    assert gicstats.indicators.INDICATORS  # loaded on first use, no explicit import


def test_report_repr_table_ids_and_findings(bundled_corpus):
    r = gicstats.read_report(DATA / "tianmen_police_2020.txt")
    assert repr(r).startswith("Report(agency='天门市公安局', year=2020, template='2019', cells=")
    assert len(repr(r)) < 200
    with pytest.raises(KeyError) as err:
        r.table("bad")
    assert "no table 'bad' in the 2019 template" in str(err.value) and "applications (" in str(err.value)
    every = r.check()
    assert every.equals(r.findings)  # they agree once checked
    assert (every["rule"] == "narrative.admin_penalty_decisions").sum() == 1
    page = r._repr_html_()
    assert "天门市公安局 2020年" in page and "<code>applications</code>" in page
    assert f"findings: {len(every)}" in page
    from_corpus = gicstats.read_corpus(bundled_corpus).report("天门市公安局", 2020)
    assert from_corpus.findings.equals(from_corpus.check())


def test_corpus_repr_and_select_by_part_of_a_name(bundled_corpus):
    corpus = gicstats.read_corpus(bundled_corpus)
    assert len(repr(corpus)) < 300 and repr(corpus).startswith("Corpus(7 reports (0 unreadable), 4 agencies, 2019–2025")
    page = corpus._repr_html_()
    assert "平潭综合实验区" in page and "<th>2025</th>" in page
    part = corpus.select(agency="平潭")
    assert part.years == [2019, 2021, 2023, 2025]
    assert part.matched == {"平潭": ["平潭综合实验区 (名称 name: 平潭综合实验区)"]}
    assert "matched '平潭' → 平潭综合实验区" in repr(part)
    alias = corpus.select(agency="平潭综合实验区管委会")
    assert alias.matched == {"平潭综合实验区管委会": ["平潭综合实验区"]} and len(alias) == 4
    with pytest.raises(gicstats.GicstatsError, match=r"no agency '平谭实验区'.*closest: 平潭综合实验区"):
        corpus.select(agency="平谭实验区")


def test_notebook_helpers_print_nothing_raw_in_a_plain_session(bundled_corpus):
    code = (
        "from gicstats.publish import explore as ex, sections as nb\n"
        f"c = nb.open_corpus({str(bundled_corpus)!r})\n"
        "print(ex.coverage(c).shape)\n"
        "figs = ex.quick_charts(c)\n"
        "print(type(figs[0]).__name__, len(figs))\n"
        "print(nb.headline(c.report('平潭综合实验区', 2021)).iloc[0, 0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.splitlines() == ["(4, 7)", "Figure 2", "70"]
    assert "vnd.gicstats" not in done.stdout + done.stderr  # no raw mimebundle


def _gicstats(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gicstats.cli", *args], capture_output=True, text=True, timeout=900, cwd=cwd
    )


def test_own_notebooks_batch_run_with_p_resume_and_index(tmp_path, bundled_corpus):
    own = tmp_path / "mynotebooks"
    own.mkdir()
    (own / "fees.py").write_text(FEES, encoding="utf-8")
    out = tmp_path / "out"
    base = ("run", "--corpus", str(bundled_corpus), "-o", str(out), "-j", "2", "-q")
    fees = ("--notebook", "mynotebooks/fees.py", "--agency", "平潭综合实验区")

    # a misspelt parameter is rejected before anything runs, with a suggestion
    bad = _gicstats(*base, *fees, "-p", "treshold", "50", cwd=tmp_path)
    assert bad.returncode == 2 and not out.exists()
    assert bad.stderr.strip() == (
        "gicstats: mynotebooks/fees.py: unknown parameter 'treshold' (did you mean 'threshold'?); "
        "it takes agency, corpus, threshold, year"
    )
    planned = _gicstats(*base, *fees, "-p", "agency", "x", cwd=tmp_path)
    assert planned.returncode == 2 and "use --corpus, --agency and --year" in planned.stderr

    first = _gicstats(*base, *fees, "-p", "threshold", "50", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "4 done, 0 failed, 0 skipped"
    recorded = {}
    for year in (2019, 2021, 2023, 2025):
        nb = json.loads((out / "fees" / f"平潭综合实验区_{year}.ipynb").read_text(encoding="utf-8"))
        assert (out / "fees" / f"平潭综合实验区_{year}.html").is_file()
        recorded[year] = notebooks.records(_node(nb))["fees"]
        assert "threshold = 50" in json.dumps(nb, ensure_ascii=False)  # injected, typed as the default
    assert {y: (r["received"], r["busy"]) for y, r in recorded.items()} == {
        2019: (23, False),
        2021: (70, True),
        2023: (81, True),
        2025: (154, True),
    }
    assert all(r["threshold"] == 50 for r in recorded.values())
    index = (out / "index.html").read_text(encoding="utf-8")
    linked = {unquote(h) for h in re.findall(r'href="(fees/[^"]+\.html)"', index)}
    assert linked == {f"fees/平潭综合实验区_{y}.html" for y in (2019, 2021, 2023, 2025)}

    again = _gicstats(*base, *fees, "-p", "threshold", "50", cwd=tmp_path)
    assert again.stdout.splitlines()[0] == "0 done, 0 failed, 4 skipped"
    changed = _gicstats(*base, *fees, "-p", "threshold", "100", cwd=tmp_path)
    assert changed.stdout.splitlines()[0] == "4 done, 0 failed, 0 skipped"  # a new parameter is a new input

    # a folder: each notebook is planned from the parameters it declares
    (own / "summary.py").write_text(SUMMARY, encoding="utf-8")
    folder = _gicstats(
        *base, "--notebook", "mynotebooks", "--year", "2019", "2021", "-p", "threshold", "100", cwd=tmp_path
    )
    assert folder.returncode == 0, folder.stderr
    # fees: 上海 2019 is new, 平潭 2019 and 2021 are unchanged; summary: one run over 2019–2021
    assert folder.stdout.splitlines()[0] == "2 done, 0 failed, 2 skipped"
    span = json.loads((out / "summary" / "2019-2021.ipynb").read_text(encoding="utf-8"))
    assert notebooks.records(_node(span))["span"] == [2019, 2021, 7]


def test_p_on_a_bundled_notebook_suggests_the_parameter():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gicstats.cli",
            "run",
            "--corpus",
            str(DATA.parent / "no-corpus"),
            "--notebook",
            "report",
            "-p",
            "agancy",
            "平潭",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "unknown parameter 'agancy' (did you mean 'agency'?)" in done.stderr


def test_run_help_documents_own_notebooks_and_p():
    done = subprocess.run(
        [sys.executable, "-m", "gicstats.cli", "run", "--help"], capture_output=True, text=True, timeout=120, check=True
    )
    assert "-p NAME VALUE" in done.stdout and "mynotebooks/fees.py" in done.stdout
    assert "Your own notebooks run the same way" in done.stdout


def _node(nb: dict):
    import nbformat

    return nbformat.from_dict(nb)


def test_plans_of_explore_and_own_notebooks(tmp_path, bundled_corpus):
    from gicstats.publish.batch import plan

    (tmp_path / "fees.py").write_text(FEES, encoding="utf-8")
    (tmp_path / "per_year.py").write_text('# %% tags=["parameters"]\nyear = 0\n', encoding="utf-8")
    runs = plan(
        bundled_corpus,
        notebooks=["explore", str(tmp_path / "fees.py"), str(tmp_path / "per_year.py")],
        years=[2019, 2020],
        parameters={"threshold": "12"},
    )
    assert [r.key for r in runs] == [
        "explore/2019-2020",
        "fees/上海市人民政府办公厅_2019",
        "fees/天门市公安局_2020",
        "fees/平潭综合实验区_2019",
        "per_year/2019",
        "per_year/2020",
    ]
    assert runs[1].params == {
        "corpus": str(bundled_corpus.resolve()),
        "agency": "上海市人民政府办公厅",
        "year": 2019,
        "threshold": 12,
    }
    assert runs[4].params == {"year": 2019}  # corpus only where declared; threshold only where declared
    assert len({r.inputs for r in runs}) == len(runs)
