"""The one exception type of gicstats."""

from __future__ import annotations


class GicstatsError(Exception):
    """A report could not be read. The message names the file and the problem.

    Args:
        source: The file (or ``<bytes>``) the problem is in.
        problem: One line saying what is wrong.
    """

    def __init__(self, source: object, problem: str) -> None:
        """Keep ``source`` and ``problem`` (folded to one line) and join them as the message."""
        self.source = str(source)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.source}: {self.problem}")
