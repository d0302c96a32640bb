"""The canary's counts from the stored events: per station and model version, shown suggestions and how many
were accepted, blind items and how many the sorter got to the hidden suggestion's label.

One InfluxQL query on the raw events of one site and stream, grouped by the tags hub/storage/points.py writes
(``station``, ``model_version``, ``suggested``, ``category``) and by ``shown``: a blind-check item carries the tag
``shown=false``; a point without that tag (stored before blind checks, or by a station that shows everything)
counts as shown. ``sum("items")`` counts an item +1 and its undo -1 (an undo carries the undone event's suggestion
and category), so an item taken back counts for nothing. *Accepted* and *correct* are both "the chosen category is
the suggested label", as the agreement view counts it (hub/storage/agreement.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from core.contract.topics import check_slug
from hub.fleet.canary import VersionCounts
from hub.storage.influx_v1 import InfluxV1
from hub.storage.points import MEASUREMENT, tag_value
from hub.storage.rollups import rfc3339


def counts_query(site: str, stream: str, start: datetime, end: datetime) -> str:
    # Site and stream are checked as slugs, so neither can close the quote and write InfluxQL of its own.
    return (
        f'SELECT sum("items") AS n FROM "{MEASUREMENT}" '  # noqa: S608
        f"WHERE time >= '{rfc3339(start)}' AND time < '{rfc3339(end)}' "
        f"AND \"site\" = '{check_slug(site, 'site')}' AND \"stream\" = '{check_slug(stream, 'stream')}' "
        'GROUP BY "station", "model_version", "suggested", "category", "shown"'
    )


def version_counts(
    store: InfluxV1, site: str, stream: str, versions: Collection[str], start: datetime, end: datetime
) -> dict[tuple[str, str], VersionCounts]:
    """(station, model version) -> counts, for the ``versions`` asked (as events report them), between ``start``
    and ``end``; raises InfluxError when the store does not answer."""
    wanted = {tag_value(v): v for v in versions}
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for series in store.query(counts_query(site, stream, start, end)):
        tags = series.get("tags", {})
        version = wanted.get(tags.get("model_version", ""))
        suggested = tags.get("suggested", "")
        if version is None or not suggested:
            continue
        n = int(series["values"][0][1] or 0)
        right = n if tags.get("category", "") == suggested else 0
        found = sums[(tags.get("station", ""), version)]
        if tags.get("shown", "") == "false":
            found[2] += n
            found[3] += right
        else:
            found[0] += n
            found[1] += right
    return {key: VersionCounts(*c) for key, c in sums.items()}
