"""Unicode NFKC, the same result as ``unicodedata.normalize("NFKC", text)`` in a fraction of the time for Chinese text.

NFKC is by definition canonical composition of the NFKD decomposition.
CPython composes slowly (about 0.1 µs a character, 0.6 ms for the narrative
of one report), while decomposing is fast; and text that decomposes into
characters none of which composes (Chinese with full-width punctuation, as
reports are) is already composed, which ``is_normalized`` tells quickly. So
compose only when there is something to compose.
"""

from __future__ import annotations

import unicodedata


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster."""
    if text.isascii():
        return text  # ASCII is NFKC already
    decomposed = unicodedata.normalize("NFKD", text)
    if unicodedata.is_normalized("NFC", decomposed):
        return decomposed
    return unicodedata.normalize("NFC", decomposed)
