"""Finding template labels in text.

Scraped reports print labels with spaces or line breaks inside them, with
half- or full-width brackets, in traditional characters, with a province's
filling instructions appended in brackets, and sometimes with no separator at
all between a label and its numbers (``行政许可3960181``). The tokenizer below
splits any text into label, value-run and other-text tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from gicstats.form.nfkc import nfkc
from gicstats.form.radicals import fold_radicals
from gicstats.form.template import TRAD_TO_SIMP, WORD_ALIASES, all_labels, normalize

# Characters a run of cell values may consist of: digits, separators, signs,
# decimal points, blank markers and the units reports write inside cells.
_RUN = re.compile(r"^[\s0-9.,\-−+—–/／\\元万亿件个项无]*$")
_JOIN = r"[\s“”\"'‘’「」『』]*"
_QUOTE_TAIL = r"[“”\"'‘’「」『』]*"
# After NFKC these quotes are the only characters normalize() drops besides
# whitespace, so a label may have any of them between its characters.


@dataclass(frozen=True)
class Token:
    """A piece of text: ``label`` (``key`` is its normalised form), ``run`` (values) or ``text`` (anything else).

    ``start``/``end`` index the prepared text returned by :func:`prepare`.
    """

    kind: str
    text: str
    start: int
    end: int
    key: str = ""


def prepare(text: str) -> str:
    """NFKC-fold, fold CJK radicals and convert traditional characters, keeping whitespace."""
    return simplify(fold_radicals(nfkc(text.replace("\xa0", " "))))


def simplify(text: str) -> str:
    """Traditional characters to simplified, character for character.

    So the result indexes like the input (for text already NFKC-folded).
    """
    for old, new in WORD_ALIASES.items():
        text = text.replace(old, new)
    return text.translate(TRAD_TO_SIMP)


@lru_cache(maxsize=1)
def _label_regex() -> re.Pattern[str]:
    parts = []
    for key in all_labels():
        parts.append(_JOIN.join(re.escape(ch) for ch in key) + _QUOTE_TAIL)
    return re.compile("|".join(parts))


@lru_cache(maxsize=1)
def _label_keys() -> frozenset[str]:
    return frozenset(all_labels())


def _skip_bracket(text: str, pos: int, limit: int = 400) -> int:
    """If a bracketed note starts at ``pos`` (after spaces), return its end.

    Hubei's variant appends filling instructions to labels:
    ``规章（设区的市、自治州人民政府应提供相关数据）``.
    """
    i = pos
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text) or text[i] != "(":
        return pos
    if _label_regex().match(text, i):  # the bracket is a label itself (the 勾稽 note)
        return pos
    depth = 0
    for j in range(i, min(len(text), i + limit)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return pos


def is_run(text: str) -> bool:
    """True if ``text`` holds only cell values (digits, blanks, units)."""
    return bool(_RUN.match(text))


def tokenize(text: str) -> list[Token]:
    """Split text into label, run and text tokens.

    Whitespace-only gaps produce no token.

    >>> [(t.kind, t.text) for t in tokenize("行政许可3960181其他对外管理服务事项100153")]
    [('label', '行政许可'), ('run', '3960181'), ('label', '其他对外管理服务事项'), ('run', '100153')]
    """
    if bare_number(text):
        # the commonest cell: what _tokenize makes of it
        return [Token("run", text, 0, len(text))]
    if len(text) <= _CACHE_MAX_CHARS:
        return list(_tokenize_cached(text))
    return _tokenize(text)


def bare_number(text: str) -> bool:
    """Whether ``text`` is ASCII digits and nothing else, which :func:`tokenize` reads as one run.

    No label is ASCII only, so none can match inside it.

    >>> [bare_number(t) for t in ("524", "", "5 24", "５", "1.5")]
    [True, False, False, False, False]
    """
    return text.isdigit() and text.isascii() and not _ascii_labels()


@lru_cache(maxsize=1)
def _ascii_labels() -> bool:
    return any(key.isascii() for key in _label_keys())


# Table cells repeat ("0", "自然人", …): short texts are tokenized once.
_CACHE_MAX_CHARS = 300


@lru_cache(maxsize=65536)
def _tokenize_cached(text: str) -> tuple[Token, ...]:
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[Token]:
    prepared = prepare(text)
    stripped = prepared.strip()
    if not stripped:
        return []
    key = normalize(stripped)
    if key in _label_keys():  # fast path: the whole cell is one label
        start = prepared.index(stripped[0])
        return [Token("label", stripped, start, start + len(stripped), key)]
    tokens: list[Token] = []
    regex = _label_regex()
    pos = 0
    while pos < len(prepared):
        m = regex.search(prepared, pos)
        gap_end = m.start() if m else len(prepared)
        if gap_end > pos:
            gap = prepared[pos:gap_end]
            if gap.strip():
                kind = "run" if is_run(gap) else "text"
                tokens.append(Token(kind, gap, pos, gap_end))
        if not m:
            break
        end = _skip_bracket(prepared, m.end())
        tokens.append(Token("label", prepared[m.start() : end], m.start(), end, normalize(m.group())))
        pos = max(end, m.start() + 1)
    return tokens
