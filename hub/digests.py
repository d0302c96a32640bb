"""What the hub stores instead of a secret it hands out: the SHA-256 of a random token, API key or broker password.

Such secrets are long and random, so one unsalted hash is enough to make a leaked table useless (a person's chosen
password is another matter: argon2id, hub/auth/passwords.py)."""

from __future__ import annotations

import hashlib


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
