"""This tree's ``read_report`` against older commits', on the same pages, in one run.

Run on demand (not a test)::

    python bench/bench_parse_vs.py                       # against BASELINES
    python bench/bench_parse_vs.py --baseline db8f105    # against any commit(s)
    python bench/bench_parse_vs.py --instructions        # instructions counted by valgrind

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

Each round runs every tree in a new process pinned to a core of its own,
side by side (the cores turned each round), when the machine has a core for
each (``--in-turn``: one after another): a shared machine's slow spells,
which last longer than a round, then fall on every tree alike. Each page's
CPU seconds are timed alone. Printed: the median ms per page per tree and
shape, and the median over pages of this tree's time / the baseline's on the
same page (1.10 would be 10% slower): a burst of other load on the machine
slows a few pages of one tree, which moves neither median much, where it
moved a round's mean.

Even so, a shared machine's speed drifts by 10-30% over minutes, more than
the differences worth measuring. ``--instructions`` counts instead the
instructions each tree executes per page, under valgrind (cachegrind without
cache simulation; ``PYTHONHASHSEED=0``): the same count on every run, whatever
else the machine does, at about a hundred times the time. The warm-up pages
of a shape are read in one child and again, followed by its pages of one
round, in another; the difference over the pages is the count per page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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


# Under valgrind: read the warm-up pages of one shape, then (when asked) its
# pages of round 1; the instructions of the second run less the first's are
# the pages' own.
COUNT_CHILD = r"""
import sys
from pathlib import Path
import gicstats
pages, shape, measure = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
for f in sorted((pages / "r0" / shape).iterdir()):
    gicstats.read_report(f.read_bytes(), name=f.name).cells
if measure:
    for f in sorted((pages / "r1" / shape).iterdir()):
        gicstats.read_report(f.read_bytes(), name=f.name).cells
"""
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def count_instructions(src: Path, pages: Path, shape: str, measure: bool) -> int:
    """Instructions a child reading ``shape`` executes, counted by valgrind (cachegrind, no cache simulation)."""
    env = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            COUNT_CHILD,
            str(pages),
            shape,
            "1" if measure else "0",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=src.parent,
    )
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{src} {shape}: valgrind failed: {done.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1).replace(",", ""))


def instructions(trees: dict[str, Path], pages: Path, shapes: list[str], n_pages: dict[str, int]) -> None:
    """Print instructions per page per tree and shape, and each tree's ratio to the first baseline's."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(name, shape, measure) for name in trees for shape in shapes for measure in (False, True)]
    with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
        counts = dict(zip(jobs, pool.map(lambda j: count_instructions(trees[j[0]], pages, j[1], j[2]), jobs)))
    names = list(trees)
    head, baselines = names[0], names[1:]
    print("million instructions per page (valgrind, deterministic); ratio: HEAD / baseline (1.10 would be 10% more)")
    print(f"{'shape':12}" + "".join(f"{t[:16]:>18}" for t in names) + "".join(f"{'/ ' + b:>16}" for b in baselines))
    for shape in shapes:
        per = {t: (counts[(t, shape, True)] - counts[(t, shape, False)]) / n_pages[shape] / 1e6 for t in names}
        cells = "".join(f"{per[t]:18.2f}" for t in names)
        print(f"{shape:12}{cells}" + "".join(f"{per[head] / per[b]:16.3f}" for b in baselines))


def run_children(srcs: list[Path], pages: Path, rnd: int, cores: list[int] | None) -> list[dict[str, list[float]]]:
    """One child per tree, reading round ``rnd``: side by side, one a core, where ``cores`` are given; else in turn."""
    env_of = {src: {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg"} for src in srcs}

    def start(src: Path, core: int | None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(src), str(pages), f"r{rnd}"],
            env=env_of[src],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=src.parent,
            preexec_fn=None if core is None else (lambda: os.sched_setaffinity(0, {core})),
        )

    def result(src: Path, child: subprocess.Popen) -> dict[str, list[float]]:
        out, err = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"{src}: {err.strip().splitlines()[-1] if err.strip() else child.returncode}")
        return json.loads(out.strip().splitlines()[-1])

    if cores:
        children = [start(src, core) for src, core in zip(srcs, cores)]
        return [result(src, child) for src, child in zip(srcs, children)]
    return [result(src, start(src, None)) for src in srcs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="append", help="commit to compare with (repeatable)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5); medians over them")
    parser.add_argument("--reports", type=int, default=16, help="pages per shape per round (default 16)")
    parser.add_argument(
        "--in-turn",
        action="store_true",
        help="run the trees one after another on one core (default: side by side, a core each, when there are enough)",
    )
    parser.add_argument(
        "--instructions",
        nargs="*",
        metavar="SHAPE",
        help="count instructions under valgrind instead of timing (deterministic; about 100 times slower), "
        "for these shapes (default: html real pipe lines cell_pipe)",
    )
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
            if args.instructions is not None:
                make_pages(root / "pages", 1, args.reports)
                shapes = args.instructions or ["html", "real", "pipe", "lines", "cell_pipe"]
                n_pages = {shape: len(list((root / "pages" / "r1" / shape).iterdir())) for shape in shapes}
                instructions(trees, root / "pages", shapes, n_pages)
                return 0
            make_pages(root / "pages", args.rounds, args.reports)
            # per page, in the same order for every tree: pages[i] is the
            # same page for each
            times: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
            order = list(trees)
            free = sorted(os.sched_getaffinity(0))
            side_by_side = not args.in_turn and len(trees) <= len(free)
            for r in range(1, args.rounds + 1):
                # side by side: each tree on its own core, the cores turned
                # each round, so that the machine's slow spells (a shared
                # host) fall on every tree alike
                cores = free[: len(order)] if side_by_side else None
                results = run_children([trees[name] for name in order], root / "pages", r, cores)
                for name, result in zip(order, results):
                    for shape, secs in result.items():
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
            f"{statistics.median(h / x for h, x in zip(times[head][shape], times[b][shape])):16.3f}" for b in baselines
        )
        print(f"{shape:12}{cells}{ratios}")
    for b in baselines:
        total_head = sum(statistics.median(times[head][s]) for s in shapes)
        total_base = sum(statistics.median(times[b][s]) for s in shapes)
        print(f"sum of shapes' medians: HEAD / {b} = {total_head / total_base:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
