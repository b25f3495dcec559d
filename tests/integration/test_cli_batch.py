"""The batch command line as a user meets it.

`gicstats demo` run from a folder with a decoy ``./data``; then the README's
partial run, unknown agencies and years, a rerun, Ctrl-C sent to a real
``gicstats run`` mid-run and the rerun after it; help texts, exit codes and
plurals of every command; the progress bar's counts.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from generate import balanced_values, render_pipe
from helpers import BUNDLED_RUN_KEYS, DATA, ROOT

from gicstats import cli
from gicstats.errors import GicstatsError
from gicstats.publish.batch import STATE_FILE, _Progress, plan, run_batch

ALL_KEYS = BUNDLED_RUN_KEYS
AGENCIES = "上海市人民政府办公厅, 天门市公安局, 平潭综合实验区, 淮安市洪泽区人民政府"
YEARS = "2019, 2020, 2021, 2023, 2024, 2025"


def _gicstats(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gicstats.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def _index_rows(out: Path) -> dict[str, str]:
    """Each run row of ``out/index.html``: key → status."""
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="run[^"]*" [^>]*data-status="(\w+)" [^>]*data-key="([^"]+)"', page)
    return {key: status for status, key in rows}


def _header(out: Path) -> str:
    page = (out / "index.html").read_text(encoding="utf-8")
    return re.search(r'<div class="summary".*?</div>', page, re.S).group(0)


def _state(out: Path) -> dict:
    return json.loads((out / STATE_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`gicstats demo` started in a folder whose ./data holds another agency's report."""
    home = tmp_path_factory.mktemp("demo-home")
    decoy = home / "data"
    decoy.mkdir()
    text = render_pipe(balanced_values("2021", random.Random(7)), "2021", "某某市某某局", 2022)
    (decoy / "decoy_2022.txt").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GICSTATS_DATA"}
    done = subprocess.run(
        [sys.executable, "-m", "gicstats.cli", "demo", "-o", "out", "-j", "2"],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=home,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home / "out", done


def test_demo_reads_the_bundled_reports_not_the_current_folders_data(demo):
    out, done = demo
    assert done.stdout.splitlines()[0].endswith(": 7 reports (7 read, 0 unchanged), 0 could not be read")
    import gicstats

    corpus = gicstats.read_corpus(out / "corpus")
    assert corpus.agencies == AGENCIES.split(", ")  # not 某某市某某局
    assert set(_index_rows(out)) == ALL_KEYS
    # data/agencies.toml gives every bundled agency its region
    regions = dict(zip(corpus.reports["agency_key"], corpus.reports["region"]))
    assert regions["淮安市洪泽区人民政府"] == "江苏省/淮安市/洪泽区"
    assert all(isinstance(r, str) and r for r in regions.values()), regions
    # and the summary says why three agencies have no trend
    assert (
        "left out: trend/天门市公安局: not planned, the corpus has one year of it (2020); a trend needs two or more"
        in done.stdout
    )
    assert done.stdout.count("left out: trend/") == 3


@pytest.fixture
def reports(demo, tmp_path):
    """A copy of the demo's output folder: exports, run state and index.

    Runs read the demo's own corpus (its path is one of a run's inputs).
    """
    out = tmp_path / "reports"
    shutil.copytree(demo[0], out, ignore=shutil.ignore_patterns("corpus"))
    return out


def test_partial_run_keeps_every_export_in_the_index(demo, reports, tmp_path):
    base = ("run", "--corpus", str(demo[0] / "corpus"), "-o", str(reports), "-j", "2", "-q")
    partial = ("--notebook", "report", "--agency", "平潭综合实验区", "--year", "2021", "2023")  # the README's
    readme = _gicstats(*base, *partial, cwd=tmp_path)
    assert readme.returncode == 0, readme.stderr
    assert readme.stdout.splitlines()[0] == "0 done, 0 failed, 2 skipped"
    rows = _index_rows(reports)
    assert set(rows) == ALL_KEYS  # all 9, not the 2 of this run
    assert sorted(k for k, s in rows.items() if s == "skipped") == [
        "report/平潭综合实验区_2021",
        "report/平潭综合实验区_2023",
    ]
    assert {s for k, s in rows.items() if "_2021" not in k and "_2023" not in k} == {"earlier"}
    assert "the index lists 9 runs, up to date: 2, from earlier runs: 7" in readme.stdout
    # every export is linked from the index
    page = (reports / "index.html").read_text(encoding="utf-8")
    linked = {unquote(h) for h in re.findall(r'<a class="html" href="([^"]+)"', page)}
    assert linked == {f"{k}.html" for k in ALL_KEYS}

    # a rerun of everything: all up to date, nothing done again
    again = _gicstats(*base, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "0 done, 0 failed, 9 skipped"
    assert set(_index_rows(reports).values()) == {"skipped"}
    header = _header(reports)
    assert "最新 up to date: <b>9</b>" in header and "<b>9</b> 次运行 runs" in header


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--agency", "不存在"),
            f"gicstats: gicstats run: no agency '不存在' in the corpus; its agencies: {AGENCIES}",
        ),
        (
            ("--agency", "平潭"),  # part of a name is not taken
            "gicstats: gicstats run: no agency '平潭' in the corpus (did you mean 平潭综合实验区?); "
            f"its agencies: {AGENCIES}",
        ),
        (
            ("--year", "2030"),
            f"gicstats: gicstats run: no report for 2030 in the corpus (did you mean 2025?); its years: {YEARS}",
        ),
        (
            ("--agency", "天门市公安居", "--year", "2022"),
            "gicstats: gicstats run: no agency '天门市公安居' in the corpus (did you mean 天门市公安局?); "
            f"its agencies: {AGENCIES}; no report for 2022 in the corpus (did you mean 2021?); its years: {YEARS}",
        ),
        (
            ("--agency", "平潭综合实验区", "--year", "2020"),
            "gicstats: gicstats run: nothing to run: 平潭综合实验区: no report for 2020 "
            "(its years: 2019, 2021, 2023, 2025)",
        ),
    ],
)
def test_unknown_agency_or_year_stops_with_the_known_ones_and_keeps_the_index(demo, reports, tmp_path, args, message):
    before = (reports / "index.html").read_bytes()
    done = _gicstats("run", "--corpus", str(demo[0] / "corpus"), "-o", str(reports), "-q", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert done.stdout == ""
    assert (reports / "index.html").read_bytes() == before  # nothing ran, nothing rewritten


def test_an_alias_is_taken_and_an_agency_without_the_year_is_said(bundled_corpus):
    runs = plan(bundled_corpus, agencies=["平潭综合实验区管委会", "天门市公安局"], years=[2020])
    assert [r.key for r in runs] == ["report/天门市公安局_2020", "compare/2020-2020"]
    assert runs.notes == [
        "平潭综合实验区管委会: no report for 2020 (its years: 2019, 2021, 2023, 2025)",
        "trend/天门市公安局: not planned, the corpus has one year of it (2020); a trend needs two or more",
    ]
    with pytest.raises(GicstatsError, match="did you mean 平潭综合实验区"):
        plan(bundled_corpus, agencies=["综合实验"])


def test_ctrl_c_stops_records_what_finished_and_the_rerun_does_the_rest(demo, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(demo[0] / "corpus", corpus)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "gicstats.cli", "run", "--corpus", str(corpus), "-o", str(out), "-j", "1", "-q"]
    # its own session, as a terminal's foreground job: Ctrl-C goes to the
    # group, and is not ignored even if these tests run as a background job
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if any((out / "report").glob("*.html")):  # the first run is finished
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert "interrupted:" in stdout and "run the same command again" in stdout
    finished = _state(out)
    assert 1 <= len(finished) < 9, finished  # -j 1: the queued runs were cancelled
    for key, entry in finished.items():  # each recorded run has its exports
        assert entry["record"]["status"] == "done"
        assert (out / f"{key}.html").is_file() and (out / f"{key}.ipynb").is_file()
    assert _index_rows(out) == {key: "done" for key in finished}  # the index was written
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]

    again = run_batch(plan(corpus), out, jobs=2)
    assert again.count("skipped") == len(finished)
    assert again.count("done") == 9 - len(finished) and not again.failed
    assert set(_index_rows(out)) == ALL_KEYS


# --------------------------------------------------------------------------
# Help, exit codes, plurals
# --------------------------------------------------------------------------

COMMANDS = ("parse", "check", "build", "run", "demo", "lab")


def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as stop:
        cli.main([*argv, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description_an_example_and_help_on_each_option(capsys, command):
    text = _help(capsys, command)
    usage, description = text.split("\n\n", 2)[:2]
    assert usage.startswith(f"usage: gicstats {command}")
    assert len(description.split()) >= 15, description  # says what it does
    examples = re.search(r"\nexamples:\n((?:  gicstats .*\n)+)", text)
    assert examples and f"  gicstats {command}" in examples.group(1), text
    assert "exit status:" in text
    assert "`" not in text
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        assert action.help, f"gicstats {command} {action.option_strings or action.dest}: no help text"


def test_top_level_help_lists_commands_and_exit_codes_without_backticks(capsys):
    text = _help(capsys)
    assert "`" not in text
    for command in COMMANDS:
        assert f"\n    {command} " in text
    assert "130 stopped by Ctrl-C" in " ".join(text.split())


@pytest.mark.parametrize(
    "argv",
    [
        ["parse", "{missing}"],
        ["check", "{missing}"],
        ["build", "{missing}", "-o", "{tmp}/corpus"],
        ["run", "--corpus", "{missing}", "-o", "{tmp}/out"],
        ["demo", "--data", "{missing}", "-o", "{tmp}/out"],
        ["lab", "{missing}"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_missing_file_exits_2_for_every_command(tmp_path, capsys, argv):
    missing = tmp_path / "missing.txt"
    status = cli.main([a.format(missing=missing, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("gicstats: ") and str(missing.name) in err and "Traceback" not in err


def test_build_with_one_missing_source_still_builds_the_others(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    status = cli.main(["build", str(DATA / "tianmen_police_2020.txt"), str(tmp_path / "gone"), "-o", str(corpus)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out.strip() == f"{corpus}: 1 file (1 read, 0 unchanged), 1 could not be read"  # the other one is built
    assert err.strip() == f"gicstats: {tmp_path / 'gone'}: no such file"


def test_counts_read_in_the_singular_for_one(tmp_path, capsys):
    assert cli.main(["build", str(DATA / "tianmen_police_2020.txt"), "-o", str(tmp_path / "c"), "-j", "1"]) == 0
    assert capsys.readouterr().out.strip() == f"{tmp_path / 'c'}: 1 file (1 read, 0 unchanged), 0 could not be read"
    assert cli.main(["check", str(DATA / "tianmen_police_2020.txt")]) == 1
    assert capsys.readouterr().err.strip() == "1 report checked: 1 error, 0 warnings, 0 not assessable"


def test_progress_bar_shows_each_count_with_its_step():
    stream = io.StringIO()
    bar = _Progress(3, True, skipped=1, file=stream)
    bar.update("done")
    shown = stream.getvalue().split("\r")[-1]
    assert "2/3" in shown and "done=1" in shown and "skipped=1" in shown, shown
    bar.update("failed")
    shown = stream.getvalue().split("\r")[-1]
    assert "3/3" in shown and "failed=1" in shown, shown
    bar.close()


def test_gitignore_covers_the_readme_corpus_and_reports(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("corpus/cells.parquet", "reports/index.html"):
        done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", path], capture_output=True)
        assert done.returncode == 0, f"{path} is not ignored"


def test_an_unreadable_report_is_left_out_and_said(bundled_corpus, tmp_path):
    import pandas as pd

    corpus = tmp_path / "corpus"
    shutil.copytree(bundled_corpus, corpus)
    reports = pd.read_parquet(corpus / "reports.parquet")
    reports.loc[reports["report"] == "pingtan_2023.txt", "error"] = "pingtan_2023.txt: not a report"
    reports.to_parquet(corpus / "reports.parquet")
    runs = plan(corpus, notebooks=["report"], agencies=["平潭综合实验区"])
    assert [r.key for r in runs] == [f"report/平潭综合实验区_{y}" for y in (2019, 2021, 2025)]
    assert runs.notes == ["pingtan_2023.txt: not planned, it could not be read (pingtan_2023.txt: not a report)"]
