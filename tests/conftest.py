from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session", autouse=True)
def _isolated_jupyter_state(tmp_path_factory):
    """Keep HOME-level Jupyter, IPython and matplotlib state out of the way.

    Kernels started by the tests write to a temporary folder.
    """
    import os

    base = tmp_path_factory.mktemp("home-state")
    saved = {}
    for var, sub in (
        ("MPLCONFIGDIR", "mpl"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_CONFIG_DIR", "config"),
    ):
        saved[var] = os.environ.get(var)
        (base / sub).mkdir()
        os.environ[var] = str(base / sub)
    os.environ.setdefault("MPLBACKEND", "Agg")
    yield
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


@pytest.fixture(scope="session")
def bundled_corpus(tmp_path_factory):
    """A corpus built once from data/, with its alias and corrections files."""
    from gicstats.corpus import build

    out = tmp_path_factory.mktemp("corpus") / "corpus"
    build([DATA], out, agencies=DATA / "agencies.toml", corrections=DATA / "corrections.toml", jobs=2)
    return out
