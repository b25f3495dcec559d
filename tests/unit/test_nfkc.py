"""gicstats.form.nfkc.nfkc must be unicodedata's NFKC, character for character.

Labels, values and titles are matched on it.
"""

from __future__ import annotations

import random
import unicodedata

from gicstats.form.nfkc import nfkc


def test_every_code_point_folds_as_unicodedata_does():
    differ = [
        cp
        for cp in range(0x110000)
        if not 0xD800 <= cp <= 0xDFFF and nfkc(chr(cp)) != unicodedata.normalize("NFKC", chr(cp))
    ]
    assert differ == []


def test_sequences_that_compose_fold_as_unicodedata_does():
    # combining marks, Hangul jamo, the two-starter compositions (Oriya,
    # Sinhala, Balinese), compatibility forms, and the Chinese of reports
    pool = (
        [chr(c) for c in range(0x300, 0x370)]
        + [chr(c) for c in range(0x1100, 0x1200)]
        + [chr(c) for c in range(0xAC00, 0xAC40)]
        + [chr(c) for c in range(0xF900, 0xFB00)]
        + [chr(c) for c in range(0xFF00, 0xFFF0)]
        + list("aeoAEOnc　，（）：１２３Ａｆﬁﬃ Ååçé\u0b47\u0b3e\u0dd9\u0dcf\u1b05\u1b35ㄱㅏ㈠①²½\n政府信息公開年度報告")
        + [chr(0x1D15E), chr(0x1D165)]
    )
    rng = random.Random(11)
    for _ in range(50_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)


def test_a_report_narrative_folds_as_unicodedata_does():
    text = "一、总体情况\n２０１９年，本机关（办公厅）共收到申请１２件；“規範性檔案”ﬁ①。\u3000\n"
    folded = "一、总体情况\n2019年,本机关(办公厅)共收到申请12件;“規範性檔案”fi1。 \n"
    assert nfkc(text) == unicodedata.normalize("NFKC", text) == folded
