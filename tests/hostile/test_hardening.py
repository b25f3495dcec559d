"""Five bugs the fuzz tests found, each pinned by tests that failed before its fix.

1. a title search that backtracked for seconds on very long lines;
2. a UTF-8 page refused whole over a few damaged bytes;
3. a 400-digit cell read as infinity, printed as ``Infinity`` (not JSON);
4. a page past a limit named by its base name, not the path as given;
5. temporary files and kernel folders of killed commands left for ever.

Inputs are built here by hand or from the bundled reports; nothing touches
the network.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generate as G
import pandas as pd
import pytest
from helpers import python_calls, scanned_patterns

from gicstats import paths
from gicstats.cli import main
from gicstats.corpus import build, read_corpus
from gicstats.errors import GicstatsError
from gicstats.paths import write_atomic
from gicstats.read import meta, read_report, sources
from gicstats.read.meta import find_published, find_title, split_sections
from gicstats.read.sources import Source

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
TITLE = "平潭综合实验区2021年度政府信息公开工作年度报告"


def _page(seed: int = 3, version: str = "2021") -> str:
    values = G.balanced_values(version, random.Random(seed))
    return G.render_html(values, version, "某市某局", 2021, published="2022-01-20")


def _lone_cell(page: str, report) -> tuple[tuple[str, str, str], str]:
    """A cell of at least two digits whose text occurs once in the page, as ``>raw<``.

    Returns its key and raw text.
    """
    for row in report.cells.itertuples():
        if row.raw and len(row.raw) >= 2 and page.count(f">{row.raw}<") == 1:
            return (row.table, row.row, row.column), row.raw
    raise AssertionError("no cell printed once")


def _without(frame: pd.DataFrame, key: tuple[str, str, str]) -> pd.DataFrame:
    hit = (frame["table"] == key[0]) & (frame["row"] == key[1]) & (frame["column"] == key[2])
    return frame[~hit].reset_index(drop=True)


def _same_cells(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same cells, values and raw texts.

    Locators may differ (text was added before the tables).
    """
    pd.testing.assert_frame_equal(a.drop(columns="locator"), b.drop(columns="locator"))


def _cell(report, key: tuple[str, str, str]) -> pd.Series:
    cells = report.cells.set_index(["table", "row", "column"])
    return cells.loc[key]


# --------------------------------------------------------------------------
# 1. Titles after very long lines
# --------------------------------------------------------------------------

# 105,000 characters on which the title pattern, searched whole, tries 60 x 60
# ways at each of the 21,000 years: ten such lines took 10 to 14 s. The work is
# bounded by counts, not by a clock (the machine is shared): the title pattern
# is only ever given a short candidate or a window before a title ending
# (meta._TITLE_MAX_CHARS), and no step walks the long lines in Python.
LONG_LINE = "2021年" * 21_000
# What one search of the title pattern may be given: a candidate of 200
# characters (meta._TITLE_MAX_CHARS), or a window of 160 before a title ending
# and the ending itself (at most 12 characters). Written out, so that the
# bound does not follow the code it checks.
TITLE_SPAN = 200


def test_title_after_ten_very_long_lines_is_found_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join([LONG_LINE] * 10 + [TITLE, "一、总体情况"])
    patterns = scanned_patterns(monkeypatch, meta)
    found, calls = python_calls(find_title, text)
    assert found == (TITLE, "平潭综合实验区", 2021)
    title = patterns["_TITLE"]
    # searched whole, the pattern would be given 1,050,000 characters, 105,000 at once
    assert title.longest <= TITLE_SPAN, vars(title)
    assert title.scanned <= 50 * TITLE_SPAN, vars(title)
    # every pattern reads the text about once (none rescans it line after line)
    assert all(p.scanned <= 2 * len(text) for p in patterns.values()), {k: vars(v) for k, v in patterns.items()}
    # a few hundred calls: nothing loops over the 1,050,000 characters in Python
    assert calls < 5_000, calls


def test_report_after_ten_very_long_lines_reads_as_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (DATA / "pingtan_2021.txt").read_bytes()
    clean = read_report(data, name="pingtan_2021.txt")
    junk = ("\n".join([LONG_LINE] * 10) + "\n").encode()
    read_report(junk + data, name="pingtan_2021.txt")  # the same caches filled for both counts below
    _, clean_calls = python_calls(read_report, data, name="pingtan_2021.txt")
    patterns = scanned_patterns(monkeypatch, meta)
    report, calls = python_calls(read_report, junk + data, name="pingtan_2021.txt")
    assert (report.title, report.agency, report.year) == (TITLE, "平潭综合实验区", 2021)
    _same_cells(report.cells, clean.cells)
    title = patterns["_TITLE"]
    assert title.longest <= TITLE_SPAN and title.scanned <= 50 * TITLE_SPAN, vars(title)
    assert all(p.scanned <= 2 * len(junk + data) for p in patterns.values()), {k: vars(v) for k, v in patterns.items()}
    # the 1,050,010 characters of long lines add a few hundred calls to reading
    # the report (a step per character would add a million)
    assert calls - clean_calls < 5_000, (calls, clean_calls)


def test_title_inside_a_long_line_is_still_found() -> None:
    """A text dump may run the whole page into one line.

    The title is searched near each 政府信息公开 of a long line.
    """
    noise = "首页 政府信息公开专栏 政府信息公开年报 " * 30 + "甲" * 2000 + "。"
    line = noise + TITLE + "。" + "乙" * 5000
    assert len(line) > 200
    assert find_title(line) == (TITLE, "平潭综合实验区", 2021)


def test_other_metadata_finders_are_quick_on_long_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """A date line of 4,000 spaces, a title line of 4,000 tabs, ten long lines.

    Each pattern of the metadata finders reads the text about once (the
    published-date pattern only its first 4,000 characters), and they make
    a few hundred calls, not one per character.
    """
    text = "\n".join(["日期" + " " * 3990, "标题" + "\t" * 3990, *[LONG_LINE] * 10, "2022年1月20日"])
    patterns = scanned_patterns(monkeypatch, meta)

    def both() -> tuple:
        return find_published(text), split_sections(text)

    (published, _), calls = python_calls(both)
    assert published == pd.Timestamp("2022-01-20").date()
    assert patterns["_PUBLISHED"].longest <= 4000, vars(patterns["_PUBLISHED"])
    assert all(p.scanned <= 2 * len(text) for p in patterns.values()), {k: vars(v) for k, v in patterns.items()}
    assert calls < 5_000, calls


# --------------------------------------------------------------------------
# 2. UTF-8 with a few damaged bytes
# --------------------------------------------------------------------------


def test_damaged_bytes_in_the_narrative_leave_every_cell_as_clean() -> None:
    data = (DATA / "pingtan_2021.txt").read_bytes()
    clean = read_report(data, name="pingtan_2021.txt")
    at = data.index("本报告包括总体情况".encode())
    report = read_report(data[:at] + b"\xff\xfe\xfd" + data[at:], name="pingtan_2021.txt")
    _same_cells(report.cells, clean.cells)
    assert (report.title, report.agency, report.year) == (clean.title, clean.agency, clean.year)
    hit = report.findings[report.findings["rule"] == "source.undecodable_bytes"]
    assert len(hit) == 1
    finding = hit.iloc[0]
    assert finding["severity"] == "warning"
    assert finding["actual"] == f"invalid UTF-8: 3 bytes in 3 sequences, the first at byte offset {at}"
    assert f"字节偏移{at}" in finding["message"]
    # every other finding is the clean read's
    # (the report id is the sha256 prefix: the damaged bytes have their own)
    rest = report.findings[report.findings["rule"] != "source.undecodable_bytes"].reset_index(drop=True)
    assert (rest["report_id"] == report.id).all() and report.id != clean.id
    pd.testing.assert_frame_equal(rest.drop(columns="report_id"), clean.findings.drop(columns="report_id"))


def test_damaged_number_cell_is_null_with_its_own_finding() -> None:
    page = _page()
    clean = read_report(page.encode(), name="x.html")
    key, raw = _lone_cell(page, clean)
    data = page.encode()
    at = data.index(f">{raw}<".encode()) + 2  # after the first digit
    report = read_report(data[:at] + b"\xff" + data[at:], name="x.html")
    cell = _cell(report, key)
    assert pd.isna(cell["value"])  # never 0, never the digits around the damage
    assert cell["raw"] == f"{raw[0]}\ufffd{raw[1:]}"
    _same_cells(_without(report.cells, key), _without(clean.cells, key))
    rules = dict(zip(report.findings["rule"], report.findings["cells"]))
    assert rules["parse.unreadable_cell"] == ".".join(key)
    assert "source.undecodable_bytes" in rules


def test_damage_bounds() -> None:
    body = ("申请人情况自然人法人或其他组织。" * 500).encode()  # 24,000 bytes
    step = len(body) // (sources.MAX_BAD_SEQUENCES + 2)

    def damaged(n: int) -> bytes:
        out = body
        for i in reversed(range(n)):
            at = (i + 1) * step // 3 * 3  # on a character boundary
            out = out[:at] + b"\xff" + out[at:]
        return out

    decoded = sources.decode_source(Source("x.txt", damaged(sources.MAX_BAD_SEQUENCES), ""))
    assert decoded.encoding == "utf-8" and len(decoded.replaced) == sources.MAX_BAD_SEQUENCES
    assert decoded.text.count("\ufffd") == sources.MAX_BAD_SEQUENCES
    assert decoded.text.replace("\ufffd", "") == body.decode()
    with pytest.raises(GicstatsError, match="unknown encoding"):
        sources.decode_source(Source("x.txt", damaged(sources.MAX_BAD_SEQUENCES + 1), ""))
    # three bad bytes in 1,500 are more than 0.1 %: not read as damaged
    # UTF-8. What happens instead depends on charset-normalizer's guess (3.4
    # found a single-byte codepage, 3.5 nothing, so the file is refused)
    try:
        small = sources.decode_source(Source("x.txt", body[:750] + b"\xff\xfe\xfd" + body[750:1500], ""))
    except GicstatsError as exc:
        assert exc.problem.startswith("text is in an unknown encoding")
    else:
        assert small.encoding != "utf-8" and small.replaced == ()
    # Latin-1 text has an invalid sequence in every accented letter: it is
    # not taken for damaged UTF-8
    latin = "Résumé café naïve " * 200
    decoded = sources.decode_source(Source("x.txt", latin.encode("latin-1"), ""))
    assert decoded.replaced == () and "\ufffd" not in decoded.text


def test_clean_gbk_still_wins_over_damaged_utf8() -> None:
    """A page that GB18030 reads cleanly is GB18030.

    Even when it is also nearly UTF-8 (ASCII with a few GBK characters).
    """
    text = "Report " * 300 + "申请人情况" + " end" * 100
    decoded = sources.decode_source(Source("x.txt", text.encode("gbk"), ""))
    assert (decoded.text, decoded.encoding, decoded.replaced) == (text, "gb18030", ())


# --------------------------------------------------------------------------
# 3. Numbers too large to be real
# --------------------------------------------------------------------------

HUGE = "9" * 400


def _huge_page() -> tuple[str, tuple[str, str, str], str]:
    page = _page(seed=4)
    key, raw = _lone_cell(page, read_report(page.encode(), name="x.html"))
    return page.replace(f">{raw}<", f">{HUGE}<"), key, raw


def test_a_400_digit_cell_is_null_with_a_finding() -> None:
    page, key, _ = _huge_page()
    clean = read_report(_page(seed=4).encode(), name="x.html")
    report = read_report(page.encode(), name="x.html")
    cell = _cell(report, key)
    assert pd.isna(cell["value"]) and cell["raw"] == HUGE  # the text as printed stays
    _same_cells(_without(report.cells, key), _without(clean.cells, key))
    hit = report.findings[report.findings["rule"] == "parse.implausible_value"]
    assert hit["cells"].tolist() == [".".join(key)]
    assert hit["actual"].tolist() == [HUGE]
    assert "400位数字" in hit["message"].iloc[0]
    assert not (report.findings["rule"] == "parse.unreadable_cell").any()


@pytest.mark.parametrize(
    ("raw", "value"),
    [("999999999999", 999999999999.0), ("1,000,000,000,000", None), ("1" * 17, None), ("1" * 400 + ".5", None)],
)
def test_the_bound_on_values(raw, value) -> None:
    from gicstats.read.values import parse_value

    parsed = parse_value(raw)
    assert parsed.value == value
    assert parsed.implausible == (value is None) and parsed.readable == (value is not None)


def _strict_json(text: str):
    def refuse(constant: str):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_parse_json_of_a_400_digit_cell_is_valid_json(tmp_path, capsys) -> None:
    page, key, _ = _huge_page()
    path = tmp_path / "huge.html"
    path.write_text(page, encoding="utf-8")
    assert main(["parse", str(path), "--format", "json"]) == 0
    (report,) = _strict_json(capsys.readouterr().out)
    cell = next(c for c in report["cells"] if (c["table"], c["row"], c["column"]) == key)
    assert cell["value"] is None and cell["raw"] == HUGE
    assert any(f["rule"] == "parse.implausible_value" for f in report["findings"])


def test_json_output_never_holds_nan_or_infinity(capsys) -> None:
    from gicstats.cli import _dump_json

    _dump_json([{"value": float("inf")}, {"value": float("nan"), "n": [1.5, float("-inf")]}])
    assert _strict_json(capsys.readouterr().out) == [{"value": None}, {"value": None, "n": [1.5, None]}]


# --------------------------------------------------------------------------
# 4. Limit refusals name the path as given
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variable", "problem"),
    [("big.html", "GICSTATS_MAX_TAGS", "page has"), ("big.txt", "GICSTATS_MAX_LINES", "text has")],
)
def test_limit_refusal_names_the_path_as_given(tmp_path, monkeypatch, capsys, name, variable, problem) -> None:
    folder = tmp_path / "some" / "dir"
    folder.mkdir(parents=True)
    text = _page() if name.endswith(".html") else (DATA / "pingtan_2021.txt").read_text(encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv(variable, "5")
    with pytest.raises(GicstatsError) as err:
        read_report(folder / name)
    assert str(err.value).startswith(f"{folder / name}: {problem} ")
    monkeypatch.chdir(tmp_path)
    assert main(["parse", f"some/dir/{name}"]) == 2  # a file that cannot be read, as for check
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"gicstats: some/dir/{name}: {problem} ") and f"({variable})" in line


# --------------------------------------------------------------------------
# 5. Sweeping what killed commands left
# --------------------------------------------------------------------------

_DIE = "import os, signal, sys\ndef die(*_):\n    os.kill(os.getpid(), signal.SIGKILL)\n"


def _killed_while(code: str, env: dict | None = None) -> None:
    """Run ``code`` in a fresh Python that SIGKILLs itself inside it (``die()``)."""
    proc = subprocess.run([sys.executable, "-c", _DIE + code], env=env, timeout=120)
    assert proc.returncode == -signal.SIGKILL


def _busy_while(code: str, env: dict | None = None) -> subprocess.Popen:
    """Start ``code`` in a fresh Python.

    It calls ``busy()`` while it holds a temporary file or folder, which
    prints ``ready`` and waits for a line on stdin. Returns once it is ready.
    """
    wait = "def busy(*_):\n    print('ready', flush=True)\n    sys.stdin.readline()\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", _DIE + wait + code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout.readline() == "ready\n"
    return proc


def _finish(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.close()
    assert proc.wait(timeout=120) == 0


def _aged(path: Path, hours: float) -> Path:
    path.touch()
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


def test_build_sweeps_temp_files_of_killed_writes_only(tmp_path) -> None:
    out = tmp_path / "corpus"
    out.mkdir()
    write = "from pathlib import Path\nfrom gicstats.paths import write_atomic\n"
    _killed_while(
        write + f"write_atomic(Path({str(out / 'cells.parquet')!r}), lambda tmp: (tmp.write_bytes(b'half'), die()))\n"
    )
    (stale,) = out.glob(".cells.parquet.*.tmp")
    # a write in progress in another live process: a concurrent command's
    busy = _busy_while(
        write + f"write_atomic(Path({str(out / 'notes.json')!r}), lambda tmp: (tmp.write_text('{{}}'), busy()))\n"
    )
    (live,) = out.glob(".notes.json.*.tmp")
    # names of older versions, which carry no process: by age only
    old_style_recent = _aged(out / ".manifest.json.abcd1234.tmp", 1)
    old_style_old = _aged(out / ".sections.parquet.wxyz9876.tmp", 48)
    not_ours = _aged(out / ".notes.tmp", 48)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.html").write_text(_page(), encoding="utf-8")
    try:
        build([tmp_path / "in"], out, jobs=1)
        assert live.exists()
    finally:
        _finish(busy)
    assert len(read_corpus(out)) == 1
    assert not stale.exists() and not old_style_old.exists()
    assert old_style_recent.exists() and not_ours.exists()
    assert (out / "notes.json").read_text() == "{}" and not live.exists()


def test_run_sweeps_kernel_folders_and_temp_exports_of_killed_runs(tmp_path, monkeypatch) -> None:
    from gicstats.publish.batch import run_batch

    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    out = tmp_path / "out"
    (out / "report").mkdir(parents=True)
    kernel = (
        "from pathlib import Path\nfrom gicstats.publish.batch import _fresh\nfrom gicstats.paths import write_atomic\n"
    )
    export = out / "report" / "a_2021.html"
    _killed_while(
        kernel + f"_fresh('python3', start=False)\nwrite_atomic(Path({str(export)!r}), lambda tmp: die())\n", env
    )
    (stale_dir,) = tmpdir.glob("gicstats-k-*")
    (stale_file,) = (out / "report").glob(".a_2021.html.*.tmp")
    busy = _busy_while(kernel + "_fresh('python3', start=False)\nbusy()\n", env)
    (live_dir,) = set(tmpdir.glob("gicstats-k-*")) - {stale_dir}
    old_style_recent = tmpdir / "gicstats-k-abcd1234"
    old_style_recent.mkdir()
    other = tmpdir / "gicstats-keep"
    other.mkdir()
    try:
        run_batch([], out)
        assert live_dir.is_dir()
    finally:
        _finish(busy)
    assert (out / "index.html").is_file()
    assert not stale_dir.exists() and not stale_file.exists()
    assert old_style_recent.is_dir() and other.is_dir()


def test_temp_names_carry_the_writer(tmp_path) -> None:
    seen = []
    write_atomic(tmp_path / "a.json", lambda tmp: seen.append(tmp.name) or tmp.write_text("{}"))
    (name,) = seen
    assert name.startswith(f".a.json.gicstats-{paths._host()}-{os.getpid()}-") and name.endswith(".tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    folder = Path(tempfile.mkdtemp(prefix=paths.kernel_dir_prefix(), dir=tmp_path))
    assert folder.name.startswith(f"gicstats-k-{paths._host()}-{os.getpid()}-")
