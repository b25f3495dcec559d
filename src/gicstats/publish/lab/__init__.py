"""JupyterLab on the notebooks, with the corpus ready: ``gicstats lab``.

The ``py:percent`` notebooks open as notebooks through jupytext's own
JupyterLab extension (installed with jupytext), once Python files have
"Jupytext Notebook" as their default viewer. That setting ships with the
package as a JupyterLab settings override (``gicstats.json`` here), which
JupyterLab reads from ``<sys.prefix>/share/jupyter/lab/settings/overrides.d``:
a regular install puts it there, and ``gicstats lab`` puts it there for an
editable one (pip does not install data files for those). After that, plain
``jupyter lab`` in the environment opens the notebooks as notebooks too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gicstats.errors import GicstatsError
from gicstats.paths import corpus_dir, notebooks_dir

SETTINGS = Path(__file__).with_name("gicstats.json")


def settings_target() -> Path:
    """Where JupyterLab reads packages' settings overrides in this environment."""
    from jupyterlab.commands import get_app_dir

    return Path(get_app_dir()) / "settings" / "overrides.d" / "gicstats.json"


def install_settings() -> Path | None:
    """Put the default-viewer override where JupyterLab reads it (once: unchanged if already there).

    Returns the file, or None where the environment cannot be written
    (the notebooks then open with a right click, Open With → Jupytext
    Notebook).
    """
    target = settings_target()
    text = SETTINGS.read_text(encoding="utf-8")
    try:
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return target
        from gicstats.paths import write_atomic

        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"))
    except OSError as exc:
        print(f"gicstats: {target}: cannot install the default-viewer setting ({exc.strerror})", file=sys.stderr)
        return None
    return target


def ensure_corpus(corpus: str | os.PathLike | None) -> Path:
    """The corpus the notebooks will read.

    The one named, else the default one (``$GICSTATS_CORPUS``, else
    ``reports/corpus``), built from the bundled sample reports when it
    does not exist yet.
    """
    from gicstats.corpus.store import read_corpus

    if corpus is not None:
        path = Path(corpus).resolve()
        read_corpus(path)  # a one-line GicstatsError when it is not a corpus
        return path
    path = corpus_dir().resolve()
    try:
        read_corpus(path)
        return path
    except GicstatsError:
        pass
    from gicstats.corpus import build
    from gicstats.paths import data_dir

    data = data_dir()
    if not data.is_dir():
        raise GicstatsError(path, "no corpus here, and no sample reports to build one from; run `gicstats build`")
    extras = {name: data / f"{name}.toml" for name in ("corrections", "agencies")}
    print(f"gicstats: building the sample corpus {path} from {data}", file=sys.stderr)
    build(
        [data],
        path,
        corrections=extras["corrections"] if extras["corrections"].is_file() else None,
        agencies=extras["agencies"] if extras["agencies"].is_file() else None,
    )
    return path


def lab_command(corpus: Path, extra: list[str]) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and environment for ``corpus``."""
    notebooks = notebooks_dir().resolve()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks.parent}",
        f"--LabApp.default_url=/lab/tree/{notebooks.name}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # as root in a container, jupyter refuses to start without it
    env = {**os.environ, "GICSTATS_CORPUS": str(corpus)}
    return command + list(extra), env


def main(corpus: str | None, extra: list[str]) -> int:
    """Start JupyterLab (replacing this process where the OS allows)."""
    path = ensure_corpus(corpus)
    install_settings()
    command, env = lab_command(path, extra)
    print(f"gicstats: JupyterLab on {notebooks_dir()}, corpus {path}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(command[0], command, env)
    import subprocess

    return subprocess.call(command, env=env)
