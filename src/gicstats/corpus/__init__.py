"""The corpus stage: many reports in Parquet tables, built incrementally.

- :mod:`gicstats.corpus.schema`: the four tables, their columns, types and keys;
- :mod:`gicstats.corpus.agencies`: the reviewed agency alias file;
- :mod:`gicstats.corpus.build`: :func:`build`, streaming reports into the tables;
- :mod:`gicstats.corpus.store`: :class:`Corpus` and :func:`read_corpus`.
"""

from gicstats.corpus.schema import TABLES  # isort: skip
from gicstats.corpus.build import BuildResult, build  # binds ``build`` to the function, not the module
from gicstats.corpus.store import Corpus, read_corpus

__all__ = ["TABLES", "BuildResult", "Corpus", "build", "read_corpus"]
