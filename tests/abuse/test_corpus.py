"""The corpus itself, and the contract's verdict on each of its messages (no hub: decode() as the hub calls it)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from core.contract import ContractError, StationTimeWindow, TopicKind, decode, decode_event
from tests.abuse.corpus import CATEGORIES, DEFAULT_PAYLOADS, MAX_PAYLOAD_BYTES, generate

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_the_corpus_is_deterministic_and_covers_every_category() -> None:
    first, second = generate(2000, seed=5, now=NOW), generate(2000, seed=5, now=NOW)
    assert first == second
    assert generate(2000, seed=6, now=NOW) != first
    assert len([m for m in generate(DEFAULT_PAYLOADS, now=NOW) if not m.valid]) == DEFAULT_PAYLOADS
    categories = Counter(m.category for m in first)
    assert len(categories) >= len(CATEGORIES) + 3, categories  # valid, valid_odd and the per-kind names
    valid = [m for m in first if m.valid]
    assert len({m.event_id for m in valid}) == len(valid) == 2000 // 5
    assert any(len(m.payload) == MAX_PAYLOAD_BYTES for m in generate(DEFAULT_PAYLOADS, now=NOW) if m.valid)


def verdict(topic: str, payload: bytes) -> str | None:
    """What the hub's contract says: None for accepted, else the reason (window as the hub applies it)."""
    try:
        ref, _ = decode(topic, payload)
        if ref.kind is TopicKind.EVENT:
            decode_event(topic, payload, window=StationTimeWindow(), received=NOW)
    except ContractError as exc:
        return exc.reason.value
    return None


def test_the_contract_gives_each_corpus_message_its_reason() -> None:
    """Every hostile message refused with one of its reasons, every valid one accepted, nothing else raised
    (a RecursionError here is the nesting bomb of finding 2)."""
    wrong: Counter[tuple[str, str | None]] = Counter()
    example: dict[tuple[str, str | None], bytes] = {}
    for message in generate(DEFAULT_PAYLOADS, now=NOW):
        if not message.delivered:
            continue
        try:
            got = verdict(message.topic, message.payload)
        except Exception as exc:  # the contract may raise nothing but ContractError: collect and report
            got = f"raised {type(exc).__name__}"
        if (got is None) != message.valid or (got is not None and got not in message.reasons):
            key = (message.category, got)
            wrong[key] += 1
            example.setdefault(key, message.payload[:120])
    assert not wrong, "\n".join(f"{n} x {cat} got {got}: {example[(cat, got)]!r}" for (cat, got), n in wrong.items())
