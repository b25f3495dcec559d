"""Benchmark: N report notebooks, gicstats run against a papermill CLI loop, with a CPU profile.

Run on demand::

    python bench/bench_batch.py [--n 20] [--skip-baseline] [--profile-n 8]

It builds a corpus of N reports (copies of a bundled report under N agency
names), then measures, in the same session:

- the baseline users run today: a sequential shell loop of the ``papermill``
  CLI followed by ``jupyter nbconvert --to html`` for each notebook;
- ``gicstats run -j 1`` and ``-j 2`` (a fresh kernel per notebook, the next
  one started ahead, exports in-process, immediate kernel shutdown);
- ``gicstats run -j 2 --reuse-kernels`` (one warm kernel per worker).

For each mode: wall seconds and CPU seconds per notebook (this process and
every process it started: kernels, CLIs), and the ratio of its throughput
to the baseline's. The baseline is timed notebook by notebook (medians); a
batch runs its notebooks at once, so it is total / N. Warm-kernel exports
are compared byte for byte with the fresh-kernel ones.

Then a profile: notebooks run one after another, on a warm kernel and on
fresh ones, with :mod:`gicstats.publish.profile` on; it prints the median
CPU seconds per notebook of each stage, parent and kernel apart.

Wall time on a shared 2-core machine is noisy: compare CPU seconds, and
ratios measured in the same run; the load average is printed. Run it twice
and quote both.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gicstats.corpus import build  # noqa: E402
from gicstats.publish.batch import (  # noqa: E402
    Options,
    plan,
    run_batch,
    run_one,
    shutdown_warm_kernels,
    stop_spare_kernels,
)

try:
    from gicstats.publish import profile
except ImportError:  # an older gicstats (--profile-n 0 measures it)
    profile = None  # type: ignore[assignment]

BASELINE = "baseline: papermill CLI + nbconvert loop"


def cpu_now() -> float:
    """CPU seconds of this process and of every child it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_corpus(tmp: Path, n: int) -> Path:
    src = tmp / "reports"
    src.mkdir()
    text = (ROOT / "data" / "pingtan_2021.txt").read_text(encoding="utf-8")
    for i in range(n):
        name = f"测试{i:02d}区管理委员会"
        (src / f"r{i:02d}.txt").write_text(text.replace("平潭综合实验区", name), encoding="utf-8")
    out = tmp / "corpus"
    build([src], out, jobs=2)
    return out


def baseline(runs, tmp: Path) -> tuple[list[float], list[float]]:
    """A shell loop of the papermill CLI, then nbconvert, one after another.

    Returns:
        Wall and CPU seconds of each notebook.
    """
    nb = tmp / "report.ipynb"
    subprocess.run(
        ["jupytext", "--to", "ipynb", "-o", str(nb), str(ROOT / "notebooks" / "report.py")],
        check=True,
        capture_output=True,
    )
    out = tmp / "baseline"
    out.mkdir()
    walls, cpus = [], []
    for i, run in enumerate(runs):
        target = out / f"{i:02d}.ipynb"
        start, cpu = time.perf_counter(), cpu_now()
        subprocess.run(
            [
                "papermill",
                str(nb),
                str(target),
                "-p",
                "corpus",
                run.params["corpus"],
                "-p",
                "agency",
                run.params["agency"],
                "-p",
                "year",
                str(run.params["year"]),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["jupyter", "nbconvert", "--to", "html", "--no-input", str(target)], check=True, capture_output=True
        )
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_now() - cpu)
    return walls, cpus


def gicstats_mode(runs, out: Path, jobs: int, reuse: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one batch (kernels included: all are stopped when it returns)."""
    start, cpu = time.perf_counter(), cpu_now()
    result = run_batch(runs, out, jobs=jobs, options=Options(reuse_kernels=reuse))
    elapsed, used = time.perf_counter() - start, cpu_now() - cpu
    assert result.count("done") == len(runs), [r["error"] for r in result.failed]
    return elapsed, used


def exports(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.html")) if p.name != "index.html"}


def profiled(runs, out: Path, reuse: bool):
    """Run ``runs`` one after another with the profile on, as ``gicstats run -j 1`` would."""
    prof = profile.Profile()
    options = Options(reuse_kernels=reuse, prestart=not reuse)
    with profile.profiling(prof):
        try:
            for run in runs:
                prof.begin()
                record = run_one(run, str(out), options)
                assert record["status"] == "done", record["error"]
        finally:
            shutdown_warm_kernels()
            stop_spare_kernels()
    return prof


# the order stages happen in; any other is printed after these
STAGE_ORDER = (
    ()
    if profile is None
    else (
        "kernel: start (fresh)",
        "kernel: start (warm, first notebook only)",
        "kernel: reset (warm)",
        "injecting parameters",
        "cells: parameters",
        "cells: load report",
        "cells: headline",
        "cells: findings",
        "cells: tables",
        "cells: charts",
        "cells: other",
        profile.EXECUTE,
        "collecting outputs",
        "validating",
        "exporting HTML",
        "writing files",
        "kernel: stop (fresh)",
    )
)


def print_profile(profiles: dict) -> None:
    """Median CPU seconds per notebook of each stage, parent and kernel, per mode."""
    stages = [s for s in STAGE_ORDER if any(s in nb for p in profiles.values() for nb in p.notebooks)]
    stages += sorted({s for p in profiles.values() for nb in p.notebooks for s in nb} - set(stages))
    head = "".join(f"{m + ' parent':>16s}{m + ' kernel':>16s}" for m in profiles)
    print(f"\nCPU seconds per notebook by stage (median over notebooks, run one after another)\n{'stage':42s}{head}")

    def med(p, stage: str, i: int) -> float:
        return statistics.median(nb.get(stage, [0.0, 0.0])[i] for nb in p.notebooks)

    for stage in stages:
        print(f"{stage:42s}" + "".join(f"{med(p, stage, 0):16.3f}{med(p, stage, 1):16.3f}" for p in profiles.values()))
    totals = "".join(
        f"{statistics.median(sum(v[0] for v in nb.values()) for nb in p.notebooks):16.3f}"
        f"{statistics.median(sum(v[1] for v in nb.values()) for nb in p.notebooks):16.3f}"
        for p in profiles.values()
    )
    print(f"{'total (median of per-notebook sums)':42s}{totals}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--profile-n", type=int, default=8, help="notebooks profiled per kernel kind (0: none)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gicstats-bench-"))
    for var in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR"):
        os.environ[var] = str(tmp / var.lower())
    os.environ["MPLBACKEND"] = "Agg"
    load_before = os.getloadavg()
    try:
        corpus = make_corpus(tmp, args.n)
        runs = plan(corpus, notebooks=["report"])
        assert len(runs) == args.n
        walls: dict[str, float] = {}
        cpus: dict[str, float] = {}
        if not args.skip_baseline:
            wall, cpu = baseline(runs, tmp)
            walls[BASELINE], cpus[BASELINE] = statistics.median(wall), statistics.median(cpu)
        for label, jobs, reuse, folder in (
            ("gicstats run -j 1", 1, False, "j1"),
            ("gicstats run -j 2", 2, False, "j2"),
            ("gicstats run -j 2 --reuse-kernels", 2, True, "warm"),
        ):
            wall, cpu = gicstats_mode(runs, tmp / folder, jobs, reuse)
            walls[label], cpus[label] = wall / args.n, cpu / args.n
        same = exports(tmp / "warm") == exports(tmp / "j2")
        load_after = os.getloadavg()
        base = walls.get(BASELINE)
        base_cpu = cpus.get(BASELINE)
        print(f"{args.n} report notebooks, {os.cpu_count()} cores")
        print(
            "load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(*load_before, *load_after)
        )
        print(f"{'mode':40s} {'wall s/nb':>10s} {'x baseline':>11s} {'CPU s/nb':>9s} {'x baseline':>11s}")
        for label in walls:
            ratio = f"{base / walls[label]:.1f}x" if base else "-"
            cpu_ratio = f"{base_cpu / cpus[label]:.1f}x" if base_cpu else "-"
            print(f"{label:40s} {walls[label]:10.2f} {ratio:>11s} {cpus[label]:9.2f} {cpu_ratio:>11s}")
        print(f"warm-kernel exports byte-identical to fresh-kernel exports: {same}")
        if args.profile_n:
            sample = runs[: args.profile_n]
            profiles = {
                "warm": profiled(sample, tmp / "profile-warm", reuse=True),
                "fresh": profiled(sample, tmp / "profile-fresh", reuse=False),
            }
            print_profile(profiles)
            print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        if not same:
            sys.exit("warm-kernel exports differ from fresh-kernel exports")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
