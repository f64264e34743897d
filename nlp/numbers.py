"""Chinese and mixed numerals: 十七万五, 三百多万, 2.5亿, 8w, 一五八…"""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000, "k": 1000}
BIG_UNITS = {"万": 10_000, "w": 10_000, "亿": 100_000_000}
PHONE_DIGITS = str.maketrans({**{k: str(v) for k, v in DIGITS.items()}, "幺": "1"})
_TOKEN = re.compile(r"\d+(?:\.\d+)?|.")


def parse_number(text: str) -> float | None:
    """The value of a numeral such as 十七万五 (175000), 3万5 (35000), 两千五 (2500), 1.2亿; None if none.

    多/余/来 ("three million odd") are ignored. A trailing digit after a unit is one step below it."""
    total = 0.0
    section = 0.0
    number: float | None = None
    last_unit = 1
    seen = False
    for token in _TOKEN.findall(text):
        if token in "多余来":
            continue
        if token[0].isdigit():
            number = float(token)
        elif token in DIGITS:
            number = DIGITS[token]
            if token in "零〇":
                last_unit = 1
        elif token in SMALL_UNITS:
            unit = SMALL_UNITS[token]
            section += (1 if number is None else number) * unit
            number, last_unit = None, unit
        elif token in BIG_UNITS:
            unit = BIG_UNITS[token]
            if unit > 10_000:
                total = (total + section + (number or 0)) * unit
            else:
                total += (section + (number or 0)) * unit
            section, number, last_unit = 0.0, None, unit
        else:
            return None
        seen = True
    if not seen:
        return None
    if number is not None:
        section += number * (last_unit // 10 if last_unit >= 10 else 1)
    return total + section


def small_int(text: str) -> int | None:
    """A day, hour or count written 15, 十五, 二十八 or 两; None for anything else."""
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) else None
