"""Indicators.

Values computed by hand from the bundled reports, and the rules for what
is absent (template version, blank totals, gaps, zero denominators,
small samples).

Expected values come from the hand-checked truth files (tests/truth/*.json)
and the printed tables, written out as fractions so the arithmetic shows.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import DATA

import gicstats
from gicstats.analysis import indicators as I

PINGTAN = ("pingtan_2019.txt", "pingtan_2021.txt", "pingtan_2023.txt", "pingtan_2025.txt")
SHANGHAI = "shanghai_bgt_2019.html"
TIANMEN = "tianmen_police_2020.txt"
SHARES = ("disclosure_rate", "withheld_share", "unable_share", "not_processed_share", "other_handling_share")


@pytest.fixture(scope="module")
def reports() -> dict[str, gicstats.Report]:
    return {name: gicstats.read_report(DATA / name) for name in (*PINGTAN, SHANGHAI, TIANMEN)}


def inputs(*reports: gicstats.Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``cells`` and ``reports`` frames built by hand from read reports.

    They are keyed by file name so that the assertions read as the
    reports' names.
    """
    cells = pd.concat([r.cells.assign(report_id=r.name) for r in reports], ignore_index=True)
    meta = pd.DataFrame(
        [
            {"report_id": r.name, "agency_key": r.agency, "year": r.year, "template_version": r.template_version}
            for r in reports
        ]
    )
    return cells, meta


def pick(long: pd.DataFrame, report_id: str, indicator: str) -> pd.Series:
    hit = long[(long["report_id"] == report_id) & (long["indicator"] == indicator)]
    assert len(hit) == 1, (report_id, indicator)
    return hit.iloc[0]


def assert_fraction(long, report_id, indicator, numerator, denominator, basis="printed"):
    row = pick(long, report_id, indicator)
    assert pd.isna(row["reason"]), row["reason"]
    assert row["numerator"] == numerator
    if denominator is None:
        assert pd.isna(row["denominator"])
        assert row["value"] == numerator
    else:
        assert row["denominator"] == denominator
        assert row["value"] == pytest.approx(numerator / denominator)
    assert row["basis"] == basis


def with_values(cells: pd.DataFrame, report_id: str, changes: dict[str, float | None]) -> pd.DataFrame:
    """A copy of ``cells`` with some of one report's cells overwritten (None = blank)."""
    cells = cells.copy()
    for key, value in changes.items():
        table, row, column = key.split(".")
        mask = (
            (cells["report_id"] == report_id)
            & (cells["table"] == table)
            & (cells["row"] == row)
            & (cells["column"] == column)
        )
        assert mask.sum() == 1, key
        cells.loc[mask, "value"] = pd.NA if value is None else value
    return cells


def tiny(specs: list[tuple[str, str, int, str, dict[str, float | None]]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hand-built inputs: ``(report_id, agency, year, version, {table.row.column: value})`` each."""
    cells, meta = [], []
    for report_id, agency, year, version, values in specs:
        meta.append({"report_id": report_id, "agency_key": agency, "year": year, "template_version": version})
        for key, value in values.items():
            table, row, column = key.split(".")
            cells.append({"report_id": report_id, "table": table, "row": row, "column": column, "value": value})
    frame = pd.DataFrame(cells, columns=["report_id", "table", "row", "column", "value"])
    frame["value"] = frame["value"].astype("Float64")
    return frame, pd.DataFrame(meta)


# --------------------------------------------------------------------------
# Values by hand
# --------------------------------------------------------------------------


def test_pingtan_2021_by_hand(reports):
    long = I.compute(*inputs(reports["pingtan_2021.txt"]))
    rid = "pingtan_2021.txt"
    expected = {
        "applications_received": (70, None),
        "workload": (70, None),  # 70 new + 0 carried over
        "disclosure_rate": (30 + 5, 69),
        "full_grant_rate": (30, 69),
        "withheld_share": (1 + 6 + 1, 69),  # internal affairs, enforcement file, admin query
        "unable_share": (25, 69),
        "not_processed_share": (0, 69),
        "other_handling_share": (0 + 0 + 1, 69),  # 2021: the sum of （六）1–3
        "mix_withheld_internal_affairs": (1, 8),
        "mix_withheld_enforcement_file": (6, 8),
        "mix_withheld_admin_query": (1, 8),
        "mix_withheld_state_secret": (0, 8),
        "mix_unable_not_held": (25, 25),
        "mix_other_overdue_correction": (0, 1),
        "mix_other_misc": (1, 1),
        "carry_forward_rate": (1, 70),
        "natural_person_share": (64, 70),
        "legal_person_share": (0 + 0 + 2 + 0 + 4, 70),
        "review_correction_rate_closed": (0, 1 + 0 + 2),
        "review_correction_rate_all": (0, 3),
        "litigation_correction_rate_closed": (0, 12),
        "litigation_correction_rate_all": (0, 12),
        "dispute_conversion_rate": (3 + 12 + 0, 70),
        "licensing_penalty_ratio": (2293, 1282),
    }
    for indicator, (numerator, denominator) in expected.items():
        assert_fraction(long, rid, indicator, numerator, denominator)
    # 不予处理 is empty in 2021, so its mix has nothing to divide by
    mix = pick(long, rid, "mix_not_processed_duplicate")
    assert pd.isna(mix["value"]) and mix["reason"] == "分母为0"
    assert (mix["numerator"], mix["denominator"]) == (0, 0)


def test_pingtan_2023_and_2025_by_hand(reports):
    long = I.compute(*inputs(reports["pingtan_2023.txt"], reports["pingtan_2025.txt"]))
    a, b = "pingtan_2023.txt", "pingtan_2025.txt"
    assert_fraction(long, a, "disclosure_rate", 22 + 20, 81)
    assert_fraction(long, a, "mix_other_overdue_correction", 1, 2)
    assert_fraction(long, a, "review_correction_rate_closed", 1, 1 + 1 + 0)
    # litigation: direct 4 upheld + 1 pending (total 5); after review 1 upheld + 1 other (total 2)
    assert_fraction(long, a, "litigation_correction_rate_closed", 0, 4 + 1 + 1)
    assert_fraction(long, a, "litigation_correction_rate_all", 0, 5 + 2)
    assert_fraction(long, a, "dispute_conversion_rate", 2 + 5 + 2, 81)

    assert_fraction(long, b, "disclosure_rate", 33 + 38, 148)
    assert_fraction(long, b, "carry_forward_rate", 6, 154)
    assert_fraction(long, b, "legal_person_share", 3, 154)
    assert_fraction(long, b, "other_handling_share", 8 + 2 + 1, 148)
    assert_fraction(long, b, "mix_other_overdue_correction", 8, 11)
    assert_fraction(long, b, "mix_other_overdue_fee", 2, 11)
    assert_fraction(long, b, "review_correction_rate_closed", 3, 25 + 3 + 8)
    assert_fraction(long, b, "review_correction_rate_all", 3, 36)
    assert_fraction(long, b, "litigation_correction_rate_all", 3 + 0, 6 + 3)
    assert_fraction(long, b, "dispute_conversion_rate", 36 + 6 + 3, 154)
    assert_fraction(long, b, "licensing_penalty_ratio", 2418, 644)


def test_correction_rate_variants_differ_when_cases_are_pending():
    cells, meta = tiny(
        [
            (
                "x",
                "测试局",
                2021,
                "2021",
                {
                    "review_litigation.review.upheld": 2,
                    "review_litigation.review.corrected": 1,
                    "review_litigation.review.other": 0,
                    "review_litigation.review.pending": 1,
                    "review_litigation.review.total": 4,
                },
            )
        ]
    )
    long = I.compute(cells, meta)
    assert_fraction(long, "x", "review_correction_rate_closed", 1, 3)
    assert_fraction(long, "x", "review_correction_rate_all", 1, 4)


def test_result_shares_and_reason_mixes_add_up_to_one(reports):
    cells, meta = inputs(*[reports[n] for n in (*PINGTAN, SHANGHAI)])
    long = I.compute(cells, meta, blank_cells="deduce")
    table = I.wide(long)
    for rid in meta["report_id"]:
        assert sum(table.loc[rid, s] for s in SHARES) == pytest.approx(1.0), rid
        for group, items in I.GROUPS.items():
            mix = [table.loc[rid, f"mix_{i}"] for i in items]
            if all(pd.notna(v) for v in mix):
                assert sum(mix) == pytest.approx(1.0), (rid, group)
    ratios = long[long["indicator"].isin((*SHARES, "full_grant_rate", "carry_forward_rate"))]["value"].dropna()
    assert ratios.between(0, 1).all()


def test_2019_other_handling_is_the_printed_row_and_has_no_split(reports):
    long = I.compute(*inputs(reports["pingtan_2019.txt"]))
    rid = "pingtan_2019.txt"
    assert_fraction(long, rid, "other_handling_share", 0, 23)
    assert_fraction(long, rid, "disclosure_rate", 7 + 1, 23)
    assert_fraction(long, rid, "mix_unable_unclear_after_correction", 5, 7 + 0 + 5)
    for item in ("other_overdue_correction", "other_overdue_fee", "other_misc"):
        row = pick(long, rid, f"mix_{item}")
        assert pd.isna(row["value"])
        assert row["reason"].startswith("2019版模板无此项")


def test_2021_other_handling_is_the_sum_of_its_three_items():
    cells, meta = tiny(
        [
            (
                "x",
                "测试局",
                2021,
                "2021",
                {
                    "applications.other_overdue_correction.total": 2,
                    "applications.other_overdue_fee.total": 3,
                    "applications.other_misc.total": 4,
                    "applications.results_total.total": 20,
                },
            )
        ]
    )
    long = I.compute(cells, meta)
    assert_fraction(long, "x", "other_handling_share", 9, 20)
    assert_fraction(long, "x", "mix_other_overdue_fee", 3, 9)


def test_unknown_template_version_leaves_version_specific_indicators_null():
    cells, meta = tiny(
        [("x", "测试局", 2021, None, {"applications.results_total.total": 20, "applications.other_misc.total": 4})]
    )
    long = I.compute(cells, meta)
    assert "模板版本未知" in pick(long, "x", "other_handling_share")["reason"]
    assert pick(long, "x", "mix_other_misc")["reason"] == "模板版本未知"
    assert pick(long, "x", "licensing_penalty_ratio")["reason"].startswith("模板版本未知")


def test_licensing_penalty_ratio_says_it_is_not_comparable(reports):
    long = I.compute(*inputs(reports[TIANMEN], reports["pingtan_2019.txt"], reports["pingtan_2021.txt"]))
    assert_fraction(long, TIANMEN, "licensing_penalty_ratio", 165482, 3228)
    for rid in (TIANMEN, "pingtan_2021.txt"):
        row = pick(long, rid, "licensing_penalty_ratio")
        assert not row["comparable"]
        assert "跨版本不可直接比较" in row["note"] and "本年处理决定数量" in row["note"]
    assert pick(long, "pingtan_2021.txt", "disclosure_rate")["comparable"]
    # Pingtan 2019's table 二 digits could not be split: the cells are blank
    row = pick(long, "pingtan_2019.txt", "licensing_penalty_ratio")
    assert pd.isna(row["value"])
    assert row["reason"] == (
        "所需单元格为空或缺失: active_art20_5.admin_licensing.decisions, active_art20_6.admin_penalty.decisions"
    )


# --------------------------------------------------------------------------
# Growth: adjacent years only
# --------------------------------------------------------------------------


def _received(n: float | None) -> dict[str, float | None]:
    return {"applications.new_received.total": n}


def test_growth_against_the_adjacent_year_of_the_same_agency():
    cells, meta = tiny(
        [
            ("a2019", "甲局", 2019, "2019", _received(20)),
            ("a2020", "甲局", 2020, "2019", _received(40)),
            ("a2021", "甲局", 2021, "2021", _received(50)),  # crosses template versions: N means the same
            ("b2020", "乙局", 2020, "2021", _received(1000)),
        ]
    )
    long = I.compute(cells, meta)
    assert_fraction(long, "a2021", "applications_growth", 50 - 40, 40)
    assert pick(long, "a2021", "applications_growth")["value"] == pytest.approx(0.25)
    assert not pick(long, "a2021", "applications_growth")["small_sample"]
    assert_fraction(long, "a2020", "applications_growth", 40 - 20, 20)
    assert pick(long, "a2020", "applications_growth")["small_sample"]  # 20 applications in 2019
    first = pick(long, "a2019", "applications_growth")
    assert pd.isna(first["value"]) and "2018" in first["reason"]
    # another agency's 2020 report is not a previous year
    assert "2019" in pick(long, "b2020", "applications_growth")["reason"]


def test_growth_across_a_gap_is_null_with_reason(reports):
    long = I.compute(*inputs(*[reports[n] for n in PINGTAN]))
    for name, gap in zip(PINGTAN, (2018, 2020, 2022, 2024), strict=True):
        row = pick(long, name, "applications_growth")
        assert pd.isna(row["value"])
        assert row["reason"] == f"缺少同一机关{gap}年度的报告（增长率只与相邻年度比较）"


def test_growth_with_ambiguous_or_blank_previous_year():
    cells, meta = tiny(
        [
            ("a2020x", "甲局", 2020, "2021", _received(40)),
            ("a2020y", "甲局", 2020, "2021", _received(41)),
            ("a2021", "甲局", 2021, "2021", _received(50)),
            ("b2020", "乙局", 2020, "2021", _received(None)),
            ("b2021", "乙局", 2021, "2021", _received(50)),
        ]
    )
    long = I.compute(cells, meta)
    assert "多份报告" in pick(long, "a2021", "applications_growth")["reason"]
    reason = pick(long, "b2021", "applications_growth")["reason"]
    assert reason.startswith("上一年度报告 b2020") and "applications.new_received.total" in reason


# --------------------------------------------------------------------------
# Small samples and zero denominators
# --------------------------------------------------------------------------


def test_small_sample_flags(reports):
    cells, meta = inputs(reports["pingtan_2021.txt"])
    long = I.compute(cells, meta)
    rid = "pingtan_2021.txt"
    assert not pick(long, rid, "disclosure_rate")["small_sample"]  # 69 closed
    assert pick(long, rid, "review_correction_rate_closed")["small_sample"]  # 3 reviews
    assert pick(long, rid, "litigation_correction_rate_all")["small_sample"]  # 12 lawsuits
    assert not pick(long, rid, "applications_received")["small_sample"]  # a count has no denominator
    stricter = I.compute(cells, meta, min_denominator=70)
    assert pick(stricter, rid, "disclosure_rate")["small_sample"]  # 69 < 70
    assert not pick(stricter, rid, "carry_forward_rate")["small_sample"]  # 70 is not < 70


def test_zero_denominator_is_null_and_small(reports):
    long = I.compute(*inputs(reports[TIANMEN]))
    row = pick(long, TIANMEN, "disclosure_rate")
    assert pd.isna(row["value"])
    assert row["reason"] == "分母为0"
    assert (row["numerator"], row["denominator"]) == (0, 0)
    assert row["small_sample"]
    assert_fraction(long, TIANMEN, "applications_received", 0, None)  # a count of 0 is a value


# --------------------------------------------------------------------------
# Blank totals
# --------------------------------------------------------------------------


def test_shanghai_blank_totals_are_not_read_as_zero(reports):
    long = I.compute(*inputs(reports[SHANGHAI]), blank_cells="strict")
    row = pick(long, SHANGHAI, "disclosure_rate")
    assert pd.isna(row["value"]) and pd.isna(row["basis"])
    assert row["denominator"] == 805
    assert (
        "总计栏为空且申请人各列不全，未求和: applications.granted.total"
        "（为空或缺失: applications.granted.research, applications.granted.social_org）"
    ) in row["reason"]
    # rows whose 总计 is printed still work
    assert_fraction(long, SHANGHAI, "natural_person_share", 821, 859)
    assert_fraction(long, SHANGHAI, "carry_forward_rate", 72, 859 + 18)
    # blank outcome cells of table 四 are not zeros either
    assert pick(long, SHANGHAI, "review_correction_rate_all")["reason"] == (
        "所需单元格为空或缺失: review_litigation.review.corrected"
    )


def test_shanghai_blank_totals_with_deduced_zeros(reports):
    long = I.compute(*inputs(reports[SHANGHAI]))  # deduce is the default
    deduced = "sum of applicant columns (blanks deduced 0)"
    # 予以公开 258+12+1+1 (科研机构, 社会公益组织 proven 0), 部分公开 3
    assert_fraction(long, SHANGHAI, "disclosure_rate", 272 + 3, 805, deduced)
    assert_fraction(long, SHANGHAI, "full_grant_rate", 272, 805, deduced)
    assert_fraction(long, SHANGHAI, "withheld_share", 14 + 5 + 4 + 12, 805, deduced)
    assert_fraction(long, SHANGHAI, "unable_share", 265 + 47 + 25, 805, deduced)
    assert_fraction(long, SHANGHAI, "not_processed_share", 149 + 9, 805, deduced)
    assert_fraction(long, SHANGHAI, "legal_person_share", 35 + 2 + 1, 859, "printed (blanks deduced 0)")
    assert_fraction(long, SHANGHAI, "review_correction_rate_closed", 0, 5, "printed (blanks deduced 0)")
    assert_fraction(long, SHANGHAI, "review_correction_rate_all", 0, 7, "printed (blanks deduced 0)")
    note = pick(long, SHANGHAI, "full_grant_rate")["note"]
    assert "applications.granted.total 总计栏为空，按各列求和（258+12+0+0+1+1" in note
    # 复议后起诉 is wholly blank, total included: nothing proves it 0
    assert (
        "review_litigation.lit_after_review.total" in pick(long, SHANGHAI, "litigation_correction_rate_all")["reason"]
    )


def test_blank_total_is_summed_only_when_every_applicant_column_is_printed(reports):
    cells, meta = inputs(reports["pingtan_2021.txt"])
    rid = "pingtan_2021.txt"

    summed = I.compute(with_values(cells, rid, {"applications.granted.total": None}), meta, blank_cells="strict")
    assert_fraction(summed, rid, "full_grant_rate", 30, 69, "sum of applicant columns")
    assert (
        "applications.granted.total 总计栏为空，按各列求和（27+0+0+2+0+1）"
        in pick(summed, rid, "full_grant_rate")["note"]
    )

    gaps = with_values(cells, rid, {"applications.granted.total": None, "applications.granted.research": None})
    strict = I.compute(gaps, meta, blank_cells="strict")
    row = pick(strict, rid, "full_grant_rate")
    assert pd.isna(row["value"])
    assert "（为空或缺失: applications.granted.research）" in row["reason"]
    # research's （七）总计 is a printed 0, so its blank result cells must be 0
    deduce = I.compute(gaps, meta, blank_cells="deduce")
    assert_fraction(deduce, rid, "full_grant_rate", 30, 69, "sum of applicant columns (blanks deduced 0)")

    # a blank that the totals do not prove to be 0 stays unknown
    nonzero = with_values(cells, rid, {"applications.granted.total": None, "applications.granted.natural_person": None})
    row = pick(I.compute(nonzero, meta, blank_cells="deduce"), rid, "full_grant_rate")
    assert pd.isna(row["value"]) and "applications.granted.natural_person" in row["reason"]


def test_blank_review_total_is_the_sum_of_outcomes(reports):
    cells, meta = inputs(reports["pingtan_2021.txt"])
    rid = "pingtan_2021.txt"
    long = I.compute(with_values(cells, rid, {"review_litigation.review.total": None}), meta)
    assert_fraction(long, rid, "review_correction_rate_all", 0, 3, "sum of outcome columns")


# --------------------------------------------------------------------------
# Shape, declaration, inputs
# --------------------------------------------------------------------------


def test_long_shape_and_dtypes(reports):
    cells, meta = inputs(*reports.values())
    long = I.compute(cells, meta)
    assert list(long.columns) == list(I.LONG_COLUMNS)
    assert len(long) == len(meta) * len(I.INDICATORS)
    assert not long.duplicated(["report_id", "indicator"]).any()
    assert str(long["value"].dtype) == "Float64"
    assert long["small_sample"].dtype == bool
    # a value or a reason, never both, never neither
    assert (long["value"].isna() == long["reason"].notna()).all()
    assert set(long["unit"]) == {"件", "ratio"}


def test_wide_has_one_row_per_report_and_one_column_per_indicator(reports):
    cells, meta = inputs(reports["pingtan_2021.txt"], reports[TIANMEN])
    long = I.compute(cells, meta)
    table = I.wide(long)
    assert list(table.index) == ["pingtan_2021.txt", TIANMEN]
    assert list(table.columns) == list(I.INDICATOR_IDS)
    assert table.loc["pingtan_2021.txt", "disclosure_rate"] == pytest.approx(35 / 69)
    assert pd.isna(table.loc[TIANMEN, "disclosure_rate"])
    assert all(str(t) == "Float64" for t in table.dtypes)


def test_from_reports_builds_the_same_inputs(reports):
    chosen = [reports["pingtan_2021.txt"], reports[SHANGHAI]]
    by_hand = I.compute(*inputs(*chosen))
    helper = I.compute(*I.from_reports(chosen))
    # from_reports keys by the one report id; the hand-built inputs by name
    assert list(helper["report_id"].unique()) == [r.id for r in chosen]
    helper["report_id"] = helper["report_id"].map({r.id: r.name for r in chosen}).astype(by_hand["report_id"].dtype)
    pd.testing.assert_frame_equal(by_hand, helper)


def test_indicator_declaration():
    ids = [i.id for i in I.INDICATORS]
    assert len(ids) == len(set(ids))
    assert {"disclosure_rate", "applications_growth", "review_correction_rate_closed"} <= set(ids)
    for indicator in I.INDICATORS:
        assert indicator.unit in (I.COUNT, I.RATIO)
        assert indicator.label_zh and indicator.label_en and indicator.formula and indicator.denominator
        function = getattr(indicator.function, "func", indicator.function)
        for section in ("Formula:", "Unit:", "Denominator:"):
            assert section in function.__doc__, (indicator.id, section)
    table = I.indicator_table()
    assert not table.loc["licensing_penalty_ratio", "comparable"]
    assert table.loc["disclosure_rate", "comparable"]
    assert table.loc["mix_other_misc", "versions"] == "2021"


def test_bad_inputs_are_refused(reports):
    cells, meta = inputs(reports["pingtan_2021.txt"])
    with pytest.raises(ValueError, match="not in reports"):
        I.compute(cells, meta.iloc[0:0])
    with pytest.raises(ValueError, match="duplicate keys"):
        I.compute(pd.concat([cells, cells.head(1)]), meta)
    with pytest.raises(ValueError, match="template_version"):
        I.compute(cells, meta.assign(template_version="2014"))
    with pytest.raises(ValueError, match="blank_cells"):
        I.compute(cells, meta, blank_cells="zero")
    with pytest.raises(ValueError, match="lacks column"):
        I.compute(cells.drop(columns="value"), meta)
