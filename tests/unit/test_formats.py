"""Attachments: PDF, DOCX and XLSX reports, legacy Office files, encodings.

Round trips print values chosen by hypothesis into each format with
``generate.py`` (python-docx, openpyxl, reportlab) and read them back; the
real PDF of 洪泽区 2024 must come out exact, through its drawn tables and
through its text layer alone; bad files get one clear line, never a
traceback, through the API and the CLI.
"""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import sys

import generate as G
import pytest
from helpers import DATA, TRUTH
from hypothesis import given, settings
from hypothesis import strategies as st
from test_roundtrip import AGENCIES, PROPERTY, assert_meta, assert_roundtrip, free_values, mismatches

import gicstats
from gicstats.errors import GicstatsError
from gicstats.form.template import VERSIONS
from gicstats.read.mapping import map_lines
from gicstats.read.readers.office import read_docx, read_xlsx
from gicstats.read.readers.pdf import read_pdf
from gicstats.read.sources import Source, decode

# Drawing and parsing a PDF costs about a second: a modest budget.
PDF_PROPERTY = settings(PROPERTY, max_examples=6)
OFFICE_PROPERTY = settings(PROPERTY, max_examples=12)
VARIANTS = st.builds(G.Variant, half_width=st.booleans(), spaced=st.booleans(), amount_unit=st.sampled_from(("", "元")))


def read(data: bytes, name: str) -> gicstats.Report:
    report = gicstats.read_report(data, name=name)
    assert report.source == name
    return report


# --------------------------------------------------------------------------
# The real PDF
# --------------------------------------------------------------------------

HONGZE = DATA / "hongze_2024.pdf"


def _truth_mismatches(cells: list[dict], truth: dict) -> list:
    got = {f"{c['table']}.{c['row']}.{c['column']}": c["value"] for c in cells}
    return [(key, value, got.get(key)) for key, value in truth["cells"].items() if got.get(key) != value]


def test_hongze_pdf_every_truth_cell_exact():
    truth = json.loads((TRUTH / "hongze_2024.json").read_text(encoding="utf-8"))
    report = gicstats.read_report(HONGZE)
    assert (report.agency, report.year, report.template_version) == ("淮安市洪泽区人民政府", 2024, "2021")
    assert report.format == "pdf"
    cells = report.cells.to_dict(orient="records")
    assert _truth_mismatches(cells, truth) == []
    assert len(truth["cells"]) == 57
    # the misprinted label is read by its number, with a finding saying so
    variant = report.findings[report.findings["rule"] == "parse.label_variant"]
    assert list(variant["actual"]) == ["2.其他法律行政止公开"]
    assert report.value("applications", "withheld_law_prohibited", "natural_person") == 0
    # table 二 and the cells the truth leaves out come out too
    assert report.value("active_art20_5", "admin_licensing", "decisions") == 9487
    assert report.value("active_art20_8", "admin_fees", "fee_amount_wan_yuan") == 7545
    assert report.value("applications", "unable_not_held", "natural_person") == 31
    # provenance: page, table, row and column of the drawn table
    row = report.cells[(report.cells["row"] == "new_received") & (report.cells["column"] == "natural_person")]
    assert row["locator"].iloc[0] == "page 3, table 2, row 4, column 4"
    # the narrative is prose, its sentences whole across line breaks
    assert "受理政府信息公开申请 17 件，均已在法定期限内予以答复" in report.narrative
    assert "2.其他法律行政止公开" not in report.narrative


def test_hongze_pdf_through_the_text_layer_alone():
    """Without its ruling lines the same PDF reads through the text layer.

    Wrapped labels whose numbers come before or after them, the vertical
    三、本年度办理结果 one character a line, table 四's headers stacked character by
    character, page numbers inside table 三.
    """
    truth = json.loads((TRUTH / "hongze_2024.json").read_text(encoding="utf-8"))
    doc = read_pdf(HONGZE.read_bytes(), "hongze_2024.pdf", tables=False)
    version, cells, findings = map_lines(doc.lines, "hongze_2024.pdf")
    assert version == "2021"
    assert _truth_mismatches(cells, truth) == []
    by_key = {(c["table"], c["row"], c["column"]): c for c in cells}
    assert by_key["applications", "partially_granted", "total"]["value"] == 9
    assert by_key["applications", "partially_granted", "total"]["locator"].startswith("page 3, line 18, ")
    # every cell it reads agrees with the reading by table geometry
    by_geometry = map_lines(read_pdf(HONGZE.read_bytes()).lines, "h")[1]
    tables = {(c["table"], c["row"], c["column"]): c["value"] for c in by_geometry}
    assert all(tables[key] == c["value"] for key, c in by_key.items())
    assert len(by_key) >= 160
    texts = ["".join(c.text for c in line.cells) for line in doc.lines]
    assert "三、本年度办理结果" in texts
    assert "（二）部分公开（区分处理的，只计这一情 形，不计其他情形）9000009" in texts
    assert not any(f.rule == "parse.unsplittable" for f in findings)


def test_hongze_title_hint_joins_the_two_title_lines():
    doc = read_pdf(HONGZE.read_bytes())
    assert doc.title_hints == ["淮安市洪泽区人民政府2024 年政府信息公开工作年度报告"]


# --------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@PDF_PROPERTY
@given(
    data=st.data(),
    agency=st.sampled_from(AGENCIES),
    year=st.integers(2019, 2025),
    variant=VARIANTS,
    split_row=st.one_of(st.none(), st.integers(5, 20)),
)
def test_pdf_roundtrip(version, data, agency, year, variant, split_row):
    """Drawn tables, blanks included; table 三 continuing on a new page."""
    values = data.draw(free_values(version, blanks=True), label="values")
    pdf = G.render_pdf(values, version, agency, year, variant=variant, split_row=split_row)
    report = read(pdf, f"{agency}{year}.pdf")
    assert_meta(report, version, agency, year)
    assert_roundtrip(report, values)


@pytest.mark.parametrize("version", VERSIONS)
@PDF_PROPERTY
@given(
    data=st.data(),
    agency=st.sampled_from(AGENCIES),
    year=st.integers(2019, 2025),
    variant=VARIANTS,
    valign=st.sampled_from(("TOP", "MIDDLE", "BOTTOM")),
    split_row=st.one_of(st.none(), st.integers(9, 20)),
)
def test_pdf_text_layer_roundtrip(version, data, agency, year, variant, valign, split_row):
    """No ruling lines: the text layer alone, labels wrapped above, beside or below their numbers.

    Header cells broken over lines are reported as unknown labels; no value
    is lost.

    A page break leaves at least four rows under 三、本年度办理结果: cut
    sooner, the vertical label makes a row five lines tall, and a label set
    at its top is too far from its centred numbers to be paired with them
    (its values are then reported, not misread).
    """
    values = data.draw(free_values(version, blanks=False), label="values")
    pdf = G.render_pdf(
        values, version, agency, year, variant=variant, ruled=False, label_valign=valign, split_row=split_row
    )
    report = read(pdf, f"{agency}{year}.pdf")
    assert_meta(report, version, agency, year)
    assert_roundtrip(report, values, {"parse.unknown_label"})


@pytest.mark.parametrize("version", VERSIONS)
@OFFICE_PROPERTY
@given(
    data=st.data(),
    agency=st.sampled_from(AGENCIES),
    year=st.integers(2019, 2025),
    variant=VARIANTS,
    merged=st.booleans(),
)
def test_docx_roundtrip(version, data, agency, year, variant, merged):
    values = data.draw(free_values(version, blanks=True), label="values")
    docx = G.render_docx(values, version, agency, year, variant=variant, merged=merged)
    report = read(docx, f"{agency}{year}.docx")
    assert report.format == "docx"
    assert_meta(report, version, agency, year)
    assert_roundtrip(report, values)


@pytest.mark.parametrize("version", VERSIONS)
@OFFICE_PROPERTY
@given(
    data=st.data(),
    agency=st.sampled_from(AGENCIES),
    year=st.integers(2019, 2025),
    variant=VARIANTS,
    merged=st.booleans(),
    numbers_as_text=st.booleans(),
)
def test_xlsx_roundtrip(version, data, agency, year, variant, merged, numbers_as_text):
    values = data.draw(free_values(version, blanks=True), label="values")
    xlsx = G.render_xlsx(values, version, agency, year, variant=variant, merged=merged, numbers_as_text=numbers_as_text)
    report = read(xlsx, f"{agency}{year}.xlsx")
    assert report.format == "xlsx"
    assert_meta(report, version, agency, year)
    assert_roundtrip(report, values)


def test_roundtrip_catches_a_wrong_value():
    """The comparison the round trips rest on can fail."""
    values = G.balanced_values("2021", random.Random(3))
    report = read(G.render_docx(values, "2021", "某市某局", 2022), "x.docx")
    values[("applications", "granted", "total")] = values[("applications", "granted", "total")] + 1
    assert mismatches(report, values) == [
        f"applications.granted.total: printed {G.format_value(values['applications', 'granted', 'total'])!r}, "
        f"read {float(values['applications', 'granted', 'total'] - 1)!r}"
    ]


# --------------------------------------------------------------------------
# Merged cells, one by one
# --------------------------------------------------------------------------


def test_docx_merged_cell_comes_once():
    """python-docx repeats a merged cell's text at every grid position it covers.

    The reader gives it once, at its first position.
    """
    import docx

    doc = docx.Document()
    table = doc.add_table(rows=4, cols=4)
    table.cell(0, 0).merge(table.cell(3, 0)).text = "三、本年度办理结果"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "（一）予以公开"
    table.cell(0, 3).text = "5"
    table.cell(1, 1).text = "（三）不予公开"
    table.cell(1, 2).text = "1.属于国家秘密"
    table.cell(1, 3).text = "0"
    table.cell(2, 1).text = "（七）总计"
    table.cell(2, 2).text = ""  # not merged: an empty cell of the label area
    table.cell(2, 3).text = "6"
    table.cell(3, 1).merge(table.cell(3, 2)).text = "四、结转下年度继续办理"
    out = io.BytesIO()
    doc.save(out)
    assert [c.text for c in table.rows[3].cells] == ["三、本年度办理结果", *["四、结转下年度继续办理"] * 2, ""]
    lines = read_docx(out.getvalue()).lines
    assert [[(c.text, c.locator) for c in line.cells] for line in lines] == [
        [
            ("三、本年度办理结果", "table 1, row 1, column 1"),
            ("（一）予以公开", "table 1, row 1, column 2"),
            ("5", "table 1, row 1, column 4"),
        ],
        [
            ("（三）不予公开", "table 1, row 2, column 2"),
            ("1.属于国家秘密", "table 1, row 2, column 3"),
            ("0", "table 1, row 2, column 4"),
        ],
        [("（七）总计", "table 1, row 3, column 2"), ("6", "table 1, row 3, column 4")],
        [("四、结转下年度继续办理", "table 1, row 4, column 2"), ("", "table 1, row 4, column 4")],
    ]


def test_xlsx_merged_range_value_comes_once():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "表"
    sheet["A1"] = "信息内容"
    sheet["B1"] = "本年处理决定数量"
    sheet.merge_cells("B1:D1")
    sheet["A2"] = "行政许可"
    sheet["B2"] = 9487
    sheet.merge_cells("B2:D2")
    sheet["A3"] = "行政事业性收费"
    sheet["B3"] = 24252.311082
    out = io.BytesIO()
    book.save(out)
    lines = read_xlsx(out.getvalue()).lines
    assert [[c.text for c in line.cells] for line in lines] == [
        ["信息内容", "本年处理决定数量"],
        ["行政许可", "9487"],
        ["行政事业性收费", "24252.311082", "", ""],
    ]
    assert lines[1].cells[1].locator == "sheet '表', cell B2"


# --------------------------------------------------------------------------
# Bad files: one clear line
# --------------------------------------------------------------------------

TRUNCATED = HONGZE.read_bytes()[:120_000]
BAD_FILES = {
    "scan.pdf": (
        G.render_scanned_pdf(2),
        # grey bars where text would be: OCR (the ocr extra, in [test]) reads no form in them
        "scan.pdf: no report tables found (no template labels such as 第二十条第（一）项 or 申请人情况)",
    ),
    "report.doc": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "report.doc: legacy Office file (.doc/.xls) is not supported; convert it first, "
        "e.g. `libreoffice --headless --convert-to docx FILE`",
    ),
    "truncated.pdf": (TRUNCATED, "truncated.pdf: not a readable PDF, perhaps truncated or damaged (Unexpected EOF)"),
    "empty.html": (b" \r\n\t\n", "empty.html: file is empty (whitespace only)"),
    "zero.txt": (b"", "zero.txt: file is empty"),
    "broken.docx": (
        b"PK\x03\x04" + b"\0" * 26 + b"word/document.xml" + b"\0" * 40,
        "broken.docx: not a readable DOCX file, perhaps truncated or damaged (BadZipFile: File is not a zip file)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_gives_one_clear_line(name):
    data, message = BAD_FILES[name]
    with pytest.raises(GicstatsError) as info:
        gicstats.read_report(data, name=name)
    assert str(info.value) == message


def test_bad_files_through_the_cli(tmp_path):
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / name) for name in sorted(BAD_FILES)]
    done = subprocess.run(
        [sys.executable, "-m", "gicstats.cli", "parse", *paths, str(HONGZE), "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2  # a file that cannot be read exits 2, as for `check` (issue 15)
    assert done.stderr.splitlines() == [f"gicstats: {tmp_path}/{BAD_FILES[name][1]}" for name in sorted(BAD_FILES)]
    assert "Traceback" not in done.stderr
    # the good file among them is still read
    assert "applications,new_received,natural_person,95.0" in done.stdout


# --------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------

PAGE = (
    "<html><head>{meta}<title>某县镕喆珺局2023年政府信息公开工作年度报告</title></head><body>"
    "<p>本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。</p>"
    "<table><tr><td>行政许可</td><td>1282</td></tr></table></body></html>"
)


def _decoded(data: bytes, charset: str | None = None) -> str:
    return decode(Source("page.html", data, "", charset))


@pytest.mark.parametrize(
    ("meta", "encoding"),
    [
        ("", "gbk"),  # no declaration at all
        ("", "gb2312"),
        ("<meta charset='gbk'>", "gbk"),
        ("<meta http-equiv='Content-Type' content='text/html; charset=gb2312'>", "gbk"),  # gb2312, GBK-only chars
        ("<meta charset='iso-8859-1'>", "gbk"),  # declared wrongly: Latin-1 decodes, into gibberish
        ("<meta charset='utf-8'>", "gb18030"),  # declared wrongly: does not decode
        ("<meta charset='gb2312'>", "utf-8"),  # declared wrongly: UTF-8 after all
        ("", "utf-8-sig"),  # with a byte-order mark
    ],
)
def test_encoding_detected(meta, encoding):
    text = PAGE.format(meta=meta)
    if encoding == "gb2312":
        text = text.replace("镕喆珺", "")  # GB2312 lacks them
    assert _decoded(text.encode(encoding)) == text


def test_gb18030_only_character():
    """𠮷 (U+20BB7) has no GBK code: four bytes in GB18030 only."""
    text = PAGE.format(meta="<meta charset='gb2312'>").replace("镕喆珺", "𠮷")
    data = text.encode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert _decoded(data) == text
    report = gicstats.read_report(data, name="x.html")
    assert report.agency == "某县𠮷局"
    assert report.cells["raw"].tolist() == ["1282"]


def test_declared_charset_honoured_when_right():
    """Big5 bytes declared Big5 stay Big5 (GB18030 would decode them too, wrongly)."""
    text = (
        "<html><head><meta charset='big5'><title>某縣政府2023年政府資訊公開工作年度報告</title></head>"
        "<body><p>行政許可 1282 件，統計期限自2023年1月1日起。</p></body></html>"
    )
    data = text.encode("big5")
    assert data.decode("gb18030") != text  # GB18030 decodes it, into other characters
    assert _decoded(data) == text


def test_server_charset_is_a_declaration_too():
    text = PAGE.format(meta="")
    assert _decoded(text.encode("gbk"), charset="GB2312") == text
    # and is overridden when it is wrong
    assert _decoded(text.encode("gbk"), charset="iso-8859-1") == text


def test_repairs_of_a_damaged_pdf_are_findings(monkeypatch):
    """A byte damaged near the end of page 1's deflated contents.

    pdfminer inflates what it can and logs the loss; the report has its
    cells but one (the last drawn on the page) and says what was repaired.
    """
    from reportlab import rl_config

    monkeypatch.setattr(rl_config, "useA85", 0)  # deflated contents, no ASCII85 around them
    data = bytearray(G.render_pdf(G.balanced_values("2021", random.Random(3)), "2021", "某市某局", 2021))
    starts = [m.end() for m in re.finditer(rb"(?<!end)stream\r?\n", data)]
    length = data.index(b"endstream", starts[0]) - starts[0]
    clean_bytes = bytes(data)
    clean = gicstats.read_report(clean_bytes, name="clean.pdf")
    assert "source.repaired" not in set(clean.findings["rule"])
    data[starts[0] + int(length * 0.95)] ^= 0xFF
    report = gicstats.read_report(bytes(data), name="damaged.pdf")
    assert len(report.cells) == len(clean.cells) - 1
    repaired = report.findings[report.findings["rule"] == "source.repaired"]
    assert list(repaired["actual"]) == ["pdfminer: Data-loss while decompressing corrupted data"]
    assert list(repaired["severity"]) == ["warning"]

    # pdfminer logs to one logger for all threads: a clean file read beside
    # damaged ones in other threads gets none of their repairs
    from concurrent.futures import ThreadPoolExecutor

    inputs = [bytes(data) if i % 2 else clean_bytes for i in range(8)]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda d: gicstats.read_report(d, name="r.pdf"), inputs))
    assert [("source.repaired" in set(r.findings["rule"])) for r in reports] == [i % 2 == 1 for i in range(8)]
