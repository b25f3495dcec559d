"""The corpus schema: the four tables, their columns, types and keys, declared once.

Every table starts with ``build_id`` (the build that wrote it; all four
files of a corpus carry the same one) and ``report_id`` (the first 16 hex
digits of the report's sha256, :attr:`gicstats.Report.id`; a file that is
missing or not a regular file is ``missing:<path or URL>``).

=========  ======================================  =====================================
table      primary key                             one row per
=========  ======================================  =====================================
reports    report_id                               source file (or URL)
cells      report_id, table, row, column           cell of a report's tables
findings   report_id, n                            finding about a report
sections   report_id, section                      narrative section of a report
=========  ======================================  =====================================

A report may have the same rule fire twice with different cells (two
identities on different rows, two unreadable cells), and even two findings
that read alike, so no combination of a finding's fields is a key: ``n``
numbers a report's findings from 0 in the order they were made (reading,
then the checks of the report, then year against year). The build writes
and validates them per report; a reader checks the key over the whole table.

:func:`validate_table` checks a table against its declaration when it is
written and when it is read: a missing column, a column of the wrong type,
a null in a key column or a duplicate key raises :class:`GicstatsError`
naming the table and the key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gicstats.errors import GicstatsError


@dataclass(frozen=True)
class TableSchema:
    """One corpus table: its columns in order, their Arrow types, its key."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(self.schema.names)

    @property
    def file(self) -> str:
        """The table's file name in the corpus folder."""
        return f"{self.name}.parquet"


def _fields(*names: str, ints: tuple[str, ...] = (), floats: tuple[str, ...] = ()) -> pa.Schema:
    def kind(name: str) -> pa.DataType:
        return pa.int64() if name in ints else pa.float64() if name in floats else pa.string()

    return pa.schema([pa.field(n, kind(n)) for n in ("build_id", "report_id", *names)])


REPORTS = TableSchema(
    "reports",
    _fields(
        "report",  # the file name (or URL), for display
        "source",  # the path or URL read
        "sha256",
        "format",
        "agency",  # as printed
        "agency_key",  # as grouped under the alias file
        "region",
        "year",
        "template_version",
        "published",  # ISO date
        "title",
        "error",  # why the file could not be read; null when it was
        "n_cells",
        "gicstats_version",
        "inputs_key",  # gicstats version and corrections the report was read with
        ints=("year", "n_cells"),
    ),
    ("report_id",),
)

CELLS = TableSchema(
    "cells",
    _fields("table", "row", "column", "value", "raw", "unit", "source", "locator", floats=("value",)),
    ("report_id", "table", "row", "column"),
)

FINDINGS = TableSchema(
    "findings",
    _fields("n", "rule", "severity", "cells", "expected", "actual", "message", ints=("n",)),
    ("report_id", "n"),
)

SECTIONS = TableSchema("sections", _fields("section", "text"), ("report_id", "section"))

SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (REPORTS, CELLS, FINDINGS, SECTIONS)}
TABLES = tuple(SCHEMAS)

# The columns of the reports table a build fills in per report.
REPORT_COLUMNS = REPORTS.columns[1:]

# Nullable pandas dtypes for the Arrow types above: a blank cell is <NA>, not NaN.
_PANDAS_TYPES = {pa.string(): pd.StringDtype(), pa.float64(): pd.Float64Dtype(), pa.int64(): pd.Int64Dtype()}


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A validated table as a DataFrame with nullable dtypes."""
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get)


def conform(name: str, table: pa.Table | pa.RecordBatch, where: object) -> pa.Table:
    """``table`` with exactly the declared columns, in order, of the declared types.

    Columns it has beyond the declaration are dropped; a string column
    stored as ``large_string`` (as pandas writes it) is accepted.

    Raises:
        GicstatsError: naming ``where`` and the table, when a declared
            column is missing or cannot be taken as its declared type.
    """
    spec = SCHEMAS[name]
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    have = set(table.column_names)
    missing = [c for c in spec.columns if c not in have]
    if missing:
        raise GicstatsError(where, f"table {name}: missing column {', '.join(map(repr, missing))}")
    table = table.select(list(spec.columns))
    if table.schema.equals(spec.schema):
        return table
    columns = []
    for field_ in spec.schema:
        column = table.column(field_.name)
        if column.type != field_.type:
            if pa.types.is_null(column.type) or _castable(column.type, field_.type):
                try:
                    column = column.cast(field_.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise GicstatsError(
                        where, f"table {name}: column {field_.name!r} is {column.type}, not {field_.type}"
                    ) from None
            else:
                raise GicstatsError(where, f"table {name}: column {field_.name!r} is {column.type}, not {field_.type}")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=spec.schema)


def _castable(have: pa.DataType, want: pa.DataType) -> bool:
    """Lossless spellings of the same type.

    String, large_string or a dictionary of either for a string, any
    integer width for an integer, an integer for a float.
    """
    if pa.types.is_string(want):
        if pa.types.is_dictionary(have):  # as Parquet stores it, read without decoding each value
            have = have.value_type
        return pa.types.is_string(have) or pa.types.is_large_string(have)
    if pa.types.is_integer(want):
        return pa.types.is_integer(have)
    if pa.types.is_floating(want):
        return pa.types.is_floating(have) or pa.types.is_integer(have)
    return False


def _key_text(values: tuple) -> str:
    return "(" + ", ".join(repr(v) for v in values) + ")"


def _key_error(name: str, where: object, values: tuple, problem: str = "duplicate key") -> GicstatsError:
    key = SCHEMAS[name].key
    return GicstatsError(where, f"table {name}: {problem} ({', '.join(key)}) = {_key_text(values)}")


def check_key(name: str, table: pa.Table, where: object) -> None:
    """Raise unless the key columns of ``table`` are non-null and unique.

    One hash aggregation over the key columns: linear in the table's rows.
    """
    key = list(SCHEMAS[name].key)
    for column in key:
        nulls = table.column(column).null_count
        if nulls:
            row = table.filter(pc.is_null(table.column(column))).slice(0, 1)
            raise _key_error(name, where, tuple(row.column(c)[0].as_py() for c in key), "null in key")
    if table.num_rows < 2:
        return
    if table.num_rows <= 4096:  # one report's rows: a set is quicker than a hash aggregation
        seen: set[tuple] = set()
        for values in zip(*(table.column(c).to_pylist() for c in key)):
            if values in seen:
                raise _key_error(name, where, values)
            seen.add(values)
        return
    counts = table.select(key).group_by(key, use_threads=False).aggregate([([], "count_all")])
    dup = counts.filter(pc.greater(counts.column("count_all"), 1))
    if dup.num_rows:
        raise _key_error(name, where, tuple(dup.column(c)[0].as_py() for c in key))


def validate_table(name: str, table: pa.Table | pa.RecordBatch, where: object) -> pa.Table:
    """:func:`conform` then :func:`check_key`: the table as declared, or an error."""
    table = conform(name, table, where)
    check_key(name, table, where)
    return table


class KeyGuard:
    """Checks the key of a table written a report at a time, in bounded memory.

    Each report's rows are checked among themselves; across reports it is
    enough to know that no report id comes twice, since every key starts
    with ``report_id``. A set of report ids is all it keeps.
    """

    def __init__(self, name: str, where: object) -> None:
        """Guard table ``name``; errors name ``where`` (the file being written)."""
        self.name = name
        self.where = where
        self.seen: set[str] = set()

    def add(self, report_id: str, rows: pa.Table) -> None:
        """Check the rows of one report (all with this ``report_id``)."""
        if report_id in self.seen:
            raise self._twice(report_id)
        self.seen.add(report_id)
        ids = rows.column("report_id")
        if ids.null_count or (rows.num_rows and not pc.all(pc.equal(ids, report_id)).as_py()):
            raise GicstatsError(self.where, f"table {self.name}: rows of another report among {report_id!r}")
        check_key(self.name, rows, self.where)

    def _twice(self, report_id: str) -> GicstatsError:
        key = ", ".join(SCHEMAS[self.name].key)
        return GicstatsError(
            self.where, f"table {self.name}: duplicate key ({key}): rows of report_id {report_id!r} written twice"
        )

    def add_many(self, report_ids: list[str], rows: pa.Table) -> None:
        """Check the rows of several reports, each report's rows together and in the order of ``report_ids``.

        One key check over them all.
        """
        for rid in report_ids:
            if rid in self.seen:
                raise self._twice(rid)
            self.seen.add(rid)
        ids = rows.column("report_id")
        if ids.null_count:
            raise _key_error(self.name, self.where, (None,), "null in key")
        runs = pc.run_end_encode(ids.combine_chunks()) if rows.num_rows else None
        found = runs.values.to_pylist() if runs is not None else []
        if found != list(report_ids):
            raise GicstatsError(self.where, f"table {self.name}: rows not grouped by report as declared")
        check_key(self.name, rows, self.where)
