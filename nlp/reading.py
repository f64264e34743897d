"""What the rule layer reads in a note before the model weighs it: words, entities and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from nlp import lexicon as lx
from nlp.company import choose_company, find_company, find_company_fallback, find_header_company, find_place_company
from nlp.entities import Span, find_activity, find_contact, find_phone
from nlp.features import note_features
from nlp.outcome import stage_words
from nlp.scan import Scan
from nlp.segment import Token, default_segmenter
from nlp.spans import char_features
from nlp.tags import TagEvidence, tag_evidence


@dataclass(frozen=True)
class Reading:
    scan: Scan
    lexicon: lx.Lexicon
    tokens: tuple[Token, ...]
    company: Span | None
    contact: Span | None
    phone: Span | None

    # Read on first use: a piece of a note read only for its company (nlp/parts.py) never needs them.
    @cached_property
    def evidence(self) -> dict[str, TagEvidence]:
        company = self.company
        return tag_evidence(self.scan, self.lexicon, (company.start, company.end) if company else None)

    @cached_property
    def _activity_word(self) -> tuple[str, int]:
        return find_activity(self.scan, self.lexicon, self.company)

    @property
    def activity(self) -> str:
        return self._activity_word[0]

    @property
    def opening_activity(self) -> str | None:
        """The activity whose word opens the note (拜访…, 电话…), which is what the note records."""
        kind, at = self._activity_word
        return kind if at == len(self.scan.text) - len(self.scan.text.lstrip()) else None

    @property
    def whole(self) -> tuple[int, int]:
        return (0, len(self.scan.text))

    def stages(self, span: tuple[int, int]) -> dict[str, bool]:
        return stage_words(self.scan, self.lexicon, span)

    def span_features(self) -> list[list[str]]:
        """Per character, what the span tagger (nlp/spans.py) sees."""
        return char_features(self.scan, self.lexicon, self.tokens, self.company, self.contact)

    def features(self, span: tuple[int, int]) -> list[str]:
        return note_features(
            self.scan, self.lexicon, self.tokens, self.evidence, self.activity, self.stages(span), span
        )


def _entities(scan: Scan, lexicon: lx.Lexicon) -> tuple[Span | None, Span | None, Span | None]:
    """(company, contact, phone) of a scanned note."""
    company = choose_company(scan, find_company(scan, lexicon), find_place_company(scan, lexicon))
    phone = find_phone(scan, lexicon)
    contact = find_contact(scan, lexicon, company, phone)
    header = find_header_company(scan, lexicon, contact, strict=company is not None)
    if header and (company is None or header.end <= company.start):
        company = header
    return company or find_company_fallback(scan, lexicon, contact), contact, phone


def company_in(text: str, lexicon: lx.Lexicon) -> str | None:
    """The customer company a piece of a note names, as normalised text."""
    scan = Scan(text, lexicon)
    company = _entities(scan, lexicon)[0]
    return scan.text[company.start : company.end] if company else None


def company_from(reading: Reading, pos: int) -> Span | None:
    """The rule layer's customer company with a known suffix or place in the note from `pos` on (offsets of
    the whole note)."""
    scan = Scan(" " * pos + reading.scan.text[pos:], reading.lexicon)
    return choose_company(scan, find_company(scan, reading.lexicon), find_place_company(scan, reading.lexicon))


def read(text: str, lexicon: lx.Lexicon) -> Reading:
    """Scan, segment and find the entities of an already cut note."""
    scan = Scan(text, lexicon)
    company, contact, phone = _entities(scan, lexicon)
    return Reading(
        scan=scan,
        lexicon=lexicon,
        tokens=tuple(default_segmenter().tokens(scan.text)),
        company=company,
        contact=contact,
        phone=phone,
    )
