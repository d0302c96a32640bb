import uuid
from datetime import UTC, datetime

from core.contract import Suggestion
from hub.storage.points import event_line, event_line_generic, timestamp_ns
from local_servers.fleet import make_event


def test_identity_comes_from_the_event_alone() -> None:
    event = make_event(42, when=datetime(2026, 11, 27, 9, 41, 7, 123000, tzinfo=UTC))
    assert timestamp_ns(event) == 1_795_772_467_123_000_042
    # A redelivery is the same event: the same line, so the same point.
    assert event_line(event) == event_line(event.model_copy())


def test_same_millisecond_different_seq_are_different_points() -> None:
    when = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert timestamp_ns(make_event(1, when=when)) != timestamp_ns(make_event(2, when=when))


def test_sorted_and_undo_lines() -> None:
    original = make_event(
        5, weight_kg=0.2145, suggestion=Suggestion(label="pp", confidence=0.8, model_version="m"), accepted=True
    )
    sorted_line = event_line(original)
    # The suggestion's model and label are tags (agreement is counted with GROUP BY), in sorted key order.
    assert sorted_line.startswith(
        "sorting_event,category=pp,model_version=m,site=zwolle,station=zwolle-plastic-1,stream=plastic,"
        "suggested=pp,type=sorted "
    )
    assert "weight_g=214i" in sorted_line or "weight_g=215i" in sorted_line
    assert "items=1i" in sorted_line and "accepted=true" in sorted_line
    undo = make_event(6, weight_kg=0.5, undoes=uuid.uuid4())
    undo_line = event_line(undo)
    assert "type=undo" in undo_line and "weight_g=-500i" in undo_line and "items=-1i" in undo_line
    # No event id or sequence number among the tags (bounded cardinality).
    tag_part = undo_line.split(" ", 1)[0]
    assert "event_id" not in tag_part and "seq" not in tag_part


def test_fast_line_equals_the_generic_serializer() -> None:
    events = [
        make_event(1),
        make_event(2, weight_kg=999.9994, category="residual"),
        make_event(
            3,
            suggestion=Suggestion(label="pet", confidence=0.123456789, model_version='v1 "quoted" \\ path'),
            accepted=False,
        ),
        make_event(4, suggestion=Suggestion(label="pp", confidence=1.0, model_version="m"), accepted=True),
        make_event(5, undoes=uuid.uuid4(), stream="textile", category="creme"),
        make_event(1_000_007, when=datetime(2026, 1, 1, tzinfo=UTC)),
        make_event(
            8,
            suggestion=Suggestion(label="pp", confidence=0.5, model_version="a,b c=d\\e\ttail\\"),
            accepted=False,
            category="pet",
            undoes=uuid.uuid4(),
        ),
        # Blind checks: the suggestion computed but not shown (accepted is null), sorted and undone.
        make_event(9, suggestion=Suggestion(label="pp", confidence=0.7, model_version="m", shown=False)),
        make_event(
            10,
            suggestion=Suggestion(label="pet", confidence=0.3, model_version="x y", shown=False),
            category="pp",
            undoes=uuid.uuid4(),
        ),
    ]
    for event in events:
        assert event_line(event) == event_line_generic(event)


def test_suggestion_tags_are_safe_line_protocol() -> None:
    event = make_event(9, suggestion=Suggestion(label="pp", confidence=0.5, model_version="v 1,x=2\\\n"), accepted=True)
    tags = event_line(event)
    # Comma, space and equals sign escaped; a backslash (InfluxDB 1.x cannot write one at a tag's end) and a
    # control character become "_".
    assert ",model_version=v\\ 1\\,x\\=2__," in tags
    assert ",suggested=pp,type=sorted " in tags
    assert "model_version=" not in tags.split(",type=sorted ", 1)[1]  # a tag, no longer a field
    no_suggestion = event_line(make_event(10)).split(" ", 1)[0]
    assert "model_version" not in no_suggestion and "suggested" not in no_suggestion


def test_a_blind_check_is_tagged_shown_false_without_accepted_and_a_shown_one_as_before() -> None:
    blind = make_event(
        11, category="pet", suggestion=Suggestion(label="pp", confidence=0.7, model_version="m", shown=False)
    )
    line = event_line(blind)
    assert line.startswith(
        "sorting_event,category=pet,model_version=m,shown=false,site=zwolle,station=zwolle-plastic-1,"
        "stream=plastic,suggested=pp,type=sorted "
    )
    assert "accepted=" not in line and "confidence=0.7," in line
    # A shown suggestion has no shown tag: the same point as before blind checks existed (v1 or v2 payload).
    shown = Suggestion(label="pp", confidence=0.7, model_version="m")
    v1 = make_event(12, suggestion=shown, accepted=True).model_copy(update={"schema_version": 1})
    v2 = make_event(12, suggestion=shown, accepted=True).model_copy(update={"event_id": v1.event_id})
    assert event_line(v1) == event_line(v2) and "shown" not in event_line(v2)
    assert "shown" not in event_line(make_event(13))
