import pytest
from influxdb_client import Point, WritePrecision

from hub.storage.line_protocol import line


@pytest.mark.parametrize(
    ("tags", "fields"),
    [
        ({"site": "zwolle", "station": "zwolle-plastic-1"}, {"weight_g": 214, "event_id": "abc"}),
        ({"a b": "c,d", "e=f": "g h"}, {"x y": 1.5, "s": 'quote " and \\ backslash'}),
        ({"site": "ommen"}, {"accepted": True, "items": -1, "confidence": 0.1 + 0.2}),
        ({}, {"only": 3}),
    ],
)
def test_matches_influxdb_client_serializer(tags: dict[str, str], fields: dict[str, object]) -> None:
    reference = Point("sorting event")
    for key, value in tags.items():
        reference = reference.tag(key, value)
    for key, value in fields.items():
        reference = reference.field(key, value)
    reference = reference.time(1_764_236_467_123_000_042, WritePrecision.NS)
    ours = line("sorting event", tags, fields, 1_764_236_467_123_000_042)  # type: ignore[arg-type]
    assert ours == reference.to_line_protocol()


def test_empty_tag_values_are_left_out_and_fields_required() -> None:
    assert line("m", {"a": "", "b": "x"}, {"f": 1}, 5) == "m,b=x f=1i 5"
    with pytest.raises(ValueError, match="field"):
        line("m", {"a": "x"}, {}, 5)
