"""Chart PNGs: :func:`gicstats.analysis.plots.png` draws what ``savefig`` draws, pixel for pixel.

``png`` draws on a renderer kept per size that caches glyph layouts and
bitmaps, and encodes opaque pictures as RGB; these tests compare its
pictures, decoded, with matplotlib's own ``savefig`` of the same figure, on
every chart the notebooks draw from the bundled reports, first with empty
caches (a fresh kernel) and again from full ones (a warm kernel).
"""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import DATA
from PIL import Image

import gicstats
from gicstats.analysis import plots

REPORT_CHARTS = (plots.applicant_mix, plots.outcome_breakdown, plots.review_litigation, plots.proactive)
BUNDLED = sorted(p for p in DATA.iterdir() if p.suffix in (".txt", ".html", ".pdf"))


def _saved(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def _same_picture(fig) -> None:
    mine = plots.png(fig)
    theirs = _saved(fig)
    a, b = _pixels(mine), _pixels(theirs)
    assert a.shape == b.shape == (round(fig.get_figheight() * 100), round(fig.get_figwidth() * 100), 4)
    assert (a == b).all(), f"{plots.title_of(fig)}: {(a != b).any(axis=2).sum()} pixels differ"


@pytest.fixture(scope="module")
def reports():
    return [gicstats.read_report(p) for p in BUNDLED]


def test_report_charts_are_the_pixels_savefig_draws(reports):
    assert len(reports) == 7
    # twice: the first pass fills the caches, the second draws from them
    for _ in range(2):
        for report in reports:
            for make in REPORT_CHARTS:
                _same_picture(make(report))


def test_rotated_text_and_other_charts_are_the_pixels_savefig_draws():
    years = pd.DataFrame(
        {"disclosure_rate": [0.5, 0.61, 0.4], "workload": [23.0, 70.0, 81.0]}, index=[2019, 2021, 2023]
    )
    figs = [
        # a long y label is drawn rotated by 90 degrees; a short one upright
        plots.trend(years, {"disclosure_rate": "公开率"}, title="比率 Rates", ylabel="百分比 (%)", percent=True),
        plots.trend(years, {"workload": "新收+结转"}, title="申请量", ylabel="件", template_change=2021),
        plots.ranking(
            pd.Series({"平潭综合实验区 2021": 0.51, "天门市公安局 2020": 0.2, "上海 2019": 0.73}),
            title="公开率排名",
            xlabel="百分比 (%)",
            flagged=pd.Series({"天门市公安局 2020": True}),
            percent=True,
            highlight={"上海 2019"},
        ),
        plots.distribution(
            {"公开率": pd.Series([0.2, 0.5, 0.7]), "予以公开率": pd.Series([0.1, 0.3, 0.6])},
            highlight={"公开率": pd.Series([0.5])},
            highlight_label="平潭综合实验区",
        ),
    ]
    figs[0].axes[0].set_ylabel("百分比 (%)", rotation=30)  # a slanted label: rotation not a quarter turn
    for _ in range(2):
        for fig in figs:
            _same_picture(fig)


def test_an_opaque_chart_is_stored_as_rgb_and_a_transparent_one_keeps_its_alpha(reports):
    fig = plots.applicant_mix(reports[0])
    opaque = Image.open(io.BytesIO(plots.png(fig)))
    assert opaque.mode == "RGB" and opaque.info["dpi"] == pytest.approx((100, 100), abs=0.01)  # stored per metre
    assert opaque.text["Software"].startswith("Matplotlib version")
    fig.patch.set_alpha(0.0)
    seen = Image.open(io.BytesIO(plots.png(fig)))
    assert seen.mode == "RGBA" and np.asarray(seen)[0, 0, 3] == 0
    _same_picture(fig)


def test_png_leaves_the_figure_its_own_renderer(reports):
    fig = plots.applicant_mix(reports[0])
    fig.canvas.draw()
    own = fig.canvas.renderer
    plots.png(fig)
    plots.png(plots.proactive(reports[1]))  # the same size: the shared renderer now holds another chart
    assert fig.canvas.renderer is own
    assert np.asarray(own.buffer_rgba())[..., :3].tobytes() == np.asarray(_pixels(plots.png(fig)))[..., :3].tobytes()


def test_a_figure_off_agg_is_saved_by_savefig():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1], [1, 0])
    data = plots.png(fig)
    assert data.startswith(b"\x89PNG") and _pixels(data).shape == (100, 200, 4)


def test_png_bytes_are_the_same_from_a_fresh_process(reports):
    """A warm kernel (full caches) and a fresh one give the same bytes, as the exports need."""
    for _ in range(2):
        for make in REPORT_CHARTS:
            make(reports[1])  # other charts first: the caches hold their glyphs
    warm = plots.png(plots.outcome_breakdown(reports[0]))
    code = (
        "import sys, gicstats; from gicstats.analysis import plots; "
        f"sys.stdout.buffer.write(plots.png(plots.outcome_breakdown(gicstats.read_report({str(BUNDLED[0])!r}))))"
    )
    fresh = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True).stdout
    assert fresh == warm


def test_rankings_of_many_heights_keep_a_few_renderers_and_their_pixels():
    """A ranking's height follows its bars: each height is a renderer; only the last few are kept."""
    sizes = []
    for n in range(1, 13):
        series = pd.Series({f"机关{i} 2021": (i + 1) / 20 for i in range(n)})
        fig = plots.ranking(series, title="公开率排名", xlabel="百分比 (%)", percent=True)
        _same_picture(fig)
        sizes.append((*fig.canvas.get_width_height(physical=True), fig.dpi))
    newest = list(dict.fromkeys(reversed(sizes)))[: plots._RENDERERS]
    assert len(set(sizes)) > plots._RENDERERS  # 250 to 600 pixels high
    kept = plots._renderers.by_size
    # the most recently used sizes, sharing one pair of glyph caches
    assert set(kept) == set(newest)
    assert len({id(r._glyphs) for r in kept.values()}) == 1


def test_the_pixel_tests_exercise_the_glyph_cache(reports):
    """On matplotlib 3.11 (what CI installs) ``png`` draws text from its caches.

    Elsewhere it falls back to Agg's own text drawing, and the pixel tests
    above would compare savefig with itself.
    """
    import matplotlib

    if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) != (3, 11):
        pytest.skip(f"matplotlib {matplotlib.__version__}: the glyph cache is for 3.11 only")
    assert plots._GLYPH_API
    plots.png(plots.applicant_mix(reports[0]))
    layouts, glyphs = plots._renderers.caches
    assert layouts and glyphs, "png() drew no text through the glyph cache"
