"""The shape matrix's text mutilations (tests/shapes.py) make the shapes they name.

A mutilation that printed other characters than the ones real sources show
would score the reader against a text that says something else: the radicals
mutilation once put U+2EE8 (SIMPLIFIED WHEAT, 麦) for 门, and the matrix
marked Tianmen's agency wrong for reading 天麦市公安局 as printed.
"""

from __future__ import annotations

import shapes as S
from helpers import DATA, load_truth

import gicstats
from gicstats.form.radicals import RADICAL_TO_IDEOGRAPH, fold_radicals


def test_each_radical_stands_for_the_ideograph_it_replaces():
    for ideograph, radical in S.RADICALS.items():
        assert 0x2E80 <= ord(radical) <= 0x2EFF, (ideograph, f"U+{ord(radical):04X}")
        assert RADICAL_TO_IDEOGRAPH[ord(radical)] == ideograph, (ideograph, f"U+{ord(radical):04X}")
    assert S.RADICALS["门"] == "\u2ed4"  # CJK RADICAL C-SIMPLIFIED GATE


def test_radicals_fold_back_on_the_real_report():
    source = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8")
    mutilated = S.radicals(source)
    assert mutilated != source
    assert "天\u2ed4市公安局" in mutilated  # the agency as the mutilation prints it
    assert fold_radicals(mutilated) == source


def test_tianmen_with_radicals_reads_its_agency():
    """The matrix's text|radicals output of Tianmen: agency, year and template right."""
    source = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8")
    report = gicstats.read_report(S.radicals(source).encode("utf-8"), name="tianmen_radicals.txt")
    truth = load_truth("tianmen_police_2020")
    assert (report.agency, report.year, report.template_version) == (truth["agency"], truth["year"], truth["template"])
    assert report.agency == "天门市公安局"
    assert "\u2ed4" in report.title  # the title is kept as printed
