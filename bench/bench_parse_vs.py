"""This tree's ``read_report`` against older commits', on the same pages, in one run.

Run on demand (not a test)::

    python bench/bench_parse_vs.py                       # against BASELINES
    python bench/bench_parse_vs.py --baseline db8f105    # against any commit(s)

Each baseline commit is checked out in a temporary ``git worktree`` (removed
at the end) and imported in a subprocess (``PYTHONPATH`` set to its ``src``),
as this tree is. The pages are made once, by this tree's ``tests/generate.py``
and ``bench/bench_parse.py``, in the shapes every compared commit reads:
generated HTML pages (60-90 KB), the text shapes of spec §7.5 (pipe, lines,
cell_pipe, run), fresh copies of the real HTML and text pages, and generated
PDFs (drawn tables, table 三 continued on a new page, no ruling lines). A
fresh set of pages per round, so that content-keyed caches never see a page
twice, plus a warm-up set each process reads first (imports, compiled
template).

Rounds alternate the trees (this one, then each baseline; the order turns
each round), each in a new process pinned to one core, timing the CPU
seconds of each page alone. Printed: the median ms per page per tree and
shape, and the median over pages of this tree's time / the baseline's on the
same page (1.10 would be 10% slower): a burst of other load on the machine
slows a few pages of one tree, which moves neither median much, where it
moved a round's mean.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

# db8f105: main just before the issue-12 merges (longtail-12, pdf-12);
# b858ad0: the perf-11 branch's tip, which main merged after longtail-12 and
# which holds no issue-12 work (the fairest "before issue 12" for timing).
BASELINES = ("db8f105", "b858ad0")
TEXT_SHAPES = ("pipe", "lines", "cell_pipe", "run")
PDF_KINDS = ("pdf", "pdf-split", "pdf-text")

CHILD = r"""
import json, os, sys, time
from pathlib import Path
cpu = min(os.sched_getaffinity(0))
os.sched_setaffinity(0, {cpu})
import gicstats
src, pages, rnd = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
assert Path(gicstats.__file__).resolve().is_relative_to(Path(src).resolve()), gicstats.__file__
def read_all(folder):
    out = {}
    for shape in sorted(p.name for p in folder.iterdir()):
        files = sorted((folder / shape).iterdir())
        data = [(f.name, f.read_bytes()) for f in files]
        out[shape] = times = []
        for name, page in data:
            start = time.process_time()
            gicstats.read_report(page, name=name).cells
            times.append(time.process_time() - start)
    return out
read_all(pages / "r0")
print(json.dumps(read_all(pages / rnd)))
"""


def make_pages(root: Path, rounds: int, n: int) -> None:
    """Round 0 (warm-up) and 1..rounds: each a folder per shape of distinct pages."""
    import bench_parse as B

    real = B.real_pages()
    for r in range(rounds + 1):
        batch = 1000 + r
        shapes: dict[str, list[tuple[str, bytes]]] = {
            "html": [(f"p{i}.html", B.html_page(i, batch)) for i in range(n)],
            **{s: [(f"p{i}.txt", B.text_page(s, i, batch)) for i in range(n)] for s in TEXT_SHAPES},
            **{k: [(f"p{i}.pdf", B.attachment(k, i, batch)) for i in range(max(2, n // 4))] for k in PDF_KINDS},
        }
        rng = random.Random(batch)
        copies = []
        for path in real:
            html = path.suffix.lower() in (".html", ".htm")
            for j in range(max(1, n // 8)):
                copies.append((f"{path.stem}_{j}{path.suffix}", B.fresh_copy(path.read_bytes(), html, rng, f"r{r}")))
        shapes["real"] = copies
        for shape, pages in shapes.items():
            folder = root / f"r{r}" / shape
            folder.mkdir(parents=True)
            for name, page in pages:
                (folder / name).write_bytes(page)


def run_child(src: Path, pages: Path, rnd: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(pages), f"r{rnd}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=src.parent,
    )
    if done.returncode != 0:
        raise SystemExit(f"{src}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="append", help="commit to compare with (repeatable)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5); medians over them")
    parser.add_argument("--reports", type=int, default=16, help="pages per shape per round (default 16)")
    args = parser.parse_args()
    baselines = args.baseline or list(BASELINES)
    with tempfile.TemporaryDirectory(prefix="bench-vs-") as tmp:
        root = Path(tmp)
        trees = {"HEAD (this tree)": ROOT / "src"}
        for rev in baselines:
            where = root / f"base-{rev}"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
                check=True,
                capture_output=True,
            )
            trees[rev] = where / "src"
        try:
            make_pages(root / "pages", args.rounds, args.reports)
            # per page, in the same order for every tree: pages[i] is the
            # same page for each
            times: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
            order = list(trees)
            for r in range(1, args.rounds + 1):
                for name in order:
                    for shape, secs in run_child(trees[name], root / "pages", r).items():
                        times[name].setdefault(shape, []).extend(secs)
                order = order[1:] + order[:1]
        finally:
            for rev in baselines:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(root / f"base-{rev}")],
                    check=False,
                    capture_output=True,
                )
    head = "HEAD (this tree)"
    shapes = list(times[head])
    print(
        f"median CPU ms per page over {args.rounds} rounds of {args.reports} pages per shape "
        "(each page timed alone, one core); ratio: the median over pages of HEAD's time / the baseline's "
        "on the same page (1.10 would be 10% slower)"
    )
    print(f"{'shape':12}" + "".join(f"{t[:16]:>18}" for t in trees) + "".join(f"{'/ ' + b:>16}" for b in baselines))
    for shape in shapes:
        med = {t: statistics.median(times[t][shape]) for t in trees}
        cells = "".join(f"{med[t] * 1000:18.2f}" for t in trees)
        ratios = "".join(
            f"{statistics.median(h / x for h, x in zip(times[head][shape], times[b][shape])):16.3f}"
            for b in baselines
        )
        print(f"{shape:12}{cells}{ratios}")
    for b in baselines:
        total_head = sum(statistics.median(times[head][s]) for s in shapes)
        total_base = sum(statistics.median(times[b][s]) for s in shapes)
        print(f"sum of shapes' medians: HEAD / {b} = {total_head / total_base:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
