"""One readable line per event of interest: time, level, process role, logger, message."""

from __future__ import annotations

import logging
import sys

LEVELS = ("debug", "info", "warning", "error")


def setup(level: str, role: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format=f"%(asctime)s %(levelname)-7s {role} %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    # paho and httpx are chatty at INFO; their trouble surfaces through our own warnings.
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def current_level() -> str:
    """The level the root logger runs at, for child processes to log at the same level."""
    return logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
