"""parse_note: one rep's note (+ the reference time) → a ParsedNote. Pure and thread-safe."""

from __future__ import annotations

import re
from datetime import datetime

from nlp.entities import (
    choose_company,
    find_activity,
    find_amount,
    find_company,
    find_company_fallback,
    find_contact,
    find_header_company,
    find_phone,
    find_place_company,
    phone_digits,
)
from nlp.followup import find_follow_up
from nlp.lexicon import default_lexicon
from nlp.note import ParsedNote
from nlp.scan import Scan
from nlp.tags import find_tags

_SURROGATES = re.compile("[\ud800-\udfff]")


def parse_note(text: str, now: datetime) -> ParsedNote:
    """Read a note. `now` must be timezone-aware; relative times are read in `now.tzinfo`.

    Notes longer than `max_chars` (config/nlp.toml, default 2000) are cut there first."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    lexicon = default_lexicon()
    text = text if isinstance(text, str) else str(text)
    truncated = len(text) > lexicon.max_chars
    scan = Scan(_SURROGATES.sub(" ", text[: lexicon.max_chars]), lexicon)
    company = choose_company(scan, find_company(scan, lexicon), find_place_company(scan, lexicon))
    phone = find_phone(scan, lexicon)
    contact = find_contact(scan, lexicon, company, phone)
    header = find_header_company(scan, lexicon, contact, strict=company is not None)
    if header and (company is None or header.end <= company.start):
        company = header
    company = company or find_company_fallback(scan, lexicon, contact)
    tags, risk_words = find_tags(scan, lexicon, (company.start, company.end) if company else None)
    follow_up = find_follow_up(scan, lexicon, now)
    return ParsedNote(
        tags=tags,
        activity_type=find_activity(scan, lexicon, company),
        contact_name=contact.text(scan) if contact else None,
        company=company.text(scan) if company else None,
        phone=phone_digits(scan, phone) if phone else None,
        amount=find_amount(scan, lexicon),
        follow_up_at=follow_up.at,
        follow_up_has_time=follow_up.has_time,
        risk_words=risk_words,
        follow_up_vague=follow_up.vague,
        truncated=truncated,
    )
