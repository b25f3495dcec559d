"""The narrative against the tables (issue 3).

Real reports from ``data/`` with the findings a person expects after reading
each text by hand, and small hand-built reports, one or two per phrasing,
each both agreeing and disagreeing with its table.
"""

from __future__ import annotations

import pytest
from helpers import DATA

import gicstats
from gicstats.check.narrative import compare_narrative, extract_statements, extract_statements_from_text
from gicstats.form import template as T

# --------------------------------------------------------------------------
# A hand-built report: pipe rows as in data/tianmen_police_2020.txt
# --------------------------------------------------------------------------

APPLICANT_HEAD = [
    "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 | ||||||||",
    "自然人 | 法人或其他组织 | 总计 | |||||||",
    "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |||||",
]
REVIEW_HEAD = [
    "行政复议 | 行政诉讼 | |||||||||||||||",
    "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 | ||||||||||",
    "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | |||||||",
]
# (sub-table heading, column header line, rows (label, id), value columns)
ACTIVE = {
    "2019": [
        (
            "第二十条第(一)项",
            "本年新制作数量 | 本年新公开数量 | 对外公开总数量",
            [("规章", "regulations"), ("规范性文件", "normative_documents")],
            3,
        ),
        (
            "第二十条第(五)项",
            "上一年项目数量 | 本年增/减 | 处理决定数量",
            [("行政许可", "admin_licensing"), ("其他对外管理服务事项", "other_external_services")],
            3,
        ),
        (
            "第二十条第(六)项",
            "上一年项目数量 | 本年增/减 | 处理决定数量",
            [("行政处罚", "admin_penalty"), ("行政强制", "admin_coercion")],
            3,
        ),
        ("第二十条第(八)项", "上一年项目数量 | 本年增/减 |", [("行政事业性收费", "admin_fees")], 2),
        ("第二十条第(九)项", "采购项目数量 | 采购总金额 |", [("政府集中采购", "central_procurement")], 2),
    ],
    "2021": [
        (
            "第二十条第(一)项",
            "本年制发件数 | 本年废止件数 | 现行有效件数",
            [("规章", "regulations"), ("行政规范性文件", "normative_documents")],
            3,
        ),
        ("第二十条第(五)项", "本年处理决定数量 | |", [("行政许可", "admin_licensing")], 1),
        (
            "第二十条第(六)项",
            "本年处理决定数量 | |",
            [("行政处罚", "admin_penalty"), ("行政强制", "admin_coercion")],
            1,
        ),
        ("第二十条第(八)项", "本年收费金额(单位:万元) | |", [("行政事业性收费", "admin_fees")], 1),
    ],
}


def _cell(value) -> str:
    return "" if value is None else str(value)


def build(
    version: str = "2021",
    *,
    overview: str = "",
    active_text: str = "",
    apps_text: str = "",
    review_text: str = "",
    apps: dict | None = None,
    review: dict | None = None,
    active: dict | None = None,
) -> gicstats.Report:
    """A report of ``version`` whose year is the version's year.

    Args:
        version: Template version, ``"2019"`` or ``"2021"``.
        overview: Narrative of section 一.
        active_text: Narrative of section 二.
        apps_text: Narrative of section 三.
        review_text: Narrative of section 四.
        apps: Table 三 rows by id, 7 values each (``None`` prints blank);
            rows not given are all 0.
        review: Table 四 by proceeding (``review``, ``lit_direct``,
            ``lit_after_review``), 5 values each; default 0.
        active: Table 二 rows by id, one value per column; default 0.
    """
    apps, review, active = apps or {}, review or {}, active or {}
    lines = [
        f"某市某局{version}年政府信息公开工作年度报告",
        "一、总体情况",
        overview or "本年度工作情况如下。",
        "二、主动公开政府信息情况",
        active_text or "按要求主动公开政府信息。",
    ]
    for heading, columns, rows, width in ACTIVE[version]:
        lines += [f"{heading} | |||", f"信息内容 | {columns} |"]
        for label, row in rows:
            values = active.get(row, [0] * width)
            lines.append(" | ".join([label, *map(_cell, values)]) + " | " * (3 - width) + " |")
    lines += ["三、收到和处理政府信息公开申请情况", apps_text or "依法办理政府信息公开申请。", *APPLICANT_HEAD]
    for row in T.TEMPLATES[version].table("applications").rows:
        if not row.local:
            lines.append(" | ".join([row.label, *map(_cell, apps.get(row.id, [0] * 7))]) + " |")
    values = [v for p in ("review", "lit_direct", "lit_after_review") for v in review.get(p, [0] * 5)]
    lines += ["四、政府信息公开行政复议、行政诉讼情况", review_text or "有关情况见下表。", *REVIEW_HEAD]
    lines += [
        " | ".join(map(_cell, values)) + " |",
        "五、存在的主要问题及改进情况",
        "无。",
        "六、其他需要报告的事项",
        "无。",
    ]
    return gicstats.read_report("\n".join(lines).encode("utf-8"), name=f"hand_{version}.txt")


def row(total: int, natural: int | None = None) -> list:
    """A table-三 row whose applicants are all 自然人."""
    return [total if natural is None else natural, 0, 0, 0, 0, 0, total]


def apps_table(new=20, prev=0, granted=10, partial=4, unable_not_held=3, next_year=0, **more) -> dict:
    """A balanced table 三: new + prev = results + next_year."""
    rows = {
        "new_received": row(new),
        "carried_over_from_prev": row(prev),
        "granted": row(granted),
        "partially_granted": row(partial),
        "unable_not_held": row(unable_not_held),
        "carried_to_next": row(next_year),
    }
    rows.update({k: row(v) for k, v in more.items()})
    results = sum(
        v[-1] for k, v in rows.items() if k not in ("new_received", "carried_over_from_prev", "carried_to_next")
    )
    rows["results_total"] = row(results)
    assert new + prev == results + next_year, "hand-built table must balance"
    return rows


def found(report) -> set[tuple[str, str, str, str]]:
    """Findings as (rule, severity, expected, actual)."""
    return {(f.rule, f.severity, f.expected, f.actual) for f in compare_narrative(report)}


def one(report):
    findings = compare_narrative(report)
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# --------------------------------------------------------------------------
# Real reports
# --------------------------------------------------------------------------


def test_tianmen_penalty_decisions_3328_against_3228_is_the_only_finding():
    report = gicstats.read_report(DATA / "tianmen_police_2020.txt")
    finding = one(report)
    assert (finding.rule, finding.severity) == ("narrative.admin_penalty_decisions", "error")
    assert finding.cells == "active_art20_6.admin_penalty.decisions"
    assert (finding.expected, finding.actual) == ("3228", "3328")
    assert "3328" in finding.message and "3228" in finding.message and "\n" not in finding.message
    # the other figures are read, and agree
    stated = {(s.what, s.value, s.unit) for s in extract_statements(report)}
    assert {
        ("admin_licensing_decisions", 165482, "件"),
        ("admin_coercion_decisions", 852, "件"),
        ("other_external_services_decisions", 59852, "件"),
        ("normative_documents_published", 4, "条"),
        ("regulations_published", 0, "条"),
        ("central_procurement_projects", 13, "条"),
        ("central_procurement_amount", 117.785, "万元"),
        ("review_total", 0, "件"),
        ("litigation_total", 0, "件"),
        ("new_received", 0, "件"),  # 无一件依法申请公开事项
    } <= stated


def test_tianmen_statement_fields():
    report = gicstats.read_report(DATA / "tianmen_police_2020.txt")
    penalty = next(s for s in extract_statements(report) if s.what == "admin_penalty_decisions")
    assert penalty.value == 3328 and penalty.kind == "count" and penalty.unit == "件"
    assert penalty.target.cells == ("active_art20_6.admin_penalty.decisions",)
    assert "处理决定数量3328件" in penalty.excerpt and not penalty.ambiguous
    assert penalty.section == "active_disclosure"
    amount = next(s for s in extract_statements(report) if s.what == "central_procurement_amount")
    assert (amount.kind, amount.unit, amount.value) == ("amount", "万元", 117.785)
    # the 2019 "公开…条" of a 2020 sentence is this year's 本年新公开数量
    documents = next(s for s in extract_statements(report) if s.what == "normative_documents_published")
    assert documents.target.cells == ("active_art20_1.normative_documents.new_published",)


def test_shanghai_exact_findings():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    findings = compare_narrative(report)
    assert {(f.rule, f.severity, f.expected, f.actual) for f in findings} == {
        # 予以公开及部分公开258件: the table has 272 + 3 (总计 blank on both rows)
        ("narrative.granted_or_partial", "error", "275", "258"),
        # 占33.9%: 275/805 is 34.16% (and 258/805 is 32.05%)
        ("narrative.granted_or_partial_share", "error", "34.16", "33.9"),
        # 因本机关不掌握等原因无法提供265件: the group is 265 + 47 + 25
        ("narrative.unable", "error", "337", "265"),
        ("narrative.unable_share", "error", "41.86", "32.9"),
        # 行政复议7件,诉讼9件,均获维持: 2 复议 and 1 诉讼 尚未审结
        ("narrative.review_outcome", "error", "3", "0"),
    }
    by_rule = {f.rule: f for f in findings}
    granted = by_rule["narrative.granted_or_partial"]
    assert granted.cells == "applications.granted.total, applications.partially_granted.total"
    assert "272+3" in granted.message and "总计栏空白" in granted.message and "各申请人栏之和" in granted.message
    assert "予以公开·自然人" in granted.message  # 258 is that one cell
    assert "本机关不掌握相关政府信息" in by_rule["narrative.unable"].message
    assert "按正文自述的265件计则相符" in by_rule["narrative.unable_share"].message
    outcome = by_rule["narrative.review_outcome"]
    assert "尚未审结2件" in outcome.message and "尚未审结1件" in outcome.message
    assert "review_litigation.review.pending" in outcome.cells
    assert all("\n" not in f.message for f in findings)


def test_shanghai_agreeing_statements_are_read():
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    stated = {(s.what, s.value, s.target.cells) for s in extract_statements(report)}
    assert {
        ("new_received", 859, ("applications.new_received.total",)),  # 共受理…859件: N, not N + C (877)
        ("results_total", 805, ("applications.results_total.total",)),
        ("carried_over_from_prev", 18, ("applications.carried_over_from_prev.total",)),
        ("carried_to_next", 72, ("applications.carried_to_next.total",)),
        ("withheld_share", 4.34, _group_cells("2019", "（三）不予公开")),  # 35/805 = 4.348, truncated
        ("not_processed", 158, _group_cells("2019", "（五）不予处理")),
        ("other_handling", 0, ("applications.other_handling.total",)),  # a blank row the identities force to 0
        ("review_total", 7, ("review_litigation.review.total",)),
        ("litigation_total", 9, ("review_litigation.lit_direct.total", "review_litigation.lit_after_review.total")),
    } <= stated
    # the 主动公开 sentence is read (13 and 60 agree with the table); the 公报 and
    # 部门 figures are not the table's: 刊登政府规章、规范性文件等112件, 部门规范性文件45件
    docs = [(s.what, s.value) for s in extract_statements(report) if s.what.startswith(("regulations", "normative"))]
    assert docs == [("regulations_published", 13), ("normative_documents_published", 60)]


def test_shanghai_sentence_on_documents_is_kept_and_agrees():
    # The HTML says "主动公开规章13件,行政规范性文件60件"; the section text keeps
    # it (a narrative phrase, not a table run), and both figures agree.
    report = gicstats.read_report(DATA / "shanghai_bgt_2019.html")
    assert "主动公开规章13件,行政规范性文件60件" in report.sections["overview"]
    sentence = (
        "2019年,通过“中国上海”门户网站、《上海市人民政府公报》等平台主动公开规章13件,"
        "行政规范性文件60件,市政府其他文件162件,人事任免文件141件。"
    )
    statements = extract_statements_from_text(sentence, "2019", 2019, "overview")
    assert [(s.what, s.value, s.target.cells) for s in statements] == [
        ("regulations_published", 13, ("active_art20_1.regulations.new_published",)),
        ("normative_documents_published", 60, ("active_art20_1.normative_documents.new_published",)),
    ]
    assert compare_narrative(report, statements) == []
    assert not [f for f in compare_narrative(report) if f.rule.startswith("narrative.regulations")]


def _group_cells(version: str, group: str) -> tuple[str, ...]:
    return tuple(
        f"applications.{r.id}.total" for r in T.TEMPLATES[version].table("applications").rows if r.group == group
    )


@pytest.mark.parametrize("name", ["pingtan_2019.txt", "pingtan_2021.txt", "pingtan_2025.txt"])
def test_pingtan_texts_agree_with_tables(name):
    assert compare_narrative(gicstats.read_report(DATA / name)) == []


def test_pingtan_2023_only_unsplit_normative_documents_are_not_assessable():
    report = gicstats.read_report(DATA / "pingtan_2023.txt")
    findings = compare_narrative(report)
    assert {(f.rule, f.severity, f.cells) for f in findings} == {
        ("narrative.normative_documents_issued", "not_assessable", "active_art20_1.normative_documents.issued"),
        ("narrative.normative_documents_in_force", "not_assessable", "active_art20_1.normative_documents.in_force"),
    }
    assert all("77132470" in f.message for f in findings)  # the digit run the reader could not split
    # everything else is read and agrees: 81 received, 42 (51.85%), 5, 31, 1, 2, 复议2 诉讼7
    stated = {(s.what, s.value) for s in extract_statements(report)}
    assert {
        ("new_received", 81),
        ("new_received", 80),  # 涉及自然人80件
        ("results_total", 81),
        ("granted_or_partial", 42),
        ("granted_or_partial_share", 51.85),
        ("withheld_share", 6.17),
        ("unable", 31),
        ("not_processed_share", 1.23),
        ("other_handling", 2),
        ("other_handling_share", 2.47),
        ("review_total", 2),
        ("litigation_total", 7),
    } <= stated


def test_pingtan_2023_documents_if_the_run_were_split():
    # The table's run "77132470" is 77 | 132 | 470 (spec §6.3). Then the text's
    # 77 issued agrees; its 393 "清理并集中发布现行有效" documents of a library
    # do not match 470 in force, which is only a warning: a library need not
    # hold every unit's documents.
    text = (
        "按照省政府办公厅相关工作要求设立规范性文件库,清理并集中发布现行有效行政规范性文件393件,"
        "动态更新本年度制发的规范性文件77件。"
    )
    report = build(active_text=text, active={"normative_documents": [77, 132, 470]})
    finding = one(report)
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.normative_documents_in_force",
        "warning",
        "470",
        "393",
    )


def test_pingtan_statements_are_found():
    stated = {
        n: {(s.what, s.value) for s in extract_statements(gicstats.read_report(DATA / n))}
        for n in ("pingtan_2021.txt", "pingtan_2025.txt")
    }
    assert stated["pingtan_2021.txt"] == {("new_received", 70), ("results_total", 69), ("carried_to_next", 1)}
    assert stated["pingtan_2025.txt"] == {
        ("new_received", 154),
        ("results_total", 148),
        ("carried_to_next", 6),  # 结转至2026年6件
        ("review_total", 36),  # 行政复议36起
        ("litigation_total", 9),
    }


def test_no_narrative_error_in_pingtan():
    for path in sorted(DATA.glob("pingtan_*.txt")):
        findings = compare_narrative(gicstats.read_report(path))
        assert [f for f in findings if f.severity in ("error", "warning")] == [], path.name


# --------------------------------------------------------------------------
# Received, answered, carried over
# --------------------------------------------------------------------------


def test_new_received_agrees_and_disagrees():
    text = "本年度共收到政府信息公开申请20件。"
    assert compare_narrative(build(apps_text=text, apps=apps_table(new=20, granted=13))) == []
    finding = one(build(apps_text="本年度共收到政府信息公开申请21件。", apps=apps_table(new=20, granted=13)))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.new_received",
        "error",
        "20",
        "21",
    )
    assert finding.cells == "applications.new_received.total"


def test_scope_trap_received_including_carried_over_is_not_flagged():
    # N = 15, C = 5: "共收到…20件(含上年结转5件)" states N + C and says so
    table = apps_table(new=15, prev=5, granted=13)
    report = build(apps_text="本年度共收到政府信息公开申请20件(含上年结转5件),均已办结。", apps=table)
    assert compare_narrative(report) == []
    received = next(s for s in extract_statements(report) if s.what == "new_received")
    assert received.target.cells == ("applications.new_received.total", "applications.carried_over_from_prev.total")
    assert any(s.what == "carried_over_from_prev" and s.value == 5 for s in extract_statements(report))
    # "其中上年结转" says it too
    report = build(apps_text="本年度共受理政府信息公开申请20件,其中上年结转5件。", apps=table)
    assert compare_narrative(report) == []
    # and the carried-over figure itself is checked
    finding = one(build(apps_text="本年度共收到政府信息公开申请20件(含上年结转6件)。", apps=table))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.carried_over_from_prev",
        "error",
        "5",
        "6",
    )


def test_received_n_plus_c_without_saying_so_is_a_warning_naming_both_readings():
    table = apps_table(new=15, prev=5, granted=13)
    finding = one(build(apps_text="本年度共收到政府信息公开申请20件。", apps=table))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.new_received",
        "warning",
        "15",
        "20",
    )
    assert "本年新收申请" in finding.message and "本年新收+上年结转" in finding.message


def test_newly_received_is_never_n_plus_c():
    table = apps_table(new=15, prev=5, granted=13)
    finding = one(build(apps_text="本年新收政府信息公开申请20件。", apps=table))
    assert (finding.severity, finding.expected) == ("error", "15")


def test_answered_is_results_total_and_its_carried_over_is_c():
    # 共办理…18件(含上年结转3件): 18 is （七）总计, 3 is 上年结转
    table = apps_table(new=15, prev=3, granted=11)
    text = "全年共办理政府信息公开申请18件(含上年结转3件),另有0件结转下年度。"
    assert compare_narrative(build(apps_text=text, apps=table)) == []
    finding = one(build(apps_text="全年共办理政府信息公开申请17件(含上年结转3件)。", apps=table))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.results_total",
        "error",
        "18",
        "17",
    )


@pytest.mark.parametrize(
    "text",
    [
        "收到申请22件,办结20件,2件结转下年度继续办理。",
        "收到申请22件,办结20件,另有2件申请按照《条例》顺延到下年度答复。",
        "收到申请22件,办结20件,结转至2022年2件。",
    ],
)
def test_carried_to_next(text):
    table = apps_table(new=22, granted=13, next_year=2)
    assert compare_narrative(build(apps_text=text, apps=table)) == []
    wrong = apps_table(new=22, granted=14, next_year=1)
    finding = one(build(apps_text=text.replace("办结20件", "办结21件"), apps=wrong))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.carried_to_next",
        "error",
        "1",
        "2",
    )


def test_zero_phrases():
    table = apps_table(new=0, granted=0, partial=0, unable_not_held=0)
    text = "本年度未收到政府信息公开申请,无结转下年度申请。"
    assert compare_narrative(build(apps_text=text, apps=table)) == []
    finding = one(
        build(
            apps_text="本年度未收到政府信息公开申请。", apps=apps_table(new=2, granted=2, partial=0, unable_not_held=0)
        )
    )
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.new_received",
        "error",
        "2",
        "0",
    )


def test_applicant_breakdown():
    table = apps_table(new=20, granted=13)
    table["new_received"] = [16, 3, 0, 1, 0, 0, 20]
    text = "本年度共收到政府信息公开申请20件,其中自然人申请16件,法人或其他组织申请4件。"
    assert compare_narrative(build(apps_text=text, apps=table)) == []
    findings = compare_narrative(build(apps_text=text.replace("自然人申请16件", "自然人申请15件"), apps=table))
    assert [(f.cells, f.expected, f.actual) for f in findings] == [
        ("applications.new_received.natural_person", "16", "15")
    ]


def test_received_total_not_assessable_when_blank_and_never_solved_from_the_balance():
    table = apps_table(new=20, granted=13)
    table["new_received"] = [None] * 7  # the balance would give 20, but a blank is not solved for
    finding = one(build(apps_text="本年度共收到政府信息公开申请20件。", apps=table))
    assert (finding.rule, finding.severity, finding.cells) == (
        "narrative.new_received",
        "not_assessable",
        "applications.new_received.total",
    )


def test_unrelated_counts_are_not_read_as_applications():
    text = "受理各类群众诉求259起,回复网民留言200条,统一受理平台接入53个部门2261项事项。"
    report = build(
        overview=text, apps_text="本年度共收到政府信息公开申请20件,及时办结20件。", apps=apps_table(new=20, granted=13)
    )
    assert {(s.what, s.value) for s in extract_statements(report)} == {("new_received", 20), ("results_total", 20)}
    assert compare_narrative(report) == []


# --------------------------------------------------------------------------
# Outcomes of applications, and their shares
# --------------------------------------------------------------------------

OUTCOMES = (
    "办结政府信息公开申请20件,其中予以公开10件,占50%;部分公开4件,占20%;"
    "不予公开2件,占10%;无法提供3件,占15%;不予处理1件,占5%。"
)


def _outcome_table(**over) -> dict:
    values = {
        "granted": 10,
        "partial": 4,
        "withheld_state_secret": 2,
        "unable_not_held": 3,
        "not_processed_duplicate": 1,
    }
    values.update(over)
    return apps_table(new=sum(values.values()), **values)


def test_outcome_counts_and_shares_agree():
    report = build(apps_text=OUTCOMES, apps=_outcome_table())
    assert compare_narrative(report) == []
    kinds = {(s.what, s.kind, s.unit) for s in extract_statements(report)}
    assert ("granted", "count", "件") in kinds and ("granted_share", "percent", "%") in kinds
    assert ("withheld", "count", "件") in kinds and ("not_processed_share", "percent", "%") in kinds


def test_outcome_count_mismatch_and_its_share():
    # the table's 不予公开 is 3: the text's "2件, 占10%" is wrong twice
    table = _outcome_table(withheld_state_secret=2, withheld_process_info=1, granted=9)
    found_ = found(build(apps_text=OUTCOMES.replace("20件", "20件"), apps=table))
    assert found_ == {
        ("narrative.granted", "error", "9", "10"),
        ("narrative.granted_share", "error", "45", "50"),
        ("narrative.withheld", "error", "3", "2"),
        ("narrative.withheld_share", "error", "15", "10"),
    }


def test_granted_or_partial():
    table = _outcome_table()
    text = "办结政府信息公开申请20件,予以公开及部分公开14件,占70%。"
    assert compare_narrative(build(apps_text=text, apps=table)) == []
    assert found(build(apps_text=text.replace("14件,占70%", "10件,占50%"), apps=table)) == {
        ("narrative.granted_or_partial", "error", "14", "10"),
        ("narrative.granted_or_partial_share", "error", "70", "50"),
    }


@pytest.mark.parametrize("stated, ok", [("33.3", True), ("66.6", True), ("66.7", True), ("66.8", False), ("67", True)])
def test_percent_accepts_either_rounding(stated, ok):
    # 2/3 = 66.666…: 66.7 rounded, 66.6 truncated, 67 rounded to a whole percent
    table = apps_table(new=3, granted=2, partial=0, unable_not_held=1)
    share = "予以公开" if stated != "33.3" else "无法提供"
    count = 2 if stated != "33.3" else 1
    report = build(apps_text=f"办结政府信息公开申请3件,{share}{count}件,占{stated}%,部分公开0件,占0%。", apps=table)
    assert (compare_narrative(report) == []) is ok


def test_percent_of_an_unclear_base_is_a_warning():
    # 10 of 25 received = 40%, but 10 of 20 answered = 50%: the text does not say which
    table = apps_table(new=25, granted=10, partial=4, unable_not_held=6, next_year=5)
    finding = one(build(apps_text="收到申请25件,办结20件,5件结转下年度。予以公开10件,占40%。", apps=table))
    assert (finding.rule, finding.severity) == ("narrative.granted_share", "warning")
    assert "办理结果（七）总计" in finding.message and "本年新收申请" in finding.message


def test_percent_matching_no_base_is_an_error_only_when_the_sentence_settles_the_base():
    table = apps_table(new=20, granted=10, partial=4, unable_not_held=6)
    alone = one(build(apps_text="办结申请20件。予以公开10件,占45%。", apps=table))
    assert (alone.rule, alone.severity) == ("narrative.granted_share", "warning")
    settled = one(build(apps_text="办结申请20件。予以公开10件,占45%;部分公开4件,占20%。", apps=table))
    assert (settled.rule, settled.severity) == ("narrative.granted_share", "error")


def test_a_sub_row_is_not_its_group():
    table = apps_table(new=22, granted=13, unable_not_held=5, unable_needs_creation=2, partial=2)
    # "因本机关不掌握等原因无法提供": the group (7), not the sub-row (5)
    finding = one(build(apps_text="办结申请22件,因本机关不掌握等原因无法提供5件。", apps=table))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == ("narrative.unable", "error", "7", "5")
    assert "本机关不掌握相关政府信息" in finding.message
    assert compare_narrative(build(apps_text="办结申请22件,因本机关不掌握等原因无法提供7件。", apps=table)) == []
    # without 等 the sub-row is the first reading, and it agrees
    assert compare_narrative(build(apps_text="办结申请22件,因本机关不掌握相关信息无法提供5件。", apps=table)) == []
    # a sub-row named alone
    assert compare_narrative(build(apps_text="办结申请22件,其中本机关不掌握相关政府信息5件。", apps=table)) == []
    finding = one(build(apps_text="办结申请22件,没有现成信息需要另行制作3件。", apps=table))
    assert (finding.rule, finding.expected) == ("narrative.unable_needs_creation", "2")


def test_other_handling_2021_is_the_sum_of_its_three_rows():
    table = apps_table(new=20, granted=13, other_overdue_correction=1, other_misc=2, unable_not_held=0)
    assert compare_narrative(build(apps_text="办结申请20件,其他处理3件。", apps=table)) == []
    finding = one(build(apps_text="办结申请20件,其他处理2件。", apps=table))
    assert (finding.rule, finding.expected, finding.actual) == ("narrative.other_handling", "3", "2")


def test_blank_total_column_is_summed_from_the_applicants_and_said():
    # Shanghai's layout: blank 总计 on the result rows, blank zeros elsewhere
    table = apps_table(new=20, granted=13)
    for key in ("new_received", "results_total"):
        table[key] = [17, 3, None, None, None, None, 20]
    table["granted"] = [10, 3, None, None, None, None, None]
    table["partially_granted"] = [4, None, None, None, None, None, None]
    report = build(apps_text="办结申请20件,予以公开13件,部分公开4件。", apps=table)
    assert compare_narrative(report) == []
    finding = one(build(apps_text="办结申请20件,予以公开10件,部分公开4件。", apps=table))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.granted",
        "error",
        "13",
        "10",
    )
    assert "总计栏空白" in finding.message and "各申请人栏之和" in finding.message
    assert "予以公开·自然人" in finding.message  # 10 is that one cell


def test_blank_total_with_unprovable_blanks():
    # the blanks cannot be shown to be 0: the known 4 agrees with 4, exceeds 3,
    # and cannot tell about 6
    table = apps_table(new=20, granted=13)
    for key in ("new_received", "results_total"):
        table[key] = [None] * 7
    table["partially_granted"] = [4, None, None, None, None, None, None]
    assert compare_narrative(build(apps_text="办结申请若干,部分公开4件。", apps=table)) == []
    assert found(build(apps_text="办结申请若干,部分公开3件。", apps=table)) == {
        ("narrative.partially_granted", "error", "4", "3")
    }
    finding = one(build(apps_text="办结申请若干,部分公开6件。", apps=table))
    assert (finding.severity, finding.expected) == ("not_assessable", "4")


# --------------------------------------------------------------------------
# Review and litigation
# --------------------------------------------------------------------------

SCOPE = "因政府信息公开引起的"


def test_review_and_litigation_counts():
    review = {"review": [2, 0, 0, 0, 2], "lit_direct": [1, 0, 0, 0, 1], "lit_after_review": [1, 0, 0, 0, 1]}
    text = f"{SCOPE}行政复议2件、行政诉讼2起,均获维持。"
    assert compare_narrative(build(review_text=text, review=review)) == []
    assert found(build(review_text=text.replace("诉讼2起", "诉讼1起"), review=review)) == {
        ("narrative.litigation_total", "error", "2", "1")
    }


def test_all_upheld_against_pending_and_corrected():
    review = {"review": [1, 0, 0, 1, 2], "lit_direct": [1, 1, 0, 0, 2]}
    finding = one(build(review_text=f"{SCOPE}行政复议2件,行政诉讼2件,均获维持。", review=review))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.review_outcome",
        "error",
        "2",
        "0",
    )
    assert "行政复议·尚未审结1件" in finding.message and "未经复议直接起诉·结果纠正1件" in finding.message


def test_all_upheld_is_scoped_to_the_proceeding_it_follows():
    review = {"review": [2, 0, 0, 1, 3], "lit_direct": [2, 0, 0, 0, 2]}
    text = f"{SCOPE}行政复议3件,其中维持2件,尚未审结1件,行政诉讼2件,均获维持。"
    # read from the text itself: the reader's section text loses part of this
    # sentence (see test_reader_keeps_outcome_phrases_in_section_text)
    statements = extract_statements_from_text(text, "2021", 2021, "review_litigation")
    assert compare_narrative(build(review=review), statements) == []
    outcome = [s for s in statements if s.what == "review_outcome"]
    assert [(s.value, s.target.cells[0]) for s in outcome] == [
        (2, "review_litigation.review.upheld"),
        (1, "review_litigation.review.pending"),
        (0, "review_litigation.lit_direct.corrected"),
    ]
    # the same words after a 行政诉讼 that is not all upheld
    wrong = {"review": [2, 0, 0, 1, 3], "lit_direct": [1, 0, 0, 1, 2]}
    findings = compare_narrative(build(review=wrong), statements)
    assert [(f.rule, f.severity, f.expected) for f in findings] == [("narrative.review_outcome", "error", "1")]
    assert "review_litigation.review.pending" not in findings[0].cells


def test_reader_keeps_outcome_phrases_in_section_text():
    report = build(review_text=f"{SCOPE}行政复议3件,其中维持2件,尚未审结1件,行政诉讼2件,均获维持。")
    assert "尚未审结1件,行政诉讼2件" in report.sections["review_litigation"]


def test_review_outcome_counts():
    review = {"review": [2, 1, 0, 1, 4]}
    text = f"{SCOPE}行政复议4件,其中维持2件,被纠正1件,尚未审结1件。"
    assert compare_narrative(build(review_text=text, review=review)) == []
    assert found(build(review_text=text.replace("被纠正1件", "被纠正2件"), review=review)) == {
        ("narrative.review_outcome", "error", "1", "2")
    }


def test_no_review_or_litigation():
    text = "本年度未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。"
    assert compare_narrative(build(review_text=text)) == []
    assert found(build(review_text=text, review={"review": [1, 0, 0, 0, 1]})) == {
        ("narrative.review_total", "error", "1", "0")
    }


def test_review_not_about_disclosure_is_not_read():
    # a 司法局's own 行政复议 work is not table 四
    report = build(overview="全年办理行政复议案件120件,行政诉讼应诉30件。")
    assert extract_statements(report) == [] and compare_narrative(report) == []


def test_blank_litigation_group_agrees_when_the_known_part_makes_the_number():
    review = {"review": [5, None, None, 2, 7], "lit_direct": [8, None, None, 1, 9], "lit_after_review": [None] * 5}
    report = build(review_text=f"{SCOPE}行政复议7件,诉讼9件。", review=review)
    assert compare_narrative(report) == []


# --------------------------------------------------------------------------
# Table 二
# --------------------------------------------------------------------------


def test_decisions_2021():
    active = {"admin_licensing": [1200], "admin_penalty": [300], "admin_coercion": [5]}
    text = "全年作出行政许可处理决定1200件,行政处罚处理决定300件,行政强制处理决定5件。"
    assert compare_narrative(build(active_text=text, active=active)) == []
    finding = one(build(active_text=text.replace("300件", "330件"), active=active))
    assert (finding.rule, finding.severity, finding.cells, finding.expected, finding.actual) == (
        "narrative.admin_penalty_decisions",
        "error",
        "active_art20_6.admin_penalty.decisions",
        "300",
        "330",
    )
    # without "处理决定" the figure is read as decisions, but only a warning can come of it
    finding = one(build(active_text="全年行政处罚330件。", active=active))
    assert (finding.rule, finding.severity) == ("narrative.admin_penalty_decisions", "warning")


def test_items_2019_name_both_readings():
    active = {"admin_penalty": [374, 6, 3228]}
    assert compare_narrative(build("2019", active_text="行政处罚公开374条,处理决定数量3228件。", active=active)) == []
    assert compare_narrative(build("2019", active_text="行政处罚公开380条,处理决定数量3228件。", active=active)) == []
    finding = one(build("2019", active_text="行政处罚公开400条,处理决定数量3228件。", active=active))
    assert (finding.rule, finding.severity) == ("narrative.admin_penalty_items", "warning")
    assert "上一年项目数量" in finding.message and "本年增/减" in finding.message


def test_documents_2019():
    active = {"regulations": [0, 0, 18], "normative_documents": [4, 4, 9]}
    ok = "2019年新制作规范性文件4件;本年公开规范性文件4件;累计公开规范性文件9件;公开规范性文件9件。"
    assert compare_narrative(build("2019", active_text=ok, active=active)) == []
    # 2019年 makes it this year's 本年新公开数量
    finding = one(build("2019", active_text="2019年公开规范性文件9件。", active=active))
    assert (finding.rule, finding.severity, finding.cells) == (
        "narrative.normative_documents_published",
        "error",
        "active_art20_1.normative_documents.new_published",
    )
    # no year: 本年新公开 or 对外公开总数, a warning naming both
    finding = one(build("2019", active_text="公开规范性文件7件。", active=active))
    assert finding.severity == "warning"
    assert "本年新公开数量" in finding.message and "对外公开总数量" in finding.message
    finding = one(build("2019", active_text="2019年新制作规范性文件5件。", active=active))
    assert (finding.rule, finding.severity, finding.expected) == ("narrative.normative_documents_made", "error", "4")
    # gazette and department figures are not the table's
    other = "全年共编发公报24期,刊登政府规章、规范性文件等112件,部门规范性文件45件,审核规范性文件30件。"
    assert extract_statements(build("2019", active_text=other, active=active)) == []


def test_documents_2021():
    active = {"normative_documents": [5, 2, 30]}
    ok = "本年制发行政规范性文件5件,废止规范性文件2件,现行有效规范性文件30件。"
    assert compare_narrative(build(active_text=ok, active=active)) == []
    assert found(build(active_text=ok.replace("现行有效规范性文件30件", "现行有效规范性文件31件"), active=active)) == {
        ("narrative.normative_documents_in_force", "error", "30", "31")
    }


def test_central_procurement_amount_converts_units():
    active = {"central_procurement": [6, "251000元"]}
    for text in (
        "政府集中采购项目6个,采购金额25.1万元。",
        "政府集中采购项目6个,采购总金额251000元。",
        "政府集中采购项目6个,采购金额25万元。",
    ):
        assert compare_narrative(build("2019", active_text=text, active=active)) == [], text
    finding = one(build("2019", active_text="政府集中采购项目6个,采购金额26万元。", active=active))
    assert (finding.rule, finding.severity, finding.expected, finding.actual) == (
        "narrative.central_procurement_amount",
        "error",
        "25.1",
        "26",
    )
    finding = one(build("2019", active_text="政府集中采购项目7个,采购金额25.1万元。", active=active))
    assert (finding.rule, finding.expected, finding.actual) == ("narrative.central_procurement_projects", "6", "7")


def test_central_procurement_amount_without_unit_in_the_cell():
    # a bare 251000: 元 or 万元; agreement under either is enough
    active = {"central_procurement": [6, 251000]}
    assert compare_narrative(build("2019", active_text="政府集中采购金额25.1万元。", active=active)) == []
    finding = one(build("2019", active_text="政府集中采购金额30万元。", active=active))
    assert finding.severity == "warning"


def test_fee_amount_2021():
    active = {"admin_fees": [24252.311082]}
    assert compare_narrative(build(active_text="行政事业性收费金额24252.31万元。", active=active)) == []
    finding = one(build(active_text="行政事业性收费金额24000万元。", active=active))
    assert (finding.rule, finding.severity) == ("narrative.admin_fees_amount", "error")


# --------------------------------------------------------------------------
# Text-only extraction
# --------------------------------------------------------------------------


def test_extract_from_text_normalises_full_width_punctuation():
    statements = extract_statements_from_text("本年共收到政府信息公开申请１２件（含上年结转２件）。", "2021", 2021)
    assert [(s.what, s.value, s.target.cells) for s in statements] == [
        ("new_received", 12, ("applications.new_received.total", "applications.carried_over_from_prev.total")),
        ("carried_over_from_prev", 2, ("applications.carried_over_from_prev.total",)),
    ]


def test_approximate_figures_are_skipped():
    assert extract_statements_from_text("全年收到政府信息公开申请100余件。", "2021", 2021) == []
