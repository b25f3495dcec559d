"""Hand-built inputs for reader behaviour the real corpus does not show."""

from __future__ import annotations

import pytest

import gicstats
from gicstats import GicstatsError

APPS_HEAD = (
    "<tr><td colspan='3' rowspan='3'>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"
    "<td colspan='7'>申请人情况</td></tr>"
    "<tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td><td rowspan='2'>总计</td></tr>"
    "<tr><td>商业<br/>企业</td><td>科研<p>机构</p></td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
)


def _row(label: str, values, span: str = "colspan='3'") -> str:
    cells = "".join(f"<td>{v}</td>" for v in values)
    return f"<tr><td {span}>{label}</td>{cells}</tr>"


def _page(rows: str, title: str = "某某市某某局2022年政府信息公开工作年度报告", charset: str = "utf-8") -> str:
    return (
        f"<html><head><meta charset='{charset}'><title>{title}</title></head><body>"
        "<div class='nav'>首页 &gt; 政务公开</div>"
        f"<h1>{title}</h1><p>三、收到和处理政府信息公开申请情况</p>"
        f"<table border='1'><tbody>{APPS_HEAD}{rows}</tbody></table>"
        "<p>五、存在的主要问题及改进情况</p><p>无。</p></body></html>"
    )


def test_lenient_spans_blank_markers_units_and_chrome():
    rows = (
        _row("一、本年新收政府信息公开申请数量", ["5", "-", "—", "/", "无", "&nbsp;", "5"], span="colspan='3;'")
        + "<tr><td rowspan='20;'>三、本年度办理结果</td>"
        + _row("（一）予以公开", ["1", "0", "0", "0", "0", "0", "1"], span="colspan='2'")[4:]
    )
    report = gicstats.read_report(_page(rows).encode("utf-8"), name="lenient.html")
    apps = report.table("applications", labels=False, raw=True)
    assert list(apps.loc["new_received"]) == ["5", "-", "—", "/", "无", "", "5"]
    values = report.table("applications", labels=False)
    assert values.loc["new_received"].isna().sum() == 5
    assert values.loc["granted", "natural_person"] == 1
    assert report.agency == "某某市某某局" and report.year == 2022


def test_gb2312_label_with_gbk_only_characters_is_not_truncated():
    title = "镕喆珺县人民政府2021年政府信息公开工作年度报告"
    rows = _row("一、本年新收政府信息公开申请数量", [3, 0, 0, 0, 0, 1, 4])
    data = _page(rows, title=title, charset="gb2312").encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    report = gicstats.read_report(data, name="gbk.html")
    assert report.agency == "镕喆珺县人民政府"
    assert report.value("applications", "new_received", "total") == 4


def test_wrong_declared_charset_is_overridden():
    rows = _row("一、本年新收政府信息公开申请数量", [3, 0, 0, 0, 0, 1, 4])
    data = _page(rows, charset="gb2312").encode("utf-8")  # says gb2312, is UTF-8
    report = gicstats.read_report(data, name="liar.html")
    assert report.agency == "某某市某某局"


def test_unknown_label_is_a_finding_not_a_silent_drop():
    rows = _row("一、本年新收政府信息公开申请数量", [3, 0, 0, 0, 0, 1, 4]) + _row("合并计算", [9, 9, 9, 9, 9, 9, 54])
    report = gicstats.read_report(_page(rows).encode(), name="unknown.html")
    rules = set(report.findings["rule"])
    assert "parse.unknown_label" in rules
    assert "合并计算" in " ".join(report.findings["message"])
    assert not (report.cells["raw"] == "54").any()


def test_unreadable_cell_is_null_with_finding():
    rows = _row("一、本年新收政府信息公开申请数量", ["约3", 0, 0, 0, 0, 1, 4])
    report = gicstats.read_report(_page(rows).encode(), name="unreadable.html")
    assert report.value("applications", "new_received", "natural_person") is None
    hit = report.findings[report.findings["rule"] == "parse.unreadable_cell"]
    assert hit["cells"].tolist() == ["applications.new_received.natural_person"]


def test_traditional_characters_and_hubei_brackets():
    text = "\n".join(
        [
            "某某局2020年度政府信息公開工作年度報告",
            "第二十條第(一)項 | |||",
            "信息內容 | 本年新 製作數量 | 本年新 公開數量 | 對外公開總數量 |",
            "規章(設區的市、自治州人民政府應提供相關數據) | 0 | 0 | 1 |",
            "規範性檔案(行政機關制定發布的決定…) | 2 | 2 | 7 |",
            "其他主動公開檔案(含以本單位…) | 3 | 3 | 4 |",
            "第二十條第(八)項 | |||",
            "信息內容 | 上一年項目數量 | 本年增/減 | |",
            "行政事業性收費 | 5 | -2 | |",
        ]
    )
    report = gicstats.read_report(text.encode(), name="trad.txt")
    assert report.template_version == "2019"
    assert report.value("active_art20_1", "normative_documents", "total_published") == 7
    assert report.value("active_art20_1", "other_proactive_documents", "new_made") == 3
    assert report.value("active_art20_8", "admin_fees", "items_change") == -2


def test_2021_detected_from_labels_not_year():
    text = "\n".join(
        [
            "某镇2022年政府信息公开工作年度报告",
            "第二十条第(一)项 | |||",
            "信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |",
            "规章 | 0 | 0 | 0 |",
            "规范性文件 | 1 | 1 | 3 |",
        ]
    )
    report = gicstats.read_report(text.encode(), name="x.txt")
    assert report.year == 2022
    assert report.template_version == "2019"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "file is empty"),
        (b"   \n", "file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "legacy Office file"),
        (b"\x00\x01\x02binary", "binary file"),
        ("随便一段文字，没有任何表格。".encode(), "no report tables found"),
    ],
)
def test_bad_inputs_raise_one_clear_error(data, problem):
    with pytest.raises(GicstatsError) as info:
        gicstats.read_report(data, name="bad.bin")
    message = str(info.value)
    assert message.startswith("bad.bin: ")
    assert problem in message
    assert "\n" not in message


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(GicstatsError, match=r"nope\.txt: no such file"):
        gicstats.read_report(tmp_path / "nope.txt")
