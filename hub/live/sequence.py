"""Per-station delivery tracking from sequence numbers: gaps, duplicates, late (reordered) arrivals.

A station numbers its events 1, 2, 3, ... for the life of its journal, across restarts. The hub sees a
gap when a number is skipped (lost, or not arrived yet: an outage replays in order, so a gap that stays
is a real loss), a duplicate when a number comes again (a redelivery: harmless, stored on the same point),
and a reordered arrival when a missing number turns up late.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Gaps are listed number by number up to this many; beyond (a journal replaced, say) they are only counted.
MAX_LISTED_GAPS = 10_000


@dataclass
class SequenceTracker:
    highest: int = 0
    arrivals: int = 0
    duplicates: int = 0
    reordered: int = 0
    unlisted_missing: int = 0
    _missing: set[int] = field(default_factory=set)

    def observe(self, seq: int) -> None:
        self.arrivals += 1
        if self.highest == 0:
            self.highest = seq  # the hub starts listening mid-stream: earlier numbers are not gaps
        elif seq > self.highest:
            gap = range(self.highest + 1, seq)
            if len(self._missing) + len(gap) <= MAX_LISTED_GAPS:
                self._missing.update(gap)
            else:
                self.unlisted_missing += len(gap)
            self.highest = seq
        elif seq in self._missing:
            self._missing.discard(seq)
            self.reordered += 1
        else:
            self.duplicates += 1

    @property
    def missing(self) -> int:
        return len(self._missing) + self.unlisted_missing

    def as_dict(self, sample: int = 20) -> dict[str, object]:
        return {
            "highest_seq": self.highest,
            "missing": self.missing,
            "missing_sample": sorted(self._missing)[:sample],
            "duplicates": self.duplicates,
            "reordered": self.reordered,
        }
