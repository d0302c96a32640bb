"""Blind checks: the items whose suggestion the station computes and sends but does not show.

Sorters tend to take what is lit, so the acceptance rate of shown suggestions overstates a model's accuracy. On
a blind item the sorter chooses unprompted; comparing that choice with the hidden suggestion gives the model's
accuracy free of that bias (docs/fleet.md, "Blind checks"). Which items are blind is drawn per item from a
generator seeded from the operating system's randomness at start, so a sorter cannot predict them (no "every
20th item"); only the share is set (``vision.blind_share``).
"""

from __future__ import annotations

import random
import secrets


class BlindChecks:
    """Draws, per item, whether its suggestion is hidden; counts the items drawn and the blind ones."""

    def __init__(self, rng: random.Random | None = None) -> None:
        """``rng``: tests pass a seeded one; a station leaves it out (seeded from ``secrets``)."""
        self._random = rng if rng is not None else random.Random(secrets.randbits(128))
        self.items = 0
        self.blind = 0

    def draw(self, share: float) -> bool:
        """True for a blind item: with probability ``share`` (the config's current value, read per item)."""
        self.items += 1
        # One draw per item whatever the share, so a share changed remotely does not shift the sequence's meaning.
        hidden = self._random.random() < share
        if hidden:
            self.blind += 1
        return hidden
