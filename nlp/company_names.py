"""A company name taken apart the way a colleague hears it: place, 字号 (the core name), trade and branch.

杭州华力机械有限公司 → place 杭州, core 华力, trade 机械; 华力机械苏州分公司 → the same, branch 苏州分公司;
浙江华力 → place 浙江, core 华力. Names are folded first: full-width to half-width, traditional to simplified
(OpenCC), lower case, spaces and punctuation dropped. Places come from China's administrative divisions
(`config/places.tsv`), so 浙江 contains 杭州 and 萧山 while 苏州 and 杭州 exclude each other. Legal forms, branch
words and trade words are data in `config/nlp.toml` ([names], and [entities] company_suffixes).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cn2an

from config import DATA_DIR
from config.rules import RuleFileError, read_toml
from nlp.once import once
from nlp.script import simplified
from nlp.segment import Segmenter, default_segmenter

_PUNCT = re.compile(r"[\s\W_]+")
_GENERIC_PLACE = re.compile(r"^(?:本|我)?(?:省|市|区|县|镇)?")
_DIVISION = re.compile(r"^(?:省|市|区|县)")
# A district or county written in full after its city, in a registered name (广州市白云区顺安汽车): the list of
# places leaves out the ones several cities share, but written so it can only be the city's district.
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{2,3}[区县](?![域块间城级])")
_PAREN = re.compile(r"[(（]([^()（）]*)[)）]")
# What may follow a place before the name itself: 苏州的力恒, 宁波市, 苏州工业园区美固, 迁安那个宏达 (介个 is
# Tianjin's 这个).
_AFTER_PLACE = re.compile(
    r"^(?:省|市|区|县)?(?:经济技术开发区|经济开发区|工业园区|高新技术开发区|高新区|高新|经开区|开发区|园区|新区)?"
    r"(?:的|那个|那家|这个|这家|介个)?"
)


@dataclass(frozen=True)
class Place:
    """One administrative division: its 6-digit code (2 province, 4 city) and the short name written."""

    code: str
    name: str

    def contains(self, other: Place) -> bool:
        """浙江 contains 杭州 and 萧山; 杭州 contains 萧山; a place contains itself."""
        mine = self.code.rstrip("0")
        mine = mine + "0" * (len(mine) % 2)
        return other.code.startswith(mine)


@dataclass(frozen=True)
class CompanyName:
    folded: str  # the whole name, folded
    core: str  # 字号: what tells this company from others of its trade
    places: tuple[tuple[Place, ...], ...] = ()  # each place written, with every division its name may mean
    trade: str = ""  # generic industry words after the core (机械, 精密模具)
    branch: str = ""  # 分公司 / 子公司 / a place in parentheses, with what qualifies it
    start: int = 0  # where a name found in a text begins

    def place_conflict(self, other: CompanyName) -> bool:
        """Both name a place and no reading of one lies inside the other (苏州华力 vs 无锡华力)."""
        if not self.places or not other.places:
            return False
        mine = [p for alternatives in self.places for p in alternatives]
        theirs = [p for alternatives in other.places for p in alternatives]
        return not any(a.contains(b) or b.contains(a) for a in mine for b in theirs)

    def trade_conflict(self, other: CompanyName) -> bool:
        """Both name a trade and neither is an abbreviation of the other (华力机械 vs 华力电子; 塑机 ≈ 塑料机械)."""
        if not (self.trade and other.trade):
            return False
        short, long = sorted((self.trade, other.trade), key=len)
        return not in_order(short, long)


class Words:
    """A set of words, looked up at the start or end of a text by length (longest first), not one by one."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.lengths = tuple(sorted({len(w) for w in self.words}, reverse=True))

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.words, key=len, reverse=True))

    def ending(self, text: str, keep: int = 0) -> str | None:
        """The longest word `text` ends with, leaving at least `keep` characters before it."""
        return next((text[-n:] for n in self.lengths if len(text) - n >= keep and text[-n:] in self.words), None)

    def starting(self, text: str) -> str | None:
        return next((text[:n] for n in self.lengths if text[:n] in self.words), None)

    def strip(self, text: str, keep: int) -> str:
        """`text` without the words at its end, keeping at least `keep` characters."""
        while word := self.ending(text, keep):
            text = text[: -len(word)]
        return text


@dataclass(frozen=True)
class NameRules:
    legal_forms: Words
    branch_words: tuple[str, ...]  # longest first
    trades: Words
    products: Words
    abbreviations: dict[str, str]
    places: dict[str, tuple[Place, ...]]
    longest_place: int
    # After a name in a text: a place in parentheses, or a branch word a few characters on in the same clause
    # (华力（苏州）, 华力苏州分公司, 华力新厂, 联丰钢铁新开了个顺德分公司).
    branch_after: re.Pattern[str]

    def parse(self, raw: str) -> CompanyName:
        text = fold(raw)
        branch = ""
        # A place in parentheses (华力（苏州）机械) names a separate, local company.
        for inner in _PAREN.findall(text):
            if self._place_prefix(fold(inner))[1] == len(fold(inner)):
                branch = f"({fold(inner)})"
        spaced = text.split(maxsplit=1)
        text = _PUNCT.sub("", _PAREN.sub(lambda m: "" if f"({fold(m.group(1))})" == branch else m.group(1), text))
        folded = text
        if len(spaced) == 2 and not branch and (qualifier := self._qualifier(*(_PUNCT.sub("", s) for s in spaced))):
            branch, text = f"({qualifier})", text[: -len(qualifier)]  # 锦瑞物业 金沙项目: one project of 锦瑞物业
        # A number inside a name, however it is written (中国22冶 and 中国二十二冶, 中建８局 and 中建八局).
        text = _DIGITS_IN_NAME.sub(lambda m: cn2an.an2cn(m.group()), text)
        site = None if branch else _NUMBERED_SITE.search(text)
        if site and site.start() >= 2:  # 天蓬牧业集团第三分场, 丰源牧业二场: one of its sites
            branch, text = _site(site), text[: site.start()]
        if not branch and (project := _PROJECT.search(text)):
            # 中冶建工济南项目部: where it works, as 锦瑞物业 金沙项目部;
            # 星澜城发项目部: the company, at one of its sites
            at = self._qualifier_start(text[: project.start()])
            branch, text = (f"({text[at:]})", text[:at]) if at else ("", text[: project.start()].removesuffix("的"))
        for word in () if branch and not branch.startswith("(") else self.branch_words:
            at = text.find(word)
            if at > 0 and _word_starts_at(text, at):  # 同创电子公司 is 电子 + 公司, not a 子公司
                branch, text = (text[at:] + branch), text[:at]
                # What precedes the branch word may be its place (华力机械苏州分公司).
                places, end = self._place_suffix(text)
                if not (places and end > 0):
                    end = self._qualifier_start(text)
                if end > 0:
                    branch, text = text[end:] + branch, text[:end]
                if (unit := _NUMBERED_SITE.search(text)) and unit.start() >= 2:
                    branch, text = _site(unit) + branch, text[: unit.start()]  # 中建九局三公司南京分公司
                break
        if not branch and (store := _store(text, at_end=True)):
            branch, text = store, text[: -len(store)]  # 渝老幺火锅解放碑店: one store of the chain
        text = self._strip_legal(text)
        text = self._expand(text)
        if (generic := _GENERIC_PLACE.match(text)) and text[generic.end() :] in self.trades:
            return CompanyName(folded, "", (), text[generic.end() :], branch)  # 市第一人民医院: the trade alone
        places: list[tuple[Place, ...]] = []
        while True:
            found, length = self._place_prefix(text)
            if not found:
                break
            after = _AFTER_PLACE.sub("", text[length:], count=1) or text[length:]
            rest = self._strip_trades(self._strip_products(after))
            if len(self.trades.strip(rest, 1)) < 2 and rest not in self.trades:
                break  # 金沙江生态养殖专业合作社 is 金沙江's, not the 江 of 金沙 (a county)
            if after in self.trades:
                # The place is the name itself: 湘潭市雨湖区人民医院 is 雨湖's 人民医院, 天津泰和医院 泰和's 医院.
                return CompanyName(folded, _place_core(text[:length]), tuple(places), after, branch)
            if len(rest) < 2 or rest in self.trades:
                break
            places.append(found)
            text = after
        if places and (district := _DISTRICT.match(text)):
            rest = text[district.end() :]
            if rest in self.trades:  # 广州市天河区人民医院, as 雨湖区人民医院
                return CompanyName(folded, _place_core(district.group()), tuple(places), rest, branch)
            if len(self._strip_trades(self._strip_products(rest))) >= 2:
                text = rest  # 杭州市西湖区华力机械: a district the list leaves out (西湖区 is in Hangzhou and Nanchang)
        found, end = self._place_suffix(text)
        if found and text[end:] not in self.trades:  # a qualifier after the name: 3M中国 (but 江淮路桥 is a trade)
            places.append(found)
            text = text[:end]
        text = self._strip_products(text)
        core = self._strip_trades(text)
        if core == text and len(core) >= 4 and core[-1] in SHOP_KINDS:
            # A shop of a kind the word lists do not know: 黔味坊, 万家福锅店, 宏达4S店 (4S is one word).
            kind = _SHOP_KIND.search(core)
            core = core[: kind.start()] if kind and kind.start() >= 2 else core[:-2]
        core = _strip_kind_words(core)
        trade, text = text[len(core) :], core
        return CompanyName(folded=folded, core=text or trade, places=tuple(places), trade=trade, branch=branch)

    def _qualifier(self, head: str, tail: str) -> str:
        """What is written after a whole name and a space (锦瑞物业 金沙项目, 渝安物业管理有限公司 江北项目部): where
        that lead is, as a place in parentheses is; "" when the name goes on instead (华力 机械)."""
        whole = self.trades.ending(head) or self.legal_forms.ending(head)
        if not whole or len(tail) < 2 or tail in self.trades or tail in self.legal_forms:
            return ""
        return "" if any(word in tail for word in self.branch_words) else tail  # 遵义分厂 is a branch as it is

    def _qualifier_start(self, text: str) -> int:
        """Where the qualifier of a branch begins, after the company's own name has ended with its trade or legal
        form (华美金属制品有限公司乐从 + 分公司, 华美金属乐从 + 分公司: 乐从, a town the list of places does not
        have); 0 when there is none."""
        if self.trades.ending(text) or self.legal_forms.ending(text):
            return 0
        for n in (2, 3, 4):
            head = text[:-n]
            word = self.legal_forms.ending(head, keep=2) or self.trades.ending(head, keep=2)
            if word:
                return len(head)
        return 0

    def around(self, text: str, core: str) -> list[tuple[CompanyName, bool]]:
        """Each time `core` is written in `text`: the name read with the place before it and the trade and branch
        after it, and whether it stands alone (what follows is not more of a longer name: 华力达 is not 华力)."""
        folded = fold(text)
        found = []
        written = {core, _CN_NUMERAL.sub(_as_digits, core)}  # the 字号's number may be written in digits (五十八同城)
        for m in re.finditer("|".join(map(re.escape, sorted(written, key=len, reverse=True))), folded):
            start, end = m.span()
            before = folded[max(0, start - self.longest_place - 6) : start]
            # The places written before it, as many as there are (河北唐山迁安的昌盛, 广东佛山的金辉).
            prefix, places = next(
                ((before[k:], run) for k in range(len(before)) if (run := self._places_in(before[k:]))), ("", ())
            )
            if not _opens(before[: len(before) - len(prefix)]):
                continue  # the end of a longer name (佳味轩 holds 味轩, 龙江缘 江缘)
            rest = folded[end:]
            if core in self.places:  # 雨湖区人民医院: the place is the name
                rest = re.sub(r"^[区市]", "", rest)
            trade = ""
            while word := self.trades.starting(rest):
                trade, rest = trade + word, rest[len(word) :]
            branch = self.branch_after.match(rest)
            branch_text = re.sub(r"\s+", "", branch.group(0)).replace("（", "(").replace("）", ")") if branch else ""
            while legal := self.legal_forms.starting(branch_text):
                branch_text = branch_text[len(legal) :]  # 凌峰汽车饰件有限公司德惠分公司: the branch is 德惠分公司
            if unit := _NUMBERED_SITE.fullmatch(branch_text):
                branch_text = _site(unit)
            elif (project := _PROJECT.search(branch_text)) and not branch_text.startswith("("):
                # 中冶建工 济南项目部: where it works, as parse reads it;
                # 天成建筑的项目部: the company, at one of its sites
                where = branch_text[: project.start()]
                while legal := self.legal_forms.starting(where):
                    where = where[len(legal) :]
                where = where.removeprefix("的")
                branch_text = f"({where}{project.group()})" if where else ""
            rest = rest[branch.end() :] if branch else rest
            if not branch_text and (store := _store(rest, at_end=False)):
                branch_text, rest = store, rest[len(store) :]
            if not trade and not branch_text:
                trade = _shop_after(rest)
            name = CompanyName(folded[start - len(prefix) : end], core, places, trade, branch_text, start - len(prefix))
            found.append((name, bool(trade or branch_text) or _stands_alone(rest)))
        return found

    def _expand(self, text: str) -> str:
        for short in sorted(self.abbreviations, key=len, reverse=True):
            if text.endswith(short) and not text.endswith(self.abbreviations[short]):
                return text[: -len(short)] + self.abbreviations[short]
        return text

    def only_places(self, text: str) -> bool:
        """`text` names places and nothing else (福州长乐, 浙江杭州)."""
        return bool(self._places_in(letters(text)))

    def as_written(self, name: str) -> str:
        """A name folded, and without the 省/市/区/县 after its places (株洲市联创汽车服务 → 株洲联创汽车服务), to tell
        whether a message writes a stored name whole."""
        text, out = fold(name), ""
        while (length := self._place_prefix(text)[1]) and length < len(text):
            place = text[:length]
            out += place[:-1] if len(place) > 2 and place[-1] in "省市区县" else place
            text = _DIVISION.sub("", text[length:], count=1)
        return out + text

    def places_at_start(self, text: str) -> tuple[Place, ...]:
        """The divisions the place `text` starts with may mean (迁安分公司 → 迁安)."""
        return self._place_prefix(text)[0]

    def _places_in(self, text: str) -> tuple[tuple[Place, ...], ...]:
        """The places `text` names, when it names places and what may follow one and nothing else (河北唐山迁安的,
        苏州工业园区); else none."""
        found = []
        while text:
            places, length = self._place_prefix(text)
            if not length:
                return ()
            found.append(places)
            text = _AFTER_PLACE.sub("", text[length:], count=1)
        return tuple(found)

    def _strip_products(self, text: str) -> str:
        return self.products.strip(text, 2)

    def _strip_trades(self, text: str) -> str:
        """`text` without the trade words at its end, keeping at least two characters (宏图塑料机械 → 宏图)."""
        return self.trades.strip(text, 2)

    def _strip_legal(self, text: str) -> str:
        return self.legal_forms.strip(text, 1)

    def _place_prefix(self, text: str) -> tuple[tuple[Place, ...], int]:
        for length in range(min(self.longest_place, len(text)), 1, -1):
            found = self.places.get(text[:length])
            if found:
                return found, length
        return (), 0

    def _place_suffix(self, text: str) -> tuple[tuple[Place, ...], int]:
        for length in range(min(self.longest_place, len(text) - 2), 1, -1):
            found = self.places.get(text[-length:])
            if found:
                return found, len(text) - length
        return (), 0


# What may follow a customer's name in a note without being part of a longer name (介边 is Tianjin's 这边).
_FOLLOWERS = re.compile(
    r"^(?:$|[\W\d_a-z]|那|这|的|说|讲|又|也|在|和|跟|今|昨|明|上|下|刚|已|还|就|把|让|回|来|去|发|报|问|约|打|是|有|没|不|给|"
    r"要|想|嫌|觉|对|老|小|现|最|周|星|礼|月|号|话|嗰|嘅|咗|同|冇|畀|订|签|买|付|催|定|找|整|搞|弄|咋|"
    r"那边|这边|介边|那家|项目|设备|厂里|公司|工厂|方面|采购|老板|总|工|经理|负责)"
)


_NUMBERED = re.compile(r"^第?[一二三四五六七八九十\d]{1,3}(?:小|中|院|厂|号|店|所|局|处|校|医院|附院|分厂)")


# What may come right before a customer's name: the start, a space or punctuation, or a word that is not a name
# (介个 is Tianjin's 这个).
_OPENERS = re.compile(
    r"(?:^|[\W\d_]|老|小|那个|这个|介个|那家|这家|跟|和|去|到|给|是|的|了|在|见|访|约|找|问|帮|对|同|与|把|被)$"
)


def _opens(before: str) -> bool:
    return bool(_OPENERS.search(before))


def _place_core(written: str) -> str:
    """A place used as a name, as a colleague says it: 雨湖区 → 雨湖, 南昌市 → 南昌, but 南昌县 stays."""
    return re.sub(r"(?<=..)[区市]$", "", written)


# The last character of a kind of shop or business: a name ending in one names its trade there (酒楼, 火锅店).
SHOP_KINDS = frozenset("店行部楼馆坊铺档")
_SHOP_KIND = re.compile(r"(?:[0-9a-z]+|.).$")  # the word before a shop kind's last character, with it
# ... and of a kind of institution, which no product's name ends with (产业园, 驾校, 业委会, 卫生所, 加油站).
INSTITUTION_KINDS = frozenset("园校院会局所站")


# A numbered site or unit at the end of a name: a farm, a plant or a mine of a group (第三分场, 二场, 一矿, 2号场), a
# numbered company or project department of a construction group (第三分公司, 八局一公司, 第二工程公司, 三项目部).
_SITE = (
    r"第?(?P<number>[一二三四五六七八九十]{1,3}|\d{1,3})号?(?P<kind>分场|场|分厂|厂区|矿|井|分公司|工程有限公司|工程公司"
    r"|建设有限公司|建设公司|建设|公司|分局|项目经理部|项目部|厂)"
)
_NUMBERED_SITE = re.compile(_SITE + "$")
_DIGITS_IN_NAME = re.compile(r"(?<![0-9a-z.])[0-9]{1,3}(?=[\u4e00-\u9fff])")
# Kinds of numbered unit written several ways for one thing (三分公司, 第三建设有限公司 and 三公司 are one).
_SAME_UNIT = {
    "分公司": "公司",
    "工程有限公司": "公司",
    "工程公司": "公司",
    "建设有限公司": "公司",
    "建设公司": "公司",
    "建设": "公司",
    "项目经理部": "项目部",
    "分厂": "厂",
}


_PROJECT_WORDS = ("项目经理部", "项目部")
_PROJECT = re.compile(f"(?:{'|'.join(_PROJECT_WORDS)})$")
_CN_NUMERAL = re.compile(r"[零一二三四五六七八九十百]+")


def _as_digits(numeral: re.Match[str]) -> str:
    """A Chinese numeral in digits (二十二 → 22), or as it is when it is not one number (十百)."""
    try:
        return str(cn2an.cn2an(numeral.group(), "strict"))
    except ValueError:
        return numeral.group()


def _site(written: re.Match[str]) -> str:
    """A numbered site or unit (a match of `_SITE`), one way however it is written (第3分场 and 三分场: 三分场;
    第三分公司: 三公司)."""
    number, kind = written.group("number", "kind")
    numeral = cn2an.an2cn(number) if number.isdigit() else number
    return numeral + _SAME_UNIT.get(kind, kind)


def _word_starts_at(text: str, at: int) -> bool:
    """jieba starts a word at `at` in `text` (not inside one)."""
    return any(token.start == at for token in default_segmenter().tokens(text))


# How often jieba's dictionary has a word for it to be a common word, not a 字号 (科技 15,691, 运营 1,039; 鸿运 8,
# 星河 66, 理工 490).
COMMON_NOUN = 1000


def _strip_kind_words(core: str) -> str:
    """The 字号 without the common nouns after it that say what kind of company it is, when the word lists do not
    know them (天诚科技产业园 → 天诚, 智远产业园运营 → 智远, 渝安驾校 → 渝安), at least two characters into the name:
    a dictionary word that ends in a kind of shop or institution and is not a person's name, or a very common
    noun. Looked up word by word from the end, without segmenting (100,000 names in an import)."""
    segmenter, end = default_segmenter(), len(core)
    while end >= 4:
        word = next(
            (core[end - n : end] for n in (4, 3, 2) if end - n >= 2 and _kind_word(core[end - n : end], segmenter)),
            None,
        )
        if word is None:
            break
        end -= len(word)
    return core[:end]


def _kind_word(word: str, segmenter: Segmenter) -> bool:
    pos = segmenter.part_of_speech(word)
    if not pos:
        return False
    if word[-1] in SHOP_KINDS or word[-1] in INSTITUTION_KINDS:
        return pos != "nr"  # 产业园 (a place to jieba), 驾校; not 田园
    return pos in ("n", "vn") and segmenter.frequency(word) >= COMMON_NOUN


def _shop_after(rest: str) -> str:
    """A word for a kind of shop or institution right after a name in a text (万家福火锅店: 火锅店; 渝安驾校: 驾校),
    as jieba segments it."""
    tokens = default_segmenter().tokens(rest[:8])
    first = tokens[0] if tokens else None
    if first and first.start == 0 and len(first.word) >= 2 and first.word[-1] in SHOP_KINDS | INSTITUTION_KINDS:
        return first.word
    return ""


def _store(text: str, *, at_end: bool) -> str:
    """A chain's store written after its name (观音桥店, 春熙路店, 南坪店): two to four characters, as one or two
    words, and 店 as a word of its own, at the end of `text` or at its start. 火锅店 and 药店 are kinds of shop
    (one word), not stores."""
    if "店" not in text:  # no 店, no store: the name is not segmented (most are not stores; 100,000 in an import)
        return ""
    tokens = default_segmenter().tokens(text if at_end else text[:12])
    shop = [k for k, t in enumerate(tokens) if t.word == "店"]
    if not shop:
        return ""
    k = shop[-1] if at_end else shop[0]
    if (at_end and tokens[k].end != len(text)) or (not at_end and k > 2):
        return ""
    for first in (k - 1, k - 2):
        if first < 0 or (not at_end and first != 0):
            continue
        size = tokens[k].start - tokens[first].start
        if 2 <= size <= 4 and (not at_end or tokens[first].start >= 2):
            return text[tokens[first].start : tokens[k].end]
    return ""


def _stands_alone(rest: str) -> bool:
    """What follows a name is not more of a longer name: a particle or verb (说, 嗰, 订), a contact (王总), or a
    word of its own (储能柜, 搅拌站), as jieba segments it. A number that goes on into a name (实验二小 after
    实验, 38所) makes it another one."""
    if _NUMBERED.match(rest):
        return False
    if _FOLLOWERS.match(rest) or re.match(r"^[\u4e00-\u9fff](?:总|工|经理|主任|老板|厂长|院长|老师|姐|哥|生)", rest):
        return True
    tokens = default_segmenter().tokens(rest[:8])
    return bool(tokens) and tokens[0].start == 0 and len(tokens[0].word) >= 2


_SPEECH = re.compile(r"(?:说|讲|话|要得|觉得)")
# Plainly no name: a sum, a clock time or a count of places (一百一十五万, 三点来公司, 杭州两家), or a plan that
# opens with when (明早飞成都, 这周先杭州).
_NO_NAME = re.compile(
    r"[零一二两三四五六七八九十百千\d]+万|[零一二两三四五六七八九十百千\d]{2,}(?:块|元)|[一二两三四五六七八九十\d]点(?:半|钟|前|后|来|去|到|多)"
    r"|[两三四五六七八九十几]家$|^(?:明早|明晚|今早|今晚|这周|下周|本周|上周|后天|这两天)"
)
# A person, not a company: 张三哥, 李老板娘, 老孟, 周站.
_PERSON = re.compile(
    r"(?:老|小|阿)?[\u4e00-\u9fff][一二三四五六七八九十大小老]?(?:哥|姐|叔|婶|嫂|老板娘|老板|站|支书|社长|场长|村长)"
    r"|[\u4e00-\u9fff]{2}[哥姐]"  # 春花姐, 建军哥: the given name
)


def sentence_or_person(name: str, contact: str | None) -> bool:
    """What was read as a company is plainly a piece of sentence (张工说风管尺寸要改, 孙主任觉得软件, 罗哥说要得,
    明早飞成都, 一百一十五万), holds the contact, or is a person (老孟, 张三哥, 周站, 春花姐)."""
    return bool(
        (contact and contact in name) or _SPEECH.search(name) or _PERSON.fullmatch(name) or _NO_NAME.search(name)
    )


def in_order(few: str, many: str) -> bool:
    """Every character of `few` is in `many`, in the same order (塑机 in 塑料机械)."""
    chars = iter(many)
    return all(ch in chars for ch in few)


def letters(text: str) -> str:
    """`text` folded, without spaces and punctuation."""
    return _PUNCT.sub("", fold(text))


def fold(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case."""
    return simplified(unicodedata.normalize("NFKC", text)).lower()


def read_places(path: Path) -> dict[str, tuple[Place, ...]]:
    """Short and full names → the divisions they may mean (鼓楼 is in several cities)."""
    table: dict[str, list[Place]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, full, short = line.split("\t")
        for name in {full, short}:
            table.setdefault(name, []).append(Place(code, short))
    return {name: tuple(places) for name, places in table.items()}


def load_name_rules(directory: Path = DATA_DIR) -> NameRules:
    nlp = read_toml(directory / "nlp.toml")
    names, entities = nlp.get("names", {}), nlp.get("entities", {})
    legal = [str(w) for w in names.get("legal_forms", [])]
    branch = [str(w) for w in names.get("branch_words", [])]
    if not legal or not branch:
        raise RuleFileError("nlp.toml [names]: `legal_forms` and `branch_words` must be non-empty lists")
    products = {str(w) for w in names.get("product_words", [])}
    trade_words = [*entities.get("company_suffixes", []), *names.get("trade_words", [])]
    trades = sorted({str(w) for w in trade_words} - set(legal) - set(branch) - products)
    places = read_places(directory / "places.tsv")
    return NameRules(
        legal_forms=Words(legal),
        branch_words=tuple(sorted(branch, key=len, reverse=True)),
        trades=Words(trades),
        products=Words(products),
        abbreviations={str(k): str(v) for k, v in names.get("abbreviations", {}).items()},
        places=places,
        longest_place=max(map(len, places)),
        branch_after=re.compile(
            r"^\s*(?:[(（][^()（）]{2,8}[)）]|"
            + _SITE
            + r"|(?:(?!说|讲|话|问|让|要|想|和|跟|给)[^\W\d]){0,6}?(?:"
            + "|".join(map(re.escape, [*branch, *_PROJECT_WORDS]))
            + "))"
        ),
    )


# The rules in config/, loaded once per process.
name_rules = once(load_name_rules)


@functools.lru_cache(maxsize=8192)
def company_name(raw: str) -> CompanyName:
    """`raw` taken apart with the rules in config/ (the same name is taken apart once)."""
    return name_rules().parse(raw)
