"""Benchmark: CPU of a report's charts and of a report notebook, this tree against a git revision.

Run on demand::

    python bench/bench_charts.py [--rev main] [--rounds 10] [--passes 2]

The revision is checked out in a temporary ``git worktree``; each tree is
measured in a subprocess of its own with its ``src/`` first on the path (and
on the kernel's), the two trees taking turns ``--passes`` times, so both
see the same load. Two measures, CPU seconds, medians over the rounds:

- per chart: the four charts of every bundled report (``data/``), each drawn
  and encoded as the report notebook does (``plots.png``; ``savefig`` at
  100 dpi in a tree without it), in a plain interpreter after one warm-up pass;
- per notebook: the report notebook's code cells run on a warm ipykernel
  (as ``gicstats run --reuse-kernels`` runs them) on a corpus built from
  ``data/``: the kernel process's CPU, every thread, read from ``/proc``, for
  the whole notebook and for its charts cell alone.

It prints both trees' medians and their ratios. The machine is shared: quote
the load average printed with the figures, and compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGENCY, YEAR = "平潭综合实验区", 2021


def kernel_cpu(pid: int) -> float:
    """CPU seconds the process ``pid`` has used, all its threads."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text(encoding="ascii").split()[0])
        except OSError:  # a thread ended meanwhile
            pass
    return total / 1e9


def chart_rounds(tree: Path, rounds: int) -> list[float]:
    """CPU seconds per chart, one figure per round: every bundled report's four charts, drawn and encoded."""
    import gicstats
    from gicstats.analysis import plots

    reports = [gicstats.read_report(p) for p in sorted((tree / "data").iterdir()) if p.suffix in (".txt", ".html")]
    makers = (plots.applicant_mix, plots.outcome_breakdown, plots.review_litigation, plots.proactive)

    def encode(fig) -> bytes:
        if hasattr(plots, "png"):
            return plots.png(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)  # what show_figure did before plots.png
        return buf.getvalue()

    def once() -> None:
        for report in reports:
            for make in makers:
                encode(make(report))

    once()
    out = []
    for _ in range(rounds):
        start = time.process_time()
        once()
        out.append((time.process_time() - start) / (len(reports) * len(makers)))
    return out


def notebook_rounds(tree: Path, corpus: Path, rounds: int) -> tuple[list[float], list[float], str]:
    """Kernel CPU seconds per report notebook and per charts cell, on one warm kernel."""
    import jupytext
    from jupyter_client.manager import start_new_kernel

    nb = jupytext.read(tree / "notebooks" / "report.py")
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    cells[0] = f"corpus = {str(corpus)!r}\nagency = {AGENCY!r}\nyear = {YEAR}"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    pid = km.provisioner.process.pid

    def run(code: str) -> str:
        msg_id = kc.execute(code)
        text = []
        while True:
            msg = kc.get_iopub_msg(timeout=300)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                text.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(text)

    try:
        where = run("import gicstats; print(gicstats.__file__)").strip()
        notebooks, charts = [], []
        for i in range(rounds + 1):  # the first run imports: not counted
            start = kernel_cpu(pid)
            chart = 0.0
            for code in cells:
                before = kernel_cpu(pid)
                run(code)
                if "nb.charts(" in code:
                    chart += kernel_cpu(pid) - before
            if i:
                notebooks.append(kernel_cpu(pid) - start)
                charts.append(chart)
        return notebooks, charts, where
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def worker(tree: Path, corpus: Path, rounds: int) -> None:
    sys.path.insert(0, str(tree / "src"))
    per_chart = chart_rounds(tree, rounds)
    per_notebook, charts_cell, where = notebook_rounds(tree, corpus, rounds)
    assert where.startswith(str(tree / "src")), f"the kernel imported {where}, not {tree}"
    print(json.dumps({"chart": per_chart, "notebook": per_notebook, "charts_cell": charts_cell}))


def measure(tree: Path, corpus: Path, rounds: int, tmp: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "MPLBACKEND": "Agg"}
    for var in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR"):
        env[var] = str(tmp / var.lower())
    cmd = [sys.executable, __file__, "--worker", str(tree), "--corpus", str(corpus), "--rounds", str(rounds)]
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="main", help="the revision to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.corpus, args.rounds)
        return
    tmp = Path(tempfile.mkdtemp(prefix="gicstats-bench-charts-"))
    old = tmp / "old"
    load_before = os.getloadavg()
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.rev], check=True)
        sys.path.insert(0, str(ROOT / "src"))
        from gicstats.corpus import build

        corpus = tmp / "corpus"
        data = ROOT / "data"
        build([data], corpus, agencies=data / "agencies.toml", corrections=data / "corrections.toml", jobs=1)
        trees = {f"{args.rev}": old, "this tree": ROOT}
        results: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for _ in range(args.passes):
            for name, tree in trees.items():
                for key, values in measure(tree, corpus, args.rounds, tmp).items():
                    results[name].setdefault(key, []).extend(values)
        load_after = os.getloadavg()
        print(f"{os.cpu_count()} cores; load average before: {load_before[0]:.2f}, after: {load_after[0]:.2f}")
        print(f"CPU seconds, medians of {args.passes} x {args.rounds} rounds")
        names = list(trees)
        print(f"{'measure':36s}" + "".join(f"{n:>14s}" for n in names) + f"{'ratio':>8s}")
        for key, label in (
            ("chart", "per chart (plain interpreter)"),
            ("charts_cell", "charts cell (warm kernel)"),
            ("notebook", "report notebook (warm kernel)"),
        ):
            medians = [statistics.median(results[n][key]) for n in names]
            print(f"{label:36s}" + "".join(f"{m:14.4f}" for m in medians) + f"{medians[0] / medians[1]:7.2f}x")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
