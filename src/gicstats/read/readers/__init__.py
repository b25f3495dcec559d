"""Readers turn a source into a :class:`~gicstats.read.document.Document`:
lines of cells and narrative text.
"""
