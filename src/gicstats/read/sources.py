"""Loading a source: bytes, content hash, format sniffing and text decoding."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from gicstats.errors import GicstatsError

FORMATS = ("html", "text", "pdf", "docx", "xlsx", "image")

# Readers refuse sources larger than this (bytes); see README "Limits".
MAX_BYTES = int(os.environ.get("GICSTATS_MAX_BYTES", 64 * 1024 * 1024))

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
_HTML_HINT = re.compile(r"<\s*(html|body|table|tr|td|p|div|br|span|h[1-6])[\s>/]", re.I)


def is_url(text: str) -> bool:
    """Whether a source names a web page (``http://`` or ``https://``)."""
    return text[:8].lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Source:
    """A source document as bytes, with its name and hash.

    Also the charset its server declared (HTTP ``Content-Type``), if it
    was fetched.
    """

    name: str
    data: bytes
    sha256: str
    charset: str | None = None


def load(source: str | os.PathLike | bytes, *, name: str | None = None, charset: str | None = None) -> Source:
    """Read a path (or take bytes) and hash it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "<bytes>"
    else:
        path = Path(source)
        label = name or str(path)
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise GicstatsError(label, f"file is {size} bytes, over the limit of {MAX_BYTES} (GICSTATS_MAX_BYTES)")
            data = path.read_bytes()
        except IsADirectoryError:
            raise GicstatsError(label, "is a directory, not a report file") from None
        except FileNotFoundError:
            raise GicstatsError(label, "no such file") from None
        except PermissionError:
            raise GicstatsError(label, "permission denied") from None
        except OSError as exc:
            raise GicstatsError(label, f"cannot read file ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise GicstatsError(label, f"input is {len(data)} bytes, over the limit of {MAX_BYTES} (GICSTATS_MAX_BYTES)")
    return Source(label, data, hashlib.sha256(data).hexdigest(), charset)


def sniff_format(src: Source) -> str:
    """Detect the format from the content, falling back to the extension.

    Raises:
        GicstatsError: for empty files and formats that cannot be read.
    """
    data = src.data
    if not data:
        raise GicstatsError(src.name, "file is empty")
    if not data.strip():
        raise GicstatsError(src.name, "file is empty (whitespace only)")
    head = data[:8]
    if b"%PDF-" in data[:1024]:  # readers accept junk before the header
        return "pdf"
    if image_kind(data) is not None:  # PNG, JPEG, TIFF, BMP, GIF, WebP: read by OCR
        return "image"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise GicstatsError(
            src.name,
            "legacy Office file (.doc/.xls) is not supported; convert it first, "
            "e.g. `libreoffice --headless --convert-to docx FILE`",
        )
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or src.name.lower().endswith(".docx"):
            return "docx"
        if b"xl/" in data[:65536] or src.name.lower().endswith(".xlsx"):
            return "xlsx"
        raise GicstatsError(src.name, "ZIP archive that is neither DOCX nor XLSX")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GicstatsError(src.name, "binary file of unknown format")
    text_head = data[:65536].decode("latin-1")
    if _HTML_HINT.search(text_head):
        return "html"
    return "text"


def image_kind(data: bytes) -> str | None:
    r"""The image format from the file's first bytes, or None.

    >>> image_kind(b"\x89PNG\r\n\x1a\n...")
    'PNG'
    >>> image_kind(b"%PDF-1.4") is None
    True
    """
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith(b"BM") and len(data) > 26:
        return "BMP"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192]) or _XML_ENCODING.search(data[:200])
    return m.group(1).decode("ascii").lower() if m else None


def _canonical(codec: str) -> str:
    codec = codec.lower().replace("_", "-")
    # A page labelled gb2312 often holds GBK-only characters (镕 喆 珺);
    # decoding as gb2312 would fail or truncate, gb18030 is a superset of both.
    if codec in ("gb2312", "gbk", "gb-2312", "x-gbk", "cp936", "euc-cn", "hz-gb-2312", "gb18030", "windows-936"):
        return "gb18030"
    if codec in ("utf8", "utf-8"):
        return "utf-8"
    return codec


def _plausible(text: str) -> float:
    """Share of the characters that a Chinese report is made of: ASCII, CJK ideographs, CJK and full-width punctuation.

    Text decoded with the wrong codec is full of Latin-1 letters, C1
    controls, private-use and replacement characters, and scores low.
    """
    sample = text[:20000]
    if not sample:
        return 1.0
    good = 0
    for ch in sample:
        o = ord(ch)
        if (
            (0x20 <= o < 0x7F)
            or ch in "\t\n\r\xa0"
            or 0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
            or 0x3400 <= o <= 0x4DBF  # extension A
            or 0x20000 <= o <= 0x3134F  # extensions B-G
            or 0x3000 <= o <= 0x303F  # CJK symbols and punctuation
            or 0xFF00 <= o <= 0xFFEF  # full-width forms
            or 0x2000 <= o <= 0x206F  # general punctuation (“” …)
            or 0x2460 <= o <= 0x24FF  # enclosed numbers ①
            or 0x2160 <= o <= 0x217F  # Roman numerals Ⅰ
            or 0x2500 <= o <= 0x25FF  # box drawing, shapes
            or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
            or 0xFE30 <= o <= 0xFE4F  # CJK compatibility forms
            or ch in "·×÷°±§¥￥"
        ):
            good += 1
    return good / len(sample)


# A decoding whose characters are at least this share plausible is accepted
# (the declared charset first); below it the next candidate is tried.
_PLAUSIBLE = 0.98


# A page that is UTF-8 but for a few damaged bytes (a bad copy, a truncated
# multi-byte character) is read as UTF-8 with each damaged sequence replaced
# by U+FFFD, when no declared charset or GB18030 reads it cleanly: at most
# this many sequences, together at most this share of the bytes. Text in
# another encoding has invalid UTF-8 in nearly every non-ASCII character, far
# past both bounds; a damaged number comes out unreadable (null, with a
# finding), never as another number.
MAX_BAD_SEQUENCES = 16
MAX_BAD_SHARE = 0.001


@dataclass(frozen=True)
class Decoded:
    """Decoded text and how it was decoded.

    Attributes:
        text: The text.
        encoding: The codec used (``utf-8``, ``gb18030``, …).
        replaced: Byte spans ``(start, end)`` of the source that were not
            valid in ``encoding`` and became U+FFFD, in order; empty unless
            the page was read as damaged UTF-8.
    """

    text: str
    encoding: str
    replaced: tuple[tuple[int, int], ...] = ()

    @property
    def replaced_bytes(self) -> int:
        """The number of source bytes that became U+FFFD."""
        return sum(end - start for start, end in self.replaced)


def _utf8_damage(data: bytes, max_sequences: int) -> list[tuple[int, int]] | None:
    """Byte spans that are not valid UTF-8, or None past ``max_sequences``."""
    view = memoryview(data)
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        try:
            codecs.utf_8_decode(view[pos:], "strict", True)
            return spans
        except UnicodeDecodeError as exc:
            spans.append((pos + exc.start, pos + exc.end))
            if len(spans) > max_sequences:
                return None
            pos += exc.end


def decode(src: Source) -> str:
    """Decode bytes to text; see :func:`decode_source`."""
    return decode_source(src).text


def _decode_bom(src: Source) -> Decoded | None:
    """The text after a byte-order mark, decoded as the mark says; None without one.

    Raises:
        GicstatsError: when the text does not decode as its mark says.
    """
    data = src.data
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(codec), codec)
            except UnicodeDecodeError:
                raise GicstatsError(
                    src.name, f"starts with a {codec} byte-order mark but does not decode as {codec}"
                ) from None
    return None


def _detected_codec(data: bytes) -> str | None:
    """The codec charset-normalizer finds most likely for the first 200,000 bytes, if any."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        return None
    best = from_bytes(data[:200_000]).best()
    return _canonical(best.encoding) if best is not None else None


def decode_source(src: Source) -> Decoded:
    """Decode bytes to text.

    In order: a byte-order mark; strict UTF-8; then the charset the server
    or the page declares and GB18030 (a superset of GB2312 and GBK), taking
    the first that decodes without error into plausible text; then UTF-8
    with a few damaged bytes replaced by U+FFFD (at most
    ``MAX_BAD_SEQUENCES`` sequences and ``MAX_BAD_SHARE`` of the bytes; the
    caller reports them); then the charset detected by charset-normalizer.
    A declared charset that is wrong (bytes that do not decode, or decode
    into Latin-1 gibberish) is overridden this way; when no candidate is
    plausible the most plausible decoding is kept.

    Raises:
        GicstatsError: when nothing decodes the bytes.
    """
    data = src.data
    marked = _decode_bom(src)
    if marked is not None:
        return marked
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    for declared in (src.charset, _declared_charset(data)):
        if declared:
            candidates.append(_canonical(declared))
    candidates.append("gb18030")
    decoded: list[tuple[float, str, str]] = []

    def attempt(codec: str) -> Decoded | None:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            return None
        score = _plausible(text)
        decoded.append((score, text, codec))
        return Decoded(text, codec) if score >= _PLAUSIBLE else None

    for codec in dict.fromkeys(candidates):
        result = attempt(codec)
        if result is not None:
            return result
    damaged = _utf8_damage(data, MAX_BAD_SEQUENCES)
    if damaged and sum(end - start for start, end in damaged) <= MAX_BAD_SHARE * len(data):
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", tuple(damaged))
    detected = _detected_codec(data)
    if detected is not None and detected not in candidates:
        result = attempt(detected)
        if result is not None:
            return result
    if decoded:
        _, text, codec = max(decoded, key=lambda d: d[0])
        return Decoded(text, codec)
    raise GicstatsError(src.name, "text is in an unknown encoding (not UTF-8, GBK/GB18030 or the declared charset)")
