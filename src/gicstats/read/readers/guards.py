"""Checks that run before a PDF, DOCX or XLSX is handed to its library.

pdfminer, python-docx and openpyxl unpack whatever a file asks them to, in
memory and in one piece: a DOCX whose ``document.xml`` deflates from 1 MB
to 1 GB takes 2 GB of memory before lxml gives up, and a PDF stream does
the same in ``zlib.decompress``. A file of a few megabytes can ask for
terabytes (a PDF stream with ``/Filter [/FlateDecode /FlateDecode]``
multiplies the ratios). So before a library sees the file, what it would
unpack is measured here, never more than the limit plus one block at a
time, against ``GICSTATS_MAX_UNPACKED`` (see :mod:`gicstats.limits`):

- a DOCX or XLSX: the uncompressed sizes its ZIP directory declares
  (Python's ``zipfile``, which both libraries use, never returns more than
  an entry declares), and for an XLSX the cells and merged ranges its
  sheets declare;
- a PDF: every stream of the file, decoded through its filter chain
  (Flate, LZW, RunLength, ASCIIHex, ASCII85) by bounded decoders. Streams
  are found in the raw bytes, so cross-reference streams (which pdfminer
  decodes on opening) are covered; the streams of an encrypted PDF are
  measured again after pdfminer has deciphered them, by
  :func:`check_pdf_objects`.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from gicstats.errors import GicstatsError
from gicstats.read.limits import Limits, beyond

# --------------------------------------------------------------------------
# DOCX and XLSX
# --------------------------------------------------------------------------

_MiB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n / _MiB:,.0f} MiB" if n >= 10 * _MiB else f"{n:,} bytes"


def unpacked_problem(total: int | None, limit: int) -> str:
    """The one-line problem of a file that unpacks past the limit; ``None`` when decoding stopped at the limit.

    >>> unpacked_problem(1 << 30, 128 << 20)
    'unpacks to 1,024 MiB, over the limit of 128 MiB (GICSTATS_MAX_UNPACKED)'
    >>> unpacked_problem(None, 128 << 20)
    'has streams that decode to more than the limit of 128 MiB (GICSTATS_MAX_UNPACKED)'
    """
    if total is None:
        return f"has streams that decode to more than the limit of {_size(limit)} (GICSTATS_MAX_UNPACKED)"
    return f"unpacks to {_size(total)}, over the limit of {_size(limit)} (GICSTATS_MAX_UNPACKED)"


# The worksheets' cells and merged ranges: openpyxl makes a cell object for
# every position a merged range covers while it loads, before any count of
# ours could run, so they are counted first, by parsing the XML (any prefix,
# quote or encoding), not by pattern. (A DOCX's column spans are counted by
# the reader on python-docx's own tree, before it expands them.)
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,9})(?::\$?([A-Za-z]{1,3})\$?(\d{1,9}))?")


def check_archive(data: bytes, name: str, kind: str, limits: Limits) -> None:
    """Refuse a DOCX or XLSX that unpacks past the limits, or an XLSX that declares cells past them.

    Args:
        data: The file's bytes.
        name: The file name, for the message.
        kind: ``"DOCX"`` or ``"XLSX"``.
        limits: The limits in force.

    Raises:
        GicstatsError: naming the file and the limit; or, for a damaged
            archive, saying it is not readable.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except Exception as exc:  # zipfile raises what it meets: BadZipFile, ValueError, OSError, EOFError …
        detail = " ".join(str(exc).split())[:80]
        raise GicstatsError(
            name, f"not a readable {kind} file, perhaps truncated or damaged ({type(exc).__name__}: {detail})"
        ) from None
    total = sum(e.file_size for e in entries)
    if total > limits.max_unpacked:
        raise GicstatsError(name, unpacked_problem(total, limits.max_unpacked))
    if kind != "XLSX":
        return
    cells = 0
    for entry in entries:
        if not _WORKSHEET.fullmatch(entry.filename):
            continue
        for local, element in _elements(archive, entry):
            if local == "c":
                cells += 1
            elif local == "mergeCell":
                cells += _merged(element.get("ref", "")) - 1  # past the range's own cell
            if cells > limits.max_cells:
                raise GicstatsError(name, cells_problem(limits.max_cells))


def cells_problem(limit: int) -> str:
    """The one-line problem of a file past ``GICSTATS_MAX_CELLS``.

    >>> cells_problem(200_000)
    'has more table cells than the limit of 200,000 (GICSTATS_MAX_CELLS)'
    """
    return beyond("table cells", limit, "max_cells")


def _merged(ref: str) -> int:
    """Cells a merged range covers (``A1:XFD1048576``: 17 billion); 1 when it cannot be read.

    >>> _merged("B2:C4"), _merged("$A$1:$B$2"), _merged("junk")
    (6, 4, 1)
    """
    m = _RANGE.fullmatch(ref.strip())
    if m is None or m.group(3) is None:
        return 1
    rows = abs(int(m.group(4)) - int(m.group(2))) + 1
    return rows * (abs(_column(m.group(3)) - _column(m.group(1))) + 1)


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _elements(archive: zipfile.ZipFile, entry: zipfile.ZipInfo):
    """``(local name, element)`` of each element of an entry as it ends.

    The entry is parsed a block at a time and each element let go at
    once, so that memory stays small whatever the part's size. Entities
    are not expanded.
    """
    from lxml import etree

    try:
        with archive.open(entry) as f:
            events = etree.iterparse(f, events=("end",), resolve_entities=False, no_network=True, huge_tree=True)
            for _, element in events:
                tag = element.tag
                if isinstance(tag, str):
                    yield tag[tag.rfind("}") + 1 :], element
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except Exception:  # damaged (a bad CRC, broken XML, …): the library says so in its own words
        return


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

# An object's start, or a stream's: the dictionary of a stream is what lies
# between the two ("endobj" and "endstream" are not matched).
_KEYWORD = re.compile(rb"\bobj\b|(?<!end)stream(?:\r\n|\n|\r)")
_INT_OBJECT = re.compile(rb"(?<!\d)(\d{1,10})\s+(\d{1,5})\s+obj\s*(\d{1,12})\s*endobj")
_FILTER = re.compile(rb"/(?:F|Filter)\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)")
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?:\s+(\d+)\s+R)?")
_FLATE = {"FlateDecode", "Fl"}
_LZW = {"LZWDecode", "LZW"}
_RUNLENGTH = {"RunLengthDecode", "RL"}
_ASCII = {"ASCIIHexDecode", "AHx", "ASCII85Decode", "A85"}
_BLOCK = 1 << 16


class _OverBudget(Exception):
    pass


def check_pdf_streams(data: bytes, name: str, limits: Limits) -> None:
    r"""Refuse a PDF whose streams decode past ``GICSTATS_MAX_UNPACKED``.

    Each ``stream`` keyword of the raw file is decoded through the filters
    its dictionary names, as far as the budget allows. A stream that does
    not decode (damaged, encrypted, an image filter) counts its raw bytes:
    pdfminer will find out what it is.

    >>> import zlib
    >>> body = zlib.compress(b" " * 5000)
    >>> pdf = b"1 0 obj << /Length %d /Filter /FlateDecode >> stream\n" % len(body) + body
    >>> from gicstats.read.limits import Limits
    >>> check_pdf_streams(pdf, "a.pdf", Limits(max_unpacked=10_000))
    >>> try:
    ...     check_pdf_streams(pdf, "a.pdf", Limits(max_unpacked=4_000))
    ... except GicstatsError as exc:
    ...     print(exc.problem)
    has streams that decode to more than the limit of 4,000 bytes (GICSTATS_MAX_UNPACKED)
    """
    budget = limits.max_unpacked
    head_start = 0
    integers: dict[tuple[bytes, bytes], int] | None = None  # "N G obj 123 endobj", for indirect lengths
    for m in _KEYWORD.finditer(data):
        if m.group() == b"obj":
            head_start = m.end()
            continue
        # the dictionary since the object began, or since the last stream
        # (each stretch of the file is searched once)
        head = data[head_start : m.start()]
        head_start = m.end()
        f = _FILTER.search(head)
        filters = [n.decode("latin-1") for n in _NAME.findall(f.group(1))] if f else []
        if not filters:
            continue  # an unfiltered stream is no bigger than the file
        length = _LENGTH.search(head)
        if length and length.group(2) is not None and integers is None:
            integers = {(i.group(1), i.group(2)): int(i.group(3)) for i in _INT_OBJECT.finditer(data)}
        budget = _spend(budget, _stream_bytes(data, m.end(), length, integers or {}), filters, name, limits)


def _spend(budget: int, data, filters: list[str], name: str, limits: Limits) -> int:
    """What is left of ``budget`` once ``data`` is decoded.

    Refuses the file when nothing is.
    """
    try:
        left = budget - decoded_size(data, filters, budget)
    except _OverBudget:
        left = -1
    if left < 0:
        raise GicstatsError(name, unpacked_problem(None, limits.max_unpacked))
    return left


def _stream_bytes(data: bytes, start: int, length: re.Match | None, integers: dict) -> memoryview:
    """The bytes pdfminer takes as the stream: ``/Length`` bytes, then on to the next ``endstream``.

    An indirect length is looked up among the file's integer objects; when
    it is not there (in an object stream), everything to the end of the
    file: an upper bound, as the decoders stop at the end of their data.
    """
    n = 0
    if length and length.group(2) is None:
        n = int(length.group(1))
    elif length:
        n = integers.get((length.group(1), length.group(2)), len(data))
    end = data.find(b"endstream", min(start + n, len(data)))
    return memoryview(data)[start : end if end >= 0 else len(data)]


def decoded_size(data: bytes | memoryview, filters: list[str], budget: int) -> int:
    """The size of ``data`` decoded through ``filters``, or :class:`_OverBudget` as soon as it passes ``budget``.

    Never holds more than ``budget`` bytes.

    >>> import zlib
    >>> decoded_size(zlib.compress(zlib.compress(b"0" * 10**6)), ["FlateDecode", "Fl"], 2 * 10**6)
    1000000
    """
    for i, f in enumerate(filters):
        keep = i < len(filters) - 1  # the next stage needs the bytes
        if f in _FLATE:
            out = _inflate(data, budget, keep)
        elif f in _LZW:
            out = _unlzw(data, budget, keep)
        elif f in _RUNLENGTH:
            out = _unrun(data, budget, keep)
        elif f in _ASCII:
            out = _unascii(data, f)  # at most 4 bytes a byte (``z`` in ASCII85)
            if len(out) > budget:
                raise _OverBudget
        else:
            return len(data)  # an image filter: pdfplumber does not decode it
        if not keep:
            return out if isinstance(out, int) else len(out)
        assert isinstance(out, bytes)  # kept, the output is the decoded bytes
        data = out
    return len(data)


def _inflate(data, budget: int, keep: bool) -> int | bytes:
    d = zlib.decompressobj()
    size, kept = 0, []

    def room() -> int:  # output wanted from the next call: never 0 (unbounded)
        return budget + 1 - size if keep else min(budget + 1 - size, _BLOCK * 16)

    try:
        for i in range(0, len(data), _BLOCK):
            chunk = d.decompress(data[i : i + _BLOCK], room())
            while True:
                size += len(chunk)
                if size > budget:
                    raise _OverBudget
                if keep:
                    kept.append(chunk)
                if not d.unconsumed_tail:
                    break
                chunk = d.decompress(d.unconsumed_tail, room())
            if d.eof:
                break
    except zlib.error:
        pass  # damaged: as far as it goes, as pdfminer does
    return b"".join(kept) if keep else size


def _unlzw(data, budget: int, keep: bool) -> int | bytes:
    from pdfminer.lzw import LZWDecoder

    size, kept = 0, []
    try:
        for chunk in LZWDecoder(io.BytesIO(bytes(data))).run():
            size += len(chunk)
            if size > budget:
                raise _OverBudget
            if keep:
                kept.append(chunk)
    except _OverBudget:
        raise
    except Exception:  # damaged: as far as it goes
        pass
    return b"".join(kept) if keep else size


def _unascii(data, f: str) -> bytes:
    from pdfminer.ascii85 import ascii85decode, asciihexdecode

    try:
        return (asciihexdecode if f in ("ASCIIHexDecode", "AHx") else ascii85decode)(bytes(data))
    except Exception:  # damaged: pdfminer will say so
        return b""


def _unrun(data, budget: int, keep: bool) -> int | bytes:
    # RunLengthDecode (PDF 1.7, 7.4.5): a length byte, then 1-128 literal
    # bytes or one byte repeated 2-128 times; 128 ends the data
    data = bytes(data)
    size, kept, i = 0, [], 0
    while i < len(data) and data[i] != 128:
        n = data[i]
        if n < 128:
            piece, i = data[i + 1 : i + 2 + n], i + 2 + n
        else:
            piece, i = data[i + 1 : i + 2] * (257 - n), i + 2
        size += len(piece)
        if size > budget:
            raise _OverBudget
        if keep:
            kept.append(piece)
    return b"".join(kept) if keep else size


def check_pdf_objects(doc, name: str, limits: Limits) -> None:
    """Decode each deciphered stream of pdfminer's ``doc`` within the budget.

    This is for an encrypted PDF, which :func:`check_pdf_streams` cannot read.

    Raises:
        GicstatsError: naming the file and ``GICSTATS_MAX_UNPACKED``.
    """
    from pdfminer.pdftypes import PDFStream, resolve1

    budget = limits.max_unpacked
    seen: set[int] = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            if objid in seen:
                continue
            seen.add(objid)
            try:
                strmid, _, _ = xref.get_pos(objid)
                if strmid is not None:
                    continue  # in an object stream: never a stream itself
                obj = doc.getobj(objid)
            except Exception:  # a broken object: pdfminer's business
                continue
            if not isinstance(obj, PDFStream) or obj.rawdata is None:
                continue
            data = obj.rawdata
            if obj.decipher:
                # getobj() numbers every object it returns
                assert obj.objid is not None and obj.genno is not None
                data = obj.decipher(obj.objid, obj.genno, data, obj.attrs)
            filters = [getattr(resolve1(f), "name", "") for f, _ in obj.get_filters()]
            budget = _spend(budget, data, filters, name, limits)


__all__ = ["check_archive", "check_pdf_objects", "check_pdf_streams", "decoded_size", "unpacked_problem"]
