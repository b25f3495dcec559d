"""The real reports through the real text producers (issue 12, items 3-8).

Every real report of ``data/`` (and of ``shared/corpus/raw`` where it holds
other bytes) is turned into text by the tools people use on such pages, in
the test, and read back; every truth cell must come out exact:

- ``w3m -dump`` (Debian ``w3m``): tables drawn with box characters;
- ``html2text`` (PyPI, GPL-3.0, a test-only dependency): pipe tables;
- ``markitdown`` (PyPI, MIT, a test-only dependency): Markdown tables with
  ``|---|`` separator rows and spanned cells written as empty cells;
- ``pdftotext -layout`` (Debian ``poppler-utils``): the PDF's text layer in
  columns, labels wrapped over lines.

Producers that lose what cannot be recovered (``lynx -dump`` drops blank
cells and so their positions; ``pdftotext`` without ``-layout`` and
markitdown's PDF tables scatter a row over lines and cells) must still give
no wrong number: every cell they give is exact, the rest is null with a
finding. Then the mutilations real sources show, on every producer's
output: CJK radicals for ideographs, GBK re-encoding, a title wrapped over
lines with spaces, and page footers inside a table.

A producer that is not installed skips its cases, saying which package to
install; ``.ci/run`` installs them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers import DATA, SHARED_CORPUS, TRUTH

import gicstats
from gicstats.form.radicals import RADICAL_TO_IDEOGRAPH

TRUTHS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(TRUTH.glob("*.json"))}


def _sources() -> list[tuple[str, Path]]:
    """(truth name, path) of every real report.

    From data/, and from shared/corpus/raw where its bytes differ from
    data/'s.
    """
    out = []
    for name, truth in TRUTHS.items():
        bundled = DATA / truth["file"]
        out.append((name, bundled))
        shared = SHARED_CORPUS / "raw" / truth["file"]
        if (
            shared.is_file()
            and hashlib.sha256(shared.read_bytes()).digest() != hashlib.sha256(bundled.read_bytes()).digest()
        ):
            out.append((name, shared))
    return out


SOURCES = _sources()


# --------------------------------------------------------------------------
# Producers: each turns a real report into the text a user would hold
# --------------------------------------------------------------------------


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {package}; .ci/run installs it)")
    return path


def _run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, timeout=120).stdout.decode("utf-8")


def w3m(path: Path) -> str:
    return _run([_tool("w3m", "w3m"), "-dump", "-T", "text/html", "-I", "UTF-8", "-O", "UTF-8", str(path)])


def w3m_wide(path: Path) -> str:
    cmd = [_tool("w3m", "w3m"), "-dump", "-cols", "200", "-T", "text/html", "-I", "UTF-8", "-O", "UTF-8"]
    return _run([*cmd, str(path)])


def lynx(path: Path) -> str:
    return _run([_tool("lynx", "lynx"), "-dump", "-nolist", "-width=200", "-display_charset=utf-8", str(path)])


def html2text_(path: Path) -> str:
    html2text = pytest.importorskip("html2text", reason="pip install html2text (test-only, GPL-3.0)")
    return html2text.html2text(path.read_text(encoding="utf-8"))


def markitdown(path: Path) -> str:
    mod = pytest.importorskip("markitdown", reason="pip install 'markitdown[pdf]' (test-only, MIT)")
    return mod.MarkItDown().convert(str(path)).text_content


def pdftotext_layout(path: Path) -> str:
    return _run([_tool("pdftotext", "poppler-utils"), "-layout", "-enc", "UTF-8", str(path), "-"])


def pdftotext_raw(path: Path) -> str:
    return _run([_tool("pdftotext", "poppler-utils"), "-enc", "UTF-8", str(path), "-"])


def as_is(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# producer -> (the suffixes it takes, function, exact: every cell must be read)
PRODUCERS = {
    "as-is": ((".txt",), as_is, True),
    "w3m": ((".html",), w3m, True),
    "w3m-wide": ((".html",), w3m_wide, True),
    "html2text": ((".html",), html2text_, True),
    "markitdown-html": ((".html",), markitdown, True),
    "pdftotext-layout": ((".pdf",), pdftotext_layout, True),
    "lynx": ((".html",), lynx, False),
    "pdftotext": ((".pdf",), pdftotext_raw, False),
    "markitdown-pdf": ((".pdf",), markitdown, False),
}

# --------------------------------------------------------------------------
# Mutilations real sources show
# --------------------------------------------------------------------------

# ideograph -> radical, as fonts of some PDFs map them (the issue's six)
_TO_RADICAL = str.maketrans({"民": "⺠", "长": "⻓", "黄": "⻩", "车": "⻋", "见": "⻅", "门": "⻔"})
_TITLE = re.compile(r"^[^\S\n]*(?:标题:\s*)?(\S*?)((?:19|20)\d{2})\s*(年度?)(\S*?政府信息公开)(工作年度报告)\s*$", re.M)
_TOTAL_ROW = re.compile(r"^.*[(（]七[)）]\s*总\s*计.*$", re.M)


def radicals(text: str) -> str:
    out = text.translate(_TO_RADICAL)
    assert out != text
    return out


def wrapped_title(text: str) -> str:
    """The title over two lines, a space between year and 年.

    A "标题:" line (the archiver's) is dropped so the title itself must be
    found.
    """
    m = _TITLE.search(text)
    assert m, "no title line to wrap"
    wrapped = f"{m.group(1)}{m.group(2)} {m.group(3)}{m.group(4)}\n{m.group(5)}"
    return text[: m.start()] + wrapped + text[m.end() :]


def footers(text: str) -> str:
    """A page footer inside table 三, before its （七）总计 row.

    As the producer would write a row of its own.
    """
    m = _TOTAL_ROW.search(text)
    if m is None or len(m.group(0)) > 400:
        pytest.skip("table 三 is not on lines of its own in this text (a one-line dump)")
    line = m.group(0)
    if line.lstrip().startswith("|"):
        cells = line.count("|") - 1
        footer = "| — 5 — |" + " |" * (cells - 1)
    elif "│" in line or "|" in line:
        footer = "│— 5 —│"
    else:
        footer = "                                   — 5 —"
    return text[: m.start()] + footer + "\n" + text[m.start() :]


MUTILATIONS = {"none": None, "radicals": radicals, "wrapped-title": wrapped_title, "footers": footers, "gbk": None}


# --------------------------------------------------------------------------
# Scoring against the truth
# --------------------------------------------------------------------------


def _score(report: gicstats.Report, truth: dict) -> tuple[list, list]:
    """(wrong cells, unread cells) against the truth.

    A blank counts as 0, as in tests/unit/test_corpus.py.
    """
    cells = report.cells.set_index(["table", "row", "column"])
    wrong, unread = [], []
    for key, expected in truth["cells"].items():
        try:
            hit = cells.loc[tuple(key.split("."))]
        except KeyError:
            unread.append((key, expected, "absent"))
            continue
        value, raw = hit["value"], hit["raw"]
        if pd.isna(value):
            if not (expected == 0 and str(raw).strip() == ""):
                unread.append((key, expected, raw))
        elif value != expected:
            wrong.append((key, expected, value))
    return wrong, unread


def _cases():
    for name, path in SOURCES:
        for producer, (suffixes, _, _) in PRODUCERS.items():
            if path.suffix in suffixes:
                for mutilation in MUTILATIONS:
                    yield pytest.param(name, path, producer, mutilation, id=f"{path.stem}-{producer}-{mutilation}")


@pytest.mark.parametrize(("name", "path", "producer", "mutilation"), list(_cases()))
def test_real_report_through_real_producer(name, path, producer, mutilation, tmp_path):
    truth = TRUTHS[name]
    _, produce, exact = PRODUCERS[producer]
    text = produce(path)
    change = MUTILATIONS[mutilation]
    if change is not None:
        text = change(text)
    data = text.encode("gbk") if mutilation == "gbk" else text.encode("utf-8")
    report = gicstats.read_report(data, name=f"{path.stem}.{producer}.{mutilation}.txt")
    assert (report.agency, report.year, report.template_version) == (truth["agency"], truth["year"], truth["template"])
    wrong, unread = _score(report, truth)
    assert not wrong, wrong  # never a wrong number, from any producer
    if exact:
        assert not unread, unread
    else:
        # what a lossy producer could not give is null with a finding naming it
        parse = report.findings[report.findings["rule"].str.startswith("parse.")]
        for key, _, _ in unread:
            assert (
                parse["cells"].str.contains(key, regex=False).any()
                or parse["rule"].isin(["parse.missing_table", "parse.missing_row"]).any()
            ), key


def test_radicals_folded_in_agency_labels_and_narrative_raw_kept():
    """⺠ for 民 and friends.

    The agency, the labels and the narrative read as ideographs; cells
    keep their text as printed, the title too.
    """
    source = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8")
    report = gicstats.read_report(radicals(source).encode("utf-8"), name="tianmen_radicals.txt")
    truth = TRUTHS["tianmen_police_2020"]
    assert report.agency == "天门市公安局" == truth["agency"]
    assert "⻔" in report.title
    assert _score(report, truth) == ([], [])
    assert "⻔" not in report.sections["overview"] and "门" in report.sections["overview"]
    assert "⻔" in report.narrative  # the text as printed


def test_radical_table_covers_the_block_from_unicode_data():
    # every radical the UCD maps (EquivalentUnifiedIdeograph.txt) in
    # U+2E80-U+2EFF; U+2E9F and U+2EF3 are also NFKC's own decompositions
    assert len(RADICAL_TO_IDEOGRAPH) == 114
    assert all(0x2E80 <= k <= 0x2EFF for k in RADICAL_TO_IDEOGRAPH)
    unified = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x20000, 0x2FFFF))  # the URO and extensions A to I
    assert all(any(lo <= ord(v) <= hi for lo, hi in unified) for v in RADICAL_TO_IDEOGRAPH.values())
    assert RADICAL_TO_IDEOGRAPH[0x2E9F] == "母" and RADICAL_TO_IDEOGRAPH[0x2EF3] == "龟"
    got = "".join(RADICAL_TO_IDEOGRAPH[ord(c)] for c in "⺠⻓⻩⻋⻅⻔")
    assert got == "民长黄车见门"


@pytest.mark.parametrize(
    ("lines", "agency", "year"),
    [
        (["2025 年××市人民政府办公厅政府信息公开", "工作年度报告"], "××市人民政府办公厅", 2025),
        (["淮安市洪泽区人民政府", "2024 年政府信息公开工作年度报告"], "淮安市洪泽区人民政府", 2024),
        (["2023 年 市科委 政府信息公开工作年度报告"], "市科委", 2023),
        (["区发改局", "2022年政府信息公开工作年度报告"], "区发改局", 2022),
        (["人⺠政府", "2022年政府信息公开工作年度报告"], "人民政府", 2022),
        # page chrome above a title is not an agency
        (["首页>政务公开>年报", "2022年政府信息公开工作年度报告"], None, 2022),
    ],
)
def test_wrapped_and_short_titles(lines, agency, year):
    from gicstats.read.meta import find_title

    _, found_agency, found_year = find_title("\n".join([*lines, "一、总体情况", "本年度……"]))
    assert (found_agency, found_year) == (agency, year)


def test_markdown_header_split_label_on_its_own_line_group_label_cells():
    """Item 4 shapes, built from shanghai's table 三 as markitdown writes it.

    The body split from the header into a Markdown table of its own, a row
    label alone on its lines with its numbers in the next, label-less row,
    and a group label split into a cell of its own (``| （三）不 | 1.…``);
    separator rows are never values.
    """
    source = markitdown(DATA / "shanghai_bgt_2019.html")
    lines = source.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("| 一、本年新收"))
    width = lines[first].count("|") - 1
    # a table of its own: a blank line, the first body row, its separator row
    lines.insert(first, "")
    lines.insert(first + 2, "| " + " | ".join(["---"] * width) + " |")
    partial = next(i for i, line in enumerate(lines) if line.startswith("| （二）部分公开"))
    cells = [c.strip() for c in lines[partial].strip().strip("|").split("|")]
    assert cells[0].startswith("（二）部分公开") and cells[1] == "" and len(cells) == 9
    lines[partial : partial + 1] = [
        "（二）部分公开（区分处理的，只计这一情",
        "形，不计其他情形）",
        "| " + " | ".join(cells[2:]) + " |",
    ]
    text = "\n".join(lines)
    assert "| （三）不予公开 | 1.属于国家秘密" in text
    text = text.replace("| （三）不予公开 | 1.属于国家秘密", "| （三）不 | 1.属于国家秘密")
    report = gicstats.read_report(text.encode("utf-8"), name="shanghai_md_shapes.txt")
    assert _score(report, TRUTHS["shanghai_bgt_2019"]) == ([], [])


def test_markdown_span_padding_that_cannot_be_told_is_null_with_a_finding():
    """A Markdown row with more cells than columns, padded ambiguously, is not read.

    Where its empty cells could be padding in more than one place it is
    null, and the finding says why, never a shifted row.
    """
    head = "| 三、收到和处理政府信息公开申请情况 | | | | | | | |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    rows = [
        "| 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 | |",
        # 9 cells for 7 columns: the two blanks are padding only if leading
        "| 一、本年新收政府信息公开申请数量 | 3 | | 1 | | 0 | 0 | 4 | |",
    ]
    report = gicstats.read_report((head + "\n".join(rows)).encode("utf-8"), name="md_pad.txt")
    new = report.cells[(report.cells["table"] == "applications") & (report.cells["row"] == "new_received")]
    assert new["value"].isna().all()
    f = report.findings[report.findings["rule"] == "parse.ambiguous_alignment"]
    assert len(f) == 1 and "占位" in f["message"].iloc[0]


def test_narrative_scope_follows_its_parent():
    """Item 8.

    75 = 本年新收 74 + 上年结转 1; its parts take the same scope (72 = 71 + 1),
    so no error, and the scope shows in the message.
    """
    from test_narrative import apps_table, build

    from gicstats.check.narrative import compare_narrative

    table = apps_table(new=74, prev=1, granted=75, partial=0, unable_not_held=0)
    table["new_received"] = [71, 3, 0, 0, 0, 0, 74]
    table["carried_over_from_prev"] = [1, 0, 0, 0, 0, 0, 1]
    table["granted"] = [72, 3, 0, 0, 0, 0, 75]
    table["results_total"] = [72, 3, 0, 0, 0, 0, 75]
    text = "全区收到政府信息公开申请75件，涉及自然人72件、商业企业3件。"
    findings = compare_narrative(build(apps_text=text, apps=table))
    assert [f.severity for f in findings] == ["warning"], [f.message for f in findings]
    assert "本年新收+上年结转" in findings[0].message and findings[0].actual == "75"
    # a part that disagrees in that scope is an error, and says which scope
    wrong = compare_narrative(build(apps_text=text.replace("自然人72件", "自然人70件"), apps=table))
    errors = [f for f in wrong if f.severity == "error"]
    assert len(errors) == 1
    cells = "applications.new_received.natural_person, applications.carried_over_from_prev.natural_person"
    assert errors[0].cells == cells
    assert "口径随上文" in errors[0].message and "本年新收+上年结转" in errors[0].message


def test_last_row_run_into_the_next_heading():
    """Item 6.

    A flattened page, 四、结转下年度继续办理 0000000 四、…行政复议…: the row is read (its
    digits split under the identities) and the heading still opens its
    section.
    """
    lines = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8").split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith("四、结转下年度继续办理"))
    assert lines[i + 1].startswith("四、")
    lines[i : i + 2] = ["四、结转下年度继续办理 0000000 " + lines[i + 1]]
    report = gicstats.read_report("\n".join(lines).encode("utf-8"), name="tianmen_flattened.txt")
    assert _score(report, TRUTHS["tianmen_police_2020"]) == ([], [])
    assert list(report.table("applications", labels=False).loc["carried_to_next"]) == [0] * 7
    assert report.findings.empty
    assert "review_litigation" in report.sections


# --------------------------------------------------------------------------
# Item 7: collapsed cells
# --------------------------------------------------------------------------


def _collapse_pipe_rows(text: str) -> str:
    """Drop, in each ``|`` row, a non-empty cell equal to the one before it.

    What an archiver that drops consecutive identical text nodes leaves.
    """
    out = []
    for line in text.split("\n"):
        if " | " in line:
            cells = line.split("|")
            line = "|".join(
                c for i, c in enumerate(cells) if i == 0 or not c.strip() or c.strip() != cells[i - 1].strip()
            )
        out.append(line)
    return "\n".join(out)


def test_collapsed_cells_of_a_real_report_expand_under_the_identities():
    """Collapsed zero rows expand only one way, with a finding naming the expansion.

    Tianmen's zero rows (``label | 0 | 0 | … | 0 |``) arrive as one ``0``,
    table 四's line of fifteen zeros as one ``0``. Table 二 has no identity to
    expand under: its collapsed rows (``规章 | 0 | 18``) are null, with a
    finding listing the candidates (0,0,18 and 0,18,18); so is ``行政事业性收费 | 0 | |``, whose empty cell may pad the
    row to the table's width (0, 0 collapsed) or be a blank cell (0, blank).
    """
    source = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8")
    collapsed = _collapse_pipe_rows(source)
    assert "一、本年新收政府信息公开申请数量 | 0 |" in collapsed and "| 0 | 0 |" not in collapsed
    report = gicstats.read_report(collapsed.encode("utf-8"), name="tianmen_collapsed.txt")
    wrong, unread = _score(report, TRUTHS["tianmen_police_2020"])
    assert not wrong, wrong
    assert {key.split(".")[0] for key, _, _ in unread} <= {
        "active_art20_1",
        "active_art20_5",
        "active_art20_6",
        "active_art20_8",
    }
    short = report.findings[report.findings["rule"] == "parse.short_row"]
    for key, _, _ in unread:
        if not key.startswith("active_art20_8."):
            assert short["cells"].str.contains(key, regex=False).any(), key
    # the candidates are listed: table 二's 规章 row printed 0 | 18 (truth 0, 0, 18)
    rules = short[short["cells"].str.startswith("active_art20_1.regulations.")].iloc[0]
    assert rules["actual"] == "0 | 18"
    assert sorted(rules["expected"].split(" | ")) == ["0,0,18", "0,18,18"]
    assert "可展开为" in rules["message"] and "0,0,18" in rules["message"]
    fee = report.findings[report.findings["cells"].str.startswith("active_art20_8.admin_fees.")]
    assert list(fee["rule"]) == ["parse.ambiguous_collapse"]
    assert fee["expected"].iloc[0] == "0,空 | 0,0"
    assert report.table("active_art20_8", labels=False).isna().all().all()
    assert not any(key.startswith(("applications.", "review_litigation.")) for key, _, _ in unread)
    expanded = report.findings[report.findings["rule"] == "parse.collapsed_cells"]
    assert len(expanded) >= 20  # every table-三 row and table 四
    row = expanded[expanded["cells"].str.startswith("applications.new_received.")].iloc[0]
    assert (row["actual"], row["expected"]) == ("0", "0,0,0,0,0,0,0")
    review = expanded[expanded["cells"].str.startswith("review_litigation.")].iloc[0]
    assert review["expected"] == ",".join(["0"] * 15)


def _hand_built(rows: dict[str, str], review: str) -> gicstats.Report:
    """Tianmen with some table-三 rows and table 四's value line replaced."""
    lines = (DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        for label, cells in rows.items():
            if line.startswith(label + " |"):
                lines[i] = f"{label} | {cells} |"
    i = max(k for k, line in enumerate(lines) if line.startswith("结果维持 | 结果纠正"))
    assert lines[i + 1].startswith("0 | 0")
    lines[i + 1] = review
    return gicstats.read_report("\n".join(lines).encode("utf-8"), name="collapsed.txt")


def test_collapsed_cells_the_issue_shapes():
    report = _hand_built(
        {
            "一、本年新收政府信息公开申请数量": "46 | 0 | 46",
            "(七)总计": "46 | 0 | 46",
            # a full row is never expanded, though its 0s repeat
            "四、结转下年度继续办理": "0 | 0 | 0 | 0 | 0 | 0 | 0",
        },
        "1 | 0 | 1 | 0 |",
    )
    apps = report.table("applications", labels=False)
    for row in ("new_received", "results_total"):
        assert list(apps.loc[row]) == [46, 0, 0, 0, 0, 0, 46], row
    assert list(apps.loc["carried_to_next"]) == [0] * 7
    rl = report.table("review_litigation", labels=False)
    assert rl.values.tolist() == [[1, 0, 0, 0, 1], [0] * 5, [0] * 5]
    found = report.findings.set_index("cells")
    message = found.loc[", ".join(f"applications.new_received.{c}" for c in apps.columns), "message"]
    assert "46,0,0,0,0,0,46" in message and "唯一" in message
    assert not found.index.str.startswith("applications.carried_to_next").any()


def test_collapsed_cells_that_expand_more_than_one_way_are_null_with_the_candidates():
    # 1 | 0 | 1 | 0 | 2 is 1,0,1,0,0,0,2 or 1,0,0,1,0,0,2 or …: all add up
    report = _hand_built(
        {"一、本年新收政府信息公开申请数量": "1 | 0 | 1 | 0 | 2"},
        "0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
    )
    assert report.table("applications", labels=False).loc["new_received"].isna().all()
    f = report.findings[report.findings["rule"] == "parse.ambiguous_collapse"]
    assert len(f) == 1
    named = f["expected"].iloc[0].split(" | ")
    assert "1,0,1,0,0,0,2" in named and "1,0,0,1,0,0,2" in named and "1,0,1,1,1,0,2" not in named
    # a row whose values cannot be any expansion is left as before: short
    plain = _hand_built(
        {"一、本年新收政府信息公开申请数量": "5 | 3 | 7"}, "0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"
    )
    assert "parse.collapsed_cells" not in set(plain.findings["rule"])


def test_a_short_row_with_blank_cells_is_not_placed_by_guess():
    report = _hand_built(
        {"一、本年新收政府信息公开申请数量": "46 | | 46"}, "0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"
    )
    assert report.table("applications", labels=False).loc["new_received"].isna().all()
    assert "parse.short_row" in set(report.findings["rule"])


# --------------------------------------------------------------------------
# The generator's new shapes, under hypothesis
# --------------------------------------------------------------------------

import generate as G  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_roundtrip import (  # noqa: E402
    AGENCIES,
    PROPERTY,
    VARIANTS,
    assert_meta,
    assert_roundtrip,
    balanced_values,
    free_values,
    name_for,
    read_values,
)


@pytest.mark.parametrize("version", ["2019", "2021"])
@PROPERTY
@given(
    data=st.data(),
    agency=st.sampled_from(AGENCIES),
    year=st.integers(2019, 2025),
    variant=VARIANTS,
    wrap_title=st.booleans(),
    footer=st.booleans(),
)
def test_markdown_roundtrip(version, data, agency, year, variant, wrap_title, footer):
    """Markdown tables as markitdown writes them.

    Separator rows, spans as empty cells after the spanning cell, rowspans
    left out, a wrapped title, a page footer row inside table 三. Table 二's
    value cells span, so a blank there cannot be told from padding: values
    are drawn without blanks.
    """
    values = data.draw(free_values(version, blanks=False), label="values")
    text = G.render_markdown(values, version, agency, year, variant=variant, wrap_title=wrap_title, footer=footer)
    report = gicstats.read_report(text.encode("utf-8"), name=name_for("markdown", agency, year))
    assert_meta(report, version, agency, year)
    assert_roundtrip(report, values)


@pytest.mark.parametrize("version", ["2019", "2021"])
@PROPERTY
@given(data=st.data(), variant=VARIANTS)
def test_collapsed_pipe_rows_never_give_a_wrong_number(version, data, variant):
    """Pipe rows with runs of equal cells collapsed.

    Every cell is exact or null under a finding, an expansion is the printed
    row, and where several expansions fit the printed row is among those
    listed.
    """
    values = data.draw(balanced_values(version), label="values")
    # rows keep the empty cells that pad them to the grid's width: a
    # collapsed row whose padding makes up its count is not read as printed
    piped = G.render_pipe(values, version, "某市某局", 2021, variant=variant)
    text = _collapse_pipe_rows(piped)
    report = gicstats.read_report(text.encode("utf-8"), name="collapsed.txt")
    got = read_values(report)
    wrong = [(k, v, got[k]) for k, v in values.items() if got.get(k) is not None and got[k] != float(v)]
    assert not wrong, wrong
    found = report.findings
    for f in found[found["rule"] == "parse.ambiguous_collapse"].itertuples():
        keys = [tuple(c.split(".")) for c in f.cells.split(", ")]
        printed = ",".join(G.format_value(values[k]) for k in keys)
        assert printed in f.expected.split(" | "), (printed, f.expected)
    unread = {k for k in values if got.get(k) is None and k[0] in ("applications", "review_litigation")}
    excused = {tuple(c.split(".")) for text in found["cells"] for c in text.split(", ") if c}
    assert unread <= excused


def test_a_collapsed_row_padded_to_the_tables_width():
    """``46 | 0 | 46`` with empty cells after it that make up the seven columns.

    On a page where nothing prints two equal values side by side (an archiver
    dropped every repeated cell), the printed reading (46 under 科研机构,
    总计 blank) breaks the row identity and one expansion satisfies it: that
    one is read, with parse.collapsed_cells. ``0`` padded out could be 0 and
    six blanks or seven 0s: null, both listed. On a page that prints repeats,
    the same rows are read as printed.
    """
    lines = _collapse_pipe_rows((DATA / "tianmen_police_2020.txt").read_text(encoding="utf-8")).split("\n")
    rows = {"一、本年新收政府信息公开申请数量": "46 | 0 | 46 | | | | |", "(七)总计": "46 | 0 | 46 | | | | | |"}
    for i, line in enumerate(lines):
        for label, cells in rows.items():
            if line.startswith(label + " |"):
                lines[i] = f"{label} | {cells}"
    report = gicstats.read_report("\n".join(lines).encode("utf-8"), name="padded.txt")
    apps = report.table("applications", labels=False)
    assert list(apps.loc["new_received"]) == [46, 0, 0, 0, 0, 0, 46]
    assert list(apps.loc["results_total"]) == [46, 0, 0, 0, 0, 0, 46]
    found = report.findings.set_index("cells")
    new = found.loc[", ".join(f"applications.new_received.{c}" for c in apps.columns)]
    assert (new["rule"], new["expected"]) == ("parse.collapsed_cells", "46,0,0,0,0,0,46")
    # 二、上年结转 is "0 | ||" collapsed: its padding does not reach seven cells, a short row expanded
    assert list(apps.loc["carried_over_from_prev"]) == [0] * 7
    # with a row that prints repeats, the page's producer does not collapse: read as printed
    lines[next(i for i, ln in enumerate(lines) if ln.startswith("二、上年结转"))] = (
        "二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"
    )
    plain = gicstats.read_report("\n".join(lines).encode("utf-8"), name="padded.txt")
    assert list(plain.table("applications", labels=False).loc["new_received"].iloc[:3]) == [46, 0, 46]
    assert plain.table("applications", labels=False).loc["new_received"].iloc[3:].isna().all()
    assert "parse.collapsed_cells" not in set(
        plain.findings[plain.findings["cells"].str.startswith("applications.new_received", na=False)]["rule"]
    )
