"""A line recogniser's output made by hand, for the decoders of ``label_lexicon`` and ``code_lexicon``: each step says
how sure the recogniser is of which characters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Step = str | dict[str, float]  # a character read for sure, or how sure of each


def recogniser_output(charset: Sequence[str], steps: Sequence[Step]) -> npt.NDArray[np.float32]:
    """Each step a character (with the rest of its probability spread thinly over ``charset``, class 0 the CTC
    blank), then a blank step."""
    rows = []
    for step in steps:
        chances = {step: 0.98} if isinstance(step, str) else step
        row = np.full(len(charset), 1e-4, np.float32)
        for ch, p in chances.items():
            row[list(charset).index(ch)] = p
        rows += [row / row.sum(), np.eye(len(charset), dtype=np.float32)[0] * 0.98 + 0.02 / len(charset)]
    return np.stack(rows)
