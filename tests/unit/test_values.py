from __future__ import annotations

import pytest

from gicstats.read.values import parse_value


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("0", 0.0, None),
        ("165482", 165482.0, None),
        ("117.785万", 117.785, "万元"),
        ("251000元", 251000.0, "元"),
        ("394432.52元", 394432.52, "元"),
        ("24252.311082", 24252.311082, None),
        ("-18", -18.0, None),
        ("−15", -15.0, None),
        ("１２", 12.0, None),  # full-width digits
        ("1,234", 1234.0, None),
        (" 12 ", 12.0, None),
        ("\xa07\xa0", 7.0, None),
    ],
)
def test_numbers_and_units(raw, value, unit):
    parsed = parse_value(raw)
    assert (parsed.value, parsed.unit, parsed.blank, parsed.readable) == (value, unit, False, True)


@pytest.mark.parametrize("raw", ["", "   ", "\xa0", "-", "—", "–", "/", "无", None])
def test_blanks_are_null_never_zero(raw):
    parsed = parse_value(raw)
    assert parsed.value is None and parsed.blank and parsed.readable


@pytest.mark.parametrize("raw", ["约5", "见附件", "1.2.3", "12a", "1,23"])
def test_unreadable_is_null_and_flagged(raw):
    parsed = parse_value(raw)
    assert parsed.value is None and not parsed.blank and not parsed.readable
