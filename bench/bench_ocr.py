"""How fast image-only reports are read by OCR (the ``ocr`` extra).

Run on demand (not a test)::

    python bench/bench_ocr.py                # 2 passes over the 5-page scan
    python bench/bench_ocr.py --passes 3

The real ``data/hongze_2024.pdf`` is rasterised with pypdfium2 at 150 dpi
into an image-only PDF (5 pages), then read with ``gicstats.read_report``
(no OCR cache) on one core: the process is pinned to one CPU and ONNX
Runtime to one thread (``GICSTATS_OCR_THREADS=1``). Printed, as medians over
the passes:

- the time for the 5-page scanned report, and pages/s per core;
- the same report read from its text layer, in the same run, as the
  baseline (the ratio says what OCR costs over the text layer);
- how many of the text layer's cells the OCR reading matches exactly;
- the CPU time of the OCR reading and the load average before and after:
  the machine is shared, so wall time alone says little.

Target (issue 13): a 5-page scanned report in under 60 s on one core.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    os.environ["GICSTATS_OCR_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.pop("GICSTATS_CACHE", None)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    import pypdfium2 as pdfium

    import gicstats

    pdf_path = ROOT / "data" / "hongze_2024.pdf"
    pdf = pdfium.PdfDocument(str(pdf_path))
    images = [pdf[i].render(scale=150 / 72).to_pil().convert("RGB") for i in range(len(pdf))]
    pdf.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=150)
    scan = out.getvalue()
    pages = len(images)

    gicstats.read_report(scan, name="warm.pdf")  # load the models once, outside the timing
    text_times, ocr_times, ocr_cpu = [], [], []
    load_before = os.getloadavg()
    for _ in range(args.passes):
        t0 = time.perf_counter()
        text = gicstats.read_report(pdf_path)
        text_times.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        report = gicstats.read_report(scan, name="hongze_scan.pdf")
        ocr_times.append(time.perf_counter() - t0)
        ocr_cpu.append(time.process_time() - c0)
    load_after = os.getloadavg()
    ocr_s, text_s = statistics.median(ocr_times), statistics.median(text_times)
    cpu_s = statistics.median(ocr_cpu)
    want = {(t, r, c): text.value(t, r, c) for t, r, c in text.cells[["table", "row", "column"]].itertuples(False)}
    got = {(t, r, c): report.value(t, r, c) for t, r, c in report.cells[["table", "row", "column"]].itertuples(False)}
    exact = sum(got.get(k) == v for k, v in want.items())
    print(f"python {sys.version.split()[0]}, one core, {args.passes} passes (medians)")
    print(
        f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.1f}' for x in load_after)} after (2 cores shared)"
    )
    print(
        f"scanned report, {pages} pages at 150 dpi: {ocr_s:.1f} s wall, {cpu_s:.1f} s CPU "
        f"({pages / ocr_s:.3f} pages/s per core by wall time, {pages / cpu_s:.3f} by CPU time)"
    )
    print(f"text layer of the same report (baseline): {text_s:.2f} s  (OCR costs {ocr_s / text_s:.0f}x)")
    print(f"cells exact against the text layer: {exact}/{len(want)}")
    print(
        f"target: 5 pages under 60 s on one core -> wall {'met' if ocr_s / pages * 5 < 60 else 'NOT met'}, "
        f"CPU {'met' if cpu_s / pages * 5 < 60 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
