"""Every path gicstats uses by default, in one place."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

# The repository root when running from a checkout (editable install).
_CHECKOUT = Path(__file__).resolve().parents[2]

# Inside a folder, files with these endings are taken as reports; a file
# named on the command line is always read, whatever its name.
REPORT_SUFFIXES = frozenset(
    ".html .htm .shtml .xhtml .txt .text .pdf .docx .xlsx .doc .xls .jsp .asp .aspx .php".split()
    # image-only reports, read by OCR (the ocr extra)
    + ".png .jpg .jpeg .tif .tiff .bmp .gif .webp".split()
)


def data_dir() -> Path:
    """The bundled sample reports: ``$GICSTATS_DATA``, else ``./data``, else the checkout's ``data/``."""
    if os.environ.get("GICSTATS_DATA"):
        return Path(os.environ["GICSTATS_DATA"])
    here = Path.cwd() / "data"
    return here if here.is_dir() else _CHECKOUT / "data"


def bundled_data_dir() -> Path:
    """The sample reports that come with gicstats: ``$GICSTATS_DATA``, else the checkout's ``data/``.

    Unlike :func:`data_dir`, never ``./data``: ``gicstats demo`` shows the
    bundled reports wherever it is started.
    """
    if os.environ.get("GICSTATS_DATA"):
        return Path(os.environ["GICSTATS_DATA"])
    return _CHECKOUT / "data"


def reports_dir() -> Path:
    """Where exports go: ``$GICSTATS_REPORTS``, else ``./reports``."""
    return Path(os.environ.get("GICSTATS_REPORTS", Path.cwd() / "reports"))


def corpus_dir() -> Path:
    """The corpus notebooks read when given none.

    ``$GICSTATS_CORPUS`` (set by ``gicstats lab``), else
    ``./reports/corpus``, else the checkout's ``reports/corpus`` (a
    notebook's kernel runs in ``notebooks/``).
    """
    if os.environ.get("GICSTATS_CORPUS"):
        return Path(os.environ["GICSTATS_CORPUS"])
    here, checkout = reports_dir() / "corpus", _CHECKOUT / "reports" / "corpus"
    return checkout if not here.is_dir() and checkout.is_dir() else here


def expand_sources(paths: list[str | os.PathLike]) -> list[Path]:
    """Files named, plus the report files under folders named, sorted.

    Hidden files and files with other endings are skipped inside folders.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # os.walk, not Path.rglob: a folder of 100,000 reports is listed in
            # a fraction of the time. Like rglob it does not enter symlinked
            # folders; files sort as paths do, part by part.
            found: list[tuple[tuple[str, ...], Path]] = []
            for folder, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                base = Path(folder)
                parts = base.relative_to(p).parts
                for name in files:
                    f = base / name
                    if not name.startswith(".") and f.suffix.lower() in REPORT_SUFFIXES and f.is_file():
                        found.append(((*parts, name), f))
            out.extend(f for _, f in sorted(found, key=lambda item: item[0]))
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


# --------------------------------------------------------------------------
# Temporary files and folders, and sweeping the ones a killed command left
# --------------------------------------------------------------------------

# Every temporary file or folder gicstats makes is named with its writer's
# host (a short hash) and process id. A command killed with SIGKILL cannot
# clean up; the next ``gicstats build`` or ``gicstats run`` removes what a
# process on this host left once that process is gone, and never what a
# concurrent command is still writing. A name it cannot check that way (from
# another host sharing the folder, or from before names carried the process)
# is removed only past this age, in seconds.
STALE_AFTER = 24 * 3600

# Names are kept short (a 4-digit host hash): a kernel's IPC sockets live in
# its folder, and a Unix socket path may not pass 107 bytes
# ($TMPDIR/gicstats-k-…/k-1).
KERNEL_DIR_PREFIX = "gicstats-k-"

# mkstemp and mkdtemp add 8 characters of [a-z0-9_]
_TEMP_FILE = re.compile(r"^\..+\.gicstats-(?P<host>[0-9a-f]{4})-(?P<pid>\d+)-[a-z0-9_]+\.tmp$")
_OLD_TEMP_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
_KERNEL_DIR = re.compile(r"^gicstats-k-(?:(?P<host>[0-9a-f]{4})-(?P<pid>\d+)-)?[a-z0-9_]{8}$")


@lru_cache(maxsize=1)
def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:4]


def _owner() -> str:
    # not cached: a forked worker has its own process id
    return f"{_host()}-{os.getpid()}-"


def temp_file_prefix(name: str) -> str:
    """Prefix of the hidden temporary file an atomic write of ``name`` goes through.

    ``mkstemp`` adds 8 characters and ``.tmp``.
    """
    return f".{name}.gicstats-{_owner()}"


def kernel_dir_prefix() -> str:
    """Prefix of a kernel's private folder of connection files."""
    return f"{KERNEL_DIR_PREFIX}{_owner()}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, another user's
        return True
    return True


def _stale(match: re.Match, path: Path, now: float) -> bool:
    host, pid = match.groupdict().get("host"), match.groupdict().get("pid")
    if host == _host() and pid and os.name == "posix":  # os.kill(pid, 0) kills on Windows
        return not _alive(int(pid))
    try:
        return now - path.lstat().st_mtime > STALE_AFTER
    except OSError:
        return False


def sweep_temp_files(folder: str | os.PathLike, *, depth: int = 0) -> list[Path]:
    """Remove stale temporary files of atomic writes in ``folder`` (and its subfolders, ``depth`` levels down).

    See :data:`STALE_AFTER`.

    Only hidden ``.<name>.….tmp`` files named as gicstats names them are
    touched. Returns the files removed; a file that cannot be removed is
    left, silently (the sweep is housekeeping, never a reason to fail).
    """
    removed: list[Path] = []
    now = time.time()
    folders = [(Path(folder), 0)]
    while folders:
        here, level = folders.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if level < depth and not entry.name.startswith("."):
                        folders.append((Path(entry.path), level + 1))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            m = _TEMP_FILE.match(entry.name) or _OLD_TEMP_FILE.match(entry.name)
            path = Path(entry.path)
            if m and _stale(m, path, now):
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
    return removed


def sweep_kernel_dirs(folder: str | os.PathLike | None = None) -> list[Path]:
    """Remove stale kernel folders (``gicstats-k-*``) from the temporary folder (``$TMPDIR``, or ``folder``).

    Only this user's, only stale ones (see :data:`STALE_AFTER`). Returns
    the folders removed.
    """
    base = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        m = _KERNEL_DIR.match(entry.name)
        if not m:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if hasattr(os, "getuid") and entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        path = Path(entry.path)
        if _stale(m, path, now):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through ``write(tmp)`` to a temporary file beside ``path``, then rename.

    The temporary file is hidden and names this process
    (:func:`temp_file_prefix`), so that one left by a killed
    command is swept by the next (:func:`sweep_temp_files`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_file_prefix(path.name), suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(tmp)
    try:
        write(temp)
        temp.chmod(0o644)  # mkstemp makes 0600; outputs are meant to be shared
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
