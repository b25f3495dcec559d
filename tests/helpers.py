"""What the tests share: where the data and the truth are, and truth checks.

How a report is compared with its hand-checked truth lives here too. Import
it as ``from helpers import …`` (``tests/`` is on the path through its
conftest).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import sys
from pathlib import Path

import pandas as pd

import gicstats

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TRUTH = Path(__file__).resolve().parent / "truth"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"

# The runs of a full batch of the bundled corpus, by key (notebook/name)
BUNDLED_RUN_KEYS = frozenset(
    {
        "report/上海市人民政府办公厅_2019",
        "report/天门市公安局_2020",
        "report/平潭综合实验区_2019",
        "report/平潭综合实验区_2021",
        "report/平潭综合实验区_2023",
        "report/平潭综合实验区_2025",
        "report/淮安市洪泽区人民政府_2024",
        "trend/平潭综合实验区",
        "compare/2019-2025",
    }
)

# Headless Chromium, offline: no first-run work, no updates, no name
# resolution (a page that tried to load anything from the network would fail
# to), sandbox and /dev/shm off as containers need. Add --user-data-dir.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests often run as root in containers
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-breakpad",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def load_truth(name: str) -> dict:
    """The hand-checked truth of a bundled report (``tests/truth/<name>.json``)."""
    return json.loads((TRUTH / f"{name}.json").read_text(encoding="utf-8"))


def assert_truth(report: gicstats.Report, truth: dict) -> None:
    """Assert agency, year, template and every truth cell exact.

    A blank the truth records as 0 must stay null.
    """
    assert report.agency == truth["agency"]
    assert report.year == truth["year"]
    assert report.template_version == truth["template"]
    wrong = []
    for key, expected in truth["cells"].items():
        table, row, column = key.split(".")
        hit = report.cells[
            (report.cells["table"] == table) & (report.cells["row"] == row) & (report.cells["column"] == column)
        ]
        assert len(hit) == 1, f"{key}: {len(hit)} cells"
        value, raw = hit["value"].iloc[0], hit["raw"].iloc[0]
        if pd.isna(value):
            # the truth records a blank as 0; the reader must keep it null
            if not (expected == 0 and str(raw).strip() == ""):
                wrong.append((key, expected, raw))
        elif value != expected:
            wrong.append((key, expected, value))
    assert not wrong, wrong


class ScannedPattern:
    """A compiled pattern that counts what it is given to scan.

    Tests swap it in for a module's pattern (``monkeypatch.setattr``) to bound
    the work of a step by counts instead of a clock (no timing assertions:
    the machine is shared): ``calls``, ``scanned`` (characters or bytes, summed
    over calls) and ``longest`` (the most given to one call). A pattern run
    again over the whole text for every line or stream shows up as
    ``scanned`` far past the text's length; a pattern whose backtracking
    grows with its subject shows up in ``longest``.
    """

    def __init__(self, pattern: re.Pattern) -> None:
        """Wrap ``pattern``; every call goes through to it."""
        self.pattern = pattern
        self.calls = 0
        self.scanned = 0
        self.longest = 0

    def _count(self, string: str | bytes, pos: int = 0, endpos: int = sys.maxsize) -> None:
        span = max(0, min(endpos, len(string)) - pos)
        self.calls += 1
        self.scanned += span
        self.longest = max(self.longest, span)

    def search(self, string, pos: int = 0, endpos: int = sys.maxsize):
        """``Pattern.search``, counted."""
        self._count(string, pos, endpos)
        return self.pattern.search(string, pos, endpos)

    def match(self, string, pos: int = 0, endpos: int = sys.maxsize):
        """``Pattern.match``, counted (a match may scan as far as a search)."""
        self._count(string, pos, endpos)
        return self.pattern.match(string, pos, endpos)

    def fullmatch(self, string, pos: int = 0, endpos: int = sys.maxsize):
        """``Pattern.fullmatch``, counted."""
        self._count(string, pos, endpos)
        return self.pattern.fullmatch(string, pos, endpos)

    def finditer(self, string, pos: int = 0, endpos: int = sys.maxsize):
        """``Pattern.finditer``, counted."""
        self._count(string, pos, endpos)
        return self.pattern.finditer(string, pos, endpos)

    def findall(self, string, pos: int = 0, endpos: int = sys.maxsize):
        """``Pattern.findall``, counted."""
        self._count(string, pos, endpos)
        return self.pattern.findall(string, pos, endpos)

    def sub(self, repl, string, count: int = 0):
        """``Pattern.sub``, counted."""
        self._count(string)
        return self.pattern.sub(repl, string, count)

    def split(self, string, maxsplit: int = 0):
        """``Pattern.split``, counted."""
        self._count(string)
        return self.pattern.split(string, maxsplit)

    def __getattr__(self, name: str):
        """Anything else (``pattern``, ``flags``, …) as the pattern has it."""
        return getattr(self.pattern, name)


def scanned_patterns(monkeypatch, module) -> dict[str, ScannedPattern]:
    """Swap every compiled pattern at the top of ``module`` for a :class:`ScannedPattern`."""
    out = {}
    for name, value in list(vars(module).items()):
        if isinstance(value, re.Pattern):
            out[name] = ScannedPattern(value)
            monkeypatch.setattr(module, name, out[name])
    return out


def python_calls(fn, *args, builtins: bool = True, **kwargs) -> tuple[object, int]:
    """``fn(*args, **kwargs)`` and the number of function calls it made, through cProfile.

    A count of work, the same on a busy machine as on an idle one (for the
    same cache state), where a clock is not. ``builtins=False`` counts
    Python functions only, for less overhead (about 2x instead of 3x).
    """
    profiler = cProfile.Profile(builtins=builtins)
    result = profiler.runcall(fn, *args, **kwargs)
    stats = pstats.Stats(profiler)
    return result, sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
