"""The page around an export: title, header, table of contents, sortable tables.

An export is one HTML file that works from ``file://``, from a copied
folder and with the network off: no CDN, no external URL, every link
relative. The notebook's first output is its header (:func:`header`: the
title naming agency and year, provenance, links back to ``index.html`` and
across the agency's exports); :func:`document` wraps nbconvert's body in
the page, fills the header's table of contents from the section headings,
and adds the small script that sorts long tables, allowed by the page's
Content-Security-Policy through its hash.

Every text from a report is escaped here.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from gicstats.paths import safe_name

RECORD_MIME = "application/vnd.gicstats.record+json"
RECORD_TITLE = "page_title"
TOC_SLOT = '<nav class="gicstats-toc"></nav>'
# nbconvert re-serialises outputs (BeautifulSoup): match the slot loosely
_SLOT = re.compile(r'<nav class="gicstats-toc">\s*</nav>')

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1,h2,h3,h4{line-height:1.25}table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right;vertical-align:top}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:12px}
.jp-InputArea,.input{margin-top:1em}.jp-OutputArea-output pre{background:none}
.gicstats-meta{color:#666;font-size:12px}
.gicstats-head h1{margin:.2em 0 .3em}.gicstats-nav{font-size:14px}.gicstats-nav a{margin-right:1em}
.gicstats-toc ol{margin:.3em 0;padding-left:1.6em;columns:2}.gicstats-toc{font-size:14px}
table.gicstats-table td.t,table.gicstats-table th.t{text-align:left;white-space:normal}
table.gicstats-table td.t{max-width:40em}table.gicstats-table th{text-align:left}
table.gicstats-table tr.grp th{background:#e8eef6}table.gicstats-table tr.hl td{background:#fff4d6}
th button.sort{all:unset;cursor:pointer}th button.sort::after{content:" \\2195";color:#aaa}
th[aria-sort=ascending] button.sort::after{content:" \\2191";color:#333}
th[aria-sort=descending] button.sort::after{content:" \\2193";color:#333}
.gicstats-note{color:#555}
"""

# Sorts every table of class gicstats-sortable by a click on a column's
# header: ascending, descending, then back to the printed order. Cells
# sort by their data-v (numbers) or text; empty values sort last.
SORT_JS = """(function () {
  function key(td) {
    if (!td) { return null; }
    var v = td.getAttribute("data-v");
    if (v === null) { v = td.textContent.trim(); }
    if (v === "" || v.charAt(0) === "\\u2014") { return null; }
    var n = Number(v);
    return isNaN(n) ? v : n;
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a).localeCompare(String(b), "zh");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.gicstats-sortable"), function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { r.setAttribute("data-i", i); });
    var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.className = "sort"; button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button); th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var now = th.getAttribute("aria-sort");
        var next = now === "none" ? "ascending" : (now === "ascending" ? "descending" : "none");
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", next);
        var sign = next === "descending" ? -1 : 1;
        rows.slice().sort(function (a, b) {
          var order = a.getAttribute("data-i") - b.getAttribute("data-i");
          if (next === "none") { return order; }
          var ka = key(a.cells[col]), kb = key(b.cells[col]);
          if (ka === null || kb === null) { return ka === kb ? order : (ka === null ? 1 : -1); }
          return sign * compare(ka, kb) || order;
        }).forEach(function (r) { body.appendChild(r); });
      });
    });
    table.setAttribute("data-sortable", "ready");
  });
})();"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(SORT_JS.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def esc(value: object) -> str:
    """``value`` as HTML text, quotes included."""
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------


_H2 = re.compile(r"<h2(?:\s[^>]*)?>(.*?)</h2>", re.S)


def _sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """``body`` with its section headings numbered ``sec-1`` … and their (id, text)."""
    found: list[tuple[str, str]] = []

    def number(match: re.Match) -> str:
        anchor = f"sec-{len(found) + 1}"
        inner = re.sub(r'<a class="anchor-link".*?</a>', "", match.group(1), flags=re.S)
        found.append((anchor, html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()))
        return f'<h2 id="{anchor}">{inner}</h2>'

    return _H2.sub(number, body), found


def toc(entries: Sequence[tuple[str, str]]) -> str:
    """The table of contents: a numbered list of links to the sections."""
    items = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in entries)
    return f'<nav class="gicstats-toc" aria-label="目录 Contents"><b>目录 Contents</b><ol>{items}</ol></nav>'


def document(body: str, *, title: str) -> str:
    """The whole page around nbconvert's ``body``: head, table of contents and sorting script.

    ``title`` is escaped. The table of contents goes where the notebook's
    header left its slot, or first when there is no header.
    """
    body, entries = _sections(body)
    contents = toc(entries) if entries else ""
    body, filled = _SLOT.subn(lambda _: contents, body, count=1)
    if not filled:
        body = contents + body
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{SORT_JS}</script>\n</body>\n</html>\n"
    )


def title_of(nb) -> str | None:
    """The title the notebook's header recorded (:func:`gicstats.publish.sections.record`), if any."""
    import json

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            rec = output.get("data", {}).get(RECORD_MIME)
            rec = json.loads(rec) if isinstance(rec, str) else rec
            if rec and rec.get("name") == RECORD_TITLE and rec.get("value"):
                return str(rec["value"])
    return None


# --------------------------------------------------------------------------
# The header a notebook shows first
# --------------------------------------------------------------------------


@dataclass
class Header:
    """An export's header: title, provenance and navigation.

    ``links`` are (label, relative href) pairs, ``facts`` (label, text,
    optional href) pairs; everything is escaped when shown.
    """

    title: str
    facts: list[tuple[str, str, str | None]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    def _repr_html_(self) -> str:
        nav = " ".join(f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in self.links)
        facts = " · ".join(
            f"{esc(label)} " + (f'<a href="{esc(href)}">{esc(text)}</a>' if href else esc(text))
            for label, text, href in self.facts
        )
        return (
            f'<header class="gicstats-head"><nav class="gicstats-nav" aria-label="导航 Navigation">{nav}</nav>'
            f'<h1>{esc(self.title)}</h1><p class="gicstats-meta">{facts}</p>{TOC_SLOT}</header>'
        )

    def __repr__(self) -> str:
        """Title and provenance as text, for a terminal."""
        lines = [self.title, " · ".join(f"{label} {text}" for label, text, _ in self.facts)]
        return "\n".join(lines)


def href(*parts: str) -> str:
    """A relative link from an export (``<out>/<notebook>/<key>.html``) to another output.

    >>> href("index.html")
    '../index.html'
    >>> href("report", "平潭综合实验区_2021.html")
    '../report/%E5%B9%B3%E6%BD%AD%E7%BB%BC%E5%90%88%E5%AE%9E%E9%AA%8C%E5%8C%BA_2021.html'
    """
    from urllib.parse import quote

    return "../" + "/".join(quote(p, safe="") for p in parts)


def export_key(notebook: str, label: str) -> str:
    """The output name a batch run gives ``notebook`` for ``label``.

    As :attr:`gicstats.publish.batch.Run.key` makes it (which imports this
    module's caller: importing it here would make a cycle); a test holds the
    two equal.
    """
    name = safe_name(label, max_bytes=100)
    if name != label:
        name += "-" + hashlib.sha256(label.encode("utf-8")).hexdigest()[:8]
    return f"{notebook}/{name}"


def export_href(notebook: str, label: str) -> str:
    """A relative link from one export to the export of ``notebook`` for ``label``."""
    return href(*f"{export_key(notebook, label)}.html".split("/"))


# --------------------------------------------------------------------------
# Tables shown as printed: escaped, left-aligned text, no index, sortable
# --------------------------------------------------------------------------


@dataclass
class Table:
    """A table for display: text cells escaped and never cut, numbers already formatted.

    ``rows`` hold display strings; ``keys`` (same shape, optional) the
    values the browser sorts by (``None``: the text; NaN: a null, last); ``text`` names the columns shown
    left-aligned (prose). ``groups`` maps a row position to a group label
    printed above it (table 三's headings). ``highlight`` marks rows.
    """

    columns: list[str]
    rows: list[list[str]]
    keys: list[list[object]] | None = None
    text: set[str] = field(default_factory=set)
    sortable: bool = True
    groups: dict[int, str] = field(default_factory=dict)
    highlight: set[int] = field(default_factory=set)

    def _repr_html_(self) -> str:
        cls = "gicstats-table gicstats-sortable" if self.sortable and not self.groups else "gicstats-table"
        head = "".join(f'<th class="{"t" if c in self.text else "n"}">{esc(c)}</th>' for c in self.columns)
        body = []
        for i, row in enumerate(self.rows):
            if i in self.groups:
                body.append(f'<tr class="grp"><th colspan="{len(self.columns)}">{esc(self.groups[i])}</th></tr>')
            cells = []
            for j, (column, shown) in enumerate(zip(self.columns, row)):
                key = self.keys[i][j] if self.keys else None
                # no key: sorted by its text; NaN: a null, sorted last
                data = "" if key is None else ' data-v=""' if pd.isna(key) else f' data-v="{esc(key)}"'
                cells.append(f'<td class="{"t" if column in self.text else "n"}"{data}>{esc(shown)}</td>')
            mark = ' class="hl"' if i in self.highlight else ""
            body.append(f"<tr{mark}>{''.join(cells)}</tr>")
        return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'

    def frame(self) -> pd.DataFrame:
        """The shown strings as a DataFrame (for a terminal or a test)."""
        return pd.DataFrame(self.rows, columns=self.columns)

    def __repr__(self) -> str:
        """The shown strings as text, nothing cut, for a terminal."""
        with pd.option_context("display.max_colwidth", None, "display.width", 200):
            return self.frame().to_string(index=False)

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.rows)


@dataclass
class Note:
    """A sentence where a chart or table would show nothing."""

    text: str

    def _repr_html_(self) -> str:
        return f'<p class="gicstats-note">{esc(self.text)}</p>'

    def __repr__(self) -> str:
        """The sentence."""
        return self.text


def joined(items: Iterable[str], sep: str = "、") -> str:
    """Distinct non-empty ``items`` in order, joined."""
    return sep.join(dict.fromkeys(i for i in items if i))
