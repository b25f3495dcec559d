"""The index page of a batch run.

One self-contained ``index.html`` linking every export in the output
folder, with each run's status and headline figures: this batch's runs
(done, skipped as unchanged, or failed) and the exports earlier batches left
(``earlier``, from the run state), so a partial run never shrinks it. The
header counts those up to date (done or unchanged).

The page is a plain table, grouped by region then agency then year, that
works with JavaScript off; a small inline script adds sorting (click a column
header), a text filter and status and notebook selects. Nothing outside the
file is referenced, so it works opened from ``file://`` and behind any static
server. A Content-Security-Policy pinned to the hashes of the page's own
style and script means that even a mistake in escaping could not run
injected script.

Every text that comes from a report or a parameter is HTML-escaped; sort keys
live in ``data-v`` attributes (escaped like any attribute), so no report text
is ever placed inside the script.

The same runs give the same bytes, whatever order they arrive in: runs are
sorted here, and run times are left out unless ``timings=True`` (they differ
between any two executions, so the Dask and local executors would otherwise
write different pages).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from gicstats.form.rules import SEVERITIES, SEVERITY_LABELS
from gicstats.paths import write_atomic

DEFAULT_TITLE = "政府信息公开工作年度报告 · gicstats"

# done and skipped (unchanged) are this batch's runs, up to date with their
# inputs; earlier ones are exports an earlier batch left, not compared with
# the corpus this time (another selection, or cancelled by Ctrl-C).
STATUSES = ("done", "skipped", "earlier", "failed")
STATUS_LABEL = {"done": "完成 done", "skipped": "未变 skipped", "earlier": "此前 earlier run", "failed": "失败 failed"}
UP_TO_DATE = ("done", "skipped")
NOTEBOOK_ORDER = ("report", "trend", "compare")
NOTEBOOK_LABEL = {"report": "报告 report", "trend": "趋势 trend", "compare": "比较 compare"}

# Parameters shown elsewhere on the page (or machine-specific, like the corpus path).
_SHOWN_PARAMS = frozenset({"corpus", "agency", "year", "year_from", "year_to"})

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:1.5em auto;padding:0 1em;max-width:1400px;color:#222;line-height:1.45}
h1{font-size:1.5em;margin:.2em 0 .4em}.note{color:#666;margin:0 0 .6em}
.summary{display:flex;flex-wrap:wrap;gap:.4em .9em;align-items:center;margin:.4em 0 1em}
.summary b{font-size:1.15em}
.pill{font:inherit;border:1px solid #ccc;border-radius:1em;padding:.1em .7em;background:#fafafa;cursor:pointer}
.controls{display:flex;flex-wrap:wrap;gap:.5em 1.2em;align-items:center;margin:0 0 .8em;font-size:14px}
.controls input[type=search]{font:inherit;min-width:18em;padding:.2em .4em}.controls select{font:inherit}
#shown{color:#555}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f3f3f3;border-bottom:2px solid #bbb;white-space:nowrap;position:sticky;top:0}
thead th button{font:inherit;font-weight:bold;border:0;background:none;padding:0;cursor:pointer;color:inherit}
thead th[aria-sort=ascending] button::after{content:" \\25B2"}
thead th[aria-sort=descending] button::after{content:" \\25BC"}
tr.grp th{background:#e8eef6;font-size:14px;border-top:2px solid #9ab;text-align:left}
tr.grp .n{color:#567;font-weight:normal;font-size:12px;margin-left:.6em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.status{display:inline-block;border-radius:3px;padding:0 .45em;font-size:12px;white-space:nowrap}
.s-done{background:#e3f4e3;color:#1d5e1d}.s-skipped{background:#eceff3;color:#445}
.s-failed{background:#fbe3e3;color:#8a1c1c}.s-earlier{background:#f6f1e3;color:#5a4a1c}
tr.run.failed td{background:#fff7f7}
.error{color:#8a1c1c;font-size:12px;margin-top:.2em;max-width:28em;overflow-wrap:anywhere}
.f{white-space:nowrap;margin-right:.5em;font-size:12px}.f0{color:#aaa}.f-error{color:#b00;font-weight:bold}
.f-warning{color:#8a5a00}.f-not_assessable{color:#555}td.nowrap{white-space:nowrap}
#runs.grouped .c-region{display:none}.params{display:block;color:#666;font-size:12px;overflow-wrap:anywhere}
.none{color:#aaa}a{color:#0645ad}
"""

# No report text ever goes in here; rows carry their sort keys in data-v.
_JS = """
(function () {
  "use strict";
  var table = document.getElementById("runs");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.run"));
  var groups = Array.prototype.slice.call(tbody.querySelectorAll("tr.grp"));
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var q = document.getElementById("q");
  var statusSel = document.getElementById("status");
  var nbSel = document.getElementById("notebook");
  var grouped = document.getElementById("grouped");
  var shown = document.getElementById("shown");
  var collator = (window.Intl && Intl.Collator) ? new Intl.Collator("zh-CN", {numeric: true}) : null;
  var sortCol = -1, sortDir = 1;
  rows.forEach(function (r, i) {
    r._i = i;
    r._g = +r.getAttribute("data-g");
    r._text = (r.textContent + " " + (r.getAttribute("data-key") || "")).toLowerCase();
  });
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell ? cell.getAttribute("data-v") : null;
    return (v === null || v === "") ? null : v;
  }
  function compare(a, b) {
    if (grouped.checked && a._g !== b._g) { return a._g - b._g; }
    if (sortCol >= 0) {
      var x = key(a, sortCol), y = key(b, sortCol);
      if ((x === null) !== (y === null)) { return x === null ? 1 : -1; }
      if (x !== null) {
        var d;
        if (heads[sortCol].getAttribute("data-type") === "num") {
          d = parseFloat(x) - parseFloat(y);
        } else {
          d = collator ? collator.compare(x, y) : (x < y ? -1 : (x > y ? 1 : 0));
        }
        if (d) { return d * sortDir; }
      }
    }
    return a._i - b._i;
  }
  function render() {
    var terms = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var st = statusSel.value, nb = nbSel.value;
    var order = rows.slice().sort(compare);
    var visible = 0, perGroup = {};
    order.forEach(function (r) {
      var ok = (!st || r.getAttribute("data-status") === st) &&
               (!nb || r.getAttribute("data-notebook") === nb) &&
               terms.every(function (t) { return r._text.indexOf(t) >= 0; });
      r.hidden = !ok;
      if (ok) { visible += 1; perGroup[r._g] = (perGroup[r._g] || 0) + 1; }
    });
    var frag = document.createDocumentFragment(), last = null;
    order.forEach(function (r) {
      if (grouped.checked && r._g !== last) { frag.appendChild(groups[r._g]); last = r._g; }
      frag.appendChild(r);
    });
    groups.forEach(function (g, i) {
      g.hidden = !grouped.checked || !perGroup[i];
      if (!grouped.checked) { frag.appendChild(g); }
    });
    tbody.appendChild(frag);
    shown.textContent = "显示 " + visible + " / " + rows.length;
  }
  heads.forEach(function (th, col) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      if (sortCol !== col) { sortCol = col; sortDir = 1; }
      else if (sortDir === 1) { sortDir = -1; }
      else { sortCol = -1; sortDir = 1; }
      heads.forEach(function (h, i) {
        if (h.querySelector("button")) {
          h.setAttribute("aria-sort", i !== sortCol ? "none" : (sortDir === 1 ? "ascending" : "descending"));
        }
      });
      render();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.pill"), function (b) {
    b.addEventListener("click", function () { statusSel.value = b.getAttribute("data-status"); render(); });
  });
  q.addEventListener("input", render);
  statusSel.addEventListener("change", render);
  nbSel.addEventListener("change", render);
  grouped.addEventListener("change", function () {
    table.classList.toggle("grouped", grouped.checked);
    render();
  });
  document.getElementById("controls").hidden = false;
  document.documentElement.setAttribute("data-js", "ready");
  render();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


_CSP = (
    f"default-src 'none'; style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_JS)}; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)

# Columns: (header, sort type; None when the column is not sortable)
_COLUMNS = (
    ("地区 Region", "text"),
    ("机关 Agency", "text"),
    ("年度 Year", "num"),
    ("类型 Notebook", "text"),
    ("状态 Status", "text"),
    ("新收申请 Applications", "num"),
    ("公开率 Disclosure rate", "num"),
    ("核查结果 Findings", "num"),
    ("导出 Exports", None),
)


def href(path: str | os.PathLike) -> str:
    """A relative URL for a file path relative to the output folder.

    Each segment is percent-encoded (UTF-8) so Chinese names, ``#``, ``?``
    and ``%`` work from ``file://`` and over HTTP.

    Raises:
        ValueError: an absolute path, a drive, or a ``..`` segment; the page
            links only inside its own folder.

    >>> href("report/平潭综合实验区_2021.html")
    'report/%E5%B9%B3%E6%BD%AD%E7%BB%BC%E5%90%88%E5%AE%9E%E9%AA%8C%E5%8C%BA_2021.html'
    >>> href("compare/a b#1.html")
    'compare/a%20b%231.html'
    """
    text = path.as_posix() if isinstance(path, PurePath) else os.fspath(path)
    windows = PureWindowsPath(text)
    if PurePosixPath(text).is_absolute() or windows.drive or windows.root:
        raise ValueError(f"{text!r}: export paths must be relative to the output folder")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"{text!r}: not a path inside the output folder")
    return "/".join(quote(p, safe="") for p in parts)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value) -> float | None:
    """``value`` as a finite number, or None for missing, NaN and infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    return number if math.isfinite(number) else None


def _fmt_num(value: float) -> str:
    """``70.0`` → ``'70'``; keeps a fraction only when there is one."""
    return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"


def _sort_value(value: float) -> str:
    return repr(int(value)) if value == int(value) else repr(value)


def _check(runs: Iterable[Mapping]) -> list[Mapping]:
    runs = list(runs)
    seen: set[str] = set()
    for run in runs:
        for field in ("key", "notebook", "status"):
            if not isinstance(run.get(field), str) or not run.get(field):
                raise ValueError(f"run record {run!r}: {field!r} must be a non-empty string")
        if run["status"] not in STATUSES:
            raise ValueError(f"run {run['key']!r}: unknown status {run['status']!r}; use {', '.join(STATUSES)}")
        if run["key"] in seen:
            raise ValueError(f"run {run['key']!r} appears twice")
        seen.add(run["key"])
        head = run.get("headline") or {}
        rate = _number(head.get("disclosure_rate"))
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError(f"run {run['key']!r}: disclosure_rate {rate} is not a ratio between 0 and 1")
        unknown = set(head.get("findings") or {}) - set(SEVERITIES)
        if unknown:
            raise ValueError(f"run {run['key']!r}: unknown finding severity {', '.join(sorted(unknown))}")
    return runs


def _group(run: Mapping) -> tuple[int, str]:
    """Rank and label of a run's group.

    Named regions first, then agencies with no region, then runs across
    agencies.
    """
    if run.get("region"):
        return 0, str(run["region"])
    if run.get("agency"):
        return 1, "地区未注明 Region not given"
    return 2, "跨机关 Across agencies"


def _order(run: Mapping) -> tuple:
    def last_if_none(value, default):
        return (value is None, default if value is None else value)

    rank, label = _group(run)
    notebook = run["notebook"]
    return (
        rank,
        label,
        last_if_none(run.get("agency"), ""),
        (NOTEBOOK_ORDER.index(notebook) if notebook in NOTEBOOK_ORDER else len(NOTEBOOK_ORDER), notebook),
        last_if_none(run.get("year"), 0),
        last_if_none(run.get("year_from"), 0),
        last_if_none(run.get("year_to"), 0),
        run["key"],
    )


def _years(run: Mapping) -> tuple[str, str]:
    """(shown, sort key) for the year column."""
    year, y0, y1 = run.get("year"), run.get("year_from"), run.get("year_to")
    if year is not None:
        return str(int(year)), str(int(year))
    years = [int(y) for y in (y0, y1) if y is not None]
    if years:
        return "–".join(str(y) for y in years), str(years[0])
    return '<span class="none">—</span>', ""


def _findings_cell(findings: Mapping | None) -> tuple[str, str]:
    if not findings:
        return '<span class="none">—</span>', ""
    counts = {s: int(findings.get(s) or 0) for s in SEVERITIES}
    parts = []
    for s in SEVERITIES:
        if s == "info" and not counts[s]:
            continue
        css = f"f f-{s}" if counts[s] else "f f0"
        parts.append(f'<span class="{css}" title="{_esc(s)}">{SEVERITY_LABELS[s]} {counts[s]}</span>')
    # Sort by errors, then warnings, then not assessable.
    key = counts["error"] * 10**12 + counts["warning"] * 10**6 + counts["not_assessable"]
    return "".join(parts), str(key)


def _row(run: Mapping, index: int, group: int, timings: bool) -> str:
    status = run["status"]
    notebook = run["notebook"]
    head = run.get("headline") or {}
    html_href = href(run["html"]) if run.get("html") else None
    ipynb_href = href(run["ipynb"]) if run.get("ipynb") else None

    region = run.get("region")
    region_cell = (
        f'<td class="c-region" data-v="{_esc(region)}">{_esc(" / ".join(str(region).split("/")))}</td>'
        if region
        else '<td class="c-region" data-v=""><span class="none">—</span></td>'
    )
    agency = run.get("agency")
    if agency:
        name = _esc(agency)
        shown = f'<a href="{_esc(html_href)}">{name}</a>' if html_href else name
        agency_cell = f'<td data-v="{name}">{shown}</td>'
    else:
        agency_cell = '<td data-v=""><span class="none">—</span></td>'
    year_shown, year_key = _years(run)

    extra = {k: v for k, v in sorted((run.get("params") or {}).items()) if k not in _SHOWN_PARAMS}
    params = "".join(
        f'<span class="params">{_esc(k)}={_esc(json.dumps(v, ensure_ascii=False, sort_keys=True, default=str))}</span>'
        for k, v in extra.items()
    )
    notebook_label = NOTEBOOK_LABEL.get(notebook, notebook)

    detail = ""
    if status == "failed":
        cell = run.get("failed_cell")
        where = f"第 {int(cell)} 个单元格 cell {int(cell)}: " if cell is not None else ""
        detail = f'<div class="error">{_esc(where)}{_esc(run.get("error") or "无错误信息 no error message")}</div>'
    status_cell = (
        f'<td data-v="{STATUSES.index(status)}"><span class="status s-{status}">{STATUS_LABEL[status]}</span>'
        f"{detail}</td>"
    )

    apps = _number(head.get("applications"))
    apps_cell = (
        f'<td class="num" data-v="{_sort_value(apps)}">{_fmt_num(apps)}</td>'
        if apps is not None
        else '<td class="num" data-v=""><span class="none">—</span></td>'
    )
    rate = _number(head.get("disclosure_rate"))
    rate_cell = (
        f'<td class="num" data-v="{rate!r}">{rate * 100:.1f}%</td>'
        if rate is not None
        else '<td class="num" data-v=""><span class="none">—</span></td>'
    )
    findings_shown, findings_key = _findings_cell(head.get("findings"))

    links = []
    if html_href:
        links.append(f'<a class="html" href="{_esc(html_href)}">HTML</a>')
    if ipynb_href:
        links.append(f'<a class="ipynb" href="{_esc(ipynb_href)}">ipynb</a>')
    links_cell = " · ".join(links) or '<span class="none">—</span>'

    cells = [
        region_cell,
        agency_cell,
        f'<td class="num" data-v="{year_key}">{year_shown}</td>',
        f'<td data-v="{_esc(notebook_label)}">{_esc(notebook_label)}{params}</td>',
        status_cell,
        apps_cell,
        rate_cell,
        f'<td class="nowrap" data-v="{findings_key}">{findings_shown}</td>',
        f'<td class="nowrap">{links_cell}</td>',
    ]
    if timings:
        seconds = _number(run.get("seconds"))
        cells.append(
            f'<td class="num" data-v="{seconds!r}">{seconds:.1f}</td>'
            if seconds is not None
            else '<td class="num" data-v=""><span class="none">—</span></td>'
        )
    failed = " failed" if status == "failed" else ""
    return (
        f'<tr class="run{failed}" data-i="{index}" data-g="{group}" data-status="{status}" '
        f'data-notebook="{_esc(notebook)}" data-key="{_esc(run["key"])}">' + "".join(cells) + "</tr>"
    )


def render_index(
    runs: Iterable[Mapping],
    *,
    title: str = DEFAULT_TITLE,
    note: str | None = None,
    timings: bool = False,
) -> str:
    """The index page for ``runs`` (batch run records) as a string.

    Args:
        runs: Run records: ``key``, ``notebook`` and ``status`` (done,
            skipped, earlier or failed) are required; ``html`` and ``ipynb`` are paths
            relative to the output folder; ``headline`` holds
            ``applications`` (件, 本年新收), ``disclosure_rate`` (a ratio 0–1:
            予以公开 + 部分公开 over 办理结果总计) and ``findings`` (counts by
            severity). Missing optional fields show as a dash.
        title: Page title and heading (escaped).
        note: An optional line under the heading, e.g. the corpus build id
            or a date; the page has no timestamp unless given one here.
        timings: Add a column of run times. Off by default, as run times
            differ between executions and would make pages differ.

    Raises:
        ValueError: a record without key, notebook or status, an unknown
            status or finding severity, a key seen twice, a disclosure rate
            outside 0–1 (a percentage passed by mistake), or an export path
            outside the output folder.
    """
    runs = sorted(_check(runs), key=_order)
    group_labels: list[str] = []
    group_index: dict[tuple[int, str], int] = {}
    group_sizes: dict[int, int] = {}
    body: list[str | None] = []  # None: where a group's header goes
    for i, run in enumerate(runs):
        group = _group(run)
        if group not in group_index:
            group_index[group] = len(group_labels)
            group_labels.append(group[1])
            body.append(None)  # placeholder for the group header
        g = group_index[group]
        group_sizes[g] = group_sizes.get(g, 0) + 1
        body.append(_row(run, i, g, timings))
    columns = [*_COLUMNS, ("用时 Seconds", "num")] if timings else list(_COLUMNS)
    headers = []
    for i, (label, kind) in enumerate(columns):
        if kind is None:
            headers.append(f'<th scope="col">{label}</th>')
        else:
            css = ' class="c-region"' if i == 0 else ""
            headers.append(
                f'<th scope="col"{css} data-type="{kind}" aria-sort="none"><button type="button">{label}</button></th>'
            )
    g = 0
    tbody = []
    for item in body:
        if item is None:
            tbody.append(
                f'<tr class="grp" data-g="{g}"><th colspan="{len(columns)}" scope="rowgroup">'
                f"{_esc(' / '.join(group_labels[g].split('/')))}"
                f'<span class="n">{group_sizes[g]} 次运行 runs</span></th></tr>'
            )
            g += 1
        else:
            tbody.append(item)

    counts = {s: sum(r["status"] == s for r in runs) for s in STATUSES}
    agencies = sorted({str(r["agency"]) for r in runs if r.get("agency")})
    regions = sorted({str(r["region"]) for r in runs if r.get("region")})
    with_errors = [r for r in runs if int(((r.get("headline") or {}).get("findings") or {}).get("error") or 0) > 0]
    pills = "".join(
        f'<button type="button" class="pill s-{s}" data-status="{s}">{STATUS_LABEL[s]} <b>{counts[s]}</b></button>'
        for s in STATUSES
    )
    up_to_date = sum(counts[s] for s in UP_TO_DATE)
    summary = (
        f'<div class="summary" id="summary"><span><b>{len(runs)}</b> 次运行 runs</span>'
        f'<span class="uptodate">最新 up to date: <b>{up_to_date}</b></span>{pills}'
        f"<span><b>{len(regions)}</b> 个地区 regions</span><span><b>{len(agencies)}</b> 个机关 agencies</span>"
        f"<span><b>{len(with_errors)}</b> 次运行发现错误 runs with errors found</span></div>"
    )
    status_options = "".join(f'<option value="{s}">{STATUS_LABEL[s]}</option>' for s in STATUSES)
    notebooks = sorted({r["notebook"] for r in runs}, key=lambda n: _order({"notebook": n, "key": ""})[3])
    notebook_options = "".join(
        f'<option value="{_esc(n)}">{_esc(NOTEBOOK_LABEL.get(n, n))}</option>' for n in notebooks
    )
    controls = (
        '<div class="controls" id="controls" hidden>'
        '<label>筛选 Filter <input id="q" type="search" autocomplete="off" '
        'placeholder="机关、地区、年度、错误… agency, region, year, error"></label>'
        f'<label>状态 Status <select id="status"><option value="">全部 all</option>{status_options}</select></label>'
        f'<label>类型 Notebook <select id="notebook"><option value="">全部 all</option>{notebook_options}</select>'
        "</label>"
        '<label><input type="checkbox" id="grouped" checked> 按地区分组 Group by region</label>'
        f'<span id="shown" aria-live="polite">显示 {len(runs)} / {len(runs)}</span></div>'
    )
    note_html = f'<p class="note">{_esc(note)}</p>\n' if note else ""
    empty = f'<tr><td colspan="{len(columns)}"><span class="none">没有运行 No runs</span></td></tr>' if not runs else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="gicstats">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_esc(title)}</h1>\n{note_html}{summary}\n{controls}\n"
        f'<table id="runs" class="grouped">\n<thead><tr>{"".join(headers)}</tr></thead>\n<tbody>\n'
        + "\n".join(tbody)
        + empty
        + f"\n</tbody>\n</table>\n<script>{_JS}</script>\n</body>\n</html>\n"
    )


def write_index(
    runs: Iterable[Mapping],
    out_dir: str | os.PathLike,
    *,
    title: str = DEFAULT_TITLE,
    note: str | None = None,
    timings: bool = False,
) -> Path:
    """Write ``out_dir/index.html`` for ``runs`` atomically and return its path.

    See :func:`render_index` for the record fields and what is checked.
    """
    page = render_index(runs, title=title, note=note, timings=timings)
    path = Path(out_dir) / "index.html"
    write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8", newline="\n"))
    return path
