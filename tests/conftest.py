from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TRUTH = Path(__file__).resolve().parent / "truth"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def load_truth(name: str) -> dict:
    return json.loads((TRUTH / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
