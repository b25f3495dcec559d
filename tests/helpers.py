"""What the tests share: where the data and the truth are, and truth checks.

How a report is compared with its hand-checked truth lives here too. Import
it as ``from helpers import …`` (``tests/`` is on the path through its
conftest).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import gicstats

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TRUTH = Path(__file__).resolve().parent / "truth"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def load_truth(name: str) -> dict:
    """The hand-checked truth of a bundled report (``tests/truth/<name>.json``)."""
    return json.loads((TRUTH / f"{name}.json").read_text(encoding="utf-8"))


def assert_truth(report: gicstats.Report, truth: dict) -> None:
    """Assert agency, year, template and every truth cell exact.

    A blank the truth records as 0 must stay null.
    """
    assert report.agency == truth["agency"]
    assert report.year == truth["year"]
    assert report.template_version == truth["template"]
    wrong = []
    for key, expected in truth["cells"].items():
        table, row, column = key.split(".")
        hit = report.cells[
            (report.cells["table"] == table) & (report.cells["row"] == row) & (report.cells["column"] == column)
        ]
        assert len(hit) == 1, f"{key}: {len(hit)} cells"
        value, raw = hit["value"].iloc[0], hit["raw"].iloc[0]
        if pd.isna(value):
            # the truth records a blank as 0; the reader must keep it null
            if not (expected == 0 and str(raw).strip() == ""):
                wrong.append((key, expected, raw))
        elif value != expected:
            wrong.append((key, expected, value))
    assert not wrong, wrong
