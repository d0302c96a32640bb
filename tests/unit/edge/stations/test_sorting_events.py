"""The sorting and undo events a station builds for the wire contract."""

import uuid
from datetime import datetime

import pytest
from pydantic import ValidationError

from config.station import Identity
from core.contract import EventType, Suggestion
from edge.stations.sorting_events import sorted_event, undo_event

IDENT = Identity(id="zwolle-plastic-1", site="zwolle", stream="plastic")
BOOT = uuid.uuid4()
PET = Suggestion(label="pet", confidence=0.9, model_version="m1")


def test_a_sorted_event_carries_the_station_the_item_and_the_journal_sequence() -> None:
    event = sorted_event(IDENT, BOOT, 7, "pp", 0.25, None)
    assert event.type is EventType.SORTED and event.undoes is None
    assert (event.site, event.station, event.stream) == ("zwolle", "zwolle-plastic-1", "plastic")
    assert (event.category, event.weight_kg, event.seq, event.boot_id) == ("pp", 0.25, 7, BOOT)
    assert event.station_time.tzinfo is not None


@pytest.mark.parametrize(
    ("suggestion", "category", "accepted"),
    [
        (None, "pet", None),
        (PET, "pet", True),
        (PET, "pp", False),
        (PET.model_copy(update={"shown": False}), "pet", None),  # a blind check: nothing was offered to accept
    ],
)
def test_accepted_means_the_sorter_chose_the_suggested_label(
    suggestion: Suggestion | None, category: str, accepted: bool | None
) -> None:
    event = sorted_event(IDENT, BOOT, 1, category, 0.4, suggestion)
    assert (event.suggestion, event.accepted) == (suggestion, accepted)


def test_an_undo_carries_the_original_item_and_names_it() -> None:
    original = sorted_event(IDENT, BOOT, 3, "pet", 0.4, PET)
    later_boot = uuid.uuid4()
    undo = undo_event(original, later_boot, 4)
    assert undo.type is EventType.UNDO and undo.undoes == original.event_id
    assert undo.event_id != original.event_id and (undo.seq, undo.boot_id) == (4, later_boot)
    assert (undo.category, undo.weight_kg, undo.suggestion, undo.accepted) == ("pet", 0.4, PET, True)


def test_an_event_the_contract_refuses_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("edge.stations.sorting_events.now_utc_ms", lambda: datetime(1969, 12, 31, 23, 59))
    with pytest.raises(ValidationError):
        sorted_event(IDENT, BOOT, 1, "pp", 0.25, None)
