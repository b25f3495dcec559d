"""Cell values as printed: the raw text, a number or null, and a unit.

A blank cell, ``-``, ``—``, ``/`` or ``无`` is null, never a silent 0. A
unit written inside the cell (``117.785万``, ``251000元``) is split off. A
number too large to be a real value is null too, and flagged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from gicstats.form.nfkc import nfkc

# What an empty cell may be printed as. "无" means "none": the agency did
# not fill a number, so it is kept null like a blank, not read as 0.
BLANKS = frozenset({"", "-", "--", "—", "——", "–", "/", "／", "无", "空", "\\"})

# Units that real reports write inside a cell, mapped to the unit we store.
CELL_UNITS = {"万元": "万元", "万": "万元", "元": "元", "亿元": "亿元", "件": "件", "个": "个", "项": "项"}

_NUMBER = re.compile(
    r"^(?P<sign>[-+−])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<unit>万元|亿元|万|元|件|个|项)?$"
)
_WS = re.compile(r"\s+")

# Numbers from this magnitude on are not values. A cell of the template
# counts applications or decisions (a few million at the most) or is one
# agency's amount in 万元 or 元 (10^12 元 is a trillion yuan). 10^12 is also
# far below 2**53, past which a float no longer holds every whole number. A
# larger number is cells or junk that a scraper glued together (a run of 400
# digits would be ``inf``): it is read as unreadable, null with a finding,
# never as a huge or rounded number.
MAX_VALUE = 1e12


@dataclass(frozen=True)
class Value:
    """A parsed cell.

    Attributes:
        value: The number, or ``None`` for a blank or unreadable cell.
        unit: The unit written in the cell, or ``None``.
        blank: True when the cell is printed empty (or as a dash, 无, …).
        readable: False when the cell holds text that is not a number, or a
            number too large to be real.
        implausible: True when the cell holds a number of ``MAX_VALUE`` or
            more (then ``value`` is None and ``readable`` False).
    """

    value: float | None
    unit: str | None
    blank: bool
    readable: bool
    implausible: bool = field(default=False, repr=False)


def clean(raw: str) -> str:
    """NFKC-fold and drop whitespace (``&nbsp;`` becomes a space first)."""
    return _WS.sub("", nfkc(raw.replace("\xa0", " ")))


@lru_cache(maxsize=65536)
def parse_value(raw: str | None) -> Value:
    """Parse one cell's text.

    >>> parse_value("117.785万")
    Value(value=117.785, unit='万元', blank=False, readable=True)
    >>> parse_value("—").value is None
    True
    >>> parse_value("-18").value
    -18.0
    >>> parse_value("1" * 400).value is None, parse_value("1" * 400).implausible
    (True, True)
    """
    if raw is None:
        return Value(None, None, True, True)
    if raw.isdigit() and raw.isascii():
        # a bare number, the commonest cell: what the steps below make of it
        number = float(raw)
        if number >= MAX_VALUE:
            return Value(None, None, False, False, implausible=True)
        return Value(number, None, False, True)
    text = clean(raw)
    if text in BLANKS:
        return Value(None, None, True, True)
    m = _NUMBER.match(text)
    if not m:
        return Value(None, None, False, False)
    number = float(m.group("num").replace(",", ""))
    if not math.isfinite(number) or number >= MAX_VALUE:
        return Value(None, None, False, False, implausible=True)
    if m.group("sign") in ("-", "−"):
        number = -number
    unit = m.group("unit")
    return Value(number, CELL_UNITS[unit] if unit else None, False, True)


def spaced_unit(raw: str) -> bool:
    """Whether ``raw`` is one number with its unit after a space: one value, not two cells.

    ``pdftotext -layout`` sets a full-width unit apart from its number
    (``117.785 万`` of a cell printed ``117.785万``); :func:`parse_value` reads
    it as the number with its unit, as it reads ``117.785万``.

    >>> spaced_unit("117.785 万"), spaced_unit("117.785万"), spaced_unit("13 117.785"), spaced_unit("0 万 0")
    (True, False, False, False)
    """
    parts = raw.split()
    return len(parts) == 2 and nfkc(parts[1]) in CELL_UNITS and _NUMBER.match(clean(parts[0])) is not None


def format_number(value: float | None, blank: str = "空") -> str:
    """A number as messages print it, the one way everywhere: ``3228``, ``117.785``; ``blank`` for none.

    Whole numbers without a decimal point; others with up to 15 significant
    digits, which is every digit a printed value can have (a float holds
    15), so a value read from a report is shown exactly, never rounded to
    fewer digits, while the noise of float arithmetic (``0.30000000000000004``)
    is not shown. NaN counts as blank.

    >>> format_number(3228.0), format_number(117.785), format_number(None), format_number(1234567.5)
    ('3228', '117.785', '空', '1234567.5')
    >>> format_number(0.1 + 0.2), format_number(float("nan"), blank="空白")
    ('0.3', '空白')
    """
    if value is None or value != value:
        return blank
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.15g}"


def is_value_text(raw: str) -> bool:
    """True when ``raw`` reads as a number or a blank marker."""
    parsed = parse_value(raw)
    return parsed.blank or parsed.readable
