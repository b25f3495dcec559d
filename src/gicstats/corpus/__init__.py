"""The corpus stage: many reports in Parquet tables, built incrementally."""

from gicstats.corpus.store import TABLES, BuildResult, Corpus, build, read_corpus

__all__ = ["TABLES", "BuildResult", "Corpus", "build", "read_corpus"]
