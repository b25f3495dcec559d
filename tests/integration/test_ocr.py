"""Image-only reports read by OCR (the ``ocr`` extra), checked against truth.

The bundled real PDF is rasterised with pypdfium2 at 150 dpi into an
image-only PDF (no text layer left) and read back: every truth cell exact,
agency, year and template right. The same pages, turned by a degree, with
speckle and blur, come back exact too. OCR takes seconds a page, so the
OCR results are shared by the tests of a session through one cache folder
(keyed by the pixels: the same page image is OCRed once).
"""

from __future__ import annotations

import io
import json
import re
import sys

import pytest
from helpers import CHROMIUM_FLAGS, DATA, TRUTH, assert_truth, load_truth

import gicstats
from gicstats.read.readers import ocr

pytestmark = pytest.mark.skipif(not ocr.available(), reason='the OCR extra is not installed (pip install ".[ocr]")')

HONGZE = DATA / "hongze_2024.pdf"
TRUTH_HONGZE = json.loads((TRUTH / "hongze_2024.json").read_text(encoding="utf-8"))


def rasterise(path, dpi: int = 150, pages: list[int] | None = None) -> list:
    """The pages of a PDF as PIL images, rendered by pypdfium2."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        numbers = pages or list(range(1, len(pdf) + 1))
        return [pdf[n - 1].render(scale=dpi / 72).to_pil().convert("RGB") for n in numbers]
    finally:
        pdf.close()


def image_pdf(images: list, dpi: int = 150) -> bytes:
    """An image-only PDF of the given page images, as a scanner writes it.

    Of copies: Pillow keeps the save's options on each image it appended
    (``encoderinfo``), and a later PDF of one of them alone came out with
    the other pages appended again.
    """
    images = [image.copy() for image in images]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def degrade(image, angle: float = 1.0, seed: int = 13, specks: int = 50000):
    """A phone scan: turned by ``angle`` degrees, speckled and blurred.

    A speck per ``specks`` pixels.
    """
    import numpy as np
    from PIL import Image, ImageFilter

    turned = image.convert("L").rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    pixels = np.asarray(turned).copy()
    rng = np.random.default_rng(seed)
    h, w = pixels.shape
    for _ in range(h * w // specks):  # 1-2 pixel specks, dark and light
        y, x = rng.integers(0, h - 2), rng.integers(0, w - 2)
        size = int(rng.integers(1, 3))
        pixels[y : y + size, x : x + size] = 0 if rng.random() < 0.7 else 255
    return Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(0.8))


@pytest.fixture(scope="session")
def text_layer() -> dict[str, float | None]:
    """Every cell of the real PDF read from its text layer, by ``table.row.column``.

    test_corpus checks the text layer against truth.
    """
    report = gicstats.read_report(HONGZE)
    return {
        f"{t}.{r}.{c}": report.value(t, r, c)
        for t, r, c in report.cells[["table", "row", "column"]].itertuples(index=False)
    }


def values(report) -> dict[str, float | None]:
    return {
        f"{t}.{r}.{c}": report.value(t, r, c)
        for t, r, c in report.cells[["table", "row", "column"]].itertuples(index=False)
    }


@pytest.fixture(scope="session")
def ocr_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ocr-cache")


@pytest.fixture(scope="session")
def hongze_pages():
    return rasterise(HONGZE)


@pytest.fixture(scope="session")
def hongze_scan(hongze_pages, ocr_cache):
    """The real PDF as an image-only PDF, read by OCR."""
    data = image_pdf(hongze_pages)
    return data, gicstats.read_report(data, name="hongze_scan.pdf", cache=ocr_cache)


def test_image_only_pdf_reads_every_truth_cell_exactly(hongze_scan):
    data, report = hongze_scan
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:  # no text layer at all
        assert all(not page.chars for page in pdf.pages)
    assert report.format == "pdf"
    assert_truth(report, TRUTH_HONGZE)
    assert report.title == "淮安市洪泽区人民政府2024年政府信息公开工作年度报告"


def test_image_only_pdf_reads_every_cell_as_the_text_layer_does(hongze_scan, text_layer):
    """Not only the truth cells: all 179 cells of the report, blanks too."""
    _, report = hongze_scan
    assert len(text_layer) == 179
    assert values(report) == text_layer


def test_ocr_cells_carry_confidence_and_box(hongze_scan):
    _, report = hongze_scan
    cells = report.cells.set_index(["table", "row", "column"])
    locator = cells.loc[("applications", "new_received", "natural_person"), "locator"]
    # page 3 of the real report, its first drawn table, in the pixels of the page
    assert locator.startswith("page 3, table ")
    conf = ocr.confidence(locator)
    assert conf is not None and 0.9 <= conf <= 1
    x0, y0, x1, y1 = map(int, locator.split("box ")[1].removesuffix(" px").replace("-", ",").split(","))
    assert 600 < x0 < x1 < 720 and 1000 < y0 < y1 < 1100  # where 95 is printed at 150 dpi
    # every cell of the tables was read by OCR, and says so
    assert all(ocr.confidence(loc) is not None for loc in report.cells["locator"])


def test_low_confidence_cells_get_a_finding_and_keep_their_value(hongze_scan, text_layer):
    _, report = hongze_scan
    low = report.findings[report.findings["rule"] == "ocr.low_confidence"]
    for cells in low["cells"]:
        table, row, column = cells.split(".")
        locator = report.cells.set_index(["table", "row", "column"]).loc[(table, row, column), "locator"]
        assert ocr.confidence(locator) < ocr.LOW_CONFIDENCE
        assert report.value(table, row, column) == text_layer[cells]  # flagged, not blanked
    confidences = [ocr.confidence(loc) for loc in report.cells["locator"]]
    assert len(low) == sum(c < ocr.LOW_CONFIDENCE for c in confidences)


def test_identity_failing_on_ocr_cells_says_it_may_be_a_misread(hongze_scan):
    """A misread digit, as OCR may make it (9 read as 6), is not repaired.

    The identity fails, and its finding says the cells were read by OCR.
    """
    from gicstats.check.identities import check_identities

    _, report = hongze_scan
    cells = report.cells.copy()
    key = (cells["table"] == "applications") & (cells["row"] == "partially_granted") & (cells["column"] == "total")
    cells.loc[key, "value"] = 6.0
    cells.loc[key, "raw"] = "6"
    cells.loc[key, "locator"] = cells.loc[key, "locator"].str.replace(
        r"confidence [0-9.]+", "confidence 0.41", regex=True
    )
    import dataclasses

    misread = dataclasses.replace(report, cells=cells)
    failing = [f for f in check_identities(misread) if f.severity == "error"]
    assert failing, "the row total no longer adds up"
    row = next(f for f in failing if "applications.partially_granted.total" in f.cells and f.rule.endswith("row_total"))
    assert "OCR" in row.message and "可能是识别错误" in row.message
    assert "applications.partially_granted.total(0.41)" in row.message
    assert report.value("applications", "partially_granted", "total") == 9


def test_png_and_jpeg_pages_read_by_ocr(hongze_pages, ocr_cache, tmp_path):
    """Page 3 (table 三's first part) as a PNG file and as a JPEG."""
    page = hongze_pages[2]
    cells = {k: v for k, v in TRUTH_HONGZE["cells"].items() if k.startswith("applications.")}
    for fmt, suffix in (("PNG", "png"), ("JPEG", "jpg")):
        path = tmp_path / f"page3.{suffix}"
        page.save(path, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        report = gicstats.read_report(path, cache=ocr_cache)
        assert report.format == "image"
        assert report.template_version == "2021"
        read = {
            f"{t}.{r}.{c}": v
            for t, r, c, v in report.cells[["table", "row", "column", "value"]].itertuples(index=False)
        }
        on_page = {k: v for k, v in cells.items() if k in read}
        assert len(on_page) >= 28, f"{fmt}: {len(on_page)} truth cells of table 三 on page 3"
        assert {k: read[k] for k in on_page} == on_page, fmt


def test_web_page_with_its_tables_as_pictures(hongze_pages, ocr_cache, tmp_path):
    """A page whose table is an <img>.

    A file beside the page, then the same picture as a data: URI (the same
    pixels: OCRed once, from the cache).
    """
    import base64

    page3 = tmp_path / "pics" / "table3.png"
    page3.parent.mkdir()
    hongze_pages[2].save(page3)
    want = {k: v for k, v in TRUTH_HONGZE["cells"].items() if k.startswith("applications.")}
    head = (
        "<html><head><meta charset='utf-8'><title>淮安市洪泽区人民政府2024年政府信息公开工作年度报告</title></head>"
        "<body><h1>淮安市洪泽区人民政府2024年政府信息公开工作年度报告</h1><p>三、收到和处理政府信息公开申请情况</p>"
    )
    uri = "data:image/png;base64," + base64.b64encode(page3.read_bytes()).decode()
    for src, label in (("pics/table3.png", "image 2 (pics/table3.png)"), (uri, "image 2 (data: URI)")):
        html = tmp_path / "report.html"
        html.write_text(f"{head}<img src='logo.gif'><img src='{src}'></body></html>", encoding="utf-8")
        report = gicstats.read_report(html, cache=ocr_cache)
        assert (report.agency, report.year, report.template_version) == ("淮安市洪泽区人民政府", 2024, "2021")
        read = values(report)
        on_page = {k: v for k, v in want.items() if k in read}
        assert len(on_page) >= 28 and {k: read[k] for k in on_page} == on_page
        locator = report.cells.set_index(["table", "row", "column"]).loc[
            ("applications", "new_received", "total"), "locator"
        ]
        assert locator.startswith(f"{label}, table ") and ocr.confidence(locator) > 0.9


@pytest.fixture
def picture_server(tmp_path):
    """A local HTTP server (127.0.0.1 only) over a folder, counting requests by path."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root = tmp_path / "site"
    root.mkdir()
    hits: dict[str, int] = {}

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] = hits.get(self.path, 0) + 1
            super().do_GET()

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_pictures_fetched_through_the_url_cache(hongze_pages, ocr_cache, picture_server, tmp_path):
    """A table <img> on a web server: fetched once, through the URL cache.

    The page read from its URL with a relative ``src``, then a saved page
    on disk naming the picture by its absolute URL: the second read takes
    the picture from the cache (the server counts one request). A missing
    logo beside it is left out.
    """
    root, base, hits = picture_server
    (root / "img").mkdir()
    hongze_pages[2].save(root / "img" / "table3.png")
    want = {k: v for k, v in TRUTH_HONGZE["cells"].items() if k.startswith("applications.")}
    body = (
        "<html><head><meta charset='utf-8'><title>淮安市洪泽区人民政府2024年政府信息公开工作年度报告</title></head>"
        "<body><h1>淮安市洪泽区人民政府2024年政府信息公开工作年度报告</h1><p>三、收到和处理政府信息公开申请情况</p>"
        "<img src='img/logo.png'>{img}</body></html>"
    )
    (root / "report.html").write_text(body.format(img="<img src='img/table3.png'>"), encoding="utf-8")
    cache = tmp_path / "cache"
    saved = tmp_path / "saved.html"
    saved.write_text(body.format(img=f"<img src='{base}/img/table3.png'>"), encoding="utf-8")
    for source in (f"{base}/report.html", saved):
        report = gicstats.read_report(source, cache=cache)
        assert (report.agency, report.year, report.template_version) == ("淮安市洪泽区人民政府", 2024, "2021")
        read = values(report)
        on_page = {k: v for k, v in want.items() if k in read}
        assert len(on_page) >= 28 and {k: read[k] for k in on_page} == on_page
        locator = report.cells.set_index(["table", "row", "column"]).loc[
            ("applications", "new_received", "total"), "locator"
        ]
        assert locator.startswith(f"image 2 ({base}/img/table3.png), table ")
    assert hits["/img/table3.png"] == 1  # the second read took it from the URL cache
    assert hits["/report.html"] == 1 and hits["/img/logo.png"] >= 1  # the logo: 404, left out
    assert len(list((cache / "ocr").glob("*.json"))) == 1  # OCRed once, kept beside the pages


def test_pictures_outside_the_page_folder_are_not_read(tmp_path, hongze_pages):
    """An <img> pointing out of the page's folder (../) is not opened."""
    outside = tmp_path / "secret.png"
    hongze_pages[2].save(outside)
    (tmp_path / "site").mkdir()
    html = tmp_path / "site" / "report.html"
    html.write_text("<html><body><p>报告</p><img src='../secret.png'></body></html>", encoding="utf-8")
    with pytest.raises(gicstats.GicstatsError, match="no report tables found"):
        gicstats.read_report(html)


def test_skewed_speckled_blurred_scan_reads_exactly(hongze_pages, ocr_cache, text_layer):
    """Pages 3 and 4 (every truth cell, tables 三 and 四), turned by 1°, speckled and blurred."""
    data = image_pdf([degrade(p) for p in hongze_pages[2:4]])
    report = gicstats.read_report(data, name="phone_scan.pdf", cache=ocr_cache)
    read = values(report)
    wrong = {key: read.get(key) for key, expected in TRUTH_HONGZE["cells"].items() if read.get(key) != expected}
    assert not wrong, wrong
    tables = ("applications", "review_litigation")
    assert {k: v for k, v in read.items() if k.startswith(tables)} == {
        k: v for k, v in text_layer.items() if k.startswith(tables)
    }
    assert report.template_version == "2021"


def _named(report, key: str) -> bool:
    """Whether a finding names the cell ``table.row.column``, its row or its table."""
    table, row, _ = key.split(".")
    for cells in report.findings["cells"]:
        for name in str(cells).split(", "):
            if name in (key, f"{table}.{row}", table):
                return True
    return False


def test_heavy_speckle_reads_no_wrong_number(hongze_pages, ocr_cache):
    """Pages 3 and 4 with a speck per 2,000 pixels: no cell is another number.

    Under such speckle OCR misreads: with this seed it read table 三's 50
    (``applications.granted.total``) as ``5.0``, a speck between the digits
    taken for a point, and other cells as ``0:`` or ``.o``. Every truth cell
    is either exact or null with a finding naming it (or its row).
    """
    data = image_pdf([degrade(p, specks=2000, seed=5) for p in hongze_pages[2:4]])
    report = gicstats.read_report(data, name="speckled_scan.pdf", cache=ocr_cache)
    read = values(report)
    wrong = {k: (v, read[k]) for k, v in TRUTH_HONGZE["cells"].items() if read.get(k) is not None and read[k] != v}
    assert not wrong, wrong
    unread = [k for k in TRUTH_HONGZE["cells"] if read.get(k) is None]
    assert unread, "the speckle is heavy enough to make some cells unreadable"
    assert [k for k in unread if not _named(report, k)] == []
    exact = len(TRUTH_HONGZE["cells"]) - len(unread)
    assert exact >= 0.8 * len(TRUTH_HONGZE["cells"])  # most cells still read


@pytest.mark.parametrize("column", [0, 9])
def test_digit_misread_as_a_letter_keeps_its_neighbours_in_their_columns(hongze_pages, ocr_cache, monkeypatch, column):
    """Table 四's one row of values (no label) with a ``1`` read as ``L``.

    As heavy speckle made OCR read it. In the first column the letter once
    opened the row as a label and shifted the other 14 values one column
    left; in the middle it cut the row short. It is now an unreadable value
    of its own column: null, with a finding; the other 14 cells stay exact.
    """
    import dataclasses

    real = ocr.analyse

    def misread(gray, dpi, cache=None):
        found = real(gray, dpi, cache)
        ones = sorted((b for b in found.boxes if b.text == "1" and b.top > 900), key=lambda b: b.x0)
        assert ones, [(b.text, b.x0, b.top) for b in found.boxes if b.top > 880]
        target = ones[0] if column == 0 else next(b for b in ones if 700 < b.x0 < 800)  # 行政诉讼 未经复议 总计
        return dataclasses.replace(
            found, boxes=[dataclasses.replace(b, text="L") if b is target else b for b in found.boxes]
        )

    monkeypatch.setattr(ocr, "analyse", misread)
    report = gicstats.read_report(image_pdf([hongze_pages[3]]), name="page4.pdf", cache=ocr_cache)
    read = values(report)
    key = "review_litigation.review.upheld" if column == 0 else "review_litigation.lit_direct.total"
    assert TRUTH_HONGZE["cells"][key] == 1
    cells = report.cells.set_index(["table", "row", "column"])
    assert cells.loc[tuple(key.split(".")), "raw"] == "L" and read[key] is None
    unreadable = report.findings[report.findings["rule"] == "parse.unreadable_cell"]
    assert key in set(unreadable["cells"])
    table4 = {k: v for k, v in TRUTH_HONGZE["cells"].items() if k.startswith("review_litigation.") and k != key}
    assert len(table4) == 14 and {k: read.get(k) for k in table4} == table4


def test_deskew_finds_the_angle():
    import numpy as np

    page = rasterise(HONGZE, pages=[3])[0]
    for angle in (-1.5, 1.0, 0.0):
        gray = np.asarray(degrade(page, angle))
        assert ocr.skew_angle(gray) == pytest.approx(-angle, abs=0.1)


# --------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------


def test_without_the_extra_an_image_only_report_is_refused_with_the_hint(hongze_pages, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # as if not installed
    assert not ocr.available()
    png = tmp_path / "scan.png"
    hongze_pages[2].save(png)
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(png)
    hint = 'install the OCR extra: pip install "gicstats[ocr]"'
    assert str(info.value) == f"{png}: PNG image; reading it needs OCR: {hint}"
    html = tmp_path / "pictures.html"
    html.write_text("<html><body><p>报告</p><img src='scan.png'></body></html>", encoding="utf-8")
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(html)
    assert str(info.value) == (
        f"{html}: page shows its tables as 1 picture (<img>); reading it needs OCR: "
        'install the OCR extra: pip install "gicstats[ocr]"'
    )
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(image_pdf(hongze_pages[:2]), name="scan.pdf")
    assert str(info.value) == (
        "scan.pdf: PDF has no text layer on 2 pages of images only (a scan?); reading it needs OCR: "
        'install the OCR extra: pip install "gicstats[ocr]"'
    )


def test_too_large_image_is_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import Image

    big = tmp_path / "bomb.png"
    Image.new("1", (12000, 10000), 1).save(big)  # 120 million pixels, a few kilobytes
    assert big.stat().st_size < 100_000
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(big)
    assert str(info.value) == (
        f"{big}: has 120,000,000 pixels in one image (12000 x 10000), over the limit of 100,000,000 "
        "(GICSTATS_MAX_IMAGE_PIXELS)"
    )
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 10000), 1).save(huge)  # past what Pillow itself opens
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(huge)
    assert str(info.value) == (
        f"{huge}: has more pixels in one image than the limit of 100,000,000 (GICSTATS_MAX_IMAGE_PIXELS)"
    )
    monkeypatch.setenv("GICSTATS_MAX_IMAGE_PIXELS", "1000000")
    small = tmp_path / "page.gif"
    Image.new("L", (1240, 1755), 255).save(small)
    with pytest.raises(gicstats.GicstatsError, match=r"GICSTATS_MAX_IMAGE_PIXELS"):
        gicstats.read_report(small)


def test_pdf_page_too_large_to_render_is_refused(monkeypatch):
    from PIL import Image

    data = image_pdf([Image.new("L", (600, 600), 255)], dpi=2)  # a page 300 inches wide
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(data, name="huge.pdf")
    assert "pixels in one page (page 1) (45000 x 45000)" in str(info.value)
    assert str(info.value).endswith("over the limit of 100,000,000 (GICSTATS_MAX_IMAGE_PIXELS)")


def test_too_many_pages_to_ocr_is_refused(hongze_pages, monkeypatch):
    monkeypatch.setenv("GICSTATS_MAX_OCR_PAGES", "2")
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(image_pdf(hongze_pages[:3]), name="long_scan.pdf")
    assert str(info.value) == "long_scan.pdf: has 3 pages to OCR, over the limit of 2 (GICSTATS_MAX_OCR_PAGES)"


def test_too_many_pictures_are_refused_before_they_are_fetched(tmp_path, monkeypatch, picture_server):
    """A page of more table pictures than ``GICSTATS_MAX_OCR_PAGES``: refused as they are counted.

    The pictures on the server past the limit are not fetched.
    """
    from PIL import Image

    root, base, hits = picture_server
    for n in range(5):
        Image.new("L", (40, 30), 255).save(root / f"p{n}.png")
    page = tmp_path / "pictures.html"
    page.write_text("<html><body><p>报告</p>" + "".join(f"<img src='{base}/p{n}.png'>" for n in range(5)), "utf-8")
    monkeypatch.setenv("GICSTATS_MAX_OCR_PAGES", "2")
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(page, cache=tmp_path / "cache")
    assert str(info.value) == f"{page}: has more pictures to OCR than the limit of 2 (GICSTATS_MAX_OCR_PAGES)"
    assert sorted(hits) == ["/p0.png", "/p1.png", "/p2.png"]


def test_damaged_image_is_one_line(tmp_path):
    path = tmp_path / "cut.png"
    buf = io.BytesIO()
    from PIL import Image

    Image.new("L", (400, 300), 255).save(buf, format="PNG")
    path.write_bytes(buf.getvalue()[:60])
    with pytest.raises(gicstats.GicstatsError) as info:
        gicstats.read_report(path)
    assert str(info.value).startswith(f"{path}: not a readable image")


def test_build_caches_ocr_so_a_rebuild_does_not_ocr_again(hongze_pages, tmp_path, monkeypatch):
    """``gicstats build`` over text, PDF and image reports.

    The OCR results land in the corpus cache; a build of the same files
    into a new corpus with that cache runs no OCR (counted by a spy that
    calls through).
    """
    import shutil

    from gicstats.corpus import build, read_corpus

    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(DATA / "pingtan_2021.txt", folder)
    shutil.copy(HONGZE, folder)
    hongze_pages[2].save(folder / "hongze_p3.png")
    calls = []
    real = ocr._run_ocr

    def counting(gray):
        calls.append(gray.shape)
        return real(gray)

    monkeypatch.setattr(ocr, "_run_ocr", counting)
    first = build([folder], tmp_path / "corpus1", jobs=1)
    assert not first.failed, first.failed
    assert len(calls) == 1  # the PNG's one page; the PDF has a text layer
    cached = list((tmp_path / "corpus1" / "cache" / "ocr").glob("*.json"))
    assert len(cached) == 1
    second = build([folder], tmp_path / "corpus2", jobs=1, cache=tmp_path / "corpus1" / "cache")
    assert not second.failed
    assert len(calls) == 1  # read from the cache: no OCR
    corpus = read_corpus(tmp_path / "corpus2")
    cells = corpus.cells[corpus.cells["source"].str.endswith("hongze_p3.png")]
    assert len(cells) > 0 and cells["locator"].str.contains("OCR confidence").all()


# --------------------------------------------------------------------------
# Web reports through a Chromium screenshot
# --------------------------------------------------------------------------

HTML_REPORTS = sorted(p.name for p in DATA.glob("*.html"))
SCREENSHOT_FLAGS = (*CHROMIUM_FLAGS, "--hide-scrollbars")
# Window of the screenshots: a desktop browser's width, and taller than any
# bundled report so that one screenshot holds the whole page.
WINDOW = (1280, 9000)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> dict:
    """Each bundled HTML report as Chromium shows it: a full-page screenshot (PNG).

    Chromium sees the Noto Sans CJK that gicstats depends on through a
    fontconfig file of its own (``tests/shapes.py``), so the picture does not
    depend on the machine's fonts. The trailing blank part of the window is
    cut off.
    """
    import numpy as np
    from PIL import Image
    from shapes import Workshop, find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    shop = Workshop(tmp_path_factory.mktemp("chromium"))
    out = {}
    for name in HTML_REPORTS:
        png = shop.root / f"{name}.png"
        command = [find_chromium(), *SCREENSHOT_FLAGS, f"--user-data-dir={shop.home / 'chromium-profile'}"]
        command += [f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={png}", (DATA / name).as_uri()]
        shop.run(command, timeout=180)
        with Image.open(png) as shot:
            image = shot.convert("RGB")
        ink = np.flatnonzero((np.asarray(image.convert("L")) < 160).any(axis=1))
        assert ink[-1] < WINDOW[1] - 100, f"{name}: the page is taller than the window"
        out[name] = image.crop((0, 0, image.width, int(ink[-1]) + 20))
    return out


def table_boxes(image) -> list[tuple[int, int, int, int]]:
    """The drawn tables of a screenshot (x0, top, x1, bottom in pixels), top to bottom."""
    import numpy as np

    _, edges = ocr.ruling_lines(np.asarray(image.convert("L")))
    boxes = []
    for cells in ocr.find_tables(edges):
        boxes.append(
            (
                int(min(c[0] for c in cells)),
                int(min(c[1] for c in cells)),
                int(max(c[2] for c in cells)) + 1,
                int(max(c[3] for c in cells)) + 1,
            )
        )
    return sorted(boxes, key=lambda b: b[1])


def title_and_tables(image):
    """The screenshot cut to what OCR must read: the title line above the tables with their headings.

    OCR reads the narrative in between too, at several times the cost, and
    no truth cell is there (the narrative's numbers are checked against the
    tables, not read from them).
    """
    import numpy as np
    from PIL import Image

    gray = np.asarray(image.convert("L"))
    blank = ~(gray < 160).any(axis=1)
    top = int(np.flatnonzero(~blank)[0])
    end = top
    while not blank[end : end + 12].all():  # the title ends at the first blank band
        end += 1
    boxes = table_boxes(image)
    assert len(boxes) >= 2, "the screenshot's tables were not found"
    title = image.crop((0, max(top - 10, 0), image.width, end + 6))
    # from above the first table's heading to below the last table
    tables = image.crop((0, boxes[0][1] - 80, image.width, boxes[-1][3] + 10))
    out = Image.new("RGB", (image.width, title.height + 20 + tables.height), "white")
    out.paste(title, (0, 0))
    out.paste(tables, (0, title.height + 20))
    return out


@pytest.mark.parametrize("name", HTML_REPORTS)
def test_html_report_screenshot_reads_every_truth_cell_exactly(screenshots, ocr_cache, tmp_path, name):
    png = tmp_path / f"{name}.png"
    title_and_tables(screenshots[name]).save(png)
    report = gicstats.read_report(png, cache=ocr_cache)
    assert report.format == "image"
    assert_truth(report, load_truth(name.removesuffix(".html")))
    # every cell read by OCR says so; those with a value give its confidence
    cells = report.cells
    assert cells["locator"].str.contains("OCR").all()
    assert all(ocr.confidence(loc) is not None for loc in cells.loc[cells["value"].notna(), "locator"])


@pytest.mark.parametrize("name", HTML_REPORTS)
def test_html_report_screenshot_skewed_speckled_blurred_reads_exactly(screenshots, ocr_cache, tmp_path, name):
    """The same screenshot turned by 1°, a speck per 50,000 pixels, blurred (radius 0.8)."""
    png = tmp_path / f"{name}.png"
    degrade(title_and_tables(screenshots[name])).save(png)
    report = gicstats.read_report(png, cache=ocr_cache)
    assert_truth(report, load_truth(name.removesuffix(".html")))


@pytest.mark.parametrize("name", HTML_REPORTS)
def test_html_report_with_its_tables_as_screenshots(screenshots, ocr_cache, tmp_path, name):
    """The report's page with each <table> replaced by an <img> of its screenshot.

    What a site does that pastes the Word table as a picture: the title and
    the narrative stay text, the tables are PNG files beside the page.
    """
    from lxml import html as lxml_html

    image = screenshots[name]
    boxes = table_boxes(image)
    root = lxml_html.fromstring((DATA / name).read_text(encoding="utf-8"))
    tables = [t for t in root.iter("table") if not any(a.tag == "table" for a in t.iterancestors())]
    assert len(tables) == len(boxes), "one drawn table in the screenshot for each <table>"
    for number, (table, box) in enumerate(zip(tables, boxes), start=1):
        image.crop((box[0] - 4, box[1] - 4, box[2] + 4, box[3] + 4)).save(tmp_path / f"table{number}.png")
        img = lxml_html.Element("img", src=f"table{number}.png")
        img.tail = table.tail
        table.getparent().replace(table, img)
    page = tmp_path / name
    page.write_text(lxml_html.tostring(root, encoding="unicode"), encoding="utf-8")
    assert "<table" not in page.read_text(encoding="utf-8")
    report = gicstats.read_report(page, cache=ocr_cache)
    assert report.format == "html"
    assert_truth(report, load_truth(name.removesuffix(".html")))
    locator = report.cells.set_index(["table", "row", "column"]).loc[
        ("applications", "new_received", "total"), "locator"
    ]
    assert re.match(r"image \d \(table\d\.png\), table ", locator) and ocr.confidence(locator) > 0.6
