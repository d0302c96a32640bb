"""Decode a care label's OCR line against the label's vocabulary: the lexicon look of ``MarkingOcr.read``.

Woven letters, squared off by the thread grid, come out of the recogniser's greedy decoding as near-words
(``acr111c0``, ``vi9co98``, ``1005t priester``) that no text rule can undo safely. The recogniser's output holds more
than its greedy reading: for every word of the line, the probability of each fibre name, part header, qualifier and
percentage can be summed over all its CTC alignments (``edge.vision.ctc``). ``LabelLexicon.decode`` replaces a word
of the greedy reading with the vocabulary term that the recogniser itself supports, precision first:

* **Words** are the greedy reading's runs between separators (space ``/ - , : | ( ) . ;``). A word whose reading
  switches between digits and letters (``95%mer1nwool``, ``woo]90%caslimere10%``) may be cut there: every way of
  cutting it at such switches is tried, each piece decoded alone, and the cutting with the highest probability wins.
* **Terms**: the one-word terms of ``fibres.label_vocabulary`` (fibre names in every label language, part headers,
  qualifiers, titles, exclusions), ``N%`` and ``N`` for N from 1 to 100. Case and accents are summed together: the
  recogniser's ``A``, ``a`` and ``á`` are one letter here.
* **A piece is replaced** only when its best term is at least ``DOMINANCE`` (in natural log: 20 times) more probable
  than the best term that means something else: ``36%poliamlda`` stays as read when 30 % is nearly as probable as 36 %,
  and ``lera`` when ``len`` (linen) and ``lana`` (wool) are close.
* **A word is replaced** only when the terms together are within ``SLACK`` of the greedy reading's own probability,
  and within ``PER_SLIP`` per character they change: a washing line's ``wash`` is no ``wool``, and a word the
  recogniser read confidently (``ratio``) does not become a fibre one letter away (``ramio``, ramie).
* A word of fewer than three characters becomes a number or stays as it is (``in`` is no ``lin``, linen); a word with a
  degree sign or a star stays as it is (``30°c`` is a temperature).

* **Percentages left open** (``segments``, ``NumberSlot``): a piece read best as a percentage also offers its other
  readings as a percentage the recogniser supports, for the sum look (``MarkingOcr._read_by_sums``): the parts of a
  label must add up to 100, which often settles a digit the recogniser alone does not (``78%`` / ``38%`` for 70 / 30).

The decoded line then goes through the same parser as any other (every part must add up to 100), and the look is
taken only for a label that no other look read. The thresholds were set on the tuning labels
(``scripts/render_label_tuning.py``); docs/vision.md, "A lexicon look", gives the figures.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.vision.ctc import Spellings, greedy_path, log_likelihood, log_likelihoods
from edge.vision.markings.fibres import label_vocabulary
from edge.vision.markings.normalise import edit_distance, fold_accents

DOMINANCE = 3.0  # log-odds of the best term over the best term of another meaning (e^3: 20 times)
SLACK = 16.0  # log-probability the terms of a word may lose against the greedy reading
PER_SLIP = 4.0  # ... per character changed (edit distance)
SEPARATORS = frozenset(" /-,:|().;")
KEPT_AS_READ = frozenset("°*'\"")  # a word with one of these is left as read (a temperature, a footnote)
ALPHABET = ("", *"abcdefghijklmnopqrstuvwxyz0123456789%")  # "" is the CTC blank
MIN_WORD = 3  # shorter words only ever become numbers
ALTERNATIVE_SPAN = 6.0  # a percentage's other readings offered to the sum look: at most this much less probable
MAX_ALTERNATIVES = 4  # ... and at most this many of them, the most probable first
LENGTH_GROUPS = (1, 5, 8, 11, 15, 64)  # terms are scored in groups of these lengths [low, high)
NUMBER_TERMS: Mapping[str, str] = {f"{n}%": f"number:{n}" for n in range(1, 101)} | {
    str(n): f"number:{n}" for n in range(1, 101)
}


def _folded(ch: str) -> str | None:
    """``ch`` as a letter of ``ALPHABET`` (case and accents dropped), or None."""
    plain = fold_accents(ch).lower()
    return plain if len(plain) == 1 and plain in ALPHABET[1:] else None


@dataclass(frozen=True)
class _Vocabulary:
    terms: tuple[str, ...]  # shortest first
    meanings: tuple[str, ...]
    groups: tuple[Spellings, ...]  # the terms in order, in groups of similar length (less padding to sum over)

    @classmethod
    def of(cls, terms: Mapping[str, str]) -> _Vocabulary:
        index = {letter: k for k, letter in enumerate(ALPHABET)}
        words = sorted((term for term in terms if term and all(ch in index for ch in term)), key=lambda w: (len(w), w))
        groups = [
            [word for word in words if low <= len(word) < high] for low, high in itertools.pairwise(LENGTH_GROUPS)
        ]
        return cls(
            tuple(words),
            tuple(terms[word] for word in words),
            tuple(Spellings.of([[index[ch] for ch in word] for word in group]) for group in groups if group),
        )

    def scores(self, probs: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Each term's log-probability over these steps, in the order of ``terms``."""
        return np.concatenate([log_likelihoods(probs, group) for group in self.groups])

    def best(self, scores: npt.NDArray[np.float64]) -> tuple[str, float, float]:
        """The most probable term of ``scores``, its log-probability, and that of the best term meaning anything
        else."""
        first = int(np.argmax(scores))
        others = np.array([meaning != self.meanings[first] for meaning in self.meanings])
        rival = float(scores[others].max()) if others.any() else -np.inf
        return self.terms[first], float(scores[first]), rival


@dataclass(frozen=True)
class NumberSlot:
    """A percentage in a decoded line that the recogniser does not settle alone: ``text`` as ``LabelLexicon.decode``
    gives it, and the percentages the recogniser supports there (``N%``), each with its log-probability below the
    most probable one (0 first). The sum look (``MarkingOcr``) lets the label's parts, which must add up to 100,
    choose among them."""

    text: str
    options: tuple[tuple[str, float], ...]


Segment = str | NumberSlot


def segment_text(part: Segment) -> str:
    """A segment as ``LabelLexicon.decode`` spells it."""
    return part if isinstance(part, str) else part.text


@dataclass(frozen=True)
class _Piece:
    term: str
    score: float
    rival: float
    start: int  # steps [start, end) of the line
    end: int
    percentages: tuple[tuple[str, float], ...] = ()  # for a piece read best as a percentage: its readings


class LabelLexicon:
    """Decodes the recogniser's output for a care-label line against the label vocabulary (see the module)."""

    def __init__(self, charset: Sequence[str]) -> None:
        self._charset = list(charset)
        # Each recogniser class summed into its folded letter; classes of no letter here go to a last column.
        self._fold = np.zeros((len(charset), len(ALPHABET) + 1), np.float32)
        for k, ch in enumerate(charset):
            letter = "" if k == 0 else _folded(ch)
            self._fold[k, ALPHABET.index(letter) if letter is not None else len(ALPHABET)] = 1.0
        self._words = _Vocabulary.of(label_vocabulary())
        self._numbers = _Vocabulary.of(NUMBER_TERMS)

    def decode(self, probs: npt.NDArray[np.float32]) -> str:
        """The line ``probs`` (steps x classes, masked as the caller decodes) spells, its words decoded against the
        vocabulary where the recogniser supports a term well enough, the rest as the greedy reading."""
        return "".join(segment_text(part) for part in self.segments(probs))

    def segments(self, probs: npt.NDArray[np.float32]) -> list[Segment]:
        """The line as ``decode`` reads it, with each percentage as a ``NumberSlot``: the readings of it the
        recogniser supports, for the sum look to choose among."""
        classes, steps = greedy_path(probs)
        chars = [self._charset[int(k)] if int(k) < len(self._charset) else "" for k in classes]
        folded = probs @ self._fold
        out: list[Segment] = []
        i = 0
        while i < len(chars):
            if chars[i] in SEPARATORS:
                out.append(chars[i])
                i += 1
                continue
            j = i
            while j < len(chars) and chars[j] not in SEPARATORS:
                j += 1
            start = int(steps[i - 1]) + 1 if i else 0
            end = int(steps[j]) if j < len(chars) else probs.shape[0]
            word = _Word("".join(chars[i:j]), [int(k) for k in classes[i:j]], [int(s) - start for s in steps[i:j]])
            out += self._word(word, probs[start:end], folded[start:end])
            i = j
        return out

    def _word(self, word: _Word, probs: npt.NDArray[np.float32], folded: npt.NDArray[np.float32]) -> list[Segment]:
        """One word of the line: its terms, or the word as read; its percentages as slots either way."""
        text = word.text
        if any(ch in KEPT_AS_READ for ch in text) or sum(ch.isalnum() for ch in text) < 2 or probs.shape[0] < 2:
            return [text]
        pieces = self._cut(word, folded)
        if pieces is None:
            return [text]
        as_read = [word.read_between(piece.start, piece.end) for piece in pieces]
        kept = [piece.score - piece.rival >= DOMINANCE for piece in pieces]
        decoded = [piece.term if keep else read for piece, keep, read in zip(pieces, kept, as_read, strict=True)]
        if self._takes_terms(word, probs, pieces, kept, " ".join(decoded)):
            texts, gap = decoded, " "
        else:
            texts, gap = as_read, ""
        out: list[Segment] = []
        for k, (piece, piece_text) in enumerate(zip(pieces, texts, strict=True)):
            if k and gap:
                out.append(gap)
            open_number = piece.percentages and self._close_to_reading(word, probs, piece)
            out.append(NumberSlot(piece_text, piece.percentages) if open_number else piece_text)
        return out

    @staticmethod
    def _close_to_reading(word: _Word, probs: npt.NDArray[np.float32], piece: _Piece) -> bool:
        """Whether ``piece``'s most probable term is as near the greedy reading of its steps as a word's terms must be
        (``SLACK``, ``PER_SLIP``): ``4471`` is no ``47%``."""
        read = word.read_between(piece.start, piece.end)
        classes = [k for k, step in zip(word.classes, word.steps, strict=True) if piece.start <= step < piece.end]
        loss = log_likelihood(probs[piece.start : piece.end], classes) - piece.score
        slips = max(1, edit_distance("".join(_folded(ch) or "?" for ch in read), piece.term))
        return loss <= SLACK and loss / slips <= PER_SLIP

    @staticmethod
    def _takes_terms(
        word: _Word, probs: npt.NDArray[np.float32], pieces: list[_Piece], kept: list[bool], decoded: str
    ) -> bool:
        """Whether ``word`` becomes its ``decoded`` terms rather than staying as read (see the module)."""
        if not any(kept):
            return False
        if len(word.text) < MIN_WORD and not decoded.replace("%", "").isdigit():
            return False
        loss = log_likelihood(probs, word.classes) - sum(piece.score for piece in pieces)
        plain = "".join(_folded(ch) or "?" for ch in word.text)
        slips = max(1, edit_distance(plain, "".join(piece.term for piece in pieces)))
        return loss <= SLACK and loss / slips <= PER_SLIP

    def _cut(self, word: _Word, folded: npt.NDArray[np.float32]) -> list[_Piece] | None:
        """The most probable way to read ``word`` as terms, cut only where its reading switches between a digit (or
        %) and a letter; None when no way gives every piece at least two steps."""
        cuts = [0]
        for k in range(1, len(word.text)):
            if _is_number_char(word.text[k - 1]) != _is_number_char(word.text[k]):
                cuts.append((word.steps[k - 1] + word.steps[k]) // 2 + 1)
        cuts = sorted({*cuts, folded.shape[0]})
        pieces: dict[tuple[int, int], _Piece | None] = {}
        best: dict[int, tuple[float, list[_Piece]]] = {0: (0.0, [])}
        for j in range(1, len(cuts)):
            for i in range(j):
                if i not in best:
                    continue
                if (i, j) not in pieces:
                    pieces[i, j] = self._piece(folded, cuts[i], cuts[j])
                piece = pieces[i, j]
                if piece is None:
                    continue
                total = best[i][0] + piece.score
                if j not in best or total > best[j][0]:
                    best[j] = (total, [*best[i][1], piece])
        last = len(cuts) - 1
        return best[last][1] if last in best else None

    def _piece(self, folded: npt.NDArray[np.float32], start: int, end: int) -> _Piece | None:
        if end - start < 2:
            return None
        numbers = self._numbers.scores(folded[start:end])
        word, number = self._words.best(self._words.scores(folded[start:end])), self._numbers.best(numbers)
        first, other = (word, number) if word[1] >= number[1] else (number, word)
        percentages: tuple[tuple[str, float], ...] = ()
        if first is number and number[0].endswith("%"):
            # Its other readings as a percentage, for the parts' sums to choose among (``NumberSlot``).
            order = [k for k in np.argsort(-numbers) if self._numbers.terms[k].endswith("%")]
            percentages = tuple(
                (self._numbers.terms[k], float(number[1] - numbers[k]))
                for k in order[:MAX_ALTERNATIVES]
                if number[1] - numbers[k] <= ALTERNATIVE_SPAN
            )
        return _Piece(first[0], first[1], max(first[2], other[1]), start, end, percentages)


@dataclass(frozen=True)
class _Word:
    text: str  # the greedy reading
    classes: list[int]  # its recogniser classes
    steps: list[int]  # the step each was read at, from the word's first step

    def read_between(self, start: int, end: int) -> str:
        return "".join(ch for ch, step in zip(self.text, self.steps, strict=True) if start <= step < end)


def _is_number_char(ch: str) -> bool:
    return ch.isdigit() or ch == "%"
