from core.contract import RejectReason
from hub.ingest.dead_letters import EXCERPT_BYTES, DeadLetters


def test_bounded_and_counted() -> None:
    letters = DeadLetters(capacity=3)
    for i in range(5):
        letters.add(f"t/{i}", b"x" * 1000, RejectReason.NOT_JSON, "bad")
    letters.add("t/last", b"{}", RejectReason.INVALID_FIELDS, "weight_kg: missing")
    assert letters.counts() == {"not_json": 5, "invalid_fields": 1}
    kept = letters.latest()
    assert [k.topic for k in kept] == ["t/last", "t/4", "t/3"]
    assert len(kept[1].excerpt) == EXCERPT_BYTES and kept[1].size == 1000
