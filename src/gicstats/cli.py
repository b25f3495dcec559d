"""The ``gicstats`` command line.

Every bad input gets one line on stderr naming the file and the problem; the
other inputs are still processed, and the exit status says that one failed.
No traceback is printed. Exit status 2 means an input could not be used (a
missing file among them, for every command), 130 that Ctrl-C stopped it.
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
from gicstats.paths import bundled_data_dir, expand_sources
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


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def cmd_parse(args: argparse.Namespace) -> int:
    """``gicstats parse``: print the tidy cells of each report, as a table, CSV or JSON.

    Returns:
        The exit status: 2 if a file could not be read (as for ``check``),
        else 0.
    """
    reports, failures = _read_all(args.files)
    if args.format == "json":
        _dump_json([_report_json(r) for r in reports])
    elif args.format == "csv":
        _cells(reports).to_csv(sys.stdout, index=False)
    else:
        for r in reports:
            _print_table(r)
    return 2 if failures else 0


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
        summary = ", ".join(
            _n(counts.get(s, 0), s) if s != "not_assessable" else f"{counts.get(s, 0)} not assessable"
            for s in SEVERITIES
            if s != "info"
        )
        print(f"{_n(len(reports), 'report')} checked: {summary}", file=sys.stderr)
    if failures:
        return 2
    return 1 if (every["severity"] == "error").any() else 0


def cmd_build(args: argparse.Namespace) -> int:
    """``gicstats build``: read report files, folders and URLs into a Parquet corpus.

    Returns:
        The exit status: 2 if the build could not start or a file or folder
        named does not exist (the others are built), 1 if a file could not
        be read, else 0.
    """
    from gicstats.corpus import build
    from gicstats.read.fetch import read_url_list
    from gicstats.read.sources import is_url

    missing = [s for s in args.sources if not is_url(s) and not Path(s).exists()]
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
        f"{result.path}: {_n(result.total, 'file')} ({result.read} read, {result.reused} unchanged), "
        f"{len(result.failed)} could not be read"
    )
    if missing:
        return 2
    return 1 if result.failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    """``gicstats run``: execute the notebooks over a corpus and write the index page.

    Returns:
        The exit status: 2 if the batch could not start (an unknown agency,
        year or notebook among them), 1 if a run failed, 130 if Ctrl-C
        stopped it, else 0.
    """
    from gicstats.publish.batch import Interrupted, Options, plan, run_batch, summary
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
    except Interrupted as stopped:
        print(summary(stopped.result))
        print(f"index: {Path(args.output) / 'index.html'}")
        return 130
    print(summary(result))
    print(f"index: {Path(args.output) / 'index.html'}")
    return 1 if result.failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the corpus from the bundled data and run every notebook on it.

    The bundled data is the package's own (see
    :func:`gicstats.paths.bundled_data_dir`), not a ``./data`` folder of the
    current directory; ``--data`` names another.
    """
    from gicstats.corpus import build
    from gicstats.publish.batch import Interrupted, Options, plan, run_batch, summary

    folder = args.data or bundled_data_dir()
    if not folder.is_dir():
        hint = "" if args.data else "; name a folder of reports with --data"
        print(f"gicstats: {folder}: no such folder of sample reports{hint}", file=sys.stderr)
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
            f"corpus {corpus_dir}: {_n(result.total, 'report')} ({result.read} read, {result.reused} unchanged), "
            f"{len(result.failed)} could not be read"
        )
        runs = plan(corpus_dir, options=Options())
        batch = run_batch(runs, out, jobs=args.jobs, progress=sys.stderr.isatty())
    except GicstatsError as exc:
        print(f"gicstats: {exc}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        print(summary(stopped.result))
        print(f"open {out / 'index.html'}")
        return 130
    print(summary(batch))
    print(f"open {out / 'index.html'}")
    return 1 if batch.failed or result.failed else 0


_DESCRIPTION = """\
Read, check and chart the statistics of Chinese government information
disclosure annual reports (政府信息公开工作年度报告), exactly as printed,
with the provenance of every number.
"""

_EPILOG = """\
exit status: 0 all went well; 1 a file could not be read into a corpus, a
check found an error, or a run failed; 2 an input could not be used (a
missing file, an unknown agency, year or option); 130 stopped by Ctrl-C.

Each command says more with --help, e.g. gicstats run --help.
"""

_PARSE_HELP = """\
Read report files (HTML, text, PDF, DOCX, XLSX, images by OCR), folders of
them or http(s) URLs, and print each report's tidy cells: one row per table
cell with its table, row, column, value, the text as printed and its unit,
then its findings. A file that cannot be read gets one line on stderr; the
others are still printed.

examples:
  gicstats parse data/tianmen_police_2020.txt
  gicstats parse data/ --format csv > cells.csv
  gicstats parse report.pdf --format json

exit status: 0, or 2 if a file could not be read.
"""

_CHECK_HELP = """\
Check reports against the form's identities, their own text against their
tables and, for a folder or --series, each agency's year against year.
Prints one finding a line, then the counts on stderr.

examples:
  gicstats check data/tianmen_police_2020.txt
  gicstats check data/ --format csv --all > findings.csv
  gicstats check a_2020.txt a_2021.txt --series --corrections data/corrections.toml

exit status: 0 no error found, 1 an error found, 2 a file could not be read.
"""

_BUILD_HELP = """\
Read report files, folders and URLs into a corpus folder of Parquet files
(reports, cells, findings, sections), in parallel. A rebuild reads only
what changed; a file that cannot be read is recorded with its error.

examples:
  gicstats build data/ -o corpus/ --agencies data/agencies.toml --corrections data/corrections.toml
  gicstats build --urls urls.txt -o corpus/

exit status: 0; 1 if a file could not be read; 2 if the build could not
start or a file or folder named does not exist (the others are built).
"""

_RUN_HELP = """\
Run notebooks for every agency and year of a corpus, in parallel, with HTML
exports and reports/index.html, which lists every export in the folder
(those of earlier runs too). A rerun skips runs whose inputs are unchanged.
An agency must be named as in the corpus (a name or an alias; the error
lists them), and a year must be one it has reports for.

Your own notebooks run the same way: give their files (or a folder) to
--notebook. A notebook is planned from the parameters its parameters cell
declares: agency and year, one run per agency-year; agency only, one per
agency; year only, one per year; otherwise one run over the selection
(year_from and year_to get its first and last year). corpus is passed when
declared. Set any other parameter with -p NAME VALUE; unknown or misspelt
names are rejected before anything runs.

Ctrl-C stops within seconds: queued runs are cancelled, running ones
interrupted, every finished run is recorded and the index written; the
same command then does only what is left.

examples:
  gicstats run --corpus corpus/ -o reports/ -j 2
  gicstats run --corpus corpus/ --notebook report --agency 平潭综合实验区 --year 2021 2023
  gicstats run --corpus corpus/ --notebook mynotebooks/fees.py -p threshold 30
  gicstats run --corpus corpus/ --notebook mynotebooks/ -o reports/

exit status: 0; 1 if a run failed; 2 if the batch could not start (an
unknown agency, year, notebook or parameter); 130 if stopped by Ctrl-C.
"""

_DEMO_HELP = """\
Build a corpus from the sample reports that come with gicstats (the data/
folder of the gicstats checkout, whatever the current folder holds; or
--data), run every notebook on it and write the exports and index.html.

examples:
  gicstats demo
  gicstats demo -o /tmp/demo -j 2

exit status: 0; 1 if a report or run failed; 2 if the data folder is
missing; 130 if stopped by Ctrl-C.
"""

_LAB_HELP = """\
Start JupyterLab on notebooks/, where report.py, trend.py, compare.py and
explore.py open as notebooks and read CORPUS (given to them as
$GICSTATS_CORPUS). Without CORPUS: reports/corpus, built from the sample
reports in data/ if missing. Other options go to jupyter lab.

examples:
  gicstats lab
  gicstats lab corpus/ --no-browser --port 8890 --ip 127.0.0.1

exit status: that of jupyter lab; 2 if the corpus is missing.
"""

_FORMAT_HELP = "output: table (default, to read), csv or json (one record per {what}, to process)"


def cmd_lab(args: argparse.Namespace) -> int:
    """Start JupyterLab on the notebooks, with the corpus ready."""
    from gicstats.publish import lab

    try:
        return lab.main(args.corpus, args.jupyter_args)
    except GicstatsError as exc:
        print(f"gicstats: {exc}", file=sys.stderr)
        return 2


def _command(sub, name: str, summary: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose --help prints ``text`` as written: what it does, then after the options its examples."""
    description, examples, rest = text.partition("examples:\n")
    return sub.add_parser(
        name,
        help=summary,
        description=description.rstrip(),
        epilog=examples + rest,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gicstats`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="gicstats",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gicstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = _command(sub, "parse", "print the tidy cells of report files", _PARSE_HELP)
    p.add_argument("files", nargs="+", help="report files, folders or http(s) URLs")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help=_FORMAT_HELP.format(what="cell"))
    p.set_defaults(func=cmd_parse)
    c = _command(sub, "check", "check reports: identities, narrative against tables, year against year", _CHECK_HELP)
    c.add_argument("paths", nargs="+", help="report files or folders (a folder also checks each agency's series)")
    c.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help=_FORMAT_HELP.format(what="finding")
    )
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
    b = _command(sub, "build", "read reports into a corpus of Parquet files", _BUILD_HELP)
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
    r = _command(sub, "run", "run the notebooks for a corpus in parallel, with HTML exports and an index", _RUN_HELP)
    r.add_argument("--corpus", required=True, type=Path, help="corpus folder made by gicstats build")
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
    r.add_argument(
        "--agency", nargs="+", help="only these agencies, each a name or alias as in the corpus (not part of one)"
    )
    r.add_argument("--year", nargs="+", type=int, help="only these years (each one the corpus has reports for)")
    r.add_argument("-j", "--jobs", type=int, default=None, help="parallel runs (default: number of cores)")
    r.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where runs execute: local threads (default) or a Dask cluster (the dask extra)",
    )
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
    d = _command(sub, "demo", "build a corpus from the bundled sample reports and run every notebook", _DEMO_HELP)
    d.add_argument(
        "--data", type=Path, default=None, help="folder of reports (default: the sample reports of gicstats)"
    )
    d.add_argument("-o", "--output", type=Path, default=Path("reports"), help="output folder (default: reports/)")
    d.add_argument("-j", "--jobs", type=int, default=None, help="parallel workers (default: number of cores)")
    d.set_defaults(func=cmd_demo)
    lab = _command(sub, "lab", "start JupyterLab on the notebooks, with a corpus ready", _LAB_HELP)
    lab.add_argument("corpus", nargs="?", default=None, help="corpus folder made by gicstats build")
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
