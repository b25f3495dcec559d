"""No partial state.

``gicstats build`` and ``gicstats run`` killed with SIGKILL at random
moments leave only complete files, and a rerun finishes.

Each command runs in its own session and is killed, with every process it
started (workers, kernels), by ``killpg``. After each kill:

- every Parquet file present is readable, and the corpus either opens with
  one build id or is refused with the clear "different builds" error;
- every ``.html`` ends with ``</html>``, every ``.ipynb`` and the run state
  are valid JSON;
- nothing else is left but hidden ``.*.tmp`` files of interrupted atomic
  writes, which no reader opens (``read_corpus`` opens fixed names, the
  index links only finished exports, ``*.parquet`` globs do not match);
- no kernel outlives the command for long.

Then the command is run again to the end and its outputs are checked whole.
The delays are random; the seed is printed, and ``GICSTATS_KILL_SEED``
replays a run. The default run kills each command a few times; the ``slow``
variants kill them many more times.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import generate as G
import pandas as pd
import pytest

from gicstats.corpus import TABLES, read_corpus
from gicstats.corpus.build import HASHES_FILE
from gicstats.errors import GicstatsError
from gicstats.publish.batch import plan

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SEED = int(os.environ.get("GICSTATS_KILL_SEED", time.time_ns() % 1_000_000))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gicstats.cli", *args]


def _env(tmp: Path) -> dict:
    # kernels put their connection files under TMPDIR: a private one lets the
    # test find any kernel the killed command left behind
    tmpdir = tmp / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1"}


def _kill_after(cmd: list[str], delay: float, env: dict, cwd: Path) -> int | None:
    """Start ``cmd`` in its own session, SIGKILL its process group after ``delay`` seconds.

    The exit status if it finished first, else None.
    """
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env, cwd=cwd
    )
    try:
        return proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def _orphans(tmp: Path) -> list[int]:
    """Processes still running whose command line mentions the test's TMPDIR."""
    marker = str(tmp / "tmpdir").encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _no_orphans(tmp: Path, grace: float = 20) -> None:
    """Kernels poll their parent and exit when it dies.

    Give them ``grace`` seconds, then fail (after ending them: they are
    this test's).
    """
    deadline = time.monotonic() + grace
    while _orphans(tmp) and time.monotonic() < deadline:
        time.sleep(0.25)
    left = _orphans(tmp)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"processes outlived the killed command: {left}"


def _stray(folder: Path, allowed: set[str]) -> list[str]:
    """Files that are neither expected outputs nor hidden temporary files."""
    out = []
    for path in folder.rglob("*"):
        if path.is_dir():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel in allowed or path.suffix in (".html", ".ipynb"):
            continue
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            continue  # an interrupted atomic write: hidden, never opened
        out.append(rel)
    return out


# --------------------------------------------------------------------------
# gicstats build
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """The bundled reports and 40 generated ones.

    Enough for a build to take a few seconds with its writes at the end.
    """
    folder = tmp_path_factory.mktemp("kill-sources")
    for p in DATA.iterdir():
        if p.suffix in (".html", ".txt"):
            (folder / p.name).write_bytes(p.read_bytes())
    rng = random.Random(5)
    for i in range(40):
        version = ("2019", "2021")[i % 2]
        shape = ("html", "pipe", "run", "html")[i % 4]
        values = G.balanced_values(version, rng)
        text = G.SHAPES[shape](
            values, version, f"第{i}号县人民政府", 2019 + i % 5, **({"rng": random.Random(i)} if shape == "run" else {})
        )
        (folder / f"gen_{i:02d}.{'html' if shape == 'html' else 'txt'}").write_text(text, encoding="utf-8")
    return folder


def _check_corpus(corpus: Path) -> None:
    if not corpus.exists():
        return
    for name in TABLES:
        file = corpus / f"{name}.parquet"
        if file.exists():
            pd.read_parquet(file)  # complete: a half-written file does not parse
    manifest = corpus / "manifest.json"
    if manifest.exists():
        json.loads(manifest.read_text(encoding="utf-8"))
    hashes = corpus / HASHES_FILE  # the sources' hashes, for the next build
    if hashes.exists():
        pd.read_parquet(hashes)
    if all((corpus / f"{name}.parquet").exists() for name in TABLES):
        try:
            read_corpus(corpus)
        except GicstatsError as exc:
            assert "different builds" in str(exc), str(exc)
    stray = _stray(corpus, {f"{name}.parquet" for name in TABLES} | {"manifest.json", HASHES_FILE})
    assert not stray, stray


def _kill_build_repeatedly(sources: Path, tmp: Path, kills: int, rng: random.Random) -> None:
    corpus = tmp / "corpus"
    cmd = _cli("build", str(sources), "-o", str(corpus), "-j", "2")
    env = _env(tmp)
    start = time.perf_counter()
    assert _kill_after(cmd, 600, env, tmp) == 0
    full = time.perf_counter() - start
    expected = len(read_corpus(corpus).reports)
    for name in TABLES:
        (corpus / f"{name}.parquet").unlink()  # start over
    for _ in range(kills):
        # a finished build makes the next one reuse everything: drop some or
        # all of the corpus first, so that kills land in every phase
        if rng.random() < 0.7:
            for name in rng.sample(TABLES, rng.randint(1, len(TABLES))):
                (corpus / f"{name}.parquet").unlink(missing_ok=True)
        _kill_after(cmd, rng.uniform(0.1, full * 1.1), env, tmp)
        _check_corpus(corpus)
        _no_orphans(tmp)
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    corpus_now = read_corpus(corpus)
    assert len(corpus_now) == expected and corpus_now.reports["error"].isna().all()
    _check_corpus(corpus)


def test_rebuild_over_a_clean_report(tmp_path) -> None:
    """Found by the kill tests.

    A second build over a report without any finding crashed with
    KeyError 'rule' (corpus._load_previous).
    """
    from gicstats.corpus import build

    values = G.balanced_values("2021", random.Random(1))
    (tmp_path / "clean.html").write_text(
        G.render_html(values, "2021", "某市某局", 2021, published="2022-01-20"), encoding="utf-8"
    )
    build([tmp_path / "clean.html"], tmp_path / "corpus", jobs=1)
    assert len(read_corpus(tmp_path / "corpus").findings) == 0
    build([tmp_path / "clean.html"], tmp_path / "corpus", jobs=1)


def test_killed_build_leaves_whole_files(sources, tmp_path) -> None:
    print(f"GICSTATS_KILL_SEED={SEED}")
    _kill_build_repeatedly(sources, tmp_path, 4, random.Random(SEED))


@pytest.mark.slow
def test_killed_build_many_times(sources, tmp_path) -> None:
    print(f"GICSTATS_KILL_SEED={SEED}")
    _kill_build_repeatedly(sources, tmp_path, 25, random.Random(SEED + 1))


# --------------------------------------------------------------------------
# gicstats run
# --------------------------------------------------------------------------


def _check_run_output(out: Path) -> None:
    if not out.exists():
        return
    for page in out.rglob("*.html"):
        if page.name.startswith("."):
            continue
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
    for nb in out.rglob("*.ipynb"):
        if nb.name.startswith("."):
            continue
        json.loads(nb.read_text(encoding="utf-8"))
    state = out / ".gicstats-runs.json"
    if state.exists():
        json.loads(state.read_text(encoding="utf-8"))
    stray = _stray(out, {".gicstats-runs.json", "index.html"})
    assert not stray, stray


def _kill_run_repeatedly(corpus: Path, tmp: Path, kills: int, rng: random.Random) -> None:
    out = tmp / "out"
    keys = {run.key for run in plan(corpus)}
    cmd = _cli("run", "--corpus", str(corpus), "-o", str(out), "-j", "2", "-q")
    env = _env(tmp)
    for _ in range(kills):
        # finished runs are skipped: forget some, so that kills find work
        if out.exists() and rng.random() < 0.7:
            exports = sorted(out.rglob("*.html"))
            for page in rng.sample(exports, rng.randint(0, len(exports))):
                page.unlink()
        _kill_after(cmd, rng.uniform(0.5, 12), env, tmp)
        _check_run_output(out)
        _no_orphans(tmp)
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert " 0 failed" in rerun.stdout, rerun.stdout
    _check_run_output(out)
    exports = {p.relative_to(out).with_suffix("").as_posix() for p in out.rglob("*.html") if p.name != "index.html"}
    assert exports == keys
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('<tr class="run') == len(keys)
    _no_orphans(tmp)


def test_killed_run_leaves_whole_files(bundled_corpus, tmp_path) -> None:
    print(f"GICSTATS_KILL_SEED={SEED}")
    _kill_run_repeatedly(bundled_corpus, tmp_path, 2, random.Random(SEED + 2))


@pytest.mark.slow
def test_killed_run_many_times(bundled_corpus, tmp_path) -> None:
    print(f"GICSTATS_KILL_SEED={SEED}")
    _kill_run_repeatedly(bundled_corpus, tmp_path, 10, random.Random(SEED + 3))
