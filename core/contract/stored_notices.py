"""Hub to hub: what one hub instance stored, for the live views of the others (wire contract v1).

Several hubs that share one JetStream consumer (docs/broker.md) each store a share of the events. A hub's live
views (today's totals, the 15-minute window, each station's last event and its sequence numbers) used to see
only its own share, so every hub reported the other hubs' events as gaps. After storing a batch a hub publishes
a :class:`StoredNotice` on :data:`STORED_TOPIC`; every hub applies the others' notices as if it had stored the
batch itself. Only hub accounts may read or write the topic (it lies under the root, outside every station's
own topics, and ``_hubs`` is not a slug, so no site can be named so).

A notice is compact: per station its site, id and the stored event with the highest sequence number (the
"last event" a live view shows, as the station sent it), and per stored event only what the live views
count: ``[station index, seq, stream, category, grams, items, station ms]``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.contract.topics import PREFIX, SLUG_PATTERN

STORED_TOPIC = f"{PREFIX}/_hubs/stored"
# Events in one notice at most: a batch of more (batch_max_events goes to 100,000) is split into several.
MAX_NOTICE_EVENTS = 2000
# A notice of MAX_NOTICE_EVENTS events and as many stations is about 600 KB; anything larger is refused unread.
MAX_NOTICE_BYTES = 1_000_000

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# [station index, seq, stream, category, grams, items, station time in ms since the epoch]
StoredRow = tuple[
    Annotated[int, Field(ge=0, lt=MAX_NOTICE_EVENTS)],
    Annotated[int, Field(ge=1)],
    Name,
    Name,
    int,
    Annotated[int, Field(ge=-1, le=1)],  # 1, or -1 for an undo
    int,
]


class NoticeStation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    site: Slug
    station: Slug
    latest: Annotated[str, StringConstraints(max_length=64_000)]  # the event JSON, decoded with the contract


class StoredNotice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = 1
    hub: Name  # the sending hub's client id: a hub skips its own notices
    stations: list[NoticeStation] = Field(max_length=MAX_NOTICE_EVENTS)
    events: list[StoredRow] = Field(max_length=MAX_NOTICE_EVENTS)
