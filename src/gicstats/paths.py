"""Every path gicstats uses by default, in one place."""

from __future__ import annotations

import os
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
