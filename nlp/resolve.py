"""Which known customer a message is about, decided the way a careful colleague would.

Pure: the caller gives what the message names (`Mention`, from the reader) and the leads that could be meant
(`Candidate`: the rep's own first, then the team's), and gets a `Resolution`:

- MATCH: one lead is clearly meant;
- ASK: two or more are close, or the evidence is thin: show up to three and 新客户;
- NEW: a customer none of the leads is;
- UNKNOWN: the message names no customer and is not right after a note (ask which one).

Evidence, strongest first: the phone; the 字号 (core name) with places, legal forms and trade words set aside
(nlp/company_names.py); the contact (nlp/contacts.py); the note just before (within `CONTEXT_MINUTES`);
products and topics shared with the lead's earlier notes. A name that sounds the same (pinyin) or is merely
similar counts only when other evidence agrees. Never one lead for 字号-alike companies of different trades,
different places, or a branch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from nlp import lexicon as lx
from nlp.common_words import common_words
from nlp.company_names import (
    INSTITUTION_KINDS,
    CompanyName,
    company_name,
    fold,
    in_order,
    letters,
    name_rules,
    sentence_or_person,
)
from nlp.contacts import PersonName, Same, person_name
from nlp.numbers import PHONE_DIGITS
from nlp.reading import company_in
from nlp.segment import default_segmenter

CONTEXT_MINUTES = 30
MAX_CHOICES = 3
SIMILAR = 60  # rapidfuzz ratio of two cores of one length that may be one name mistyped (3 of 4 characters)
# Words the reader already understands as tags, activities, times or stages: they say nothing about which
# customer a note is about.
_GENERIC_KINDS = frozenset(
    {lx.TAG, lx.ACTIVITY, lx.FOLLOW_UP, lx.STAGE, lx.NEG_BEFORE, lx.NEG_AFTER, lx.COMPANY_STOP, lx.SUFFIX}
)
# Parts of speech that never carry a topic: pronouns, adverbs, prepositions, particles, numbers, times…
_NOT_TOPIC_POS = ("r", "d", "p", "u", "c", "m", "q", "t", "f", "y", "e", "o", "x", "z")


class Outcome(StrEnum):
    MATCH = "match"
    ASK = "ask"
    NEW = "new"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Mention:
    text: str
    company: str | None = None
    contact: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)  # slots: an import holds one for every lead (about 200 bytes less each)
class Candidate:
    id: int
    company: str | None
    contact: str | None = None
    phone: str | None = None
    mine: bool = True
    notes: tuple[str, ...] = ()
    minutes_since_last_note: int | None = None  # the rep's last note was about this lead, that long ago


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    lead_id: int | None = None
    choices: tuple[int, ...] = ()  # for ASK: the leads to offer, best first
    evidence: str = ""  # why, in English, for logs and the evaluation


@dataclass
class _Scored:
    candidate: Candidate
    name: str = ""  # exact | similar | homophone | ""
    contact: Same = Same.UNKNOWN
    person: PersonName = field(default_factory=PersonName)  # the lead's contact
    topics: int = 0
    recent: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def support(self) -> int:
        """Evidence beside the name: the contact, shared topics, the note just before."""
        return (self.contact in (Same.YES, Same.LIKELY)) + (self.topics > 0) + self.recent

    def rank(self) -> tuple:
        c = self.candidate
        return (
            self.contact == Same.YES,
            self.support,
            _LEVELS.index(self.name) if self.name in _LEVELS else 0,
            self.topics,
            self.contact != Same.NO,
            c.mine,
            -c.id,
        )


def _plausible_company(company: str | None, contact: str | None) -> str | None:
    """A company the reader found, unless it is plainly a piece of sentence (张工说风管尺寸要改, 罗哥说要得) or a
    place alone (福州长乐的闽发纺织 read as 福州长乐)."""
    company = _HERE_THERE.sub("", company or "")
    if not company or sentence_or_person(company, contact):
        return None
    if _starts_with_time(company):
        return None  # 下周来公司, 下个月来审厂: when, not who
    return None if name_rules().only_places(company) else company


def _starts_with_time(text: str) -> bool:
    """`text` opens with a vague time (下周, 下个月, 回头): no company name does."""
    lexicon = lx.default_lexicon()
    return any(
        end + 1 == len(word) and any(kind == lx.VAGUE for kind, _payload in kinds)
        for end, (word, kinds) in lexicon.automaton.iter(lx.normalize(fold(text)))
    )


# "That one" (介个 is Tianjin's 这个): after a place or the reader's company, before the name it points at.
_THAT_WORDS = "那个|那家|这个|这家|介个"
# "There" after a name, kept by the reader (宏运五金介边: Tianjin's 这边).
_HERE_THERE = re.compile(rf"(?:那边|这边|介边|{_THAT_WORDS})$")


def resolve(mention: Mention, candidates: Sequence[Candidate]) -> Resolution:
    found = _resolve(mention, candidates)
    if found.outcome is Outcome.UNKNOWN and mention.phone:
        # A phone no lead has, and nothing else to go by: a new customer, known by that phone.
        return Resolution(Outcome.NEW, evidence="a phone no lead has")
    return found


def _resolve(mention: Mention, candidates: Sequence[Candidate]) -> Resolution:
    if mention.phone:
        by_phone = sorted((c for c in candidates if c.phone and c.phone == mention.phone), key=_mine_first)
        if len(by_phone) == 1:
            return Resolution(Outcome.MATCH, by_phone[0].id, evidence="the same phone")
        if by_phone:
            # One boss's phone on two of his companies (鑫达钢铁贸易, 鑫达钢构): the rest of the message decides.
            among = _by_what_is_said(mention, by_phone)
            if among.outcome is Outcome.MATCH:
                return replace(among, evidence=f"several leads have this phone; {among.evidence}")
            ids = tuple(c.id for c in by_phone[:MAX_CHOICES])
            return Resolution(Outcome.ASK, choices=ids, evidence="several leads have this phone")
    dialled = [c for c in candidates if c.phone and _phone_written(c.phone, mention.text)]
    if len(dialled) == 1:
        return Resolution(Outcome.MATCH, dialled[0].id, evidence="its phone is written in the message")
    if dialled:
        ids = tuple(c.id for c in sorted(dialled, key=_mine_first)[:MAX_CHOICES])
        return Resolution(Outcome.ASK, choices=ids, evidence="several leads' phones end so")
    return _by_what_is_said(mention, candidates)


def _mine_first(candidate: Candidate) -> tuple[bool, int]:
    """The rep's own leads before the team's, then the oldest."""
    return (not candidate.mine, candidate.id)


def _by_what_is_said(mention: Mention, candidates: Sequence[Candidate]) -> Resolution:
    """Phones aside: the rep's words, the names, the contact, the note just before, the topics."""
    if _NEW_CUSTOMER.search(fold(mention.text)):
        return Resolution(Outcome.NEW, evidence="says it is a new customer")
    mention = replace(mention, company=_plausible_company(mention.company, mention.contact))
    if mention.company and _rival(mention.text, mention.company):
        # 盛达钢铁给胜利五金报的价比咱低: 盛达 is not the customer, 胜利五金 may be (大北农在搞返利，豫北经销部的
        # 老板娘有点动摇: 豫北经销部).
        mention = replace(mention, company=_besides(mention.text, mention.company, mention.contact))
    if mention.company and not mention.contact and any(_is_contact(mention.company, c.contact) for c in candidates):
        mention = replace(mention, company=None, contact=mention.company)  # 孙建军来电话: a lead's contact
    words = _topics(mention.text)
    person = person_name(mention.contact)
    scored = [_score(c, mention, person, words) for c in candidates]
    if mention.company or any(s.name for s in scored):
        return _by_company(mention, scored, person)
    if mention.contact:
        named = _plausible_company(company_in(mention.text, lx.default_lexicon()), mention.contact)
        if named and not _rival(mention.text, named):
            # The message names a company the reader did not keep: never file it by the contact alone.
            return Resolution(Outcome.UNKNOWN, evidence="a company is named but not read")
        return _by_contact(scored, person)
    recent = [s for s in scored if s.recent]
    if recent:
        # The note just before is the default, not proof: when its lead shares nothing with the message and
        # another lead's notes share its topic (售后总监, DMS), a colleague would ask which.
        topical = [s for s in scored if not s.recent and s.topics >= 2] if recent[0].topics == 0 else []
        if topical:
            return _ask([recent[0], *topical], "names no customer; another lead's notes share its topic")
        return Resolution(Outcome.MATCH, recent[0].candidate.id, evidence="names no customer, right after a note")
    topical = [s for s in scored if s.topics]
    if topical:
        # 蒸饭车那四台…: no name, but the product of earlier notes; a colleague would ask "华渝食堂那单?"
        return _ask(topical, "names no customer; earlier notes share its topic")
    return Resolution(Outcome.UNKNOWN, evidence="names no customer")


def _score(candidate: Candidate, mention: Mention, person: PersonName, words: frozenset[str]) -> _Scored:
    s = _Scored(candidate)
    minutes = candidate.minutes_since_last_note
    s.recent = minutes is not None and 0 <= minutes <= CONTEXT_MINUTES
    s.person = person_name(candidate.contact)
    s.contact = person.compare(s.person)
    if s.contact == Same.UNKNOWN and not mention.contact and _written(candidate.contact, mention.text):
        s.contact = Same.YES
    if words and candidate.notes:
        theirs = _topics(" ".join(candidate.notes))
        s.topics = len(words & theirs)
    if candidate.company:
        s.name = _name_evidence(mention, company_name(candidate.company))
    return s


# A message that says it is about a customer the rep has not logged before (另外见了一家新的, 又冒出来一家).
_NEW_CUSTOMER = re.compile(r"新客户|一家新的?|新的一家|又来一家|又来了一家|冒出来?一家|新开的|新认识")
# A first contact (头回联系, 第一次拜访): a near name is then another company, not a lead's misheard name.
_FIRST_CONTACT = re.compile(r"(?:头一?回|第一次|首次|初次)(?:联系|拜访|上门|接触|见|打交道|去|来|通电话|打电话)")
_SCRIPTS = re.compile(r"[a-z0-9]+|[^a-z0-9]+")
_OPENING = 3  # characters before a name that still opens the message (嗯 永盛那家…)
_THAT = re.compile(_THAT_WORDS)
_LEVELS = ("conflict", "", "similar", "homophone", "partial", "exact")


def _name_evidence(mention: Mention, stored: CompanyName) -> str:
    """How the message names the stored company: exact | partial (a short form of the 字号) | homophone |
    similar | conflict (the same 字号 of another trade, place or branch) | "" (not at all).

    The reader's company is compared first. The message text is searched for the 字号 too, where the reader
    found no company or its company contains the 字号 (so a rival named beside the customer is not taken)."""
    said = company_name(mention.company) if mention.company else None
    folded = fold(mention.text)
    # A name right after the reader's company and 那个 is the company; the reader's is where it is (静海大邱庄那个万通).
    said_start = folded.find(said.folded) if said else -1
    said_end = said_start + len(said.folded) if said and said_start >= 0 else -1
    said_level = _compare(said, stored) if said is not None else ""
    levels = []
    for part in _short_forms(stored.core):
        # Where the reader's company is not this name, only a name that opens the message counts.
        opening = said is not None and part not in said.folded
        for written, alone in name_rules().around(mention.text, part):
            after_said = said_end >= 0 and _THAT.fullmatch(folded[said_end : written.start]) is not None
            if (opening and written.start > _OPENING and not after_said) or _rival_at(folded, written):
                continue
            if said_level == "conflict" and _within(written, said_start, said_end) and _whole_name(said):
                continue  # 明玥产业园管理有限公司, 渝安驾校: the whole name the reader kept is another company's
            if _conflict(written, stored):
                # The reader kept more of this name (嘉骏顺德 for 嘉骏…顺德分公司): that reading decides.
                kept_more = said is not None and not written.branch and written.folded in said.folded != written.folded
                if not (kept_more and said_level != "conflict"):
                    levels.append("conflict")
            elif alone:
                levels.append("exact" if part == stored.core else "partial")
            elif said is None and part == stored.core:  # may be the start of a longer name (华力达 is not 华力)
                levels.append("similar")
    # The text shows more than the reader kept (华力机械济南分公司 read as 华力机械): a conflict there stands.
    if "conflict" in levels and "exact" not in levels:
        return "conflict"
    if said is not None:
        levels.append(said_level)
    return max(levels, key=_LEVELS.index, default="")


def _whole_name(name: CompanyName) -> bool:
    """A name written out to its end: a legal form (有限公司) or a kind of institution (产业园, 驾校) closes it, so
    nothing of a product or a sentence is inside it."""
    rules = name_rules()
    return bool(rules.legal_forms.ending(name.folded, keep=2)) or name.folded[-1:] in INSTITUTION_KINDS


def _within(written: CompanyName, start: int, end: int) -> bool:
    """The name found in the text lies inside the reader's company, and is shorter than it."""
    stop = written.start + len(written.folded)
    return 0 <= start <= written.start and stop <= end and (written.start, stop) != (start, end)


# What a rival does, said right after its name (and trade) in the same clause: it quotes or supplies someone
# (利华给他报的, 鑫旺达冷链给他们配送), takes the business (联丰钢铁在抢他这单, 澜田也在跟他们抢单子), bids
# (海晟科技也报了), or is cheaper (金隆钢铁那边螺纹便宜, 蜀鑫那边报价比我们低); its salespeople are at work
# (海大的业务员也在报价, 正大的人天天去跑), it gives dealers rebates (大北农在搞返利), or its product's price moved
# (勃林格的圆环疫苗涨价了). A customer's people call, ask and press the price (华力的人打电话来, 找我们要报价,
# 压价) and it runs its own events (在搞活动): none of that marks a rival.
_RIVAL_CUE = re.compile(
    r"^(?:那边|这边|那里|那家)?(?:的?(?:业务员?|销售|代理商?)(?:也|还|都|又|已经|天天|一直)*(?:在|来|去)?"
    r"(?:报|跑|抢|推|挖|降)|的人(?:也|还|都|又|已经|天天|一直)*(?:在|来|去)?(?:跑|抢|挖)"
    r"|(?:也|还|都|又|已经|一直)*(?:在|又)?搞(?:返利|让利)"
    r"|的(?:(?!说|讲|要|问|想|嫌)[^\W\d]){1,6}?(?:涨价|降价|提价)"
    r"|也(?:在|来|去)?(?:投|报)(?!名|了?预算|销|账)|(?:也|还|都|又|已经)?(?:在|来|去)?(?:"
    r"给(?!我|咱|俺|阿拉)[^\W\d]{0,8}?(?:报的|报价|报了?个?价|供|配送)"
    r"|(?:跟[^\W\d]{1,4}?)?抢(?:了|他|她|我|咱|俺|这|那|单|客户|生意|项目|市场|标)|乱价"
    r"|(?:(?!说|讲|话|要|让|问|想|嫌|觉|给)[^\W\d]){0,6}?"
    r"(?:便宜(?!点|些|一点|的话|就)|比(?:咱|我们|我|俺|阿拉|伊拉|我哋)[^\W\d]{0,3}?(?:低|便宜|平))))"
)


def _besides(text: str, rival: str, contact: str | None) -> str | None:
    """The customer a message names besides a rival's name, if any."""
    folded, name = fold(text), fold(rival)
    at = folded.find(name)
    if at < 0:
        return None
    rest = folded[:at] + "，" * len(name) + folded[at + len(name) :]
    named = _plausible_company(company_in(rest, lx.default_lexicon()), contact)
    return named if named and not _rival(rest, named) else None


def _rival(text: str, company: str) -> bool:
    """The reader's company is written as a rival's (see `_RIVAL_CUE`)."""
    folded, name = fold(text), company_name(company)
    at = folded.find(name.folded)
    return at >= 0 and _rival_at(folded, replace(name, start=at))


def _rival_at(folded: str, written: CompanyName) -> bool:
    """The name written at `written.start` is a rival's: what follows it is what a rival does, and it is not who
    was quoted or supplied (盛达钢铁给胜利五金报的价: 胜利五金 is the customer)."""
    if folded[: written.start].endswith("给"):
        return False
    rest = folded[written.start + len(written.folded) :]
    rules = name_rules()
    while word := rules.trades.starting(rest) or rules.legal_forms.starting(rest):
        rest = rest[len(word) :]
    return bool(_RIVAL_CUE.match(rest.lstrip()))


# Sounds that speech recognition and southern accents confuse, as fuzzy-pinyin input methods treat them.
_FUZZY = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"^n(?=[aeiou])"), "l"), (re.compile(r"(in|en|an)g$"), r"\1"))


def _sound(text: str) -> tuple[str, ...]:
    """The pinyin of `text` with tones dropped and fuzzy pairs folded (恒兴达 ≈ 恒信达, 博中 ≈ 博众)."""
    out = []
    for syllable in lazy_pinyin(text):
        for pattern, repl in _FUZZY:
            syllable = pattern.sub(repl, syllable)
        out.append(syllable)
    return tuple(out)


def _short_forms(core: str) -> list[str]:
    """The 字号 and, for a long one, its first and last two or three characters (中科力拓 → 力拓, 中科); a name in
    two scripts also by each (Bosch博世 → bosch, 博世)."""
    if len(core) < 2:
        return []
    forms = [core] + [run for run in _SCRIPTS.findall(core) if len(run) >= 2 and run != core]
    if len(core) >= 3:
        trades = name_rules().trades
        forms += [f for n in (3, 2) for f in (core[-n:], core[:n]) if len(f) < len(core) and f not in trades]
    return list(dict.fromkeys(forms))


def _conflict(said: CompanyName, stored: CompanyName) -> bool:
    """Another trade, place or branch."""
    # A place in parentheses (德联精密(上海)) or a chain's store (渝老幺火锅解放碑店) on the stored name is where
    # that lead is: a message that names no branch still means it.
    where = stored.branch.startswith("(") or stored.branch.endswith("店")
    # A branch word alone (河北建工分公司) says it is one of the company's branches, not which.
    some_branch = bool(stored.branch) and said.branch in name_rules().branch_words
    other_branch = not _same_branch(said, stored) and not (where and not said.branch) and not some_branch
    if other_branch and not said.branch and _at_branch_place(said, stored):
        other_branch = False  # 迁安那个宏达 for 宏达钢构迁安分公司: the branch, called by its place
    return said.trade_conflict(stored) or _unlisted_trade(said, stored) or said.place_conflict(stored) or other_branch


# Branch words that all say "the company's site at …": 德惠分厂 and 德惠分公司 are one branch.
_SITE_WORDS = ("分公司", "分厂", "新厂", "新工厂", "基地", "厂区")


def _same_branch(a: CompanyName, b: CompanyName) -> bool:
    """The same branch (or none), however the site is called: 德惠分厂 is 德惠分公司."""
    if a.branch == b.branch:
        return True
    stems = [next((x.removesuffix(w) for w in _SITE_WORDS if x.endswith(w)), None) for x in (a.branch, b.branch)]
    return stems[0] is not None and stems[0] == stems[1] and len(stems[0]) >= 2


def _at_branch_place(said: CompanyName, stored: CompanyName) -> bool:
    """The message names the place of the stored branch, or one inside it (迁安 for 迁安分公司)."""
    theirs = name_rules().places_at_start(stored.branch)
    return any(b.contains(p) for b in theirs for alternatives in said.places for p in alternatives)


def _unlisted_trade(a: CompanyName, b: CompanyName) -> bool:
    """One name has a trade the word lists know and the other, with the same 字号, goes on with a trade they
    do not (渝东酒店 vs 渝东火锅, 恒远食品 vs 恒远纺机): two trades, so two companies."""
    for x, y in ((a, b), (b, a)):
        if x.trade and not y.trade and len(x.core) >= 2 and y.core.startswith(x.core):
            rest = y.core[len(x.core) :]
            if len(rest) >= 2 and CompanyName(x.folded, x.core, trade=rest).trade_conflict(x):
                return True
    return False


def _compare(said: CompanyName, stored: CompanyName) -> str:
    if any(f(x, y) for f in (_store_named_by_brand, _brand_before) for x, y in ((said, stored), (stored, said))):
        return "partial"
    same_place = _same_branch(said, stored) and not said.place_conflict(stored)
    if same_place and (_abbreviates(said, stored) or _same_institution(said, stored)):
        return "partial"
    if _conflict(said, stored):
        return "conflict"
    if said.branch and _same_branch(said, stored) and said.core == stored.trade:
        return "partial"  # 八局一公司 for 中建八局第一建设有限公司: the branch, called by the group's trade
    core = said.core[1:] if said.core[:1] in "老小" and len(said.core) >= 3 else said.core
    if not core:  # 市一医院: the trade alone, which one lead may have
        return "partial" if said.trade == stored.trade else ""
    if core == stored.core or said.folded == stored.folded:
        return "exact"
    if len(core) >= 2 and core in _short_forms(stored.core):
        return "partial"
    sound = _sound(core)
    if any(sound == _sound(form) for form in _short_forms(stored.core)):
        return "homophone"
    # Similar: one character mistyped, not a longer name (华力达 is not 华力), nor another number (实验二小).
    if (
        len(core) == len(stored.core) >= 2
        and fuzz.ratio(core, stored.core) >= SIMILAR
        and not _renumbered(core, stored.core)
    ):
        return "similar"
    if len(said.folded) >= 4 and _sound(_spoken(said.folded)) == _sound(_spoken(stored.folded)):
        return "homophone"  # 星台鸿远机械 for 邢台宏远机械, 冒名市人名医院 for 茂名市人民医院: the place misheard too
    return ""


def _brand_before(a: CompanyName, b: CompanyName) -> bool:
    """`a` is `b`'s 字号 with a brand in Latin letters before it (ＢＭＷ寶澤 for 广州市宝泽汽车销售服务有限公司)."""
    brand = _LATIN_START.match(a.core)
    return brand is not None and len(b.core) >= 2 and a.core[brand.end() :] == b.core


_LATIN_START = re.compile(r"[a-z]+")


def _store_named_by_brand(a: CompanyName, b: CompanyName) -> bool:
    """`a` names a brand's store by the 字号 of `b` (东风日产伟达店 for 广州市伟达东风日产汽车销售服务有限公司): the
    store's name and the brand, in either order, are `b`'s 字号."""
    stem = a.branch.removesuffix("店")
    return len(stem) >= 2 and stem != a.branch and b.core in (stem + a.core, a.core + stem)


_DIVISIONS = re.compile(r"[省市县区]")


def _spoken(folded: str) -> str:
    """A whole name as it is said for comparing sounds: without its legal form and the 省/市/县/区 a rep drops."""
    return _DIVISIONS.sub("", name_rules().legal_forms.strip(folded, keep=2))


def _abbreviates(a: CompanyName, b: CompanyName) -> bool:
    """One name is the other shortened: one 字号 goes on where the other stops, and the shorter of what the two
    write from there is some of the characters of the longer, in order, beginning inside that longer 字号 (理工职院
    for 北京理工职业学院, 湘麓生科院 for 湘麓大学生命科学学院; not 恒信达汽车销售服务 for 恒信汽车服务)."""
    short, long = sorted((a, b), key=lambda n: len(n.core))
    if len(short.core) < 2 or len(long.core) == len(short.core) or not long.core.startswith(short.core):
        return False
    extra = long.core[len(short.core) :]
    mine, theirs = short.trade, extra + long.trade
    if not mine:
        return False
    if len(mine) > len(theirs):
        return in_order(theirs, mine)
    return theirs.find(mine[0]) < len(extra) and in_order(mine, theirs)


def _same_institution(a: CompanyName, b: CompanyName) -> bool:
    """One place's institution written short (茂名人医 for 茂名市人民医院, 梧州红会 for 梧州市红十字会医院, 柳州中医院
    for 柳州市中医医院): the same place, and after it the shorter name is some of the longer's characters, in
    order, from its first, the longer ending in a kind of institution and the shorter in one or as it does."""
    (place_a, rest_a), (place_b, rest_b) = _place_and_rest(a), _place_and_rest(b)
    if not place_a or place_a != place_b:
        return False
    few, many = sorted((rest_a, rest_b), key=len)
    if len(few) < 2 or many[-1:] not in INSTITUTION_KINDS or not (few[-1] in INSTITUTION_KINDS or few[-1] in many[-2:]):
        return False  # 人医 ends as 人民医院 does; 恒通 is not 恒通达产业园
    return few[0] == many[0] and not many.startswith(few) and in_order(few, many)


def _place_and_rest(name: CompanyName) -> tuple[str, str]:
    """The place a name opens with (its first, or the place that is its 字号: 茂名 of 茂名市人民医院) and the rest."""
    if name.places:
        return name.places[0][0].name, name.core + name.trade
    if name_rules().places.get(name.core):
        return name.core, name.trade
    return "", ""


_NUMERALS = frozenset("零一二两三四五六七八九十0123456789")


def _renumbered(a: str, b: str) -> bool:
    """Two names of one length that differ only in their numbers (实验一小 / 实验二小, 一中 / 二中)."""
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return bool(differ) and all(x in _NUMERALS and y in _NUMERALS for x, y in differ)


def _by_company(mention: Mention, scored: list[_Scored], said: PersonName) -> Resolution:
    named = [s for s in scored if s.name == "exact" or (s.name == "partial" and s.contact != Same.NO)]
    exact = [s for s in named if s.name == "exact"]
    if mention.company and len(named) > 1:
        rules, said_name = name_rules(), company_name(mention.company)
        written = rules.as_written(mention.company)
        whole = [s for s in named if rules.as_written(s.candidate.company or "") == written]
        if len(whole) == 1 and whole[0].contact != Same.NO and all(s.support <= whole[0].support for s in named):
            return _match(whole[0], "the whole name as stored")  # 驰安汽车服务, not 驰安汽车维修服务
        branch = [s for s in named if _at_branch_place(said_name, company_name(s.candidate.company or ""))]
        if len(branch) == 1:
            return _match(branch[0], "the place of its branch")  # 嘉骏顺德那边: 嘉骏…顺德分公司
    if len(named) > 1:
        written = letters(mention.text)
        where = [s for s in named if (b := _where(s.candidate)) and b in written and s.contact != Same.NO]
        if len(where) == 1:
            return _match(where[0], "its project or branch is written")  # 锦瑞物业 金沙项目: not 锦瑞物业 麓山项目
    if len(exact) == 1 and exact[0].contact == Same.NO:
        other = [s for s in scored if s.name in ("homophone", "similar") and s.contact in (Same.YES, Same.LIKELY)]
        if other:
            # 华利 冯经理 with 华利 (老板梁总) and 华力 (售后经理冯): speech may have misheard the name.
            return _ask([exact[0], *other], "the name is one lead's and the contact another's")
    if len(exact) == 1 and exact[0].contact == Same.NO:
        # 华粤集团梁经理话番禺嗰边…: the company's name, but its 番禺 branch's contact and place
        text = letters(mention.text)
        branch = [
            s for s in scored if s.contact in (Same.YES, Same.LIKELY) and _branch_place_written(s.candidate, text)
        ]
        if len(branch) == 1:
            return _match(branch[0], "its branch's contact and place are written")
    if len(exact) == 1 and not any(s.support > exact[0].support or _inside(exact[0], s) for s in named):
        return _match(exact[0], "the same name")
    if len(named) == 1:
        return _match(named[0], "a short form of the name")
    if named:
        return _separate(named, "several leads have this name", said)
    near = [s for s in scored if s.name in ("homophone", "similar") and s.contact != Same.NO]
    if near and _FIRST_CONTACT.search(mention.text):
        return Resolution(Outcome.NEW, evidence="a first contact, and no lead has its name")  # 鑫城, 头回联系
    backed = [s for s in near if s.support]
    if len(backed) == 1:
        return _match(backed[0], f"a {backed[0].name} name, and {_support(backed[0])} agrees")
    if backed:
        return _separate(backed, "several near names with support", said)
    if near:
        return _ask(near, "a near name and nothing else agrees")
    topical = [s for s in scored if s.topics]
    if topical and mention.company and _described(mention.text, mention.company):
        # 地脚螺栓图纸那家: no name, the customer described by what earlier notes share; a colleague would ask.
        return _ask(topical, "describes a customer by the topic of earlier notes")
    return Resolution(Outcome.NEW, evidence=f"no lead is {mention.company or 'named'}")


def _branch_place_written(candidate: Candidate, text: str) -> bool:
    """The lead is a branch (华粤汽车服务集团有限公司番禺分公司) and the place of the branch is in `text`."""
    places = name_rules().places_at_start(company_name(candidate.company or "").branch)
    return any(p.name in text for p in places)


def _where(candidate: Candidate) -> str:
    """The project, branch or store of a lead's name, as written (金沙项目, 苏州分公司, 解放碑店), or ""."""
    return company_name(candidate.company or "").branch.strip("()")


_THAT_ONE = re.compile(r"的?(?:那家|那个)")


def _described(text: str, company: str) -> bool:
    """What the reader took for a company is a description: it ends in 那家 or 那个 (要来验厂那家)."""
    folded, said = fold(text), fold(company)
    at = folded.find(said)
    return at >= 0 and _THAT_ONE.match(folded, at + len(said)) is not None


def _inside(exact: _Scored, other: _Scored) -> bool:
    """`other`, named in part, has as much support as `exact` and a longer 字号 that starts or ends with the exact
    one's (中瑞 for 天津中瑞精密 and 北京中瑞恒达): a colleague could not tell which is meant."""
    if other is exact or other.name != "partial" or other.support < exact.support:
        return False
    mine, theirs = (company_name(s.candidate.company or "").core for s in (exact, other))
    return len(theirs) > len(mine) >= 2 and (theirs.startswith(mine) or theirs.endswith(mine))


def _by_contact(scored: list[_Scored], said: PersonName) -> Resolution:
    same = [s for s in scored if s.contact in (Same.YES, Same.LIKELY)]
    if len(same) == 1:
        return _match(same[0], "the only lead with this contact")
    if same:
        return _separate(same, "several leads have this contact", said)
    recent = [s for s in scored if s.recent]
    if recent:
        return _match(recent[0], "a new contact, right after a note about this lead")
    return Resolution(Outcome.UNKNOWN, evidence="no lead has this contact")


def _separate(tied: list[_Scored], why: str, said: PersonName) -> Resolution:
    """One of several leads, when something beside the name tells them apart (`said`: the contact the
    message names); else ask."""
    ranked = sorted(tied, key=_Scored.rank, reverse=True)
    best, second = ranked[0], ranked[1]
    if best.contact == Same.YES and second.contact != Same.YES:
        return _match(best, f"{why}; the full contact name decides")
    if best.support > second.support:
        return _match(best, f"{why}; {_support(best)} decides")
    top = [s for s in ranked if s.support == best.support]
    for s in top:
        if all(said.tells_apart(s.person, o.person) for o in top if o is not s):
            return _match(s, f"{why}; the contact's title decides")
    return _ask(ranked, why)


def _match(s: _Scored, why: str) -> Resolution:
    return Resolution(Outcome.MATCH, s.candidate.id, evidence=why)


def _ask(scored: list[_Scored], why: str) -> Resolution:
    ranked = sorted(scored, key=_Scored.rank, reverse=True)
    return Resolution(Outcome.ASK, choices=tuple(s.candidate.id for s in ranked[:MAX_CHOICES]), evidence=why)


def _support(s: _Scored) -> str:
    parts = []
    if s.contact in (Same.YES, Same.LIKELY):
        parts.append("the contact")
    if s.topics:
        parts.append("the topic of earlier notes")
    if s.recent:
        parts.append("the note just before")
    return " and ".join(parts)


# How a rep writes a number: separators, a country code, the 0 before an area code; 尾号 and its last four.
_NUMBER = re.compile(r"\+?\d[\d\s\-–—()（）.·]{5,}\d")
_DIAL_NOISE = re.compile(r"[\s\-–—()（）.·]")
_COUNTRY = re.compile(r"^(?:\+|00)86(?=\d{9,11}$)|^86(?=1\d{10}$)")
_TAIL_DIGIT = r"[\d零〇一二三四五六七八九两幺]"  # 尾号幺三八八: spoken digits too
_TAIL = re.compile(rf"尾(?:号|数)(?:是)?({_TAIL_DIGIT}{{4}})(?!{_TAIL_DIGIT})")
_MOBILE = re.compile(r"1\d{10}")


def _phone_written(phone: str, text: str) -> bool:
    """The lead's phone (a mobile or a landline, however it was stored) is written in the message: whole,
    with a country code, a landline without its area code, or its last four digits (尾号6621)."""
    stored = _dial_digits(phone)
    if len(stored) < 7:
        return False
    folded = fold(text)
    if any(m.group(1).translate(PHONE_DIGITS) == stored[-4:] for m in _TAIL.finditer(folded)):
        return True
    landline = not _MOBILE.fullmatch(stored)
    for run in _NUMBER.findall(folded):
        for written in {_dial_digits(run), *map(_dial_digits, run.split())}:
            if written == stored or (landline and len(written) in (7, 8) and stored.endswith(written)):
                return True
    return False


def _dial_digits(number: str) -> str:
    """A number's digits without separators, a country code or the trunk 0 of an area code."""
    digits = _COUNTRY.sub("", _DIAL_NOISE.sub("", number.strip()))
    return digits[1:] if digits.startswith("0") else digits


def _is_contact(said: str, contact: str | None) -> bool:
    """`said` is the full name of the lead's contact (孙建军), so a person and not a company."""
    name = person_name(contact)
    return bool(name.surname and name.given) and fold(said) == fold(contact or "")


def _written(contact: str | None, text: str) -> bool:
    """The stored contact's full or Latin name appears in the message (the reader may have missed it)."""
    if not contact:
        return False
    name = person_name(contact)
    if name.given and name.given.isascii():
        return re.search(rf"(?<![a-z]){re.escape(name.given)}(?![a-z])", fold(text)) is not None
    return bool(name.surname and name.given) and fold(contact) in fold(text)


def _topics(text: str) -> frozenset[str]:
    """Content words that could tie a message to a customer: products, projects, places of work."""
    lexicon, common = lx.default_lexicon(), common_words()
    generic: set[str] = set()
    folded = fold(text)
    for _end, (word, kinds) in lexicon.automaton.iter(lx.normalize(folded)):
        if {kind for kind, _payload in kinds} & _GENERIC_KINDS:
            generic.add(word)
    return frozenset(
        t.word
        for t in default_segmenter().tokens(folded)
        if len(t.word) >= 2
        and (t.pos == "eng" or not t.pos.startswith(_NOT_TOPIC_POS))
        and t.word not in generic
        and t.word not in common
    )
