"""Every path gicstats uses by default, in one place."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

# The repository root when running from a checkout (editable install).
_CHECKOUT = Path(__file__).resolve().parents[2]

# Inside a folder, files with these endings are taken as reports; a file
# named on the command line is always read, whatever its name.
REPORT_SUFFIXES = frozenset(
    ".html .htm .shtml .xhtml .txt .text .pdf .docx .xlsx .doc .xls .jsp .asp .aspx .php".split()
)


def data_dir() -> Path:
    """The bundled sample reports: ``$GICSTATS_DATA``, else ``./data``, else the checkout's ``data/``."""
    if os.environ.get("GICSTATS_DATA"):
        return Path(os.environ["GICSTATS_DATA"])
    here = Path.cwd() / "data"
    return here if here.is_dir() else _CHECKOUT / "data"


def reports_dir() -> Path:
    """Where exports go: ``$GICSTATS_REPORTS``, else ``./reports``."""
    return Path(os.environ.get("GICSTATS_REPORTS", Path.cwd() / "reports"))


def expand_sources(paths: list[str | os.PathLike]) -> list[Path]:
    """Files named, plus the report files under folders named, sorted;
    hidden files and files with other endings are skipped inside folders."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                hidden = any(part.startswith(".") for part in rel.parts)
                if f.is_file() and not hidden and f.suffix.lower() in REPORT_SUFFIXES:
                    out.append(f)
        else:
            out.append(p)
    return out


def notebooks_dir() -> Path:
    """The notebooks: ``$GICSTATS_NOTEBOOKS``, else the checkout's ``notebooks/``."""
    if os.environ.get("GICSTATS_NOTEBOOKS"):
        return Path(os.environ["GICSTATS_NOTEBOOKS"])
    return _CHECKOUT / "notebooks"


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)


def safe_name(text: str, *, max_bytes: int = 120) -> str:
    """A file name from untrusted text (an agency name, a parameter).

    Path separators, control characters and characters Windows forbids
    become ``_``; leading dots and spaces go, so ``..`` cannot climb; reserved
    device names get a suffix; the result is cut to ``max_bytes`` of UTF-8
    without splitting a character. Chinese stays readable.

    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    >>> safe_name("平潭综合实验区 2021")
    '平潭综合实验区_2021'
    """
    name = unicodedata.normalize("NFC", str(text))
    # control, format (bidi overrides, zero-width) and separator characters
    name = "".join("_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in name)
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", "_", name).strip("._ ") or "_"
    stem, dot, rest = name.partition(".")
    if stem.upper() in _RESERVED:  # Windows devices: CON, com1.txt, …
        name = f"{stem}_{dot}{rest}"
    encoded = name.encode("utf-8")[:max_bytes]
    return encoded.decode("utf-8", errors="ignore") or "_"
