"""A contact's name taken apart, to tell whether two mentions are the same person.

王总 ≈ 王建国 ≈ 老王 ≈ 王经理 (the same family name, nothing to tell them apart); 王建国 ≠ 王建军; 王总 ≠ 李工;
小李 ≠ 老李 (the younger and the older); Jason ≈ jason; 陈生 is Mr. Chen. Family names and titles come from the
lexicon (config/nlp.toml [entities]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from nlp import lexicon as lx
from nlp.company_names import fold

_LATIN = re.compile(r"(?:mr|ms|mrs|miss|dr)?\.?\s*([a-z][a-z .'-]*)")
# A role written before the name: HR Stella, 人事王姐, 行政主管 Lily, EHS经理 Peter, 售后经理钟, 老板钟总 (how
# ledgers and imports often store a contact).
_ROLE = re.compile(
    r"^(?:(?:hr|ehs|it|hrbp|人事|行政|采购|财务|前台|售后|服务|销售|技术|设备|生产|品质|质量|工程|项目|运营|客服|老板"
    r"|总监|经理|主管|主任|负责人|对接人|联系人)\s*)+"
)
# Titles that name one kind of person: the boss by any of his titles, and a role that is also a title.
BOSS = "boss"
_SAME_TITLE = {"总": BOSS, "总经理": BOSS, "老板": BOSS, "董事长": BOSS, "董": BOSS, "老板娘": BOSS}
_ROLE_TITLES = ("前台", "老板", "总监", "经理", "主管", "主任")
_FAMILIAR = ("姐", "哥")  # 王姐 may well be 王经理: familiar forms say nothing about the role
# Cantonese and familiar forms: 陈生 (Mr.), 刘姐, 强哥, 阿强.
_EXTRA_TITLES = ("先生", "女士", "小姐", "生", "太", "哥", "姐", "叔", "姨")
# Japanese honorifics after a family name: 田中さん, 井上桑.
_HONORIFIC = re.compile(r"(?<=..)(?:さん|様|桑)$")


class Same(StrEnum):
    YES = "yes"  # the same full name
    LIKELY = "likely"  # nothing disagrees (the same family name, or the same given name)
    NO = "no"  # the names disagree
    UNKNOWN = "unknown"  # one side has no name


@dataclass(frozen=True)
class PersonName:
    surname: str = ""
    given: str = ""  # given name, nickname (阿强 → 强) or Latin name
    age: str = ""  # 老 or 小 before a family name: 老李 and 小李 are two people
    title: str = ""  # what the person is called by (经理, 总监, 前台; the boss's titles are one)

    def tells_apart(self, mine: PersonName, other: PersonName) -> bool:
        """The title this mention uses is `mine`'s and not `other`'s, who has another (黎经理: 售后经理黎,
        not 前台小黎; 刘总监: 服务总监刘, not 老板刘总). 某总 decides nothing: reps call many a manager 王总."""
        return self.title not in ("", BOSS) and mine.title == self.title and other.title not in ("", self.title)

    def compare(self, other: PersonName) -> Same:
        if not (self.surname or self.given) or not (other.surname or other.given):
            return Same.UNKNOWN
        if self.surname and other.surname and self.surname != other.surname:
            return Same.NO
        if self.age and other.age and self.age != other.age:
            return Same.NO
        if self.given and other.given:
            if self.given == other.given:
                return Same.YES if self.surname and other.surname else Same.LIKELY
            # 强 (from 阿强/强哥) fits 陈志强; two whole given names must agree.
            short, long = sorted((self.given, other.given), key=len)
            return Same.LIKELY if len(short) == 1 and long.endswith(short) else Same.NO
        if not (self.surname and other.surname):
            return Same.UNKNOWN  # a family name against a given name alone: cannot tell
        return Same.LIKELY


def person_name(raw: str | None, lexicon: lx.Lexicon | None = None) -> PersonName:
    if not raw:
        return PersonName()
    lexicon = lexicon or lx.default_lexicon()
    folded = fold(raw).strip()
    match = _ROLE.match(folded)
    role = match.group().strip() if match and match.end() < len(folded) else ""  # the role alone is the name
    text = folded[match.end() :] if role and match else folded
    ending = _titled_at_end(text, lexicon)
    if ending is not None:
        text = ending  # 物业王经理, 园区丁主任, 采购部黄经理: a department or unit before the titled name
    name = _name_of(_HONORIFIC.sub("", text), lexicon)
    title = _title(role, text, name, lexicon)
    return replace(name, title=title) if title else name


def _titled_at_end(text: str, lexicon: lx.Lexicon) -> str | None:
    """The family name and title ending `text` when something else comes before them and `text` does not
    start with a name of its own (物业王经理 → 王经理)."""
    if text[:1] in lexicon.surnames or text[:1] in "老小阿" or text[:1].isascii():
        return None
    for start in range(1, len(text) - 1):
        if lexicon.titled_name.fullmatch(text, start):
            return text[start:]
    return None


def _title(role: str, text: str, name: PersonName, lexicon: lx.Lexicon) -> str:
    """The title a contact is called by: after the family name (钟经理, 王总), else the last of a role written
    before the name (售后经理钟, 前台小周)."""
    after = text[len(name.surname) :] if name.surname and not name.given and not name.age else ""
    if after and after not in _FAMILIAR and lexicon.titled_name.fullmatch(text):
        return _SAME_TITLE.get(after, after)
    held = [t for t in _ROLE_TITLES if role.endswith(t)]
    return _SAME_TITLE.get(held[0], held[0]) if held else ""


def _name_of(text: str, lexicon: lx.Lexicon) -> PersonName:
    latin = _LATIN.fullmatch(text)
    if latin:
        return PersonName(given=latin.group(1).split()[0])
    for prefix in ("老", "小", "阿"):
        if text.startswith(prefix) and len(text) == 2:
            rest = text[1:]
            if rest in lexicon.surnames and prefix != "阿":
                return PersonName(surname=rest, age=prefix)
            return PersonName(given=rest)
    surname = next((c for c in lexicon.compound_surnames if text.startswith(c)), "")
    if not surname and text[:1] in lexicon.surnames:
        surname = text[:1]
    rest = text[len(surname) :]
    titled = lexicon.titled_name.fullmatch(text)
    if titled or rest in _EXTRA_TITLES or not rest:
        return PersonName(surname=surname) if surname else PersonName()
    if not surname:
        for title in _EXTRA_TITLES:
            if text.endswith(title) and len(text) > len(title):
                return PersonName(given=text[: -len(title)])
        return PersonName(given=text)
    return PersonName(surname=surname, given=rest)
