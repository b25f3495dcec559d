"""Identity, plausibility, year-against-year checks and corrections."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import DATA

import gicstats
from gicstats.check import check_identities, check_plausibility, check_series
from gicstats.form import template as T
from gicstats.read.corrections import load_corrections

APPLICANT_HEAD = [
    "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 | ||||||||",
    "自然人 | 法人或其他组织 | 总计 | |||||||",
    "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |||||",
]


def applications_text(agency: str, year: int, version: str, rows: dict[str, list]) -> str:
    """A pipe-text report of table 三 only; rows not given are all zero."""
    lines = [f"{agency}{year}年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况", *APPLICANT_HEAD]
    for row in T.TEMPLATES[version].table("applications").rows:
        values = rows.get(row.id, [0] * 7)
        lines.append(" | ".join([row.label, *map(str, values)]) + " |")
    if version == "2021":
        # 2021-only labels tell the version; table 二's (五) block is enough
        lines += ["第二十条第(五)项 | |||", "信息内容 | 本年处理决定数量 | | |", "行政许可 | 7 | | |"]
    return "\n".join(lines)


def read(text: str, name: str) -> gicstats.Report:
    return gicstats.read_report(text.encode("utf-8"), name=name)


def test_real_reports_have_no_identity_errors():
    for path in sorted(DATA.glob("*.*")):
        if path.suffix not in (".txt", ".html"):
            continue
        report = gicstats.read_report(path)
        errors = [f for f in check_identities(report) + check_plausibility(report) if f.severity == "error"]
        assert errors == [], path.name


def test_shanghai_blank_total_column_is_not_assessable_not_error():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    findings = check_identities(report)
    assert {f.severity for f in findings} == {"not_assessable"}
    granted = [f for f in findings if f.rule == "applications.row_total" and "applications.granted.total" in f.cells]
    assert len(granted) == 1
    assert "“（一）予以公开”行" in granted[0].message


def test_results_not_adding_up_is_an_error_naming_column_and_numbers():
    # Pingtan 2020's pattern: result rows add up to 27 against a printed 21
    rows = {
        "new_received": [21, 0, 0, 0, 0, 0, 21],
        "granted": [7, 0, 0, 0, 0, 0, 7],
        "partially_granted": [6, 0, 0, 0, 0, 0, 6],
        "unable_not_held": [4, 0, 0, 0, 0, 0, 4],
        "unable_unclear_after_correction": [3, 0, 0, 0, 0, 0, 3],
        "not_processed_duplicate": [3, 0, 0, 0, 0, 0, 3],
        "other_handling": [4, 0, 0, 0, 0, 0, 4],
        "results_total": [21, 0, 0, 0, 0, 0, 21],
    }
    report = read(applications_text("某区", 2020, "2019", rows), "sum.txt")
    errors = [f for f in check_identities(report) if f.severity == "error"]
    assert [(f.rule, f.expected, f.actual) for f in errors] == [
        ("applications.results_sum", "27", "21"),
        ("applications.results_sum", "27", "21"),
    ]
    assert "“自然人”列" in errors[0].message and "“总计”列" in errors[1].message
    assert "applications.results_total.natural_person" in errors[0].cells


def test_balance_and_row_total_errors():
    rows = {
        "new_received": [5, 0, 0, 0, 0, 0, 5],
        "carried_over_from_prev": [1, 0, 0, 0, 0, 0, 1],
        "granted": [5, 1, 0, 0, 0, 0, 5],  # row adds up to 6, prints 5
        "results_total": [5, 1, 0, 0, 0, 0, 5],
        "carried_to_next": [0, 0, 0, 0, 0, 0, 0],
    }
    report = read(applications_text("某局", 2021, "2019", rows), "bal.txt")
    errors = {(f.rule, f.cells.split(", ")[0]) for f in check_identities(report) if f.severity == "error"}
    assert errors == {
        ("applications.row_total", "applications.granted.natural_person"),
        ("applications.row_total", "applications.results_total.natural_person"),
        ("applications.balance", "applications.new_received.natural_person"),
        ("applications.balance", "applications.new_received.commercial"),
        ("applications.balance", "applications.new_received.total"),
    }
    # both sides of an identity with their sums, in full
    (total,) = [
        f.message
        for f in check_identities(report)
        if f.rule == "applications.balance" and f.cells.startswith("applications.new_received.total")
    ]
    assert total == (
        "“总计”列不符合“本年新收 + 上年结转 = （七）总计 + 结转下年度”："
        "一、本年新收政府信息公开申请数量(5) + 二、上年结转政府信息公开申请数量(1) = 6，"
        "而（七）总计(5) + 四、结转下年度继续办理(0) = 5，相差1，请核对原表"
    )


def test_negative_count_is_an_error_but_negative_change_is_not():
    text = "\n".join(
        [
            "某局2020年政府信息公开工作年度报告",
            "第二十条第(一)项 | |||",
            "信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |",
            "规章 | 0 | 0 | 0 |",
            "规范性文件 | 2 | 9 | 3 |",
            "第二十条第(六)项 | |||",
            "信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |",
            "行政处罚 | 10 | -3 | -5 |",
            "行政强制 | 1 | 0 | 2 |",
        ]
    )
    report = read(text, "neg.txt")
    found = {(f.rule, f.severity, f.cells) for f in check_plausibility(report)}
    assert found == {
        ("active.negative", "error", "active_art20_6.admin_penalty.decisions"),
        (
            "active.new_published_exceeds_total",
            "warning",
            "active_art20_1.normative_documents.new_published, active_art20_1.normative_documents.total_published",
        ),
    }


def _pingtan():
    return [gicstats.read_report(DATA / f"pingtan_{y}.txt") for y in (2019, 2021, 2023, 2025)]


def test_pingtan_series_has_gaps_so_only_gap_findings():
    reports = _pingtan()
    names = {r.id: r.name for r in reports}
    findings = check_series(reports)
    assert [(names[f.report_id], f.rule, f.severity, f.expected, f.actual) for f in findings] == [
        ("pingtan_2021.txt", "series.gap", "not_assessable", "2020", "2019"),
        ("pingtan_2023.txt", "series.gap", "not_assessable", "2022", "2021"),
        ("pingtan_2025.txt", "series.gap", "not_assessable", "2024", "2023"),
    ]


def test_carry_over_between_adjacent_years():
    y1 = read(
        applications_text(
            "某局", 2020, "2019", {"carried_to_next": [2, 0, 0, 0, 0, 1, 3], "new_received": [2, 0, 0, 0, 0, 1, 3]}
        ),
        "a_2020.txt",
    )
    good = read(
        applications_text(
            "某局",
            2021,
            "2021",
            {
                "carried_over_from_prev": [2, 0, 0, 0, 0, 1, 3],
                "results_total": [2, 0, 0, 0, 0, 1, 3],
                "other_misc": [2, 0, 0, 0, 0, 1, 3],
            },
        ),
        "a_2021.txt",
    )
    bad = read(
        applications_text(
            "某局",
            2021,
            "2021",
            {
                "carried_over_from_prev": [1, 0, 0, 0, 0, 1, 2],
                "results_total": [1, 0, 0, 0, 0, 1, 2],
                "other_misc": [1, 0, 0, 0, 0, 1, 2],
            },
        ),
        "b_2021.txt",
    )
    assert good.template_version == "2021" and y1.template_version == "2019"
    assert [f for f in check_series([y1, good]) if f.severity != "not_assessable"] == []
    errors = [f for f in check_series([y1, bad]) if f.severity == "error"]
    assert [(f.rule, f.expected, f.actual) for f in errors] == [
        ("series.carry_over", "2", "1"),
        ("series.carry_over", "3", "2"),
    ]
    assert errors[0].cells == (
        "2021:applications.carried_over_from_prev.natural_person, 2020:applications.carried_to_next.natural_person"
    )


def _active_2021(year: int, in_force: int, issued: int, repealed: int) -> gicstats.Report:
    text = "\n".join(
        [
            f"某局{year}年政府信息公开工作年度报告",
            "第二十条第(一)项 | |||",
            "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
            "规章 | 0 | 0 | 0 |",
            f"行政规范性文件 | {issued} | {repealed} | {in_force} |",
        ]
    )
    return read(text, f"act_{year}.txt")


def test_in_force_across_years_is_a_warning_only():
    # Pingtan 2022 -> 2023 (spec §6.3): 698 + 77 - 132 = 643, but 470 printed
    findings = check_series([_active_2021(2022, 698, 88, 55), _active_2021(2023, 470, 77, 132)])
    flagged = [f for f in findings if f.severity != "not_assessable"]
    assert [(f.rule, f.severity, f.expected, f.actual) for f in flagged] == [
        ("series.in_force", "warning", "643", "470")
    ]
    assert [
        f
        for f in check_series([_active_2021(2021, 665, 69, 3), _active_2021(2022, 698, 88, 55)])
        if f.severity in ("error", "warning")
    ] == []


CORRECTIONS = """
[[correction]]
report = "tianmen_police_2020.txt"
cell = "active_art20_6.admin_penalty.decisions"
action = "set"
value = 3328
expect = "3228"
reason = "test: the narrative's figure"

[[correction]]
report = "tianmen_police_2020.txt"
cell = "active_art20_6.admin_coercion.decisions"
action = "set"
value = 1
expect = "999"
reason = "test: a correction whose source was fixed"
"""


def test_corrections_apply_with_guard_and_keep_raw(tmp_path):
    path = tmp_path / "corrections.toml"
    path.write_text(CORRECTIONS, encoding="utf-8")
    report = gicstats.read_report(DATA / "tianmen_police_2020.txt", corrections=path)
    cells = report.cells.set_index(["table", "row", "column"])
    penalty = cells.loc[("active_art20_6", "admin_penalty", "decisions")]
    assert (penalty["value"], penalty["raw"], penalty["original_value"], penalty["corrected"]) == (
        3328,
        "3228",
        3228,
        True,
    )
    coercion = cells.loc[("active_art20_6", "admin_coercion", "decisions")]
    assert (coercion["value"], bool(coercion["corrected"])) == (852, False)
    rules = report.findings.set_index("rule")
    assert rules.loc["correction.applied", "cells"] == "active_art20_6.admin_penalty.decisions"
    assert rules.loc["correction.stale", "actual"] == "852"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[correction]]\nreport='x'\n", "lacks cell, action, expect, reason"),
        ("[[correction]]\nreport='x'\ncell='a.b.c'\naction='add'\nexpect=''\nreason='r'\n", "action must be"),
        ("[[correction]]\nreport='x'\ncell='a.b'\naction='blank'\nexpect=''\nreason='r'\n", "table.row.column"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_corrections_file_is_one_clear_error(tmp_path, text, problem):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(gicstats.GicstatsError, match=problem) as info:
        load_corrections(path)
    assert str(info.value).startswith(str(path))


def test_check_frame_columns():
    report = gicstats.read_report(DATA / "pingtan_2021.txt")
    frame = report.check()
    # one report id everywhere (issue 11): the sha256 prefix, not the file name
    assert list(frame.columns) == ["report_id", "rule", "severity", "cells", "expected", "actual", "message"]
    assert isinstance(frame, pd.DataFrame)
    assert report.id == report.sha256[:16] and (frame["report_id"] == report.id).all()
    assert report.name == "pingtan_2021.txt"


def _active_2019(year: int, penalty: tuple[int, int, int]) -> gicstats.Report:
    text = "\n".join(
        [
            f"某区{year}年政府信息公开工作年度报告",
            "第二十条第(六)项 | |||",
            "信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |",
            "行政处罚 | {} | {} | {} |".format(*penalty),
            "行政强制 | 12 | 0 | 60 |",
        ]
    )
    return read(text, f"p_{year}.txt")


def test_item_counts_carry_across_years_on_the_2019_template():
    # Pingtan 2019 -> 2020 (spec §6.3): 行政处罚 2648 | 0, then 2648 | -18
    assert [
        f
        for f in check_series([_active_2019(2019, (2648, 0, 430)), _active_2019(2020, (2648, -18, 500))])
        if f.severity != "not_assessable"
    ] == []
    flagged = check_series([_active_2019(2019, (2648, -18, 430)), _active_2019(2020, (2648, 0, 500))])
    assert [(f.rule, f.severity, f.expected, f.actual) for f in flagged if f.severity != "not_assessable"] == [
        ("series.prev_year_items", "warning", "2630", "2648")
    ]
