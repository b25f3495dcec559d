"""``read_report``: one source into a :class:`~gicstats.read.report.Report`.

The source goes through sniffing, decoding, a reader, the mapper, metadata
and corrections.
"""

from __future__ import annotations

import functools
import os
import re

from gicstats.errors import GicstatsError
from gicstats.form.findings import Finding
from gicstats.read.document import Document
from gicstats.read.mapping import map_lines
from gicstats.read.meta import find_published, find_title
from gicstats.read.readers.html import read_html
from gicstats.read.readers.text import read_text
from gicstats.read.report import PendingCells, PendingFindings, Report
from gicstats.read.sources import FORMATS, Decoded, decode_source, is_url, load, sniff_format

_IMG = re.compile("<img", re.I)
# what every OCR locator holds (see readers.ocr.confidence)
_OCR_MARK = "OCR confidence"


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
        from gicstats.read.fetch import fetch

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
        from gicstats.read.readers.ocr import read_pdf_scans
        from gicstats.read.readers.pdf import read_pdf

        doc = read_pdf(src.data, src.name, scans=functools.partial(read_pdf_scans, cache=ocr_cache))
    elif fmt == "image":
        from gicstats.read.readers.ocr import read_image

        doc = read_image(src.data, src.name, cache=ocr_cache)
    elif fmt == "docx":
        from gicstats.read.readers.office import read_docx

        doc = read_docx(src.data, src.name)
    elif fmt == "xlsx":
        from gicstats.read.readers.office import read_xlsx

        doc = read_xlsx(src.data, src.name)
    else:
        decoded = decode_source(src)
        # the name as given, so a refusal past a limit reads like every other
        # error (``some/dir/big.html: page has …``)
        doc = read_html(decoded.text, src.name) if fmt == "html" else read_text(decoded.text, src.name)
        if fmt == "html" and _IMG.search(decoded.text):
            from gicstats.read.readers.ocr import with_pictured_tables

            # tables pasted into the page as pictures: read by OCR
            doc = with_pictured_tables(doc, decoded.text, src.name, cache=ocr_cache)
    report_id = src.sha256[:16]
    version, cells, parse_findings = map_lines(doc.lines, report_id)
    if not cells and version is None:
        raise GicstatsError(
            src.name, "no report tables found (no template labels such as 第二十条第（一）项 or 申请人情况)"
        )
    title, agency, year = find_title(doc.text, doc.title_hints)
    findings: list[Finding] = list(parse_findings)
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
    from gicstats.read.readers.ocr import confidence_findings

    # one search of the locators joined (the mark holds no line break)
    if _OCR_MARK in "\n".join([cell.get("locator") or "" for cell in cells]):
        findings.extend(confidence_findings(report_id, cells))
    if agency is None:
        findings.append(Finding(report_id, "parse.no_agency", "warning", "", "", "", "未能从标题识别机关名称"))
    if year is None:
        findings.append(Finding(report_id, "parse.no_year", "warning", "", "", "", "未能从标题或统计期限识别年度"))
    # the DataFrames are built when first asked for (a build takes Arrow)
    report = Report(
        agency=agency,
        year=year,
        template_version=version,
        published=find_published(doc.text),
        source=src.name,
        sha256=src.sha256,
        format=fmt,
        cells=PendingCells(cells, src.name),
        narrative=doc.text,
        findings=PendingFindings(findings),
        title=title,
    )
    if corrections is not None:
        from gicstats.read.corrections import apply_corrections, load_corrections

        loaded = corrections if isinstance(corrections, list) else load_corrections(corrections)
        report = apply_corrections(report, loaded)
    return report
