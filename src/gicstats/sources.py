"""Loading a source: bytes, content hash, format sniffing and text decoding."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import GicstatsError

FORMATS = ("html", "text", "pdf", "docx", "xlsx")

# Readers refuse sources larger than this (bytes); see README "Limits".
MAX_BYTES = int(os.environ.get("GICSTATS_MAX_BYTES", 64 * 1024 * 1024))

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_HINT = re.compile(r"<\s*(html|body|table|tr|td|p|div|br|span|h[1-6])[\s>/]", re.I)


@dataclass(frozen=True)
class Source:
    """A source document as bytes, with its name and hash."""

    name: str
    data: bytes
    sha256: str


def load(source: str | os.PathLike | bytes, *, name: str | None = None) -> Source:
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
    return Source(label, data, hashlib.sha256(data).hexdigest())


def sniff_format(src: Source) -> str:
    """Detect the format from the content, falling back to the extension.

    Raises:
        GicstatsError: for empty files and formats that cannot be read.
    """
    data = src.data
    if not data.strip():
        raise GicstatsError(src.name, "file is empty")
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
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


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192])
    return m.group(1).decode("ascii").lower() if m else None


def _canonical(codec: str) -> str:
    codec = codec.lower().replace("_", "-")
    # A page labelled gb2312 often holds GBK-only characters (镕 喆 珺);
    # decoding as gb2312 would fail or truncate, gb18030 is a superset of both.
    if codec in ("gb2312", "gbk", "gb-2312", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"):
        return "gb18030"
    if codec in ("utf8", "utf-8"):
        return "utf-8"
    return codec


def decode(src: Source) -> str:
    """Decode bytes to text: BOM, then strict UTF-8, then the declared charset
    when it decodes cleanly, then charset detection, then GB18030."""
    data = src.data
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise GicstatsError(
                    src.name, f"starts with a {codec} byte-order mark but does not decode as {codec}"
                ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    declared = _declared_charset(data)
    if declared:
        candidates.append(_canonical(declared))
    candidates.append("gb18030")
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None:
            candidates.append(_canonical(best.encoding))
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        pass
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    raise GicstatsError(src.name, "text is in an unknown encoding (not UTF-8, GBK/GB18030 or the declared charset)")
