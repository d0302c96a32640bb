"""PUT /api/captures/{id} and GET /api/captures/counts: every refusal, and nothing written outside the folder."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from config.captures import CaptureUploadSettings
from core.contract.captures import CaptureUpload, capture_path
from hub.api.app import create_app
from hub.api.deps import HubState, current_user
from hub.auth.principal import Principal, Role
from hub.captures.tokens import StaticTokens, StationIdentity
from hub.captures.uploads import CaptureUploads
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from tests.unit.hub.captures.conftest import capture_meta, jpeg

TOKEN_A = "token-of-station-a"
TOKEN_B = "token-of-station-b"
TOKENS = {
    TOKEN_A: StationIdentity("zwolle-plastic-1", "zwolle"),
    TOKEN_B: StationIdentity("deventer-plastic-1", "deventer"),
}


class Hub:
    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.root = tmp_path
        self.folder = tmp_path / "captures"
        self.metrics = IngestMetrics()
        values: dict[str, Any] = {"folder": self.folder}
        self.uploads = CaptureUploads(
            CaptureUploadSettings.model_validate(values | settings), StaticTokens(TOKENS), self.metrics.registry
        )
        state = HubState(
            cast(InfluxV1, None), cast(LiveStations, None), DeadLetters(), self.metrics, captures=self.uploads
        )
        self.app = create_app(state)
        self.client = TestClient(self.app)

    def put(self, capture_id: str, body: bytes | str, token: str | None = TOKEN_A, **headers: str) -> Any:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        headers.setdefault("Content-Type", "application/json")
        return self.client.put(f"/api/captures/{capture_id}", content=body, headers=headers)

    def refused(self, reason: str) -> float:
        value = self.metrics.registry.get_sample_value("sortcentre_captures_refused_total", {"reason": reason})
        return value or 0.0

    def files(self) -> list[Path]:
        return sorted(p.relative_to(self.root) for p in self.root.rglob("*") if p.is_file())


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    instance = Hub(tmp_path)
    with instance.client:
        yield instance


def body(meta: Any = None, image: bytes | None = None) -> str:
    return CaptureUpload(meta=meta or capture_meta(), image=image if image is not None else jpeg()).model_dump_json()


def test_an_upload_is_stored_then_answered_as_unchanged(hub: Hub) -> None:
    meta = capture_meta()
    first = hub.put(meta.capture_id, body(meta))
    assert first.status_code == 201, first.text
    assert first.json() == {"capture_id": meta.capture_id, "stored": "created"}
    stored = hub.files()
    assert stored == [
        Path("captures/zwolle/plastic/pp") / f"{meta.capture_id}.jpg",
        Path("captures/zwolle/plastic/pp") / f"{meta.capture_id}.json",
    ]
    again = hub.put(meta.capture_id, body(meta))
    assert again.status_code == 200
    assert again.json()["stored"] == "unchanged"
    assert hub.files() == stored
    conflict = hub.put(meta.capture_id, body(meta, jpeg(7)))
    assert conflict.status_code == 409
    assert hub.refused("conflict") == 1
    assert (hub.folder / "zwolle/plastic/pp" / f"{meta.capture_id}.jpg").read_bytes() == jpeg()


@pytest.mark.parametrize(("token", "reason"), [(None, "no_token"), ("", "no_token"), ("not-a-token", "unknown_token")])
def test_no_or_unknown_token_is_401(hub: Hub, token: str | None, reason: str) -> None:
    meta = capture_meta()
    headers = {"Authorization": "Basic dXNlcjpwYXNz"} if token == "" else {}
    answer = hub.put(meta.capture_id, body(meta), token=token or None, **headers)
    assert answer.status_code == 401
    assert hub.refused(reason) == 1
    assert hub.files() == []


def test_another_stations_token_or_site_is_403(hub: Hub) -> None:
    meta = capture_meta()  # says zwolle-plastic-1 at zwolle
    answer = hub.put(meta.capture_id, body(meta), token=TOKEN_B)
    assert answer.status_code == 403
    assert answer.json()["reason"] == "wrong_station"
    wrong_site = capture_meta(site="deventer")  # station A's id, another site
    assert hub.put(wrong_site.capture_id, body(wrong_site)).status_code == 403
    assert (hub.refused("wrong_station"), hub.refused("wrong_site")) == (1, 1)
    assert hub.files() == []


@pytest.mark.parametrize(
    "hostile",
    [
        "..%2F..%2Fescaped",
        "%2e%2e",
        "%2E%2E%2Fx",
        "a/b",
        "a%2Fb",
        "..%5C..%5Cescaped",
        "x",
        "%00",
        "0190A3B2-0000-7000-8000-000000000001",  # upper case: a second spelling of an id
        "0190a3b2000070008000000000000001",
    ],
)
def test_a_path_like_id_is_400_and_nothing_is_written_anywhere(hub: Hub, hostile: str) -> None:
    meta = capture_meta()
    answer = hub.client.put(
        f"/api/captures/{hostile}",
        content=body(meta),
        headers={"Authorization": f"Bearer {TOKEN_A}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, (hostile, answer.status_code, answer.text)
    assert answer.json()["reason"] == "bad_id"
    assert hub.refused("bad_id") == 1
    assert hub.files() == []  # the whole tmp tree: not in the folder, not beside it


def test_raw_dot_dot_segments_never_reach_a_file(hub: Hub) -> None:
    """``../x`` sent as is: whatever the client or server makes of the dots, nothing is written."""
    meta = capture_meta()
    for raw in ("/api/captures/../x", "/api/captures/../../etc/x", f"/api/captures/{meta.capture_id}/../x"):
        answer = hub.client.put(raw, content=body(meta), headers={"Authorization": f"Bearer {TOKEN_A}"})
        assert 400 <= answer.status_code < 500, (raw, answer.status_code)
    assert hub.files() == []


def test_the_metadatas_id_must_be_the_urls(hub: Hub) -> None:
    meta = capture_meta()
    answer = hub.put(str(uuid.uuid4()), body(meta))
    assert answer.status_code == 400
    assert answer.json()["reason"] == "id_mismatch"
    assert hub.files() == []


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"not json",
        b"[]",
        b'{"meta": {}, "image": ""}',
        b"{" * 10_000,
    ],
)
def test_a_body_the_contract_refuses_is_400(hub: Hub, bad: bytes) -> None:
    answer = hub.put(str(uuid.uuid4()), bad)
    assert answer.status_code == 400
    assert answer.json()["reason"] == "bad_body"
    assert hub.files() == []


def test_a_hostile_label_or_site_in_the_metadata_is_400(hub: Hub) -> None:
    meta = capture_meta()
    raw = json.loads(body(meta))
    for field, value in (("label", "../../x"), ("stream", "a/b"), ("site", "..")):
        hostile = json.loads(json.dumps(raw))
        hostile["meta"][field] = value
        assert hub.put(meta.capture_id, json.dumps(hostile)).status_code == 400
    assert hub.refused("bad_body") == 3
    assert hub.files() == []


@pytest.mark.parametrize(
    "image", [b"GIF89a not a jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, jpeg()[: len(jpeg()) // 3]]
)
def test_an_image_that_is_not_a_jpeg_is_400(hub: Hub, image: bytes) -> None:
    meta = capture_meta()
    answer = hub.put(meta.capture_id, body(meta, image))
    assert answer.status_code == 400
    assert answer.json()["reason"] == "not_jpeg"
    assert hub.files() == []


def test_a_jpeg_that_claims_a_huge_size_is_refused_before_a_full_decode(hub: Hub) -> None:
    meta = capture_meta()
    big = jpeg(size=(8, 9000))  # small file, 9000 pixels wide
    assert hub.put(meta.capture_id, body(meta, big)).status_code == 400
    assert hub.refused("not_jpeg") == 1


def test_a_body_over_the_limit_is_413_before_it_is_read_whole(tmp_path: Path) -> None:
    hub = Hub(tmp_path, max_image_bytes=4096, max_meta_bytes=1024)
    meta = capture_meta()
    limit = hub.uploads.max_body_bytes
    # By its Content-Length: refused before a byte is read.
    declared = hub.put(meta.capture_id, b"x" * (limit + 1))
    assert declared.status_code == 413
    # Chunked, without a length: refused as soon as the chunks pass the bound.
    read: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(1000):
            read.append(1)
            yield b"x" * 1024

    streamed = hub.client.put(
        f"/api/captures/{meta.capture_id}",
        content=chunks(),
        headers={"Authorization": f"Bearer {TOKEN_A}", "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert hub.refused("too_large") == 2
    # An image over this hub's own limit (below the contract's) within a body that fits.
    small_meta = capture_meta(features=None)
    oversize = b"\xff\xd8\xff" + b"\x00" * 4094
    assert len(body(small_meta, oversize)) <= limit
    assert hub.put(small_meta.capture_id, body(small_meta, oversize)).status_code == 413
    assert hub.files() == []


def test_uploads_over_the_rate_get_429_with_retry_after(tmp_path: Path) -> None:
    hub = Hub(tmp_path, uploads_per_minute=1, burst=2)
    answers = []
    for _ in range(3):
        meta = capture_meta()
        answers.append(hub.put(meta.capture_id, body(meta)))
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert hub.refused("rate_limited") == 1
    # Each station has its own bucket.
    other = capture_meta(site="deventer", station="deventer-plastic-1")
    assert hub.put(other.capture_id, body(other), token=TOKEN_B).status_code == 201


def test_counts_are_scoped_to_the_users_sites(hub: Hub) -> None:
    for label in ("pp", "pp", "pet"):
        meta = capture_meta(label=label)
        assert hub.put(meta.capture_id, body(meta)).status_code == 201
    other = capture_meta(site="deventer", station="deventer-plastic-1")
    assert hub.put(other.capture_id, body(other), token=TOKEN_B).status_code == 201

    assert hub.client.get("/api/captures/counts").status_code == 401  # no login
    hub.app.dependency_overrides[current_user] = lambda: Principal("ann", Role.ADMIN)
    everything = hub.client.get("/api/captures/counts").json()
    assert everything["total"] == 4
    assert {"site": "zwolle", "stream": "plastic", "label": "pp", "count": 2} in everything["counts"]

    hub.app.dependency_overrides[current_user] = lambda: Principal("sam", Role.SUPERVISOR, frozenset({"deventer"}))
    own = hub.client.get("/api/captures/counts").json()
    assert own == {"counts": [{"site": "deventer", "stream": "plastic", "label": "pp", "count": 1}], "total": 1}
    assert hub.client.get("/api/captures/counts", params={"site": "zwolle"}).status_code == 403


def test_refusals_show_on_metrics_and_a_hub_without_captures_answers_503(hub: Hub, tmp_path: Path) -> None:
    hub.put(str(uuid.uuid4()), body(), token="nope")
    assert hub.refused("unknown_token") == 1
    state = HubState(cast(InfluxV1, None), cast(LiveStations, None), DeadLetters(), IngestMetrics())
    bare = TestClient(create_app(state))
    meta = capture_meta()
    assert bare.put(capture_path(meta.capture_id), content=body(meta)).status_code == 503


def test_the_upload_body_is_plain_json_with_base64(hub: Hub) -> None:
    """What docs/fleet.md shows, by hand: any HTTP client can upload."""
    meta = capture_meta(features=None)
    document = {"meta": json.loads(meta.model_dump_json()), "image": base64.b64encode(jpeg()).decode()}
    assert hub.put(meta.capture_id, json.dumps(document)).status_code == 201
