"""A provincial variant's row (其他主动公开文件) is read, or null with a finding.

The row is local (Hubei's 2020 form): a report of the national form does not
print it, so its absence says nothing. A report that prints its label and
whose row is not read would leave its cells null with nothing saying why; so
would a pipe row whose label a page wrapped (``pdftotext`` of LibreOffice's
PDF of Tianmen's text), which is read whole.
"""

from __future__ import annotations

import io

import pandas as pd
from helpers import DATA, load_truth

import gicstats

_ROW = "active_art20_1.other_proactive_documents"
_CELLS = [f"{_ROW}.{c}" for c in ("new_made", "new_published", "total_published")]


def _tianmen() -> str:
    return (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8")


def _wrapped_as_pdftotext(text: str) -> str:
    """Tianmen's two long labels of table 第二十条第(一)项 broken where ``pdftotext -layout`` breaks them.

    As in the text of LibreOffice's PDF of the report (the lines of
    ``shapes.py``'s ``lo.pdf|pdftotext``).
    """
    for head in (
        "规范性文件(行政机关制定发布的决定、公告、通告、意见、通知,以及标题采用“规定”“办法”“细则”",
        "其他主动公开文件(含以本单位或本单位办公室名义正式签发的、除规范性文件以外的主动公开文件,可参考",
    ):
        assert text.count(head) == 1, head
        text = text.replace(head, head + "\n")
    return text


def _findings_naming(report, key: str):
    f = report.findings
    return f[f["cells"].fillna("").str.split(", ").apply(lambda parts: key in parts)]


def test_the_source_reads_the_local_row_and_says_nothing_of_it():
    report = gicstats.read_report(_tianmen().encode("utf-8"), name="tianmen.txt")
    assert report.table("active_art20_1", labels=False).loc["other_proactive_documents"].tolist() == [3, 3, 4]
    assert _findings_naming(report, _ROW).empty


def test_a_national_report_without_the_row_gets_no_finding_for_it():
    for name in ("pingtan_2019.txt", "pingtan_2021.txt", "shanghai_bgt_2019.html", "hongze_2024.pdf"):
        report = gicstats.read_report(DATA / name)
        assert "other_proactive_documents" not in set(report.cells["row"]), name
        assert not report.findings["cells"].fillna("").str.contains("other_proactive_documents").any(), name


def test_a_row_whose_label_the_page_wrapped_is_read_whole():
    text = _wrapped_as_pdftotext(_tianmen())
    assert "可参考\n本单位政府信息公开平台“其他主动公开文件”栏目数据) | 3 | 3 | 4 |" in text
    report = gicstats.read_report(text.encode("utf-8"), name="tianmen_wrapped.txt")
    apps = report.table("active_art20_1", labels=False)
    assert apps.loc["normative_documents"].tolist() == [4, 4, 9]
    assert apps.loc["other_proactive_documents"].tolist() == [3, 3, 4]
    # the values' locator is the line that prints them
    lines = text.split("\n")
    locator = report.cells.set_index(["table", "row", "column"]).loc[
        ("active_art20_1", "other_proactive_documents", "total_published"), "locator"
    ]
    number = int(locator.split(",")[0].removeprefix("line "))
    assert lines[number - 1].endswith("栏目数据) | 3 | 3 | 4 |"), locator
    assert not (report.findings["rule"] == "parse.unknown_label").any()


def _paragraphs_docx(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_tianmen_as_docx_paragraphs_reads_the_local_row():
    """Tianmen's lines as paragraphs of a DOCX (as LibreOffice saves a text as DOCX): the pipe rows are read."""
    report = gicstats.read_report(_paragraphs_docx(_tianmen().split("\n")), name="tianmen_paragraphs.docx")
    assert report.table("active_art20_1", labels=False).loc["other_proactive_documents"].tolist() == [3, 3, 4]
    assert _findings_naming(report, _ROW).empty


def test_a_printed_local_row_not_read_is_null_with_a_finding():
    """Tianmen's lines as paragraphs of a DOCX, typed with full-width bars (｜): no reader takes them for cells.

    No row of the tables is read; each of the local row's cells is null, and
    a finding names it.
    """
    lines = [line.replace("|", "｜") for line in _tianmen().split("\n")]
    report = gicstats.read_report(_paragraphs_docx(lines), name="tianmen_paragraphs.docx")
    assert report.agency == load_truth("tianmen_police_2020")["agency"]
    cells = report.cells.set_index(["table", "row", "column"])
    for key in _CELLS:
        table, row, column = key.split(".")
        assert (table, row, column) not in cells.index or pd.isna(cells.loc[(table, row, column), "value"])
    found = _findings_naming(report, _ROW)
    assert list(found["rule"]) == ["parse.missing_row"]
    assert found["cells"].iloc[0] == _ROW
    assert "其他主动公开文件" in found["message"].iloc[0]
