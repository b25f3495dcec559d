"""Execution in memory (issue 16): what papermill records, failures, and the CPU profile by stage.

The notebook text is parsed once and never written out for papermill to read
back; the executed notebook is validated once and written once. These check
that the written notebook is still what papermill would write, and that the
profile bench/bench_batch.py prints counts every stage of a real run.
"""

from __future__ import annotations

import nbformat
import pytest

from gicstats.errors import GicstatsError
from gicstats.publish import profile
from gicstats.publish.batch import Options, plan, run_one, stop_spare_kernels
from gicstats.publish.execute import execute, notebook_path

_FAILING = """\
# %% tags=["parameters"]
x = 1

# %%
print("before", x)

# %%
raise ValueError(f"boom {x}")
"""


def test_written_notebook_carries_papermills_record(tmp_path, bundled_corpus):
    out = tmp_path / "r.ipynb"
    params = {"corpus": str(bundled_corpus), "agency": "平潭综合实验区", "year": 2021}
    nb = execute("report", params, out)
    written = nbformat.read(out, as_version=4)  # valid against the schema
    nbformat.validate(written)
    meta = written.metadata.papermill
    assert meta["parameters"] == params
    assert meta["input_path"] == str(notebook_path("report")) and meta["output_path"] == str(out)
    assert "jupytext" not in written.metadata
    tags = [c.metadata.get("tags", []) for c in written.cells]
    injected = tags.index(["injected-parameters"])
    assert tags[injected - 1] == ["parameters"]
    assert "agency = '平潭综合实验区'" in written.cells[injected].source  # readable, not \u escapes
    assert all(c.metadata.papermill.get("status") == "completed" for c in written.cells if c.cell_type == "code")
    assert [c.source for c in written.cells] == [c.source for c in nb.cells]


def test_failing_cell_leaves_the_failed_notebook(tmp_path):
    own = tmp_path / "fails.py"
    own.write_text(_FAILING, encoding="utf-8")
    out = tmp_path / "out" / "fails.ipynb"
    with pytest.raises(GicstatsError, match=r"cell \d+ failed: ValueError: boom 7"):
        execute(str(own), {"x": 7}, out)
    assert not out.exists()
    failed = nbformat.read(tmp_path / "out" / "fails.failed.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in failed.cells[0].metadata.tags
    printed = [o.get("text", "") for c in failed.cells for o in c.get("outputs", [])]
    assert "before 7\n" in printed


def test_profile_counts_every_stage_of_a_run(tmp_path, bundled_corpus):
    (run,) = plan(bundled_corpus, notebooks=["report"], agencies=["平潭综合实验区"], years=[2021])
    prof = profile.Profile()
    with profile.profiling(prof):
        prof.begin()
        try:
            record = run_one(run, str(tmp_path), Options(prestart=False))
        finally:
            stop_spare_kernels()
    assert record["status"] == "done", record["error"]
    assert profile.active() is None
    (stages,) = prof.notebooks
    for name in (
        "kernel: start (fresh)",
        "injecting parameters",
        "cells: parameters",
        "cells: load report",
        "cells: headline",
        "cells: findings",
        "cells: tables",
        "cells: charts",
        profile.EXECUTE,
        "collecting outputs",
        "validating",
        "exporting HTML",
        "writing files",
        "kernel: stop (fresh)",
    ):
        assert name in stages, name
    # the kernel's share is read from its process: a started kernel and a chart cost it something
    assert stages["kernel: start (fresh)"][1] > 0
    assert stages["cells: charts"][1] > 0
    assert stages["exporting HTML"][0] > 0
