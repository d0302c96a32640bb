"""InfluxDB line protocol, written by hand because it is the hub's hottest loop.

The format (InfluxDB 1.x "Line protocol reference"): ``measurement,tag=v,tag=v field=v,field=v timestamp``.
Measurement names escape commas and spaces; tag keys, tag values and field keys escape commas, equals
signs and spaces; string field values are double-quoted with ``"`` and ``\\`` escaped. Integers carry an
``i`` suffix. tests/unit/hub/storage/test_line_protocol.py checks this against influxdb-client's serializer.
"""

from __future__ import annotations

from collections.abc import Mapping

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
STRING_ESCAPES = str.maketrans({'"': r"\"", "\\": "\\\\"})
_STRING = STRING_ESCAPES

FieldValue = int | float | str | bool


def _field(value: FieldValue) -> str:
    # bool before int: bool is an int subclass in Python.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return f'"{value.translate(_STRING)}"'


def line(measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], timestamp_ns: int) -> str:
    """One point. Tags sorted by key, as InfluxDB recommends; fields sorted too, so output is canonical."""
    if not fields:
        raise ValueError("a point needs at least one field")
    head = measurement.translate(_MEASUREMENT)
    for key in sorted(tags):
        value = tags[key]
        if value:  # InfluxDB rejects empty tag values; an absent tag is the same as an empty one
            head += f",{key.translate(_KEY)}={value.translate(_KEY)}"
    body = ",".join(f"{k.translate(_KEY)}={_field(fields[k])}" for k in sorted(fields))
    return f"{head} {body} {timestamp_ns}"
