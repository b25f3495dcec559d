"""Checks on generated reports (a property test) and the `gicstats check` CLI."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys

from generate import balanced_values, render_html, render_pipe
from helpers import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gicstats
from gicstats.check import check_identities, check_plausibility
from gicstats.form import template as T
from gicstats.form.identities import instances

CHECKED = ("applications", "review_litigation")


def _read(values, version, render) -> gicstats.Report:
    text = render(values, version, "某某市某某局", 2022)
    return gicstats.read_report(text.encode("utf-8"), name="generated.txt")


def _expected_errors(version: str, key: tuple[str, str, str]) -> set[tuple[str, str]]:
    """Every identity instance that involves the changed cell."""
    table = key[0]
    out = set()
    for inst in instances(version, table):
        if key in inst.cells:
            out.add((inst.identity.rule, ", ".join(".".join(c) for c in inst.cells)))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    version=st.sampled_from(T.VERSIONS),
    delta=st.integers(1, 9),
    render=st.sampled_from([render_pipe, render_html]),
    data=st.data(),
)
def test_injected_inconsistency_is_flagged_exactly(seed, version, delta, render, data):
    values = balanced_values(version, random.Random(seed))
    clean = _read(values, version, render)
    assert [f for f in check_identities(clean) + check_plausibility(clean) if f.severity == "error"] == []
    keys = sorted(k for k in values if k[0] in CHECKED and values[k] is not None)
    key = data.draw(st.sampled_from(keys))
    broken = dict(values)
    broken[key] = values[key] + delta
    report = _read(broken, version, render)
    assert report.value(*key) == values[key] + delta
    found = {(f.rule, f.cells) for f in check_identities(report) if f.severity == "error"}
    assert found == _expected_errors(version, key)
    assert [f for f in check_plausibility(report) if f.severity == "error"] == []


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "gicstats.cli", "check", *args], capture_output=True, text=True)


def test_check_cli_on_the_seed():
    done = _cli(str(DATA / "tianmen_police_2020.txt"))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "tianmen_police_2020.txt: [error] narrative.admin_penalty_decisions: 正文“行政处罚公开374条,处理决定数量3328件”"
        "称行政处罚处理决定3328件，表中“行政处罚·处理决定数量”为3228件"
    ]
    assert "Traceback" not in done.stderr


def test_check_cli_exit_codes_and_formats(tmp_path):
    assert _cli(str(DATA / "pingtan_2021.txt")).returncode == 0  # warnings only
    as_json = json.loads(_cli(str(DATA / "pingtan_2021.txt"), "--format", "json", "--all").stdout)
    assert {f["rule"] for f in as_json} == {"parse.ambiguous_split"}
    bad = tmp_path / "empty.html"
    bad.write_bytes(b"")
    done = _cli(str(DATA / "pingtan_2021.txt"), str(bad))
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == f"gicstats: {bad}: file is empty"
    assert "Traceback" not in done.stderr


def test_check_cli_directory_runs_series_checks(tmp_path):
    for year in (2019, 2021, 2023, 2025):
        shutil.copy(DATA / f"pingtan_{year}.txt", tmp_path)
    done = _cli(str(tmp_path), "--format", "csv", "--severity", "not_assessable")
    gaps = [line for line in done.stdout.splitlines() if "series.gap" in line]
    assert len(gaps) == 3
    assert done.returncode == 0
