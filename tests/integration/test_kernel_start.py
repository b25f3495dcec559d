"""Kernels that start slowly or die at start (issue 17), with real kernels.

Each test installs a kernel spec whose command is a small Python script that
first behaves badly (sleeps, or exits) and then becomes a real IPython kernel
by exec'ing ``ipykernel_launcher`` in the same process, so the manager watches
the kernel itself. Specs go to the session's temporary ``$JUPYTER_DATA_DIR``
(see conftest.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from gicstats.publish.batch import Options, plan, run_batch, summary

# slow: sleeps before booting (a kernel importing IPython 8 on a busy machine
# took 2 to 5 s); dies: exits with code 3 before booting; dies-once: the first
# kernel to start exits with code 3, every later one boots (O_EXCL on a marker
# file picks exactly one, even among kernels started at once).
_LAUNCHER = """\
import os, sys, time

mode, marker, connection_file = sys.argv[1:4]
if mode == "slow":
    time.sleep(3)
elif mode == "dies":
    sys.exit(3)
elif mode == "dies-once":
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        pass
    else:
        sys.exit(3)
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file])
"""


def _kernel_spec(tmp_path: Path, mode: str) -> tuple[str, Path]:
    """Install a kernel spec for ``mode``; returns its name and its script."""
    name = f"gicstats-test-{mode}-{tmp_path.name}"[:60]
    folder = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / name
    folder.mkdir(parents=True)
    script = folder / "launch.py"
    script.write_text(_LAUNCHER, encoding="utf-8")
    spec = {
        "argv": [sys.executable, str(script), mode, str(tmp_path / "died"), "{connection_file}"],
        "display_name": f"gicstats test ({mode})",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return name, script


def _kernels_left(script: Path) -> list[int]:
    """Child processes of this one still running ``script``'s kernels.

    The exec'd kernel keeps the connection file on its command line, and
    the launcher's own command line names the script.
    """
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        state = stat.rsplit(")", 1)[1].split()[0]
        if ppid == os.getpid() and state != "Z" and ("ipykernel_launcher" in cmdline or str(script) in cmdline):
            left.append(int(entry.name))
    return left


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _pingtan(corpus, years=(2019, 2021)):
    return plan(corpus, notebooks=["report"], agencies=["平潭综合实验区"], years=list(years))


@needs_proc
@pytest.mark.parametrize("jobs", [1, 2])
def test_slow_starting_warm_kernel_is_not_declared_dead(bundled_corpus, tmp_path, jobs):
    """A warm kernel that takes 3 s to boot is waited for.

    It was reported as "Kernel died before replying to kernel_info" (the
    heartbeat gave it one second), its run failed and the kernel was left
    running.
    """
    name, script = _kernel_spec(tmp_path, "slow")
    runs = _pingtan(bundled_corpus)
    result = run_batch(runs, tmp_path / "out", jobs=jobs, options=Options(reuse_kernels=True, kernel_name=name))
    assert [r["error"] for r in result.records] == [None, None]
    assert result.count("done") == 2
    assert all(r["log"] == [] for r in result.records)
    assert _kernels_left(script) == []


@needs_proc
@pytest.mark.parametrize("reuse", [True, False], ids=["warm", "fresh"])
def test_kernel_dying_at_start_is_replaced_once_and_logged(bundled_corpus, tmp_path, reuse):
    """Exactly one kernel of the batch exits (code 3) before answering.

    The run that had it gets another, says so in its log, and does not
    fail.
    """
    name, script = _kernel_spec(tmp_path, "dies-once")
    runs = _pingtan(bundled_corpus, years=(2019, 2021, 2023))
    result = run_batch(runs, tmp_path / "out", jobs=1, options=Options(reuse_kernels=reuse, kernel_name=name))
    assert result.count("done") == 3 and not result.failed, summary(result)
    assert (tmp_path / "died").is_file()  # a kernel did die
    logs = [line for r in result.records for line in r["log"]]
    assert logs == ["kernel died at start (exit code 3); replaced it"]
    noted = [r["key"] for r in result.records if r["log"]]
    assert f"  note: {noted[0]}: kernel died at start (exit code 3); replaced it" in summary(result).splitlines()
    # the exports are those of a run on a kernel that started at once
    pingtan = next(r for r in result.records if r["key"] == "report/平潭综合实验区_2021")
    assert pingtan["headline"]["applications"] == 70
    assert _kernels_left(script) == []


@needs_proc
@pytest.mark.parametrize("reuse", [True, False], ids=["warm", "fresh"])
def test_kernel_that_always_dies_fails_its_runs_and_the_batch_goes_on(bundled_corpus, tmp_path, reuse):
    """Replaced once, not for ever: the run fails naming the exit code."""
    name, script = _kernel_spec(tmp_path, "dies")
    runs = _pingtan(bundled_corpus)
    result = run_batch(runs, tmp_path / "out", jobs=1, options=Options(reuse_kernels=reuse, kernel_name=name))
    assert [r["status"] for r in result.records] == ["failed", "failed"]
    for r in result.records:
        assert r["error"] == "the kernel died at start (exit code 3)"
        assert r["log"] == ["kernel died at start (exit code 3); replaced it"]
    assert not (tmp_path / "out" / "report" / "平潭综合实验区_2019.html").exists()
    assert _kernels_left(script) == []


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_twenty_warm_batches_in_a_row(bundled_corpus, tmp_path):
    """The issue's stress test.

    20 warm-kernel batches of the bundled corpus, no failed run, and no
    kernel died at start on the way.
    """
    runs = plan(bundled_corpus)
    failed, logged = [], []
    for i in range(20):
        result = run_batch(runs, tmp_path / f"out{i}", jobs=2, options=Options(reuse_kernels=True))
        failed += [(i, r["key"], r["error"]) for r in result.failed]
        logged += [(i, r["key"], line) for r in result.records for line in r["log"]]
    assert failed == [] and logged == []
    assert result.count("done") == len(runs)
