"""Write the bad-input corpus: files that must each end in one clear line.

Nothing here is committed as a binary: ``write_all(folder)`` makes every
file from a few bytes of recipe, real reports in ``data/`` and reports
rendered by ``tests/generate.py``. ``expected.tsv`` beside this script says,
for each file, the exact line ``gicstats parse`` prints for it, or that it
reads and how many cells it yields. ``tests/hostile/bad_inputs/test_bad_inputs.py``
runs the command over the whole folder and compares.

Usage: ``python tests/hostile/bad_inputs/make_bad_inputs.py FOLDER``.
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def _generate():
    sys.path.insert(0, str(HERE.parents[1]))
    import generate

    return generate


def _hostile():
    _generate()
    import hostile_files as hostile

    return hostile


def _report_html(agency: str = "某市某局", charset: str = "utf-8") -> str:
    G = _generate()
    values = G.balanced_values("2021", random.Random(11))
    page = G.render_html(values, "2021", agency, 2021, chrome=True)
    return page.replace('<meta charset="utf-8">', f'<meta charset="{charset}">')


def _report_pipe() -> str:
    G = _generate()
    return G.render_pipe(G.balanced_values("2019", random.Random(12)), "2019", "某县某镇人民政府", 2020)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _noise(seed: int, low: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(low, 256) for _ in range(4096))


def _two_hundred_digits() -> str:
    # a pipe-table report whose 本年新收 row ran together into 200 digits
    text = _report_pipe()
    digits = "".join(str(i * 7 % 10) for i in range(200))
    i = text.index("一、本年新收政府信息公开申请数量")
    end = text.index("\n", i)
    return text[:i] + "一、本年新收政府信息公开申请数量" + digits + text[end:]


RECIPES: dict[str, Callable[[], bytes]] = {
    # good files among the bad: they must still be read
    "good_report.html": lambda: _report_html().encode(),
    "good_pingtan_2021.txt": lambda: (ROOT / "data" / "pingtan_2021.txt").read_bytes(),
    "good_utf16.txt": lambda: _report_pipe().encode("utf-16"),
    "gbk_labelled_gb2312.html": lambda: _report_html("朱镕基路街道办事处", "gb2312").encode("gbk"),
    "gb2312_labelled_utf8.html": lambda: _report_html("某市某局", "utf-8").encode("gb2312"),
    "digits_200.txt": lambda: _two_hundred_digits().encode(),
    "truncated.html": lambda: _report_html().encode()[:5000],  # inside table 三
    # three damaged bytes in a UTF-8 text: read, with a source.undecodable_bytes warning
    "invalid_utf8.txt": lambda: _report_pipe().encode()[:3000] + b"\xff\xfe\xfd" + _report_pipe().encode()[3000:],
    # bad files
    "empty.html": lambda: b"",
    "blank.txt": lambda: b" \r\n\t\n ",
    "binary_junk.html": lambda: b"\x7fELF\x02\x01\x01\x00" + _noise(1, 0),
    "latin1_junk.txt": lambda: _noise(2, 1),  # no NUL: sniffed as text
    "nul_bytes.txt": lambda: "政府信息公开".encode() + b"\x00" * 8 + "申请人情况".encode(),
    "no_tables.html": lambda: "<html><head><title>通知</title></head><body><p>关于放假的通知</p></body>".encode(),
    "scripts_only.html": lambda: b"<html><body><script>document.write('<table>')</script><style>p{}</style></body>",
    "bad_bom.txt": lambda: b"\xef\xbb\xbf" + "申请人情况".encode("gbk"),
    "nested_10000.html": lambda: ("<html><body>" + "<div>" * 10_000 + "申请人情况" + "</div>" * 10_000).encode(),
    "nested_1500.html": lambda: ("<html><body>" + "<span>" * 1_500 + _report_html()).encode(),
    "tag_flood.html": lambda: b"<html><body>" + b"<br>" * 2_100_000 + b"</body></html>",
    "too_many_lines.txt": lambda: "申请人情况\n".encode() * 600_000,
    "legacy.doc": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "archive.zip": lambda: _zip({"readme.txt": b"not a report", "data/1.csv": b"a,b\n1,2\n"}),
    # PDF, DOCX, XLSX (tests/hostile_files.py): good ones, then bombs and floods
    "good_report.docx": lambda: _hostile().report_docx(),
    "good_report.xlsx": lambda: _hostile().report_xlsx(),
    "good_report.pdf": lambda: _hostile().report_pdf(),
    "zip_bomb.docx": lambda: _hostile().zip_bomb_docx(),
    "zip_bomb.xlsx": lambda: _hostile().zip_bomb_xlsx(),
    "merged_sheet.xlsx": lambda: _hostile().merged_range_xlsx(),
    "span_billion.docx": lambda: _hostile().grid_span_docx(),
    "lying_sizes.docx": lambda: _hostile().lying_zip_docx(),
    "pages_10000.pdf": lambda: _hostile().pages_pdf(10_000),
    "flate_bomb.pdf": lambda: _hostile().flate_bomb_pdf(),
    "dense_page.pdf": lambda: _hostile().dense_pdf(600_000),
    "password.pdf": lambda: _hostile().report_pdf(encrypt="secret"),
    "truncated.pdf": lambda: _hostile().report_pdf()[:4_000],
    "scan.pdf": lambda: _generate().render_scanned_pdf(1),
    "docx_without_document.docx": lambda: _zip({"[Content_Types].xml": b"<Types/>", "word/x.xml": b"<x/>"}),
}


def write_all(folder: str | Path) -> list[Path]:
    """Write every file of ``RECIPES`` into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in RECIPES.items():
        path = folder / name
        path.write_bytes(make())
        paths.append(path)
    return paths


def read_expected(path: str | Path = HERE / "expected.tsv") -> dict[str, tuple[str, str]]:
    """``file → (outcome, detail)``: ``("error", line)`` or ``("reads", cells)``."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            name, outcome, detail = line.split("\t")
            out[name] = (outcome, detail)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for p in write_all(sys.argv[1]):
        print(p)
