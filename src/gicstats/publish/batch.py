"""Batch runs: every (notebook, parameters) of a corpus, in parallel, resumable.

``plan`` lists the runs; ``run_batch`` executes them on N local workers or on
a Dask cluster and writes, for each, the executed notebook and its HTML
export, then ``index.html``. A run whose inputs (the corpus rows it reads,
the notebook text, its parameters, the package version, the export options)
are unchanged since its last success is skipped. State is saved after every
run, atomically, so a batch killed even with ``kill -9`` finishes only what
is missing when rerun; outputs are written to temporary files and renamed,
so no partial notebook or HTML is ever left behind.

Every kernel gets its own IPC connection files in a private temporary folder
(no TCP port races, no shared ``./kernel-ipc-N`` sockets) and is shut down at
once when its notebook is done. The folder names its process, so a run
removes those that killed runs left (:func:`gicstats.paths.sweep_kernel_dirs`).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from jupyter_core.utils import run_sync

from gicstats._version import __version__
from gicstats.corpus.store import Corpus, read_corpus
from gicstats.errors import GicstatsError
from gicstats.paths import kernel_dir_prefix, safe_name, sweep_kernel_dirs, sweep_temp_files, write_atomic
from gicstats.publish import NOTEBOOKS, profile
from gicstats.publish.execute import execute, export_html, notebook_path, records

if TYPE_CHECKING:  # imported where a kernel is started, so a plain import stays light
    from jupyter_client import KernelManager
    from jupyter_client.asynchronous import AsyncKernelClient

STATE_FILE = ".gicstats-runs.json"


@dataclass
class Run:
    """One planned notebook run."""

    notebook: str
    params: dict
    label: str
    agency: str | None = None
    region: str | None = None
    year: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    inputs: str = ""  # hash of everything the run reads
    path: str | None = None  # the file of a notebook of one's own (``notebook`` is then its name)

    @property
    def target(self) -> str:
        """What :func:`~gicstats.publish.execute.execute` runs.

        A bundled notebook's name or the path of one's own.
        """
        return self.path or self.notebook

    @property
    def key(self) -> str:
        """The run's output name.

        The label made safe for a file name, plus a short hash of the label
        whenever that changed it, so two labels never share outputs (甲局/乙处
        and 甲局_乙处; long names cut alike).
        """
        name = safe_name(self.label, max_bytes=100)
        if name != self.label:
            name += "-" + hashlib.sha256(self.label.encode("utf-8")).hexdigest()[:8]
        return f"{self.notebook}/{name}"


@dataclass
class Options:
    """How runs execute."""

    timeout: float | None = 600
    with_code: bool = False
    reuse_kernels: bool = False
    kernel_name: str = "python3"
    # start the next run's fresh kernel while this one runs (local executor)
    prestart: bool = False


@dataclass
class BatchResult:
    """What a batch did: one record per run, with its status.

    A status is ``done``, ``failed`` or ``skipped`` (unchanged since its last
    success); after Ctrl-C also ``interrupted`` (stopped while running) or
    ``cancelled`` (never started). ``notes`` says what the plan left out and
    why; ``earlier`` holds the records of exports that earlier runs left in
    the output folder, which the index lists too.
    """

    records: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    earlier: list[dict] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: str) -> int:
        """The number of runs with ``status``."""
        return sum(1 for r in self.records if r["status"] == status)

    @property
    def failed(self) -> list[dict]:
        """The records of the runs that failed."""
        return [r for r in self.records if r["status"] == "failed"]


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------


def _frame_digest(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "empty"
    frame = frame.reset_index(drop=True)
    frame = frame[sorted(frame.columns)]
    values = pd.util.hash_pandas_object(frame.astype("string"), index=False).values
    return hashlib.sha256(values.tobytes()).hexdigest()


def _inputs_hash(corpus: Corpus, run: Run, options: Options) -> str:
    digest = hashlib.sha256()
    for part in (corpus.reports, corpus.cells, corpus.findings, corpus.sections):
        digest.update(_frame_digest(part).encode())
    digest.update(notebook_path(run.target).read_bytes())
    digest.update(json.dumps(run.params, sort_keys=True, ensure_ascii=False).encode())
    digest.update(f"{__version__}|{options.with_code}".encode())
    return digest.hexdigest()


class Plan(list):
    """The runs of :func:`plan` (a list of :class:`Run`), with what was left out and why.

    ``notes`` holds one line per run not planned (a trend of an agency with
    one year, a report that could not be read, an agency with none of the
    years asked for); :func:`run_batch` passes them to the summary.
    """

    def __init__(self, runs: Iterable[Run] = (), notes: Iterable[str] = ()) -> None:
        """The runs, and the notes on what was left out."""
        super().__init__(runs)
        self.notes: list[str] = list(notes)


def plan(
    corpus_dir: str | os.PathLike,
    *,
    notebooks: Iterable[str] = NOTEBOOKS,
    agencies: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    options: Options | None = None,
    parameters: dict | None = None,
) -> Plan:
    """Every run for the corpus.

    A report per agency-year, a trend per agency with two or more years, and
    one comparison over the years selected. What is left out is said in
    ``notes`` of the result.

    ``notebooks`` may also name ``explore`` or the paths of notebooks of your
    own (see :mod:`gicstats.publish.user`), planned from the parameters they
    declare. ``parameters`` are set in every run of a notebook that declares
    them; one that no notebook declares is rejected with the closest names.

    Raises:
        GicstatsError: an agency that is not a name or alias of the corpus
            (part of one included), a year the corpus has no report for, or a
            selection with no readable report; each with the known agencies or
            years and the closest.
    """
    from gicstats.publish.user import check_extra, is_own, own_runs

    options = options or Options()
    wanted = list(dict.fromkeys(notebooks))
    extra = check_extra(wanted, parameters or {})  # before anything else: a misspelt name stops at once
    corpus_dir = Path(corpus_dir).resolve()
    corpus = read_corpus(corpus_dir)
    unknown = {n for n in wanted if n not in NOTEBOOKS and not is_own(n)}
    if unknown:
        raise GicstatsError("gicstats run", f"unknown notebook {', '.join(sorted(unknown))}")
    agencies = list(dict.fromkeys(agencies)) if agencies else None
    years = list(dict.fromkeys(int(y) for y in years)) if years else None
    problems = []
    for check in (lambda: _known_agencies(corpus, agencies), lambda: _known_years(corpus, years)):
        try:  # both checked, so that one message says all that is wrong
            check()
        except GicstatsError as exc:
            problems.append(exc.problem)
    if problems:
        raise GicstatsError("gicstats run", "; ".join(problems))
    selected = corpus.select(agency=agencies, year=years, ok_only=True)
    notes = _left_out(corpus, agencies, years)
    if not len(selected):
        raise GicstatsError("gicstats run", "nothing to run: " + ("; ".join(notes) or "the corpus has no reports"))
    base = {"corpus": str(corpus_dir)}
    runs = Plan(notes=notes)
    rows = selected.reports.dropna(subset=["agency_key", "year"]).sort_values(["agency_key", "year"])
    if "report" in wanted:
        for row in rows.itertuples():
            sub = selected.select(agency=row.agency_key, year=int(row.year))
            run = Run(
                "report",
                {**base, "agency": row.agency_key, "year": int(row.year), **extra.get("report", {})},
                f"{row.agency_key}_{int(row.year)}",
                row.agency_key,
                _na(row.region),
                int(row.year),
            )
            run.inputs = _inputs_hash(sub, run, options)
            runs.append(run)
    if "trend" in wanted:
        for agency in selected.agencies:
            sub = corpus.select(agency=agency, ok_only=True)
            if len(sub) < 2:
                runs.notes.append(
                    f"trend/{agency}: not planned, the corpus has one year of it ({sub.years[0]}); "
                    "a trend needs two or more"
                )
                continue
            region = _na(sub.reports["region"].iloc[0])
            run = Run("trend", {**base, "agency": agency, **extra.get("trend", {})}, agency, agency, region)
            run.inputs = _inputs_hash(sub, run, options)
            runs.append(run)
    if "compare" in wanted and len(selected):
        y0, y1 = selected.years[0], selected.years[-1]
        params = {**base, "year_from": y0, "year_to": y1, **extra.get("compare", {})}
        run = Run("compare", params, f"{y0}-{y1}", year_from=y0, year_to=y1)
        run.inputs = _inputs_hash(corpus.select(year=range(y0, y1 + 1), ok_only=True), run, options)
        runs.append(run)
    for name in wanted:
        if is_own(name):
            for fields, reads in own_runs(name, corpus, selected, base, extra.get(name, {})):
                run = Run(**fields)
                run.inputs = _inputs_hash(reads, run, options)
                runs.append(run)
    return runs


def _known_agencies(corpus: Corpus, names: Iterable[str] | None) -> None:
    """Check ``names`` against the corpus: each an agency's name or alias, exactly.

    Part of a name is not taken: a batch writes files under the names it
    selects, and a guess there would run what was not asked for.

    Raises:
        GicstatsError: for the names that are not, with the closest names
            (those containing it first) and every agency of the corpus.
    """
    if not names:
        return
    import difflib

    from gicstats.form import template as T

    known = {T.normalize(n) for col in ("agency_key", "agency") for n in corpus.reports[col].dropna().unique()}
    known |= {alias for alias, name in corpus.aliases.items() if T.normalize(name) in known}
    bad = [
        n for n in dict.fromkeys(names) if T.normalize(n) not in known and T.normalize(corpus.canonical(n)) not in known
    ]
    if not bad:
        return
    problems = []
    for name in bad:
        close = list(corpus.find_agency(name)["agency"]) if name.strip() else []
        close += [c for c in difflib.get_close_matches(name, corpus.agencies, n=3, cutoff=0.3) if c not in close]
        hint = f" (did you mean {' or '.join(close[:3])}?)" if close else ""
        problems.append(f"no agency {name!r} in the corpus{hint}")
    raise GicstatsError("gicstats run", f"{'; '.join(problems)}; its agencies: {', '.join(corpus.agencies)}")


def _known_years(corpus: Corpus, years: Iterable[int] | None) -> None:
    """Check ``years`` against the years the corpus has reports for.

    Raises:
        GicstatsError: for a year it has none of, with the closest year and
            every year of the corpus.
    """
    if not years:
        return
    have = corpus.years
    bad = [y for y in dict.fromkeys(int(y) for y in years) if y not in have]
    if not bad:
        return
    problems = []
    for year in bad:
        close = min(have, key=lambda y: (abs(y - year), y)) if have else None
        problems.append(f"no report for {year} in the corpus" + (f" (did you mean {close}?)" if close else ""))
    listed = ", ".join(map(str, have)) or "none"
    raise GicstatsError("gicstats run", f"{'; '.join(problems)}; its years: {listed}")


_MAX_NOTES = 10


def _left_out(corpus: Corpus, agencies: list[str] | None, years: list[int] | None) -> list[str]:
    """A line for each report of the selection that no run reads, and why.

    An unreadable report, one whose agency or year was not found, and an
    agency asked for that has none of the years asked for.
    """
    notes = []
    every = corpus.select(agency=agencies, year=years)
    unreadable = every.reports[every.reports["error"].notna()]
    if len(unreadable) > _MAX_NOTES:  # one line for them all, as a big corpus may have many
        names = ", ".join(unreadable["report"].head(_MAX_NOTES))
        notes.append(
            f"{len(unreadable)} reports not planned, as they could not be read: {names}, …; "
            "their errors are in the corpus's reports table"
        )
    for row in every.reports.itertuples():
        if pd.notna(row.error):
            if len(unreadable) <= _MAX_NOTES:
                notes.append(f"{row.report}: not planned, it could not be read ({row.error})")
        elif pd.isna(row.agency_key) or pd.isna(row.year):
            what = " and ".join(w for w, v in (("agency", row.agency_key), ("year", row.year)) if pd.isna(v))
            notes.append(f"{row.report}: not planned, its {what} could not be read")
    if agencies and years:
        for name in agencies:
            have = corpus.select(agency=name, ok_only=True).years
            if not set(have) & set(years):
                its = ", ".join(map(str, have)) or "none readable"
                notes.append(f"{name}: no report for {', '.join(map(str, years))} (its years: {its})")
    return notes


def _na(value):
    return None if value is None or pd.isna(value) else value


# --------------------------------------------------------------------------
# Executing one run (in a thread, or on a Dask worker)
# --------------------------------------------------------------------------


class _Kernels(threading.local):
    """One warm kernel (and its connected client) per worker thread."""

    km: KernelManager | None = None
    kc: AsyncKernelClient | None = None
    folder: str | None = None


_warm = _Kernels()
# Drop what the last notebook defined; imported modules stay warm. Cheaper
# than %reset -f, which also clears history and runs a full collection.
_RESET = (
    "_ip, _k = get_ipython(), None\n"
    "for _k in [k for k in _ip.user_ns if not k.startswith('_') and k not in _ip.user_ns_hidden]:\n"
    "    del _ip.user_ns[_k]\n"
    "import sys as _sys\n"
    "if 'matplotlib.pyplot' in _sys.modules:\n"
    "    _sys.modules['matplotlib.pyplot'].close('all')\n"
    "del _ip, _k, _sys\n"
)


_MAX_SOCKET_PATH = 107  # sun_path of a Unix socket on Linux, less its final NUL


def _new_kernel(kernel_name: str, folder: str):
    from jupyter_client import KernelManager

    # one kernel a folder: its sockets need no unique name, and a short one
    # keeps their paths within the 107 bytes a Unix socket path may have
    # ("k-" and a port number after it). Under a long $TMPDIR they would not
    # fit: the kernel could not bind them and the run would wait on it for
    # ever, so such a kernel talks over TCP on 127.0.0.1 instead.
    base = str(Path(folder) / "k")
    if len(os.fsencode(base)) + len("-65535") <= _MAX_SOCKET_PATH:
        km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=base)
    else:
        km = KernelManager(kernel_name=kernel_name, transport="tcp", ip="127.0.0.1")
    km.connection_file = str(Path(folder) / f"kernel-{uuid.uuid4().hex[:12]}.json")
    _live_kernels.add(km)  # so that Ctrl-C can reach it: see stop_kernels
    return km


def run_one(run: Run, out_dir: str, options: Options) -> dict:
    """Execute one run and export it; never raises. Returns the run's record."""
    out = Path(out_dir)
    stem = out / run.key  # key names may hold dots: never use with_suffix

    def path(ext: str) -> Path:
        return stem.parent / f"{stem.name}{ext}"

    record = _record(run, "failed")
    start = time.perf_counter()
    reuse = options.reuse_kernels
    fresh = None
    timer = None
    timed_out = threading.Event()
    try:
        kc = None
        prof = profile.active()
        if reuse:
            km, kc = _warm_kernel(options.kernel_name, record["log"])
            if prof is not None:  # its start, for the first notebook; else what it did idle
                prof.kernel(km, "kernel: start (warm, first notebook only)")
            with profile.stage("kernel: reset (warm)"):
                _reset_kernel(kc)
            if options.timeout:
                timer = _Watchdog(options.timeout, km, timed_out)
                timer.start()
        else:
            with profile.stage("kernel: start (fresh)"):
                fresh = _take_spare() or _fresh(options.kernel_name, start=True)
                if options.prestart:
                    _spares.put(_fresh(options.kernel_name, start=True))
                # the time limit counts the kernel's start, as when papermill started it
                if options.timeout:
                    timer = _Watchdog(options.timeout, fresh[0], timed_out)
                    timer.start()
                fresh = _ready_fresh(fresh, options.kernel_name, record["log"], timer)
                km = fresh[0]
                if prof is not None:  # what it cost to boot, ahead or not
                    prof.kernel(km, "kernel: start (fresh)")
        # no cwd: papermill would chdir the whole process, which threads share
        nb = execute(
            run.target,
            run.params,
            path(".ipynb"),
            timeout=options.timeout,
            kernel_name=options.kernel_name,
            km=km,
            kc=kc,
        )
        export_html(nb, path(".html"), title=f"{run.label} · {run.notebook}", with_code=options.with_code)
        record.update(status="done", html=f"{run.key}.html", ipynb=f"{run.key}.ipynb", headline=_headline(records(nb)))
        path(".failed.ipynb").unlink(missing_ok=True)
    except GicstatsError as exc:
        record["error"] = f"timed out after {options.timeout:g} s" if timed_out.is_set() else exc.problem
        record["failed_cell"] = _failed_cell(exc.problem)
        # exports of an earlier success would now describe other inputs
        path(".html").unlink(missing_ok=True)
        path(".ipynb").unlink(missing_ok=True)
        if (out / f"{run.key}.failed.ipynb").is_file():
            record["ipynb"] = f"{run.key}.failed.ipynb"
        if reuse:
            _drop_warm()
    except Exception as exc:
        record["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if reuse:
            _drop_warm()
    finally:
        if timer is not None:
            timer.cancel()
        if fresh is not None:
            with profile.stage("kernel: stop (fresh)"):
                _stop(fresh[0])
                shutil.rmtree(fresh[1], ignore_errors=True)
    record["seconds"] = round(time.perf_counter() - start, 2)
    return record


# How long a starting kernel may take to answer kernel_info (nbclient's
# default startup_timeout); one that ends before it answers is replaced once.
_START_TIMEOUT = 60


class _DiedAtStart(Exception):
    """The kernel process ended before it answered kernel_info."""


def _client(km):
    """An async client of ``km`` whose liveness check asks the manager.

    The manager is the client's parent, so ``wait_for_ready`` judges the
    kernel dead only when its process has ended. A client without a manager
    judges by the heartbeat, and the heartbeat gives a kernel one second:
    one that took longer to import and bind its sockets (IPython 8 imports
    take twice as long as IPython 9's; a busy machine does the rest) was
    declared dead at about 1.75 s, and left running unwatched.
    """
    from jupyter_client.asynchronous import AsyncKernelClient

    kc = AsyncKernelClient(parent=km)
    kc.load_connection_info(km.get_connection_info())
    return kc


def _wait_ready(km, kc) -> None:
    """Wait until the kernel answers kernel_info.

    Raises:
        _DiedAtStart: its process ended first (the message says how).
        GicstatsError: it is still running but did not answer in time.
    """
    try:
        run_sync(kc.wait_for_ready)(timeout=_START_TIMEOUT)
    except RuntimeError as exc:
        if km.is_alive():
            raise GicstatsError("kernel", f"the kernel did not answer within {_START_TIMEOUT} s") from None
        raise _DiedAtStart(_exit_status(km)) from exc


def _exit_status(km) -> str:
    """How a kernel that is no longer running ended, in a few words."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    code = None if process is None else process.poll()
    if code is None:
        return "it exited"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def _replaced(log: list[str], why: _DiedAtStart) -> None:
    log.append(f"kernel died at start ({why}); replaced it")


def _ready_fresh(fresh: tuple, kernel_name: str, log: list[str], timer: _Watchdog | None) -> tuple:
    """The started kernel ``fresh`` (manager, folder) once it answers.

    If it died at start, a new one in its place (once). Whatever fails, the
    kernels this started are stopped and their folders removed.
    """
    for attempt in (1, 2):
        km, folder = fresh
        kc = _client(km)
        kc.start_channels()
        try:
            _wait_ready(km, kc)
            return fresh
        except _DiedAtStart as why:
            _stop(km)
            shutil.rmtree(folder, ignore_errors=True)
            if attempt == 2 or (timer is not None and timer.fired.is_set()):
                raise GicstatsError("kernel", f"the kernel died at start ({why})") from None
            _replaced(log, why)
            fresh = _fresh(kernel_name, start=True)
            if timer is not None:
                timer.km = fresh[0]
        except BaseException:
            _stop(km)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            kc.stop_channels()
    raise AssertionError("unreachable")


_spares: queue.SimpleQueue = queue.SimpleQueue()


def _fresh(kernel_name: str, *, start: bool):
    folder = tempfile.mkdtemp(prefix=kernel_dir_prefix())
    km = _new_kernel(kernel_name, folder)
    if start:
        km.start_kernel()  # returns once the process is spawned; it boots meanwhile
    return km, folder


def _take_spare():
    try:
        return _spares.get_nowait()
    except queue.Empty:
        return None


def stop_spare_kernels() -> None:
    """Shut down kernels started ahead for runs that did not come."""
    while (spare := _take_spare()) is not None:
        _stop(spare[0])
        shutil.rmtree(spare[1], ignore_errors=True)


class _Watchdog(threading.Thread):
    """Kills a run's kernel when the run passes its time limit.

    The kernel may not be up yet when the limit passes (papermill starts it),
    so it keeps trying until the kernel is gone or the run ends. A dead kernel
    makes papermill fail the run at once.
    """

    def __init__(self, seconds: float, km, fired: threading.Event) -> None:
        super().__init__(daemon=True, name="gicstats-watchdog")
        self.seconds, self.km, self.fired = seconds, km, fired
        self.done = threading.Event()

    def run(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.fired.set()
        # Interrupt first: the kernel answers the cell with an error, so the
        # client's wait for output ends (a killed kernel sends nothing, and a
        # blocking client could wait for ever). Kill only if that fails.
        deadline = time.monotonic() + 10
        while not self.done.is_set():
            try:
                if self.km.has_kernel:
                    if time.monotonic() < deadline:
                        self.km.interrupt_kernel()
                    else:
                        self.km.shutdown_kernel(now=True)
            except Exception:  # the run fails anyway
                pass
            self.done.wait(0.2)

    def cancel(self) -> None:
        self.done.set()


def _stop(km) -> None:
    """Shut a kernel down at once: no graceful 0.6 s wait, no SIGINT first."""
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        km.cleanup_resources()
    except Exception:
        pass


def _warm_kernel(kernel_name: str, log: list[str]):
    """The calling thread's warm kernel and its client, started if needed.

    A kernel that dies at start is replaced once.
    """
    if _warm.km is None:
        for attempt in (1, 2):
            # held by _warm from the start, so that _drop_warm stops it
            # whatever fails (a kernel left running lost its connection file
            # to the manager's garbage collection and booted on TCP)
            _warm.folder = tempfile.mkdtemp(prefix=kernel_dir_prefix())
            _warm.km = km = _new_kernel(kernel_name, _warm.folder)
            km.start_kernel()
            # nbclient polls shell and iopub concurrently: it needs an async client
            _warm.kc = kc = _client(km)
            kc.start_channels()
            try:
                _wait_ready(km, kc)
                break
            except _DiedAtStart as why:
                _drop_warm()
                if attempt == 2:
                    raise GicstatsError("kernel", f"the kernel died at start ({why})") from None
                _replaced(log, why)
    return _warm.km, _warm.kc


def _reset_kernel(kc) -> None:
    """Clear the namespace and figures a notebook left, keeping imports warm."""
    reply = run_sync(kc.execute_interactive)(_RESET, timeout=60, store_history=False, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise GicstatsError("kernel", "could not reset the warm kernel")


def _drop_warm() -> None:
    kc, _warm.kc = _warm.kc, None
    if kc is not None:
        kc.stop_channels()
    km, _warm.km = _warm.km, None
    folder, _warm.folder = _warm.folder, None
    if km is not None:
        _stop(km)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def shutdown_warm_kernels() -> None:
    """Shut down the warm kernel of the calling thread, if any."""
    _drop_warm()


def _failed_cell(problem: str) -> int | None:
    import re

    m = re.match(r"cell (\d+) failed", problem)
    return int(m.group(1)) if m else None


def _headline(rec: dict) -> dict | None:
    head = rec.get("headline")
    findings = rec.get("findings")
    if head is None and findings is None:
        return None
    rate = (rec.get("rates") or {}).get("disclosure_rate")
    return {
        "applications": (head or {}).get("本年新收申请 New applications"),
        "disclosure_rate": rate,
        "findings": findings,
    }


def _record(run: Run, status: str) -> dict:
    return {
        "key": run.key,
        "notebook": run.notebook,
        "params": {k: v for k, v in run.params.items() if k != "corpus"},
        "status": status,
        "error": None,
        "failed_cell": None,
        "html": None,
        "ipynb": None,
        "agency": run.agency,
        "region": run.region,
        "year": run.year,
        "year_from": run.year_from,
        "year_to": run.year_to,
        "headline": None,
        "seconds": 0.0,
        "log": [],  # what happened on the way that did not fail the run
    }


# --------------------------------------------------------------------------
# Stopping on Ctrl-C
# --------------------------------------------------------------------------

# Every kernel manager this process made (_new_kernel adds it), held weakly:
# kernels run in sessions of their own, so Ctrl-C on the terminal does not
# reach them, and the batch stops them through their managers instead.
_live_kernels: weakref.WeakSet = weakref.WeakSet()


def stop_kernels() -> int:
    """Shut down at once every kernel this process started that still runs.

    Their runs fail (and are thrown away on Ctrl-C). Shut down rather than
    sent SIGINT: an interrupt lets an idle kernel go on to its next cell, and
    makes one that is still starting print a KeyboardInterrupt traceback on
    the terminal; an interrupted cell's run is lost either way.

    Returns:
        How many kernels were still running.
    """
    running = 0
    for km in list(_live_kernels):
        try:
            if km.has_kernel:
                running += 1
                km.shutdown_kernel(now=True)
        except Exception:  # the kernel is ending anyway
            pass
    return running


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch; what it did is recorded, and ``result`` says so."""

    def __init__(self, result: BatchResult) -> None:
        """Keep the batch's ``result``."""
        super().__init__("interrupted")
        self.result = result


class _Stop:
    """The SIGINT handler of a batch: asks it to stop instead of raising KeyboardInterrupt.

    A KeyboardInterrupt could land anywhere in the main thread, between a
    run's end and its record; a flag is looked at only where stopping is
    safe. A second Ctrl-C stops the wait for runs whose kernels were shut
    down but that have not ended yet.
    """

    # seconds to wait for the running runs to end once their kernels are gone
    LAST_WAIT = 30.0

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.hurry = threading.Event()

    def __call__(self, signum, frame) -> None:
        (self.hurry if self.requested.is_set() else self.requested).set()

    def is_set(self) -> bool:
        return self.requested.is_set()

    @contextmanager
    def installed(self):
        """Handle SIGINT while in the block.

        Only the main thread can; and not where SIGINT is ignored (a
        background job of a shell script), which stays so.
        """
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        ):
            yield self
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)

    def wind_down(self, running: set, wait_some: Callable[[set, float], tuple[set, set]], collect) -> None:
        """Stop the kernels of the ``running`` runs and collect each as it ends.

        A run that was exporting when Ctrl-C came needs no kernel and ends
        as done; the others fail when their kernel goes. Kernels a run starts
        meanwhile (a replacement, the next spare) are shut down as they
        come. Gives up waiting after :attr:`LAST_WAIT` seconds, or at a
        second Ctrl-C.
        """
        give_up = time.monotonic() + self.LAST_WAIT
        while running and time.monotonic() < give_up and not self.hurry.is_set():
            stop_kernels()
            done, running = wait_some(running, 0.2)
            for fut in done:
                collect(fut)
        stop_kernels()  # the warm and spare kernels too


# --------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------


class _State:
    """Outcomes of earlier runs, saved atomically after every run."""

    def __init__(self, out: Path) -> None:
        self.path = out / STATE_FILE
        self.lock = threading.Lock()
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, UnicodeDecodeError):
            self.data = {}

    def done(self, run: Run, out: Path) -> dict | None:
        prev = self.data.get(run.key)
        if not prev or prev.get("inputs") != run.inputs or prev["record"]["status"] not in ("done", "skipped"):
            return None
        if not (out / f"{run.key}.html").is_file() or not (out / f"{run.key}.ipynb").is_file():
            return None
        return prev["record"]

    def earlier(self, out: Path, shown: set[str]) -> list[dict]:
        """The records of exports on disk from earlier runs, other than those of ``shown`` keys.

        Each with status ``earlier``: a run not in this batch (another
        selection, or cancelled by Ctrl-C), whose inputs were not compared.
        """
        found = []
        for key, entry in sorted(self.data.items()):
            record = entry.get("record") if isinstance(entry, dict) else None
            if key in shown or not isinstance(record, dict) or record.get("key") != key:
                continue
            if record.get("html") and (out / record["html"]).is_file():
                found.append({**record, "status": "earlier"})
        return found

    def save(self, run: Run, record: dict) -> None:
        with self.lock:
            if record["status"] == "done":
                self.data[run.key] = {"inputs": run.inputs, "record": record}
            else:
                self.data.pop(run.key, None)
            text = json.dumps(self.data, ensure_ascii=False, sort_keys=True, indent=1)
            write_atomic(self.path, lambda p: p.write_text(text, encoding="utf-8"))


def run_batch(
    runs: list[Run],
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    options: Options | None = None,
    progress: bool = False,
    on_record: Callable[[dict], None] | None = None,
) -> BatchResult:
    """Execute ``runs`` into ``out_dir``, skipping unchanged ones, then write ``index.html``.

    Failures are recorded, never raised. The index lists every export in the
    folder: this batch's runs and those earlier runs left (see
    :class:`BatchResult`).

    Ctrl-C (SIGINT, when called from the main thread) stops the batch within
    seconds: queued runs are cancelled, running kernels shut down (their
    runs are ``interrupted``), every run that finished is recorded and the index
    written; then :class:`Interrupted` (a KeyboardInterrupt) is raised with
    the result. A rerun does only what is missing.
    """
    from gicstats.publish.index import write_index

    if executor not in ("local", "dask"):
        raise GicstatsError("gicstats run", f"unknown executor {executor!r}; use local or dask")
    options = options or Options()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # what a killed run left: temporary exports (out/<notebook>/…) and the
    # kernel folders of its kernels
    sweep_temp_files(out, depth=1)
    sweep_kernel_dirs()
    jobs = jobs or os.cpu_count() or 1
    state = _State(out)
    result = BatchResult(notes=list(getattr(runs, "notes", ())))
    todo = []
    for run in runs:
        prev = state.done(run, out)
        if prev is not None:
            result.records.append({**prev, "status": "skipped", "seconds": 0.0})
        else:
            todo.append(run)
    bar = _Progress(len(runs), progress, skipped=len(result.records))
    stop = _Stop()

    def finish(run: Run, record: dict) -> None:
        if stop.is_set() and record["status"] == "failed":
            # stopped by Ctrl-C, most likely; not a failure of the notebook
            record["status"] = "interrupted"
        state.save(run, record)
        result.records.append(record)
        bar.update(record["status"])
        if on_record:
            on_record(record)

    with stop.installed():
        try:
            if executor == "dask":
                _run_dask(todo, out, jobs, scheduler, options, finish, stop)
            else:
                _run_local(todo, out, jobs, options, finish, stop)
        finally:
            bar.close()
        recorded = {r["key"] for r in result.records}
        result.records += [{**_record(run, "cancelled"), "error": "Ctrl-C"} for run in todo if run.key not in recorded]
        result.interrupted = stop.is_set()
        order = {run.key: i for i, run in enumerate(runs)}
        result.records.sort(key=lambda r: order.get(r["key"], len(order)))
        shown = [r for r in result.records if r["status"] in ("done", "skipped", "failed")]
        result.earlier = state.earlier(out, {r["key"] for r in shown})
        write_index(shown + result.earlier, out)
    if result.interrupted:
        raise Interrupted(result)
    return result


def _run_local(todo: list[Run], out: Path, jobs: int, options: Options, finish, stop: _Stop) -> None:
    from concurrent.futures import FIRST_COMPLETED, wait
    from dataclasses import replace

    options = replace(options, prestart=not options.reuse_kernels)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="gicstats-run")
    try:
        futures = {pool.submit(run_one, run, str(out), options): run for run in todo}
        pending = set(futures)
        while pending and not stop.is_set():
            # a short wait, so that Ctrl-C is seen within a fraction of a second
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                finish(futures[fut], fut.result())
        if stop.is_set():
            running = {fut for fut in pending if not fut.cancel()}

            def wait_some(running: set, seconds: float) -> tuple[set, set]:
                done, left = wait(running, timeout=seconds, return_when=FIRST_COMPLETED)
                return set(done), set(left)

            stop.wind_down(running, wait_some, lambda fut: finish(futures[fut], fut.result()))
        elif options.reuse_kernels:
            barrier = threading.Barrier(jobs)
            for _ in range(jobs):  # one task per thread: each stops its own warm kernel
                pool.submit(_stop_warm_at, barrier)
    finally:
        # after Ctrl-C, a run whose kernel would not die is not waited for;
        # otherwise the tasks that stop the warm kernels are still queued
        pool.shutdown(wait=not stop.is_set(), cancel_futures=stop.is_set())
        stop_spare_kernels()


def _stop_warm_at(barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=30)
    except threading.BrokenBarrierError:
        pass
    shutdown_warm_kernels()


def _run_dask(
    todo: list[Run], out: Path, jobs: int, scheduler: str | None, options: Options, finish, stop: _Stop
) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise GicstatsError("gicstats run", "the dask executor needs `pip install 'gicstats[dask]'`") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)

    def collect(fut) -> None:
        try:
            record = fut.result()
        except Exception as exc:
            record = _record(futures[fut], "failed")
            record["error"] = f"dask: {type(exc).__name__}: {exc}".splitlines()[0]
        finish(futures[fut], record)

    try:
        futures = {
            client.submit(run_one, run, str(out), options, pure=False, key=f"run-{i}"): run
            for i, run in enumerate(todo)
        }
        pending = set(futures)
        while pending and not stop.is_set():
            done = {fut for fut in pending if fut.done()}
            for fut in done:
                collect(fut)
            pending -= done
            if not done:
                time.sleep(0.2)  # polled, so that Ctrl-C is seen at once
        if stop.is_set() and pending:
            # a run that was exporting ends within a moment: recorded; the
            # rest is cancelled, and the kernels of those running are shut
            # down on every worker (a cancelled task's thread runs on)
            moment = time.monotonic() + 1.0
            while pending and time.monotonic() < moment:
                done = {fut for fut in pending if fut.done()}
                for fut in done:
                    collect(fut)
                pending -= done
                time.sleep(0.1)
            client.cancel(list(pending))
            try:
                client.run(stop_kernels)
            except Exception:  # a worker that is gone has no kernels left
                pass
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Progress:
    """A tqdm bar with counts of done, failed and skipped, and time left."""

    def __init__(self, total: int, enabled: bool, skipped: int = 0, file=None) -> None:
        self.counts = {"done": 0, "failed": 0, "skipped": skipped}
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=skipped, unit="nb", desc="gicstats run", file=file)
            self.bar.set_postfix(self.counts, refresh=True)

    def update(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        if self.bar is not None:
            # the counts first, then one refresh that shows them with the
            # new position (set after update(), they were a run behind)
            self.bar.set_postfix(self.counts, refresh=False)
            self.bar.update(1)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``1 run``, ``2 runs``."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def summary(result: BatchResult) -> str:
    """What the batch did, in a few lines.

    The counts of done, failed and skipped (unchanged) runs first; after
    Ctrl-C, what was not finished; then one line per run that failed, per
    run the plan left out (and why), per note of a run, and how many
    exports the index lists.
    """
    lines = [f"{result.count('done')} done, {result.count('failed')} failed, {result.count('skipped')} skipped"]
    if result.interrupted:
        stopped = result.count("interrupted") + result.count("cancelled")
        lines.append(
            f"interrupted: {result.count('interrupted')} stopped while running, {result.count('cancelled')} "
            f"not started; run the same command again to do only the {_n(stopped, 'run')} left"
        )
    for r in result.failed:
        cell = f" (cell {r['failed_cell']})" if r.get("failed_cell") else ""
        lines.append(f"  failed: {r['key']}{cell}: {r['error']}")
    lines.extend(f"  left out: {note}" for note in result.notes)
    for r in result.records:
        if r["status"] in ("done", "failed"):
            lines.extend(f"  note: {r['key']}: {line}" for line in r.get("log") or ())
    up_to_date = result.count("done") + result.count("skipped")
    indexed = up_to_date + result.count("failed") + len(result.earlier)
    earlier = f", from earlier runs: {len(result.earlier)}" if result.earlier else ""
    lines.append(f"the index lists {_n(indexed, 'run')}, up to date: {up_to_date}{earlier}")
    return "\n".join(lines)


__all__ = [
    "BatchResult",
    "Interrupted",
    "Options",
    "Plan",
    "Run",
    "plan",
    "run_batch",
    "run_one",
    "stop_kernels",
    "summary",
]
