"""Every truth cell of the real reports comes out exact.

The truth files (hand-checked, from shared/corpus/truth) are copied into
tests/truth so these tests run on a fresh clone; the reports are the bundled
copies in data/. When shared/corpus is present, its copies are read too.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from helpers import DATA, SHARED_CORPUS, TRUTH, assert_truth

import gicstats

TRUTHS = sorted(p.stem for p in TRUTH.glob("*.json"))


@pytest.mark.parametrize("name", TRUTHS)
def test_bundled_report_matches_truth(name):
    truth = json.loads((TRUTH / f"{name}.json").read_text(encoding="utf-8"))
    report = gicstats.read_report(DATA / truth["file"])
    assert_truth(report, truth)


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="shared/corpus is not beside the repository")
def test_shared_corpus_matches_truth():
    checked = 0
    for path in sorted((SHARED_CORPUS / "truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        assert_truth(gicstats.read_report(SHARED_CORPUS / "raw" / truth["file"]), truth)
        checked += 1
    assert checked >= 7


def test_seed_published_date_and_sections():
    report = gicstats.read_report(DATA / "tianmen_police_2020.txt")
    assert str(report.published) == "2021-01-20"
    assert report.sha256 == hashlib.sha256((DATA / "tianmen_police_2020.txt").read_bytes()).hexdigest()
    assert report.source.endswith("tianmen_police_2020.txt")
    assert "3328件" in report.sections["active_disclosure"]
    assert report.sections["other_matters"].startswith("无")
    assert set(report.sections) >= {
        "overview",
        "active_disclosure",
        "applications",
        "review_litigation",
        "problems_improvements",
        "other_matters",
    }


def test_seed_units_and_local_row():
    report = gicstats.read_report(DATA / "tianmen_police_2020.txt")
    cells = report.cells.set_index(["table", "row", "column"])
    amount = cells.loc[("active_art20_9", "central_procurement", "total_amount")]
    assert (amount["value"], amount["raw"], amount["unit"]) == (117.785, "117.785万", "万元")
    assert cells.loc[("active_art20_1", "other_proactive_documents", "total_published"), "value"] == 4
    assert cells.loc[("active_art20_6", "admin_penalty", "decisions"), "value"] == 3228
    assert report.findings.empty


def test_shanghai_blank_total_is_null_not_zero():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    apps = report.table("applications", labels=False)
    assert pd.isna(apps.loc["granted", "total"])
    assert apps.loc["granted", "natural_person"] == 258
    assert apps.loc["results_total", "total"] == 805
    cells = report.cells.set_index(["table", "row", "column"])
    amount = cells.loc[("active_art20_9", "central_procurement", "total_amount")]
    assert (amount["value"], amount["unit"]) == (251000, "元")
    assert str(report.published) == "2020-01-31"
    # provenance: the HTML table, row and grid column of the cell
    assert cells.loc[("applications", "granted", "natural_person"), "locator"].startswith("table ")


def test_pingtan_run_together_rows_resolved_by_identities():
    report = gicstats.read_report(DATA / "pingtan_2021.txt")
    apps = report.table("applications", labels=False)
    assert list(apps.loc["granted"]) == [27, 0, 0, 2, 0, 1, 30]
    assert list(apps.loc["unable_not_held"]) == [22, 0, 0, 0, 0, 3, 25]
    locator = report.cells.set_index(["table", "row", "column"]).loc[("applications", "granted", "total"), "locator"]
    assert "identities" in locator
    rl = report.table("review_litigation", labels=False)
    assert list(rl.loc["lit_direct"]) == [12, 0, 0, 0, 12]


def test_pingtan_table_two_ambiguity_is_a_finding_not_a_guess():
    report = gicstats.read_report(DATA / "pingtan_2021.txt")
    assert report.value("active_art20_1", "normative_documents", "in_force") is None
    amb = report.findings[report.findings["rule"] == "parse.ambiguous_split"]
    assert len(amb) == 1
    assert "69,3,665" in amb["expected"].iloc[0]
    assert report.value("active_art20_8", "admin_fees", "fee_amount_wan_yuan") == pytest.approx(24252.311082)
    assert report.value("active_art20_5", "admin_licensing", "decisions") == 2293


def test_table_three_rows_keep_their_printed_groups():
    report = gicstats.read_report(DATA / "pingtan_2021.txt")
    wide = report.table("applications")
    assert wide.columns.name == "三、收到和处理政府信息公开申请情况" and wide.index.names == [None, None]
    # the three "1." rows are told apart by their group, as printed
    assert wide.loc[("（三）不予公开", "1.属于国家秘密"), "总计"] == 0
    assert wide.loc[("（四）无法提供", "1.本机关不掌握相关政府信息"), "总计"] == 25
    assert wide.loc[("（五）不予处理", "1.信访举报投诉类申请"), "总计"] == 0
    assert wide.loc[("三、本年度办理结果", "（七）总计"), "总计"] == 69
    assert wide.loc[("", "一、本年新收政府信息公开申请数量"), "总计"] == 70
    groups = list(dict.fromkeys(g for g, _ in wide.index if g))
    assert groups == ["三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"]
    # tables without groups keep one level, named by the table's title and no header row of its own
    art6 = report.table("active_art20_6")
    assert list(art6.index) == ["行政处罚", "行政强制"] and art6.index.name is None
