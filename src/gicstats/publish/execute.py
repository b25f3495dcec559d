"""Running the parameterised notebooks and exporting them as HTML.

Notebooks are kept as jupytext ``py:percent`` text in ``notebooks/``. A run
reads the text, rejects unknown or misspelt parameters by comparing them
with ``papermill.inspect_notebook`` (papermill itself only warns), executes
with papermill, and writes the executed notebook and its HTML export
atomically. Exports use nbconvert's ``basic`` template inside a small page of
our own: no CDN, no require.js or MathJax, a few KiB of CSS, UTF-8 declared.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from gicstats.errors import GicstatsError
from gicstats.paths import notebooks_dir, write_atomic
from gicstats.publish import NOTEBOOKS, profile
from gicstats.publish.page import document, title_of

# bundled, but not run for every agency and year by default
OTHER_NOTEBOOKS = ("explore",)
BUNDLED = NOTEBOOKS + OTHER_NOTEBOOKS
_NOTEBOOK_SUFFIXES = frozenset({".py", ".ipynb", ".md", ".r", ".R", ".jl"})
IOPUB_TIMEOUT = 60  # seconds to wait for a cell's outputs after its reply (nbclient: 4)


class _QuietZmqTeardown(logging.Filter):
    """Drop the harmless "Could not destroy zmq context" warning from the log.

    Kernels we start ourselves (IPC, shut down at once) leave nbclient's
    client to the garbage collector, which logs that warning.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "Could not destroy zmq context" not in record.getMessage()


logging.getLogger("traitlets").addFilter(_QuietZmqTeardown())


def notebook_path(name: str | os.PathLike) -> Path:
    """The text file of a notebook.

    A bundled one by name (``report``, ``trend``, ``compare``, ``explore``), or
    a notebook of your own by its path (jupytext text such as
    ``mynotebooks/fees.py``, or an ``.ipynb``).
    """
    text = os.fspath(name)
    if text in BUNDLED:
        path = notebooks_dir() / f"{text}.py"
    elif Path(text).suffix in _NOTEBOOK_SUFFIXES or os.sep in text or "/" in text:
        path = Path(text).resolve()
    else:
        raise GicstatsError(
            text, f"unknown notebook; choose one of {', '.join(BUNDLED)}, or give the path of a notebook file"
        )
    if not path.is_file():
        raise GicstatsError(path, "notebook file not found")
    return path


def notebook_label(name: str | os.PathLike) -> str:
    """How messages name a notebook: ``notebooks/report.py``, or the path given."""
    text = os.fspath(name)
    return f"notebooks/{text}.py" if text in BUNDLED else text


def load(name: str | os.PathLike):
    """The notebook as an nbformat node, read from its jupytext text.

    A copy: the parsed text is cached while the file is unchanged.
    """
    import copy

    path = notebook_path(name)
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns)[0])


@lru_cache(maxsize=16)
def _parsed(path: Path, mtime_ns: int):
    """Parse a notebook's text once, and ask papermill for its parameters."""
    import jupytext

    try:
        nb = _stable_ids(_unpaired(jupytext.read(path)))
    except Exception as exc:
        raise GicstatsError(path, f"not a notebook jupytext can read ({type(exc).__name__}: {exc})") from None
    # a script written by hand has no kernelspec; Python notebooks run on python3
    nb.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
    _papermill_metadata(nb)
    try:
        return nb, _inspect(nb)
    except Exception as exc:
        raise GicstatsError(path, f"cannot read its parameters ({type(exc).__name__}: {exc})") from None


def _papermill_metadata(nb) -> None:
    """What papermill's ``load_notebook_node`` adds to a notebook it reads from a file.

    The text is parsed here once, and never written out for papermill to read.
    """
    from papermill import __version__ as papermill_version

    nb.metadata.setdefault(
        "papermill",
        {"default_parameters": {}, "parameters": {}, "environment_variables": {}, "version": papermill_version},
    )
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})


def _unpaired(nb):
    """``nb`` without jupytext's metadata (``formats: py:percent``, the text representation).

    Kept, it pairs the executed ``.ipynb`` with a ``.py`` that is not beside
    it, and JupyterLab refuses to open it ("Unable to read paired notebook");
    an export is a notebook of its own.
    """
    nb.metadata.pop("jupytext", None)
    return nb


def _stable_ids(nb):
    """Number the cells in order (``cell-000``, ``cell-001`` …).

    jupytext and papermill give random ids, which would make two exports of
    the same run differ.
    """
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def declared_parameters(name: str | os.PathLike) -> dict[str, dict]:
    """The notebook's parameters as papermill infers them from its ``parameters`` cell.

    Name → ``{name, inferred_type_name, default, help}``.
    """
    path = notebook_path(name)
    return _parsed(path, path.stat().st_mtime_ns)[1]


def _inspect(nb) -> dict[str, dict]:
    import nbformat
    import papermill

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb.ipynb"
        nbformat.write(nb, path)
        return papermill.inspect_notebook(str(path))


def validate_parameters(name: str | os.PathLike, parameters: dict) -> None:
    """Reject parameters the notebook does not declare.

    Raises:
        GicstatsError: naming the unknown parameters and the valid ones.
    """
    declared = declared_parameters(name)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        import difflib

        hints = []
        for u in unknown:
            close = difflib.get_close_matches(u, declared, n=1)
            hints.append(f"{u!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise GicstatsError(
            notebook_label(name),
            f"unknown parameter {', '.join(hints)}; it takes {', '.join(sorted(declared)) or 'none'}",
        )


def execute(
    name: str | os.PathLike,
    parameters: dict,
    output: str | os.PathLike,
    *,
    cwd: str | os.PathLike | None = None,
    timeout: float | None = 600,
    kernel_name: str = "python3",
    km=None,
    kc=None,
):
    """Execute notebook ``name`` with ``parameters`` and write it to ``output``.

    ``km`` runs it on a kernel the caller manages (and shuts down); ``kc``, a
    started client of that kernel, reuses it instead of connecting anew.

    papermill's own steps run on the notebook in memory: the text is parsed
    once (and cached), never written out and read back; the executed notebook
    is validated once and written once.

    Returns:
        The executed notebook node.

    Raises:
        GicstatsError: unknown parameters, or the notebook failed; the
            message names the failing cell and the error.
    """
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors, remove_error_markers
    from papermill.parameterize import parameterize_notebook
    from papermill.utils import chdir

    validate_parameters(name, parameters)
    label = notebook_label(name)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with profile.stage("injecting parameters"):
        _readable_parameters()
        nb = load(name)
        if parameters:
            nb = parameterize_notebook(nb, parameters, kernel_name=kernel_name)
        # the paths papermill records: the notebook's text and the export
        nb = remove_error_markers(prepare_notebook_metadata(nb, str(notebook_path(name)), str(output)))
    kwargs = _hooks()
    if km is not None:
        kwargs["km"] = km
    engine = None
    if kc is not None:
        engine = _warm_engine()
        kwargs["warm_kc"] = kc
    with tempfile.TemporaryDirectory() as tmp:
        failed_copy = Path(tmp) / "failed.ipynb"  # written only when a cell failed
        try:
            with profile.stage(profile.EXECUTE), chdir(str(cwd) if cwd else None):
                nb = papermill_engines.execute_notebook_with_engine(
                    engine,
                    nb,
                    input_path=None,
                    output_path=None,  # no write per cell: one at the end
                    kernel_name=kernel_name,
                    progress_bar=False,
                    log_output=False,
                    start_timeout=60,
                    execution_timeout=math.ceil(timeout) if timeout else None,  # per cell; needs an int
                    # nbclient waits 4 s for a cell's outputs after its reply, then
                    # drops the late ones with a warning: a starved machine would
                    # export an incomplete notebook. Wait longer, and fail the run
                    # rather than export it incomplete.
                    iopub_timeout=IOPUB_TIMEOUT,
                    raise_on_iopub_timeout=True,
                    **kwargs,
                )
            raise_for_execution_errors(nb, str(failed_copy))
        except PapermillExecutionError as exc:
            if failed_copy.exists():
                failed = output.parent / f"{output.stem}.failed.ipynb"
                write_atomic(failed, lambda p: p.write_bytes(failed_copy.read_bytes()))
            raise GicstatsError(label, f"cell {exc.exec_count} failed: {exc.ename}: {exc.evalue}") from None
        except Exception as exc:
            raise GicstatsError(label, f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
    with profile.stage("validating"):
        text = _validated_json(nb)
    with profile.stage("writing files"):
        write_atomic(output, lambda p: p.write_text(text, encoding="utf-8"))
    return nb


def _validated_json(nb) -> str:
    """The notebook as ``nbformat.writes`` gives it, validated once.

    Like ``writes``, a schema error is logged, not raised.
    """
    import nbformat

    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        logging.getLogger("nbformat").error("Notebook JSON is invalid: %s", exc)
    return nbformat.versions[nb.nbformat].writes_json(nb)


def _hooks() -> dict:
    """Cell hooks for nbclient that time each cell when a profile is on."""
    prof = profile.active()
    if prof is None:
        return {}

    def started(cell, cell_index):
        prof.cell_start(cell)

    def executed(cell, cell_index, execute_reply):
        prof.cell_end(cell)

    return {"on_cell_execute": started, "on_cell_executed": executed}


def _readable_parameters() -> None:
    r"""Have papermill write injected Python strings as ``repr`` does.

    That is ``agency = '平潭综合实验区'`` instead of ``\u`` escapes: the same value,
    readable in the notebook. Registered once, for the Python language.
    """
    from papermill.translators import PythonTranslator, papermill_translators

    if getattr(papermill_translators._translators.get("python"), "gicstats", False):
        return

    class ReadablePythonTranslator(PythonTranslator):
        gicstats = True

        @classmethod
        def translate_str(cls, val):
            return repr(val)

    papermill_translators.register("python", ReadablePythonTranslator)


_WARM_ENGINE = "gicstats-warm"


def _warm_engine() -> str:
    """Register (once) a papermill engine that runs on an already connected kernel client.

    Everything else (parameters, metadata, error handling) is papermill's
    own, so its outputs match a fresh kernel's.
    """
    from jupyter_core.utils import run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    if _WARM_ENGINE in papermill_engines._engines:
        return _WARM_ENGINE

    class WarmClient(PapermillNotebookClient):
        warm_kc = None

        async def async_start_new_kernel_client(self):
            self.kc = self.warm_kc
            self.kc.allow_stdin = False
            return self.kc

        # nbclient binds the sync wrapper to its own coroutine: rebind it
        start_new_kernel_client = run_sync(async_start_new_kernel_client)

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            warm_kc = kwargs.pop("warm_kc")
            kwargs = {k: v for k, v in kwargs.items() if k not in ("input_path", "timeout", "startup_timeout")}
            client = WarmClient(
                nb_man,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            client.warm_kc = warm_kc
            return client.execute()

    papermill_engines.register(_WARM_ENGINE, WarmEngine)
    return _WARM_ENGINE


_exporters = threading.local()


def _exporter(with_code: bool):
    """This thread's HTML exporter: built once, its Jinja environment and template reused."""
    exporter = getattr(_exporters, f"code_{with_code}", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        class _Exporter(HTMLExporter):
            def _validate_preprocessor(self, nbc, preprocessor):
                # execute() validated the notebook just before: once is enough
                pass

        exporter = _Exporter(
            template_name="basic",
            exclude_input=not with_code,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            exclude_anchor_links=True,
            optimistic_validation=True,
        )
        # nbconvert gives chart images a generic alt text and logs each time
        exporter.log.setLevel(logging.ERROR)
        setattr(_exporters, f"code_{with_code}", exporter)
    return exporter


def export_html(nb, output: str | os.PathLike, *, title: str, with_code: bool = False) -> Path:
    """Write a self-contained HTML export of an executed notebook.

    No external URL is referenced: images are inline ``data:`` URIs and the
    stylesheet is a few KiB inline. ``title`` is escaped.
    """
    exporter = _exporter(with_code)
    with profile.stage("collecting outputs"):
        shown = _without_records(nb)
    with profile.stage("exporting HTML"):
        body, _ = exporter.from_notebook_node(shown)
        # the header, contents, sorting script and CSP: gicstats.publish.page
        page = document(body, title=title_of(nb) or title)
    output = Path(output)
    with profile.stage("writing files"):
        write_atomic(output, lambda p: p.write_text(page, encoding="utf-8"))
    return output


def _without_records(nb):
    """What the export shows of ``nb``: its cells without the machine-readable record outputs.

    A new notebook node over the same cells' contents, not a deep copy: the
    exporter copies what it is given before it changes anything.
    """
    from nbformat import NotebookNode

    from gicstats.publish.sections import RECORD_MIME

    cells = []
    for cell in nb.cells:
        cell = NotebookNode(cell)  # a shallow copy: its own id and outputs list
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if RECORD_MIME not in o.get("data", {})]
        cells.append(cell)
    return _stable_ids(NotebookNode({**nb, "cells": cells}))


def records(nb) -> dict:
    """Values the notebook left with ``gicstats.nb.record``, by name."""
    from gicstats.publish.sections import RECORD_MIME

    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD_MIME in data:
                rec = data[RECORD_MIME]
                rec = json.loads(rec) if isinstance(rec, str) else rec
                out[rec["name"]] = rec["value"]
    return out
