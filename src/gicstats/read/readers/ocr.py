"""Reader for image-only reports: OCR, then the PDF reader's geometry.

Scanned PDFs, PNG/JPEG/TIFF/BMP/GIF/WebP files and tables pasted into web
pages as pictures have no text layer. Their pages are read with RapidOCR
(PP-OCRv4 Chinese detection and recognition models on ONNX Runtime, shipped
inside the ``rapidocr-onnxruntime`` wheel: nothing is downloaded), installed
with the ``ocr`` extra (``pip install "gicstats[ocr]"``).

Each page image goes through:

1. **Deskew**: the angle (within ±3°) that makes the rows of ink sharpest
   (the projection profile's variance) is undone, so a phone scan a degree
   or two off reads like a straight one.
2. **OCR**: every text box with its text and confidence. The direction
   classifier is off: it turns a lone ``9`` upside down into a ``6`` (seen on
   a real report, at 0.997), and report pages are upright. No result is
   dropped for a low score; a low score becomes a finding instead.
3. **Ruling lines**: long horizontal and vertical strokes of ink, found by
   morphology, become pdfplumber edges and go through pdfplumber's own
   table finder (``edges_to_intersections`` … ``cells_to_tables``).
4. **The PDF reader's geometry**: OCR boxes become the words of a page in
   points, exactly as the text layer's words; drawn tables are read cell by
   cell (:func:`gicstats.read.readers.pdf._table_items`), the rest by position
   (vertical cells, visual lines, label lines attached to value lines).

Every cell read this way carries ``OCR confidence 0.93, box x0,y0-x1,y1 px``
in its locator (the lowest confidence of the boxes it was read from, and
their union in the page image's pixels). What OCR reads is never changed: a
digit that looks wrong stays as read, and the identities of the form, with
the confidences, tell the analyst where to look.

OCR results are cached by the hash of the page image (and the engine
settings) in a folder, when one is given: a rebuilt corpus does not OCR
again.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gicstats.errors import GicstatsError
from gicstats.read.document import Cell, Document
from gicstats.read.limits import Limits, beyond, current, over
from gicstats.read.readers.pdf import _Box
from gicstats.read.sources import image_kind

OCR_HINT = 'install the OCR extra: pip install "gicstats[ocr]"'

# Cells read with a lower confidence get a finding (``ocr.low_confidence``).
# On the bundled real report rasterised at 150 dpi every cell read right, the
# lowest at 0.44 (a lone ``0``): the threshold flags such cells for a look,
# it does not make them null.
LOW_CONFIDENCE = 0.6

# Pages of a PDF are rendered at the resolution of the scan they hold, kept
# within this range (dots per inch); a page with no image at the lowest.
MIN_DPI, MAX_DPI = 150, 300

# Bumped when anything that changes OCR results changes: cached results of
# other settings are not reused.
ENGINE_SETTINGS = {
    "engine": "rapidocr-onnxruntime 1.4.4 PP-OCRv4",
    "use_cls": False,
    "text_score": 0.0,
    "limit_type": "min",
    "limit_side_len": 736,
    "box_thresh": 0.5,
    "unclip_ratio": 1.6,
    "reader": 6,  # deskew, ruling lines, empty cells
}

_LOCATOR = re.compile(r"OCR confidence (\d+(?:\.\d+)?)")


def confidence(locator: str) -> float | None:
    """The OCR confidence a locator records, or None for a cell not read by OCR.

    >>> confidence("page 3, table 2, row 5, column 4; OCR confidence 0.74, box 352,560-372,590 px")
    0.74
    >>> confidence("table 1, row 3, column 2") is None
    True
    """
    m = _LOCATOR.search(locator or "")
    return float(m.group(1)) if m else None


def available() -> bool:
    """Whether the ``ocr`` extra is installed."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def require(name: str, what: str) -> None:
    """Refuse ``what`` (an image-only source) when the extra is missing."""
    if not available():
        raise GicstatsError(name, f"{what}; reading it needs OCR: {OCR_HINT}")


# --------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------

_local = threading.local()


def _engine():
    """One engine per thread (RapidOCR keeps per-call state on itself)."""
    engine = getattr(_local, "engine", None)
    if engine is None:
        from rapidocr_onnxruntime import RapidOCR

        threads = int(os.environ.get("GICSTATS_OCR_THREADS", "0") or 0)
        kwargs = {}
        if threads > 0:
            kwargs = {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
        engine = RapidOCR(
            use_cls=False,
            text_score=ENGINE_SETTINGS["text_score"],
            det_limit_type=ENGINE_SETTINGS["limit_type"],
            det_limit_side_len=ENGINE_SETTINGS["limit_side_len"],
            **kwargs,
        )
        _local.engine = engine
    return engine


@dataclass
class OcrBox:
    """One text box OCR found, in the (deskewed) page image's pixels."""

    text: str
    conf: float
    x0: float
    top: float
    x1: float
    bottom: float


def _run_ocr(gray) -> list[OcrBox]:
    import cv2

    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    result, _ = _engine()(
        bgr,
        use_cls=False,
        box_thresh=ENGINE_SETTINGS["box_thresh"],
        unclip_ratio=ENGINE_SETTINGS["unclip_ratio"],
        text_score=ENGINE_SETTINGS["text_score"],
    )
    boxes = []
    for points, text, conf in result or []:
        text = text.strip()
        if not text:
            continue
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        boxes.append(OcrBox(text, round(float(conf), 3), min(xs), min(ys), max(xs), max(ys)))
    return boxes


@dataclass
class Analysis:
    """What OCR found on one page.

    The skew undone (degrees), the straight page's size, its text boxes
    and its ruling lines (edges, in pixels).
    """

    angle: float
    shape: tuple[int, int]
    boxes: list[OcrBox]
    edges: list[dict]


def analyse(gray, dpi: float, cache: str | os.PathLike | None = None) -> Analysis:
    """Deskew one grey page image, find its ruling lines and OCR it.

    Through the cache folder when one is given, keyed by the image's hash,
    its resolution and the engine settings.
    """
    key = hashlib.sha256(
        json.dumps([ENGINE_SETTINGS, dpi], sort_keys=True).encode() + str(gray.shape).encode() + gray.tobytes()
    ).hexdigest()
    path = Path(cache) / "ocr" / f"{key}.json" if cache else None
    if path is not None and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Analysis(data["angle"], tuple(data["shape"]), [OcrBox(**b) for b in data["boxes"]], data["edges"])
        except (ValueError, TypeError, KeyError, OSError):
            pass  # a damaged entry is read again
    straight, angle = deskew(gray)
    mask, edges = ruling_lines(straight, dpi)
    clean = without_lines(straight, mask)
    boxes = _read_by_cell(clean, _run_ocr(clean), edges, 72 / dpi)
    result = Analysis(angle, tuple(straight.shape), boxes, edges)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            data = {**result.__dict__, "boxes": [b.__dict__ for b in boxes]}
            tmp.write_text(json.dumps(data, ensure_ascii=False, default=float), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written only costs time
    return result


def _read_by_cell(clean, boxes: list[OcrBox], edges: list[dict], scale: float) -> list[OcrBox]:
    """Inside drawn tables, make every box belong to one cell.

    With the rules painted out, detection may take a row of values (``1 1 0
    0 2``) or of headers for one line of text across the cells. Such a box
    is read again cell by cell: the ink of each cell within the box's band
    is recognised on its own, with its own confidence. So is a cell where
    detection found nothing but there is ink (a lone ``0`` in a wide cell is
    sometimes not detected). Specks (under 1/8 of a character's height at
    the page's resolution) are no ink.
    """
    cells = [tuple(round(v / scale) for v in cell) for table in find_tables(_scaled(edges, scale)) for cell in table]
    if not cells:
        return boxes
    min_height = max(4, round(72 / scale / 150 * 8))  # a digit at 150 dpi is 15-25 pixels high
    out: list[OcrBox] = []
    for b in boxes:
        yc = (b.top + b.bottom) / 2
        crossed = [c for c in cells if c[1] <= yc < c[3] and min(b.x1, c[2]) - max(b.x0, c[0]) > 4]
        if len(crossed) < 2:
            out.append(b)
            continue
        for c in sorted(crossed):
            band = (
                max(c[0] + 3, round(b.x0)),
                max(c[1] + 3, round(b.top)),
                min(c[2] - 2, round(b.x1)),
                min(c[3] - 2, round(b.bottom)),
            )
            read = _recognise_ink(clean, band, min_height)
            if read is not None:
                out.append(read)
    for c in cells:
        if any(c[0] <= (b.x0 + b.x1) / 2 < c[2] and c[1] <= (b.top + b.bottom) / 2 < c[3] for b in out):
            continue
        read = _recognise_ink(clean, (c[0] + 3, c[1] + 3, c[2] - 2, c[3] - 2), min_height)
        if read is not None:
            out.append(read)
    return out


def _recognise_ink(clean, region: tuple[int, int, int, int], min_height: int) -> OcrBox | None:
    """Recognise the ink inside ``region`` as one line of text, or None where there is no ink.

    ``region`` is x0, top, x1, bottom in pixels.
    """
    import cv2

    x0, top, x1, bottom = region
    inner = clean[top:bottom, x0:x1]
    if inner.size == 0:
        return None
    _, ink = cv2.threshold(inner, 160, 255, cv2.THRESH_BINARY_INV)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    parts = [st for st in stats[1:count] if st[3] >= min_height or st[2] >= min_height]
    if not parts:
        return None
    gx0, gy0 = x0 + min(st[0] for st in parts), top + min(st[1] for st in parts)
    gx1, gy1 = x0 + max(st[0] + st[2] for st in parts), top + max(st[1] + st[3] for st in parts)
    pad = max(4, (gy1 - gy0) // 4)
    crop = clean[max(gy0 - pad, 0) : gy1 + pad, max(gx0 - pad, 0) : gx1 + pad]
    (text, conf), *_ = _engine().text_rec([cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)])[0]
    text = text.strip()
    return OcrBox(text, round(float(conf), 3), gx0, gy0, gx1, gy1) if text else None


# --------------------------------------------------------------------------
# Page images
# --------------------------------------------------------------------------


@dataclass
class PageImage:
    """One page to OCR: a grey image (numpy, uint8) and its resolution."""

    number: int
    gray: object
    dpi: float


def _to_gray(image):
    """A PIL image as a grey numpy array, transparency on white."""
    import numpy as np
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()


def _check_pixels(name: str, width: int, height: int, limits: Limits, what: str = "image") -> None:
    pixels = width * height
    if pixels > limits.max_image_pixels:
        raise GicstatsError(
            name,
            over(f"pixels in one {what} ({width} x {height})", pixels, limits.max_image_pixels, "max_image_pixels"),
        )


def _check_ocr_pages(name: str, count: int, limits: Limits) -> None:
    if count > limits.max_ocr_pages:
        raise GicstatsError(name, over("pages to OCR", count, limits.max_ocr_pages, "max_ocr_pages"))


IMAGE_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "TIFF": "TIFF", "BMP": "BMP", "GIF": "GIF", "WEBP": "WebP"}


def image_pages(data: bytes, name: str, limits: Limits | None = None) -> list[PageImage]:
    """The frames of an image file as pages (a multi-page TIFF has several).

    The size is read from the header and checked against
    ``GICSTATS_MAX_IMAGE_PIXELS`` before any pixel is decoded.
    """
    from PIL import Image, ImageSequence

    limits = limits or current()
    try:
        with warnings.catch_warnings():
            # Pillow warns past 89 million pixels and refuses past twice
            # that; our own limit, checked below, says which variable to set
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise GicstatsError(name, beyond("pixels in one image", limits.max_image_pixels, "max_image_pixels")) from None
    except Exception as exc:
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise GicstatsError(name, f"not a readable image ({detail})") from None
    pages = []
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            _check_ocr_pages(name, number, limits)
            _check_pixels(name, *frame.size, limits)
            dpi = frame.info.get("dpi", (0, 0))[0] or 0
            pages.append(PageImage(number, _to_gray(frame), float(dpi) if 72 <= float(dpi) <= 1200 else 0.0))
    except GicstatsError:
        raise
    except Exception as exc:  # truncated or damaged pixel data
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise GicstatsError(name, f"not a readable image, perhaps truncated or damaged ({detail})") from None
    return pages


def pdf_pages(data: bytes, name: str, numbers: list[int], limits: Limits | None = None) -> list[PageImage]:
    """Render the given pages (1-based) of a PDF with pypdfium2.

    Each page at the resolution of the largest image it holds (within
    ``MIN_DPI`` … ``MAX_DPI``), its pixels checked before rendering.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    limits = limits or current()
    _check_ocr_pages(name, len(numbers), limits)
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise GicstatsError(name, f"not a readable PDF, perhaps truncated or damaged ({detail})") from None
    pages = []
    try:
        for number in numbers:
            page = pdf[number - 1]
            width, height = page.get_size()
            dpi = MIN_DPI
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
                try:
                    px_w, _ = obj.get_px_size()
                    left, _, right, _ = obj.get_pos()
                except Exception:
                    continue
                if right - left > 0.3 * width:  # a scan, not a logo
                    dpi = max(dpi, px_w / ((right - left) / 72))
            dpi = min(max(dpi, MIN_DPI), MAX_DPI)
            _check_pixels(name, round(width * dpi / 72), round(height * dpi / 72), limits, f"page (page {number})")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            pages.append(PageImage(number, _to_gray(bitmap.to_pil()), dpi))
            page.close()
    finally:
        pdf.close()
    return pages


# --------------------------------------------------------------------------
# Deskew and ruling lines
# --------------------------------------------------------------------------


def _ink(gray):
    """Ink as 255 on 0 (Otsu's threshold)."""
    import cv2

    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def skew_angle(gray) -> float:
    """The rotation (degrees, counter-clockwise positive, within ±3°) that straightens the page.

    The one that makes the rows of ink sharpest, searched coarse then fine
    on a reduced image.
    """
    import cv2
    import numpy as np

    ink = _ink(gray)
    scale = min(1.0, 800 / max(ink.shape))
    small = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else ink
    h, w = small.shape
    centre = (w / 2, h / 2)

    def score(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rotated = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-3.0, 3.01, 0.25), key=score)
    best = max(np.arange(best - 0.25, best + 0.26, 0.05), key=score)
    return round(float(best), 2)


def deskew(gray) -> tuple[Any, float]:
    """The page turned straight, and the angle it was turned by.

    The angle is 0 when the skew is under 0.1°: turning blurs a little.
    """
    import cv2

    angle = skew_angle(gray)
    if abs(angle) < 0.1:
        return gray, 0.0
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=255), angle


def ruling_lines(gray, dpi: float = MIN_DPI) -> tuple[object, list[dict]]:
    """The page's ruling lines: a mask of their pixels, and the lines as pdfplumber edges in pixels.

    A horizontal line is a run of ink at least 1/25 of the page wide and at
    most 12 pixels thick, a vertical one at least 1/40 of the page high, or
    0.3 inch on a page taller than A4 (a full-page screenshot of a web
    page, whose cells' borders are broken between rows by the cell
    spacing, is several pages high: 1/40 of it is more than a row). A
    vertical line must meet horizontal ones at both ends (a cell border runs
    from rule to rule; the long stroke of ``中`` in a paragraph does not), a
    short horizontal one a vertical one. Runs are found on fragments of half
    their length first, with gaps of a few pixels (a light speck, a faded
    pixel) closed between fragments only, so the strokes of neighbouring
    characters are never joined into a rule.
    """
    import cv2
    import numpy as np

    ink = _ink(gray)
    h, w = ink.shape
    mask = np.zeros_like(ink)

    def runs(length: int, horizontal: bool):
        def rect(n):
            return cv2.getStructuringElement(cv2.MORPH_RECT, (n, 1) if horizontal else (1, n))

        fragments = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(max(length // 2, 10)))
        closed = cv2.morphologyEx(fragments, cv2.MORPH_CLOSE, rect(7))
        lines = cv2.morphologyEx(closed, cv2.MORPH_OPEN, rect(length))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        return labels, [(label, *stats[label][:4]) for label in range(1, count)]

    h_labels, found = runs(max(w // 25, 20), True)
    horizontal = [(label, x, y, x + bw, y + bh) for label, x, y, bw, bh in found if bh <= 12]

    def meets(x: float, y: float) -> bool:
        return any(x0 - 6 <= x <= x1 + 6 and y0 - 6 <= y <= y1 + 6 for _, x0, y0, x1, y1 in horizontal)

    v_labels, found = runs(max(min(h // 40, round(0.3 * dpi)), 20), False)
    vertical = []
    for label, x, y, bw, bh in found:
        xc = x + bw / 2
        if bw <= 12 and meets(xc, y) and meets(xc, y + bh):
            vertical.append((label, x, y, x + bw, y + bh))
    edges = []
    for label, x0, y0, x1, y1 in horizontal:
        crossed = any(
            vx0 - 6 <= x <= vx1 + 6 and vy0 - 6 <= y0 <= vy1 + 6 for _, vx0, vy0, vx1, vy1 in vertical for x in (x0, x1)
        )
        if x1 - x0 < w / 6 and not crossed:
            continue
        mask[h_labels == label] = 255
        yc = (y0 + y1) / 2
        edges.append({"x0": x0, "x1": x1, "top": yc, "bottom": yc, "width": x1 - x0, "orientation": "h"})
    for label, x0, y0, x1, y1 in vertical:
        mask[v_labels == label] = 255
        xc = (x0 + x1) / 2
        edges.append({"x0": xc, "x1": xc, "top": y0, "bottom": y1, "height": y1 - y0, "orientation": "v"})
    return mask, [{k: float(v) if k != "orientation" else v for k, v in e.items()} for e in edges]


def without_lines(gray, mask):
    """The page with its ruling lines painted white.

    A character touching a line (``一`` against a cell's left border) is
    otherwise read as part of it, or not at all.
    """
    import cv2

    clean = gray.copy()
    clean[cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))) > 0] = 255
    return clean


def _scaled(edges: list[dict], scale: float) -> list[dict]:
    keys = ("x0", "x1", "top", "bottom", "width", "height")
    return [{k: (v * scale if k in keys else v) for k, v in e.items()} for e in edges]


def find_tables(edges: list[dict]) -> list[list[tuple]]:
    """Cells of the tables the ruling lines draw, by pdfplumber's algorithm.

    With its default tolerances (3 points).
    """
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    if not edges:
        return []
    merged = merge_edges(edges, 3, 3, 3, 3)
    merged = [e for e in merged if (e["x1"] - e["x0"] if e["orientation"] == "h" else e["bottom"] - e["top"]) >= 3]
    cells = intersections_to_cells(edges_to_intersections(merged, 3, 3))
    return cells_to_tables(cells)


# --------------------------------------------------------------------------
# Reading pages
# --------------------------------------------------------------------------


@dataclass
class _OcrWord(_Box):
    """An OCR box in points, with what the locator needs."""

    text: str
    conf: float
    x0: float
    x1: float
    top: float
    bottom: float
    px: tuple[int, int, int, int]


def _note(words: list[_OcrWord]) -> str:
    conf = min(w.conf for w in words)
    x0, y0 = min(w.px[0] for w in words), min(w.px[1] for w in words)
    x1, y1 = max(w.px[2] for w in words), max(w.px[3] for w in words)
    return f"OCR confidence {conf:.3f}".rstrip("0").rstrip(".") + f", box {x0},{y0}-{x1},{y1} px"


def _join(words: list[_OcrWord]) -> str:
    """The text of one cell's boxes.

    Lines top to bottom, boxes left to right; lines joined without a space
    (Chinese wraps anywhere), boxes on one line with a space where a gap
    parts them.
    """
    lines: list[list[_OcrWord]] = []
    for w in sorted(words, key=lambda w: w.top):
        if lines and min(lines[-1][0].bottom, w.bottom) - max(lines[-1][0].top, w.top) >= 0.5 * min(
            lines[-1][0].height, w.height
        ):
            lines[-1].append(w)
        else:
            lines.append([w])
    out = []
    for line in lines:
        line.sort(key=lambda w: w.x0)
        text = line[0].text
        for prev, w in itertools.pairwise(line):
            text += (" " if w.x0 - prev.x1 > 0.5 * w.height else "") + w.text
        out.append(text)
    from gicstats.read.readers.pdf import _is_value

    joined = out[0] if out else ""
    for above, below, prev_text, text in zip(lines, lines[1:], out, out[1:]):
        gap = min(w.top for w in below) - max(w.bottom for w in above)
        # numbers far apart in one cell are no wrapped number: a rule the
        # scan lost has merged two cells. Joined they would make another
        # number (95 over 0 is not 950); apart they are unreadable, a finding.
        far = gap > 0.8 * above[0].height and _is_value(prev_text) and _is_value(text)
        joined += " … " + text if far else text
    return joined


class _GridTable:
    """A table found in the ruling lines, shaped as pdfplumber's ``Table``.

    It has ``rows`` with ``bbox`` and ``cells``, and ``extract()``; its
    cells' text comes from the OCR words whose middles fall inside them.
    """

    def __init__(self, cells: list[tuple], words: list[_OcrWord]) -> None:
        from pdfplumber.table import Table

        self._table = Table(None, cells)  # type: ignore[arg-type]  # no page: only the cells' geometry is used
        self.rows = self._table.rows
        self.words: dict[tuple[int, int], list[_OcrWord]] = {}
        for w in words:
            for r, row in enumerate(self.rows):
                for c, cell in enumerate(row.cells):
                    if cell is not None and cell[0] <= w.xc < cell[2] and cell[1] <= w.yc < cell[3]:
                        self.words.setdefault((r, c), []).append(w)

    def extract(self) -> list[list[str | None]]:
        return [
            [None if cell is None else _join(self.words.get((r, c), [])) for c, cell in enumerate(row.cells)]
            for r, row in enumerate(self.rows)
        ]


def _page_items(page: PageImage, found: Analysis):
    """The PDF reader's page (``_Page``) from OCR boxes.

    Also the OCR note of each cell locator of its tables.
    """
    from gicstats.read.readers.pdf import _line_groups, _Page, _table_items, _vertical_cells, _Word

    dpi = page.dpi or MIN_DPI
    scale = 72 / dpi
    words = [
        _OcrWord(
            b.text,
            b.conf,
            b.x0 * scale,
            b.x1 * scale,
            b.top * scale,
            b.bottom * scale,
            (round(b.x0), round(b.top), round(b.x1), round(b.bottom)),
        )
        for b in found.boxes
    ]
    notes: dict[str, str] = {}
    items = []
    taken: list[tuple] = []
    for t_number, cells in enumerate(find_tables(_scaled(found.edges, scale)), start=1):
        table = _GridTable(cells, words)
        rows_items, row_boxes = _table_items(table, page.number, t_number)
        if not rows_items:
            continue
        items.extend(rows_items)
        taken.extend(row_boxes)
        for (r, c), cell_words in table.words.items():
            notes[f"page {page.number}, table {t_number}, row {r + 1}, column {c + 1}"] = _note(cell_words)
    free = [w for w in words if not any(b[0] <= w.xc <= b[2] and b[1] <= w.yc <= b[3] for b in taken)]
    as_pdf = [_Word(w.text, w.x0, w.x1, w.top, w.bottom) for w in free]
    by_id = {id(p): w for p, w in zip(as_pdf, free)}
    stacks, rest = _vertical_cells(as_pdf)
    groups = _line_groups(rest)
    height = found.shape[0] * scale
    return _Page(page.number, height, items, stacks, groups, 0), notes, by_id


def _annotate_text_cells(pg, starts, items, by_id: dict[int, _OcrWord]) -> None:
    """Add the OCR note to the cells read from the page's lines (not from a drawn table).

    A value cell from the boxes of its segment, a label cell from the boxes
    of its lines whose text it holds.
    """
    from gicstats.read.readers.pdf import _visual_lines

    lines = {ln.number: ln for ln in _visual_lines(pg.groups, starts)}
    for item in items:
        for cell in item.line.cells:
            if "OCR confidence" in cell.locator:
                continue
            m = re.match(r"page \d+, line (\d+)", cell.locator)
            if not m:
                continue
            number = int(m.group(1))
            chosen: list = []
            near = [lines[n] for n in range(number - 3, number + 4) if n in lines]
            for ln in near:
                for seg in ln.segments:
                    if seg.text == cell.text:
                        chosen = seg.words
                        break
                if chosen:
                    break
            if not chosen:
                chosen = [w for ln in near for seg in ln.segments for w in seg.words if w.text in cell.text]
            if not chosen:
                for stack in pg.stacks:
                    if "".join(w.text for w in stack) == cell.text:
                        chosen = stack
            words = [by_id[id(w)] for w in chosen if id(w) in by_id]
            cell.locator += f"; {_note(words)}" if words else "; OCR"


def read_pages(pages: list[PageImage], name: str, *, cache: str | os.PathLike | None = None) -> Document:
    """Read page images by OCR into a :class:`Document`, as the PDF reader reads pages with a text layer.

    Raises:
        GicstatsError: if the ``ocr`` extra is missing, or nothing is read.
    """
    items_by_page = read_page_items(pages, name, cache=cache)
    lines, narrative, hints = [], [], []
    for number, (items, page_hints) in enumerate(items_by_page, start=1):
        for item in items:
            lines.append(item.line)
            if item.narrative is not None:
                narrative.append(item.narrative)
        if number == 1:
            hints = page_hints
    if not lines:
        raise GicstatsError(name, "OCR found no text in the image")
    return Document(lines, "\n".join(narrative), hints)


def read_page_items(pages: list[PageImage], name: str, *, cache: str | os.PathLike | None = None) -> list[tuple]:
    """For each page, the PDF reader's items (``_Item``, in page order) and title hints.

    All from OCR.
    """
    from gicstats.read.readers.pdf import _column_starts, _text_items

    require(name, "image-only report")
    read = []
    progress = _progress(len(pages), name)
    try:
        for page in pages:
            read.append(_page_items(page, analyse(page.gray, page.dpi or MIN_DPI, cache)))
            progress.update(1)
    finally:
        progress.close()
    starts = _column_starts([g for pg, _, _ in read for g in pg.groups])
    out = []
    for pg, notes, by_id in read:
        text_items, _ = _text_items(pg, starts)
        hints = _title_hints(pg, starts) if pg.number == 1 else []
        for item in pg.table_items:
            for cell in item.line.cells:
                note = notes.get(cell.locator)
                cell.locator += f"; {note}" if note else "; OCR"
        _annotate_text_cells(pg, starts, text_items, by_id)
        out.append((sorted(pg.table_items + text_items, key=lambda it: it.top), hints))
    return out


def _title_hints(pg, starts) -> list[str]:
    """The title, as :func:`gicstats.read.readers.pdf._title_hints` finds it, with OCR's box heights.

    OCR's box heights vary by a fifth with the characters of a line (a line
    without descenders or full-height glyphs comes out lower), so a line's
    size is its boxes' median, the title's lines need only be 0.8 of the
    largest, and the title more than 1.15 times the body.
    """
    import statistics

    from gicstats.read.readers.pdf import _title_hints as pdf_title_hints
    from gicstats.read.readers.pdf import _visual_lines

    return pdf_title_hints(_visual_lines(pg.groups, starts), statistics.median, larger=1.15, alike=0.8)


def _progress(total: int, name: str):
    """A per-page progress bar on a terminal, for more than one page."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc=f"OCR {Path(name).name}"[:40], unit="page", disable=None if total > 1 else True, leave=False
    )


def read_image(data: bytes, name: str = "<bytes>", *, cache: str | os.PathLike | None = None) -> Document:
    """Read an image file (PNG, JPEG, TIFF, BMP, GIF, WebP) by OCR.

    Raises:
        GicstatsError: without the ``ocr`` extra, for an image past
            ``GICSTATS_MAX_IMAGE_PIXELS`` or with more frames than
            ``GICSTATS_MAX_OCR_PAGES``, or one that cannot be decoded.
    """
    kind = image_kind(data) or "image"
    require(name, f"{IMAGE_FORMATS.get(kind, kind)} image")
    return read_pages(image_pages(data, name), name, cache=cache)


def ocr_cells(cells: list[Cell]) -> list[Cell]:
    """The cells of a list that were read by OCR."""
    return [c for c in cells if confidence(c.locator) is not None]


def read_pdf_scans(
    data: bytes, name: str, numbers: list[int], *, whole: bool = True, cache: str | os.PathLike | None = None
) -> dict[int, tuple]:
    """OCR the given pages (1-based) of a PDF that have images and no text.

    For each, the PDF reader's items and title hints. Without the ``ocr``
    extra, a PDF with text on other pages (not ``whole``) is read without
    them, as before OCR; a PDF wholly of images is refused with the hint.

    Raises:
        GicstatsError: without the ``ocr`` extra for a ``whole`` scan, or
            past ``GICSTATS_MAX_OCR_PAGES`` or ``GICSTATS_MAX_IMAGE_PIXELS``.
    """
    if not whole and not available():
        return {}
    count = f"{len(numbers)} page{'s' if len(numbers) > 1 else ''}"
    require(name, f"PDF has no text layer on {count} of images only (a scan?)")
    return dict(zip(numbers, read_page_items(pdf_pages(data, name, numbers), name, cache=cache)))


def confidence_findings(report_id: str, cells: list[dict]) -> list:
    """A warning for each mapped cell read by OCR below ``LOW_CONFIDENCE`` (``ocr.low_confidence``).

    The value stays as read.
    """
    from gicstats.form.findings import Finding

    out = []
    for cell in cells:
        conf = confidence(cell.get("locator") or "")
        if conf is None or conf >= LOW_CONFIDENCE:
            continue
        key = f"{cell['table']}.{cell['row']}.{cell['column']}"
        out.append(
            Finding(
                report_id,
                "ocr.low_confidence",
                "warning",
                key,
                f"OCR confidence at least {LOW_CONFIDENCE}",
                f"{cell['raw']} (confidence {conf:g})",
                f"单元格{key}由OCR识别为“{cell['raw']}”，置信度{conf:g}低于{LOW_CONFIDENCE}，请对照原件核对",
            )
        )
    return out


def misread_note(locators: dict[str, str]) -> str:
    """What an identity failing on OCR cells may mean, for its finding.

    The cells read by OCR below ``LOW_CONFIDENCE`` (a misread is likely), or
    that none is (a misprint is as likely). ``locators`` maps cell ids to
    their locators; empty when no cell of the identity was read by OCR.

    >>> misread_note({"a.b.c": "page 1; OCR confidence 0.52, box 1,2-3,4 px", "a.b.d": "page 1; OCR confidence 0.99"})
    '；这些单元格由OCR识别，可能是识别错误：低置信度单元格a.b.c(0.52)'
    >>> misread_note({"a.b.c": "page 1; OCR confidence 0.97"})
    '；这些单元格由OCR识别，置信度均不低于0.6，更可能是原表印错，也可能是识别错误'
    >>> misread_note({"a.b.c": "table 1, row 2"})
    ''
    """
    confidences = {key: confidence(loc) for key, loc in locators.items()}
    read = {key: conf for key, conf in confidences.items() if conf is not None}
    if not read:
        return ""
    low = [f"{key}({conf:g})" for key, conf in read.items() if conf < LOW_CONFIDENCE]
    if low:
        return f"；这些单元格由OCR识别，可能是识别错误：低置信度单元格{'、'.join(low)}"
    return f"；这些单元格由OCR识别，置信度均不低于{LOW_CONFIDENCE}，更可能是原表印错，也可能是识别错误"


# --------------------------------------------------------------------------
# Web pages whose tables are pictures
# --------------------------------------------------------------------------

_DATA_URI = re.compile(r"^data:image/[a-z0-9.+-]+;base64,(.*)$", re.I | re.S)


def _image_sources(
    text: str, name: str, cache: str | os.PathLike | None = None, limit: int | None = None
) -> list[tuple[str, bytes]]:
    """The ``<img>`` elements of a page, in order, as ``(label, bytes)``.

    ``data:`` URIs, files beside the page (the page's folder or below, never
    outside it), and ``http(s)`` images (an absolute ``src``, or a relative
    one on a page read from a URL) fetched through the URL cache in
    ``cache``. An image that cannot be fetched is left out (a logo gone
    missing); when every image fails, the first failure is raised.

    Raises:
        GicstatsError: when the page has remote images and none could be
            fetched, or more images than ``limit`` (checked as they are
            found: a page of ten thousand ``<img>`` is not fetched).
    """
    import base64
    import binascii

    from lxml import etree

    from gicstats.read.sources import MAX_BYTES, is_url

    try:
        root = etree.fromstring(text, etree.HTMLParser(no_network=True, huge_tree=True))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    page = Path(name)
    folder = page.parent.resolve() if not is_url(name) and page.is_file() else None
    out = []
    failed: list[GicstatsError] = []
    for number, img in enumerate(root.iter("img"), start=1):
        src = (img.get("src") or "").strip()
        if not src:
            continue
        m = _DATA_URI.match(src)
        if m:
            try:
                data = base64.b64decode("".join(m.group(1).split()), validate=True)
            except (binascii.Error, ValueError):
                continue
            label = f"image {number} (data: URI)"
        elif folder is not None and not is_url(src) and ":" not in src.split("/")[0]:
            from urllib.parse import unquote, urlsplit

            path = (folder / unquote(urlsplit(src).path)).resolve()
            if not path.is_relative_to(folder) or not path.is_file() or path.stat().st_size > MAX_BYTES:
                continue
            data = path.read_bytes()
            label = f"image {number} ({path.relative_to(folder).as_posix()})"
        elif is_url(src) or (is_url(name) and ":" not in src.split("/")[0]):
            from urllib.parse import urljoin

            from gicstats.read.fetch import fetch

            url = src if is_url(src) else urljoin(name, src)
            try:
                data = fetch(url, cache_dir=cache).data
            except GicstatsError as exc:
                failed.append(exc)
                continue
            label = f"image {number} ({url})"
        else:
            continue
        if image_kind(data) is not None:
            out.append((label, data))
            if limit is not None and len(out) > limit:
                raise GicstatsError(name, beyond("pictures to OCR", limit, "max_ocr_pages"))
    if failed and not out:
        raise failed[0]
    return out


def with_pictured_tables(doc: Document, text: str, name: str, *, cache: str | os.PathLike | None = None) -> Document:
    """A web page's document with the tables it shows as pictures read by OCR.

    Only when its own text holds none of the form's tables.

    Each ``<img>`` (a ``data:`` URI, a file beside the page, or an image on
    the web fetched through the URL cache) is read as a page; its cells'
    locators name the image (``image 3 (t3.png), table 1, row 4, column 2;
    OCR confidence …``).

    Raises:
        GicstatsError: when the page's tables are pictures and the ``ocr``
            extra is missing, or past an OCR limit.
    """
    from gicstats.read.readers.html import _has_anchor

    if _has_anchor(doc.lines):
        return doc
    limits = current()
    sources = _image_sources(text, name, cache, limits.max_ocr_pages)
    if not sources:
        return doc
    require(name, f"page shows its tables as {len(sources)} picture{'s' if len(sources) > 1 else ''} (<img>)")
    pages: list[PageImage] = []
    labels: dict[int, str] = {}
    for label, data in sources:
        for frame in image_pages(data, f"{name}: {label}", limits):
            frame.number = len(pages) + 1
            labels[frame.number] = label
            pages.append(frame)
            _check_ocr_pages(name, len(pages), limits)
    lines = list(doc.lines)
    for number, (items, _) in enumerate(read_page_items(pages, name, cache=cache), start=1):
        for item in items:
            for cell in item.line.cells:
                cell.locator = re.sub(r"^page \d+", labels[number], cell.locator)
            lines.append(item.line)
    return Document(lines, doc.text, doc.title_hints, doc.repairs)
