"""A row label cut by a PDF page break (issue 12, item 1), on real LibreOffice PDFs.

The Shanghai page, its table 三 fitted to A4 with labels wrapped over lines
(``shapes.narrow_label_page``), is pushed down line by line and printed by
LibreOffice, which breaks a table row over two pages: at some of these
positions ``一、本年新收政府信`` ends one page, with the row's values, and
``息公开申请数量`` opens the next, under the same columns; at others
``二、上年结转``, ``（二）部分公开`` (with the end of its group label
``三、本年度办理结果`` beside it) or ``四、结转下年度继续办理`` is cut.
Every PDF must read every truth cell exact, blanks null in their columns;
the test also checks that the sweep really cut the labels it is about.
Skipped when ``soffice`` is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import re

import pandas as pd
import pdfplumber
import pytest
import shapes as S

import gicstats

# empty lines before table 三: the page break walks through the table
BREAKS = range(24, 56, 2)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    if not S.tools()["soffice"]:
        pytest.skip("soffice not installed (Debian libreoffice-writer-nogui; .ci/run installs it)")
    root = tmp_path_factory.mktemp("label-breaks")
    source = next(s for s in S.sources() if s.name == "shanghai_bgt_2019")
    text = source.path.read_text(encoding="utf-8")
    pages = []
    for n in BREAKS:
        page = root / f"breaks_{n:02d}.html"
        page.write_text(S.narrow_label_page(text, n), encoding="utf-8")
        pages.append(page)
    S.Workshop(root).soffice(pages, "pdf", root / "pdf")
    return {n: root / "pdf" / f"breaks_{n:02d}.pdf" for n in BREAKS}, source.truth


def _cut_labels(pdf) -> set[str]:
    """The labels of table 三 whose text is on two pages, found in the PDF's text layer."""
    with pdfplumber.open(pdf) as doc:
        pages = [re.sub(r"\s", "", p.extract_text() or "") for p in doc.pages]
    cut = set()
    for label in ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "四、结转下年度继续办理"):
        whole_somewhere = any(label in re.sub(r"\d", "", t) for t in pages)
        halves = any(
            t.rstrip("0123456789").endswith(label[:k]) or label[:k] in t.split(label[k:])[0][-40:]
            for t in pages
            for k in range(3, len(label) - 1)
            if label[:k] in t and label not in re.sub(r"\d", "", t)
        )
        if halves and not whole_somewhere:
            cut.add(label)
    return cut


def test_the_sweep_cuts_the_labels(pdfs):
    """The producer really splits 本年新收… at a page break somewhere in the sweep (else the test proves nothing)."""
    files, _ = pdfs
    cut = {n: _cut_labels(pdf) for n, pdf in files.items()}
    assert any("一、本年新收政府信息公开申请数量" in c for c in cut.values()), cut
    assert sum(1 for c in cut.values() if c) >= 3, cut


@pytest.mark.parametrize("n", BREAKS)
def test_a_label_cut_by_a_page_break_reads_exact(pdfs, n):
    files, truth = pdfs
    score = S.score(files[n], truth)
    assert (score.exact, score.wrong, score.null_silent) == (57, 0, 0), (n, score.short(), score.null_cells)


def test_the_joined_row_keeps_its_columns(pdfs):
    """The row whose label was cut: its values in their columns, its blanks null, its locator saying so."""
    files, _ = pdfs
    split = [n for n, pdf in files.items() if "一、本年新收政府信息公开申请数量" in _cut_labels(pdf)]
    assert split
    report = gicstats.read_report(files[split[0]])
    row = report.table("applications", labels=False).loc["new_received"]
    assert [None if pd.isna(v) else int(v) for v in row] == [821, 35, None, None, 2, 1, 859]
    cells = report.cells.set_index(["table", "row", "column"])
    assert cells.loc[("applications", "new_received", "research"), "raw"] == ""
    located = report.cells[report.cells["row"] == "new_received"]["locator"]
    assert located.str.contains(r"page \d+", regex=True).all()
    assert not report.findings["cells"].str.contains("new_received", regex=False, na=False).any()
