"""The shape matrix: every real report through every real producer.

Run on demand::

    python bench/shape_matrix.py              # print the matrix
    python bench/shape_matrix.py --keep DIR   # keep the producers' outputs in DIR
    python bench/shape_matrix.py --details    # also list wrong and null cells

Producers and scoring are in ``tests/shapes.py`` (the test
``tests/integration/test_shape_matrix.py`` asserts the same matrix). A matrix cell reads
``exact/total`` cells, then ``W<n>`` wrong cells (must never appear),
``S<n>`` null cells without a finding, ``m:<a|y|t>`` wrong agency, year or
template, ``n:<a|y|t>`` one not read (null, with the finding that says so),
``ERR`` a refused output, ``·`` a producer that does not apply.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import shapes as S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="write the producers' outputs here and keep them")
    parser.add_argument("--details", action="store_true", help="list wrong and null cells, errors, skips")
    args = parser.parse_args()
    srcs = S.sources()
    print("tools:", ", ".join(f"{k}={'yes' if v else 'MISSING'}" for k, v in S.tools().items()))
    with tempfile.TemporaryDirectory(prefix="shape-matrix-") as tmp:
        root = args.keep or Path(tmp)
        start = time.perf_counter()
        outputs = S.produce(srcs, root)
        made = time.perf_counter()
        scores = S.matrix(srcs, outputs)
        done = time.perf_counter()
    print(f"produced in {made - start:.1f} s, read and scored in {done - made:.1f} s\n")
    print(S.render(srcs, scores))
    if args.details:
        print()
        for (report, producer), sc in sorted(scores.items()):
            if isinstance(sc, str):
                continue
            notes = []
            if sc.error:
                notes.append(f"error: {sc.error}")
            if sc.wrong_cells:
                notes.append(f"WRONG: {sc.wrong_cells}")
            if sc.null_cells:
                notes.append(f"null: {', '.join(sc.null_cells[:12])}{' …' if len(sc.null_cells) > 12 else ''}")
            bad = [k for k, ok in sc.meta.items() if ok is False]
            if bad:
                notes.append(f"meta wrong: {', '.join(bad)}")
            unread = [k for k, ok in sc.meta.items() if ok is None]
            if unread:
                notes.append(f"meta not read (with a finding): {', '.join(unread)}")
            if notes:
                print(f"{report} × {producer}: " + "; ".join(notes))
    wrong = sum(sc.wrong for sc in scores.values() if not isinstance(sc, str))
    print(f"\nwrong cells: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
