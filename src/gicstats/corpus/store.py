"""The corpus store: many reports in Parquet files, built incrementally.

``build`` reads every report under the given files and folders into a
folder of Parquet files (via pyarrow):

- ``reports.parquet``: one row per source file: agency (as printed and as
  grouped), region, year, template version, source, sha256, published
  date, and the error if the file could not be read;
- ``cells.parquet``: the tidy cells of every report, with provenance;
- ``findings.parquet``: every finding, including year-against-year ones;
- ``sections.parquet``: the narrative text of each section.

An unchanged file (same sha256, same gicstats version, same corrections and
aliases) is not read again. Files are read in parallel across cores. Each
output is written to a temporary file and renamed, and all four carry the
same ``build_id``, so a reader never sees a half-written or mixed corpus.

DuckDB users can query the files directly::

    duckdb.sql("select * from read_parquet('corpus/cells.parquet')")
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
import urllib.parse
import uuid
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gicstats._version import __version__
from gicstats.check import check_frame, check_series_frames
from gicstats.errors import GicstatsError
from gicstats.form import template as T
from gicstats.form.findings import COLUMNS as FINDING_COLUMNS
from gicstats.form.findings import findings_frame
from gicstats.paths import expand_sources, sweep_temp_files, write_atomic
from gicstats.read import Report, read_report

TABLES = ("reports", "cells", "findings", "sections")

REPORT_COLUMNS = (
    "report_id",
    "report",
    "source",
    "sha256",
    "format",
    "agency",
    "agency_key",
    "region",
    "year",
    "template_version",
    "published",
    "title",
    "error",
    "n_cells",
    "gicstats_version",
    "inputs_key",
)


# --------------------------------------------------------------------------
# Agency aliases
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Agencies:
    """A reviewed alias file: canonical name, aliases and region of agencies.

    TOML::

        [[agency]]
        name = "平潭综合实验区"
        aliases = ["平潭综合实验区管理委员会"]
        region = "福建省"
    """

    by_key: dict[str, tuple[str, str | None]]
    digest: str

    @classmethod
    def load(cls, path: str | os.PathLike | None) -> Agencies:
        """Read and validate an alias file; ``None`` gives no aliases.

        Raises:
            GicstatsError: naming the file and what is wrong in it.
        """
        if path is None:
            return cls({}, "")
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except FileNotFoundError:
            raise GicstatsError(path, "no such agency alias file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise GicstatsError(path, f"not valid TOML ({exc})") from None
        by_key: dict[str, tuple[str, str | None]] = {}
        for i, entry in enumerate(data.get("agency", []), start=1):
            if "name" not in entry:
                raise GicstatsError(path, f"agency #{i} lacks name")
            canonical = str(entry["name"])
            for alias in (canonical, *entry.get("aliases", [])):
                key = T.normalize(str(alias))
                if key in by_key and by_key[key][0] != canonical:
                    raise GicstatsError(path, f"alias {alias!r} names two agencies")
                by_key[key] = (canonical, entry.get("region"))
        return cls(by_key, hashlib.sha256(text.encode()).hexdigest())

    def resolve(self, agency: str | None) -> tuple[str | None, str | None]:
        """``(canonical name, region)``; an unknown agency keeps its printed name."""
        if agency is None:
            return None, None
        return self.by_key.get(T.normalize(agency), (agency, None))


# --------------------------------------------------------------------------
# Reading one file (runs in worker processes)
# --------------------------------------------------------------------------


def _read_one(path: str, sha256: str, corrections: str | None, cache: str | None = None) -> dict:
    """Read and check one file (or a URL already fetched into ``cache``); never raises."""
    base = {"report_id": sha256[:16], "report": Path(path).name, "source": path, "sha256": sha256}
    try:
        report = read_report(path, corrections=corrections, cache=cache)
        findings = check_frame(report)
    except GicstatsError as exc:
        return {**base, "error": exc.problem}
    except Exception as exc:
        return {**base, "error": f"internal error ({type(exc).__name__}: {exc})"}
    cells = report.cells.copy()
    sections = pd.DataFrame({"section": list(report.sections), "text": list(report.sections.values())})
    return {
        **base,
        "format": report.format,
        "agency": report.agency,
        "year": report.year,
        "template_version": report.template_version,
        "published": report.published.isoformat() if report.published else None,
        "title": report.title,
        "error": None,
        "n_cells": len(cells),
        "cells": cells,
        "findings": findings,
        "sections": sections,
    }


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, compression="zstd"))


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
    sweep_temp_files(out)  # what a killed build left
    alias = Agencies.load(agencies)
    corrections_digest = _hash_file(Path(corrections)) if corrections else ""
    inputs_key = hashlib.sha256(f"{__version__}|{corrections_digest}".encode()).hexdigest()[:16]
    files = [p for p in expand_sources(list(sources)) if out not in p.parents]
    hashes = {str(p): _hash_file(p) for p in files if p.is_file()}
    previous = _load_previous(out, inputs_key)
    results: list[dict] = []
    todo: list[tuple[str, str]] = []
    cache_dir = str(cache) if cache is not None else str(out / "cache")
    fetched = _fetch_all(list(urls), cache_dir, progress)
    for url, sha_or_error in fetched:
        if sha_or_error.startswith("error:"):
            results.append(
                {
                    "report_id": f"missing:{url}",
                    "report": url,
                    "source": url,
                    "sha256": None,
                    "error": sha_or_error.removeprefix("error:"),
                }
            )
        elif (cached := previous.get(sha_or_error)) is not None:
            results.append(
                {**cached, "source": url, "report": Path(urllib.parse.urlsplit(url).path).name or url, "_reused": True}
            )
        else:
            todo.append((url, sha_or_error))
    for p in files:
        key = str(p)
        if key not in hashes:
            results.append(
                {
                    "report_id": f"missing:{key}",
                    "report": p.name,
                    "source": key,
                    "sha256": None,
                    "error": "no such file" if not p.exists() else "not a regular file",
                }
            )
            continue
        cached = previous.get(hashes[key])
        if cached is not None:
            results.append({**cached, "source": key, "report": p.name, "_reused": True})
        else:
            todo.append((key, hashes[key]))
    results.extend(_read_many(todo, str(corrections) if corrections else None, jobs, progress, cache_dir))
    frames = _assemble(results, alias, inputs_key)
    build_id = uuid.uuid4().hex
    for name in TABLES:
        frame = frames[name]
        frame.insert(0, "build_id", build_id)
        _write_parquet(frame, out / f"{name}.parquet")
    manifest = {
        "build_id": build_id,
        "gicstats_version": __version__,
        "reports": len(frames["reports"]),
        "aliases": {key: canonical for key, (canonical, _) in alias.by_key.items()},
    }
    write_atomic(out / "manifest.json", lambda tmp: tmp.write_text(json.dumps(manifest, ensure_ascii=False)))
    failed = [(r["source"], r["error"]) for r in results if r.get("error")]
    reused = sum(1 for r in results if r.get("_reused"))
    return BuildResult(
        out, len(results) - reused - sum(1 for r in results if r["report_id"].startswith("missing:")), reused, failed
    )


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
    todo: list[tuple[str, str]], corrections: str | None, jobs: int | None, progress: bool, cache: str | None = None
) -> list[dict]:
    jobs = jobs or os.cpu_count() or 1
    bar = _progress(len(todo), progress, "reading")
    out = []
    if jobs <= 1 or len(todo) <= 2:
        for path, sha in todo:
            out.append(_read_one(path, sha, corrections, cache))
            bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_read_one, path, sha, corrections, cache) for path, sha in todo]
            for fut in futures:
                out.append(fut.result())
                bar.update(1)
    bar.close()
    return out


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


def _load_previous(out: Path, inputs_key: str) -> dict[str, dict]:
    """Earlier results by sha256, when they were made with the same inputs."""
    try:
        corpus = read_corpus(out)
    except GicstatsError:
        return {}
    previous: dict[str, dict] = {}
    reports = corpus.reports[corpus.reports["inputs_key"] == inputs_key]
    cells = dict(tuple(corpus.cells.groupby("report_id"))) if len(corpus.cells) else {}
    findings = dict(tuple(corpus.findings.groupby("report_id"))) if len(corpus.findings) else {}
    sections = dict(tuple(corpus.sections.groupby("report_id"))) if len(corpus.sections) else {}
    for row in reports.to_dict(orient="records"):
        if row.get("error") or row.get("sha256") is None:
            continue  # retry files that failed: the reader may have improved
        rid = row["report_id"]
        drop = ["build_id", "report_id"]
        row["cells"] = cells.get(rid, pd.DataFrame()).drop(columns=drop, errors="ignore")
        row["findings"] = findings.get(rid, pd.DataFrame()).drop(columns=drop, errors="ignore")
        if len(row["findings"]):  # series findings are recomputed over the whole corpus
            row["findings"] = row["findings"][~row["findings"]["rule"].str.startswith("series.")]
        row["sections"] = sections.get(rid, pd.DataFrame()).drop(columns=drop, errors="ignore")
        previous[row["sha256"]] = row
    return previous


def _assemble(results: list[dict], alias: Agencies, inputs_key: str) -> dict[str, pd.DataFrame]:
    rows: list[dict] = []
    cells: list[pd.DataFrame] = []
    findings: list[pd.DataFrame] = []
    sections: list[pd.DataFrame] = []
    seen: set[str] = set()
    for r in results:
        rid = r["report_id"]
        if rid in seen:  # the same bytes under two names: keep the first
            continue
        seen.add(rid)
        canonical, region = alias.resolve(r.get("agency"))
        rows.append(
            {
                **{c: r.get(c) for c in REPORT_COLUMNS},
                "agency_key": canonical,
                "region": region,
                "gicstats_version": __version__,
                "inputs_key": inputs_key,
            }
        )
        for name, bucket in (("cells", cells), ("findings", findings), ("sections", sections)):
            frame = r.get(name)
            if frame is not None and len(frame):
                frame = frame.drop(columns=["report_id"], errors="ignore")
                frame.insert(0, "report_id", rid)
                bucket.append(frame)
    reports = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    reports = reports.astype({c: "Int64" if c in ("year", "n_cells") else "string" for c in REPORT_COLUMNS})
    reports = reports.sort_values(["agency_key", "year", "report"], na_position="last").reset_index(drop=True)
    cells_frame = pd.concat(cells, ignore_index=True) if cells else pd.DataFrame(columns=["report_id"])
    findings_frame_ = (
        pd.concat(findings, ignore_index=True) if findings else pd.DataFrame(columns=["report_id", *FINDING_COLUMNS])
    )
    sections_frame = (
        pd.concat(sections, ignore_index=True) if sections else pd.DataFrame(columns=["report_id", "section", "text"])
    )
    readable = reports[reports["error"].isna()]
    series = findings_frame(check_series_frames(readable, cells_frame)) if len(cells_frame) else findings_frame([])
    if len(series):
        findings_frame_ = pd.concat([findings_frame_, series], ignore_index=True)
    return {
        "reports": reports,
        "cells": cells_frame,
        "findings": findings_frame_.astype("string"),
        "sections": sections_frame,
    }


# --------------------------------------------------------------------------
# Reading a corpus
# --------------------------------------------------------------------------


@dataclass
class Corpus:
    """A corpus: the reports, cells, findings and sections tables.

    Select with :meth:`select`; turn rows back into :class:`Report` objects
    with :meth:`report` for checks and notebooks.
    """

    reports: pd.DataFrame
    cells: pd.DataFrame
    findings: pd.DataFrame
    sections: pd.DataFrame
    aliases: dict[str, str] = field(default_factory=dict)

    def canonical(self, agency: str) -> str:
        """The grouping name of ``agency`` under the reviewed alias file."""
        return self.aliases.get(T.normalize(agency), agency)

    def select(
        self,
        *,
        agency: str | Iterable[str] | None = None,
        year: int | Iterable[int] | None = None,
        region: str | None = None,
        ok_only: bool = False,
    ) -> Corpus:
        """Reports of the given agencies, years and region.

        Agencies by grouped name or as printed; the region by prefix
        match (e.g. ``"福建省"``).
        """
        mask = pd.Series(True, index=self.reports.index)
        if agency is not None:
            names = {agency} if isinstance(agency, str) else set(agency)
            keys = {T.normalize(n) for n in names} | {T.normalize(self.canonical(n)) for n in names}
            mask &= self.reports["agency_key"].map(lambda a: pd.notna(a) and T.normalize(a) in keys) | self.reports[
                "agency"
            ].map(lambda a: pd.notna(a) and T.normalize(a) in keys)
        if year is not None:
            years = {int(year)} if isinstance(year, int) else {int(y) for y in year}
            mask &= self.reports["year"].isin(years)
        if region is not None:
            mask &= self.reports["region"].fillna("").str.startswith(region)
        if ok_only:
            mask &= self.reports["error"].isna()
        reports = self.reports[mask].reset_index(drop=True)
        ids = set(reports["report_id"])
        pick = lambda f: f[f["report_id"].isin(ids)].reset_index(drop=True)  # noqa: E731
        return Corpus(reports, pick(self.cells), pick(self.findings), pick(self.sections), self.aliases)

    @property
    def agencies(self) -> list[str]:
        """The agencies of the corpus, by grouped name, sorted."""
        return sorted(self.reports["agency_key"].dropna().unique())

    @property
    def years(self) -> list[int]:
        """The years the corpus has reports for, sorted."""
        return sorted(int(y) for y in self.reports["year"].dropna().unique())

    def __len__(self) -> int:
        """The number of reports, readable or not."""
        return len(self.reports)

    def to_reports(self) -> list[Report]:
        """Every readable report as a :class:`Report` (without re-reading sources)."""
        return [self._report(row) for row in self.reports.to_dict(orient="records") if pd.isna(row["error"])]

    def report(self, agency: str, year: int) -> Report:
        """The report of one agency and year.

        Raises:
            GicstatsError: when the corpus has no such report.
        """
        hit = self.select(agency=agency, year=year, ok_only=True)
        if len(hit) == 0:
            known = ", ".join(f"{a}" for a in self.agencies[:10])
            raise GicstatsError("corpus", f"no report of {agency!r} for {year} (agencies: {known})")
        return hit._report(hit.reports.iloc[0].to_dict())

    def _report(self, row: dict) -> Report:
        rid = row["report_id"]
        cells = self.cells[self.cells["report_id"] == rid].drop(columns=["report_id", "build_id"], errors="ignore")
        findings = self.findings[self.findings["report_id"] == rid]
        sections = self.sections[self.sections["report_id"] == rid]
        published = pd.to_datetime(row["published"]).date() if pd.notna(row.get("published")) else None
        return Report(
            agency=row.get("agency_key") if pd.notna(row.get("agency_key")) else None,
            year=int(row["year"]) if pd.notna(row.get("year")) else None,
            template_version=row.get("template_version") if pd.notna(row.get("template_version")) else None,
            published=published,
            source=row["report"],
            sha256=row["sha256"],
            format=row["format"],
            cells=cells.reset_index(drop=True),
            _sections=dict(zip(sections["section"], sections["text"])),
            findings=findings[list(FINDING_COLUMNS)].reset_index(drop=True),
            checked=True,
            title=row.get("title") if pd.notna(row.get("title")) else None,
        )

    def duckdb(self):  # pragma: no cover - optional
        """A DuckDB connection with the four tables registered (needs ``duckdb``)."""
        import duckdb

        con = duckdb.connect()
        for name in TABLES:
            con.register(name, getattr(self, name))
        return con


def read_corpus(path: str | os.PathLike) -> Corpus:
    """Open a corpus folder written by :func:`build`.

    Raises:
        GicstatsError: if the folder is not a corpus, or its files come from
            different builds (a build was interrupted between renames).
    """
    path = Path(path)
    frames = {}
    for name in TABLES:
        file = path / f"{name}.parquet"
        if not file.is_file():
            raise GicstatsError(path, f"not a gicstats corpus (no {file.name}); run `gicstats build`")
        try:
            frames[name] = pd.read_parquet(file)
        except Exception as exc:
            raise GicstatsError(file, f"unreadable Parquet file ({type(exc).__name__})") from None
    ids = {name: set(frame["build_id"].dropna().unique()) for name, frame in frames.items() if len(frame)}
    all_ids = set().union(*ids.values()) if ids else set()
    if len(all_ids) > 1:
        raise GicstatsError(path, "corpus files come from different builds; rerun `gicstats build`")
    aliases: dict[str, str] = {}
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            aliases = json.loads(manifest.read_text(encoding="utf-8")).get("aliases", {})
        except (ValueError, UnicodeDecodeError):
            raise GicstatsError(manifest, "unreadable manifest; rerun `gicstats build`") from None
    return Corpus(**{name: frame.drop(columns=["build_id"]) for name, frame in frames.items()}, aliases=aliases)
