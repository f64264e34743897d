"""Which known customer a ledger row is, for many rows at once: `nlp.resolve` judging only the leads that share
the row's phone or 字号 (core name).

Resolving each of 100,000 rows against every lead would be 10^10 judgements; a row is compared only with the
leads in its block (the same phone, or the same 字号 as `nlp.company_names` takes it apart), which are a handful.
A name that only sounds alike or is mistyped (恒兴达 for 恒信达) shares no block and is not found: the import
reports none of these, where a rep's note would be asked about.
"""

from __future__ import annotations

from collections.abc import Mapping

from nlp.company_names import company_name, fold
from nlp.resolve import Candidate, Mention, Outcome, Resolution, resolve


def block_key(company: str | None) -> str | None:
    """The 字号 of a company (the whole folded name when it has none of two characters or more)."""
    if not company:
        return None
    core = company_name(company).core
    return core if len(core) >= 2 else fold(company) or None


class DuplicateIndex:
    """The leads a row may duplicate: added as they are known (those of the database a batch of rows may be,
    then each of its new rows)."""

    def __init__(self) -> None:
        self._by_phone: dict[str, int] = {}
        self._by_block: dict[str, list[int]] = {}
        self._candidates: dict[int, Candidate] = {}
        self._keys: dict[str, str | None] = {}  # company -> block key: each name taken apart once

    def _key(self, company: str | None) -> str | None:
        if not company:
            return None
        if company not in self._keys:
            self._keys[company] = block_key(company)
        return self._keys[company]

    def learn(self, keys: Mapping[str, str | None]) -> None:
        """Block keys of company names worked out elsewhere (`block_key` in worker processes: taking names apart
        is most of the index's time)."""
        self._keys.update(keys)

    def __len__(self) -> int:
        return len(self._candidates)

    def add(self, candidate: Candidate) -> None:
        self._candidates[candidate.id] = candidate
        if candidate.phone:
            self._by_phone.setdefault(candidate.phone, candidate.id)
        key = self._key(candidate.company)
        if key:
            self._by_block.setdefault(key, []).append(candidate.id)

    def update(self, candidate: Candidate) -> None:
        """A known lead with more details (a merged row filled its empty phone or contact)."""
        old = self._candidates[candidate.id]
        self._candidates[candidate.id] = candidate
        if candidate.phone and not old.phone:
            self._by_phone.setdefault(candidate.phone, candidate.id)
        key = self._key(candidate.company)
        if key and key != self._key(old.company):
            self._by_block.setdefault(key, []).append(candidate.id)

    def get(self, candidate_id: int) -> Candidate:
        return self._candidates[candidate_id]

    def find(self, mention: Mention) -> Resolution:
        """MATCH (one lead is this row's customer), ASK (some may be: `choices`) or NEW."""
        ids = []
        if mention.phone and mention.phone in self._by_phone:
            ids.append(self._by_phone[mention.phone])
        key = self._key(mention.company)
        if key:
            ids += self._by_block.get(key, ())
        if not ids:
            return Resolution(Outcome.NEW, evidence="no lead shares the phone or the name")
        found = resolve(mention, [self._candidates[i] for i in dict.fromkeys(ids)])
        if found.outcome is Outcome.UNKNOWN:
            return Resolution(Outcome.NEW, evidence=found.evidence)
        return found
