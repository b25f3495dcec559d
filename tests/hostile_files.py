"""Hostile PDF, DOCX and XLSX files, made in a few lines from real or generated reports.

For ``test_bombs.py`` and the bad-input corpus.

Each maker returns bytes; none is committed. The bombs are real: each
unpacks or decodes to what it claims, with valid checksums, so a reader
that trusted it would really spend the memory.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from functools import cache
from pathlib import Path

import generate as G

MiB = 1024 * 1024

_MEASURE = """
import cProfile, json, pstats, resource, sys, time
import gicstats
def read():
    try:
        r = gicstats.read_report(sys.argv[1])
        return {"cells": len(r.cells), "agency": r.agency}
    except gicstats.GicstatsError as exc:
        return {"error": str(exc)}
start = time.perf_counter()
profiler = cProfile.Profile(builtins=False)  # calls of Python functions: work, not a clock
out = profiler.runcall(read)
out["seconds"] = time.perf_counter() - start  # shown, never asserted (the machine is shared)
out["calls"] = sum(entry[1] for entry in pstats.Stats(profiler).stats.values())
try:  # this process's own peak: ru_maxrss would include the parent's, from before exec
    with open("/proc/self/status") as f:
        out["rss_mb"] = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:")) / 1024
except OSError:
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out, ensure_ascii=False))
"""


def measure(path: Path, **env: str) -> dict:
    """Read ``path`` in a fresh interpreter.

    Its outcome (``cells`` and ``agency``, or ``error``), the calls of Python
    functions it took (``calls``, counted by cProfile: the work, where
    ``seconds`` depends on the machine's load), seconds and peak memory in MB.

    The peak is the interpreter's own (``VmHWM``): ``ru_maxrss`` of a child
    counts the peak of the process that started it, so a test process that
    had just built a gigabyte bomb made every bound look broken, and a small
    one hid nothing only by luck.
    """
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@cache
def report_docx(version: str = "2021") -> bytes:
    return G.render_docx(G.balanced_values(version, random.Random(3)), version, "某市某局", 2021)


@cache
def report_xlsx(version: str = "2021") -> bytes:
    return G.render_xlsx(G.balanced_values(version, random.Random(3)), version, "某市某局", 2021)


@cache
def report_pdf(version: str = "2021", **kwargs) -> bytes:
    return G.render_pdf(G.balanced_values(version, random.Random(3)), version, "某市某局", 2021, **kwargs)


# --------------------------------------------------------------------------
# ZIP
# --------------------------------------------------------------------------


def rezip(data: bytes, part: str, edit) -> bytes:
    """``data`` (a ZIP) with ``part`` replaced by ``edit(old) -> (head, size, fill, tail)``.

    ``head``, then ``size`` bytes of ``fill``, then ``tail``, deflated a MiB
    at a time (so a gigabyte never sits in memory).
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            body = source.read(info)
            if info.filename != part:
                z.writestr(info, body)
                continue
            head, size, fill, tail = edit(body)
            entry = zipfile.ZipInfo(part, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with z.open(entry, "w", force_zip64=True) as f:
                f.write(head)
                block = fill * (MiB // len(fill))
                for _ in range(size // len(block)):
                    f.write(block)
                f.write(tail)
    return out.getvalue()


def _padded_before(marker: bytes, size: int, fill: bytes = b" "):
    def edit(body: bytes):
        i = body.index(marker)
        return body[:i], size, fill, body[i:]

    return edit


@cache
def zip_bomb_docx(size: int = 1024 * MiB) -> bytes:
    """A real report whose ``document.xml`` gains ``size`` bytes of whitespace before ``</w:body>``.

    About 1 MB that unpacks to 1 GB.
    """
    return rezip(report_docx(), "word/document.xml", _padded_before(b"</w:body>", size))


@cache
def zip_bomb_xlsx(size: int = 1024 * MiB) -> bytes:
    """A real report whose first sheet gains ``size`` bytes of whitespace."""
    return rezip(report_xlsx(), "xl/worksheets/sheet1.xml", _padded_before(b"</sheetData>", size))


def cell_flood_xlsx(cells: int) -> bytes:
    """A real report whose sheet gains ``cells`` empty cells (``<c r=".."/>`` in rows after the report).

    A small file of very many cells.
    """

    def edit(body: bytes):
        i = body.index(b"</sheetData>")
        rows = b"".join(
            b'<row r="%d">' % r + b"".join(b'<c r="%s%d"/>' % (_col(c), r) for c in range(1, 101)) + b"</row>"
            for r in range(1000, 1000 + cells // 100)
        )
        return body[:i] + rows, 0, b" ", body[i:]

    return rezip(report_xlsx(), "xl/worksheets/sheet1.xml", edit)


def _col(n: int) -> bytes:
    letters = b""
    while n:
        n, r = divmod(n - 1, 26)
        letters = bytes([65 + r]) + letters
    return letters


def merged_range_xlsx(ref: str = "A1:XFD1048576") -> bytes:
    """A real report with one merged range ``ref``.

    openpyxl makes a cell object for every position it covers (17 billion
    for the whole sheet).
    """

    def edit(body: bytes):
        merge = b'<mergeCells count="1"><mergeCell ref="%s"/></mergeCells>' % ref.encode()
        if b"<mergeCells" in body:
            i, j = body.index(b"<mergeCells"), body.index(b"</mergeCells>") + len(b"</mergeCells>")
            return body[:i] + merge + body[j:], 0, b" ", b""
        i = body.index(b"</sheetData>") + len(b"</sheetData>")
        return body[:i] + merge, 0, b" ", body[i:]

    return rezip(report_xlsx(), "xl/worksheets/sheet1.xml", edit)


def far_cell_xlsx(ref: str = "XFD1048576") -> bytes:
    """A real report with one more cell at ``ref``.

    Reading rows over the used range would walk 17 billion empty
    positions.
    """

    def edit(body: bytes):
        row = int("".join(ch for ch in ref if ch.isdigit()))
        i = body.index(b"</sheetData>")
        cell = b'<row r="%d"><c r="%s" t="inlineStr"><is><t>x</t></is></c></row>' % (row, ref.encode())
        return body[:i] + cell, 0, b" ", body[i:]

    return rezip(report_xlsx(), "xl/worksheets/sheet1.xml", edit)


def grid_span_docx(span: int = 1_000_000_000) -> bytes:
    """A real report whose first table cell spans ``span`` columns.

    python-docx makes one entry a column.
    """

    def edit(body: bytes):
        i = body.index(b"<w:tcPr>") + len(b"<w:tcPr>")
        return body[:i] + b'<w:gridSpan w:val="%d"/>' % span, 0, b" ", body[i:]

    return rezip(report_docx(), "word/document.xml", edit)


def lying_zip_docx() -> bytes:
    """A real report whose ``document.xml`` entry declares 1,000 bytes in both ZIP headers but holds the whole document.

    ``zipfile`` stops at the declared size, and the CRC then fails.
    """
    data = bytearray(report_docx())
    name = b"word/document.xml"
    # local header: signature, then sizes at offsets 18 (compressed) and 22
    for sig, size_at, name_len_at, header in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + header : at + header + n] == name:
                struct.pack_into("<I", data, at + size_at, 1000)
            at += 4
    return bytes(data)


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object 1 the catalog) with a valid xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, filters: bytes = b"") -> bytes:
    extra = b" /Filter %s" % filters if filters else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
)


def pages_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` pages, each showing one word."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        _FONT,
        _stream(b"BT /F1 12 Tf 72 760 Td (page) Tj ET"),
    ]
    return _pdf(objects + [_PAGE % 4] * pages)


def _one_page(content: bytes) -> bytes:
    return _pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", _FONT, _PAGE % 5, content]
    )


def _deflate_repeated(block: bytes, times: int) -> bytes:
    """``block * times`` in zlib format, in the time it takes to deflate ``block`` twice.

    After a full flush the compressor starts afresh, so every later copy
    deflates to the same bytes.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: header and checksum below
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(times):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + first + again * (times - 1) + c.flush() + struct.pack(">I", adler)


def flate_bomb_pdf(size: int = 1024 * MiB) -> bytes:
    """One page whose first content stream inflates to ``size`` bytes of spaces, and whose second draws one word.

    About 1 MB for 1 GB.
    """
    body = _deflate_repeated(b" " * MiB, size // MiB)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            _FONT,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents [5 0 R 6 0 R] >>",
            _stream(body, b"/FlateDecode"),
            _stream(zlib.compress(b"BT /F1 12 Tf 72 760 Td (x) Tj ET"), b"/FlateDecode"),
        ]
    )


def double_flate_pdf(size: int = 4096 * MiB) -> bytes:
    """A content stream deflated twice (``/Filter [/FlateDecode /FlateDecode]``).

    A few kilobytes that decode to ``size`` bytes.
    """
    once = _deflate_repeated(b" " * MiB, size // MiB)
    return _one_page(_stream(zlib.compress(once, 9), b"[/FlateDecode /FlateDecode]"))


def dense_pdf(chars: int) -> bytes:
    """One page drawing ``chars`` characters, 2 points high, in rows."""
    row = b"1 2 3 4 5 " * 10
    lines = [b"BT /F1 2 Tf 10 %d Td (%s) Tj ET" % (830 - (i % 400) * 2, row) for i in range(chars // len(row))]
    return _one_page(_stream(zlib.compress(b"\n".join(lines)), b"/FlateDecode"))


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lollollollollollollollollollol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10) for i in range(1, 10))
    + b"]>"
)


def billion_laughs(kind: str) -> bytes:
    """A real DOCX or XLSX whose main part declares entities that expand to 3 GB.

    The entity is ``&lol9;``, ten to the ninth ``lol``, and a cell uses it.
    """
    if kind == "docx":
        data, part, root, text = report_docx(), "word/document.xml", b"<w:document", b"<w:t>"
    else:
        data, part, root, text = report_xlsx(), "xl/worksheets/sheet1.xml", b"<worksheet", b"<t>"

    def edit(body: bytes):
        i, j = body.index(root), body.index(text) + len(text)
        return _LAUGHS + body[i:j] + b"&lol9;", 0, b" ", body[j:]

    return rezip(data, part, edit)


def lzw_zeros(cycles: int) -> bytes:
    """LZWDecode data of zero bytes at LZW's best ratio (about 1,400 to 1).

    After each clear code, codes 0, 258, 259, … 4094, each naming the
    previous string plus one more zero, so code n stands for n - 256 zeros.
    Code widths follow PDF's early change, as pdfminer reads them: a code
    is written in the width the table's size calls for.
    """
    out = bytearray()
    acc = nacc = 0

    def put(code: int, width: int) -> None:
        nonlocal acc, nacc
        acc, nacc = (acc << width) | code, nacc + width
        while nacc >= 8:
            nacc -= 8
            out.append((acc >> nacc) & 0xFF)
        acc &= (1 << nacc) - 1

    width = 9
    for _ in range(cycles):
        put(256, width)  # clear: the table is 258 entries again, codes 9 bits
        size, width = 258, 9
        put(0, width)
        for code in range(258, 4095):
            put(code, width)
            size += 1
            width = 12 if size >= 2047 else 11 if size >= 1023 else 10 if size >= 511 else 9
    put(257, width)  # end of data
    if nacc:
        out.append((acc << (8 - nacc)) & 0xFF)
    return bytes(out)


def lzw_bomb_pdf(cycles: int = 100) -> bytes:
    """One page whose content stream is :func:`lzw_zeros`.

    100 cycles are about 500 KB and decode to 740 MB.
    """
    return _one_page(_stream(lzw_zeros(cycles), b"/LZWDecode"))
