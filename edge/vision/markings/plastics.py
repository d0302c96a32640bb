"""Read a plastic item's polymer from the OCR lines of one frame: ISO 11469/1043 markings and SPI/ASTM resin codes.

A wrong polymer costs far more than no answer (one PVC item sorted into PET spoils the batch), so every rule below leans
towards abstaining. ``read_polymer`` returns ``None`` when nothing usable was read or when the marks disagree.

Three kinds of mark are read, and ``agreeing_marks`` counts how many *kinds* agree (1..3):

``iso``
    An ISO 11469 marking: a code between angle brackets, ``>PP<``, ``>PE-HD<``, ``>PA66-GF30<``. OCR may read a bracket
    as ``< > ‹ › 〈 〉 « »``, ``( ) [ ] { } / \\ |`` or the letters ``K``/``X``. Two delimiters are needed, except with
    a real angle character on one side (``>PP``). Letter and slash delimiters must stand apart from other letters
    (``XPPK`` is read, ``MIXPPK`` is not). Split lines (``>PE-`` / ``HD<``) are read by also scanning each pair of
    neighbouring lines joined. An angle-bracketed code this module does not know (``>PE-X<``, ``>PP+PE<``, ``>PBAT<``)
    makes the whole frame ``None``: the item says what it is and we cannot read it.
``abbreviation``
    The same codes without brackets, as printed under the recycling triangle (``PET``, ``PETE``, ``HDPE``, ``PE-HD``,
    ``HD PE``, ``LDPE``, ``PP``, ``PS``, ``PVC``, ``V``, ``O``/``OTHER``...). A bare code counts only in marking
    context:

    * next to a resin digit in the same line (``05 PP``, ``5PP``, ``PP5``, ``PET 1``), or
    * alone on its line, apart from neutral words (recycle/recycling/recyclebaar/..., material/materiaal/werkstoff, ♻),
      for the distinctive codes (PET, PETE, RPET, HDPE and PE-HD forms, LDPE/LLDPE and PE-LD/PE-LLD forms, PVC, PP, PS,
      PS-HI, HIPS, EPS, PMMA, PA6/PA66, PC+ABS). ``PET FOOD``, ``PVC-FREE`` or ``PP`` inside a sentence count for
      nothing.
    * Codes that are ordinary words or letters, or that OCR makes from other marks (``V``, ``O``, ``OTHER``, ``HOPE``
      for HDPE, ``LOPE``, ``P5``, ``PE``, ``PA``, ``PC``, ``ABS`` and the ``other`` codes such as ``POM``), count bare
      only next to a resin digit: in the same line, or as a lone digit line directly above or below their line; or on a
      marking line beside a distinctive code, where they count as a claim too (``PP/PE`` is two polymers: ``None``).

    Word boundaries are required: ``APPLE``, ``SUPPORT``, ``TIPS``, ``PETER``, ``CARPET`` hold no code. A code next to a
    negation (``PVC-FREE``, ``PVC vrij``, ``zonder PVC``, ``sans PVC``, ``0% PVC``) is ignored.
``resin``
    The digit 1-7 of the triangle (``1``, ``01``, ``O5``, ``♴``). A digit counts when it is glued or next to a code, or
    when it is a whole line by itself (after dropping ♻, triangles and punctuation). **A plain digit alone never makes
    a reading**: a frame holds dates, lot numbers and quantities. It can only confirm a letter mark, or veto it: every
    resin digit read in the frame, lone lines included, must agree, so ``>PP<`` with a lone ``1`` line gives ``None``.
    Digits in dates, lots and sizes (``05/23``, ``2023``, ``5L``) are not resin digits; a digit glued to a code that
    is not a resin digit (``12PP``, ``PP50``) voids that code. A **resin symbol** on a line of its own (``♵``) is
    different: ``MarkingOcr`` writes one only for a digit it read inside a chasing-arrows triangle whose outline it
    found, turned upright and decoded as a digit 1-7 with confidence, so it is the marking itself and counts alone
    (``♵`` is pvc, ``♹`` other), with one mark agreeing. ``♳`` too: a 7 lying a third of a turn round reads as a
    confident 1 to the OCR, and 7 (other) read as 1 (PET) would spoil a PET bale, so ``MarkingOcr`` writes a ``♳`` only
    where its trained recogniser read the 1 itself (it tells a turned 7 from a 1) or the abbreviation says PET.

Agreement: resin codes 1 PET, 2 HDPE, 3 PVC, 4 LDPE, 5 PP, 6 PS, 7 other. A generic ``PE`` agrees with 2 (result hdpe)
and 4 (ldpe) and stays ``pe`` alone. Code 7 and ``O``/``OTHER`` agree with abs, pc, pc-abs, pa, pmma and the ``other``
codes (POM, PBT, PLA, PU/PUR, TPE, TPU, SAN, ASA, PPS, PEEK, PTFE, PVDF, PPE/PPO, PSU, PESU, PPSU, PEI, EVOH), and
alone give ``other``. Two marks naming different polymers give ``None``; the same polymer read twice by the same kind of
mark counts once.

Blends and additives: a filler or reinforcement suffix (``-T20``, ``-GF30``, ``-MD20``, ``-(GF+MD)30``, ``-FR(17)``)
keeps the base polymer: ``>PP-T20<`` is pp, with the suffix in ``evidence`` so a caller that keeps filled grades apart
can see it. ``PC+ABS``, ``PC/ABS`` and ``ABS+PC`` are pc-abs. ``PP+EPDM`` (also EPM/EPR: elastomer-modified PP, as in
bumpers) is read as pp, because recyclers take it in the PP stream. Any other blend (``PP+PE``, ``PC+PBT``) is not read;
in angle brackets it vetoes the frame as an unknown marking.

OCR confusions tolerated where the position makes them clear: ``0``/``O`` (``PE-H0``, ``PE-HO``, ``O5``, ``0THER``),
``5``/``S`` (``P5``, ``AB5``), ``8``/``B`` (``A8S``), ``1``/``I``/``L`` (``PS-H1``), dashes as hyphens, a hyphen read as
a space or underscore or dropped (``PE HD``, ``PEHD``, ``HD-PE``, ``HD PE``), letters read apart (``P E T``), lower
case, and the Unicode resin symbols ♳..♹.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum

from edge.vision.markings.normalise import clean_line

logger = logging.getLogger(__name__)

CATEGORY_SEVEN = frozenset({"other", "abs", "pc", "pc-abs", "pa", "pmma"})
PE_FAMILY = frozenset({"pe", "hdpe", "ldpe"})
RESIN_CODES: dict[int, frozenset[str]] = {
    1: frozenset({"pet"}),
    2: frozenset({"hdpe"}),
    3: frozenset({"pvc"}),
    4: frozenset({"ldpe"}),
    5: frozenset({"pp"}),
    6: frozenset({"ps"}),
    7: CATEGORY_SEVEN,
}
# Polymers with an ISO 1043 code that recyclers put in "other" (resin code 7). TPO and EVA are left out on purpose: they
# are often sorted with PP or PE, so an unknown marking (abstain) is safer than a confident "other".
OTHER_CODES = (
    "PEEK", "PESU", "PPSU", "PTFE", "PVDF", "EVOH", "POM", "PBT", "PLA", "PUR", "TPE", "TPU",
    "SAN", "ASA", "PPS", "PPE", "PPO", "PSU", "PEI", "PU",
)  # fmt: skip
_CATEGORY_SEVEN_IDENTITY = "category-7"  # O/OTHER: says "code 7", names no polymer


class MarkKind(StrEnum):
    ISO = "iso"
    ABBREVIATION = "abbreviation"
    RESIN = "resin"


class _Bare(Enum):
    """When a code printed without brackets counts."""

    MARKING_LINE = "marking_line"  # alone on a marking line, or next to a resin digit
    NEEDS_DIGIT = "needs_digit"  # only next to a resin digit (same line, or a lone digit line beside it)


@dataclass(frozen=True, slots=True)
class PolymerReading:
    polymer: str  # slug: pet, hdpe, pvc, ldpe, pp, ps, abs, pc, pc-abs, pa, pmma, pe, other
    evidence: str  # the text fragment(s) that decided it, e.g. ">PE-HD<" or "resin code 2 + HDPE"
    resin_code: int | None  # 1-7 if a resin digit was read and agrees
    agreeing_marks: int  # how many independent kinds of mark agree (abbreviation, ISO 1043 code, resin digit): 1..3


@dataclass(frozen=True, slots=True)
class _CodeForm:
    pattern: str
    identity: str  # the polymer slug, the ISO code of an "other" polymer, or category-7
    allowed: frozenset[str]  # polymers this mark is consistent with
    bare: _Bare


@dataclass(frozen=True, slots=True)
class _Mark:
    kind: MarkKind
    identity: str
    allowed: frozenset[str]
    evidence: str
    digit: int | None = None


def _form(pattern: str, identity: str, bare: _Bare, allowed: frozenset[str] | None = None) -> _CodeForm:
    return _CodeForm(pattern, identity, allowed if allowed is not None else frozenset({identity}), bare)


_HY = r"[ -]?"  # a hyphen, read as a space or dropped
_LINE, _DIGIT = _Bare.MARKING_LINE, _Bare.NEEDS_DIGIT
# Longest and most specific first: the alternation takes the first form that fits.
_FORMS: tuple[_CodeForm, ...] = (
    _form(r"PC ?[+/] ?A[B8][S5]|A[B8][S5] ?[+/] ?PC", "pc-abs", _LINE),
    _form(r"PP ?\+ ?(?:EPDM|EPM|EPR)", "pp", _LINE),
    _form(rf"PE{_HY}LL[D0O]|LL[D0]{_HY}PE", "ldpe", _LINE),
    _form(rf"PE{_HY}H[D0O]|HD{_HY}PE|H[0O]-PE", "hdpe", _LINE),
    _form(r"H[0O] ?PE", "hdpe", _DIGIT),  # "HOPE" is an English word
    _form(rf"PE{_HY}L[D0O]|LD{_HY}PE|L[0O]-PE", "ldpe", _LINE),
    _form(r"L[0O] ?PE", "ldpe", _DIGIT),
    _form(r"R?PETE?", "pet", _LINE),
    _form(r"PVC(?:-[UP])?", "pvc", _LINE),
    _form(rf"PS{_HY}H[I1L]|HIPS|PS-E|EPS|PS", "ps", _LINE),
    _form(rf"P5{_HY}H[I1L]|HIP5|P5-E|EP5|P5", "ps", _DIGIT),
    _form(r"PMMA", "pmma", _LINE),
    _form(r"PA ?\d{1,4}(?:[./]\d{1,4})?", "pa", _LINE),
    _form(r"PP", "pp", _LINE),
    _form(r"A[B8][S5]", "abs", _DIGIT),
    _form(r"PC", "pc", _DIGIT),
    _form(r"PA", "pa", _DIGIT),
    *(_form(code, code, _DIGIT, frozenset({"other"})) for code in OTHER_CODES),
    _form(r"PE", "pe", _DIGIT, PE_FAMILY),
    _form(r"[O0]THER", _CATEGORY_SEVEN_IDENTITY, _LINE, CATEGORY_SEVEN),  # under a triangle, alone on its line
    _form(r"O", _CATEGORY_SEVEN_IDENTITY, _DIGIT, CATEGORY_SEVEN),
    _form(r"V", "pvc", _DIGIT),
)
# ISO 1043-2 filler/reinforcement: material and form letters, then the mass percentage; or a flame retardant code.
_FILLER = r"(?:-?(?:\((?:[A-Z]{1,2}\+)+[A-Z]{1,2}\)|[A-Z]{1,2})\d{1,3}|-FR ?\(\d{1,3}\))"
_CODE = "(?:" + "|".join(f"(?P<c{i}>{form.pattern})" for i, form in enumerate(_FORMS)) + rf")(?P<filler>{_FILLER}*)"

_ANGLE = "<>‹›〈〉«»"
_OTHER_DELIMS = r"()\[\]{}/\\|"
_OPEN = rf"(?:[{_ANGLE}]|(?<![A-Z0-9])[KX{_OTHER_DELIMS}])"
_CLOSE = rf"(?:[{_ANGLE}]|[KX{_OTHER_DELIMS}](?![A-Z0-9]))"
_BRACKETED = re.compile(rf"{_OPEN} ?{_CODE} ?{_CLOSE}")
# One real angle character is enough, if the code plainly ends there (``>PE-X<`` is not ``>PE``).
_HALF_OPEN = re.compile(rf"[{_ANGLE}] ?{_CODE}(?![A-Z0-9+\-])")
_HALF_CLOSE = re.compile(rf"(?<![A-Z0-9+\-]){_CODE} ?[{_ANGLE}]")
_BARE = re.compile(rf"(?<![A-Z+]){_CODE}(?![A-Z+])")
# Anything else between real angle brackets is a marking we cannot read.
_ANY_ANGLE_MARKING = re.compile(rf"[{_ANGLE}]([A-Z][A-Z0-9+\-/().]{{1,15}})[{_ANGLE}]")

_DIGIT_AFTER = re.compile(r"[ -]{0,2}(?P<digit>0?[1-7])(?![0-9A-Z/.,:%+\-])")
_DIGIT_BEFORE = re.compile(r"(?<![0-9A-Z/.,:+\-])(?P<digit>0?[1-7])[ -]{0,2}$")
_LONE_DIGIT = re.compile(r"0?[1-7]")
_RESIN_SYMBOL = re.compile("[\u2673-\u2679]")  # ♳..♹
_NEGATION_AFTER = re.compile(r"^[ -]?(?:FREE|VRIJ|FREI|LIBRE)\b")
_NEGATION_BEFORE = re.compile(r"(?:\b(?:ZONDER|OHNE|SANS|SIN|NO|WITHOUT|FREE OF|FREI VON|LIBRE DE)|\b0 ?%) ?$")
_NEUTRAL_WORDS = re.compile(
    r"\b(?:RECYCLE[DS]?|RECYCLING|RECYCLABLE|RECYCLEBAAR|RECYCLEERBAAR|RECYCELBAR|RECYCLAGE|RECICLABLE|RECICLAJE|"
    r"RECICLADO|RICICLABILE|MATERIAL|MATERIAAL|MATERIAU|MATIERE|WERKSTOFF|MAT|RESIN|CODE)\b"
)
_SYMBOLS = str.maketrans(
    {**{chr(0x2673 + i): f" {i + 1} " for i in range(7)}, **dict.fromkeys("♺♻♼♽△▲∆Δ▵▴⟁", " "), "_": "-"}
)
_LETTER_O_AS_ZERO = re.compile(r"(?<![A-Z0-9])O(?=[1-7](?![0-9]))")
_SPACED_LETTERS = re.compile(r"(?<![A-Z0-9])[A-Z](?: [A-Z](?![A-Z0-9]))+")


def _normalise(line: str) -> str:
    text = clean_line(line.translate(_SYMBOLS)).upper()
    text = _LETTER_O_AS_ZERO.sub("0", text)  # "O5 PP": a resin digit with a leading zero, not the "O" of OTHER
    text = _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)  # "P E T" -> "PET"
    text = _SMEARED_HYPHEN.sub("-", text)  # "PE:--HD" -> "PE-HD"
    return _restore_brackets(text)


# A moulded hyphen read as a colon, a dot or several dashes between two letters.
_SMEARED_HYPHEN = re.compile(r"(?<=[A-Z])(?:[:.]-*|-{2,}|[:.]{2,})(?=[A-Z])")


# The recogniser often reads the thin angle brackets of a moulded marking as S, C, E, A or a dash: ">PVC<" comes out
# as "SPVCE", ">PET<" as ">PETS", ">PP<" as "SPPS". Only a line that is nothing but such a token is restored, and only
# when both ends are a bracket or a substitute and what lies between is a whole code: "SPPS" -> ">PP<", while "CAPS",
# "SPACE" or "ESPRESSO" stay as they are.
_SUBSTITUTE = rf"[SCEA{_ANGLE}]"
# A dash counts only on both sides ("-ABS-"): a trailing dash alone is a marking split over two lines (">PE-").
_MISREAD_BRACKETS = re.compile(
    rf"^(?:{_SUBSTITUTE}(?P<code>[A-Z0-9+\-]{{2,14}}?){_SUBSTITUTE}|-(?P<dashed>[A-Z0-9+]{{2,14}})-)$"
)
_WHOLE_CODE = re.compile(rf"{_CODE}")


def _restore_brackets(text: str) -> str:
    found = _MISREAD_BRACKETS.match(text)
    code = None if found is None else found.group("code") or found.group("dashed")
    if code is None or _WHOLE_CODE.fullmatch(code) is None:
        return text
    return f">{code}<"


def _form_of(match: re.Match[str]) -> _CodeForm:
    for i, form in enumerate(_FORMS):
        if match.group(f"c{i}") is not None:
            return form
    raise AssertionError("a code match always has one form group")  # pragma: no cover


def _code_text(match: re.Match[str]) -> tuple[str, int, int]:
    """The code and its filler suffix without the delimiters, and the span of that code."""
    form = _form_of(match)
    index = _FORMS.index(form)
    start = match.start(f"c{index}")
    end = match.end("filler")
    return match.string[start:end], start, end


def _is_negated(text: str, start: int, end: int) -> bool:
    return bool(_NEGATION_AFTER.match(text[end:]) or _NEGATION_BEFORE.search(text[:start]))


def _adjacent_digit(text: str, start: int, end: int) -> tuple[int, int, int] | None:
    """The resin digit next to ``text[start:end]`` as (digit, span start, span end), or ``None``."""
    after = _DIGIT_AFTER.match(text, end)
    if after:
        return int(after.group("digit")), end, after.end()
    before = _DIGIT_BEFORE.search(text[:start])
    if before:
        return int(before.group("digit")), before.start(), start
    return None


def _touches_angle(text: str, start: int, end: int) -> bool:
    """A bare code beside an angle bracket is the remains of a marking split over lines: the split pass reads it."""
    before, after = text[:start].rstrip(" ")[-1:], text[end:].lstrip(" -")[:1]
    return bool(before and before in _ANGLE) or bool(after and after in _ANGLE)


def _glued_to_number(text: str, start: int, end: int) -> bool:
    """A digit touches the code but is no resin digit (``12PP``, ``PP50``): the code is part of something else."""
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


# The letters whose last stroke and a closing bracket run together into a K: ``>PET<`` read as ``>PEK``, ``>PEI<``
# as ``>PEK``. A K closing a code that one of them would lengthen into another code is no bracket.
_STROKE_BEFORE_BRACKET = ("T", "I")


def _stroke_and_bracket_as_k(match: re.Match[str]) -> bool:
    """``match`` closes its code with a K that may be a letter of a longer code and its bracket (``>PEK``: PET)."""
    if not match.group(0).rstrip().endswith("K"):
        return False
    code, _, _ = _code_text(match)
    return any(_WHOLE_CODE.fullmatch(code + letter) for letter in _STROKE_BEFORE_BRACKET)


@dataclass(frozen=True, slots=True)
class _LineMarks:
    marks: tuple[_Mark, ...]
    needs_digit_line: tuple[_Mark, ...]  # bare weak codes alone on their line: count if a neighbour line is a digit
    unknown: tuple[str, ...]  # angle-bracketed codes we cannot read


def _scan_line(text: str) -> _LineMarks:
    marks: list[_Mark] = []
    blanked = list(text)

    def blank(start: int, end: int) -> None:
        blanked[start:end] = " " * (end - start)

    for pattern in (_BRACKETED, _HALF_OPEN, _HALF_CLOSE):
        for match in pattern.finditer("".join(blanked)):
            form = _form_of(match)
            if _stroke_and_bracket_as_k(match):
                continue
            if _is_negated(text, match.start(), match.end()):
                blank(match.start(), match.end())
                continue
            marks.append(_Mark(MarkKind.ISO, form.identity, form.allowed, match.group(0).strip()))
            digit = _adjacent_digit(text, match.start(), match.end())
            if digit is not None:
                marks.append(_resin_mark(digit[0]))
                blank(digit[1], digit[2])
            blank(match.start(), match.end())

    unknown = tuple(m.group(0) for m in _ANY_ANGLE_MARKING.finditer("".join(blanked)))

    masked = "".join(blanked)
    candidates: list[tuple[_CodeForm, str, tuple[int, int, int] | None]] = []
    for match in _BARE.finditer(masked):
        code, start, end = _code_text(match)
        digit = _adjacent_digit(masked, start, end)
        glued = digit is None and _glued_to_number(masked, start, end)
        if glued or _is_negated(text, start, end) or _touches_angle(text, start, end):
            blank(start, end)
            continue
        candidates.append((_form_of(match), code, digit))
        blank(start, end)
        if digit is not None:
            blank(digit[1], digit[2])

    residual = _NEUTRAL_WORDS.sub(" ", "".join(blanked))
    marking_line = not re.search(r"[A-Z0-9]", residual)
    # Beside a distinctive code, a weak one is in marking context too: "PP/PE" claims two polymers.
    context = marking_line and any(form.bare is _Bare.MARKING_LINE for form, _, _ in candidates)
    needs_digit_line: list[_Mark] = []
    for form, code, digit in candidates:
        mark = _Mark(MarkKind.ABBREVIATION, form.identity, form.allowed, code)
        if digit is not None:
            marks += [mark, _resin_mark(digit[0])]
        elif context:
            marks.append(mark)
        elif marking_line:
            needs_digit_line.append(mark)
    return _LineMarks(tuple(marks), tuple(needs_digit_line), unknown)


def _resin_mark(digit: int) -> _Mark:
    return _Mark(MarkKind.RESIN, f"resin-{digit}", RESIN_CODES[digit], f"resin code {digit}", digit)


def _lone_digit(text: str) -> int | None:
    stripped = re.sub(r"[^A-Z0-9]", "", text)
    return int(stripped) if _LONE_DIGIT.fullmatch(stripped) else None


def _split_line_marks(lines: Sequence[str]) -> list[_Mark]:
    """Bracketed codes split over two neighbouring lines (``>PE-`` / ``HD<``)."""
    marks = []
    for first, second in itertools.pairwise(lines):
        joined = first + second
        for match in _BRACKETED.finditer(joined):
            if match.start() < len(first) < match.end():
                form = _form_of(match)
                marks.append(_Mark(MarkKind.ISO, form.identity, form.allowed, match.group(0).strip()))
    return marks


def _resolve(marks: Sequence[_Mark]) -> str | None:
    allowed = frozenset.intersection(*(mark.allowed for mark in marks))
    if not allowed:
        return None
    named = {
        m.identity for m in marks if m.kind is not MarkKind.RESIN and m.identity not in {"pe", _CATEGORY_SEVEN_IDENTITY}
    }
    if len(named) > 1:  # e.g. >POM< and >PBT<: both "other", still two different claims
        return None
    if len(allowed) == 1:
        return next(iter(allowed))
    if allowed <= PE_FAMILY and "pe" in allowed:
        return "pe"
    if "other" in allowed and not named:
        return "other"
    return None


def _kind_rank(marks: Sequence[_Mark], evidence: str) -> int:
    return min(list(MarkKind).index(mark.kind) for mark in marks if mark.evidence == evidence)


def read_polymer(lines: Sequence[str]) -> PolymerReading | None:
    """The polymer the marks in ``lines`` (all OCR lines of one frame, any order) agree on, or ``None``."""
    texts = [_normalise(line) for line in lines]
    marks: list[_Mark] = []
    unknown: list[str] = []
    lone_digits: dict[int, int] = {}  # line index -> digit
    pending: list[tuple[int, _Mark]] = []
    for index, text in enumerate(texts):
        digit = _lone_digit(text)
        if digit is not None:
            lone_digits[index] = digit
            continue
        found = _scan_line(text)
        marks += found.marks
        unknown += found.unknown
        pending += [(index, mark) for mark in found.needs_digit_line]
    marks += _split_line_marks(texts)
    marks += [mark for index, mark in pending if index - 1 in lone_digits or index + 1 in lone_digits]

    if unknown:
        logger.debug("unreadable marking %s: no polymer", unknown)
        return None
    # A triangle's own digit (a resin symbol alone on its line) is a marking; a plain digit alone is never enough.
    triangle = any(_RESIN_SYMBOL.search(lines[index]) for index in lone_digits)
    if not triangle and not any(mark.kind is not MarkKind.RESIN for mark in marks):
        return None
    marks += [_resin_mark(digit) for digit in lone_digits.values()]

    polymer = _resolve(marks)
    if polymer is None:
        logger.debug("marks disagree: %s", [mark.evidence for mark in marks])
        return None
    digits = {mark.digit for mark in marks if mark.digit is not None}
    # Evidence in a fixed order (iso, abbreviation, resin), whatever the order of the lines.
    evidence = sorted(dict.fromkeys(mark.evidence for mark in marks), key=lambda text: (_kind_rank(marks, text), text))
    return PolymerReading(
        polymer=polymer,
        evidence=" + ".join(evidence),
        resin_code=next(iter(digits)) if digits else None,
        agreeing_marks=len({mark.kind for mark in marks}),
    )


def polymer_readable(lines: Sequence[str]) -> bool:
    """Whether ``lines`` give a polymer: what tells the OCR reader it need not try harder."""
    return read_polymer(lines) is not None
