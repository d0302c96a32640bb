"""Clean-up of OCR text shared by the marking parsers: Unicode forms, accents, dashes and whitespace; and how far
one reading is from another (``edit_distance``).

OCR returns the same printed character under several code points (a hyphen as an en dash, ``>`` as a full-width ``＞``)
and drops or mangles accents, so both parsers compare text only after these steps.
"""

from __future__ import annotations

import re
import unicodedata

# Every dash-like character OCR returns for a printed hyphen; ISO 1043 codes and care labels both use the hyphen.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−⁃﹣－", "-"))
_SPACES = re.compile(r"\s+")
# Letters that Unicode does not decompose into a base letter and an accent, so ``fold_accents`` keeps them; OCR of a
# Polish, Danish or Turkish label returns them, and OCR of the same print often returns the plain letter instead.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
)


def fold_accents(text: str) -> str:
    """``text`` without diacritics (``algodón`` -> ``algodon``): OCR drops accents often, so match without them."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_letters(text: str) -> str:
    """``text`` with the letters ``fold_accents`` keeps as their plain forms (``bawełna`` -> ``bawelna``)."""
    return text.translate(_UNDECOMPOSED)


def unify_dashes(text: str) -> str:
    """Every dash-like character as a plain hyphen."""
    return text.translate(_DASHES)


def squeeze_spaces(text: str) -> str:
    """Runs of whitespace as one space, trimmed."""
    return _SPACES.sub(" ", text).strip()


def clean_line(text: str) -> str:
    """One OCR line in compatibility form, without accents, with plain hyphens and single spaces (case kept)."""
    return squeeze_spaces(unify_dashes(fold_accents(unicodedata.normalize("NFKC", text))))


def edit_distance(word: str, other: str, cap: int | None = None) -> int:
    """Levenshtein distance between ``word`` and ``other`` (OCR slips: a letter misread, lost or added), or ``cap``
    when it is at least that (the sum stops as soon as no alignment can come under it)."""
    if cap is not None and abs(len(word) - len(other)) >= cap:
        return cap
    previous = list(range(len(other) + 1))
    for i, a in enumerate(word, 1):
        current = [i]
        for j, b in enumerate(other, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        if cap is not None and min(current) >= cap:
            return cap
        previous = current
    return previous[-1] if cap is None else min(previous[-1], cap)
