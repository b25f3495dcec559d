"""The README's snippets under "What it does" and "Explore interactively", run as they are written.

Python blocks as doctests, the papermill command in a shell. ``gicstats lab``
itself is started for real in ``test_lab.py``; here its corpus preparation
and command line are checked.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT

from gicstats.publish.execute import records

FLAGS = doctest.NORMALIZE_WHITESPACE


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def _run_doctest(source: str, name: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(source, {}, name, str(ROOT / "README.md"), 0)
    assert test.examples, name
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} README examples failed in {name}"


def test_what_it_does(monkeypatch):
    monkeypatch.chdir(ROOT)
    (block,) = _blocks(_section("What it does"), "python")
    _run_doctest(block, "What it does")


@pytest.fixture
def project(tmp_path, bundled_corpus, monkeypatch):
    """A folder laid out as after `gicstats demo`: notebooks/ and reports/corpus."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "corpus").symlink_to(bundled_corpus)
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GICSTATS_CORPUS", raising=False)
    return tmp_path


def test_explore_interactively_python(project):
    (block,) = _blocks(_section("Explore interactively"), "python")
    _run_doctest(block, "Explore interactively")


def test_explore_interactively_papermill_command(project):
    (command,) = [
        line
        for block in _blocks(_section("Explore interactively"), "sh")
        for line in block.splitlines()
        if "papermill" in line
    ]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    done = subprocess.run(command, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rec = records(nbformat.read(project / "out.ipynb", as_version=4))
    assert rec["report"] == {
        "agency": "天门市公安局",
        "year": 2020,
        "template_version": "2019",
        "source": "tianmen_police_2020.txt",
    }
    assert rec["narrative"] >= 1


def test_gicstats_lab_prepares_the_corpus_and_its_command(tmp_path, monkeypatch):
    from gicstats.publish import lab

    corpus = tmp_path / "reports" / "corpus"
    monkeypatch.setenv("GICSTATS_CORPUS", str(corpus))
    monkeypatch.setenv("GICSTATS_DATA", str(ROOT / "data"))
    assert lab.ensure_corpus(None) == corpus  # built from the sample reports, as it was missing
    assert (corpus / "cells.parquet").is_file()
    command, env = lab.lab_command(corpus, ["--no-browser", "--port", "8890"])
    assert command[1:3] == ["-m", "jupyterlab"] and command[-3:] == ["--no-browser", "--port", "8890"]
    assert f"--ServerApp.root_dir={ROOT}" in command and "--LabApp.default_url=/lab/tree/notebooks" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert env["GICSTATS_CORPUS"] == str(corpus)
    with pytest.raises(Exception, match="not a gicstats corpus"):
        lab.ensure_corpus(tmp_path / "nothing")
