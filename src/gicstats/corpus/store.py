"""The corpus store: open a corpus folder written by :func:`gicstats.corpus.build`.

:func:`read_corpus` loads the four tables (see :mod:`gicstats.corpus.schema`),
validating each against its declaration, and refuses files of different
builds. A :class:`Corpus` finds a report's rows through an index by
``report_id`` made once, so taking one report out costs the size of that
report, not of the corpus.

DuckDB users can query the files directly::

    duckdb.sql("select * from read_parquet('corpus/cells.parquet')")
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gicstats.corpus.schema import SCHEMAS, TABLES, to_pandas, validate_table
from gicstats.errors import GicstatsError
from gicstats.form import template as T
from gicstats.form.findings import COLUMNS as FINDING_COLUMNS
from gicstats.read import Report

# --------------------------------------------------------------------------
# Reading a corpus
# --------------------------------------------------------------------------


@dataclass(repr=False)
class Corpus:
    """A corpus: the reports, cells, findings and sections tables.

    Select with :meth:`select`; turn rows back into :class:`Report` objects
    with :meth:`report` for checks and notebooks. ``path`` is the folder it
    was read from (``None`` for a selection); ``matched`` says, for each
    agency asked for by :meth:`select`, which agencies it matched and how.
    """

    reports: pd.DataFrame
    cells: pd.DataFrame
    findings: pd.DataFrame
    sections: pd.DataFrame
    aliases: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    matched: dict[str, list[str]] = field(default_factory=dict)
    # row positions of each report in cells, findings and sections, made on first use,
    # with the row index of the table they were made for
    _index: dict[str, tuple[pd.Index, dict[str, np.ndarray]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def _rows(self, name: str, report_ids: Iterable[str]) -> pd.DataFrame:
        """The rows of these reports in table ``name``, in table order within each report.

        One grouping of the table, then only their rows.
        """
        frame: pd.DataFrame = getattr(self, name)
        made = self._index.get(name)
        # rows dropped or reordered since (a copy's table changed in place): group anew
        if made is None or not (made[0] is frame.index or _same_rows(made[0], frame.index)):
            made = (frame.index, frame.groupby("report_id", sort=False).indices if len(frame) else {})
            self._index[name] = made
        index = made[1]
        parts = [index[rid] for rid in report_ids if rid in index]
        positions = np.concatenate(parts) if parts else np.array([], dtype=np.intp)
        return frame.iloc[positions].reset_index(drop=True)

    def copy(self) -> Corpus:
        """A copy to hand out while this one is kept (a kernel's cache of a corpus).

        Its tables are pandas' lazy copies: changing them changes neither
        this corpus nor the next copy. It reuses the row positions already
        made, while its tables keep the same rows in the same order.
        """
        for name in ("cells", "findings", "sections"):
            self._rows(name, ())
        out = Corpus(
            self.reports.copy(deep=False),
            self.cells.copy(deep=False),
            self.findings.copy(deep=False),
            self.sections.copy(deep=False),
            dict(self.aliases),
            self.path,
            {k: list(v) for k, v in self.matched.items()},
        )
        out._index.update(self._index)
        return out

    def canonical(self, agency: str) -> str:
        """The grouping name of ``agency`` under the reviewed alias file."""
        return self.aliases.get(T.normalize(agency), agency)

    def find_agency(self, query: str) -> pd.DataFrame:
        """Agencies whose grouped name, alias or printed title name contains ``query``.

        Aliases come from the reviewed alias file, printed names from report
        titles; names are compared after the form's normalisation (full-width
        → half-width, spaces out).

        Returns:
            One row per agency: ``agency``, ``matched`` (what matched, e.g.
            ``"别名 alias: 平潭综合实验区管委会"``), ``region``, ``years``.
        """
        q = T.normalize(query)
        rows = []
        reports = self.reports[self.reports["agency_key"].notna()]
        for key, part in reports.groupby("agency_key", sort=True):
            names = [("名称 name", key)]
            names += [("别名 alias", a) for a, c in sorted(self.aliases.items()) if c == key and a != T.normalize(key)]
            names += [("报告所印 printed", a) for a in sorted(set(part["agency"].dropna())) if a != key]
            hit = next((f"{kind}: {name}" for kind, name in names if q and q in T.normalize(name)), None)
            if hit is not None:
                region = part["region"].dropna()
                years = sorted({int(y) for y in part["year"].dropna()})
                rows.append((key, hit, region.iloc[0] if len(region) else None, ", ".join(map(str, years))))
        return pd.DataFrame(rows, columns=["agency", "matched", "region", "years"])

    def _agency_keys(self, names: set[str]) -> tuple[set[str], dict[str, list[str]]]:
        """Normalised keys to select for ``names`` and what each matched.

        An exact name or alias first, else part of a name or alias.

        Raises:
            GicstatsError: a name that matches nothing, with the closest names.
        """
        present = {T.normalize(a): a for col in ("agency_key", "agency") for a in self.reports[col].dropna().unique()}
        keys: set[str] = set()
        matched: dict[str, list[str]] = {}
        for name in sorted(names):
            exact = {T.normalize(name), T.normalize(self.canonical(name))} & set(present)
            if exact:
                keys |= exact
                matched[name] = sorted({self.canonical(present[k]) for k in exact})
                continue
            hits = self.find_agency(name)
            if hits.empty:
                import difflib

                pool = sorted(set(self.agencies) | set(self.aliases.values()))
                close = difflib.get_close_matches(name, pool, n=5, cutoff=0.3)
                raise GicstatsError(
                    "corpus",
                    f"no agency {name!r} (nor one with it in its name or aliases); "
                    + (f"closest: {', '.join(close)}" if close else f"agencies: {', '.join(self.agencies[:10])}"),
                )
            keys |= {T.normalize(a) for a in hits["agency"]}
            matched[name] = [f"{a} ({m})" for a, m in zip(hits["agency"], hits["matched"])]
        return keys, matched

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

        An agency is matched by its grouped name, a printed name or an alias
        of the reviewed alias file; failing that, by part of one
        (``agency="平潭"``). ``matched`` on the result says what each name
        matched.

        Raises:
            GicstatsError: an agency that matches nothing, with the closest
                names (an empty selection is never returned in silence).
        """
        mask = pd.Series(True, index=self.reports.index)
        matched: dict[str, list[str]] = {}
        if agency is not None:
            names = {agency} if isinstance(agency, str) else set(agency)
            keys, matched = self._agency_keys(names)
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
        ids = list(reports["report_id"])
        return Corpus(
            reports,
            self._rows("cells", ids),
            self._rows("findings", ids),
            self._rows("sections", ids),
            self.aliases,
            matched=matched,
        )

    def __repr__(self) -> str:
        """Reports (unreadable among them), agencies, years, path and what agency names matched."""
        ok = self.reports["error"].isna().sum()
        years = f"{self.years[0]}–{self.years[-1]}" if self.years else "no years"
        where = f", path={str(self.path)!r}" if self.path else ""
        what = "".join(f", matched {q!r} → {', '.join(m)}" for q, m in self.matched.items())
        return (
            f"Corpus({len(self)} reports ({len(self) - ok} unreadable), {len(self.agencies)} agencies, "
            f"{years}, {len(self.cells)} cells, {len(self.findings)} findings{where}{what})"
        )

    def _repr_html_(self) -> str:
        """Its coverage: reports by agency and year."""
        import html

        reports = self.reports[self.reports["error"].isna() & self.reports["year"].notna()]
        table = pd.crosstab(reports["agency_key"].fillna("?"), reports["year"].astype(int)) if len(reports) else None
        head = html.escape(repr(self))
        body = "" if table is None else table.to_html(escape=True)
        return f"<p><code>{head}</code></p>{body}"

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
        try:
            hit = self.select(agency=agency, year=year, ok_only=True)
        except GicstatsError as exc:
            raise GicstatsError("corpus", f"no report of {agency!r} for {year}: {exc.problem}") from None
        if len(hit) == 0:
            known = ", ".join(f"{a}" for a in self.agencies[:10])
            raise GicstatsError("corpus", f"no report of {agency!r} for {year} (agencies: {known})")
        if len(hit.agencies) > 1:  # part of a name that several agencies share
            raise GicstatsError("corpus", f"{agency!r} matches {', '.join(hit.agencies)}; name one")
        return hit._report(hit.reports.iloc[0].to_dict())

    def _report(self, row: dict) -> Report:
        rid = row["report_id"]
        cells = self._rows("cells", [rid]).drop(columns=["report_id", "build_id"], errors="ignore")
        findings = self._rows("findings", [rid])
        sections = self._rows("sections", [rid])
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


def _same_rows(a: pd.Index, b: pd.Index) -> bool:
    """Whether two row indexes are the same range (a cheap test; other indexes count as changed)."""
    return isinstance(a, pd.RangeIndex) and isinstance(b, pd.RangeIndex) and a.equals(b)


def build_stamp(path: str | os.PathLike) -> tuple | None:
    """What tells the corpus files at ``path`` apart from any other build's: a cache key.

    Each table's ``build_id`` as its Parquet footer's statistics give it
    (every row group must agree), with the file's identity (inode, size,
    modification time). ``None`` when that cannot be told (a file missing or
    without statistics): then nothing may be cached.
    """
    path = Path(path)
    stamp = []
    for name in TABLES:
        file = path / SCHEMAS[name].file
        try:
            st = file.stat()
            meta = pq.ParquetFile(file).metadata
        except Exception:
            return None
        index = meta.schema.to_arrow_schema().get_field_index("build_id")
        ids = set()
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(index).statistics if index >= 0 else None
            if meta.row_group(i).num_rows == 0:
                continue
            if stats is None or not stats.has_min_max or stats.min != stats.max:
                return None
            ids.add(stats.min)
        if len(ids) > 1:
            return None
        stamp.append((name, next(iter(ids), None), st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def read_corpus(path: str | os.PathLike) -> Corpus:
    """Open a corpus folder written by :func:`gicstats.corpus.build`.

    Raises:
        GicstatsError: if the folder is not a corpus, a table does not match
            its declaration (:mod:`gicstats.corpus.schema`: a missing column,
            a duplicate key), or its files come from different builds (a
            build was interrupted between renames).
    """
    path = Path(path)
    tables = {}
    for name in TABLES:
        file = path / SCHEMAS[name].file
        if not file.is_file():
            raise GicstatsError(path, f"not a gicstats corpus (no {file.name}); run `gicstats build`")
        try:
            table = pq.read_table(file)
        except Exception as exc:
            raise GicstatsError(file, f"unreadable Parquet file ({type(exc).__name__})") from None
        tables[name] = validate_table(name, table, file)
    ids: set[str] = set()
    for table in tables.values():
        ids.update(v for v in pc.unique(table.column("build_id")).to_pylist() if v is not None)
    if len(ids) > 1:
        raise GicstatsError(path, "corpus files come from different builds; rerun `gicstats build`")
    aliases: dict[str, str] = {}
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            aliases = json.loads(manifest.read_text(encoding="utf-8")).get("aliases", {})
        except (ValueError, UnicodeDecodeError):
            raise GicstatsError(manifest, "unreadable manifest; rerun `gicstats build`") from None
    frames = {name: to_pandas(table.drop_columns(["build_id"])) for name, table in tables.items()}
    return Corpus(**frames, aliases=aliases, path=path)
