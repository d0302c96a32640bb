"""Decode a plastic marking's OCR line against the ISO 11469 codes: the code look of ``MarkingOcr.read``.

A code moulded into an item's wall (``>PE-HD<``) shows only by its edges, and the recogniser reads the thin angle
brackets as whatever letter they look like under the light (``SPE-HD-``, ``VPETE``, ``>PONK``, ``SPAGS``) and often
one letter of the code as another (``>RETK`` for ``>PET<``). The parser (``markings.plastics``) restores brackets read
as S, C, E or A, and only where the code between them is read whole; the rest gave no answer. The recogniser's output
holds more than its greedy reading: the probability of each code, summed over all its CTC alignments
(``edge.vision.ctc``), with the first and the last character taken as any of the characters brackets are read as
(``OPENING_MARKS``, ``CLOSING_MARKS``, either case). ``IsoCodeLexicon.decode`` gives ``>CODE<`` for a line only when,
precision first:

* the greedy reading is one token of at most ``LONGEST`` characters (a sentence or a lot number is no code);
* the best code is at least ``DOMINANCE`` (natural log: 20 times) more probable than the best code of another polymer;
* it loses at most ``SLACK`` against the greedy reading's own probability (a line read confidently as something else
  stays so);
* the greedy reading, less a bracket-like first and last character, is within ``MAX_SLIPS`` character of the code
  (hyphens aside), and a two-letter code is read exactly (``PE`` is one slip from ``PP``, ``PS``, ``PA`` and ``PC``);
* the code is one of ``ANSWERING``: the codes common on the items a centre sorts. The other codes the parser knows
  (``COMPETING``) compete for the line but are never its answer: rare, short codes (``SAN``, ``PLA``) are what noise
  decodes to most easily, and a generic ``PE`` says too little.

The decoded line then goes through the same parser as any other. The look is taken only for a plastic frame that
neither the frame nor its relief image answered. The thresholds were set on tuning frames
(``scripts/render_triangle_training.py --codes``); docs/vision.md, "A code look", gives the figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from edge.vision.ctc import Spellings, greedy_path, log_likelihood, log_likelihoods
from edge.vision.markings.normalise import edit_distance
from edge.vision.markings.plastics import read_polymer

# The characters the recogniser reads a moulded code's opening and closing bracket as, besides the brackets: the
# parser's own bracket stand-ins and the letters and digits the tuning frames showed (``>`` as V, Y, 2; ``<`` as K,
# 3, 4, G).
OPENING_MARKS = "<>‹›«»([{/\\|-KXSCEAVY2"
CLOSING_MARKS = "<>‹›«»)]}/\\|-KXSCEA34G"
ANSWERING: tuple[str, ...] = (
    "PP",
    "PE-HD",
    "PE-LD",
    "HDPE",
    "LDPE",
    "PET",
    "PETE",
    "PS",
    "PS-HI",
    "EPS",
    "PVC",
    "ABS",
    "PC",
    "PA",
    "PA6",
    "PA66",
    "PMMA",
    "PC+ABS",
    "POM",
    "PP-T20",
    "PP-T40",
    "PP-GF30",
    "PA6-GF30",
    "PA66-GF30",
)
COMPETING: tuple[str, ...] = (
    "PE",
    "PE-LLD",
    "PP+EPDM",
    "PBT",
    "PBT-GF30",
    "PLA",
    "PUR",
    "TPE",
    "SAN",
    "ASA",
    "PPS",
    "PEEK",
)
DOMINANCE = 3.0  # log-odds of the best code over the best code of another polymer
SLACK = 4.0  # log-probability the code may lose against the greedy reading
MAX_SLIPS = 1  # characters the greedy reading's inside may differ from a code of three or more
LONGEST = 14  # characters: a longer token is no code


class IsoCodeLexicon:
    """The ISO 11469 codes spelled in one recogniser's classes (``charset[k]`` is class k, 0 the CTC blank)."""

    def __init__(self, charset: Sequence[str]) -> None:
        self.codes: tuple[str, ...] = ANSWERING + COMPETING
        self.polymers: dict[str, str] = {}
        for code in self.codes:
            reading = read_polymer([f">{code}<"])
            if reading is None:
                msg = f"the plastics parser reads no polymer in >{code}<"
                raise ValueError(msg)
            self.polymers[code] = reading.polymer
        self._charset = list(charset)
        # Each class of the decoding but the blank sums recogniser classes: the opening marks, the closing marks,
        # and each character of the codes in either case.
        columns = {"open": set(OPENING_MARKS), "close": set(CLOSING_MARKS)}
        columns |= {ch: {ch} for ch in sorted({ch for code in self.codes for ch in code})}
        self._columns = list(columns)
        gather = np.zeros((len(self._charset), len(columns)), np.float32)
        for k, ch in enumerate(self._charset):
            for c, members in enumerate(columns.values()):
                if ch and (ch in members or ch.upper() in members):
                    gather[k, c] = 1.0
        self._gather = gather
        place = {name: c + 1 for c, name in enumerate(self._columns)}  # column 0 stays the CTC blank
        self._spellings = Spellings.of(
            [[place["open"], *(place[ch] for ch in code), place["close"]] for code in self.codes]
        )

    def decode(self, probs: npt.NDArray[np.float32]) -> str | None:
        """``>CODE<`` for one line's recogniser output (steps x classes, masked to the script read), or None."""
        path, _ = greedy_path(probs)
        greedy = "".join(self._charset[int(k)] for k in path if int(k) < len(self._charset)).strip()
        if not greedy or " " in greedy or len(greedy) > LONGEST:
            return None
        scores = log_likelihoods(np.concatenate([probs[:, :1], probs @ self._gather], axis=1), self._spellings)
        order = np.argsort(-scores)
        best = self.codes[int(order[0])]
        rival = next((int(k) for k in order[1:] if self.polymers[self.codes[int(k)]] != self.polymers[best]), None)
        rival_score = scores[rival] if rival is not None else -np.inf
        if best not in ANSWERING or scores[order[0]] - rival_score < DOMINANCE:
            return None
        if log_likelihood(probs, [int(k) for k in path]) - scores[order[0]] > SLACK:
            return None
        inside = greedy.upper()
        inside = inside[1:] if inside[:1] and inside[0] in OPENING_MARKS else inside
        inside = inside[:-1] if inside[-1:] and inside[-1] in CLOSING_MARKS else inside
        letters = best.replace("-", "")
        if edit_distance(inside.replace("-", ""), letters) > (0 if len(letters) <= 2 else MAX_SLIPS):
            return None
        return f">{best}<"
