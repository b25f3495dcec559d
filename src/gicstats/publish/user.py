"""Notebooks of one's own, batch-run like the bundled ones.

An analyst writes a notebook (jupytext text such as ``mynotebooks/fees.py``,
or an ``.ipynb``) with a cell tagged ``parameters``. ``gicstats run --notebook
mynotebooks/fees.py`` then plans it from the parameters it declares:

- ``agency`` and ``year``: one run per agency-year of the selection, as for
  ``report``;
- ``agency`` only: one run per agency (all its selected years);
- ``year`` only: one run per year;
- none of these: one run over the selection (``year_from`` and ``year_to``,
  when declared, get its first and last year, as for ``compare``).

``corpus`` is passed when declared. Other parameters are set with ``-p NAME
VALUE`` (papermill's spelling); a value is read as the type of the declared
default, and a name that no notebook of the run declares is rejected before
anything runs, with the closest names. Runs are executed, exported, resumed
and indexed exactly as the bundled notebooks' runs.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from gicstats.corpus.store import Corpus
from gicstats.errors import GicstatsError
from gicstats.publish.execute import BUNDLED, NOTEBOOKS, declared_parameters, notebook_label, notebook_path

# set by the plan from --corpus, --agency and --year, never with -p
PLANNED = ("corpus", "agency", "year", "year_from", "year_to")

_SUFFIXES = (".py", ".ipynb")


def is_own(name: str) -> bool:
    """Whether ``name`` is not one of the notebooks planned by default.

    The bundled ``explore``, or the path of a notebook of one's own.
    """
    return name not in NOTEBOOKS and (
        name in BUNDLED or Path(name).suffix in _SUFFIXES or "/" in name or os.sep in name
    )


def expand_notebooks(names: Iterable[str]) -> list[str]:
    """Names as given, ``all`` as the three bundled notebooks, a folder as the notebooks in it.

    A folder's notebooks are its ``*.py`` and ``*.ipynb`` files, hidden
    files skipped.
    """
    out: list[str] = []
    for name in names:
        if name == "all":
            out.extend(NOTEBOOKS)
        elif Path(name).is_dir():
            found = sorted(
                str(p)
                for p in Path(name).iterdir()
                if p.suffix in _SUFFIXES and p.is_file() and not p.name.startswith(".")
            )
            if not found:
                raise GicstatsError(name, "no notebooks (*.py, *.ipynb) in this folder")
            out.extend(found)
        else:
            out.append(name)
    return list(dict.fromkeys(out))


def coerce(value, default: dict):
    """A ``-p`` value (text from the command line) as the type of the declared default.

    ``year = 2021`` → int; ``agency = "…"`` → text; papermill infers types only
    from annotations. The types are ``int``, ``float`` or ``bool``; text stays
    text, and anything else is read as a Python literal if it is one.
    """
    if not isinstance(value, str):
        return value
    kind = default.get("inferred_type_name") or "None"
    if kind == "None":
        kind = type(_literal(default.get("default", ""))).__name__
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise GicstatsError(f"-p {default['name']}", f"{value!r} is not a number ({kind})") from None
    if kind == "bool":
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise GicstatsError(f"-p {default['name']}", f"{value!r} is not true or false")
    if kind == "str":
        return value
    return _literal(value)


def _literal(value: str):
    import ast

    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def check_extra(notebooks: Iterable[str], parameters: dict) -> dict[str, dict]:
    """The ``-p`` parameters each notebook gets: those it declares, typed.

    Raises:
        GicstatsError: for a parameter no notebook declares (with the closest
            declared name), or one the plan sets itself.
    """
    notebooks = list(notebooks)
    declared = {name: declared_parameters(name) for name in notebooks}
    planned = sorted(set(parameters) & set(PLANNED))
    if planned:
        raise GicstatsError(
            "gicstats run",
            f"-p {', '.join(planned)}: set by the plan; use --corpus, --agency and --year instead",
        )
    known = sorted({p for d in declared.values() for p in d})
    unknown = [p for p in parameters if not any(p in d for d in declared.values())]
    if unknown:
        hints = []
        for u in unknown:
            close = difflib.get_close_matches(u, known, n=1)
            hints.append(f"{u!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        where = ", ".join(notebook_label(n) for n in notebooks)
        raise GicstatsError(
            where, f"unknown parameter {', '.join(hints)}; it takes {', '.join(known) or 'no parameters'}"
        )
    return {name: {p: coerce(v, d[p]) for p, v in parameters.items() if p in d} for name, d in declared.items()}


def own_name(name: str) -> str:
    """The name a notebook's runs file under (``<output>/<name>/…``)."""
    if name in BUNDLED:
        return name
    stem = Path(name).stem
    return f"own-{stem}" if stem in BUNDLED else stem


def own_runs(name: str, corpus: Corpus, selected: Corpus, base: dict, extra: dict):
    """For each run of notebook ``name``.

    The fields of its :class:`~gicstats.publish.batch.Run`, and the part of
    the corpus it reads.
    """
    import pandas as pd

    def na(value):
        return None if value is None or pd.isna(value) else value

    declared = declared_parameters(name)
    title = own_name(name)
    common = {**({"corpus": base["corpus"]} if "corpus" in declared else {}), **extra}
    run = {"notebook": title, "path": None if name in BUNDLED else str(notebook_path(name))}
    rows = selected.reports.sort_values(["agency_key", "year"])
    if "agency" in declared and "year" in declared:
        for row in rows.itertuples():
            year = int(row.year)
            params = {**common, "agency": row.agency_key, "year": year}
            label = f"{row.agency_key}_{year}"
            fields = {**run, "params": params, "label": label, "agency": row.agency_key, "year": year}
            yield {**fields, "region": na(row.region)}, selected.select(agency=row.agency_key, year=year)
    elif "agency" in declared:
        for agency in selected.agencies:
            part = selected.select(agency=agency)
            region = na(part.reports["region"].iloc[0])
            params = {**common, "agency": agency}
            yield {**run, "params": params, "label": agency, "agency": agency, "region": region}, part
    elif "year" in declared:
        for year in selected.years:
            yield (
                {**run, "params": {**common, "year": year}, "label": str(year), "year": year},
                selected.select(year=year),
            )
    elif len(selected):
        y0, y1 = selected.years[0], selected.years[-1]
        span = {k: v for k, v in (("year_from", y0), ("year_to", y1)) if k in declared}
        fields = {**run, "params": {**common, **span}, "label": f"{y0}-{y1}", "year_from": y0, "year_to": y1}
        yield fields, selected
