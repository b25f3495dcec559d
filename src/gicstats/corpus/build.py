"""Building a corpus: many reports into four Parquet tables, incrementally.

:func:`build` reads every report under the given files and folders into a
folder of Parquet files (tables declared in :mod:`gicstats.corpus.schema`):

- ``reports.parquet``: one row per source file: agency (as printed and as
  grouped), region, year, template version, source, sha256, published
  date, and the error if the file could not be read;
- ``cells.parquet``: the tidy cells of every report, with provenance;
- ``findings.parquet``: every finding, including year-against-year ones;
- ``sections.parquet``: the narrative text of each section.

An unchanged file (same sha256, same gicstats version, same corrections) is
not read again: its rows are copied from the previous corpus, and so are the
year-against-year findings of an agency whose series is unchanged. A file
whose stat shows it untouched since the last build hashed it is not even
hashed again (see :class:`_KnownHashes`; ``.hashes.parquet`` beside the
tables). Files are read in parallel across cores.

The build is linear in the number of reports and its memory is bounded:
workers read reports a chunk at a time and send its rows as one Arrow
table per corpus table (an IPC stream, see :class:`_Chunk`), which is
checked against the schema and appended to the four files as it arrives, a
row group at a time; rows of unchanged reports are streamed from the
previous files a batch at a time. What stays in memory is one row per
report (the reports table), the few cells the year-against-year checks read
(see :func:`gicstats.check.series.check_series_groups`), and a row group
per table. Each file is written to a temporary file and renamed at the
end, and all four carry the same ``build_id``, so a reader never sees a
half-written or mixed corpus.
"""

from __future__ import annotations

import gc
import hashlib
import json
import operator
import os
import stat
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gicstats._version import __version__
from gicstats.check import check_report
from gicstats.check.series import Group, _series_cells, check_series_groups, series_groups
from gicstats.corpus.agencies import Agencies
from gicstats.corpus.schema import (
    CELLS,
    FINDINGS,
    REPORT_COLUMNS,
    REPORTS,
    SCHEMAS,
    SECTIONS,
    TABLES,
    KeyGuard,
    check_key,
    conform,
    validate_table,
)
from gicstats.errors import GicstatsError
from gicstats.form.findings import COLUMNS as FINDING_COLUMNS
from gicstats.form.findings import Finding
from gicstats.paths import expand_sources, sweep_temp_files, temp_file_prefix, write_atomic
from gicstats.read import read_report

# Rows per Parquet row group: large enough for good compression and few
# row groups, small enough that a buffered group stays a few tens of MB.
ROW_GROUP_ROWS = 100_000

# Reports a worker reads per task, at most, and tasks in flight per worker:
# enough to keep the workers busy, few enough that results never pile up.
TASK_REPORTS = 16
TASKS_PER_WORKER = 4

# Rows per batch when copying unchanged reports from the previous corpus.
COPY_BATCH_ROWS = 65_536

# Reports whose series are checked at a time, at most (plus one series).
SERIES_BATCH_REPORTS = 10_000

# The sha256 of each source file the last build hashed, with the file's stat
# then (see _KnownHashes); hidden, beside the four tables.
HASHES_FILE = ".hashes.parquet"
_HASH_COLUMNS = ("path", "dev", "ino", "size", "mtime_ns", "ctime_ns", "hashed_at_ns", "sha256")
# A file changed less than this before it was hashed is hashed again next
# time: file system clocks tick coarsely (FAT: 2 s), so a write in the tick
# of the hashing may leave the times the hashing saw.
RACY_NS = 3_000_000_000

_SERIES_TABLES, _SERIES_ROWS = (pa.array(sorted(s), pa.string()) for s in _series_cells())
_SERIES_COLUMNS = ["report_id", "table", "row", "column", "value"]

# Columns whose values repeat (within a report or across the corpus).
_DICTIONARY_COLUMNS = {
    "build_id",
    "report_id",
    "table",
    "row",
    "column",
    "unit",
    "source",
    "rule",
    "severity",
    "section",
}


# --------------------------------------------------------------------------
# Reading files (runs in worker processes)
# --------------------------------------------------------------------------


def _read_one(path: str, sha256: str, corrections: str | None, cache: str | None) -> tuple[dict, tuple | None]:
    """Read and check one file (or a URL already fetched into ``cache``); never raises.

    Returns the report's row of the reports table and, for a readable
    report, ``(report, findings of its checks)``; ``None`` for one that
    could not be read, whose row says why (``error``).
    """
    row: dict = {"report_id": sha256[:16], "report": Path(path).name, "source": path, "sha256": sha256}
    try:
        report = read_report(path, corrections=corrections, cache=cache)
        checks = check_report(report)
        report.sections  # noqa: B018 - split here, where a failure is this file's error
    except GicstatsError as exc:
        return {**row, "error": exc.problem}, None
    except Exception as exc:
        return {**row, "error": f"internal error ({type(exc).__name__}: {exc})"}, None
    row.update(
        format=report.format,
        agency=report.agency,
        year=report.year,
        template_version=report.template_version,
        published=report.published.isoformat() if report.published else None,
        title=report.title,
        error=None,
    )
    return row, (report, checks)


_CELL_FIELDS = ("table", "row", "column", "value", "raw", "unit", "locator")
_FINDING_FIELDS = FINDING_COLUMNS[1:]
_ROW_TABLES = ("cells", "findings", "sections")


class _Chunk:
    """Reports read together by one worker, as the build takes them.

    ``rows``: each report's row of the reports table, in order; a readable
    report's row also holds ``counts``, its number of rows in each of
    ``tables``. ``tables``: the rows of the cells, findings and sections
    tables of the readable reports, one report after another, and
    ``series``, the cells the year-against-year checks read.

    Its tables are made once for all its reports (the fixed cost of an
    Arrow array is paid per chunk, not per report), and cross from a worker
    to the build as one Arrow IPC stream each (unpickling many small tables
    costs the build's process more than writing them).
    """

    def __init__(self, rows: list[dict], tables: dict[str, pa.Table]) -> None:
        """The chunk of these report rows and tables."""
        self.rows = rows
        self.tables = tables

    @classmethod
    def read(cls, items: list[tuple[str, str]], corrections: str | None, cache: str | None, build_id: str) -> _Chunk:
        """Read and check the files ``items`` (``(path, sha256)``); never raises."""
        rows = []
        cells: dict[str, list] = {name: [] for name in ("report_id", "source", *_CELL_FIELDS)}
        findings: dict[str, list] = {name: [] for name in ("report_id", "n", *_FINDING_FIELDS)}
        sections: dict[str, list] = {"report_id": [], "section": [], "text": []}
        for path, sha in items:
            row, read = _read_one(path, sha, corrections, cache)
            rows.append(row)
            if read is None:
                continue
            report, checks = read
            rid = row["report_id"]
            # straight from the mapper's rows and the Finding objects: no
            # DataFrame per report
            cell_rows = report.cell_rows()
            n = len(cell_rows)
            if n:
                for name, values in zip(_CELL_FIELDS, zip(*map(_CELL_GETTER, cell_rows))):
                    cells[name].extend(values)
            cells["report_id"].extend([rid] * n)
            cells["source"].extend([path] * n)
            every = [*report.finding_objects(), *checks]
            for name in _FINDING_FIELDS:
                findings[name].extend([getattr(f, name) for f in every])
            # a report's findings are numbered from 0 (the key)
            findings["n"].extend(range(len(every)))
            findings["report_id"].extend([rid] * len(every))
            texts = report.sections
            sections["section"].extend(texts)
            sections["text"].extend(texts.values())
            sections["report_id"].extend([rid] * len(texts))
            row["n_cells"] = n
            row["counts"] = {"cells": n, "findings": len(every), "sections": len(texts)}
        tables = {
            "cells": _table(cells, CELLS.schema, build_id),
            "findings": _table(findings, FINDINGS.schema, build_id),
            "sections": _table(sections, SECTIONS.schema, build_id),
        }
        tables["series"] = _series_rows(tables["cells"])
        return cls(rows, tables)

    def __getstate__(self) -> dict:
        """Pickled with each table as an Arrow IPC stream."""
        return {"rows": self.rows, "tables": {name: _to_ipc(table) for name, table in self.tables.items()}}

    def __setstate__(self, state: dict) -> None:
        """Unpickled, its tables read from their IPC streams (without copying)."""
        self.rows = state["rows"]
        self.tables = {name: pa.ipc.open_stream(data).read_all() for name, data in state["tables"].items()}


_CELL_GETTER = operator.itemgetter(*_CELL_FIELDS)


def _table(columns: dict[str, list], schema: pa.Schema, build_id: str) -> pa.Table:
    """A table of ``schema`` from its columns (all but ``build_id``) as lists."""
    n = len(columns["report_id"])
    arrays = [
        pa.repeat(pa.scalar(build_id), n) if f.name == "build_id" else pa.array(columns[f.name], f.type) for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _series_rows(cells: pa.Table) -> pa.Table:
    """The cells the year-against-year checks read (see :func:`gicstats.check.series._series_cells`)."""
    mask = pc.and_(
        pc.is_in(cells.column("table"), value_set=_SERIES_TABLES),
        pc.is_in(cells.column("row"), value_set=_SERIES_ROWS),
    )
    return cells.filter(mask).select(_SERIES_COLUMNS)


def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _hash_or_error(path: Path, known: _KnownHashes) -> tuple[tuple | None, str]:
    """``(record, "")`` of a file, or ``(None, why it cannot be read)``.

    The record holds the columns of :data:`_HASH_COLUMNS`, the sha256 last.
    The sha256 is the one ``known`` holds when the file is as it was when
    that was hashed (:meth:`_KnownHashes.get`); else the file is read.
    """
    hashed_at = time.time_ns()  # before the stat: see _KnownHashes.get
    try:
        st = path.stat()
    except (OSError, ValueError):
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        return None, "no such file" if not path.exists() else "not a regular file"
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    found = known.get(str(path), key)
    if found is not None:
        sha, hashed_at = found
    else:
        try:
            sha = _hash_file(path)
        except OSError as exc:
            return None, f"cannot be read ({exc.strerror or type(exc).__name__})"
    return (str(path), *key, hashed_at, sha), ""


class _KnownHashes:
    """The sha256 of each file the last build hashed, with the file's stat then.

    A rebuild that adds one report would otherwise spend a fifth of its
    time reading every file again to hash it (profiled on 30,000 reports).
    Kept beside the corpus in :data:`HASHES_FILE`, written after the four
    tables; a file that is missing or unreadable is no cache at all. Only on
    POSIX systems, where a file's change time (``st_ctime``) is set by the
    system at every write and cannot be set back.
    """

    def __init__(self, entries: dict[str, tuple[tuple[int, ...], int, str]]) -> None:
        """The cache of these ``{path: (stat key, hashed_at, sha256)}``."""
        self.entries = entries

    @classmethod
    def load(cls, out: Path) -> _KnownHashes:
        """The cache in the corpus folder ``out``; empty if there is none to trust."""
        if os.name != "posix":
            return cls({})
        try:
            table = pq.read_table(out / HASHES_FILE)
            columns = [table.column(name).to_pylist() for name in _HASH_COLUMNS]
        except (OSError, KeyError, pa.ArrowException):
            return cls({})
        return cls({path: (tuple(key), at, sha) for path, *key, at, sha in zip(*columns)})

    def get(self, path: str, key: tuple[int, ...]) -> tuple[str, int] | None:
        """``(sha256, hashed_at)`` of the file at ``path`` if it has not changed since it was hashed.

        Unchanged: the same device, inode, size, modification and change
        times, and both times earlier than :data:`RACY_NS` before the
        hashing began, so that a write in the same tick of the file system's
        clock as the hashing (which leaves the times as they were) cannot
        go unseen.
        """
        entry = self.entries.get(path)
        if entry is None or entry[0] != key:
            return None
        _, hashed_at, sha = entry
        if max(key[3], key[4]) + RACY_NS >= hashed_at:
            return None
        return sha, hashed_at

    @staticmethod
    def save(out: Path, records: list[tuple]) -> None:
        """Keep the ``records`` of this build's files (see :func:`_hash_or_error`) for the next."""
        if os.name != "posix":
            return
        columns: list = list(zip(*records)) if records else [[] for _ in _HASH_COLUMNS]
        table = pa.table(
            {
                name: pa.array(values, pa.string() if name in ("path", "sha256") else pa.int64())
                for name, values in zip(_HASH_COLUMNS, columns)
            }
        )
        write_atomic(out / HASHES_FILE, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


class _TableWriter:
    """One table of the corpus being written.

    Rows come a report (or a run of whole reports) at a time and go to a
    temporary file a row group at a time, the group's keys checked as it is
    written (:class:`KeyGuard`); :meth:`commit` renames the file into
    place.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self.name = name
        self.path = folder / SCHEMAS[name].file
        # named as paths.write_atomic names its files, so a killed build's are swept
        fd, tmp = tempfile.mkstemp(prefix=temp_file_prefix(self.path.name), suffix=".tmp", dir=folder)
        os.close(fd)
        self.tmp = Path(tmp)
        self.writer = pq.ParquetWriter(self.tmp, SCHEMAS[name].schema, compression="zstd")
        self.guard = KeyGuard(name, self.path)
        self.pending: list[pa.Table] = []
        self.pending_ids: list[str] = []  # the reports in ``pending``, in order
        self.pending_rows = 0

    def add_many(self, report_ids: list[str], rows: pa.Table) -> None:
        """The rows of several reports, all of each, one report after another."""
        self._buffer(report_ids, rows)

    def add_checked(self, rows: pa.Table) -> None:
        """Rows whose key the caller has checked against those already written."""
        self.flush()
        rows = conform(self.name, rows, self.path)
        self.writer.write_table(rows, row_group_size=max(rows.num_rows, 1))

    def _buffer(self, report_ids: list[str], rows: pa.Table) -> None:
        if rows.num_rows:
            self.pending_ids.extend(report_ids)
            self.pending.append(rows)
            self.pending_rows += rows.num_rows
            if self.pending_rows >= ROW_GROUP_ROWS:
                self.flush()

    def flush(self) -> None:
        """Check the buffered reports' keys (one check for the row group) and write them."""
        if self.pending:
            rows = pa.concat_tables(self.pending)
            self.guard.add_many(self.pending_ids, rows)
            self.writer.write_table(rows, row_group_size=max(self.pending_rows, 1))
            self.pending, self.pending_ids, self.pending_rows = [], [], 0

    def close(self) -> None:
        self.flush()
        self.writer.close()
        self.tmp.chmod(0o644)  # mkstemp makes 0600; outputs are meant to be shared

    def commit(self) -> None:
        self.tmp.replace(self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        except Exception:  # the build is failing already, and the file goes anyway
            pass
        self.tmp.unlink(missing_ok=True)


@dataclass
class BuildResult:
    """What a build did."""

    path: Path
    read: int
    reused: int
    failed: list[tuple[str, str]]

    @property
    def total(self) -> int:
        """Reports in the corpus: those read now plus those reused unchanged."""
        return self.read + self.reused


class _Plan:
    """Every source becomes a row now (missing, reused) or a read.

    The same bytes under two names are one report: the first name keeps it.

    Attributes:
        rows: Rows of the reports table for sources that are missing.
        reused: Rows of reports whose bytes the previous build read already.
        todo: ``(source, sha256)`` of the sources to read.
    """

    def __init__(self, previous: _Previous) -> None:
        """Plan against the ``previous`` build's reports."""
        self.previous = previous
        self.rows: list[dict] = []
        self.reused: list[dict] = []
        self.todo: list[tuple[str, str]] = []
        self.planned: set[str] = set()

    def add(self, source: str, name: str, sha: str) -> None:
        """A source whose bytes hash to ``sha``: reused if the previous build read them, else read."""
        if sha[:16] in self.planned:
            return
        self.planned.add(sha[:16])
        if (cached := self.previous.rows.get(sha)) is not None:
            self.reused.append({**cached, "source": source, "report": name})
        else:
            self.todo.append((source, sha))

    def missing(self, source: str, name: str, error: str) -> None:
        """A source that cannot be read at all (no such file, a failed fetch), with its ``error``."""
        if f"missing:{source}" not in self.planned:
            self.planned.add(f"missing:{source}")
            self.rows.append({"report_id": f"missing:{source}", "report": name, "source": source, "error": error})


def build(
    sources: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    jobs: int | None = None,
    corrections: str | os.PathLike | None = None,
    agencies: str | os.PathLike | None = None,
    progress: bool = False,
    urls: Iterable[str] = (),
    cache: str | os.PathLike | None = None,
) -> BuildResult:
    """Read every report under ``sources`` into the corpus folder ``out``.

    Args:
        sources: Files and folders of reports.
        out: The corpus folder (created if needed).
        jobs: Worker processes (default: the number of cores).
        corrections: A reviewed corrections file applied after reading.
        agencies: A reviewed agency alias file, for grouping and regions.
        progress: Show a progress bar on stderr.
        urls: Report pages to fetch (``http(s)://``), one report each. Their
            ``source`` is the URL.
        cache: Folder of fetched pages (default ``<out>/cache``); a URL
            already there is not fetched again, see :mod:`gicstats.fetch`.

    Returns:
        A :class:`BuildResult`; files that could not be read are listed in
        ``failed`` and recorded in the reports table with their error.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sweep_temp_files(out)  # what a killed build left
    alias = Agencies.load(agencies)
    corrections_digest = _hash_file(Path(corrections)) if corrections else ""
    inputs_key = hashlib.sha256(f"{__version__}|{corrections_digest}".encode()).hexdigest()[:16]
    inside = len(out.parts)  # files under ``out`` are its own (the fetch cache)
    files = [p for p in expand_sources(list(sources)) if not (len(p.parts) > inside and p.parts[:inside] == out.parts)]
    previous = _Previous.load(out, inputs_key)
    cache_dir = str(cache) if cache is not None else str(out / "cache")

    plan = _Plan(previous)
    for url, sha_or_error in _fetch_all(list(urls), cache_dir, progress):
        if sha_or_error.startswith("error:"):
            plan.missing(url, url, sha_or_error.removeprefix("error:"))
        else:
            plan.add(url, Path(urllib.parse.urlsplit(url).path).name or url, sha_or_error)
    # hashing reads every file but those unchanged since the last build:
    # threads overlap the reads and hashlib's C code (both release the GIL),
    # one per core
    known = _KnownHashes.load(out)
    hashed: list[tuple] = []
    chunks = [files[i : i + 64] for i in range(0, len(files), 64)]  # a future per file costs more than a hash
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        hashes = (
            h for chunk in pool.map(lambda chunk: [_hash_or_error(f, known) for f in chunk], chunks) for h in chunk
        )
        for p, (record, error) in zip(files, hashes):
            if record is None:
                plan.missing(str(p), p.name, error)
            else:
                plan.add(str(p), p.name, record[-1])
                hashed.append(record)
    rows, reused, todo = plan.rows, plan.reused, plan.todo

    build_id = uuid.uuid4().hex
    writers = {name: _TableWriter(out, name) for name in TABLES}
    try:
        state = _Stream(writers, build_id)
        reused_ids = {r["report_id"] for r in reused}
        if reused:
            previous.copy_into(state, reused_ids)
        rows.extend(reused)
        for chunk in _read_many(todo, str(corrections) if corrections else None, jobs, progress, cache_dir, build_id):
            state.add(chunk)
            rows.extend(chunk.rows)
        reports = _reports_table(rows, alias, inputs_key, build_id, writers["reports"].path)
        state.series(reports, previous.groups, reused_ids)
        writers["reports"].add_checked(reports)
        for writer in writers.values():
            writer.close()
        for writer in writers.values():
            writer.commit()
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    manifest = {
        "build_id": build_id,
        "gicstats_version": __version__,
        "reports": reports.num_rows,
        "aliases": {key: canonical for key, (canonical, _) in alias.by_key.items()},
    }
    write_atomic(out / "manifest.json", lambda tmp: tmp.write_text(json.dumps(manifest, ensure_ascii=False)))
    _KnownHashes.save(out, hashed)
    failed = [(r["source"], r["error"]) for r in rows if r.get("error")]
    return BuildResult(out, len(todo), len(reused), failed)


class _Stream:
    """The rows of the cells, findings and sections tables as they arrive.

    Also what the year-against-year checks need of them, at the end.
    """

    def __init__(self, writers: dict[str, _TableWriter], build_id: str) -> None:
        self.writers = writers
        self.build_id = build_id
        self.findings_count: dict[str, int] = {}  # the next finding number of each report
        self.series_parts: list[pa.Table] = []
        self.series_rows = 0
        # the previous build's year-against-year findings of reused reports
        self.previous_series: list[pa.Table] = []

    def add(self, chunk: _Chunk) -> None:
        """Reports just read (their tables are taken, their report rows stay)."""
        tables, chunk.tables = chunk.tables, {}
        counts = [(row["report_id"], row.pop("counts")) for row in chunk.rows if "counts" in row]
        for name in _ROW_TABLES:
            self.writers[name].add_many([rid for rid, n in counts if n[name]], tables[name])
        for rid, n in counts:
            self.findings_count[rid] = n["findings"]
        self.add_series(tables["series"])

    def add_copied(self, name: str, report_ids: list[str], rows: pa.Table) -> None:
        """Reused reports' rows of one table, from the previous corpus.

        All the rows of each of ``report_ids``, one report after another.
        The tables are copied at the same time, one thread each: what this
        keeps of cells (``series_parts``) and of findings
        (``findings_count``) is touched by that table's thread only.
        """
        self.writers[name].add_many(report_ids, rows)
        if name == "cells":
            self.add_series(_series_rows(rows))
        elif name == "findings" and rows.num_rows:
            last = rows.group_by("report_id", use_threads=False).aggregate([("n", "max")])
            for rid, n in zip(last.column("report_id").to_pylist(), last.column("n_max").to_pylist()):
                self.findings_count[rid] = n + 1

    def add_series(self, rows: pa.Table) -> None:
        self.series_parts.append(rows)
        self.series_rows += rows.num_rows
        if len(self.series_parts) >= 4096:  # many small tables cost more than their rows
            self.series_parts = [pa.concat_tables(self.series_parts).combine_chunks()]

    def series(self, reports: pa.Table, previous: dict[str, Group], reused: set[str]) -> None:
        """Year against year over every readable report (grouped by ``agency_key``).

        A series whose members are the same reports as in the ``previous``
        build, all of them ``reused`` (same bytes, same inputs), keeps its
        findings from then: they depend on nothing else. The others are
        checked now, their findings numbered after each report's own. So
        adding a report checks its agency's series, not the corpus's.
        """
        groups = _groups(reports)
        kept: set[str] = set()
        changed: dict[str, Group] = {}
        for key, group in groups.items():
            members = {rid for rid, _ in group.values()}
            if previous.get(key) == group and members <= reused:
                kept |= members
            else:
                changed[key] = group
        parts = []
        if self.previous_series:
            old = pa.concat_tables(self.previous_series)
            old = old.filter(pc.is_in(old.column("report_id"), value_set=pa.array(sorted(kept), pa.string())))
            parts.append(old.set_column(0, "build_id", pa.repeat(pa.scalar(self.build_id), old.num_rows)))
        self.previous_series = []
        if changed and self.series_rows:
            cells = pa.concat_tables(self.series_parts)
            self.series_parts = []
            # a batch of series at a time: their cells as Python values take
            # far more memory than as Arrow columns
            found: list[Finding] = []
            batch: dict[str, Group] = {}
            in_batch = 0
            for i, (key, group) in enumerate(changed.items()):
                batch[key] = group
                in_batch += len(group)
                if in_batch >= SERIES_BATCH_REPORTS or i == len(changed) - 1:
                    ids = pa.array(sorted(rid for group in batch.values() for rid, _ in group.values()), pa.string())
                    part = cells.filter(pc.is_in(cells.column("report_id"), value_set=ids))
                    found += check_series_groups(batch, _plain_frame(part))
                    batch, in_batch = {}, 0
            parts.append(self._numbered(found))
        self.series_parts = []
        table = pa.concat_tables(parts) if parts else None
        if table is None or not table.num_rows:
            return
        # numbered past each report's findings already written (the kept ones
        # were, in the build they come from, from the same findings), so
        # unique against them once unique among themselves
        check_key("findings", table, self.writers["findings"].path)
        self.writers["findings"].add_checked(table)

    def _numbered(self, findings: list[Finding]) -> pa.Table:
        """New findings as rows of the findings table, numbered after each report's own."""
        numbers = []
        for f in findings:
            numbers.append(self.findings_count.get(f.report_id, 0))
            self.findings_count[f.report_id] = numbers[-1] + 1
        n = len(findings)
        return pa.table(
            {
                "build_id": pa.repeat(pa.scalar(self.build_id), n),
                "report_id": pa.array([f.report_id for f in findings], pa.string()),
                "n": pa.array(numbers, pa.int64()),
                **{c: pa.array([getattr(f, c) for f in findings], pa.string()) for c in FINDING_COLUMNS[1:]},
            },
            schema=FINDINGS.schema,
        )


def _groups(reports: pa.Table) -> dict[str, Group]:
    """The agencies' series among the readable reports of a reports table."""
    readable = reports.filter(pc.is_null(reports.column("error")))
    return series_groups(_plain_frame(readable.select(["report_id", "agency_key", "year", "template_version"])))


def _plain_frame(table: pa.Table) -> pd.DataFrame:
    """A frame of the table's values as NumPy arrays, for the series checks.

    Floats as floats; the rest (strings, years) as objects, pandas 3 keeping
    strings as its ``str`` dtype otherwise. Each distinct value is one
    Python object, shared by the rows that hold it: ids and labels repeat,
    so this takes a fraction of the memory of a Python value per row.
    """
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_floating(column.type):
            columns[name] = column.to_numpy()
        else:
            encoded = pc.dictionary_encode(column.combine_chunks())
            distinct = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
            columns[name] = distinct[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()]
    return pd.DataFrame(columns)


def _reports_table(rows: list[dict], alias: Agencies, inputs_key: str, build_id: str, where: Path) -> pa.Table:
    out = []
    for r in rows:
        canonical, region = alias.resolve(r.get("agency"))
        out.append(
            {
                **{c: r.get(c) for c in REPORT_COLUMNS},
                "build_id": build_id,
                "agency_key": canonical,
                "region": region,
                "gicstats_version": __version__,
                "inputs_key": inputs_key,
            }
        )
    table = pa.Table.from_pylist(out, schema=REPORTS.schema)
    table = table.sort_by([("agency_key", "ascending"), ("year", "ascending"), ("report", "ascending")])
    return validate_table("reports", table, where)


# --------------------------------------------------------------------------
# The previous corpus: what can be reused, and copying it
# --------------------------------------------------------------------------


@dataclass
class _Previous:
    """The corpus already in the output folder, as far as it can be reused."""

    folder: Path
    build_id: str | None
    rows: dict[str, dict]  # reusable reports' rows by sha256
    groups: dict[str, Group]  # its agencies' series (see check.series.series_groups)

    @classmethod
    def load(cls, out: Path, inputs_key: str) -> _Previous:
        """Reports read with the same inputs, if the folder holds one whole corpus.

        All four files, one build id, tables as declared. Only the reports
        table and the other files' footers are read.
        """
        nothing = cls(out, None, {}, {})
        try:
            file = out / REPORTS.file
            reports = validate_table("reports", pq.read_table(file), file)
            build_ids = pc.unique(reports.column("build_id")).to_pylist()
            if len(build_ids) != 1:
                return nothing
            for name in ("cells", "findings", "sections"):
                file = out / SCHEMAS[name].file
                meta = pq.ParquetFile(file)
                conform(name, meta.schema_arrow.empty_table(), file)
                if not _one_build(meta, build_ids[0]):
                    return nothing
        except (GicstatsError, OSError, pa.ArrowException):
            return nothing
        rows: dict[str, dict] = {}
        for row in reports.to_pylist():
            # retry files that failed: the reader may have improved
            if row["inputs_key"] == inputs_key and row["error"] is None and row["sha256"] is not None:
                rows[row["sha256"]] = row
        return cls(out, build_ids[0], rows, _groups(reports))

    def copy_into(self, stream: _Stream, report_ids: set[str]) -> None:
        """Stream the rows of these reports into the new tables.

        The year-against-year findings are set aside: those of a series
        that did not change are kept (:meth:`_Stream.series`).
        """
        keep = pa.array(sorted(report_ids), pa.string())
        # one thread per table: Arrow decodes, checks and encodes without the
        # GIL, and each table's rows go to its own writer (the stream's state
        # for cells and for findings is apart, see _Stream.add_copied)
        stop = threading.Event()  # set when a copy fails or the build is interrupted: the others end too
        with ThreadPoolExecutor(max_workers=3) as pool:
            copies = [pool.submit(self._copy, stream, name, keep, stop) for name in ("cells", "findings", "sections")]
            try:
                for copy in copies:
                    copy.result()
            except BaseException:
                stop.set()
                raise

    def _copy(self, stream: _Stream, name: str, keep: pa.Array, stop: threading.Event) -> None:
        file = self.folder / SCHEMAS[name].file
        try:
            for ids, rows in _reports_rows(file, name, keep, stream.previous_series):
                if stop.is_set():
                    return
                rows = rows.set_column(0, "build_id", pa.repeat(pa.scalar(stream.build_id), rows.num_rows))
                stream.add_copied(name, ids, rows)
        except (OSError, pa.ArrowException) as exc:
            stop.set()
            problem = f"unreadable Parquet file ({type(exc).__name__}); delete it and rebuild"
            raise GicstatsError(file, problem) from None
        except BaseException:
            stop.set()
            raise


def _one_build(meta: pq.ParquetFile, build_id: str) -> bool:
    """Whether every row group's ``build_id`` statistics say only ``build_id``."""
    index = meta.schema_arrow.get_field_index("build_id")
    for i in range(meta.metadata.num_row_groups):
        group = meta.metadata.row_group(i)
        if group.num_rows == 0:
            continue
        stats = group.column(index).statistics
        if stats is None or not stats.has_min_max or stats.null_count:
            return False
        if stats.min != build_id or stats.max != build_id:
            return False
    return True


def _reports_rows(
    file: Path, name: str, keep: pa.Array, series: list[pa.Table]
) -> Iterator[tuple[list[str], pa.Table]]:
    """The rows of the kept reports in ``file``, read a batch at a time, as ``(report ids, rows)``.

    Year-against-year findings go to ``series`` instead.

    Whole reports, one after another. A report's rows are together in the
    file and may span two batches: the last report of a batch waits for the
    next.
    """
    carry: pa.Table | None = None
    columns = list(SCHEMAS[name].columns)
    # repeated strings (ids, labels, paths) read from the file's dictionary
    # pages: decoding each value again costs more than the rest of the copy
    parquet = pq.ParquetFile(file, read_dictionary=[c for c in columns if c in _DICTIONARY_COLUMNS])
    for batch in parquet.iter_batches(batch_size=COPY_BATCH_ROWS, columns=columns):
        table = conform(name, batch, file)
        mask = pc.is_in(table.column("report_id"), value_set=keep)
        if name == "findings":
            of_series = pc.starts_with(table.column("rule"), "series.")
            series.append(table.filter(pc.and_(mask, of_series)))
            mask = pc.and_(mask, pc.invert(of_series))
        if not pc.all(mask).as_py():  # a filter copies every value: not when all stay
            table = table.filter(mask)
        if carry is not None:
            table = pa.concat_tables([carry, table])
        runs = _runs(table)
        if len(runs) > 1:
            _, last, _ = runs[-1]
            yield [rid for rid, _, _ in runs[:-1]], table.slice(0, last)
        carry = table.slice(runs[-1][1]) if runs else None
    if carry is not None and carry.num_rows:
        yield [carry.column("report_id")[0].as_py()], carry


def _runs(table: pa.Table) -> list[tuple[str, int, int]]:
    """``(report_id, start, length)`` of each run of equal report ids."""
    if table.num_rows == 0:
        return []
    runs = pc.run_end_encode(table.column("report_id").combine_chunks())
    ends = runs.run_ends.to_pylist()
    starts = [0, *ends[:-1]]
    return [(rid, s, e - s) for rid, s, e in zip(runs.values.to_pylist(), starts, ends)]


# --------------------------------------------------------------------------
# Fetching and reading many
# --------------------------------------------------------------------------


def _fetch_all(urls: list[str], cache_dir: str, progress: bool) -> list[tuple[str, str]]:
    """Fetch each URL into the cache: ``(url, sha256)``, or ``(url, "error:…")``."""
    if not urls:
        return []
    from gicstats.read.fetch import Fetcher

    fetcher = Fetcher(cache_dir)
    bar = _progress(len(urls), progress, "fetching")
    out = []
    for url in urls:
        try:
            out.append((url, fetcher.fetch(url).sha256))
        except GicstatsError as exc:
            out.append((url, f"error:{exc.problem}"))
        bar.update(1)
    bar.close()
    return out


def _read_many(
    todo: list[tuple[str, str]],
    corrections: str | None,
    jobs: int | None,
    progress: bool,
    cache: str | None,
    build_id: str,
) -> Iterator[_Chunk]:
    """The files read, a chunk at a time, as they come (not in order).

    A few chunks per worker are in flight at a time, so results never pile
    up in memory.
    """
    jobs = jobs or os.cpu_count() or 1
    bar = _progress(len(todo), progress, "reading")
    try:
        if jobs <= 1 or len(todo) <= 2:
            for i in range(0, len(todo), TASK_REPORTS):
                chunk = _Chunk.read(todo[i : i + TASK_REPORTS], corrections, cache, build_id)
                yield chunk
                bar.update(len(chunk.rows))
            return
        size = max(1, min(TASK_REPORTS, len(todo) // (jobs * TASKS_PER_WORKER)))
        chunks = iter([todo[i : i + size] for i in range(0, len(todo), size)])
        # gc.freeze: what a worker inherits from this process (the imported
        # libraries) is never garbage, so its collections leave it unscanned
        with ProcessPoolExecutor(max_workers=jobs, initializer=gc.freeze) as pool:
            pending: set[Future] = set()

            def fill(submit: Callable = pool.submit) -> None:
                while len(pending) < jobs * TASKS_PER_WORKER and (items := next(chunks, None)) is not None:
                    pending.add(submit(_Chunk.read, items, corrections, cache, build_id))

            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                pending.difference_update(done)
                fill()
                for fut in done:
                    chunk = fut.result()
                    yield chunk
                    bar.update(len(chunk.rows))
    finally:
        bar.close()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool, desc: str):
    if not enabled or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="report")
