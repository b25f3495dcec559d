"""The ``gicstats`` command line.

Every bad input gets one line on stderr naming the file and the problem; the
other inputs are still processed, and the exit status says that one failed.
No traceback is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from gicstats._version import __version__
from gicstats.check import check_series
from gicstats.errors import GicstatsError
from gicstats.form.findings import findings_frame
from gicstats.form.rules import SEVERITIES
from gicstats.paths import data_dir, expand_sources
from gicstats.publish import NOTEBOOKS
from gicstats.read import Report, read_report
from gicstats.read.corrections import load_corrections


def _sources(args: Sequence[str]) -> list:
    """URLs as given, files as named, folders expanded to their reports."""
    from gicstats.read.sources import is_url

    out: list = []
    for arg in args:
        out.extend([arg] if is_url(arg) else expand_sources([arg]))
    return out


def _read_all(paths: Sequence[str], corrections=None) -> tuple[list[Report], list[str]]:
    reports, failures = [], []
    for path in _sources(paths):
        try:
            reports.append(read_report(path, corrections=corrections))
        except GicstatsError as exc:
            failures.append(str(exc))
        except Exception as exc:
            failures.append(f"{path}: internal error ({type(exc).__name__}: {exc}); please report this file")
    for line in failures:
        print(f"gicstats: {line}", file=sys.stderr)
    return reports, failures


def _cells(reports: list[Report]) -> pd.DataFrame:
    frames = []
    for r in reports:
        frame = r.cells.copy()
        frame.insert(0, "report", r.name)
        frame.insert(0, "report_id", r.id)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _finite(obj):
    """``obj`` with every NaN or infinite float made None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _dump_json(obj) -> None:
    """Print ``obj`` as strict JSON.

    NaN and infinity (which ``json`` would print as the invalid ``NaN`` and
    ``Infinity``) become null.
    """
    json.dump(_finite(obj), sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
    print()


def _report_json(r: Report) -> dict:
    cells = r.cells.astype(object).where(r.cells.notna(), None)
    findings = r.findings.astype(object).where(r.findings.notna(), None)
    return {
        "report_id": r.id,
        "source": r.source,
        "sha256": r.sha256,
        "agency": r.agency,
        "year": r.year,
        "template_version": r.template_version,
        "published": r.published.isoformat() if r.published else None,
        "cells": cells.to_dict(orient="records"),
        "findings": findings.to_dict(orient="records"),
    }


def _print_table(r: Report) -> None:
    print(f"== {r.source}: {r.agency or '?'} {r.year or '?'}年 (template {r.template_version or '?'})")
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 40, "display.width", 200):
        print(r.cells[["table", "row", "column", "value", "raw", "unit"]].to_string(index=False))
    for f in r.findings.itertuples():
        print(f"  [{f.severity}] {f.rule}: {f.message}")


def cmd_parse(args: argparse.Namespace) -> int:
    """``gicstats parse``: print the tidy cells of each report, as a table, CSV or JSON.

    Returns:
        The exit status: 1 if a file could not be read, else 0.
    """
    reports, failures = _read_all(args.files)
    if args.format == "json":
        _dump_json([_report_json(r) for r in reports])
    elif args.format == "csv":
        _cells(reports).to_csv(sys.stdout, index=False)
    else:
        for r in reports:
            _print_table(r)
    return 1 if failures else 0


def cmd_check(args: argparse.Namespace) -> int:
    """``gicstats check``: print the findings of each report, and of each agency's series.

    Returns:
        The exit status: 2 if a file or the corrections could not be read, 1 if
        an error was found, else 0.
    """
    corrections = None
    if args.corrections:
        try:
            corrections = load_corrections(args.corrections)
        except GicstatsError as exc:
            print(f"gicstats: {exc}", file=sys.stderr)
            return 2
    reports, failures = _read_all(args.paths, corrections)
    frames = [r.check() for r in reports]
    if args.series or any(Path(p).is_dir() for p in args.paths):
        frames.append(findings_frame(check_series(reports)))
    frames = [f for f in frames if len(f)]
    every = pd.concat(frames, ignore_index=True) if frames else findings_frame([])
    findings = every if args.all else every[every["severity"].isin(args.severity)]
    if args.format == "json":
        records = findings.astype(object).where(findings.notna(), None).to_dict(orient="records")
        _dump_json(records)
    elif args.format == "csv":
        findings.to_csv(sys.stdout, index=False)
    else:
        names = {r.id: r.name for r in reports}
        for f in findings.itertuples():
            print(f"{names.get(f.report_id, f.report_id)}: [{f.severity}] {f.rule}: {f.message}")
        counts = findings["severity"].value_counts().to_dict() if len(findings) else {}
        summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in SEVERITIES if s != "info")
        print(f"{len(reports)} reports checked: {summary}", file=sys.stderr)
    if failures:
        return 2
    return 1 if (every["severity"] == "error").any() else 0


def cmd_build(args: argparse.Namespace) -> int:
    """``gicstats build``: read report files, folders and URLs into a Parquet corpus.

    Returns:
        The exit status: 2 if the build could not start, 1 if a file could not
        be read, else 0.
    """
    from gicstats.corpus import build
    from gicstats.read.fetch import read_url_list

    try:
        urls = read_url_list(args.urls) if args.urls else []
        if not args.sources and not urls:
            raise GicstatsError("build", "nothing to read: name report files or folders, or --urls FILE")
        result = build(
            args.sources,
            args.output,
            jobs=args.jobs,
            corrections=args.corrections,
            agencies=args.agencies,
            progress=sys.stderr.isatty(),
            urls=urls,
            cache=args.cache,
        )
    except GicstatsError as exc:
        print(f"gicstats: {exc}", file=sys.stderr)
        return 2
    for source, error in result.failed:
        print(f"gicstats: {source}: {error}", file=sys.stderr)
    print(
        f"{result.path}: {result.total} files ({result.read} read, {result.reused} unchanged), "
        f"{len(result.failed)} could not be read"
    )
    return 1 if result.failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    """``gicstats run``: execute the notebooks over a corpus and write the index page.

    Returns:
        The exit status: 2 if the batch could not start, 1 if a run failed,
        else 0.
    """
    from gicstats.publish.batch import Options, plan, run_batch, summary
    from gicstats.publish.user import expand_notebooks

    options = Options(timeout=args.timeout, with_code=args.with_code, reuse_kernels=args.reuse_kernels)
    try:
        notebooks = expand_notebooks(args.notebook)
        parameters = dict(args.parameter or [])
        runs = plan(
            args.corpus,
            notebooks=notebooks,
            agencies=args.agency,
            years=args.year,
            options=options,
            parameters=parameters,
        )
        result = run_batch(
            runs,
            args.output,
            jobs=args.jobs,
            executor=args.executor,
            scheduler=args.scheduler,
            options=options,
            progress=sys.stderr.isatty() and not args.quiet,
        )
    except GicstatsError as exc:
        print(f"gicstats: {exc}", file=sys.stderr)
        return 2
    print(summary(result))
    print(f"index: {Path(args.output) / 'index.html'}")
    return 1 if result.failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the corpus from the bundled data and run every notebook on it."""
    from gicstats.corpus import build
    from gicstats.publish.batch import Options, plan, run_batch, summary

    folder = args.data or data_dir()
    if not folder.is_dir():
        print(f"gicstats: {folder}: no such folder of sample reports", file=sys.stderr)
        return 2
    out = args.output
    corpus_dir = out / "corpus"
    extras = {name: folder / f"{name}.toml" for name in ("corrections", "agencies")}
    try:
        result = build(
            [folder],
            corpus_dir,
            corrections=extras["corrections"] if extras["corrections"].is_file() else None,
            agencies=extras["agencies"] if extras["agencies"].is_file() else None,
            jobs=args.jobs,
        )
        print(
            f"corpus {corpus_dir}: {result.total} reports ({result.read} read, {result.reused} unchanged), "
            f"{len(result.failed)} could not be read"
        )
        runs = plan(corpus_dir, options=Options())
        batch = run_batch(runs, out, jobs=args.jobs, progress=sys.stderr.isatty())
    except GicstatsError as exc:
        print(f"gicstats: {exc}", file=sys.stderr)
        return 2
    print(summary(batch))
    print(f"open {out / 'index.html'}")
    return 1 if batch.failed or result.failed else 0


_RUN_HELP = """\
Run notebooks for every agency and year of a corpus, in parallel, with HTML
exports and reports/index.html. A rerun skips runs whose inputs are unchanged.

Your own notebooks run the same way: give their files (or a folder) to
--notebook. A notebook is planned from the parameters its `parameters` cell
declares: agency and year, one run per agency-year; agency only, one per
agency; year only, one per year; otherwise one run over the selection
(year_from and year_to get its first and last year). corpus is passed when
declared. Set any other parameter with -p NAME VALUE; unknown or misspelt
names are rejected before anything runs.

examples:
  gicstats run --corpus corpus/ --notebook report --agency 平潭综合实验区 --year 2021
  gicstats run --corpus corpus/ --notebook mynotebooks/fees.py -p threshold 30
  gicstats run --corpus corpus/ --notebook mynotebooks/ -o reports/
"""


def cmd_lab(args: argparse.Namespace) -> int:
    """Start JupyterLab on the notebooks, with the corpus ready."""
    from gicstats.publish import lab

    try:
        return lab.main(args.corpus, args.jupyter_args)
    except GicstatsError as exc:
        print(f"gicstats: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gicstats`` command and its subcommands."""
    parser = argparse.ArgumentParser(prog="gicstats", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"gicstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="print the tidy cells of report files")
    p.add_argument("files", nargs="+", help="report files, folders or http(s) URLs")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_parse)
    c = sub.add_parser("check", help="check reports: identities, narrative against tables, year against year")
    c.add_argument("paths", nargs="+", help="report files or folders (a folder also checks each agency's series)")
    c.add_argument("--format", choices=("table", "csv", "json"), default="table")
    c.add_argument("--series", action="store_true", help="also check year against year among the files given")
    c.add_argument("--corrections", help="reviewed corrections file (TOML) to apply before checking")
    c.add_argument(
        "--severity",
        nargs="+",
        default=["error", "warning"],
        choices=SEVERITIES,
        help="severities to print (default: error warning)",
    )
    c.add_argument("--all", action="store_true", help="print findings of every severity")
    c.set_defaults(func=cmd_check)
    b = sub.add_parser("build", help="read reports into a corpus of Parquet files")
    b.add_argument("sources", nargs="*", help="report files or folders")
    b.add_argument("--urls", metavar="FILE", help="file of report URLs to fetch, one a line (# comments)")
    b.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="folder of fetched pages (default: <output>/cache); cached URLs are not fetched again",
    )
    b.add_argument("-o", "--output", required=True, type=Path, help="corpus folder")
    b.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: number of cores)")
    b.add_argument("--corrections", help="reviewed corrections file (TOML)")
    b.add_argument("--agencies", help="reviewed agency alias file (TOML)")
    b.set_defaults(func=cmd_build)
    r = sub.add_parser(
        "run",
        help="run the notebooks for a corpus in parallel, with HTML exports and an index",
        description=_RUN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("--corpus", required=True, type=Path, help="corpus folder from `gicstats build`")
    r.add_argument(
        "--notebook",
        nargs="+",
        default=["all"],
        metavar="NOTEBOOK",
        help=f"{', '.join(NOTEBOOKS)}, explore, all ({', '.join(NOTEBOOKS)}: the default), "
        "or your own notebook files (.py jupytext text or .ipynb) or folders of them",
    )
    r.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set another parameter, as papermill's -p does (repeatable); a name no notebook declares is rejected",
    )
    r.add_argument("--agency", nargs="+", help="only these agencies (names or aliases)")
    r.add_argument("--year", nargs="+", type=int, help="only these years")
    r.add_argument("-j", "--jobs", type=int, default=None, help="parallel runs (default: number of cores)")
    r.add_argument("--executor", choices=("local", "dask"), default="local")
    r.add_argument("--scheduler", help="address of a Dask scheduler (default with --executor dask: a LocalCluster)")
    r.add_argument("-o", "--output", type=Path, default=Path("reports"), help="output folder (default: reports/)")
    r.add_argument("--timeout", type=float, default=600, help="seconds per run before it is stopped (default 600)")
    r.add_argument("--with-code", action="store_true", help="keep input cells in the HTML exports")
    r.add_argument(
        "--reuse-kernels",
        action="store_true",
        help="reuse one warm kernel per worker, reset between notebooks (faster)",
    )
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("demo", help="build a corpus from data/ and run every notebook into reports/")
    d.add_argument("--data", type=Path, default=None, help="folder of reports (default: data/)")
    d.add_argument("-o", "--output", type=Path, default=Path("reports"), help="output folder (default: reports/)")
    d.add_argument("-j", "--jobs", type=int, default=None, help="parallel workers (default: number of cores)")
    d.set_defaults(func=cmd_demo)
    lab = sub.add_parser(
        "lab",
        help="start JupyterLab on the notebooks, with a corpus ready",
        description="Start JupyterLab on notebooks/, where report.py, trend.py, compare.py and explore.py open "
        "as notebooks and read CORPUS (given to them as $GICSTATS_CORPUS). Without CORPUS: reports/corpus, "
        "built from the sample reports in data/ if missing. Other options go to jupyter lab "
        "(e.g. --no-browser --port 8890 --ip 127.0.0.1).",
    )
    lab.add_argument("corpus", nargs="?", default=None, help="corpus folder from `gicstats build`")
    lab.set_defaults(func=cmd_lab, jupyter_args=[])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gicstats`` command line on ``argv`` (``sys.argv[1:]`` by default).

    Options after ``gicstats lab`` that it does not know are passed on to
    JupyterLab; any other unknown option is an error.

    Returns:
        The exit status; 130 when interrupted, 0 when the output pipe closed.
    """
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest:
        if args.command != "lab":
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        args.jupyter_args = rest  # jupyter lab's own options, passed on
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("gicstats: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
