"""The :class:`Report`: one agency-year report as tidy data with provenance."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from gicstats.form import template as T
from gicstats.form.findings import COLUMNS as FINDING_COLUMNS
from gicstats.form.findings import Finding, findings_frame
from gicstats.read.meta import split_sections

# The check stage plugs itself in here (:func:`register_checker`), so that
# ``Report.check()`` works while the read stage never imports a later stage.
_CHECKER: Callable[[Report], pd.DataFrame] | None = None


def register_checker(checker: Callable[[Report], pd.DataFrame]) -> None:
    """Set what :meth:`Report.check` runs (called by :mod:`gicstats.check`)."""
    global _CHECKER
    _CHECKER = checker


CELL_COLUMNS = ("table", "row", "column", "value", "raw", "unit", "source", "locator")


@dataclass
class Report:
    """One agency-year report, read from one source.

    Attributes:
        agency: The agency, as the report's title names it.
        year: The statistical year (not the year of publication).
        template_version: ``"2019"`` or ``"2021"``, detected from the labels;
            ``None`` when the report has no table labels to tell by.
        published: The publication date, where the report states it.
        source: The file name (or ``<bytes>``).
        sha256: Hash of the source bytes.
        format: ``html``, ``text``, ``pdf``, ``docx``, ``xlsx`` or ``image``
            (read by OCR; so are the scanned pages of a ``pdf``).
        cells: Tidy table, one row per cell: ``table, row, column, value,
            raw, unit, source, locator``. ``raw`` is the cell text as printed,
            ``value`` is null for a blank or unreadable cell, ``locator`` says
            where in the source the cell was found. A report just read builds
            this DataFrame on first use (see :class:`PendingCells`); a build
            that needs no DataFrame takes :meth:`cells_arrow` instead.
        findings: What reading found: unknown labels, ambiguous splits, …;
            for a report from a corpus, every finding the build stored.
            Built on first use too (:class:`PendingFindings`).
        title: The report's title as printed.
        narrative: The report's text with the tables left out.
        checked: True when ``findings`` already holds every check's findings
            (a report taken from a corpus): :meth:`check` returns them as
            stored instead of checking again.
        sections: (property) Narrative text keyed by section id
            (``overview`` … ``other_matters``; ``preamble`` for text before the
            first heading), split from ``narrative`` when first asked for.
    """

    agency: str | None
    year: int | None
    template_version: str | None
    published: dt.date | None
    source: str
    sha256: str
    format: str
    cells: pd.DataFrame
    findings: pd.DataFrame
    title: str | None = None
    narrative: str | None = field(default=None, repr=False)
    checked: bool = field(default=False, repr=False)
    _sections: dict[str, str] | None = field(default=None, repr=False)

    @property
    def sections(self) -> dict[str, str]:
        """Narrative text keyed by section id, split on first use."""
        if self._sections is None:
            self._sections = split_sections(self.narrative or "")
        return self._sections

    @property
    def id(self) -> str:
        """The report's one id, in findings, cells, corpora, indicators and runs alike.

        The first 16 hex digits of its sha256.
        """
        return self.sha256[:16]

    @property
    def name(self) -> str:
        """The source's file name (or URL), for display."""
        return Path(self.source).name or self.source

    @property
    def template(self) -> T.Template:
        """The template the report was read with (2019 when the version is unknown)."""
        return T.TEMPLATES[self.template_version or "2019"]

    def value(self, table: str, row: str, column: str) -> float | None:
        """One cell's value (``None`` if blank, unreadable or absent)."""
        hit = self.cells[(self.cells["table"] == table) & (self.cells["row"] == row) & (self.cells["column"] == column)]
        if hit.empty or pd.isna(hit["value"].iloc[0]):
            return None
        return float(hit["value"].iloc[0])

    def table(self, name: str, *, labels: bool = True, raw: bool = False) -> pd.DataFrame:
        """A wide view of one table, rows and columns in printed order.

        Args:
            name: Table id, e.g. ``"applications"``.
            labels: Index and columns by the printed labels (default) or ids.
            raw: Show the cell text as printed instead of the values.

        Counts come out as nullable integers, amounts as floats; a cell
        missing from the source or printed blank is ``<NA>``. With labels,
        the columns are named by the table's title, and the rows of a table
        with printed groups (table 三) are indexed by (group, label): the
        ``1.`` rows of （三）不予公开, （四）无法提供 … keep their group;
        rows outside any group have ``""``.
        """
        if name not in self.template.table_ids:
            raise UnknownTable(name, self.template)
        spec = self.template.table(name)
        part = self.cells[self.cells["table"] == name]
        field_name = "raw" if raw else "value"
        wide = part.pivot(index="row", columns="column", values=field_name) if len(part) else pd.DataFrame()
        rows = [r for r in spec.row_ids if r in wide.index or not spec.row(r).local]
        wide = wide.reindex(index=rows, columns=list(spec.column_ids))
        if not raw:
            for column in spec.columns:
                series = pd.to_numeric(wide[column.id], errors="coerce")
                if column.dtype in ("count", "signed") and series.dropna().apply(float.is_integer).all():
                    wide[column.id] = series.astype("Int64")
                else:
                    wide[column.id] = series.astype("Float64")
        if labels:
            if spec.groups:  # table 三: each row under its printed group, as 三、本年度办理结果 prints them
                pairs = [(spec.row(r).group or "", spec.row(r).label) for r in wide.index]
                wide.index = pd.MultiIndex.from_tuples(pairs)
            else:
                wide.index = [spec.row(r).label for r in wide.index]
            wide.columns = pd.Index([spec.column(c).label for c in wide.columns], name=spec.title)
        return wide

    def check(self) -> pd.DataFrame:
        """Every finding about this report.

        Findings from reading, the template's identities, plausibility, and
        the narrative against the tables.

        Columns: ``report_id, rule, severity, cells, expected, actual, message``.
        Year-against-year checks need a series: see
        :func:`gicstats.check.check_series`.
        """
        if self.checked:
            return self.findings.copy()
        if _CHECKER is None:  # pragma: no cover - gicstats/__init__ registers it
            raise RuntimeError("gicstats.check is not loaded; import gicstats first")
        every = _CHECKER(self)
        # from now on ``findings`` holds them all, so the two always agree
        self.findings, self.checked = every.reset_index(drop=True), True
        return every.copy()

    def cell_rows(self) -> list[dict]:
        """The cells as rows: dicts of ``table, row, column, value, raw, unit, locator``.

        ``value`` is a float or ``None`` (blank or unreadable), the strings
        ``None`` where the frame has ``<NA>``. A report just read gives the
        mapper's rows as they are (not to be changed), without building the
        DataFrame: what the checks of a build iterate.
        """
        value = self.__dict__["_cells_frame"]
        if isinstance(value, PendingCells):
            return value.cells
        names = ("table", "row", "column", "value", "raw", "unit", "locator")
        columns = [value[name].tolist() if name in value else [None] * len(value) for name in names]
        return [
            {name: None if item is None or item is pd.NA or item != item else item for name, item in zip(names, row)}
            for row in zip(*columns)
        ]

    def cells_arrow(self) -> pa.Table:
        """The cells as an Arrow table (columns of :data:`CELL_COLUMNS`, strings and float64).

        The DataFrame is not built when it has not been built yet: what a
        build that streams Arrow batches needs.
        """
        value = self.__dict__["_cells_frame"]
        if isinstance(value, PendingCells):
            return value.arrow()
        return pa.Table.from_pandas(value, preserve_index=False).select(list(CELL_COLUMNS)).cast(_cells_schema())

    def finding_objects(self) -> list[Finding]:
        """The findings as :class:`~gicstats.form.findings.Finding` objects.

        A report just read gives the reader's list as it is (not to be
        changed), without building the DataFrame: what a build collects.
        """
        value = self.__dict__["_findings_frame"]
        if isinstance(value, PendingFindings):
            return value.findings
        columns = [value[name].tolist() for name in FINDING_COLUMNS]
        return [Finding(*("" if v is None or v is pd.NA else v for v in row)) for row in zip(*columns)]

    def findings_arrow(self) -> pa.Table:
        """The findings as an Arrow table of strings, like :meth:`cells_arrow`.

        Its columns are those of :data:`gicstats.form.findings.COLUMNS`.
        """
        value = self.__dict__["_findings_frame"]
        if isinstance(value, PendingFindings):
            return value.arrow()
        return pa.Table.from_pandas(value, preserve_index=False).select(list(FINDING_COLUMNS)).cast(_findings_schema())

    def __repr__(self) -> str:
        """Agency, year, template, sizes and source, on one line."""
        findings = f"findings={_count(self, 'findings')}" + ("" if self.checked else " (reading; .check() for all)")
        return (
            f"Report(agency={self.agency!r}, year={self.year}, template={self.template_version!r}, "
            f"cells={_count(self, 'cells')}, {findings}, source={self.name!r})"
        )

    def _repr_html_(self) -> str:
        """Its headline, its tables with their cells, and its findings by severity.

        The headline is agency, year, template, file and key figures; the
        findings are checked on first show.
        """
        import html

        esc = html.escape
        head = (
            f"<b>{esc(self.agency or '?')} {esc(str(self.year or '?'))}年</b>"
            f" · 模板 {esc(self.template_version or '?')}版 · {esc(self.name)} · id {esc(self.id)}"
            + (f" · 发布 {esc(self.published.isoformat())}" if self.published else "")
        )
        figures = [
            ("本年新收 New applications", ("applications", "new_received", "total")),
            ("办理结果总计 Handled", ("applications", "results_total", "total")),
            ("结转下年度 Carried forward", ("applications", "carried_to_next", "total")),
            ("行政复议 Reviews", ("review_litigation", "review", "total")),
        ]
        shown = []
        for label, key in figures:
            if key[0] in self.template.table_ids:
                value = self.value(*key)
                shown.append(f"{esc(label)}: {'—' if value is None else f'{value:g}'}")
        counts = self.cells.groupby("table")["value"].agg(["size", "count"]) if len(self.cells) else None
        rows = "".join(
            f"<tr><td><code>{esc(t.id)}</code></td><td>{esc(t.title)}</td>"
            f"<td>{int(counts.loc[t.id, 'size']) if counts is not None and t.id in counts.index else 0}</td>"
            f"<td>{int(counts.loc[t.id, 'count']) if counts is not None and t.id in counts.index else 0}</td></tr>"
            for t in self.template.tables
        )
        findings = self.check()
        by = findings["severity"].value_counts().to_dict() if len(findings) else {}
        summary = ", ".join(f"{by[s]} {s}" for s in ("error", "warning", "not_assessable", "info") if by.get(s))
        return (
            f"<div><p>{head}</p><p>{' · '.join(shown)}</p>"
            "<table><thead><tr><th>table</th><th>表</th><th>cells</th><th>with a value</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            f"<p>findings: {len(findings)}{' (' + esc(summary) + ')' if summary else ''} · "
            "<code>.check()</code> lists them, <code>.table(id)</code> shows a table</p></div>"
        )


class UnknownTable(KeyError):
    """``Report.table`` was asked for a table the template does not have."""

    def __init__(self, name: str, template: T.Template) -> None:
        """Name the missing table and list the template's tables in the message."""
        self.name = name
        listing = ", ".join(f"{t.id} ({t.title})" for t in template.tables)
        super().__init__(f"no table {name!r} in the {template.version} template; its tables: {listing}")

    def __str__(self) -> str:
        """The message as written: ``KeyError`` would quote the whole message."""
        return str(self.args[0])


class PendingCells:
    """The cells of a report just read, kept as the mapper's rows until a DataFrame or an Arrow table is asked for.

    Building two DataFrames took about a quarter of reading a page, and a
    build needs neither.

    Attributes:
        cells: The mapper's cells (dicts of ``table, row, column, value,
            raw, unit, locator``); never changed once here.
        source: The source's name, for the ``source`` column.
    """

    __slots__ = ("cells", "source")

    def __init__(self, cells: list[dict], source: str) -> None:
        """Keep the mapper's ``cells`` rows of the report read from ``source``."""
        self.cells = cells
        self.source = source

    def __len__(self) -> int:
        """The number of cells."""
        return len(self.cells)

    def frame(self) -> pd.DataFrame:
        """The cells as the tidy DataFrame (:func:`cells_frame`)."""
        return cells_frame(self.cells, self.source)

    def arrow(self) -> pa.Table:
        """The cells as an Arrow table, without building the DataFrame."""
        return _cells_arrow(self.cells, self.source)


class PendingFindings:
    """The findings of a report just read, kept as :class:`Finding` objects.

    They stay objects until a DataFrame or an Arrow table is asked for.
    """

    __slots__ = ("findings",)

    def __init__(self, findings: list[Finding]) -> None:
        """Keep the ``findings`` of the report just read."""
        self.findings = findings

    def __len__(self) -> int:
        """The number of findings."""
        return len(self.findings)

    def frame(self) -> pd.DataFrame:
        """The findings as a DataFrame (:func:`~gicstats.form.findings.findings_frame`)."""
        return findings_frame(self.findings)

    def arrow(self) -> pa.Table:
        """The findings as an Arrow table of strings, in the columns of the findings table."""
        global _NO_FINDINGS
        if not self.findings:  # most reports of a good page: one empty table (Arrow's are immutable)
            if _NO_FINDINGS is None:
                _NO_FINDINGS = _findings_table([])
            return _NO_FINDINGS
        return _findings_table(self.findings)


_NO_FINDINGS: pa.Table | None = None


def _findings_table(findings: list[Finding]) -> pa.Table:
    # a Finding's fields are these columns (strings: no astuple, which deep-copies)
    return pa.table({name: pa.array([getattr(f, name) for f in findings], pa.string()) for name in FINDING_COLUMNS})


def _frame_property(name: str) -> property:
    """``Report.cells`` / ``Report.findings``.

    A DataFrame, built from a pending value (:class:`PendingCells`,
    :class:`PendingFindings`) on first access and kept; any other value is
    stored and returned as given.
    """
    attr = f"_{name}_frame"

    def get(self: Report) -> pd.DataFrame:
        value = self.__dict__[attr]
        if isinstance(value, (PendingCells, PendingFindings)):
            value = self.__dict__[attr] = value.frame()
        return value

    def set(self: Report, value: pd.DataFrame | PendingCells | PendingFindings) -> None:
        self.__dict__[attr] = value

    return property(get, set, doc=f"The report's {name} (see :class:`Report`).")


# Set after the dataclass is made, so that its __init__, replace() and
# fields() keep ``cells`` and ``findings`` as ordinary fields.
Report.cells = _frame_property("cells")  # type: ignore[assignment]
Report.findings = _frame_property("findings")  # type: ignore[assignment]


def _count(report: Report, name: str) -> int:
    """Rows of ``cells`` or ``findings``, without building a pending frame."""
    return len(report.__dict__[f"_{name}_frame"])


def cells_frame(cells: list[dict], source: str) -> pd.DataFrame:
    """The tidy cells table, built through Arrow with its final dtypes.

    Nullable strings, nullable Float64: a blank cell is ``<NA>``, not NaN.

    The mapper never emits a key twice (it reports a duplicate as a finding
    instead), so ``(table, row, column)`` is unique.
    """
    if not _ARROW_STRINGS:
        return _cells_arrow(cells, source).to_pandas(types_mapper=_ARROW_TO_PANDAS.get)
    # The same frame as through Arrow's to_pandas, built from its arrays
    # directly: a third of the time (Arrow-backed strings, masked floats).
    n = len(cells)
    values = [c["value"] for c in cells]
    mask = np.fromiter((v is None for v in values), bool, n)
    data = np.fromiter((0.0 if v is None else v for v in values), np.float64, n)
    columns = {}
    for name in CELL_COLUMNS:
        if name == "value":
            columns[name] = pd.arrays.FloatingArray(data, mask)
        elif name == "source":
            columns[name] = _strings([source] * n)
        else:
            columns[name] = _strings([c[name] for c in cells])
    return pd.DataFrame(columns, copy=False)


def _strings(items: list[str | None]) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.ArrowStringArray(pa.array(items, pa.large_string()))


def _cells_arrow(cells: list[dict], source: str) -> pa.Table:
    # the rows' fields as columns in one pass (zip of itemgetter's tuples, in C)
    table, row, column, value, raw, unit, locator = zip(*map(_CELL_FIELDS, cells)) if cells else ((),) * 7
    return pa.table(
        {
            "table": pa.array(table, pa.string()),
            "row": pa.array(row, pa.string()),
            "column": pa.array(column, pa.string()),
            "value": pa.array(value, pa.float64()),
            "raw": pa.array(raw, pa.string()),
            "unit": pa.array(unit, pa.string()),
            "source": pa.repeat(pa.scalar(source, pa.string()), len(cells)),
            "locator": pa.array(locator, pa.string()),
        }
    )


_CELL_FIELDS = operator.itemgetter("table", "row", "column", "value", "raw", "unit", "locator")


def _cells_schema() -> pa.Schema:
    return pa.schema([(name, pa.float64() if name == "value" else pa.string()) for name in CELL_COLUMNS])


def _findings_schema() -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in FINDING_COLUMNS])


def _arrow_types() -> dict:
    return {pa.string(): pd.StringDtype(), pa.float64(): pd.Float64Dtype()}


_ARROW_TO_PANDAS = _arrow_types()


def _arrow_strings() -> bool:
    """Whether pandas' default string dtype is the Arrow-backed one.

    It is in pandas 3, or with ``string_storage`` set to ``pyarrow``;
    :func:`cells_frame` then builds it directly.
    """
    try:
        return _strings([]).dtype == pd.StringDtype()
    except (AttributeError, TypeError, ValueError, ImportError):  # pragma: no cover - other pandas
        return False


_ARROW_STRINGS = _arrow_strings()
