"""Ed25519 signatures of model manifests (docs/fleet.md, "Keys").

The hub holds the private key in a file only it reads; every station pins the public key in its own config. The
hub signs ``ModelManifest.signed_message()`` (stream, version, sha256 and size of the bundle); a station runs a
downloaded model only if the signature verifies with its pinned key and the file's size and sha256 match.
Keys are stored as PEM (PKCS#8 private, SubjectPublicKeyInfo public), the formats ``openssl`` also reads.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.contract.fleet import ModelManifest


class SignatureError(Exception):
    """A signature that does not verify, or a key that cannot be read."""


def generate_keypair(private_path: Path, public_path: Path) -> Ed25519PublicKey:
    """Make a new key pair; the private file is created readable by its owner only (and never overwritten)."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem)
    public = key.public_key()
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(public_pem(public))
    return public


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError("the public key is not Ed25519")
    return key


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """The signature of ``message`` as the manifest carries it: standard base64."""
    return base64.b64encode(key.sign(message)).decode()


def verify_manifest(key: Ed25519PublicKey, manifest: ModelManifest) -> None:
    """Raise :class:`SignatureError` unless ``manifest.signature`` is ``key``'s over ``signed_message()``."""
    try:
        key.verify(base64.b64decode(manifest.signature, validate=True), manifest.signed_message())
    except (InvalidSignature, binascii.Error) as exc:
        raise SignatureError(f"model {manifest.version}: the signature does not verify with the pinned key") from exc
