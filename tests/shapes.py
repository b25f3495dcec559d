"""Real reports through real producers, scored against their truth.

Shared by ``tests/integration/test_shape_matrix.py`` and ``bench/shape_matrix.py``.

Each real report with a truth file (``data/`` and, when it is beside the
repository, ``shared/corpus/raw``) is turned into the shapes people keep or
paste by the tools that make them:

- LibreOffice headless: HTML to PDF, DOCX and XLSX, DOCX to PDF; a text
  report to PDF and DOCX. Several files go through one ``soffice`` call.
- Chromium's print to PDF of an HTML report.
- ``pdftotext -layout`` (poppler-utils) of every PDF, the real one included.
- ``w3m -dump``, ``lynx -dump`` and ``html2text`` (PyPI) of an HTML report.
- Mutilations real sources show, applied to a report's text form (the text
  report itself, the ``w3m`` dump of an HTML report, the ``pdftotext`` text
  of a PDF): GBK re-encoding, CJK radical code points, page footers inside
  the tables, a title wrapped over two lines, runs of identical cells
  collapsed into one.

Every output is read with :func:`gicstats.read_report` and scored cell by
cell against the truth (as ``tests/unit/test_corpus.py`` compares it): exact,
wrong (a value that is not the truth: never allowed), null with a finding
naming the cell, its row or its table, null without one; and whether the
agency, year and template version are right.

Fonts: the producers see the Noto Sans CJK that gicstats depends on
(``noto-cjk-sans-otc``) through a fontconfig file of their own, so their
output does not depend on the machine's fonts. Without a CJK font,
LibreOffice draws every ideograph with one fallback glyph and its PDFs map
them all to one character (only ``/ActualText`` keeps the real text, which
pdfminer does not read).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from helpers import CHROMIUM_FLAGS, DATA, SHARED_CORPUS, TRUTH

import gicstats
from gicstats.errors import GicstatsError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell")


@dataclass
class Source:
    """One real report and its truth."""

    name: str  # truth file stem
    path: Path
    truth: dict


def sources() -> list[Source]:
    """The real reports with truth.

    ``data/``, then any copy in ``shared/corpus/raw`` whose bytes differ
    (identical copies are one report).
    """
    found: list[Source] = []
    seen: set[str] = set()
    places = [(TRUTH, DATA)]
    if SHARED_CORPUS.is_dir():
        places.append((SHARED_CORPUS / "truth", SHARED_CORPUS / "raw"))
    for truth_dir, raw_dir in places:
        for tpath in sorted(truth_dir.glob("*.json")):
            truth = json.loads(tpath.read_text(encoding="utf-8"))
            path = raw_dir / truth["file"]
            if not path.is_file():
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            name = tpath.stem if raw_dir == DATA else f"shared:{tpath.stem}"
            found.append(Source(name, path, truth))
    return found


# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------


def find_chromium() -> str | None:
    chosen = os.environ.get("GICSTATS_CHROMIUM")
    if chosen:
        return shutil.which(chosen) or chosen
    return next((shutil.which(n) for n in CHROMIUM_NAMES if shutil.which(n)), None)


def tools() -> dict[str, str | None]:
    """The producers' binaries found on PATH (``None``: not installed)."""
    return {
        "soffice": shutil.which("soffice"),
        "chromium": find_chromium(),
        "pdftotext": shutil.which("pdftotext"),
        "w3m": shutil.which("w3m"),
        "lynx": shutil.which("lynx"),
    }


def _html2text_available() -> bool:
    try:
        import html2text  # noqa: F401
    except ImportError:
        return False
    return True


class Workshop:
    """A folder where producers run with their own HOME and fonts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        for sub in ("config", "cache", "data", "fontconfig-cache", "lo-profile"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        fonts = self.home / "fonts.conf"
        fonts.write_text(self._fonts_conf(), encoding="utf-8")
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "FONTCONFIG_FILE": str(fonts),
            "LANG": "C.UTF-8",
        }
        self.tools = tools()

    def _fonts_conf(self) -> str:
        import noto_cjk_sans_otc

        font_dir = html.escape(str(Path(noto_cjk_sans_otc.__file__).parent))
        return (
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
            '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
            f"  <dir>{font_dir}</dir>\n  <cachedir>{html.escape(str(self.home / 'fontconfig-cache'))}</cachedir>\n"
            "</fontconfig>\n"
        )

    def run(self, command: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(command, env=self.env, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{command[0]} failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace')[-800:]}"
            )
        return done

    # -- LibreOffice --------------------------------------------------------
    def soffice(self, files: list[Path], target: str, outdir: Path, infilter: str | None = None) -> None:
        """Convert ``files`` in one soffice call (starting it is most of the time)."""
        if not files:
            return
        outdir.mkdir(parents=True, exist_ok=True)
        command = [
            self.tools["soffice"] or "soffice",
            f"-env:UserInstallation=file://{self.home / 'lo-profile'}",
            "--headless",
            "--norestore",
        ]
        if infilter:
            command.append(f"--infilter={infilter}")
        self.run([*command, "--convert-to", target, "--outdir", str(outdir), *map(str, files)], timeout=600)

    # -- Chromium -----------------------------------------------------------
    def chromium_pdf(self, page: Path, out: Path) -> None:
        self.run(
            [
                self.tools["chromium"] or "chromium",
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.home / 'chromium-profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                page.resolve().as_uri(),
            ],
            timeout=180,
        )

    def pdftotext(self, pdf: Path, out: Path) -> None:
        self.run([self.tools["pdftotext"] or "pdftotext", "-layout", "-enc", "UTF-8", str(pdf), str(out)])

    def dump(self, tool: str, page: Path, out: Path) -> None:
        if tool == "w3m":
            command = ["w3m", "-dump", "-cols", "200", "-I", "UTF-8", "-O", "UTF-8", "-T", "text/html", str(page)]
        else:  # lynx
            command = ["lynx", "-dump", "-nolist", "-width=200", "-assume_charset=UTF-8", "-display_charset=UTF-8"]
            command.append(str(page))
        out.write_bytes(self.run(command).stdout)


# --------------------------------------------------------------------------
# Mutilations of a report's text form
# --------------------------------------------------------------------------

# Ideographs some fonts map to a CJK Radicals Supplement code point
# (U+2E80–U+2EFF), which NFKC does not fold: each radical is the one whose
# equivalent unified ideograph (Unicode's EquivalentUnifiedIdeograph.txt) is
# the ideograph it replaces, so a reader that folds radicals reads the text
# back (门 is U+2ED4 C-SIMPLIFIED GATE; U+2EE8 SIMPLIFIED WHEAT stands for 麦).
RADICALS = {"民": "\u2ea0", "长": "\u2ed3", "黄": "\u2ee9", "车": "\u2ecb", "见": "\u2ec5", "门": "\u2ed4"}
_TITLE = re.compile(r"^(.*?)((?:19|20)\d{2})\s*(年度?)(.*?政府信息公开)(工作)?(年度报告)", re.M)


def gbk(text: str) -> bytes:
    """The text re-encoded as GBK (what an older site or editor saves)."""
    return text.encode("gbk", errors="replace")


def radicals(text: str) -> str:
    """Ideographs replaced by the radical code points some fonts map them to."""
    return text.translate(str.maketrans(RADICALS))


def page_footers(text: str, every: int = 12) -> str:
    """A page footer (``— 5 —``) after every ``every`` lines, tables included."""
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        out.append(line)
        if i % every == 0:
            out.append(f"— {i // every} —")
    return "\n".join(out) + "\n"


def wrapped_title(text: str) -> str:
    """The title broken after 政府信息公开, with spaces about the year."""

    def wrap(m: re.Match) -> str:
        before = f"{m[1].rstrip()} " if m[1].strip() else m[1]
        return f"{before}{m[2]} {m[3]}{m[4]}\n{m[5] or ''}{m[6]}"

    return _TITLE.sub(wrap, text, count=1)


def collapsed_runs(text: str) -> str:
    """Consecutive identical cells of a ``|``-separated row collapsed into one.

    As an archiver dropping repeated text nodes does.
    """
    out, changed = [], False
    for line in text.splitlines():
        if "|" in line:
            cells = line.split("|")
            kept = [c for i, c in enumerate(cells) if i == 0 or c.strip() != cells[i - 1].strip() or not c.strip()]
            changed = changed or len(kept) < len(cells)
            line = "|".join(kept)
        out.append(line)
    return "\n".join(out) + "\n" if changed else text


_ROW = re.compile(r"<tr\b.*?</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<t([dh])\b[^>]*>.*?</t\1\s*>", re.S | re.I)


def _cell_text(cell: str) -> str:
    return "".join(html.unescape(re.sub(r"<[^>]*>", "", cell)).split())


def collapsed_html(page: str) -> str:
    """A web page whose table cells equal to the cell before them are gone.

    As an archiver that drops consecutive identical text nodes leaves a
    page (``46 | 0 | 0 | 0 | 0 | 0 | 46`` -> ``46 | 0 | 46``): each ``td``
    whose text is that of the cell before it in its row is left out, so the
    row holds fewer cells and the browsers and dumps lay it out under the
    first columns.
    """

    def row(m: re.Match) -> str:
        text = m.group(0)
        out, last, before = [], 0, None
        for cell in _CELL.finditer(text):
            seen = _cell_text(cell.group(0))
            out.append(text[last : cell.start()])
            if not (seen and seen == before):
                out.append(cell.group(0))
            before, last = seen, cell.end()
        out.append(text[last:])
        return "".join(out)

    return _ROW.sub(row, page)


def narrow_label_page(page: str, breaks: int, label_pt: int = 22) -> str:
    """The Shanghai page with table 三 fitted to the page and its row labels wrapped, pushed down by ``breaks`` lines.

    The table is given the page's width and its label cells no fixed width
    or ``nowrap``, in a larger font, so that LibreOffice wraps each label over
    two or three lines and fits the table in A4 (the page as published is cut
    at the right edge); ``breaks`` empty lines before the section move the
    page break through the table, into a label's lines at some of them
    (LibreOffice breaks a row over two pages).
    """
    at = page.index("三、收到和处理政府信息公开申请情况")
    start = page.rindex("<table", 0, page.index("本年新收政府信息公开申请数量"))
    end = page.index("</table>", start)
    table = page[start:end].replace('nowrap="nowrap" ', "")
    table = table.replace('style="width:217px;"', 'width="10%"').replace(
        '<table align="center"', '<table width="100%" align="center"', 1
    )
    table = re.sub(r'(<td colspan="3"[^>]*>)<p>', lambda m: m.group(1) + f'<p style="font-size:{label_pt}pt">', table)
    fitted = page[:start] + table + page[end:]
    return fitted[:at] + "<br>" * breaks + fitted[at:]


MUTILATIONS: dict[str, Callable[[str], str | bytes]] = {
    "gbk": gbk,
    "radicals": radicals,
    "footers": page_footers,
    "title_wrap": wrapped_title,
    "collapsed": collapsed_runs,
}


# --------------------------------------------------------------------------
# Producing
# --------------------------------------------------------------------------


@dataclass
class Output:
    """One producer's output for one report (or why there is none)."""

    report: str
    producer: str
    path: Path | None
    skipped: str = ""  # why there is no output (tool missing, shape not applicable)


@dataclass
class Outputs:
    items: dict[tuple[str, str], Output] = field(default_factory=dict)

    def add(self, report: str, producer: str, path: Path | None, skipped: str = "") -> None:
        if path is not None and not path.is_file():
            path, skipped = None, skipped or "the producer wrote nothing"
        self.items[(report, producer)] = Output(report, producer, path, skipped)


# A web page with its repeated cells dropped (collapsed_html), and what the
# browsers and dumps make of it.
COLLAPSED_PAGE = (
    "collapsed.html",
    "collapsed.html|w3m",
    "collapsed.html|lynx",
    "collapsed.html|html2text",
    "collapsed.html|chromium.pdf",
    "collapsed.html|chromium.pdf|pdftotext",
)

PRODUCERS = (
    "source",
    "lo.pdf",
    "lo.writer.pdf",
    "lo.docx",
    "lo.xlsx",
    "lo.docx.pdf",
    "chromium.pdf",
    "pdftotext",
    "lo.pdf|pdftotext",
    "chromium.pdf|pdftotext",
    "w3m",
    "lynx",
    "html2text",
    *(f"text|{m}" for m in MUTILATIONS),
    *COLLAPSED_PAGE,
)


def produce(srcs: list[Source], root: Path) -> Outputs:
    """Every producer's output for every report, under ``root``."""
    shop = Workshop(root)
    have = shop.tools
    out = Outputs()
    stage = root / "in"
    stage.mkdir(parents=True, exist_ok=True)
    # copies under safe, distinct names: soffice names its outputs by stem
    staged: dict[str, Path] = {}
    for i, src in enumerate(srcs):
        path = stage / f"r{i:02d}_{re.sub(r'[^A-Za-z0-9_]', '_', src.name)}{src.path.suffix.lower()}"
        shutil.copyfile(src.path, path)
        staged[src.name] = path
        out.add(src.name, "source", path)
    kind = {s.name: staged[s.name].suffix for s in srcs}
    htmls = [s.name for s in srcs if kind[s.name] in (".html", ".htm")]
    texts = [s.name for s in srcs if kind[s.name] == ".txt"]
    pdfs = [s.name for s in srcs if kind[s.name] == ".pdf"]
    r = _Producing(shop, out, root, staged, have, htmls, texts, pdfs)
    _libreoffice(r)
    _chromium(r)
    _pdftotext(r)
    _dumps(r)
    _mutilations(r)
    _collapsed_pages(r)
    return out


@dataclass
class _Producing:
    """What every producer step needs: the tools, the outputs so far, and the staged reports by kind."""

    shop: Workshop
    out: Outputs
    root: Path
    staged: dict[str, Path]
    have: dict[str, bool]
    htmls: list[str]
    texts: list[str]
    pdfs: list[str]

    def not_for(self, names: list[str], producer: str, why: str) -> None:
        """Record that ``producer`` makes nothing for these reports, and why."""
        for n in names:
            self.out.add(n, producer, None, why)


def _missing(tool: str) -> str:
    return f"{tool} is not installed"


def _libreoffice(r: _Producing) -> None:
    """LibreOffice: one call per (input kind, target)."""
    shop, out, root, staged, have, htmls, texts, pdfs = (
        r.shop,
        r.out,
        r.root,
        r.staged,
        r.have,
        r.htmls,
        r.texts,
        r.pdfs,
    )
    lo = root / "lo"
    if have["soffice"]:
        shop.soffice([staged[n] for n in htmls], "pdf", lo / "pdf")
        # the page opened in Writer proper (not Writer/Web), as File > Open does
        shop.soffice(
            [staged[n] for n in htmls], "pdf:writer_pdf_Export", lo / "writer.pdf", infilter="HTML (StarWriter)"
        )
        shop.soffice([staged[n] for n in htmls], "docx:MS Word 2007 XML", lo / "docx")
        shop.soffice([staged[n] for n in htmls], "xlsx", lo / "xlsx", infilter="HTML (StarCalc)")
        shop.soffice([staged[n] for n in texts], "pdf", lo / "pdf", infilter="Text (encoded):UTF8")
        shop.soffice([staged[n] for n in texts], "docx:MS Word 2007 XML", lo / "docx", infilter="Text (encoded):UTF8")
        docx = [lo / "docx" / f"{staged[n].stem}.docx" for n in htmls + texts]
        shop.soffice([p for p in docx if p.is_file()], "pdf", lo / "docx.pdf")
        for n in htmls + texts:
            stem = staged[n].stem
            out.add(n, "lo.pdf", lo / "pdf" / f"{stem}.pdf")
            out.add(n, "lo.docx", lo / "docx" / f"{stem}.docx")
            out.add(n, "lo.docx.pdf", lo / "docx.pdf" / f"{stem}.pdf")
        for n in htmls:
            out.add(n, "lo.xlsx", lo / "xlsx" / f"{staged[n].stem}.xlsx")
            out.add(n, "lo.writer.pdf", lo / "writer.pdf" / f"{staged[n].stem}.pdf")
        r.not_for(texts, "lo.xlsx", "a text report has no table cells for Calc")
        r.not_for(texts, "lo.writer.pdf", "a text report opens in Writer alike (lo.pdf)")
    else:
        for p in ("lo.pdf", "lo.writer.pdf", "lo.docx", "lo.docx.pdf", "lo.xlsx"):
            r.not_for(htmls + texts, p, _missing("soffice"))
    r.not_for(pdfs, "lo.pdf", "a PDF is not converted again")
    r.not_for(pdfs, "lo.writer.pdf", "a PDF is not converted again")
    for p in ("lo.docx", "lo.docx.pdf", "lo.xlsx"):
        r.not_for(pdfs, p, "LibreOffice opens a PDF as a drawing")


def _chromium(r: _Producing) -> None:
    """Chromium's PDF of each web page."""
    shop, out, root, staged, have, htmls, texts, pdfs = (
        r.shop,
        r.out,
        r.root,
        r.staged,
        r.have,
        r.htmls,
        r.texts,
        r.pdfs,
    )
    for n in htmls:
        if have["chromium"]:
            target = root / "chromium" / f"{staged[n].stem}.pdf"
            target.parent.mkdir(parents=True, exist_ok=True)
            shop.chromium_pdf(staged[n], target)
            out.add(n, "chromium.pdf", target)
        else:
            out.add(n, "chromium.pdf", None, _missing("chromium"))
    r.not_for(texts + pdfs, "chromium.pdf", "only web pages are printed")


def _pdftotext(r: _Producing) -> None:
    """Pdftotext of every PDF: the sources, and the PDFs LibreOffice and Chromium made."""
    shop, out, root, staged, have, htmls, texts, pdfs = (
        r.shop,
        r.out,
        r.root,
        r.staged,
        r.have,
        r.htmls,
        r.texts,
        r.pdfs,
    )
    for producer, names, pdf_of in (
        ("pdftotext", pdfs, lambda n: staged[n]),
        ("lo.pdf|pdftotext", htmls + texts, lambda n: out.items[(n, "lo.pdf")].path),
        ("chromium.pdf|pdftotext", htmls, lambda n: out.items[(n, "chromium.pdf")].path),
    ):
        for n in names:
            pdf = pdf_of(n)
            if not have["pdftotext"] or pdf is None:
                out.add(n, producer, None, _missing("pdftotext") if pdf is not None else "no PDF to read")
                continue
            target = root / producer.replace("|", "_") / f"{staged[n].stem}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            shop.pdftotext(pdf, target)
            out.add(n, producer, target)
    r.not_for(htmls + texts, "pdftotext", "not a PDF (see lo.pdf|pdftotext)")
    r.not_for(texts + pdfs, "chromium.pdf|pdftotext", "only web pages are printed")
    r.not_for(pdfs, "lo.pdf|pdftotext", "a PDF is not converted again")


def _dumps(r: _Producing) -> None:
    """Text dumps of web pages: w3m, lynx and html2text."""
    shop, out, root, staged, have, htmls, texts, pdfs = (
        r.shop,
        r.out,
        r.root,
        r.staged,
        r.have,
        r.htmls,
        r.texts,
        r.pdfs,
    )
    for tool in ("w3m", "lynx"):
        for n in htmls:
            if have[tool]:
                target = root / tool / f"{staged[n].stem}.txt"
                target.parent.mkdir(parents=True, exist_ok=True)
                shop.dump(tool, staged[n], target)
                out.add(n, tool, target)
            else:
                out.add(n, tool, None, _missing(tool))
        r.not_for(texts + pdfs, tool, "only web pages are dumped")
    for n in htmls:
        if _html2text_available():
            import html2text

            target = root / "html2text" / f"{staged[n].stem}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            converter = html2text.HTML2Text()
            converter.body_width = 0  # no wrapping: a table row stays one line
            target.write_text(converter.handle(staged[n].read_text(encoding="utf-8")), encoding="utf-8")
            out.add(n, "html2text", target)
        else:
            out.add(n, "html2text", None, _missing("html2text (PyPI)"))
    r.not_for(texts + pdfs, "html2text", "only web pages are converted")


def _mutilations(r: _Producing) -> None:
    """Mutilations of each report's text form."""
    out, root, staged, htmls, texts, pdfs = r.out, r.root, r.staged, r.htmls, r.texts, r.pdfs
    for n in htmls + texts + pdfs:
        base = {**{m: staged[m] for m in texts}, **{m: out.items[(m, "w3m")].path for m in htmls}}
        base.update({m: out.items[(m, "pdftotext")].path for m in pdfs})
        text_path = base.get(n)
        for name, mutilate in MUTILATIONS.items():
            producer = f"text|{name}"
            if text_path is None:
                out.add(n, producer, None, "no text form")
                continue
            text = text_path.read_text(encoding="utf-8")
            result = mutilate(text)
            if (result if isinstance(result, str) else None) == text:
                out.add(n, producer, None, "the mutilation changes nothing in this report")
                continue
            target = root / "text" / name / f"{staged[n].stem}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(result, bytes):
                target.write_bytes(result)
            else:
                target.write_text(result, encoding="utf-8")
            out.add(n, producer, target)


def _collapsed_pages(r: _Producing) -> None:
    """Each web page with its repeated cells dropped, through the browsers and dumps."""
    out, root, staged, have = r.out, r.root, r.staged, r.have
    r.not_for(r.texts + r.pdfs, "collapsed.html", "only web pages are collapsed (see text|collapsed)")
    for producer in COLLAPSED_PAGE[1:]:
        r.not_for(r.texts + r.pdfs, producer, "only web pages are collapsed")
    folder = root / "collapsed"
    folder.mkdir(parents=True, exist_ok=True)
    for n in r.htmls:
        page = folder / staged[n].name
        page.write_text(collapsed_html(staged[n].read_text(encoding="utf-8")), encoding="utf-8")
        out.add(n, "collapsed.html", page)
        for tool in ("w3m", "lynx"):
            if have[tool]:
                target = folder / f"{staged[n].stem}.{tool}.txt"
                r.shop.dump(tool, page, target)
                out.add(n, f"collapsed.html|{tool}", target)
            else:
                out.add(n, f"collapsed.html|{tool}", None, _missing(tool))
        if _html2text_available():
            import html2text

            converter = html2text.HTML2Text()
            converter.body_width = 0
            target = folder / f"{staged[n].stem}.md"
            target.write_text(converter.handle(page.read_text(encoding="utf-8")), encoding="utf-8")
            out.add(n, "collapsed.html|html2text", target)
        else:
            out.add(n, "collapsed.html|html2text", None, _missing("html2text (PyPI)"))
        if have["chromium"]:
            target = folder / f"{staged[n].stem}.pdf"
            r.shop.chromium_pdf(page, target)
            out.add(n, "collapsed.html|chromium.pdf", target)
        else:
            out.add(n, "collapsed.html|chromium.pdf", None, _missing("chromium"))
        pdf = out.items[(n, "collapsed.html|chromium.pdf")].path
        if have["pdftotext"] and pdf is not None:
            target = folder / f"{staged[n].stem}.pdftotext.txt"
            r.shop.pdftotext(pdf, target)
            out.add(n, "collapsed.html|chromium.pdf|pdftotext", target)
        else:
            out.add(n, "collapsed.html|chromium.pdf|pdftotext", None, "no PDF to read, or pdftotext missing")


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


# The finding the reader makes where it cannot read a metadata field (the
# field is then None): such a field is null with a finding, not wrong.
META_FINDINGS = {"agency": "parse.no_agency", "year": "parse.no_year", "template": "parse.template_undetermined"}


@dataclass
class Score:
    """How one output reads against its truth."""

    exact: int = 0
    wrong: int = 0
    null_finding: int = 0  # null, with a finding naming the cell, its row or its table
    null_silent: int = 0  # null with no such finding: a defect
    # agency, year, template: True right, False wrong, None not read (null,
    # with its META_FINDINGS finding)
    meta: dict[str, bool | None] = field(default_factory=dict)
    error: str = ""  # the one-line GicstatsError, when the output was refused
    wrong_cells: list[tuple[str, object, object]] = field(default_factory=list)
    null_cells: list[str] = field(default_factory=list)

    @property
    def meta_ok(self) -> bool:
        return bool(self.meta) and all(ok is True for ok in self.meta.values())

    def short(self) -> str:
        """``exact/total`` with the wrong, null and meta marks of a matrix cell."""
        total = self.exact + self.wrong + self.null_finding + self.null_silent
        text = f"{self.exact}/{total}"
        if self.wrong:
            text += f" W{self.wrong}"
        if self.null_silent:
            text += f" S{self.null_silent}"
        if not self.meta:
            return text + " ERR"
        wrong = "".join(k[0] for k, ok in self.meta.items() if ok is False)
        unread = "".join(k[0] for k, ok in self.meta.items() if ok is None)
        if wrong:
            text += f" m:{wrong}"
        if unread:
            text += f" n:{unread}"
        return text


def score(path: Path, truth: dict) -> Score:
    """Read ``path`` and score it against ``truth``.

    Compared as in ``tests/unit/test_corpus.py``: a blank printed for a truth 0
    may stay null.
    """
    result = Score()
    try:
        report = gicstats.read_report(path)
    except GicstatsError as exc:
        result.error = str(exc)
        result.null_silent = len(truth["cells"])
        result.null_cells = list(truth["cells"])
        return result
    read = {"agency": report.agency, "year": report.year, "template": report.template_version}
    rules = set(report.findings["rule"])
    result.meta = {
        k: None if value is None and META_FINDINGS[k] in rules else value == truth[k] for k, value in read.items()
    }
    cells = {
        (t, r, c): (v, raw)
        for t, r, c, v, raw in zip(
            report.cells["table"],
            report.cells["row"],
            report.cells["column"],
            report.cells["value"],
            report.cells["raw"],
        )
    }
    named: set[str] = set()
    for entry in report.findings["cells"].dropna():
        named.update(part.strip() for part in str(entry).split(","))
    for key, expected in truth["cells"].items():
        table, row, column = key.split(".")
        value, raw = cells.get((table, row, column), (None, None))
        if value is not None and not pd.isna(value):
            if value == expected:
                result.exact += 1
            else:
                result.wrong += 1
                result.wrong_cells.append((key, expected, value))
            continue
        if raw is not None and str(raw).strip() == "" and expected == 0:
            result.exact += 1  # a blank cell read as blank
            continue
        if {key, f"{table}.{row}", table} & named:
            result.null_finding += 1
        else:
            result.null_silent += 1
        result.null_cells.append(key)
    return result


def matrix(srcs: list[Source], outputs: Outputs) -> dict[tuple[str, str], Score | str]:
    """Scores by (report, producer); a string where there is no output."""
    by_name = {s.name: s for s in srcs}
    scores: dict[tuple[str, str], Score | str] = {}
    for (report, producer), item in outputs.items.items():
        if item.path is None:
            scores[(report, producer)] = item.skipped
        else:
            scores[(report, producer)] = score(item.path, by_name[report].truth)
    return scores


def render(srcs: list[Source], scores: dict[tuple[str, str], Score | str]) -> str:
    """The matrix as text: a row per report, a column per producer.

    A cell is ``exact/total`` with ``W<n>`` wrong cells, ``S<n>`` nulls
    without a finding, ``m:`` the meta that is wrong (agency, year,
    template), ``n:`` the meta not read (null, with the finding that says
    so), ``ERR`` a refused output; ``·`` where the producer does not
    apply.
    """
    producers = [p for p in PRODUCERS if any(isinstance(scores.get((s.name, p)), Score) for s in srcs)]
    width = max(len(s.name) for s in srcs)
    table = {
        (s.name, p): (sc.short() if isinstance(sc := scores.get((s.name, p)), Score) else "·")
        for s in srcs
        for p in producers
    }
    widths = {p: max(len(p), *(len(table[(s.name, p)]) for s in srcs)) for p in producers}
    lines = [" " * width + " | " + " | ".join(p.ljust(widths[p]) for p in producers)]
    for s in srcs:
        lines.append(s.name.ljust(width) + " | " + " | ".join(table[(s.name, p)].ljust(widths[p]) for p in producers))
    return "\n".join(line.rstrip() for line in lines)
