"""One home for findings.

The build stores every finding of a report, and the report notebook shows the
stored ones instead of checking again.

A page with damaged bytes has ``source.undecodable_bytes`` (found while
reading) and, with the year before it missing, ``series.gap`` (found by the
build across the corpus): both reach the exported notebook.
"""

from __future__ import annotations

import shutil

from helpers import DATA

import gicstats
from gicstats.publish import execute as notebooks


def test_stored_findings_reach_the_exported_notebook(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "pingtan_2019.txt", src)
    data = (DATA / "pingtan_2021.txt").read_bytes()
    at = data.index("本报告包括总体情况".encode())
    (src / "pingtan_2021.txt").write_bytes(data[:at] + b"\xff\xfe\xfd" + data[at:])  # 2020 is missing
    corpus_dir = tmp_path / "corpus"
    gicstats.build([src], corpus_dir, agencies=DATA / "agencies.toml", jobs=1)

    corpus = gicstats.read_corpus(corpus_dir)
    report = corpus.report("平潭综合实验区", 2021)
    stored = corpus.findings[corpus.findings["report_id"] == report.id]
    assert report.id == report.sha256[:16]
    # Corpus.report() returns every stored finding, and check() returns them as stored
    assert {"source.undecodable_bytes", "series.gap"} <= set(stored["rule"])
    assert sorted(report.check()["rule"]) == sorted(stored["rule"])
    assert len(report.check()) == len(stored)

    out = tmp_path / "report.ipynb"
    nb = notebooks.execute("report", {"corpus": str(corpus_dir), "agency": "平潭综合实验区", "year": 2021}, out)
    page = notebooks.export_html(nb, tmp_path / "report.html", title="平潭 2021").read_text(encoding="utf-8")
    assert "source.undecodable_bytes" in page
    assert "series.gap" in page
    assert "缺少2020年的报告" in page
    recorded = notebooks.records(nb)["findings"]
    counts = stored["severity"].value_counts().to_dict()
    assert recorded == {s: int(counts.get(s, 0)) for s in recorded}
