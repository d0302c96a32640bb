"""The capture upload contract: ids that can become file names, bounded features, strict base64."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from core.contract.captures import (
    CAPTURE_ID_PATTERN,
    MAX_FEATURES,
    MAX_IMAGE_BYTES,
    CaptureMetadata,
    CaptureUpload,
    capture_path,
    is_capture_id,
    max_body_bytes,
)

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg, but the contract checks only bytes"


def meta(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "capture_id": str(uuid.uuid4()),
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "stream": "plastic",
        "label": "pp",
        "suggested": "pp",
        "shown": True,
        "accepted": True,
        "model_version": "plastic-1",
        "captured_at": "2026-03-02T12:00:00.000Z",
    }
    return values | overrides


def _canonical(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


@given(st.text(max_size=60))
def test_any_string_that_is_not_a_canonical_uuid_is_refused(text: str) -> None:
    if _canonical(text):
        return
    assert not is_capture_id(text)
    with pytest.raises(ValidationError):
        CaptureMetadata.model_validate(meta(capture_id=text))
    with pytest.raises(ValueError, match="not a capture id"):
        capture_path(text)


@given(st.uuids())
def test_every_canonical_uuid_is_a_capture_id(value: uuid.UUID) -> None:
    text = str(value)
    assert is_capture_id(text)
    assert CaptureMetadata.model_validate(meta(capture_id=text)).capture_id == text
    assert capture_path(text) == f"/api/captures/{text}"


# A fixed id: parameters must be the same in every collection (pytest-xdist's workers each collect the suite).
SOME_ID = "3f2b8c1e-7d4a-4e5f-9a6b-1c2d3e4f5a6b"


@pytest.mark.parametrize(
    "hostile",
    [
        "../x",
        "a/b",
        "%2e%2e",
        "..",
        "",
        SOME_ID.upper(),
        SOME_ID.replace("-", ""),
        "{" + SOME_ID + "}",
        SOME_ID + "\n",
        SOME_ID + "/../../etc",
        "\u0661" * 8 + "-1111-1111-1111-111111111111",  # Arabic-Indic digits are not [0-9]
    ],
)
def test_path_like_and_other_spellings_are_not_ids(hostile: str) -> None:
    assert not is_capture_id(hostile)
    assert re.fullmatch(CAPTURE_ID_PATTERN.strip("^$"), hostile) is None


@pytest.mark.parametrize("field", ["site", "station", "stream", "label", "suggested"])
@pytest.mark.parametrize("bad", ["..", "a/b", "A", "-x", "x" * 41, "x\n"])
def test_every_name_that_becomes_a_folder_is_a_slug(field: str, bad: str) -> None:
    with pytest.raises(ValidationError):
        CaptureMetadata.model_validate(meta(**{field: bad}))


def test_features_are_bounded_in_length_and_value() -> None:
    assert CaptureMetadata.model_validate(meta(features=[0.5] * 1280)).features == (0.5,) * 1280
    for bad in ([0.0] * (MAX_FEATURES + 1), [float("nan")], [float("inf")], [1e7], [True], ["1"]):
        with pytest.raises(ValidationError):
            CaptureMetadata.model_validate(meta(features=bad))
    for bad_json in ("[NaN]", "[Infinity]", "[1e400]"):
        text = (
            CaptureMetadata.model_validate(meta())
            .model_dump_json()
            .replace('"features":null', f'"features":{bad_json}')
        )
        with pytest.raises(ValidationError):
            CaptureMetadata.model_validate_json(text)


def test_shown_needs_a_suggestion_and_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="shown"):
        CaptureMetadata.model_validate(meta(suggested=None, shown=True))
    with pytest.raises(ValidationError, match="extra"):
        CaptureMetadata.model_validate(meta(path="/etc/passwd"))
    with pytest.raises(ValidationError):
        CaptureMetadata.model_validate(meta(captured_at="2026-03-02 12:00:00"))  # RFC 3339 only, with a zone


def test_upload_round_trips_as_json_with_strict_base64() -> None:
    upload = CaptureUpload(meta=CaptureMetadata.model_validate(meta()), image=JPEG)
    body = upload.model_dump_json()
    assert base64.b64encode(JPEG).decode() in body
    assert CaptureUpload.model_validate_json(body) == upload
    assert len(body) <= max_body_bytes()
    for bad in ("not base64!", base64.b64encode(JPEG).decode()[:-2], "A" * (4 * (MAX_IMAGE_BYTES // 3 + 2))):
        with pytest.raises(ValidationError):
            CaptureUpload.model_validate({"meta": meta(), "image": bad})


def test_the_largest_upload_fits_the_body_bound() -> None:
    features = [-123456.78901234567] * MAX_FEATURES
    largest = CaptureUpload(
        meta=CaptureMetadata.model_validate(meta(features=features, model_version="m" * 64)),
        image=b"\xff" * MAX_IMAGE_BYTES,
    )
    assert len(largest.model_dump_json()) <= max_body_bytes()
