"""``read_report`` and the :class:`Report` it returns."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import templates as T
from .errors import GicstatsError
from .findings import Finding, findings_frame
from .mapping import map_lines
from .meta import find_published, find_title, split_sections
from .readers import Document
from .readers.html import read_html
from .readers.text import read_text
from .sources import FORMATS, Decoded, decode_source, is_url, load, sniff_format
from .values import MAX_VALUE, parse_value

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
            where in the source the cell was found.
        findings: What reading found: unknown labels, ambiguous splits, …
        title: The report's title as printed.
        narrative: The report's text with the tables left out.
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
    _sections: dict[str, str] | None = field(default=None, repr=False)

    @property
    def sections(self) -> dict[str, str]:
        """Narrative text keyed by section id, split on first use."""
        if self._sections is None:
            self._sections = split_sections(self.narrative or "")
        return self._sections

    @property
    def id(self) -> str:
        """A short id for findings and corpora: the source's file name."""
        return Path(self.source).name

    @property
    def template(self) -> T.Template:
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
        """Every finding about this report: from reading, the template's
        identities, plausibility, and the narrative against the tables.

        Columns: ``report, rule, severity, cells, expected, actual, message``.
        Year-against-year checks need a series: see
        :func:`gicstats.checks.check_series`.
        """
        from .checks import check_frame

        return check_frame(self)

    def __repr__(self) -> str:
        return (
            f"Report(agency={self.agency!r}, year={self.year}, template={self.template_version!r}, "
            f"cells={len(self.cells)}, findings={len(self.findings)}, source={self.source!r})"
        )


def cells_frame(cells: list[dict], source: str) -> pd.DataFrame:
    """The tidy cells table, built through Arrow with its final dtypes
    (nullable strings, nullable Float64: a blank cell is ``<NA>``, not NaN).

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


def _implausible(finding: Finding) -> Finding:
    """Say so when an unreadable cell is a number too large to be real
    (see :data:`gicstats.values.MAX_VALUE`); other findings pass as they are."""
    raw = finding.actual
    if not parse_value(raw).implausible:
        return finding
    digits = sum(ch.isdigit() for ch in raw)
    shown = raw if len(raw) <= 40 else f"{raw[:20]}…{raw[-8:]}"
    return Finding(
        finding.report,
        "parse.implausible_value",
        "warning",
        finding.cells,
        f"less than {MAX_VALUE:.0e}",
        raw,
        f"单元格{finding.cells}的数值“{shown}”（{digits}位数字）大得不可能是真实数值（上限为10的12次方），"
        "可能是多个单元格连在一起，记为空值",
    )


def _damaged_bytes_finding(report_id: str, decoded: Decoded) -> Finding:
    """A warning for a page read as UTF-8 with damaged bytes replaced."""
    first = decoded.replaced[0][0]
    count, sequences = decoded.replaced_bytes, len(decoded.replaced)
    return Finding(
        report_id,
        "source.undecodable_bytes",
        "warning",
        "",
        "",
        f"invalid UTF-8: {count} bytes in {sequences} sequences, the first at byte offset {first}",
        f"文件中有{count}个字节（{sequences}处）不是有效的UTF-8编码，第一处在字节偏移{first}；"
        "已替换为“\ufffd”，其余按UTF-8读取，落在这些位置的数值记为空值",
    )


def read_report(
    source: str | os.PathLike | bytes,
    *,
    format: str | None = None,
    name: str | None = None,
    corrections: str | os.PathLike | list | None = None,
    cache: str | os.PathLike | None = None,
) -> Report:
    """Read one report.

    Args:
        source: A path, an ``http(s)://`` URL, or the report's bytes.
        format: ``"html"``, ``"text"``, ``"pdf"``, ``"docx"``, ``"xlsx"`` or
            ``"image"``; detected from the content if omitted.
        name: Name to report for ``bytes`` input (defaults to ``<bytes>``).
        corrections: A reviewed corrections file (or loaded corrections) to
            apply after reading; see :mod:`gicstats.corrections`.
        cache: For a URL: the folder of fetched pages (default
            ``$GICSTATS_CACHE``, else ``~/.cache/gicstats``); a page already
            there is not fetched again. See :mod:`gicstats.fetch`. OCR
            results are kept there too (default ``$GICSTATS_CACHE``, else
            not kept), under ``ocr/``.

    Returns:
        The :class:`Report`.

    Raises:
        GicstatsError: if the source cannot be read; the message names the
            file and the problem.
    """
    if isinstance(source, str) and is_url(source):
        from .fetch import fetch

        page = fetch(source, cache_dir=cache)
        src = load(page.data, name=name or source, charset=page.charset)
    else:
        src = load(source, name=name)
    detected = sniff_format(src)
    fmt = format or detected
    if fmt not in FORMATS:
        raise GicstatsError(src.name, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    doc: Document
    decoded: Decoded | None = None
    # OCR results are kept in the cache folder when there is one (a corpus
    # build gives its own), so reading a scan again does not OCR again
    ocr_cache = cache if cache is not None else os.environ.get("GICSTATS_CACHE") or None
    if fmt == "pdf":
        from .readers.pdf import read_pdf

        doc = read_pdf(src.data, src.name, ocr_cache=ocr_cache)
    elif fmt == "image":
        from .readers.ocr import read_image

        doc = read_image(src.data, src.name, cache=ocr_cache)
    elif fmt == "docx":
        from .readers.office import read_docx

        doc = read_docx(src.data, src.name)
    elif fmt == "xlsx":
        from .readers.office import read_xlsx

        doc = read_xlsx(src.data, src.name)
    else:
        decoded = decode_source(src)
        # the name as given, so a refusal past a limit reads like every other
        # error (``some/dir/big.html: page has …``)
        doc = read_html(decoded.text, src.name) if fmt == "html" else read_text(decoded.text, src.name)
        if fmt == "html" and re.search("<img", decoded.text, re.I):
            from .readers.ocr import with_pictured_tables

            # tables pasted into the page as pictures: read by OCR
            doc = with_pictured_tables(doc, decoded.text, src.name, cache=ocr_cache)
    report_id = Path(src.name).name
    version, cells, parse_findings = map_lines(doc.lines, report_id)
    if not cells and version is None:
        raise GicstatsError(
            src.name, "no report tables found (no template labels such as 第二十条第（一）项 or 申请人情况)"
        )
    title, agency, year = find_title(doc.text, doc.title_hints)
    findings: list[Finding] = [_implausible(f) if f.rule == "parse.unreadable_cell" else f for f in parse_findings]
    if decoded is not None and decoded.replaced:
        findings.append(_damaged_bytes_finding(report_id, decoded))
    for repair in doc.repairs:
        findings.append(
            Finding(
                report_id,
                "source.repaired",
                "warning",
                "",
                "",
                repair,
                f"文件已损坏，读取时做了修复（{repair}），修复处的数值可能缺失或不全",
            )
        )
    from .readers.ocr import confidence_findings

    findings.extend(confidence_findings(report_id, cells))
    if agency is None:
        findings.append(Finding(report_id, "parse.no_agency", "warning", "", "", "", "未能从标题识别机关名称"))
    if year is None:
        findings.append(Finding(report_id, "parse.no_year", "warning", "", "", "", "未能从标题或统计期限识别年度"))
    frame = cells_frame(cells, src.name)
    report = Report(
        agency=agency,
        year=year,
        template_version=version,
        published=find_published(doc.text),
        source=src.name,
        sha256=src.sha256,
        format=fmt,
        cells=frame,
        narrative=doc.text,
        findings=findings_frame(findings),
        title=title,
    )
    if corrections is not None:
        from .corrections import apply_corrections, load_corrections

        loaded = corrections if isinstance(corrections, list) else load_corrections(corrections)
        report = apply_corrections(report, loaded)
    return report
