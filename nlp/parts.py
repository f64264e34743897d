"""Notes about several customers (今天跑了两家：上午苏州恒通…，下午无锡瑞丰…): where each customer's part is.

A note is cut into pieces at sentence ends (。；！？ and line breaks) and before a clause that opens a new
visit (上午/下午/另外/第二家 … after a comma or a space). Each piece that names a company of its own starts
a part; a piece that names none (周五再打给他) belongs to the part before it. A note is several parts only
when at least two parts name different companies, neither inside the other (华力机械 … 华力那边 is one).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CUT = re.compile(
    r"[。；;！!？?\n]+"
    r"|[，,、\s]+(?=(?:然后呢?|接着|再|又|嗯|呃|啊)?\s*(?:是)?(?:上午|中午|下午|晚上|傍晚|早上|另外|还有|另一家|另一个|一个是|先是"
    r"|第[一二三四五1-5][家个]|最后一家|最后是|回来路上|顺路)"
    r"|[2-5二三四五][.、)）])"
    # 先去的丰润合作社 … 然后去了禾丰农业 …: the next visit of a day told in order
    r"|[，,、\s]+(?=(?:然后|接着|后来)\s*(?:又|再)?\s*(?:去了?|到了|跑了|见了))"
)


# A piece that opens as an item of a list, maybe after a heading (今日小结：1.上杭一中 …, 二、南安实验中学 …,
# - 邢台隆尧食品厂：…, 第三个是凤凰酒店 …).
_ITEM = re.compile(
    r"\s*(?:[^：:，,\s]{1,8}[：:]\s*)?(?:[0-9一二三四五六七八九十]{1,2}\s*[.、)）:：]|[-•·*]|[①-⑩]|(?:嗯|呃|啊)?\s*(?:第[一二三四五六1-6][个家]|头一个|另一个)是?)"
)


def is_item(text: str, start: int) -> bool:
    """True when the piece of `text` at `start` opens as an item of a list."""
    return bool(_ITEM.match(text, start))


def pieces(text: str) -> list[tuple[int, int]]:
    """The spans of text between cut points, empty ones dropped."""
    spans, start = [], 0
    for m in _CUT.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def customer_parts(text: str, company_at: Callable[[int, int], str | None]) -> list[tuple[int, int]]:
    """The span of each customer's part, or [] when the note is about one customer (or none).
    `company_at(start, end)` is the company the note names in text[start:end], if any."""
    spans = pieces(text)
    if len(spans) < 2:
        return []
    parts: list[list[int]] = []
    names: list[str] = []
    for start, end in spans:
        name = company_at(start, end)
        new = name is not None and not any(name in n or n in name for n in names)
        if new and name is not None:
            if parts and len(names) == 0:
                parts[-1][1] = end  # the opening words (今天跑了两家：) join the first customer's part
            else:
                parts.append([start, end])
            names.append(name)
        elif parts:
            parts[-1][1] = end
        else:
            parts.append([start, end])
    if len(names) < 2:
        return []
    return [(start, end) for start, end in parts]
