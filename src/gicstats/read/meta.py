"""Report metadata from its text: agency, year, publication date, sections."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache

from gicstats.form.nfkc import nfkc
from gicstats.form.radicals import fold_radicals
from gicstats.form.template import SECTIONS, section_of_heading
from gicstats.read.labels import simplify, tokenize
from gicstats.read.mapping import is_table_stretch

_TITLE = re.compile(
    r"(?P<pre>[^\s,，。；;:：]{0,60}?)(?P<year>(?:19|20)\d{2})\s*年\s*度?(?P<post>[^\s,，。；;:：]{0,60}?)"
    r"政府信息公开(?:工作)?年度?报告"
)
# horizontal space only: \s* at every line start of a page of blank lines
# would rescan the rest of the page from each of them
_TITLE_LINE = re.compile(r"^[^\S\n]*(?:标题|题目|title)[^\S\n]*[:：][^\S\n]*(.+)$", re.I | re.M)
# A title is short: a candidate up to this many characters is searched
# whole. A longer one (a text dump that ran the page into one line) is
# searched only in a window before each of its first few title endings
# (政府信息公开工作年度报告), which holds any title that ends there: 60 + year
# + 60 characters, and spaces. Searched whole, the title pattern costs up to
# 60 x 60 steps a character: seconds for a line of 100,000.
_TITLE_MAX_CHARS = 200
_TITLE_END = re.compile(r"政府信息公开(?:工作)?年度?报告")
_TITLE_WINDOW = 160
_TITLE_ENDS = 8
# Hints (HTML headings) and title lines tried at most; real pages have a few.
_MAX_HINTS = 64
_PERIOD = re.compile(r"统计期限(?:为|是)?(?:自|从)?\s*(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_PUBLISHED = re.compile(
    r"(?:发布日期|发布时间|成文日期|发文日期|公开日期|日期)\s{0,8}[:：]?\s{0,8}"
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
)
_DATE_LINE = re.compile(r"^\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*$")
_AGENCY_JUNK = re.compile(r"^(关于|《)|[》」』\"“”]$")
_HEADING = re.compile(r"(?<![(（一二三四五六七八九十])([一二三四五六])、")


@lru_cache(maxsize=8)
def _nfkc(text: str) -> str:
    # the title, date and section finders each fold the same long text
    return nfkc(text)


# A line of a wrapped title is short; longer lines are prose.
_WRAPPED_LINE_MAX = 40
# How agency names end, short forms (市科委, 区发改局) included.
_AGENCY_END = re.compile(
    r"(?:政府|办公厅|办公室|委员会|管委会|管理委员会|局|委|厅|办|院|署|处|部|中心|街道|镇|乡|所|站|队|馆|会|区|县|市|州|盟|旗)$"
)


def find_title(text: str, hints: Sequence[str] = ()) -> tuple[str | None, str | None, int | None]:
    """Return ``(title, agency, year)`` from the title of the report.

    A title wrapped over two or three short lines (``淮安市洪泽区人民政府`` /
    ``2024 年政府信息公开工作年度报告``, or ``…政府信息公开`` / ``工作年度报告``)
    is read joined; a title without an agency is kept only when no joined
    one names the agency. CJK radicals in the agency are folded
    (:mod:`gicstats.radicals`); the title is kept as printed.
    """
    candidates = [*_TITLE_LINE.findall(text[:4000]), *hints][:_MAX_HINTS]
    first: tuple[str, str | None, int] | None = None
    for cand in candidates:
        found = _title_in(_nfkc(cand.strip()))
        if found and found[1]:
            return found
        first = first or found
    lines = [ln for ln in text.split("\n", 40)[:40] if ln.strip()]
    short: list[str] = []  # the lines folded, spaces collapsed: made as the windows reach them
    for i, line in enumerate(lines):
        found = _title_in(_nfkc(line.strip()))
        if found and found[1]:
            return found
        first = first or found
        # the title wrapped: this line and the next one or two, joined with
        # the spaces left out (short lines only: a title is not prose)
        for width in (1, 2, 3):
            while len(short) < min(i + width, len(lines)):
                short.append(_nfkc(" ".join(lines[len(short)].split())))
            window = short[i : i + width]
            if len(window) < width or any(len(ln) > _WRAPPED_LINE_MAX for ln in window):
                break
            found = _title_in("".join(ln.replace(" ", "") for ln in window), wrapped=True)
            if found and found[1]:
                return found
            first = first or found
    if first:
        return first
    m = _PERIOD.search(simplify(_nfkc(text)))
    return None, None, int(m.group("year")) if m else None


def _title_in(cand: str, wrapped: bool = False) -> tuple[str, str | None, int] | None:
    """``(title, agency, year)`` of the first title in ``cand`` (NFKC-folded).

    For lines joined from a wrapped title the agency must end as agency
    names do (人民政府, 办公厅, 局, 委…), so that page chrome on the line
    above (``首页>政务公开``) is not taken for one.
    """
    m = _search_title(cand)
    if not m:
        return None
    folded = fold_radicals(cand)
    pre, post = folded[m.start("pre") : m.end("pre")], folded[m.start("post") : m.end("post")]
    agency = _AGENCY_JUNK.sub("", (pre or post).strip()).strip() or None
    if agency and (wrapped or " " in agency) and not _AGENCY_END.search(agency):
        agency = None
    return cand[m.start() : m.end()], agency, int(m.group("year"))


def _search_title(cand: str) -> re.Match | None:
    """The first title in ``cand`` (NFKC-folded), in bounded time.

    Matches on simplified characters; the title is kept as printed (the
    conversion maps character to character, so spans line up).
    """
    simple = simplify(fold_radicals(cand))
    if len(simple) <= _TITLE_MAX_CHARS:
        return _TITLE.search(simple)
    for _, end in zip(range(_TITLE_ENDS), _TITLE_END.finditer(simple)):
        m = _TITLE.search(simple, max(0, end.start() - _TITLE_WINDOW), end.end())
        if m:
            return m
    return None


def find_published(text: str) -> dt.date | None:
    """The publication date the report states, if any."""
    text = _nfkc(text)
    m = _PUBLISHED.search(text[:4000])
    if m is None:
        # a date on its own line near the end, above or below the signature
        for line in reversed(text.split("\n")[-12:]):
            m = _DATE_LINE.match(line)
            if m:
                break
    if m is None:
        return None
    try:
        return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


# Texts that open the tables of 二, 三 and 四 when a dump runs them into prose.
_DUMP_HINT = re.compile(
    "|".join(r"\s*".join(word) for word in ("第二十条", "申请人情况", "本列数据", "未经复议", "本年度办"))
)


def _strip_tables(text: str) -> str:
    """Drop stretches of table labels and values that a text dump ran into the prose.

    For example ``…第二十条第（一）项信息内容…规章000…``. Section headings are kept, so
    that section texts hold narrative only. A stretch counts as a table by
    the mapper's own rule (an anchor, or three row labels), so prose such as
    ``规章13件,行政规范性文件60件`` stays.
    """
    out = []
    for line in text.split("\n"):
        # only lines that carry an anchor of a table dump are worth tokenizing
        tokens = tokenize(line) if len(line) > 40 and _DUMP_HINT.search(line) else []
        if not any(t.kind == "run" for t in tokens):
            out.append(line)
            continue
        kept: list[str] = []
        last = 0
        stretch: list = []
        for tok in [*tokens, None]:
            if tok is not None and tok.kind != "text" and not section_of_heading(tok.text):
                stretch.append(tok)
                continue
            if stretch and is_table_stretch(stretch):
                # tokens index prepare(line), which has the same length as the
                # line (NFKC is done): slice the text as printed
                kept.append(line[last : stretch[0].start])
                last = stretch[-1].end
            stretch = []
        kept.append(line[last:])
        out.append(" ".join(k.strip() for k in kept if k.strip()))
    return "\n".join(out)


def split_sections(text: str) -> dict[str, str]:
    """The narrative of each report section, keyed by section id.

    Headings are found in order (一 … 六) even when they run into the text
    (``一、总体情况2019年，…``). Text before the first heading is kept under
    ``preamble``.
    """
    text = _strip_tables(fold_radicals(_nfkc(text)))
    order = [s.id for s in SECTIONS]
    found: list[tuple[int, int, str]] = []
    next_index = 0
    for m in _HEADING.finditer(text):
        index = "一二三四五六".index(m.group(1))
        if index < next_index:
            continue
        section = section_of_heading(text[m.start() : m.start() + 60])
        if section is None or order.index(section) != index:
            continue
        # the heading runs to the end of its line, or 40 characters at most
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        heading_end = min(end, m.start() + _heading_length(text[m.start() : end]))
        found.append((m.start(), heading_end, section))
        next_index = index + 1
    sections: dict[str, str] = {}
    if found and text[: found[0][0]].strip():
        sections["preamble"] = text[: found[0][0]].strip()
    for i, (_, heading_end, section) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        sections[section] = text[heading_end:stop].strip()
    if not found and text.strip():
        sections["preamble"] = text.strip()
    return sections


def _heading_length(line: str) -> int:
    """Length of a heading at the start of ``line``.

    Up to 情况/事项/措施 or the first sentence break, whichever comes first.
    """
    for ends in ("情况|事项|措施", "问题"):
        m = re.match(rf"^.{{2,40}}?({ends})", line)
        if m:
            return m.end()
    m = re.search(r"[。;；]", line)
    return m.start() if m and m.start() <= 40 else min(len(line), 40)


__all__ = ["find_published", "find_title", "split_sections"]
