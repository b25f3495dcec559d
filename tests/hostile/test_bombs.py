"""Bombs and floods in PDF, DOCX and XLSX.

Refused in bounded time and memory, with one line naming the file and
the limit (issue 7).

The files come from ``hostile.py``: real reports (rendered by
``generate.py``) with one part made hostile. Time and peak memory are
measured in a fresh interpreter (``hostile.measure``), so that what the test
process holds does not count; each bound is well above what a refusal takes
(about a second and 110-160 MB, most of it Python with gicstats imported)
and far below what reading the file would (gigabytes).
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import generate as G
import hostile_files as H
import pytest
from helpers import python_calls, scanned_patterns

import gicstats
from gicstats import GicstatsError
from gicstats.form.template import VERSIONS
from gicstats.read.limits import Limits
from gicstats.read.readers import guards
from gicstats.read.readers.guards import _OverBudget, check_pdf_streams, decoded_size

NO_TABLES = "no report tables found (no template labels such as 第二十条第（一）项 or 申请人情况)"


# Calls of Python functions a refusal may take (``hostile.measure``): a count
# of work, where seconds depend on the shared machine's load. A report reads
# in about 30,000; decoding a bomb a block at a time would take a call per
# block, far past this.
REFUSAL_CALLS = 3_000_000


def refused(
    tmp_path: Path, name: str, data: bytes, problem: str, calls: int = REFUSAL_CALLS, rss_mb: float = 250, **env: str
) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    out = H.measure(path, **env)
    assert out.get("error") == f"{path}: {problem}", out
    assert out["calls"] < calls and out["rss_mb"] < rss_mb, out
    return out


def read(data: bytes, name: str) -> gicstats.Report | GicstatsError:
    try:
        return gicstats.read_report(data, name=name)
    except GicstatsError as exc:
        return exc


# --------------------------------------------------------------------------
# DOCX and XLSX
# --------------------------------------------------------------------------


def test_the_unspoilt_reports_read() -> None:
    """The reports the bombs are made from: 200 cells each."""
    assert len(read(H.report_docx(), "r.docx").cells) == 200
    assert len(read(H.report_xlsx(), "r.xlsx").cells) == 200


@pytest.mark.parametrize(("name", "make"), [("bomb.docx", H.zip_bomb_docx), ("bomb.xlsx", H.zip_bomb_xlsx)])
def test_zip_bomb(tmp_path: Path, name: str, make) -> None:
    """About 1 MB that unpacks to 1 GiB (python-docx took 2.2 GB of memory before lxml gave up on it).

    Refused from the ZIP directory alone.
    """
    data = make()
    assert len(data) < 1_200_000
    size = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert size > 1024 * H.MiB
    problem = f"unpacks to {size / H.MiB:,.0f} MiB, over the limit of 256 MiB (GICSTATS_MAX_UNPACKED)"
    refused(tmp_path, name, data, problem, rss_mb=250)


def test_zip_bomb_within_a_raised_limit_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """With the limit raised past it, the DOCX bomb is unpacked after all.

    lxml then refuses a 1 GiB text node, in one line, in seconds.
    """
    path = tmp_path / "bomb.docx"
    path.write_bytes(H.zip_bomb_docx())
    out = H.measure(path, GICSTATS_MAX_UNPACKED=str(2048 * H.MiB))
    assert out["error"].startswith(f"{path}: not a readable DOCX file, perhaps truncated or damaged (XMLSyntaxError: ")
    assert out["calls"] < REFUSAL_CALLS, out


def test_xlsx_cell_flood(tmp_path: Path) -> None:
    """250,000 empty cells in a 450 KB file.

    They are counted in the sheet's XML before openpyxl makes an object
    of each.
    """
    refused(
        tmp_path,
        "cells.xlsx",
        H.cell_flood_xlsx(250_000),
        "has more table cells than the limit of 200,000 (GICSTATS_MAX_CELLS)",
    )


def test_xlsx_cells_within_a_raised_limit_are_read(tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    path.write_bytes(H.cell_flood_xlsx(250_000))
    # the cells fill rows 1,000 to 3,499 of 100 columns: a used range of
    # 349,900 positions, which reading by rows walks
    out = H.measure(path, GICSTATS_MAX_CELLS="300000")
    assert out["error"] == f"{path}: has more table cells than the limit of 300,000 (GICSTATS_MAX_CELLS)"
    out = H.measure(path, GICSTATS_MAX_CELLS="350000")
    assert out.get("cells") == 200, out  # the empty cells add nothing


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "B2:C100001", "XFD1:A1048576"])
def test_xlsx_merged_range(tmp_path: Path, ref: str) -> None:
    """One merged range over the whole sheet makes openpyxl create 17 billion cell objects while loading.

    Counted before it loads.
    """
    refused(
        tmp_path,
        "merged.xlsx",
        H.merged_range_xlsx(ref),
        "has more table cells than the limit of 200,000 (GICSTATS_MAX_CELLS)",
    )


def test_xlsx_far_cell(tmp_path: Path) -> None:
    """A second cell at XFD1048576.

    The sheet's used range (rows times columns) is what reading it by
    rows would walk.
    """
    refused(
        tmp_path,
        "far.xlsx",
        H.far_cell_xlsx(),
        "has more table cells than the limit of 200,000 (GICSTATS_MAX_CELLS)",
    )
    assert len(read(H.far_cell_xlsx("P70"), "near.xlsx").cells) == 200  # a stray cell nearby is fine


def test_docx_grid_span(tmp_path: Path) -> None:
    """A cell spanning a billion columns.

    python-docx would make a billion entries for its row.
    """
    refused(
        tmp_path,
        "span.docx",
        H.grid_span_docx(),
        "has more table cells than the limit of 200,000 (GICSTATS_MAX_CELLS)",
    )


def test_zip_entry_lying_about_its_size() -> None:
    """An entry declaring 1,000 bytes.

    ``zipfile`` returns no more than that, and its checksum check then
    refuses the file.
    """
    out = read(H.lying_zip_docx(), "lying.docx")
    assert str(out) == (
        "lying.docx: not a readable DOCX file, perhaps truncated or damaged "
        "(BadZipFile: Bad CRC-32 for file 'word/document.xml')"
    )


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------


def test_ten_thousand_pages(tmp_path: Path) -> None:
    """Refused after counting past the limit, not after reading 10,000 pages.

    The message gives the count the page tree declares.
    """
    data = H.pages_pdf(10_000)
    refused(
        tmp_path,
        "pages.pdf",
        data,
        "has 10,000 pages, over the limit of 500 (GICSTATS_MAX_PAGES)",
        calls=8_000_000,  # 5.5 million; reading the 10,000 pages takes 16 million
        rss_mb=250,
    )


def test_ten_thousand_pages_within_a_raised_limit(tmp_path: Path) -> None:
    """Read to the end with the limit raised: bounded all the same.

    Each page is let go once its words are taken.
    """
    path = tmp_path / "pages.pdf"
    path.write_bytes(H.pages_pdf(10_000))
    out = H.measure(path, GICSTATS_MAX_PAGES="10000")
    assert (
        out["error"] == f"{path}: no report tables found (no template labels such as 第二十条第（一）项 or 申请人情况)"
    )
    assert out["calls"] < 50_000_000 and out["rss_mb"] < 1024, out  # 16 million: 10,000 pages read


def test_page_count_that_lies() -> None:
    """A page tree declaring 3 pages over 600: counted, not believed."""
    data = H.pages_pdf(600).replace(b"/Count 600", b"/Count 3  ")
    assert str(read(data, "lies.pdf")) == "lies.pdf: has more pages than the limit of 500 (GICSTATS_MAX_PAGES)"


@pytest.mark.parametrize(
    ("name", "make", "largest"),
    [
        ("flate.pdf", H.flate_bomb_pdf, 1_200_000),
        ("double.pdf", H.double_flate_pdf, 20_000),  # deflated twice: 4 GiB from 10 KB
        ("lzw.pdf", H.lzw_bomb_pdf, 600_000),  # LZW: 740 MB from 540 KB
    ],
)
def test_stream_bomb(tmp_path: Path, name: str, make, largest: int) -> None:
    """A stream that pdfminer would decode in one piece is measured first, a block at a time, and refused.

    pdfminer decodes a stream in one piece: a 1 GiB Flate stream took 2.2 GB
    of memory and 7 s.
    """
    data = make()
    assert len(data) < largest
    refused(
        tmp_path,
        name,
        data,
        "has streams that decode to more than the limit of 256 MiB (GICSTATS_MAX_UNPACKED)",
        rss_mb=250,
    )


def test_decoders_count_exactly() -> None:
    """The bounded decoders agree with zlib, and stop one byte past the budget."""
    data = H._deflate_repeated(b"ab" * 512, 64)
    assert zlib.decompress(data) == b"ab" * 512 * 64
    assert decoded_size(data, ["FlateDecode"], 65_536) == 65_536
    assert decoded_size(zlib.compress(data), ["Fl", "Fl"], 65_536) == 65_536
    with pytest.raises(_OverBudget):  # one byte short
        decoded_size(data, ["FlateDecode"], 65_535)
    # LZW: as pdfminer decodes it, 14.7 MB of zeros from 10.8 KB
    from pdfminer.lzw import lzwdecode

    lzw = H.lzw_zeros(2)
    assert lzwdecode(lzw) == bytes(14_734_082)
    assert decoded_size(lzw, ["LZWDecode"], 20_000_000) == 14_734_082
    with pytest.raises(_OverBudget):
        decoded_size(lzw, ["LZW"], 14_734_081)
    # RunLength: 3 literal bytes, then 'x' repeated 128 times, then EOD
    assert decoded_size(b"\x02abc\x81x\x80", ["RunLengthDecode"], 1000) == 131
    assert decoded_size(b"41 42>", ["ASCIIHexDecode"], 1000) == 2
    # an image filter is not decoded by pdfplumber: its raw size
    assert decoded_size(b"\xff\xd8" * 10, ["DCTDecode"], 1000) == 20


def test_flate_bomb_within_a_raised_limit_is_read(tmp_path: Path) -> None:
    """Below the limit the same kind of stream is read: 64 MiB of spaces."""
    path = tmp_path / "spaces.pdf"
    path.write_bytes(H.flate_bomb_pdf(64 * H.MiB))
    out = H.measure(path)
    assert (
        out["error"] == f"{path}: no report tables found (no template labels such as 第二十条第（一）项 or 申请人情况)"
    )


def test_encrypted_pdf_streams_are_measured_after_deciphering(monkeypatch) -> None:
    """The raw scan cannot inflate an encrypted stream.

    The streams are measured again once pdfminer has deciphered them.
    """
    data = H.report_pdf(encrypt="")
    check_pdf_streams(data, "e.pdf", Limits(max_unpacked=2000))  # the raw scan sees nothing to inflate
    monkeypatch.setenv("GICSTATS_MAX_UNPACKED", "2000")
    assert str(read(data, "e.pdf")) == (
        "e.pdf: has streams that decode to more than the limit of 2,000 bytes (GICSTATS_MAX_UNPACKED)"
    )


def test_dense_page(tmp_path: Path) -> None:
    """600,000 characters on one page in a 16 KB file.

    pdfminer makes an object of each (about 2 KB); counted as they are
    made, and refused.
    """
    refused(
        tmp_path,
        "dense.pdf",
        H.dense_pdf(600_000),
        "draws more characters and shapes than the limit of 500,000 (GICSTATS_MAX_OBJECTS)",
        calls=20_000_000,  # 13 million: objects counted up to the limit
        rss_mb=1000,
    )


def test_objects_limit_is_configurable(monkeypatch) -> None:
    pdf = H.report_pdf()
    assert len(read(pdf, "r.pdf").cells) == 200
    monkeypatch.setenv("GICSTATS_MAX_OBJECTS", "500")
    assert str(read(pdf, "r.pdf")) == (
        "r.pdf: draws more characters and shapes than the limit of 500 (GICSTATS_MAX_OBJECTS)"
    )
    monkeypatch.setenv("GICSTATS_MAX_PAGES", "1")
    assert str(read(pdf, "r.pdf")) == "r.pdf: has 2 pages, over the limit of 1 (GICSTATS_MAX_PAGES)"


def test_pdfminer_repairs_do_not_reach_the_command_line(tmp_path: Path, caplog) -> None:
    """When pdfminer logs what it repairs, ``gicstats parse`` still prints one line per file.

    Nothing else is printed on stderr.
    """
    content = bytearray(zlib.compress(b"BT /F1 12 Tf 72 760 Td (x) Tj ET " * 50))
    content[3] ^= 0xFF  # damaged: pdfminer inflates what it can
    path = tmp_path / "damaged.pdf"
    path.write_bytes(H._one_page(H._stream(bytes(content), b"/FlateDecode")))
    proc = subprocess.run(
        [sys.executable, "-m", "gicstats.cli", "parse", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.stderr.splitlines() == [f"gicstats: {path}: {NO_TABLES}"]
    # the repair did happen, and is logged for an application that listens
    read(path.read_bytes(), "damaged.pdf")
    assert "Data-loss while decompressing corrupted data" in [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("docx", "(XMLSyntaxError: Maximum entity amplification factor exceeded"),
        ("xlsx", "(ValueError: Unable to read workbook"),
    ],
)
def test_billion_laughs(tmp_path: Path, kind: str, detail: str) -> None:
    """Entities expanding to 3 GB.

    lxml (python-docx) and defusedxml (openpyxl, through nbconvert's
    dependency) refuse to expand them.
    """
    path = tmp_path / f"laughs.{kind}"
    path.write_bytes(H.billion_laughs(kind))
    out = H.measure(path)
    assert out["error"].startswith(f"{path}: not a readable {kind.upper()} file, perhaps truncated or damaged {detail}")
    assert out["calls"] < REFUSAL_CALLS and out["rss_mb"] < 250, out


def test_flate_bomb_with_padded_dictionary_and_indirect_length() -> None:
    """The stream's dictionary is found from its object's start however long it is.

    An indirect /Length is looked up too: no hiding the filter.
    """
    body = H._deflate_repeated(b" " * H.MiB, 512)
    padding = b" /Junk [" + b"0 " * 5000 + b"]"
    stream = b"<< /Length 6 0 R /Filter /FlateDecode" + padding + b" >>\nstream\n" + body + b"\nendstream"
    data = H._pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            H._FONT,
            H._PAGE % 5,
            stream,
            b"%d" % len(body),
        ]
    )
    assert str(read(data, "padded.pdf")) == (
        "padded.pdf: has streams that decode to more than the limit of 256 MiB (GICSTATS_MAX_UNPACKED)"
    )


def test_many_streams_with_indirect_lengths_are_measured_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 small streams whose lengths are objects of their own.

    The lengths are indexed once, not searched for once a stream (which
    took minutes on such a file).
    """
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", H._FONT, H._PAGE % 5]
    content = zlib.compress(b"BT /F1 12 Tf 72 760 Td (x) Tj ET")  # 32 bytes
    for _ in range(20_000):
        n = len(objects) + 2  # the stream is object n - 1, its length object n
        objects += [
            b"<< /Length %d 0 R /Filter /FlateDecode >>\nstream\n" % n + content + b"\nendstream",
            b"%d" % len(content),
        ]
    data = H._pdf(objects)
    patterns = scanned_patterns(monkeypatch, guards)
    _, calls = python_calls(check_pdf_streams, data, "many.pdf", Limits(max_unpacked=20_000 * 32))  # exactly the limit
    # the integer objects are indexed in one pass over the file; searched for
    # once a stream, the file would be read 20,000 times (minutes of work)
    assert patterns["_INT_OBJECT"].calls == 1, vars(patterns["_INT_OBJECT"])
    assert all(p.scanned <= 2 * len(data) for p in patterns.values()), {k: vars(v) for k, v in patterns.items()}
    assert calls < 100 * 20_000, calls  # a bounded number of steps per stream (56 now)
    with pytest.raises(GicstatsError, match="more than the limit of 639,999 bytes"):
        check_pdf_streams(data, "many.pdf", Limits(max_unpacked=20_000 * 32 - 1))


def test_zip_whose_entry_offsets_point_before_the_file() -> None:
    """Found by the long fuzz: an XLSX cut in half with a piece of its end spliced back.

    The directory's offsets point before the file's start, and zipfile
    raised ValueError (a negative seek) from the guard, which only expected
    zipfile's own errors.
    """
    version = VERSIONS[0]
    data = G.render_xlsx(G.balanced_values(version, random.Random(1)), version, "某市某局", 2021)
    half = data[: len(data) // 2]
    tail = data[int(len(data) * 0.875) : int(len(data) * 0.875) + 1060]
    out = read(half + tail, "spliced.xlsx")
    assert isinstance(out, GicstatsError), out
    assert str(out).startswith("spliced.xlsx: ")


def _requoted(body: bytes) -> bytes:
    return body.replace(b'ref="A1:XFD1048576"', b"ref='A1:XFD1048576'").replace(
        b'w:val="1000000000"', b"w:val='1000000000'"
    )


def _utf16(body: bytes) -> bytes:
    text = body.decode("utf-8")
    text = re.sub(r"^<\?xml[^>]*\?>", "", text)
    return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")


@pytest.mark.parametrize("kind", ["xlsx", "docx"])
@pytest.mark.parametrize("rewrite", [_requoted, _utf16], ids=["single quotes", "utf-16"])
def test_cells_counted_whatever_the_xml_spelling(tmp_path: Path, kind: str, rewrite) -> None:
    """Found on review.

    The cells were counted by pattern, so a merged range written ref='…' (or
    a part in UTF-16) went uncounted, and openpyxl spent minutes making 17
    billion cells. They are counted by parsing.
    """
    if kind == "xlsx":
        data, part = H.merged_range_xlsx(), "xl/worksheets/sheet1.xml"
    else:
        data, part = H.grid_span_docx(), "word/document.xml"
    hostile = H.rezip(data, part, lambda body: (rewrite(body), 0, b" ", b""))
    refused(
        tmp_path,
        f"spelt.{kind}",
        hostile,
        "has more table cells than the limit of 200,000 (GICSTATS_MAX_CELLS)",
    )
