"""Traditional characters to simplified, so 華力機械 and 华力机械 read alike (OpenCC's t2s)."""

from __future__ import annotations

import opencc

_t2s = opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` with traditional characters simplified, character for character (same length, so offsets
    hold); a conversion that would change the length is not made, nor one to a character outside the Basic
    Multilingual Plane: those are rarer than what the rep wrote (Cantonese 嗰 → 𠮶, 汕头鮀城 → 𬶍)."""
    converted = _t2s.convert(text)
    if converted == text or len(converted) != len(text):
        return text
    return "".join(a if ord(b) > 0xFFFF else b for a, b in zip(text, converted, strict=True))
