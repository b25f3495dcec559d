"""Benchmark: 20 report notebooks, gicstats run against a papermill CLI loop.

Run on demand::

    python bench/bench_batch.py [--n 20] [--skip-baseline]

It builds a corpus of N reports (copies of a bundled report under N agency
names), then times, in the same session:

- the baseline users run today: a sequential shell loop of the ``papermill``
  CLI followed by ``jupyter nbconvert --to html`` for each notebook;
- ``gicstats run -j 1`` and ``-j 2`` (a fresh kernel per notebook, exports
  in-process, immediate kernel shutdown);
- ``gicstats run -j 2 --reuse-kernels`` (one warm kernel per worker).

It prints seconds per notebook and the throughput ratio of each mode over the
baseline. Machines are noisy: run it twice and quote both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gicstats.corpus import build  # noqa: E402
from gicstats.publish.batch import Options, plan, run_batch  # noqa: E402


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


def baseline(runs, tmp: Path) -> float:
    """A shell loop of the papermill CLI, then nbconvert, one after another."""
    nb = tmp / "report.ipynb"
    subprocess.run(
        ["jupytext", "--to", "ipynb", "-o", str(nb), str(ROOT / "notebooks" / "report.py")],
        check=True,
        capture_output=True,
    )
    out = tmp / "baseline"
    out.mkdir()
    start = time.perf_counter()
    for i, run in enumerate(runs):
        target = out / f"{i:02d}.ipynb"
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
    return time.perf_counter() - start


def gicstats_mode(runs, tmp: Path, label: str, jobs: int, reuse: bool) -> float:
    out = tmp / label
    start = time.perf_counter()
    result = run_batch(runs, out, jobs=jobs, options=Options(reuse_kernels=reuse))
    elapsed = time.perf_counter() - start
    assert result.count("done") == len(runs), [r["error"] for r in result.failed]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gicstats-bench-"))
    for var in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR"):
        os.environ[var] = str(tmp / var.lower())
    os.environ["MPLBACKEND"] = "Agg"
    try:
        corpus = make_corpus(tmp, args.n)
        runs = plan(corpus, notebooks=["report"])
        assert len(runs) == args.n
        times: dict[str, float] = {}
        if not args.skip_baseline:
            times["baseline: papermill CLI + nbconvert loop"] = baseline(runs, tmp)
        times["gicstats run -j 1"] = gicstats_mode(runs, tmp, "j1", 1, False)
        times["gicstats run -j 2"] = gicstats_mode(runs, tmp, "j2", 2, False)
        times["gicstats run -j 2 --reuse-kernels"] = gicstats_mode(runs, tmp, "warm", 2, True)
        base = times.get("baseline: papermill CLI + nbconvert loop")
        print(f"{args.n} report notebooks, {os.cpu_count()} cores")
        print(f"{'mode':45s} {'s/notebook':>10s} {'vs baseline':>12s}")
        for label, seconds in times.items():
            ratio = f"{base / seconds:.1f}x" if base else "-"
            print(f"{label:45s} {seconds / args.n:10.2f} {ratio:>12s}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
