"""Messages the hub refused: counted per reason, the latest kept (bounded) for inspection."""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from core.contract import RejectReason

logger = logging.getLogger(__name__)

EXCERPT_BYTES = 200


@dataclass(frozen=True, slots=True)
class DeadLetter:
    time: datetime
    topic: str
    reason: RejectReason
    detail: str
    size: int
    excerpt: str

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        data["reason"] = self.reason.value
        return data


class DeadLetters:
    def __init__(self, capacity: int = 1000) -> None:
        self._kept: deque[DeadLetter] = deque(maxlen=capacity)
        self._counts: Counter[RejectReason] = Counter()
        self._lock = threading.Lock()

    def add(self, topic: str, payload: bytes, reason: RejectReason, detail: str) -> DeadLetter:
        letter = DeadLetter(
            time=datetime.now(UTC),
            topic=topic,
            reason=reason,
            detail=detail[:500],
            size=len(payload),
            excerpt=payload[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
        )
        with self._lock:
            self._kept.append(letter)
            self._counts[reason] += 1
        logger.warning("rejected message on %s (%d bytes): %s: %s", topic, len(payload), reason.value, letter.detail)
        return letter

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {reason.value: n for reason, n in self._counts.items()}

    def latest(self, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            return list(self._kept)[-limit:][::-1]
