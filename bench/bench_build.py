"""Benchmark: ``gicstats build`` over 1,000, 10,000 and 100,000 generated reports.

Run on demand::

    python bench/bench_build.py [--sizes 1000 10000 100000] [--jobs 2] [--repeat 3]

It writes realistic HTML pages (60–90 KB: Word-export cell styles, page
chrome, narrative; ``tests/generate.py``) to a temporary folder: a few hundred
distinct pages, each copied under many agency names, so that every file has
its own bytes (and sha256) and every agency has a series of six years
(2019–2024, both templates) for the year-against-year checks. Then, for each
size, in a fresh process each time:

- a full build into an empty folder: reports/s;
- one more report added, and the build run again: seconds, against the full
  build's (target: under a tenth);
- peak memory: the build process's VmHWM and its largest worker's
  (``RUSAGE_CHILDREN``), and their sum over all workers as an upper bound;
- CPU seconds of the build process (planning, writing, the series checks)
  and of the workers (reading and checking), per report.

It prints the rate at each size against the rate at the smallest size
(target: within 30%), medians over ``--repeat`` runs where a size is run more
than once (the largest is run once). The machine is often shared: quote the
load average printed with the figures.

``--profile N`` instead profiles reading N pages in this process (read,
check, conversion to Arrow) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TARGET_RATE = 150.0  # generated HTML reports per second, on 2 cores
TARGET_SCALING = 0.70  # the rate at the largest size against the smallest
TARGET_MEMORY = 4 * 1024**3  # bytes, peak, at 100,000 reports
TARGET_REBUILD = 0.10  # adding one report and rebuilding, against the full build

PLACEHOLDER = "基准测试占位区人民政府"
YEARS = tuple(range(2019, 2025))
PER_FOLDER = 1000
MIN_BYTES, MAX_BYTES = 60_000, 90_000


def base_page(i: int) -> bytes:
    """One distinct page for the year ``YEARS[i % 6]``, naming the placeholder agency."""
    import generate as G

    rng = random.Random(1_000_003 * i + 17)
    year = YEARS[i % len(YEARS)]
    version = "2019" if year < 2021 else "2021"
    values = G.balanced_values(version, rng, high=rng.choice((3, 10, 30)))
    for key in rng.sample(sorted(k for k in values if k[0] == "applications" and k[2] != "natural_person"), 10):
        values[key] = None  # a few blanks, as real pages leave them
    return G.sized_html(values, version, PLACEHOLDER, year, rng, (MIN_BYTES + 5_000, MAX_BYTES - 5_000))


def agency(k: int) -> bytes:
    return f"基准测试{k}区人民政府".encode()


def write_sources(folder: Path, n: int, pages: int) -> list[Path]:
    """``n`` report files in folders of 1,000.

    File ``i`` is agency ``i // 6``'s report for year ``YEARS[i % 6]``, from one
    of ``pages`` distinct pages.
    """
    t0 = time.perf_counter()
    pool = [base_page(i) for i in range(pages)]
    by_year = {y: [p for i, p in enumerate(pool) if YEARS[i % len(YEARS)] == y] for y in YEARS}
    placeholder = PLACEHOLDER.encode()
    t1 = time.perf_counter()
    folders = []
    for i in range(n):
        if i % PER_FOLDER == 0:
            folders.append(folder / f"d{i // PER_FOLDER:03d}")
            folders[-1].mkdir(parents=True, exist_ok=True)
        k, year = divmod(i, len(YEARS))
        choices = by_year[YEARS[year]]
        page = choices[(k * 7 + year) % len(choices)].replace(placeholder, agency(k))
        (folders[-1] / f"r{i:06d}.html").write_bytes(page)
    print(
        f"generated {pages} distinct pages in {t1 - t0:.0f} s, wrote {n} files "
        f"({sum(len(p) for p in pool) / len(pool) / 1000:.0f} KB on average) in {time.perf_counter() - t1:.0f} s",
        flush=True,
    )
    return folders


def base_index(i: int, pages: int) -> int:
    """Which distinct page file ``i`` is a copy of (see :func:`write_sources`)."""
    k, year = divmod(i, len(YEARS))
    per_year = len(range(year, pages, len(YEARS)))
    return year + len(YEARS) * ((k * 7 + year) % per_year)


def replay_reads(pages: int, jobs: int) -> None:
    """Replace the build's reading by replaying real reads of the distinct pages.

    Each distinct page is read once, for real (``_Chunk.read``, in a pool of
    ``jobs``); the build then gets, for file ``i``, the result of its page
    with its own report id, agency, source and build id. Everything else the
    build does (hashing, planning, checking rows against the schema, writing
    row groups, the year-against-year checks, the reports table, renames) runs
    as in a real build: this measures the build's own cost at scale.
    """
    import importlib
    from concurrent.futures import ProcessPoolExecutor

    import pyarrow as pa

    build_module = importlib.import_module("gicstats.corpus.build")
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-pages-"))
    items = []
    for j in range(pages):
        items.append([(str(tmp / f"p{j}.html"), "0" * 64)])
        Path(items[-1][0][0]).write_bytes(base_page(j))
    with ProcessPoolExecutor(jobs) as pool:
        read = list(pool.map(build_module._Chunk.read, items, *([[None] * pages] * 2), ["b"] * pages))
    shutil.rmtree(tmp)
    errors = [c.rows[0]["error"] for c in read if c.rows[0].get("error")]
    if errors:
        sys.exit(f"a distinct page could not be read: {errors[:3]}")

    def relabel(table: pa.Table, rid: str, build_id: str, source: str | None = None) -> pa.Table:
        n = table.num_rows
        table = table.set_column(table.schema.get_field_index("report_id"), "report_id", pa.repeat(pa.scalar(rid), n))
        if "build_id" in table.column_names:
            table = table.set_column(0, "build_id", pa.repeat(pa.scalar(build_id), n))
        if source is not None and "source" in table.column_names:
            table = table.set_column(table.schema.get_field_index("source"), "source", pa.repeat(pa.scalar(source), n))
        return table

    def fake_read_many(todo, corrections, jobs_, progress, cache, build_id):
        for start in range(0, len(todo), build_module.TASK_REPORTS):
            rows, tables = [], {}
            for path, sha in todo[start : start + build_module.TASK_REPORTS]:
                i = int(Path(path).stem[1:])
                page = read[base_index(i, pages)]
                rid = sha[:16]
                row = {**page.rows[0], "counts": dict(page.rows[0]["counts"])}
                row.update(report_id=rid, sha256=sha, source=path, report=Path(path).name)
                row["agency"] = agency(i // len(YEARS)).decode()
                rows.append(row)
                for name, table in page.tables.items():
                    tables.setdefault(name, []).append(relabel(table, rid, build_id, path if name == "cells" else None))
            yield build_module._Chunk(rows, {name: pa.concat_tables(parts) for name, parts in tables.items()})

    build_module._read_many = fake_read_many


def one_build(args: argparse.Namespace) -> None:
    """Run in a fresh process: one build, then figures as JSON on stdout."""
    from gicstats.corpus import build

    if args.replay:
        replay_reads(args.pages, args.jobs)
    start = time.perf_counter()
    cpu = os.times()
    result = build([Path(p) for p in args.one], Path(args.out), jobs=args.jobs, progress=True)
    seconds = time.perf_counter() - start
    after = os.times()
    hwm = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest worker's peak
    figures = {
        "seconds": seconds,
        "read": result.read,
        "reused": result.reused,
        "failed": len(result.failed),
        "main_hwm": hwm,
        "worker_hwm": children,
        "main_cpu": (after.user - cpu.user) + (after.system - cpu.system),
        "workers_cpu": (after.children_user - cpu.children_user) + (after.children_system - cpu.children_system),
    }
    print(json.dumps(figures))


def run_build(folders: list[Path], out: Path, jobs: int, replay: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--jobs", str(jobs), "--out", str(out), "--one", *map(str, folders)]
    if replay:
        cmd[2:2] = ["--replay", "--pages", str(replay)]
    log = out.parent / f"{out.name}.log"  # the progress bar, to watch a long build
    with log.open("a") as err:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, check=False)
    if done.returncode:
        sys.exit(f"build failed:\n{log.read_text()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_rate(figures: dict, size: int, jobs: int) -> float:
    """The rate the CPU time allows on ``jobs`` otherwise idle cores: what a shared machine's wall clock hides.

    The main process runs beside the workers, so it counts as one more load
    on the same cores.
    """
    return size / ((figures["main_cpu"] + figures["workers_cpu"]) / jobs)


def gb(n: float) -> str:
    return f"{n / 1024**3:.2f} GB"


def profile(n: int) -> None:
    """Where a worker's time goes, per report, on ``n`` generated pages.

    CPU time of this process, so that other load on the machine counts less.
    """
    import importlib

    import pyarrow as pa

    import gicstats
    from gicstats.check import check_report

    build_module = importlib.import_module("gicstats.corpus.build")
    pages = [base_page(i).replace(PLACEHOLDER.encode(), agency(i)) for i in range(n)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        paths = []
        for i, page in enumerate(pages):
            paths.append(tmp / f"r{i}.html")
            paths[-1].write_bytes(page)
        for p in paths[:5]:  # warm up
            build_module._Chunk.read([(str(p), "0" * 64)], None, None, "b")
        times: dict[str, list[float]] = {"read_report": [], "check_report": []}
        for p in paths:
            t0 = time.process_time()
            report = gicstats.read_report(p)
            t1 = time.process_time()
            check_report(report)
            t2 = time.process_time()
            times["read_report"].append(t1 - t0)
            times["check_report"].append(t2 - t1)
        # a worker's task: read, check, and make the chunk's Arrow tables
        items = [(str(p), "0" * 64) for p in paths]
        per_chunk = []
        for i in range(0, n, build_module.TASK_REPORTS):
            t0 = time.process_time()
            build_module._Chunk.read(items[i : i + build_module.TASK_REPORTS], None, None, "b")
            per_chunk.append((time.process_time() - t0) / len(items[i : i + build_module.TASK_REPORTS]))
        for name, values in times.items():
            print(f"{name:18s} median {statistics.median(values) * 1000:6.1f} ms CPU per report")
        whole = statistics.median(per_chunk)
        rest = whole - statistics.median(times["read_report"]) - statistics.median(times["check_report"])
        print(f"{'a chunk, per report':18s} median {whole * 1000:6.1f} ms CPU per report")
        print(f"{'Arrow, sections':18s} median {rest * 1000:6.1f} ms CPU per report (the rest of a chunk)")
        print(f"one core: {1 / whole:.0f} reports/s; {pa.__version__=}")
    finally:
        shutil.rmtree(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each size but the largest (median)")
    parser.add_argument("--pages", type=int, default=300, help="distinct pages to generate")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write the sources (default: $TMPDIR)")
    parser.add_argument(
        "--sources", type=Path, default=None, help="use (or make and keep) the generated sources in this folder"
    )
    parser.add_argument(
        "--replay",
        action="store_true",
        help="full builds replay real reads of the distinct pages instead of reading every file: "
        "the build's own cost at scale (the rebuild after adding one reads for real)",
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_build(args)
        return
    if args.profile:
        profile(args.profile)
        return
    sizes = sorted(args.sizes)
    if any(s % PER_FOLDER for s in sizes):
        sys.exit(f"sizes must be multiples of {PER_FOLDER}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-", dir=args.tmp))
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores, jobs={args.jobs}, sources in {tmp}", flush=True)
    try:
        src = args.sources or tmp / "src"
        wanted = sizes[-1] // PER_FOLDER + 1
        if args.sources and len(list(src.glob("d*"))) >= wanted and (src / f"d{wanted - 1:03d}").is_dir():
            folders = sorted(src.glob("d*"))[:wanted]  # made by an earlier run with --sources
            print(f"using the sources in {src}", flush=True)
        else:
            folders = write_sources(src, sizes[-1] + 1, args.pages)
        extra = tmp / "extra"  # the one report added
        extra.mkdir()
        rows = []
        for size in sizes:
            use = folders[: size // PER_FOLDER]
            runs = []
            for r in range(1 if size == sizes[-1] else args.repeat):
                out = tmp / f"corpus-{size}-{r}"
                full = run_build(use, out, args.jobs, args.pages if args.replay else 0)
                if full["read"] != size or full["failed"]:
                    sys.exit(f"expected {size} reports read, got {full}")
                # one more report: the next agency-year, moved in from the last folder
                added = folders[-1] / f"r{sizes[-1]:06d}.html"
                shutil.copy(added, extra / added.name)
                again = run_build([*use, extra], out, args.jobs)
                (extra / added.name).unlink()
                if (again["read"], again["reused"]) != (1, size):
                    sys.exit(f"expected 1 read and {size} reused, got {again}")
                full["rebuild"] = again["seconds"]
                full["rebuild_hwm"] = again["main_hwm"]
                full["rebuild_cpu"] = again["main_cpu"] + again["workers_cpu"]
                runs.append(full)
                print(
                    f"  {size:>7} reports: {size / full['seconds']:6.1f} reports/s ({full['seconds']:.0f} s), "
                    f"rebuild after adding one {again['seconds']:.1f} s ({full['rebuild_cpu']:.1f} s CPU), "
                    f"peak {gb(full['main_hwm'])} main + {gb(full['worker_hwm'])} per worker; "
                    f"CPU main {full['main_cpu'] * 1000 / size:.1f} ms/report, "
                    f"workers {full['workers_cpu'] * 1000 / size:.1f} ms/report "
                    f"(so {cpu_rate(full, size, args.jobs):.0f} reports/s if the {args.jobs} cores were ours); "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                shutil.rmtree(out)
            rows.append((size, runs))
        print()
        print(
            "| reports | reports/s | vs smallest | reports/s by CPU time | peak memory (main + workers) "
            "| rebuild after adding one |"
        )
        print("|--:|--:|--:|--:|--:|--:|")
        base_rate = None
        for size, runs in rows:
            rate = statistics.median(size / r["seconds"] for r in runs)
            base_rate = base_rate or rate
            seconds = statistics.median(r["seconds"] for r in runs)
            rebuild = statistics.median(r["rebuild"] for r in runs)
            peak = max(r["main_hwm"] + args.jobs * r["worker_hwm"] for r in runs)
            print(
                f"| {size:,} | {rate:.0f} | {rate / base_rate:.2f}× | "
                f"{statistics.median(cpu_rate(r, size, args.jobs) for r in runs):.0f} | ≤ {gb(peak)} | "
                f"{rebuild:.1f} s ({rebuild / seconds:.3f} of {seconds:.0f} s) |"
            )
        size, runs = rows[-1]
        rate = statistics.median(size / r["seconds"] for r in runs)
        peak = max(r["main_hwm"] + args.jobs * r["worker_hwm"] for r in runs)
        rebuild = statistics.median(r["rebuild"] / r["seconds"] for r in runs)
        print()
        print(f"targets at {size:,}: rate against the smallest size's {rate / base_rate:.2f} (≥ {TARGET_SCALING})")
        print(f"  at least {TARGET_RATE:.0f} reports/s: {rate:.0f}; peak memory {gb(peak)} (< {gb(TARGET_MEMORY)})")
        print(f"  rebuild after adding one: {rebuild:.3f} of the full build (< {TARGET_REBUILD})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
