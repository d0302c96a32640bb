"""Reading server-sent events in tests (the kiosk's and the dashboard's streams), per the SSE format."""

from __future__ import annotations

from collections.abc import Iterator


def read_event(lines: Iterator[str]) -> dict[str, str] | None:
    """The next event's fields: field lines up to a blank line, comments (pings) skipped; None when the
    stream ends between events."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                return fields
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")
    assert not fields, f"stream ended inside an event: {fields}"
    return None


def next_event(lines: Iterator[str]) -> dict[str, str]:
    """The next event, which must come."""
    event = read_event(lines)
    assert event is not None, "the stream ended"
    return event
