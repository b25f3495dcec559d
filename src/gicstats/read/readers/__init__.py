"""Readers turn a source into a :class:`~gicstats.read.document.Document`.

A document is lines of cells and narrative text.
"""
