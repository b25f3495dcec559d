"""Where a notebook run's CPU time goes, stage by stage, parent and kernel apart.

``bench/bench_batch.py`` switches it on with :func:`profiling` and runs
notebooks one after another: the parent's CPU is the process's
(``time.process_time``, which also counts pyzmq's I/O thread), the kernel's
is read from ``/proc`` (every thread of the kernel process, in nanoseconds).
Off, each stage costs one global lookup. Not for concurrent runs: stages of
two notebooks at once would be counted together.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_active: Profile | None = None
# the stage around a notebook's execution; its cells are counted apart
EXECUTE = "executing: papermill and nbclient"


def _kernel_cpu(pid: int | None) -> float | None:
    """CPU seconds the process ``pid`` has used so far, all its threads; ``None`` if unknown."""
    if pid is None:
        return None
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):  # not Linux, or the process ended meanwhile
        return None
    return total / 1e9


def kernel_pid(km) -> int | None:
    """The process id of a kernel started by a ``KernelManager`` (``None`` if unknown)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return getattr(process, "pid", None)


# what a cell of the bundled notebooks computes: the first of these sections
# it calls, else the first section it calls (the report notebook opens the
# corpus before the report, in the cell that loads the report)
_CELL_CALL = re.compile(r"\bnb\.(\w+)\(")
_CELL_STAGES = {
    "open_report": "cells: load report",
    "headline": "cells: headline",
    "tables": "cells: tables",
    "findings": "cells: findings",
    "narrative_mismatches": "cells: findings",
    "charts": "cells: charts",
}


def cell_stage(cell) -> str:
    """The stage a code cell's time is counted under."""
    tags = cell.get("metadata", {}).get("tags", [])
    if "injected-parameters" in tags or "parameters" in tags:
        return "cells: parameters"
    calls = _CELL_CALL.findall(cell.get("source", ""))
    known = [_CELL_STAGES[c] for c in calls if c in _CELL_STAGES]
    return known[0] if known else f"cells: {calls[0]}" if calls else "cells: other"


class Profile:
    """CPU seconds by stage of the notebooks run while it is active.

    ``notebooks`` holds one dict per notebook: stage → ``[parent, kernel]``
    CPU seconds.
    """

    def __init__(self) -> None:
        """An empty profile."""
        self.notebooks: list[dict[str, list[float]]] = []
        self.pid: int | None = None
        self._seen: dict[int, float] = {}  # kernel pid → its CPU when last read
        self._cell: tuple[float, float | None] | None = None

    def begin(self) -> None:
        """Start counting a new notebook."""
        self.notebooks.append({})
        self.pid = None

    def add(self, name: str, parent: float = 0.0, kernel: float = 0.0) -> None:
        """Count CPU seconds under stage ``name`` of the current notebook."""
        if not self.notebooks:
            self.begin()
        slot = self.notebooks[-1].setdefault(name, [0.0, 0.0])
        slot[0] += parent
        slot[1] += kernel

    def kernel(self, km, stage: str) -> None:
        """Take the kernel of ``km`` as the current notebook's.

        The CPU it used since it was last read (all of it, for a kernel not
        read before) is counted under ``stage``.
        """
        self.pid = kernel_pid(km)
        if self.pid is None:
            return
        now = _kernel_cpu(self.pid)
        if now is not None:
            self.add(stage, kernel=now - self._seen.get(self.pid, 0.0))
            self._seen[self.pid] = now

    def _kernel_now(self) -> float | None:
        now = _kernel_cpu(self.pid)
        if now is not None and self.pid is not None:
            self._seen[self.pid] = now
        return now

    @staticmethod
    def _delta(k0: float | None, k1: float | None) -> float:
        return k1 - k0 if k0 is not None and k1 is not None else 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Count the parent's and the kernel's CPU during the block under ``name``."""
        # the kernel is read outside the parent's interval: reading /proc is not the run's work
        pid, k0 = self.pid, self._kernel_now()
        p0 = time.process_time()
        try:
            yield
        finally:
            parent = time.process_time() - p0
            # a kernel taken during the block was counted by kernel()
            kernel = self._delta(k0, self._kernel_now()) if self.pid == pid else 0.0
            self.add(name, parent, kernel)

    def cell_start(self, cell) -> None:
        """A cell's execute request is about to be sent."""
        k0 = self._kernel_now()
        self._cell = (time.process_time(), k0)

    def cell_end(self, cell) -> None:
        """A cell's reply and outputs have all come in."""
        if self._cell is not None:
            p0, k0 = self._cell
            parent = time.process_time() - p0
            kernel = self._delta(k0, self._kernel_now())
            self.add(cell_stage(cell), parent, kernel)
            # the enclosing EXECUTE stage counts what is left: the engine's own work
            self.add(EXECUTE, -parent, -kernel)
            self._cell = None


def active() -> Profile | None:
    """The profile being filled, if any."""
    return _active


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the block under ``name`` when a profile is active; else nothing."""
    if _active is None:
        yield
        return
    with _active.stage(name):
        yield


@contextmanager
def profiling(profile: Profile) -> Iterator[Profile]:
    """Fill ``profile`` with the stages of the notebooks run in the block, one at a time."""
    global _active
    _active = profile
    try:
        yield profile
    finally:
        _active = None
