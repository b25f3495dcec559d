"""gicstats: government information disclosure annual reports, read exactly and checked.

The statistics of Chinese government information disclosure annual reports
(政府信息公开工作年度报告).

The package is layered by stage, each importing only the stages before it::

    form → read → check → corpus → analysis → publish → cli

- :mod:`gicstats.form`: the official form as data (tables, rows, columns,
  identities, label vocabulary) and the rule catalogue of findings;
- :mod:`gicstats.read`: sources, readers, mapping onto the form, corrections,
  and :func:`read_report`;
- :mod:`gicstats.check`: identities, plausibility, narrative, year against year;
- :mod:`gicstats.corpus`: the Parquet corpus, its schema, build and store;
- :mod:`gicstats.analysis`: indicators and charts;
- :mod:`gicstats.publish`: notebook sections, execution, batch runs, index.
"""

from __future__ import annotations

import importlib

from gicstats import check as _check  # registers Report.check()
from gicstats._version import __version__
from gicstats.corpus import Corpus, build, read_corpus
from gicstats.errors import GicstatsError
from gicstats.form.template import TEMPLATES
from gicstats.read import Report, read_report

_SUBMODULES = ("form", "read", "check", "corpus", "analysis", "publish", "cli", "indicators", "plots")
_ALIASES = {"indicators": "gicstats.analysis.indicators", "plots": "gicstats.analysis.plots"}

__all__ = [
    "TEMPLATES",
    "Corpus",
    "GicstatsError",
    "Report",
    "__version__",
    "build",
    "read_corpus",
    "read_report",
]


def __getattr__(name: str):
    """Import the heavier stages on first use, so ``import gicstats`` stays light.

    These are ``gicstats.analysis``, ``gicstats.publish``,
    ``gicstats.indicators`` and the like.
    """
    if name in _SUBMODULES:
        module = importlib.import_module(_ALIASES.get(name, f"gicstats.{name}"))
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gicstats' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The names above and the stages loaded on first use, for ``dir()`` and tab completion."""
    return sorted({*globals(), *_SUBMODULES})


del _check
