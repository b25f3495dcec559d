"""The :class:`Report`: one agency-year report as tidy data with provenance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gicstats.form import template as T
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
        format: ``html``, ``text``, ``pdf``, ``docx`` or ``xlsx``.
        cells: Tidy table, one row per cell: ``table, row, column, value,
            raw, unit, source, locator``. ``raw`` is the cell text as printed,
            ``value`` is null for a blank or unreadable cell, ``locator`` says
            where in the source the cell was found.
        findings: What reading found: unknown labels, ambiguous splits, …;
            for a report from a corpus, every finding the build stored.
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
        missing from the source or printed blank is ``<NA>``.
        """
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
            wide.index = [spec.row(r).label for r in wide.index]
            wide.columns = [spec.column(c).label for c in wide.columns]
            wide.index.name = spec.title
        return wide

    def check(self) -> pd.DataFrame:
        """Every finding about this report.

        Findings from reading, the template's identities, plausibility, and
        the narrative against the tables.

        Columns: ``report_id, rule, severity, cells, expected, actual, message``.
        Year-against-year checks need a series: see
        :func:`gicstats.checks.check_series`.
        """
        if self.checked:
            return self.findings.copy()
        if _CHECKER is None:  # pragma: no cover - gicstats/__init__ registers it
            raise RuntimeError("gicstats.check is not loaded; import gicstats first")
        return _CHECKER(self)

    def __repr__(self) -> str:
        """Agency, year, template, sizes and source, on one line."""
        return (
            f"Report(agency={self.agency!r}, year={self.year}, template={self.template_version!r}, "
            f"cells={len(self.cells)}, findings={len(self.findings)}, source={self.source!r})"
        )


def cells_frame(cells: list[dict], source: str) -> pd.DataFrame:
    """The tidy cells table, built through Arrow with its final dtypes.

    Nullable strings, nullable Float64: a blank cell is ``<NA>``, not NaN.

    The mapper never emits a key twice (it reports a duplicate as a finding
    instead), so ``(table, row, column)`` is unique.
    """
    import pyarrow as pa

    columns = {name: [c[name] for c in cells] for name in ("table", "row", "column", "raw", "unit", "locator")}
    table = pa.table(
        {
            **{name: pa.array(columns[name], pa.string()) for name in ("table", "row", "column")},
            "value": pa.array([c["value"] for c in cells], pa.float64()),
            "raw": pa.array(columns["raw"], pa.string()),
            "unit": pa.array(columns["unit"], pa.string()),
            "source": pa.array([source] * len(cells), pa.string()),
            "locator": pa.array(columns["locator"], pa.string()),
        }
    )
    return table.to_pandas(types_mapper=_ARROW_TO_PANDAS.get)


def _arrow_types() -> dict:
    import pyarrow as pa

    return {pa.string(): pd.StringDtype(), pa.float64(): pd.Float64Dtype()}


_ARROW_TO_PANDAS = _arrow_types()
