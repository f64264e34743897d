"""Traditional characters to simplified, so 華力機械 and 华力机械 read alike (OpenCC's t2s)."""

from __future__ import annotations

import opencc

_t2s = opencc.OpenCC("t2s")
# Characters reps write on purpose that t2s would turn into something rarer (Cantonese 嗰 → 𠮶).
_KEEP = frozenset("嗰")


def simplified(text: str) -> str:
    """`text` with traditional characters simplified, character for character (same length, so offsets
    hold); a conversion that would change the length is not made."""
    converted = _t2s.convert(text)
    if converted == text or len(converted) != len(text):
        return text
    return "".join(a if a in _KEEP else b for a, b in zip(text, converted, strict=True))
