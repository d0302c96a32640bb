import base64
import stat
from pathlib import Path

import pytest

from core.contract.fleet import ModelManifest
from edge.vision.model_signing import (
    SignatureError,
    generate_keypair,
    load_private_key,
    load_public_key,
    sign,
    verify_manifest,
)


def manifest(signature: str = base64.b64encode(bytes(64)).decode(), **changes: object) -> ModelManifest:
    fields: dict[str, object] = {
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "stream": "plastic",
        "version": "plastic-2026.12.1",
        "sha256": "ab" * 32,
        "size_bytes": 1000,
        "url": "/api/models/plastic-2026.12.1.model.tar",
        "signature": signature,
        "issued_at": "2026-12-04T07:00:00.000Z",
    }
    fields.update(changes)
    return ModelManifest.model_validate(fields)


def test_a_signed_manifest_verifies_and_a_changed_one_does_not(tmp_path: Path) -> None:
    public = generate_keypair(tmp_path / "hub" / "signing.pem", tmp_path / "signing.pub.pem")
    assert stat.S_IMODE((tmp_path / "hub" / "signing.pem").stat().st_mode) == 0o600
    key = load_private_key(tmp_path / "hub" / "signing.pem")
    signed = manifest(sign(key, manifest().signed_message()))
    pinned = load_public_key((tmp_path / "signing.pub.pem").read_bytes())
    verify_manifest(pinned, signed)
    verify_manifest(public, signed.model_copy(update={"station": "zwolle-plastic-2"}))  # one signature per site
    for changed in ({"sha256": "cd" * 32}, {"size_bytes": 1001}, {"version": "other"}, {"stream": "textile"}):
        with pytest.raises(SignatureError):
            verify_manifest(pinned, signed.model_copy(update=changed))


def test_another_key_does_not_verify(tmp_path: Path) -> None:
    generate_keypair(tmp_path / "a.pem", tmp_path / "a.pub.pem")
    other = generate_keypair(tmp_path / "b.pem", tmp_path / "b.pub.pem")
    signed = manifest(sign(load_private_key(tmp_path / "a.pem"), manifest().signed_message()))
    with pytest.raises(SignatureError):
        verify_manifest(other, signed)


def test_a_key_is_never_overwritten_and_bad_keys_are_errors(tmp_path: Path) -> None:
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub.pem")
    with pytest.raises(FileExistsError):
        generate_keypair(tmp_path / "k.pem", tmp_path / "k2.pub.pem")
    with pytest.raises(SignatureError):
        load_public_key(b"not a key")
    (tmp_path / "junk.pem").write_text("junk")
    with pytest.raises(SignatureError):
        load_private_key(tmp_path / "junk.pem")
