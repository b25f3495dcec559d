"""Charts with Chinese labels that render correctly.

The CJK font comes from pip alone: the ``noto-cjk-sans-otc`` package ships
Noto Sans CJK (OFL) as a TTC, and matplotlib 3.11+ picks its Simplified
Chinese face. It is registered by path with ``fontManager.addfont``, so the
font cache never hides it, with a fallback list for other systems. Labels
are the template's printed Chinese, with English where it helps a foreign
reader; every chart names its source in a caption.
"""

from __future__ import annotations

import io
import math
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font, RenderMode
from matplotlib.ticker import PercentFormatter

from gicstats.read.report import Report

CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei"]
FALLBACK = ["DejaVu Sans"]
_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


@lru_cache(maxsize=1)
def setup_fonts() -> str | None:
    """Register a CJK font by path and put it first in the font list.

    Returns:
        The path of the registered font, or ``None`` if none was found (then
        Chinese text would render as boxes and matplotlib warns).
    """
    candidates: list[Path] = []
    try:
        from noto_cjk_sans_otc import FONT_PATH

        candidates.append(Path(str(FONT_PATH)))
    except ImportError:
        pass
    candidates += [Path(p) for p in _SYSTEM_FONTS]
    found = None
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            found = str(path)
            break
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = CJK_FAMILIES + FALLBACK + list(matplotlib.rcParams["font.sans-serif"])
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["axes.spines.top"] = False
    matplotlib.rcParams["axes.spines.right"] = False
    matplotlib.rcParams["figure.dpi"] = 100
    return found


def _subplots(figsize: tuple[float, float]):
    """A figure on the Agg canvas, without pyplot.

    No global figure state to leak between notebooks, and pyplot's import is
    not paid.
    """
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


# --------------------------------------------------------------------------
# PNG bytes: the picture savefig gives, for less CPU
# --------------------------------------------------------------------------

# renderers kept per (width, height, dpi) and the glyph caches they share,
# one set per thread: a figure is drawn on one at a time
_renderers = threading.local()
_RENDERERS = 8  # sizes kept (a ranking's height follows its bars); the least recently used goes first
_CACHE_LIMIT = 50_000  # layouts or glyph bitmaps kept; then the cache starts afresh
# matplotlib 3.11's per-glyph text path, which _GlyphCachingRenderer repeats
# with a cache. These are private calls: on any other minor version (where
# they may be gone, or mean something else under the same names) the renderer
# draws text as Agg does; tests/unit/test_plots.py compares the pixels with
# savefig's on the version installed
_GLYPH_API = tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) == (3, 11) and all(
    hasattr(FT2Font, name) for name in ("_layout", "_render_glyph", "_set_transform")
)


class _GlyphCachingRenderer(RendererAgg):
    """Agg that remembers each text's glyph layout and each glyph's bitmap.

    Agg lays out and renders every glyph of every text each time it draws,
    and a CJK glyph of Noto Sans CJK (CFF outlines, hinted) is costly to
    render; a kernel's charts repeat the same labels notebook after notebook.
    A glyph's bitmap depends on the font, size, hinting, rotation and the
    fraction of a pixel it is placed at, not on the whole pixels: it is
    rendered once per such key and moved by whole pixels, which gives the
    same pixels as Agg's own ``draw_text`` (tests/unit/test_plots.py
    compares them byte for byte).
    """

    def __init__(self, width, height, dpi, layouts: dict, glyphs: dict) -> None:
        """An Agg renderer of that size, filling the given caches.

        A glyph's bitmap does not depend on the canvas' size: renderers of
        every size share them.
        """
        super().__init__(width, height, dpi)
        self._layouts = layouts
        self._glyphs = glyphs

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        """Draw ``s`` as :meth:`RendererAgg.draw_text` does, from the caches."""
        if ismath or not _GLYPH_API:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        flags = get_hinting_flag()
        size = prop.get_size_in_points()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        font = self._prepare_font(prop)
        key = (font, size, self.dpi, flags, s, tuple(features) if features else features, language)
        items = self._layouts.get(key)
        if items is None:
            if len(self._layouts) > _CACHE_LIMIT:
                self._layouts.clear()
            laid = font._layout(s, flags=flags, features=features, language=language)
            items = self._layouts[key] = [(i.ft_object, i.glyph_index, i.x, i.y) for i in laid]
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        # as Agg computes it per glyph (slant 0, extend 1): the rotation in 16.16
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[1, 0], [0, 1]]).round().astype(int)
        turn = tuple(matrix.ravel().tolist())
        mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
        for ft_object, glyph, dx, dy in items:
            # the pen position in 26.6 fixed point, FreeType's y upwards, split
            # into whole pixels and the fraction the bitmap depends on
            px, fx = divmod(round(0x40 * (x + dx * cos - dy * sin)), 0x40)
            py, fy = divmod(round(0x40 * (self.height - y + dx * sin + dy * cos)), 0x40)
            gkey = (ft_object, size, self.dpi, glyph, turn, fx, fy, flags, mode)
            hit = self._glyphs.get(gkey)
            if hit is None:
                if len(self._glyphs) > _CACHE_LIMIT:
                    self._glyphs.clear()
                ft_object.set_size(size, self.dpi)
                ft_object._set_transform(matrix, [fx, fy])
                bitmap = ft_object._render_glyph(glyph, flags, mode)
                buffer = bitmap.buffer
                if mode == RenderMode.MONO:
                    buffer *= 0xFF
                hit = self._glyphs[gkey] = (buffer, bitmap.left, bitmap.top)
            buffer, left, top = hit
            # draw_text_image's y is downwards and the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + px, int(self.height) - (top + py) + buffer.shape[0], 0, gc)
        return None


def _renderer(width: int, height: int, dpi: float) -> RendererAgg:
    """This thread's renderer for figures of that size.

    Kept, matplotlib's cache of text metrics (per renderer) and the glyph
    caches serve every chart of that size the kernel draws.
    """
    kept = getattr(_renderers, "by_size", None)
    if kept is None:
        kept = _renderers.by_size = {}
        _renderers.caches = ({}, {})
    key = (width, height, dpi)
    renderer = kept.pop(key, None)
    if renderer is None:
        if len(kept) >= _RENDERERS:
            del kept[next(iter(kept))]  # the least recently used
        renderer = _GlyphCachingRenderer(width, height, dpi, *_renderers.caches)
    kept[key] = renderer  # last: the most recently used
    return renderer


PNG_COMPRESS_LEVEL = 1


def png(fig) -> bytes:
    """The figure as PNG bytes at its own dpi: the pixels ``fig.savefig(buf, format="png")`` draws.

    For less CPU (a chart cost about 70 ms, most of a notebook's kernel time):
    the figure is drawn once on a renderer kept per size
    (:class:`_GlyphCachingRenderer`); an opaque picture (every chart: the
    figure's face is white) is stored as RGB without its alpha channel, at
    zlib level 1, which here is both faster and smaller than Pillow's
    default 6 (31 against 37 KB a chart). zlib is deterministic: the same
    figure gives the same bytes in a warm or a fresh kernel. A figure not on
    an Agg canvas is saved by ``savefig``.
    """
    from PIL import Image, PngImagePlugin

    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    width, height = canvas.get_width_height(physical=True)
    key = (width, height, fig.dpi)
    before = canvas.__dict__.get("renderer"), canvas._lastKey
    # FigureCanvasAgg.draw keeps a renderer whose key matches: ours
    canvas.renderer, canvas._lastKey = _renderer(*key), key  # type: ignore[assignment]  # stubs: None
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")
    buf = io.BytesIO()
    try:
        canvas.draw()
        rgba = canvas.renderer.buffer_rgba()
        # over the renderer's memory, encoded before another figure is drawn on it
        image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
        if np.asarray(rgba)[..., 3].min() == 0xFF:
            image = image.convert("RGB")
        image.save(buf, format="png", pnginfo=info, dpi=(fig.dpi, fig.dpi), compress_level=PNG_COMPRESS_LEVEL)
    finally:
        # the renderer is shared: the figure keeps its own, if it had one
        canvas.renderer, canvas._lastKey = before
    return buf.getvalue()


def _text_inches(text: str, size: float) -> float:
    """Width of ``text`` at ``size`` points, in inches.

    CJK characters are a full em, the rest about half of one.
    """
    em = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in str(text))
    return em * size / 72


def _layout(fig, ax, *, right: float = 0.35) -> None:
    """Fixed margins from the tick labels' lengths.

    ``tight_layout`` would measure by drawing the figure once more; for these
    simple charts the margins follow from the label text, which is cheaper
    and gives the same picture every time.
    """
    width, height = fig.get_size_inches()
    size = matplotlib.rcParams["ytick.labelsize"]
    size = matplotlib.font_manager.FontProperties(size=size).get_size_in_points()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    left = max([_text_inches(t, size) for t in labels] or [0.3]) + (0.45 if ax.get_ylabel() else 0.2)
    fig.subplots_adjust(
        left=min(0.6, (left + 0.1) / width),
        right=1 - right / width,
        top=1 - 0.65 / height,
        bottom=(0.85 + 0.16 * getattr(fig, "_caption_lines", 0)) / height,
    )


def _caption(fig, report: Report | None, extra: str = "") -> None:
    if report is not None:
        text = f"来源 Source：{report.agency or ''}{report.year or ''}年政府信息公开工作年度报告（{report.id}）"
    else:
        text = "来源 Source：gicstats corpus"
    if extra:
        text += "\n" + extra  # notes on their own line, so nothing runs off the page
        fig._caption_lines = 1
    fig.text(0.01, 0.01, text, fontsize=8, color="#555555", ha="left", va="bottom")


def title_of(fig) -> str:
    """A chart's title on one line: what its image's alt text says."""
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return " ".join(" ".join(titles).split())


def nothing_to_draw(fig) -> str:
    """Why the chart has nothing to draw (every value blank, or every value 0), or ``""``.

    A notebook then says so in a sentence instead of showing empty axes.
    """
    return getattr(fig, "_gicstats_empty", "")


def _mark_empty(fig, why: str) -> None:
    fig._gicstats_empty = why


_ALL_ZERO = "表中各项均为0，无可绘制 (every value is 0)"


def _all_zero(values) -> bool:
    present = [float(v) for v in values if pd.notna(v)]
    return bool(present) and all(v == 0 for v in present)


def _barh(ax, labels: list[str], values: list[float], color: str = COLORS[0]) -> None:
    if _all_zero(values):
        _mark_empty(ax.figure, _ALL_ZERO)
    ax.barh(range(len(values)), values, color=color)
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    top = max([v for v in values if pd.notna(v)] or [0])
    for i, v in enumerate(values):
        if pd.notna(v):
            # every digit: "%g" would print 1234567 as 1.23457e+06
            ax.text(
                v + top * 0.01, i, f"{int(v)}" if float(v).is_integer() else repr(float(v)), va="center", fontsize=9
            )
    ax.set_xlim(0, top * 1.15 if top else 1)


def _blank_note(ax, text: str = "表中无数据 (no data)") -> None:
    _mark_empty(ax.figure, text)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def applicant_mix(report: Report):
    """本年新收申请的申请人构成 (new applications by applicant type), in 件."""
    setup_fonts()
    table = report.template.table("applications")
    apps = report.table("applications", labels=False)
    cols = [c for c in table.columns if c.id != "total"]
    values = [apps.loc["new_received", c.id] if "new_received" in apps.index else pd.NA for c in cols]
    fig, ax = _subplots((7, 3.6))
    if all(pd.isna(v) for v in values):
        _blank_note(ax)
    else:
        _barh(ax, [c.label for c in cols], [float(v) if pd.notna(v) else float("nan") for v in values])
        ax.set_xlabel("件 (applications)")
    ax.set_title("本年新收申请的申请人构成\nNew applications by applicant type", fontsize=11)
    _caption(fig, report)
    _layout(fig, ax)
    return fig


# Outcome groups of 三、本年度办理结果, each the numerator of an indicator
# whose share of （七）总计 it is (see gicstats.indicators).
OUTCOME_GROUPS = (
    ("（一）予以公开", "full_grant_rate"),
    ("（二）部分公开", None),  # disclosure_rate minus full_grant_rate
    ("（三）不予公开", "withheld_share"),
    ("（四）无法提供", "unable_share"),
    ("（五）不予处理", "not_processed_share"),
    ("（六）其他处理", "other_handling_share"),
)


def outcome_totals(report: Report) -> tuple[pd.Series, set[str]]:
    """本年度办理结果 by group, in 件, and the bases used.

    The counts are the indicators' numerators, so a blank 总计 is handled as
    the indicators handle it: summed from the applicant columns where the
    report's own totals prove its blank cells are 0, otherwise left null.
    """
    from gicstats.analysis import indicators

    long = indicators.compute(*indicators.from_reports([report])).set_index("indicator")
    out, bases = {}, set()
    for label, ind in OUTCOME_GROUPS:
        if ind is None:
            full, both = long.loc["full_grant_rate", "numerator"], long.loc["disclosure_rate", "numerator"]
            value = both - full if pd.notna(full) and pd.notna(both) else float("nan")
            basis = long.loc["disclosure_rate", "basis"]
        else:
            value, basis = long.loc[ind, "numerator"], long.loc[ind, "basis"]
        out[label] = float(value) if pd.notna(value) else float("nan")
        if pd.notna(basis):
            bases.add(str(basis))
    return pd.Series(out), bases


def outcome_breakdown(report: Report):
    """本年度办理结果 (outcomes of applications handled this year), in 件."""
    setup_fonts()
    totals, bases = outcome_totals(report)
    fig, ax = _subplots((7, 3.6))
    if totals.isna().all():
        _blank_note(ax, "总计列为空 (total column blank)")
    else:
        _barh(ax, list(totals.index), list(totals.values), COLORS[2])
        ax.set_xlabel("件 (applications)")
    ax.set_title("本年度办理结果\nOutcomes of applications handled", fontsize=11)
    notes = []
    blank = int(totals.isna().sum())
    if blank:
        notes.append(f"{blank}组含空白单元格未绘出")
    if any("deduced" in b for b in bases):
        notes.append("总计栏空白处按申请人各列求和，空白经表内合计证明为0")
    _caption(fig, report, "；".join(notes))
    _layout(fig, ax)
    return fig


def review_litigation(report: Report):
    """行政复议、行政诉讼结果 (review and litigation outcomes), stacked, in 件."""
    setup_fonts()
    table = report.template.table("review_litigation")
    wide = report.table("review_litigation", labels=False)
    outcomes = [c for c in table.columns if c.id != "total"]
    fig, ax = _subplots((7, 3.2))
    if wide[[c.id for c in outcomes]].isna().all().all():
        _blank_note(ax)
    else:
        if _all_zero(wide[[c.id for c in outcomes]].stack().tolist()):
            _mark_empty(fig, _ALL_ZERO)
        left = pd.Series(0.0, index=wide.index)
        for color, col in zip(COLORS, outcomes):
            vals = wide[col.id].astype("Float64").fillna(0).astype(float)
            ax.barh([table.row(r).label for r in wide.index], vals, left=left, color=color, label=col.label)
            left += vals
        ax.invert_yaxis()
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        ax.set_xlabel("件 (cases)")
    ax.set_title("行政复议、行政诉讼结果\nAdministrative review and litigation outcomes", fontsize=11)
    blank = int(wide[[c.id for c in outcomes]].isna().sum().sum())
    _caption(fig, report, f"{blank}个空白单元格画作0（blank cells drawn as 0）" if blank else "")
    _layout(fig, ax, right=1.25)  # room for the legend
    return fig


def proactive(report: Report):
    """主动公开：处理决定数量 (decisions under 第二十条第（五）（六）项), in 件."""
    setup_fonts()
    labels, values = [], []
    for table_id in ("active_art20_5", "active_art20_6"):
        if table_id not in set(report.cells["table"]):
            continue
        table = report.template.table(table_id)
        wide = report.table(table_id, labels=False)
        for row in wide.index:
            labels.append(table.row(row).label)
            v = wide.loc[row, "decisions"]
            values.append(float(v) if pd.notna(v) else float("nan"))
    fig, ax = _subplots((7, 3.2))
    if not values or all(pd.isna(v) for v in values):
        _blank_note(ax)
    else:
        _barh(ax, labels, values, COLORS[1])
        ax.set_xlabel("件 (decisions)")
    ax.set_title(
        "主动公开：行政许可、处罚、强制等处理决定数量\nDecisions published (licensing, penalties, coercion)",
        fontsize=11,
    )
    _caption(fig, report)
    _layout(fig, ax)
    return fig


def trend(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    title: str,
    ylabel: str,
    template_change: int | None = None,
    caption: str = "",
    percent: bool = False,
):
    """Lines over years.

    ``frame`` is indexed by year; ``columns`` maps column → legend label.
    ``template_change`` marks the first year on the 2021 template with a
    dashed line. ``percent``: the values are ratios, shown on a percent axis.
    """
    setup_fonts()
    fig, ax = _subplots((7, 3.6))
    for color, (col, label) in zip(COLORS, columns.items()):
        series = frame[col].astype("Float64")
        ax.plot(frame.index, series.astype(float), marker="o", color=color, label=label)
    if template_change is not None:
        ax.axvline(template_change - 0.5, color="#999999", linestyle="--", linewidth=1)
        ax.text(
            template_change - 0.45,
            ax.get_ylim()[1],
            "2021版模板 (2021 template)",
            fontsize=8,
            va="top",
            color="#555555",
        )
    ax.set_xticks(list(frame.index))
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if len(ylabel) <= 2:  # a short Chinese unit reads better upright
        ax.set_ylabel(ylabel, rotation=0, ha="right", va="center")
    else:
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.text(0.01, 0.01, caption or "来源 Source：gicstats corpus", fontsize=8, color="#555555")
    _layout(fig, ax, right=1.6)  # room for the legend
    return fig


def ranking(
    series: pd.Series,
    *,
    title: str,
    xlabel: str,
    flagged: pd.Series | None = None,
    caption: str = "",
    percent: bool = False,
    highlight: set | None = None,
):
    """Horizontal bars of one indicator across agencies.

    ``flagged`` marks small samples, drawn hatched; ``highlight`` names the
    bars drawn in a second colour (the agency a comparison is about, among
    its peers); ``percent``: the values are ratios, on a percent axis.
    """
    setup_fonts()
    series = series.dropna().sort_values(ascending=False)
    fig, ax = _subplots((7, max(2.5, 0.4 * len(series) + 1.2)))
    if series.empty:
        _blank_note(ax)
    else:
        if _all_zero(series.tolist()):
            _mark_empty(fig, _ALL_ZERO)
        colours = [COLORS[1] if highlight and key in highlight else COLORS[0] for key in series.index]
        bars = ax.barh(range(len(series)), series.values, color=colours)
        if flagged is not None:
            for bar, key in zip(bars, series.index):
                if bool(flagged.get(key, False)):
                    bar.set_hatch("//")
                    bar.set_alpha(0.5)
        ax.set_yticks(range(len(series)), list(series.index))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        if percent:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
            for i, v in enumerate(series.values):
                ax.text(v, i, f" {v * 100:.1f}%", va="center", fontsize=8)
    ax.set_title(title, fontsize=11)
    notes = ["斜线：样本过小 (hatched: small sample)"] if flagged is not None else []
    if highlight:
        notes.append("橙色：所比较的机关 (orange: the agency compared)")
    fig.text(
        0.01,
        0.01,
        "；".join(x for x in (caption or "来源 Source：gicstats corpus", *notes) if x),
        fontsize=8,
        color="#555555",
    )
    _layout(fig, ax)
    return fig


def distribution(
    data: dict[str, pd.Series],
    *,
    caption: str = "",
    highlight: dict[str, pd.Series] | None = None,
    highlight_label: str = "",
):
    """Box plots of rate indicators (label → values) across agency-years, on a percent axis.

    ``highlight`` (label → values) draws one agency's values as points over
    the boxes of its peers, named ``highlight_label`` in the legend.
    """
    setup_fonts()
    fig, ax = _subplots((7, 3.6))
    ax.boxplot([v.values for v in data.values()], tick_labels=list(data))
    if highlight:
        named = False
        for i, label in enumerate(data, start=1):
            points = highlight.get(label, pd.Series(dtype=float)).dropna()
            if points.empty:
                continue
            ax.scatter(
                [i] * len(points), points.values, color=COLORS[1], zorder=3, label=None if named else highlight_label
            )
            named = True
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("百分比 (%)")
    ax.set_title("指标分布 Distribution of indicators", fontsize=11)
    fig.text(0.01, 0.01, caption or "来源 Source：gicstats corpus", fontsize=8, color="#555555")
    _layout(fig, ax, right=1.6 if highlight else 0.35)
    return fig
