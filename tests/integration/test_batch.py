"""Batch runs on the bundled data.

Full run, skip on rerun, failure isolation, kill -9 and resume, Dask with
identical outputs, warm kernels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import BUNDLED_RUN_KEYS

from gicstats.publish.batch import STATE_FILE, Options, plan, run_batch, summary

EXPECTED_KEYS = BUNDLED_RUN_KEYS


def _exports(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.html")) if p.name != "index.html"}


def _no_partial_files(out: Path) -> None:
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    for page in out.rglob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
    for nb in out.rglob("*.ipynb"):
        json.loads(nb.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full_run(bundled_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    runs = plan(bundled_corpus)
    result = run_batch(runs, out, jobs=2)
    return runs, result, out


def test_full_run(full_run):
    runs, result, out = full_run
    assert {r.key for r in runs} == EXPECTED_KEYS
    assert {r["key"] for r in result.records} == EXPECTED_KEYS
    assert result.count("done") == 9 and not result.failed
    pingtan = next(r for r in result.records if r["key"] == "report/平潭综合实验区_2021")
    assert pingtan["headline"]["applications"] == 70
    assert pingtan["headline"]["disclosure_rate"] == pytest.approx(35 / 69)
    assert pingtan["region"] == "福建省/平潭综合实验区"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "平潭综合实验区" in index and 'charset="utf-8"' in index
    _no_partial_files(out)


def test_rerun_skips_everything(full_run):
    runs, _, out = full_run
    before = _exports(out)
    again = run_batch(plan(runs[0].params["corpus"]), out, jobs=2)
    assert again.count("skipped") == 9 and again.count("done") == 0
    assert _exports(out) == before


def test_one_broken_input_fails_alone(bundled_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(bundled_corpus, corpus)
    reports = pd.read_parquet(corpus / "reports.parquet")
    # a report whose template version no notebook can handle
    reports.loc[reports["report"] == "pingtan_2023.txt", "template_version"] = "1999"
    reports.to_parquet(corpus / "reports.parquet")
    out = tmp_path / "out"
    result = run_batch(plan(corpus, notebooks=["report"]), out, jobs=2)
    failed = result.failed
    assert [r["key"] for r in failed] == ["report/平潭综合实验区_2023"]
    assert failed[0]["failed_cell"] is not None and "1999" in failed[0]["error"]
    assert result.count("done") == 6
    assert not (out / "report" / "平潭综合实验区_2023.html").exists()
    assert "失败" in (out / "index.html").read_text(encoding="utf-8") or "failed" in (out / "index.html").read_text(
        encoding="utf-8"
    )
    # the CLI says which run failed and exits non-zero
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "gicstats.cli",
            "run",
            "--corpus",
            str(corpus),
            "--notebook",
            "report",
            "-o",
            str(out),
            "-j",
            "2",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1
    assert "failed: report/平潭综合实验区_2023" in cli.stdout and "6 skipped" in cli.stdout
    assert "Traceback" not in cli.stderr


def test_killed_run_resumes(bundled_corpus, tmp_path):
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "gicstats.cli",
        "run",
        "--corpus",
        str(bundled_corpus),
        "-o",
        str(out),
        "-j",
        "1",
        "-q",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    state = out / STATE_FILE
    deadline = time.time() + 120
    while time.time() < deadline:
        if state.is_file() and len(json.loads(state.read_text(encoding="utf-8") or "{}")) >= 2:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = json.loads(state.read_text(encoding="utf-8"))
    assert 2 <= len(finished) < 9
    _no_partial_files(out)
    result = run_batch(plan(bundled_corpus), out, jobs=2)
    assert result.count("skipped") == len(finished)
    assert result.count("done") == 9 - len(finished) and not result.failed
    _no_partial_files(out)


def _index_without_timing(out: Path) -> str:
    return re.sub(r"\d+(\.\d+)?\s*s\b", "", (out / "index.html").read_text(encoding="utf-8"))


def test_dask_local_cluster_gives_identical_outputs(full_run, tmp_path):
    runs, _, local_out = full_run
    out = tmp_path / "dask"
    result = run_batch(runs, out, jobs=2, executor="dask")
    assert result.count("done") == 9 and not result.failed
    assert _exports(out) == _exports(local_out)


def test_warm_kernels_give_identical_exports(full_run, tmp_path):
    runs, _, local_out = full_run
    out = tmp_path / "warm"
    result = run_batch(runs, out, jobs=2, options=Options(reuse_kernels=True))
    assert result.count("done") == 9 and not result.failed, summary(result)
    assert _exports(out) == _exports(local_out)


def test_timeout_fails_the_run_and_the_batch_goes_on(bundled_corpus, tmp_path):
    runs = plan(bundled_corpus, notebooks=["report"], agencies=["平潭综合实验区"], years=[2021])
    result = run_batch(runs, tmp_path, jobs=1, options=Options(timeout=0.5))
    assert result.failed and "timed out after 0.5 s" in result.failed[0]["error"]


@pytest.mark.timeout(300)
def test_long_temporary_folder_path(bundled_corpus, tmp_path, monkeypatch):
    """Kernel sockets live in a folder under $TMPDIR.

    Under a long one their paths passed the 107 bytes a Unix socket may have
    and every run failed ("ZMQError: File name too long"; just past the
    limit, the helper session saw a run wait for ever instead). Such kernels
    now use TCP.
    """
    import tempfile

    long_tmp = tmp_path / ("t" * (110 - len(str(tmp_path))))
    long_tmp.mkdir()
    assert len(str(long_tmp)) >= 110
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    runs = plan(bundled_corpus, notebooks=["report"], agencies=["平潭综合实验区"], years=[2021])
    result = run_batch(runs, tmp_path / "out", jobs=1)
    assert result.count("done") == 1, result.records
