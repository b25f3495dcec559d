"""PDF tables at the edges of what is drawn.

A rule clipped off the last column (Chromium's "Save as PDF"), and the
hand-built shapes around it.

The real producers (Chromium, LibreOffice cutting a wide table at the page's
edges, a page break anywhere in table 三) are in tests/integration/test_shape_matrix.py;
these run wherever reportlab does.
"""

from __future__ import annotations

import random

import generate as G
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_roundtrip import AGENCIES, PROPERTY, assert_meta, assert_roundtrip, free_values

import gicstats
from gicstats.form.template import VERSIONS
from gicstats.read.readers import pdf as P


def _read(data: bytes, name: str) -> gicstats.Report:
    return gicstats.read_report(data, name=name)


@pytest.mark.parametrize("version", VERSIONS)
@settings(PROPERTY, max_examples=4)
@given(
    data=st.data(),
    agency=st.sampled_from(AGENCIES),
    year=st.integers(2019, 2025),
    split_row=st.one_of(st.none(), st.integers(5, 20)),
)
def test_table_without_its_right_hand_rule(version, data, agency, year, split_row):
    """The last column has its horizontal rules only.

    It is read all the same, blanks included, also when table 三 goes on
    on a new page.
    """
    values = data.draw(free_values(version, blanks=True), label="values")
    pdf = G.render_pdf(values, version, agency, year, split_row=split_row, open_right=True)
    report = _read(pdf, f"{agency}{year}.pdf")
    assert_meta(report, version, agency, year)
    assert_roundtrip(report, values)


def test_without_the_supplied_rule_the_last_column_is_lost(monkeypatch):
    """What the supplied rule is for.

    Without it, every row of a table whose right-hand rule is missing
    comes out a value short.
    """
    values = G.balanced_values("2021", random.Random(3))
    pdf = G.render_pdf(values, "2021", "某市某局", 2021, open_right=True)
    assert _read(pdf, "open.pdf").findings.empty
    monkeypatch.setattr(P, "_closing_edges", lambda page: [])
    rules = set(_read(pdf, "open.pdf").findings["rule"])
    assert {"parse.missing_values", "parse.stray_value"} <= rules


def test_a_ruled_table_gets_no_supplied_rule():
    """A table drawn with all its rules, and a page of text, are left as pdfplumber finds them."""
    import io

    import pdfplumber

    values = G.balanced_values("2021", random.Random(3))
    pdf = G.render_pdf(values, "2021", "某市某局", 2021)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert [P._closing_edges(page) for page in doc.pages] == [[] for _ in doc.pages]
