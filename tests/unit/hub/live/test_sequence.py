from hub.live.sequence import MAX_LISTED_GAPS, SequenceTracker


def feed(seqs: list[int]) -> SequenceTracker:
    tracker = SequenceTracker()
    for seq in seqs:
        tracker.observe(seq)
    return tracker


def test_in_order_has_nothing_to_report() -> None:
    tracker = feed(list(range(5, 105)))
    assert tracker.as_dict() == {
        "highest_seq": 104,
        "missing": 0,
        "missing_sample": [],
        "duplicates": 0,
        "reordered": 0,
    }


def test_gaps_duplicates_and_late_arrivals() -> None:
    tracker = feed([1, 2, 5, 6, 2, 3, 9])
    assert tracker.missing == 3  # 4, 7, 8 (3 arrived late)
    assert tracker.as_dict()["missing_sample"] == [4, 7, 8]
    assert (tracker.duplicates, tracker.reordered, tracker.highest) == (1, 1, 9)


def test_huge_gaps_are_counted_not_listed() -> None:
    tracker = feed([1, MAX_LISTED_GAPS + 50_000])
    assert tracker.missing == MAX_LISTED_GAPS + 49_998
    assert tracker.as_dict()["missing_sample"] == []
