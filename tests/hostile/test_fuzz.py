"""Fuzzing the readers, and the adversarial inputs of issue 7.

Whatever bytes come in, ``gicstats.read_report`` ends in a :class:`Report`
or in a :class:`GicstatsError` whose one-line message names the file; never
in another exception, never in a hang. The fuzzers start from real reports
(``data/``) and from reports rendered in every shape by ``generate.py``, and
mutate them: bit flips, truncation, deletion, splicing in a piece of another
report, repeating a piece, inserting template labels, digit runs, tags,
entities and control characters, re-encoding in another codec, and lying
about the charset.

Each reader is one entry of ``TARGETS`` (seeds, the format it is read as,
its mutators). PDFs are generated with their drawing operators left as text
and mutated with PDF syntax inserted; a DOCX or XLSX has its main XML part
mutated, either as bytes (XML syntax inserted: most end at the XML parser)
or as a tree (elements copied, dropped, moved, texts and attributes set:
well-formed, so the damage reaches the reader), or its ZIP bytes as they
are.

Budgets:

- The default run (CI) fuzzes each target for ``FUZZ_EXAMPLES`` hypothesis
  examples, about a minute for the whole file with the adversarial cases.
- ``pytest -m slow tests/hostile/test_fuzz.py`` runs the long fuzz: every target
  for ``GICSTATS_FUZZ_ROUNDS`` rounds of 50 examples (default 20), then atheris
  (coverage-guided, if ``pip install atheris`` worked) for
  ``GICSTATS_ATHERIS_SECONDS`` (default 300). Failing inputs are shrunk by
  hypothesis and kept in its example database (``.hypothesis/``), so the
  next run tries them first; atheris writes them as ``crash-*`` files in
  ``.fuzz-crashes/`` (not committed), which outlives pytest's temporary
  folders.

``python tests/hostile/test_fuzz.py atheris [libFuzzer flags] [corpus dir]`` runs
the atheris harness by hand.
"""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import generate as G
import pytest
from helpers import python_calls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gicstats
from gicstats import GicstatsError
from gicstats.form.template import SECTIONS, TEMPLATES, VERSIONS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
NAME = "fuzzed-报告.html"  # what errors must name (no folder: the mapper names the base name)

# An input may make this many calls of Python functions (counted by cProfile:
# work, the same on a busy machine as on an idle one, where a clock is not)
# before it counts as a runaway. A generated page makes about 30,000, a page
# of cells run together about 110,000; 50 million is about the ten seconds
# the slowest legitimate input (every digit run exhausting the split budget)
# once took. Counting costs about as much again as the reading, so every
# COUNT_EVERY-th input is counted (the same ones on every run of the same
# examples); a hang in any input is left to the suite's timeout.
MAX_CALLS = int(os.environ.get("GICSTATS_FUZZ_MAX_CALLS", 50_000_000))
COUNT_EVERY = int(os.environ.get("GICSTATS_FUZZ_COUNT_EVERY", 10))
FUZZ_EXAMPLES = int(os.environ.get("GICSTATS_FUZZ_EXAMPLES", 250))
# The long fuzz: this many rounds of 50 fresh examples of every target (a
# number of examples, not minutes, so that a run is the same work wherever it runs).
FUZZ_ROUNDS = int(os.environ.get("GICSTATS_FUZZ_ROUNDS", 20))
ATHERIS_SECONDS = int(os.environ.get("GICSTATS_ATHERIS_SECONDS", 300))
CRASHES = ROOT / ".fuzz-crashes"  # atheris's crash and timeout inputs, kept after pytest's temporary folders go


# --------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------


def _render(shape: str, version: str, seed: int, **extra) -> bytes:
    rng = random.Random(seed)
    values = G.balanced_values(version, rng)
    variant = G.Variant(half_width=seed % 2 == 1, spaced=seed % 3 == 0)
    kwargs: dict = {"variant": variant, **extra}
    if shape in ("lines", "cell_pipe"):
        kwargs["blank"] = "-"
    if shape == "run":
        kwargs["rng"] = random.Random(seed)
    if shape == "html":
        kwargs.setdefault("chrome", seed % 2 == 0)
        kwargs.setdefault("styled", seed % 3 == 1)
    return G.SHAPES[shape](values, version, "某市某局", 2020 + seed % 5, **kwargs).encode("utf-8")


@cache
def shape_seeds(shape: str) -> tuple[bytes, ...]:
    """Two generated reports per template version in ``shape``."""
    return tuple(_render(shape, version, seed) for version in VERSIONS for seed in (1, 2))


@cache
def data_seeds(*suffixes: str) -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in sorted(DATA.iterdir()) if p.suffix in suffixes)


# --------------------------------------------------------------------------
# Mutations
# --------------------------------------------------------------------------

_LABELS = sorted(
    {r.label for v in VERSIONS for t in TEMPLATES[v].tables for r in t.rows}
    | {c.label for v in VERSIONS for t in TEMPLATES[v].tables for c in t.columns}
    | {a for v in VERSIONS for t in TEMPLATES[v].tables for a in t.anchors}
    | {s.label for s in SECTIONS}
)
_TAGS = (
    "<table>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td>",
    "</td>",
    "<th>",
    "<tbody>",
    "<br>",
    "<p>",
    "</p>",
    "<div>",
    '<td rowspan="99999">',
    '<td colspan="-3">',
    '<td rowspan="2;" colspan="1e9">',
    "<script>",
    "</script>",
    "<style>",
    "<template>",
    "<noscript>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    '<?xml version="1.0" encoding="gbk"?>',
    "<html>",
    "</html>",
    "<body>",
    "<title>",
    "<h1>",
    "<svg><foreignObject>",
    "<math>",
    "<select><option>",
    "<table><tr><td>" * 40,
    "<div>" * 300,
    "<font>" * 60,
    "&nbsp;",
    "&#0;",
    "&#xD800;",
    "&#x110000;",
    "&amp;",
    "&lt;td&gt;",
    '<meta charset="big5">',
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-16">',
    '<td rowspan="1000" colspan="1000">',
    "<h1><div>" * 30,
    "<title>",
    "</title>",
    "<h2>",
    "<thead>",
    "<tfoot>",
)
_CONTROLS = tuple(chr(c) for c in [*range(0x00, 0x20), 0x7F, 0x85, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0x200B, 0x3000])
_CODECS = (
    "utf-8",
    "gb18030",
    "gbk",
    "big5",
    "utf-16",
    "utf-16-be",
    "utf-8-sig",
    "shift_jis",
    "euc-kr",
    "latin-1",
    "cp1252",
    "koi8-r",
)

_XML = (
    "<w:tc>",
    "</w:tc>",
    "<w:tr>",
    "</w:tr>",
    "<w:tbl>",
    "</w:tbl>",
    "<w:p>",
    "<w:t>",
    "</w:t>",
    "<w:vMerge/>",
    '<w:vMerge w:val="restart"/>',
    '<w:gridSpan w:val="99"/>',
    '<w:gridSpan w:val="-1"/>',
    "<w:tcPr>",
    '<c r="XFD1048576" t="s"><v>99999</v></c>',
    '<c r="A1" t="inlineStr"><is><t>',
    '<c t="n"><v>1e308</v></c>',
    '<mergeCell ref="A1:C3"/>',
    '<mergeCell ref="Z9:A1"/>',
    "<row>",
    "</row>",
    '<row r="0">',
    "<v>",
    "</v>",
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    "&b;",
    "&#0;",
    "&#xFFFF;",
    "]]>",
    '<?xml version="1.0" encoding="utf-16"?>',
    'xmlns:w="urn:x"',
    "<w:sdt><w:sdtContent>",
    "<w:ins>",
)
_PDF = (
    "BT",
    "ET",
    "Tj",
    "TJ",
    " (1) Tj ",
    "[(1) -200 (2)] TJ",
    " 0 0 1 1 re f ",
    "1e308 0 0 1e308 0 0 cm ",
    "q " * 300,
    "Q",
    "/F1 1e9 Tf ",
    "/F1 -3 Tf ",
    " 0 0 Td ",
    " 99999 -99999 Td ",
    "T*",
    " BI /W 1 /H 1 ID x EI ",
    " obj ",
    "endobj",
    "stream\n",
    "endstream",
    "/Length 999999999",
    "/Filter /LZWDecode",
    "/Filter /FlateDecode",
    "/Count -1",
    "/Count 999999",
    "/Kids [2 0 R]",
    "startxref\n0\n",
    "trailer << /Root 2 0 R >>",
    "%%EOF",
    "<FEFF00410042>",
    "(\\376\\377)",
    " m 0 0 l 9 9 l S ",
    "/Encrypt << >>",
    " 2 0 R ",
    "<<",
    ">>",
    "[",
    "]",
)


position = st.floats(min_value=0, max_value=1)


def mutation(extra: tuple[str, ...] = ()) -> st.SearchStrategy:
    """One mutation.

    Insertions draw on the texts above and ``extra`` (a format's own
    syntax).
    """
    inserted = st.one_of(
        st.sampled_from(_LABELS),
        st.text("0123456789", min_size=1, max_size=200),  # digits where cells ran together
        st.text("0123456789 -—/无万元|.", min_size=1, max_size=40),
        st.sampled_from(_TAGS + extra),
        st.sampled_from(_CONTROLS),
        st.sampled_from(("|", " | ", "\n", "\r", "\r\n", "|\n|", "\t", "\n\n\n")),
        st.text(max_size=30),
    )
    insert = st.tuples(st.just("insert"), position, inserted)
    return st.one_of(
        insert,
        insert,
        insert,
        st.tuples(st.just("flip"), position, st.integers(0, 7)),
        st.tuples(st.just("truncate"), position),
        st.tuples(st.just("delete"), position, st.integers(1, 400)),
        st.tuples(st.just("splice"), st.integers(0, 50), position, st.integers(1, 2000), position),
        st.tuples(st.just("repeat"), position, st.integers(1, 300), st.integers(2, 60)),
    )


def mutation_lists(extra: tuple[str, ...] = ()) -> st.SearchStrategy:
    return st.lists(mutation(extra), min_size=1, max_size=6)


text_mutations = mutation_lists()
"""Mutations after which the input is made valid UTF-8 again (a broken byte
becomes U+FFFD), so that the readers, not the decoder, get the damage."""
byte_mutations = st.lists(
    st.one_of(
        mutation(),
        st.tuples(st.just("encode"), st.sampled_from(_CODECS)),
        st.tuples(st.just("charset"), st.sampled_from(("gb2312", "utf-8", "big5", "utf-16", "x-unknown", "latin1"))),
    ),
    min_size=1,
    max_size=6,
)
"""Mutations of the bytes as they are, re-encoding and charset lies included."""


def _at(data: bytes, where: float) -> int:
    return int(where * len(data))


def mutate(data: bytes, ops: list[tuple], pool: tuple[bytes, ...], *, utf8: bool = False) -> bytes:
    """Apply ``ops`` (drawn from the strategies above) to ``data`` in turn.

    ``splice`` takes its piece from ``pool``; ``utf8`` makes the result
    valid UTF-8 again.
    """
    for op in ops:
        kind = op[0]
        if kind == "flip" and data:
            i = min(_at(data, op[1]), len(data) - 1)
            data = data[:i] + bytes([data[i] ^ (1 << op[2])]) + data[i + 1 :]
        elif kind == "truncate":
            data = data[: _at(data, op[1])]
        elif kind == "delete":
            i = _at(data, op[1])
            data = data[:i] + data[i + op[2] :]
        elif kind == "insert":
            i = _at(data, op[1])
            data = data[:i] + op[2].encode("utf-8", "surrogatepass") + data[i:]
        elif kind == "splice" and pool:
            donor = pool[op[1] % len(pool)]
            start = _at(donor, op[2])
            i = _at(data, op[4])
            data = data[:i] + donor[start : start + op[3]] + data[i:]
        elif kind == "repeat":
            i = _at(data, op[1])
            data = data[:i] + data[i : i + op[2]] * op[3] + data[i + op[2] :]
        elif kind == "encode":
            data = data.decode("utf-8", "replace").encode(op[1], "replace")
        elif kind == "charset":
            data = f'<meta charset="{op[1]}">'.encode() + data
    if utf8:
        data = data.decode("utf-8", "replace").encode("utf-8")
    return data


# --------------------------------------------------------------------------
# Targets: one per reader (and per text shape)
# --------------------------------------------------------------------------


def mutate_part(data: bytes, ops: list[tuple], pool: tuple[bytes, ...], part: str) -> bytes:
    """``data`` (a DOCX or XLSX) with the ZIP entry ``part`` mutated by ``ops``, the rest kept.

    Splices come from the same entry of the ``pool``: the damage reaches
    the XML, not only the ZIP structure.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    donors = tuple(_part(d, part) for d in pool)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == part:
                body = mutate_tree(body, ops) if ops and ops[0][0] in _TREE_OPS else mutate(body, ops, donors)
            z.writestr(info.filename, body)
    return out.getvalue()


# Tree mutations keep the XML well-formed, so that the damage reaches the
# reader's logic (merged cells, spans, rows of odd lengths) rather than
# stopping at the XML parser, as most byte mutations of a part do.
_ELEMENTS = ("tc", "tr", "tbl", "p", "r", "t", "c", "row", "v", "is", "mergeCell", "sheetData", "body")
_ATTRIBUTES = {
    "val": ("0", "1", "2", "-1", "99", "999999999", "restart", "continue", "x", ""),
    "r": ("A1", "B2", "XFD1048576", "A0", "ZZZ9", "1", "", "AA100000"),
    "ref": ("A1:C3", "B2:B2", "C3:A1", "A1:XFD1048576", "A", ""),
    "t": ("s", "n", "inlineStr", "str", "b", "e", "d", ""),
}
_TREE_OPS = ("copy", "drop", "text", "attribute", "move")
tree_mutation = st.tuples(
    st.sampled_from(_TREE_OPS),
    st.sampled_from(_ELEMENTS),
    position,
    position,
    st.one_of(
        st.sampled_from(_LABELS),
        st.text("0123456789", min_size=1, max_size=40),
        st.text(max_size=20),
        st.sampled_from([v for vs in _ATTRIBUTES.values() for v in vs]),
    ),
)
tree_mutations = st.lists(tree_mutation, min_size=1, max_size=8)


def mutate_tree(xml: bytes, ops: list[tuple]) -> bytes:
    """Apply tree mutations to an XML part.

    Copy an element after itself, drop it, set its text, set one of its
    attributes, or move it into another element of the same kind's
    parent.
    """
    from lxml import etree

    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
    for kind, tag, where, other, value in ops:
        found = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == tag]
        if not found:
            continue
        el = found[min(int(where * len(found)), len(found) - 1)]
        parent = el.getparent()
        clean = "".join(
            ch
            for ch in value
            if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff" and not 0xD800 <= ord(ch) <= 0xDFFF)
        )
        if kind == "copy" and parent is not None:
            el.addnext(deepcopy(el))
        elif kind == "drop" and parent is not None:
            parent.remove(el)
        elif kind == "text":
            el.text = clean
        elif kind == "attribute":
            attrs = list(el.attrib) or ["val"]
            el.set(attrs[min(int(other * len(attrs)), len(attrs) - 1)], clean[:20])
        elif kind == "move" and parent is not None:
            target = found[min(int(other * len(found)), len(found) - 1)].getparent()
            if target is not None and el not in target.iterancestors() and target is not el:
                parent.remove(el)
                target.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@cache
def _part(data: bytes, part: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(part)


@dataclass(frozen=True)
class Target:
    """A reader to fuzz.

    Attributes:
        id: The test id.
        seeds: Real and generated sources to start from.
        format: What ``read_report`` is told the format is (``None``: sniffed).
        mutations: The hypothesis strategy of mutation lists.
        utf8: Keep the mutated input valid UTF-8 (aim at the reader, not
            at the decoder).
        part: For a DOCX or XLSX, the ZIP entry to mutate (``None``: the
            file's bytes as they are).
        share: Share of the example budget: a PDF takes about 0.1 s to
            read, a text a few milliseconds.
    """

    id: str
    seeds: Callable[[], tuple[bytes, ...]]
    format: str | None = None
    mutations: st.SearchStrategy = text_mutations
    utf8: bool = True
    part: str | None = None
    share: float = 1.0

    def apply(self, seed: bytes, ops: list[tuple], pool: tuple[bytes, ...]) -> bytes:
        if self.part is not None:
            return mutate_part(seed, ops, pool, self.part)
        return mutate(seed, ops, pool, utf8=self.utf8)


def _html_seeds() -> tuple[bytes, ...]:
    return shape_seeds("html") + data_seeds(".html")


def _text_seeds() -> tuple[bytes, ...]:
    return tuple(s for shape in ("pipe", "lines", "cell_pipe", "run") for s in shape_seeds(shape)) + data_seeds(".txt")


def _office_seeds(kind: str) -> tuple[bytes, ...]:
    render = G.render_docx if kind == "docx" else G.render_xlsx
    return tuple(
        render(
            G.balanced_values(version, random.Random(seed)),
            version,
            "某市某局",
            2021,
            merged=seed == 1,
            variant=G.Variant(half_width=seed == 2),
        )
        for version in VERSIONS
        for seed in (1, 2)
    )


def _pdf_seeds() -> tuple[bytes, ...]:
    """Generated PDFs with their drawing operators left as text, and the real one.

    The generated ones are ruled and not (the text-layer path); the real
    one is hongze, compressed.
    """
    return tuple(
        G.render_pdf(
            G.balanced_values(version, random.Random(seed)),
            version,
            "某市某局",
            2021,
            compress=False,
            ruled=seed == 1,
            split_row=12 if seed == 1 else None,
        )
        for version in VERSIONS
        for seed in (1, 2)
    ) + data_seeds(".pdf")


docx_seeds = cache(lambda: _office_seeds("docx"))
xlsx_seeds = cache(lambda: _office_seeds("xlsx"))
pdf_seeds = cache(_pdf_seeds)

TARGETS = (
    Target("html", _html_seeds, format="html"),
    Target("html-bytes", _html_seeds, mutations=byte_mutations, utf8=False),
    Target("pipe", lambda: shape_seeds("pipe") + data_seeds(".txt")[-1:]),  # tianmen: pipe rows
    Target("lines", lambda: shape_seeds("lines")),
    Target("cell_pipe", lambda: shape_seeds("cell_pipe")),
    Target("run", lambda: shape_seeds("run") + data_seeds(".txt")[:-1]),  # pingtan: cells run together
    Target("text-bytes", _text_seeds, mutations=byte_mutations, utf8=False),
    Target("text-as-html", _text_seeds, format="html"),
    Target("docx-tree", docx_seeds, mutations=tree_mutations, part="word/document.xml", share=0.4),
    Target("docx-xml", docx_seeds, mutations=mutation_lists(_XML), part="word/document.xml", share=0.2),
    Target("docx-bytes", docx_seeds, mutations=byte_mutations, utf8=False, share=0.2),
    Target("xlsx-tree", xlsx_seeds, mutations=tree_mutations, part="xl/worksheets/sheet1.xml", share=0.4),
    Target("xlsx-xml", xlsx_seeds, mutations=mutation_lists(_XML), part="xl/worksheets/sheet1.xml", share=0.2),
    Target("xlsx-bytes", xlsx_seeds, mutations=byte_mutations, utf8=False, share=0.2),
    Target("pdf", pdf_seeds, mutations=mutation_lists(_PDF), utf8=False, share=0.25),
)


def check_input(data: bytes, fmt: str | None = None, name: str = NAME) -> gicstats.Report | GicstatsError:
    """Read ``data``.

    A Report, or a GicstatsError naming ``name`` on one line; anything
    else (another exception, a runaway count of calls) fails.
    """

    def read() -> gicstats.Report | GicstatsError:
        try:
            report = gicstats.read_report(data, name=name, format=fmt)
        except GicstatsError as exc:
            return exc
        report.check()  # what `gicstats build` does with every report it reads
        return report

    _INPUTS[0] += 1
    if _INPUTS[0] % COUNT_EVERY:
        outcome = read()
    else:
        outcome, calls = python_calls(read, builtins=False)
        assert calls < MAX_CALLS, f"{len(data)} bytes took {calls:,} calls"
    if isinstance(outcome, GicstatsError):
        message = str(outcome)
        assert message.startswith(f"{name}: "), message
        assert "\n" not in message and outcome.problem, message
    else:
        assert outcome.source == name
        keys = outcome.cells[["table", "row", "column"]]
        assert not keys.duplicated().any(), "a cell key appears twice"
        assert outcome.template_version in (None, *VERSIONS)
    return outcome  # type: ignore[return-value]


_INPUTS = [0]  # inputs read so far (which of them are counted)


def _fuzz_once(target: Target, max_examples: int):
    seeds = target.seeds()

    @settings(
        max_examples=max(1, round(max_examples * target.share)), deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(seed=st.integers(0, len(seeds) - 1), ops=target.mutations)
    def fuzz(seed: int, ops: list[tuple]) -> None:
        check_input(target.apply(seeds[seed], ops, seeds), target.format)

    fuzz()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.id)
def test_fuzz(target: Target) -> None:
    """CI budget: a fixed number of mutated inputs per reader."""
    _fuzz_once(target, FUZZ_EXAMPLES)


@pytest.mark.slow
@pytest.mark.timeout(FUZZ_ROUNDS * 300 + 600)  # a net for a hang only: past the suite's 600 s per test
def test_fuzz_long() -> None:
    """The long fuzz: every target in turn, ``GICSTATS_FUZZ_ROUNDS`` rounds of 50 fresh examples."""
    for _ in range(FUZZ_ROUNDS):
        for target in TARGETS:
            _fuzz_once(target, 50)
    print(f"long fuzz: {FUZZ_ROUNDS} rounds of 50 examples x {len(TARGETS)} targets")


# --------------------------------------------------------------------------
# atheris (coverage-guided; optional)
# --------------------------------------------------------------------------


def _atheris_input(data: bytes) -> None:
    try:
        gicstats.read_report(data, name=NAME)
    except GicstatsError as exc:
        if not str(exc).startswith(f"{NAME}: "):
            raise AssertionError(f"error does not name the file: {exc}") from None
    except (SystemExit, KeyboardInterrupt) as exc:
        # libFuzzer would only say "fuzz target exited": a traceback instead
        raise RuntimeError(f"read_report raised {type(exc).__name__}") from exc


def atheris_main(argv: list[str]) -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *argv], _atheris_input)
    atheris.Fuzz()


@pytest.mark.slow
@pytest.mark.timeout(ATHERIS_SECONDS + 900)
def test_atheris(tmp_path: Path) -> None:
    """Coverage-guided fuzzing of ``read_report`` from the same seeds.

    It runs in a subprocess (libFuzzer owns its process) for
    ``GICSTATS_ATHERIS_SECONDS``.
    """
    pytest.importorskip("atheris")
    CRASHES.mkdir(exist_ok=True)
    before = {p.name for p in CRASHES.iterdir()}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = {
        *shape_seeds("html"),
        *shape_seeds("pipe"),
        *shape_seeds("lines"),
        *shape_seeds("cell_pipe"),
        *shape_seeds("run"),
        *data_seeds(".html", ".txt", ".pdf"),
        *docx_seeds(),
        *xlsx_seeds(),
        *pdf_seeds(),
    }
    for i, seed in enumerate(sorted(seeds)):
        (corpus / f"seed{i}").write_bytes(seed)
    cmd = [
        sys.executable,
        __file__,
        "atheris",
        f"-max_total_time={ATHERIS_SECONDS}",
        "-timeout=60",
        "-rss_limit_mb=4096",
        "-max_len=300000",
        f"-artifact_prefix={CRASHES}/",
        str(corpus),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=ATHERIS_SECONDS + 600)
    stats = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+)", proc.stderr)
    print(f"atheris: {stats[-1] if stats else proc.stderr[-2000:]}")
    crashes = [p for p in sorted(CRASHES.glob("*")) if p.name not in before]
    assert proc.returncode == 0 and not crashes, proc.stderr[-4000:]


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "atheris":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    atheris_main(sys.argv[2:])


# --------------------------------------------------------------------------
# Adversarial inputs of issue 7, the limits, and the bugs the fuzzers found
# --------------------------------------------------------------------------


@cache
def _values(version: str) -> dict:
    return G.balanced_values(version, random.Random(7))


def _page(version: str = "2021", **kwargs) -> str:
    return G.render_html(_values(version), version, "某市某局", 2021, **kwargs)


def _text(shape: str, version: str = "2021") -> str:
    kwargs = {"blank": "-"} if shape in ("lines", "cell_pipe") else {}
    return G.SHAPES[shape](_values(version), version, "某市某局", 2021, **kwargs)


def _cells(report: gicstats.Report) -> dict:
    return {(t, r, c): v for t, r, c, v in report.cells[["table", "row", "column", "value"]].itertuples(index=False)}


# Work bounds of the tests below, in calls of Python functions (cProfile):
# the same on a busy machine as on an idle one, where seconds are not. About
# a million calls a second on an idle core, so each bound is what its old
# bound in seconds allowed there.
CALLS_PER_SECOND = 1_000_000


def _refused(data: bytes | str, problem: str, fmt: str | None = None, seconds: float = 10) -> None:
    data = data.encode("utf-8") if isinstance(data, str) else data

    def read() -> GicstatsError | None:
        try:
            gicstats.read_report(data, name=NAME, format=fmt)
        except GicstatsError as exc:
            return exc
        return None

    error, calls = python_calls(read, builtins=False)
    assert calls < seconds * CALLS_PER_SECOND, calls
    assert str(error) == f"{NAME}: {problem}"


def _measure(path: Path) -> dict:
    from hostile_files import measure

    return measure(path)


def test_fifty_megabyte_page_reads_in_bounded_time_and_memory(tmp_path: Path) -> None:
    """50 MB of narrative around a real report.

    Read whole, in seconds, in under 1 GB (about 470 MB; the tree of a 50 MB page
    takes about ten times that).
    """
    page = _page(chrome=True, styled=True)
    filler = "".join(f"<p>{G.MORE_NARRATIVE[i % len(G.MORE_NARRATIVE)].format(n=i)}</p>\n" for i in range(1000))
    head, tail = page.split('<div class="article">', 1)
    big = head + '<div class="article">' + filler * (50_000_000 // len(filler.encode())) + tail
    path = tmp_path / "big.html"
    path.write_text(big, encoding="utf-8")
    assert path.stat().st_size > 49_000_000
    out = _measure(path)
    assert out.get("cells") == len(_cells(gicstats.read_report(page.encode(), name="small.html"))), out
    assert out["calls"] < 60 * CALLS_PER_SECOND and out["rss_mb"] < 1024, out


def test_fifty_megabyte_table_is_refused_before_parsing(tmp_path: Path) -> None:
    """50 MB of table cells would take gigabytes as a tree.

    Refused on the tag count, in a fraction of a second, without building
    it.
    """
    row = "<tr>" + "<td>0</td>" * 10 + "</tr>"
    path = tmp_path / "cells.html"
    page = "<html><body><table>" + row * (50_000_000 // len(row)) + "</table></body></html>"
    path.write_text(page)
    assert page.count("<") == 10_091_736
    out = _measure(path)
    assert out["error"] == (
        f"{path}: page has 10,091,736 tags ('<' characters), over the limit of 2,000,000 (GICSTATS_MAX_TAGS)"
    ), out
    assert out["calls"] < 10 * CALLS_PER_SECOND and out["rss_mb"] < 1024, out


@pytest.mark.parametrize(
    "opening",
    ["<div>", "<span>", "<font>", "<b>", "<table><tr><td>", "<ul><li>", "<blockquote>", "<div><p><span>"],
)
def test_ten_thousand_nested_tags(opening: str) -> None:
    """libxml2 stops at 2048 levels and would silently drop the rest of the page.

    The page is refused instead, at once, without recursion.
    """
    closing = "".join(f"</{t.strip('<>')}>" for t in reversed(re.findall(r"<[^>]+>", opening)))
    page = "<html><body>" + opening * 10_000 + "申请人情况" + closing * 10_000 + _page() + "</body></html>"
    _refused(page, "page is nested more than 2,048 elements deep (libxml2's limit)", seconds=5)


def test_nesting_over_the_configured_depth_is_refused(monkeypatch) -> None:
    page = "<html><body>" + "<div>" * 1500 + _page() + "</body></html>"
    assert len(check_input(page.encode()).cells) == 200  # within libxml2's 2048
    monkeypatch.setenv("GICSTATS_MAX_DEPTH", "1000")
    _refused(page, "page is nested more than 1,000 elements deep (GICSTATS_MAX_DEPTH)")


def test_a_report_inside_deep_markup_is_read_whole() -> None:
    """500 levels: past libxml2's default of 256.

    There the page used to be cut short without a word.
    """
    page = _page()
    deep = page.replace("<body>", "<body>" + "<div>" * 500).replace("</body>", "</div>" * 500 + "</body>")
    assert _cells(gicstats.read_report(deep.encode(), name="deep.html")) == _cells(
        gicstats.read_report(page.encode(), name="flat.html")
    )


def test_tables_nested_three_hundred_deep_are_read_once_each() -> None:
    """Each table is walked once however tables nest.

    They used to be walked once per enclosing table, and their text repeated
    in every outer cell.
    """
    page = _page()
    head, rest = page.split('<div class="article">', 1)
    nest = "<table><tr><td>布局</td><td>" * 300
    deep = head + nest + '<div class="article">' + rest.replace("</body>", "</td></tr></table>" * 300 + "</body>")
    report, calls = python_calls(gicstats.read_report, deep.encode(), name="nested.html", builtins=False)
    assert calls < 10 * CALLS_PER_SECOND, calls
    assert _cells(report) == _cells(gicstats.read_report(page.encode(), name="flat.html"))


def _labelled_runs(version: str, digits: str) -> str:
    """Every row label of the template followed by ``digits``, one a line."""
    rows = [r.label for t in TEMPLATES[version].tables for r in t.rows if not r.local]
    return f"某市某局{2021}年政府信息公开工作年度报告\n" + "\n".join(f"{label}{digits}" for label in rows) + "\n"


@pytest.mark.parametrize("version", VERSIONS)
def test_two_hundred_digits_after_every_row_label(version: str) -> None:
    """A run of 200 digits cannot be cut into one row's cells.

    Every row says so at once (the length bound prunes the search), none
    is guessed. A row of one column reads the run as its one printed
    value.
    """
    digits = "".join(str(i * 7 % 10) for i in range(200))
    report, calls = python_calls(
        gicstats.read_report, _labelled_runs(version, digits).encode(), name="runs.txt", builtins=False
    )
    assert calls < 10 * CALLS_PER_SECOND, calls
    read = report.cells[report.cells["value"].notna()]
    assert (read["raw"] == digits).all() and read["locator"].str.contains("split at its spaces").all()
    assert "parse.unsplittable" in set(report.findings["rule"])


@pytest.mark.parametrize("shape", ["html", "pipe"])
def test_two_hundred_digits_in_a_cell(shape: str) -> None:
    """In a table cell the run is one printed value: read as printed, at once."""
    digits = "9" * 200
    text = _page() if shape == "html" else _text("pipe")
    pattern = r"<td>\d+</td>" if shape == "html" else r" \| \d+ \|"
    text = re.sub(pattern, f"<td>{digits}</td>" if shape == "html" else f" | {digits} |", text, count=1)
    assert digits in text
    report, calls = python_calls(gicstats.read_report, text.encode(), name=f"digits.{shape}", builtins=False)
    assert calls < 10 * CALLS_PER_SECOND, calls
    assert (report.cells["raw"] == digits).sum() == 1


def test_unsplittable_runs_share_one_budget(monkeypatch) -> None:
    """Two thousand runs that each exhaust their own search would take half an hour.

    The report's budget stops them together.
    """
    monkeypatch.setenv("GICSTATS_MAX_REPORT_STEPS", "200000")
    text = "\n".join(_labelled_runs("2021", "1" * 30) for _ in range(80))
    report, calls = python_calls(gicstats.read_report, text.encode(), name="runs.txt", builtins=False)
    assert calls < 15 * CALLS_PER_SECOND, calls
    exhausted = report.findings[report.findings["rule"] == "parse.split_exhausted"]
    assert len(exhausted) > 100
    read = report.cells[report.cells["value"].notna()]
    assert (read["raw"] == "1" * 30).all()  # rows of one column: the run as printed


@pytest.mark.slow
def test_unsplittable_runs_default_budget() -> None:
    text = "\n".join(_labelled_runs("2021", "1" * 30) for _ in range(80))
    _, calls = python_calls(gicstats.read_report, text.encode(), name="runs.txt", builtins=False)
    assert calls < 60 * CALLS_PER_SECOND, calls


def test_split_budget_is_charged() -> None:
    from gicstats.read.split import Budget, SearchExhausted, split_run

    budget = Budget(1000)
    assert split_run("801000081", ["count"] * 7, lambda v: sum(v[:6]) == v[6], budget=budget)
    spent = 1000 - budget.left
    assert 0 < spent < 1000
    with pytest.raises(SearchExhausted):
        split_run("1" * 30, ["count"] * 7, lambda v: sum(v[:6]) == v[6], budget=budget)
    assert budget.left == 0
    with pytest.raises(SearchExhausted):
        split_run("801000081", ["count"] * 7, budget=budget)


@pytest.mark.parametrize(
    ("variable", "value", "source", "problem"),
    [
        ("GICSTATS_MAX_CELLS", "100", "html", "page has {n} table cells, over the limit of 100 (GICSTATS_MAX_CELLS)"),
        (
            "GICSTATS_MAX_TAGS",
            "100",
            "html",
            "page has {n} tags ('<' characters), over the limit of 100 (GICSTATS_MAX_TAGS)",
        ),
        ("GICSTATS_MAX_DEPTH", "5", "html", "page is nested more than 5 elements deep (GICSTATS_MAX_DEPTH)"),
        ("GICSTATS_MAX_LINES", "50", "lines", "text has {n} lines, over the limit of 50 (GICSTATS_MAX_LINES)"),
        (
            "GICSTATS_MAX_CELLS",
            "100",
            "pipe",
            "text has {n} '|' cell separators, over the limit of 100 (GICSTATS_MAX_CELLS)",
        ),
    ],
)
def test_limits_are_configurable(monkeypatch, variable: str, value: str, source: str, problem: str) -> None:
    text = _page() if source == "html" else _text(source)
    counts = {
        "GICSTATS_MAX_CELLS": text.count("<td") if source == "html" else text.count("|"),
        "GICSTATS_MAX_TAGS": text.count("<"),
        "GICSTATS_MAX_LINES": text.count("\n") + 1,
    }
    gicstats.read_report(text.encode(), name=NAME)  # fine within the defaults
    monkeypatch.setenv(variable, value)
    _refused(text, problem.format(n=f"{counts.get(variable, 0):,}"))


def test_a_bad_limit_names_its_variable(monkeypatch) -> None:
    monkeypatch.setenv("GICSTATS_MAX_LINES", "lots")
    with pytest.raises(GicstatsError, match=r"^GICSTATS_MAX_LINES: must be a positive whole number, not 'lots'$"):
        gicstats.read_report(_text("lines").encode(), name=NAME)


def test_readers_told_the_name_raise_it_themselves(monkeypatch) -> None:
    from gicstats.read.readers.html import read_html
    from gicstats.read.readers.text import read_text

    monkeypatch.setenv("GICSTATS_MAX_LINES", "10")
    with pytest.raises(GicstatsError, match=r"^a\.txt: text has"):
        read_text(_text("lines"), "a.txt")
    with pytest.raises(GicstatsError, match=r"^a\.html: text has"):
        read_html("<html><body><p>" + "<br>".join(["x"] * 20) + "</p></body></html>", "a.html")
    # without a name the reader still raises at once (a refusal no longer
    # travels as data to be raised later), naming the source as <text>
    with pytest.raises(GicstatsError, match=r"^<text>: text has"):
        read_text(_text("lines"))


# -- regressions found by the fuzzers and by reading the code ----------------


def test_note_after_the_last_table_in_free_text() -> None:
    """Found by the fuzzer.

    A short line after a table's last row (a note such as 注：…) made the
    one-cell-per-line and ``cell |`` shapes crash with AttributeError
    ('NoneType' object has no attribute 'title').
    """
    for shape in ("lines", "cell_pipe"):
        text = _text(shape)
        marker = SECTIONS[4].label
        noted = text.replace(marker, "注：本表数据由本机关统计。\n\n" + marker, 1)
        assert noted != text
        report = gicstats.read_report(noted.encode(), name=f"note.{shape}")
        assert _cells(report) == _cells(gicstats.read_report(text.encode(), name="plain.txt"))
        assert "parse.unknown_label" not in set(report.findings["rule"])


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x01", "\x1b", "\ufffe", "\uffff"])
def test_control_characters_in_html(char: str) -> None:
    """Found by the fuzzer.

    A control character in the text after a tag made lxml raise ValueError
    when the reader set that text back (Word exports leave vertical tabs and
    form feeds).
    """
    page = _page()
    dirty = page.replace("</p>", f"</p>{char}", 3).replace("<br/>", f"<br/>{char}")
    assert _cells(gicstats.read_report(dirty.encode(), name="dirty.html")) == _cells(
        gicstats.read_report(page.encode(), name="clean.html")
    )


def test_xml_declaration_with_encoding() -> None:
    """An XHTML page opening with ``<?xml … encoding="utf-8"?>`` is read as HTML.

    lxml refused the decoded text, and the page was read as plain text,
    tags and all.
    """
    page = _page()
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + page.replace("<!DOCTYPE html>", "")
    report = gicstats.read_report(xhtml.encode(), name="x.xhtml", format="html")
    assert _cells(report) == _cells(gicstats.read_report(page.encode(), name="p.html"))
    assert "<" not in (report.narrative or "")


def test_layout_table_does_not_repeat_the_report() -> None:
    """A report inside a layout table cell.

    The outer cell's text no longer holds the inner tables again (the
    mapper saw every label twice).
    """
    from gicstats.read.readers.html import read_html

    page = _page()
    wrapped = page.replace('<div class="article">', "<table><tr><td>").replace("</body>", "</td></tr></table></body>")
    doc = read_html(wrapped)
    outer = doc.lines[0].cells[0].text
    assert "申请人情况" not in outer and "某市某局" in outer
    assert _cells(gicstats.read_report(wrapped.encode(), name="w.html")) == _cells(
        gicstats.read_report(page.encode(), name="p.html")
    )


def _bounded(page: str, seconds: float = 10) -> gicstats.Report | GicstatsError:
    outcome, calls = python_calls(check_input, page.encode("utf-8"), "html", builtins=False)
    assert calls < seconds * CALLS_PER_SECOND, calls
    return outcome  # type: ignore[return-value]


def test_huge_spans_are_bounded() -> None:
    """Found by reading the code.

    Each cell marked rowspan x colspan grid slots (capped at 1000 x
    1000), so ten cells of ``rowspan=1000 colspan=1000`` took seconds and
    a page of them hours.
    """
    row = "<tr>" + '<td rowspan="1000" colspan="1000">1</td>' * 10 + "</tr>"
    _bounded(_page().replace("</body>", "<table>" + row * 1000 + "</table></body>"))


def test_many_scripts_and_tables_are_dropped_in_linear_time() -> None:
    """Found by reading the code.

    Dropping an element moved the text after it onto the element before, so a
    page of many scripts (or tables) with text between them copied that text
    once per element: 10 MB took two minutes.
    """
    scripts = ("<script>var a=1;</script>" + "正文" * 250) * 20_000
    tables = ("<table><tr><td>1</td></tr></table>" + "正文" * 250) * 20_000
    for filler in (scripts, tables):
        report = _bounded(_page().replace("</body>", filler + "</body>"))
        assert isinstance(report, gicstats.Report) and len(report.cells) == 200


def test_headings_nested_in_headings_are_bounded() -> None:
    """Found by reading the code.

    Every ``h1`` took the text of all it holds, so 500 headings nested around
    8 MB of text copied it 500 times (and kept 500 copies as title hints).
    """
    from gicstats.read.readers.html import read_html

    page = _page().replace("<body>", "<body>" + "<h1><div>" * 500 + "标题" * 2_000_000 + "</div></h1>" * 500)
    doc, calls = python_calls(read_html, page, builtins=False)
    assert calls < 10 * CALLS_PER_SECOND, calls
    assert doc.title_hints == ["某市某局2021年政府信息公开工作年度报告"]
