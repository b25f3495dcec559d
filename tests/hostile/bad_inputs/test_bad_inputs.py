"""``gicstats parse`` over the bad-input corpus.

One exact line per bad file, no traceback, exit status 1, and the good
files among them read.

The files are written by ``make_bad_inputs.py`` into a temporary folder;
``expected.tsv`` holds the line (or the cell count) for each. The command
runs inside that folder on bare file names, as a user would in a folder of
downloads; every error names the file as it was given.
"""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from make_bad_inputs import RECIPES, read_expected, write_all


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_inputs")
    paths = write_all(folder)
    proc = subprocess.run(
        [sys.executable, "-m", "gicstats.cli", "parse", *(p.name for p in paths), "--format", "csv"],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=300,
    )
    return proc


def test_every_file_has_an_expectation() -> None:
    assert list(read_expected()) == list(RECIPES)


def test_one_exact_line_per_bad_file(parsed) -> None:
    assert parsed.returncode == 2  # some files cannot be read, as for check
    assert "Traceback" not in parsed.stderr and "internal error" not in parsed.stderr
    expected = [detail for outcome, detail in read_expected().values() if outcome == "error"]
    assert sorted(parsed.stderr.splitlines()) == sorted(expected)


def test_the_good_files_are_still_read(parsed) -> None:
    cells = pd.read_csv(StringIO(parsed.stdout))
    counts = cells.groupby("report").size().to_dict()
    expected = {
        name: int(detail.split()[0]) for name, (outcome, detail) in read_expected().items() if outcome == "reads"
    }
    assert counts == expected


def test_the_corpus_is_made_not_stored() -> None:
    here = Path(__file__).parent
    assert sorted(p.name for p in here.iterdir() if p.is_file()) == [
        "expected.tsv",
        "make_bad_inputs.py",
        "test_bad_inputs.py",
    ]
