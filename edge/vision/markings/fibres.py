"""Read a textile care label's fibre composition from the OCR lines of one frame (Dutch, English, German, French,
Spanish, and Italian because EU labels list it beside them).

A wrong composition costs more than none, so ``read_composition`` returns ``None`` whenever the label is not read whole
and consistent. The rules:

Percentages
    ``65%``, ``65 %``, ``1OO%``/``7O%``/``5O%`` (letter O for zero), ``l00%``, ``65°/o``, ``65 o/o``, ``65 percent``.
    A number *without* a percent sign counts only right beside a fibre name (``100 cotton``, ``cotton 100``), and only
    as part of a composition that sums to 100, which is the real evidence. ``%`` misread as ``96``: a number followed by
    a separate ``96`` (``100 96 cotton``), or a number over 100 ending in 96 whose head is 1..100 (``10096`` -> 100,
    ``6596`` -> 65), is read as that head; a plain ``96`` stays 96 (``96% cotton 4% elastane`` is common). Again only
    the sum of 100 accepts such a reading. Decimals (``2,5%``), 0 and numbers over 100 spoil the part they are in.
Fibre names
    See ``FIBRE_NAMES`` (accents optional, any case). A run of names of the same fibre, separated by ``/ , - |``, spaces
    or line breaks, is one fibre named in several languages (``polyester/polyester/Polyester``, ``katoen`` /
    ``cotton``). A run that mixes fibres without a percentage between them (``polyester/cotton``) spoils its part.
    Qualifiers are skipped: recycled/gerecycled/recycelt/recyclé/reciclado, organic/biologisch/bio/biologique/orgánico,
    virgin/vierge/ virgen/scheer-, pure/zuiver/rein/pur/puro, new, fibre/vezel/Faser/fibra. Lambswool, merino, virgin
    wool, Schurwolle, laine d'agneau, lana merino: wool. Lycra: elastane. Tencel: lyocell. Words of 6 letters or more
    that are one OCR slip (one letter changed, added or missing) from exactly one fibre are read as that fibre
    (``polyestcr``).
Pairing
    Names and percentages pair in the order the label uses, decided by which comes first in a part: ``65% polyester 35%
    cotton`` or ``polyester 65% cotton 35%``. Lines read upside down arrive in reverse order; that flips the order of a
    percentage and its name on the next line consistently, so those still pair right. Pairs must alternate strictly: two
    percentages in a row (a table read column by column) spoil the part. An unknown word between a percentage and its
    name (``100% bawelna``, ``30% less water``) spoils the part. A fibre name inside a sentence (between unknown words
    and away from any percentage: ``use the wool programme``) is ignored. Temperatures (``30°``, ``40 °C``, ``30
    graden``) and washing text are unknown words, never percentages.
Parts
    Headers name a part: main (shell, outer, body, main fabric, bovenstof, buitenstof, Obermaterial, Oberstoff,
    Außenmaterial, tissu principal, tissu extérieur, extérieur, tejido principal, exterior, tessuto principale,
    esterno), lining, trim, rib, pocket and filling, each in the five languages (see ``PART_NAMES``). A composition
    before any header is the main part; a label with no header has one part, ``main``. Several headers of the same part
    in a row (``Bovenstof/Outer/Obermaterial:``) are one header. A header after "exclusive of", "exclusief", "ohne",
    "sauf", "excepto"... is not a header. A header with no composition after it gives ``None`` for the whole label: that
    is what a label read upside down looks like (its headers come after their compositions), and guessing would put the
    lining's fibres in the shell.
Validation
    Each part must sum to exactly 100. A fibre without a percentage, or a missing percentage, is not guessed: the part
    is spoilt. The same fibre twice in one part with the same percentage is one fibre (multilingual labels repeat the
    whole list per language); with different percentages the part is spoilt. A spoilt main part gives ``None``; a spoilt
    other part is left out and named in ``evidence``.
Output
    Parts in the order main, lining, trim, rib, pocket, filling; fibres by percentage, highest first, then by name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from edge.vision.dataset import CompositionPart, Fibre
from edge.vision.markings.normalise import clean_line

logger = logging.getLogger(__name__)

FIBRE_NAMES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "cotton": {
        "nl": ("katoen",),
        "en": ("cotton",),
        "de": ("Baumwolle",),
        "fr": ("coton",),
        "es": ("algodón",),
        "it": ("cotone",),
    },
    "polyester": {
        "nl": ("polyester",),
        "en": ("polyester",),
        "de": ("Polyester",),
        "fr": ("polyester",),
        "es": ("poliéster",),
        "it": ("poliestere",),
    },
    "wool": {
        "nl": ("wol", "scheerwol", "lamswol", "merinowol", "merino"),
        "en": ("wool", "lambswool", "lambs wool", "lamb's wool", "merino", "virgin wool"),
        "de": ("Wolle", "Schurwolle", "Lammwolle", "Merinowolle", "Merino"),
        "fr": ("laine", "laine d'agneau", "mérinos"),
        "es": ("lana", "lana de cordero", "merino"),
        "it": ("lana", "lana vergine", "merino"),
    },
    "viscose": {
        "nl": ("viscose",),
        "en": ("viscose", "rayon"),
        "de": ("Viskose",),
        "fr": ("viscose", "rayonne"),
        "es": ("viscosa", "rayón"),
        "it": ("viscosa", "rayon"),
    },
    "polyamide": {
        "nl": ("polyamide", "nylon"),
        "en": ("polyamide", "nylon"),
        "de": ("Polyamid", "Nylon"),
        "fr": ("polyamide", "nylon"),
        "es": ("poliamida", "nylon", "nailon"),
        "it": ("poliammide", "nylon"),
    },
    "elastane": {
        "nl": ("elastaan", "elastan", "lycra"),
        "en": ("elastane", "spandex", "lycra"),
        "de": ("Elasthan", "Elastan", "Lycra"),
        "fr": ("élasthanne", "élasthane", "lycra"),
        "es": ("elastano", "elastán", "lycra"),
        "it": ("elastan", "elastam", "lycra"),
    },
    "acrylic": {
        "nl": ("acryl", "polyacryl"),
        "en": ("acrylic", "polyacrylic"),
        "de": ("Polyacryl", "Acryl"),
        "fr": ("acrylique", "polyacrylique"),
        "es": ("acrílico", "acrílica", "poliacrílico"),
        "it": ("acrilico", "acrilica"),
    },
    "linen": {
        "nl": ("linnen", "vlas"),
        "en": ("linen", "flax"),
        "de": ("Leinen", "Flachs"),
        "fr": ("lin",),
        "es": ("lino",),
        "it": ("lino",),
    },
    "silk": {
        "nl": ("zijde",),
        "en": ("silk",),
        "de": ("Seide",),
        "fr": ("soie",),
        "es": ("seda",),
        "it": ("seta",),
    },
    "modal": {lang: ("modal",) for lang in ("nl", "en", "de", "fr", "es", "it")},
    "lyocell": {lang: ("lyocell", "tencel") for lang in ("nl", "en", "de", "fr", "es", "it")},
    "cashmere": {
        "nl": ("kasjmier", "cashmere"),
        "en": ("cashmere",),
        "de": ("Kaschmir",),
        "fr": ("cachemire",),
        "es": ("cachemir", "cachemira"),
        "it": ("cashmere", "cachemire"),
    },
    "polypropylene": {
        "nl": ("polypropyleen",),
        "en": ("polypropylene",),
        "de": ("Polypropylen",),
        "fr": ("polypropylène",),
        "es": ("polipropileno",),
        "it": ("polipropilene",),
    },
    "acetate": {
        "nl": ("acetaat",),
        "en": ("acetate",),
        "de": ("Acetat",),
        "fr": ("acétate",),
        "es": ("acetato",),
        "it": ("acetato",),
    },
    "hemp": {
        "nl": ("hennep",),
        "en": ("hemp",),
        "de": ("Hanf",),
        "fr": ("chanvre",),
        "es": ("cáñamo",),
        "it": ("canapa",),
    },
    "alpaca": {
        "nl": ("alpaca",),
        "en": ("alpaca",),
        "de": ("Alpaka",),
        "fr": ("alpaga",),
        "es": ("alpaca",),
        "it": ("alpaca",),
    },
    "mohair": {lang: ("mohair",) for lang in ("nl", "en", "de", "fr", "es", "it")},
    "angora": {lang: ("angora",) for lang in ("nl", "en", "de", "fr", "es", "it")},
    "other": {
        "nl": ("overige vezels", "andere vezels", "overige"),
        "en": ("other fibres", "other fibers", "other fibre", "other fiber", "others"),
        "de": ("sonstige Fasern", "andere Fasern", "sonstige"),
        "fr": ("autres fibres", "autres"),
        "es": ("otras fibras", "otras"),
        "it": ("altre fibre",),
    },
}

PART_NAMES: Mapping[str, tuple[str, ...]] = {
    "main": (
        "shell", "outer", "outer shell", "outer fabric", "outer material", "body", "main fabric", "main material",
        "bovenstof", "buitenstof", "hoofdstof", "bovenmateriaal", "obermaterial", "oberstoff", "außenmaterial",
        "außenstoff", "tissu principal", "tissu extérieur", "extérieur", "tejido principal", "tejido exterior",
        "exterior", "tessuto principale", "esterno",
    ),
    "lining": ("lining", "voering", "futter", "innenfutter", "doublure", "forro", "fodera"),
    "trim": (
        "trim", "trims", "trimming", "trimmings", "garnering", "afwerking", "besatz", "garniture", "adorno", "adornos",
        "guarnizione", "guarnizioni",
    ),
    "rib": (
        "rib", "ribbing", "ribs", "boord", "boordsel", "bündchen", "bord-côte", "bord côte", "côtes", "puño", "puños",
        "canalé",
    ),
    "pocket": (
        "pocket", "pockets", "pocketing", "pocket lining", "zak", "zakken", "zakvoering", "tasche", "taschen",
        "taschenfutter", "poche", "poches", "fond de poche", "fonds de poche", "bolsillo", "bolsillos", "tasca",
    ),
    "filling": (
        "filling", "fill", "padding", "wadding", "vulling", "füllung", "fuellung", "wattierung", "rembourrage",
        "garnissage", "ouate", "relleno", "imbottitura",
    ),
}  # fmt: skip
PART_ORDER = tuple(PART_NAMES)

# Words that sit inside a composition without changing it: qualifiers, language codes, conjunctions, "fibre".
_NEUTRAL = frozenset(
    """
    recycled gerecycled gerecycleerd gerecyclede recycelt recyceltes recycelter recyceltem recycle recyclee recycles
    reciclado reciclada riciclato riciclata organic biologisch biologische bio organique biologique organico organica
    biologico biologica virgin vierge virgen vergine scheer new nieuw nieuwe neue neuve nueva nuevo pure puur zuiver
    zuivere rein reine reiner pur puro pura fibre fibres fiber fibers vezel vezels faser fasern fibra fibras fibre
    and en und et y e of de di aus nl gb uk d fr f es it i
    """.split()  # noqa: SIM905  (a word list reads best as words)
)
_EXCLUSION = frozenset(
    """
    exclusive excluding except excl exclusief behalve zonder ausgenommen ausser ohne sauf hors excepto excluyendo sin
    escluso esclusi esclusa senza
    """.split()  # noqa: SIM905
)
_TEMPERATURE_WORDS = frozenset(("c", "f", "graden", "grad", "degrees", "degres", "grados", "gradi"))
_MAX_PHRASE = 3
_FUZZY_MIN_LENGTH = 6  # shorter names are too close to ordinary words (wol/wal, lin/lijn) for one-slip matching


def _key(text: str) -> str:
    """A name as it is compared: no accents, folded case, apostrophes and hyphens as spaces."""
    return " ".join(re.sub(r"['’`\-]", " ", clean_line(text).casefold()).split())


_FIBRE_BY_KEY: dict[str, str] = {
    _key(name): fibre for fibre, languages in FIBRE_NAMES.items() for names in languages.values() for name in names
}
_PART_BY_KEY: dict[str, str] = {_key(name): part for part, names in PART_NAMES.items() for name in names}


class _Kind(Enum):
    PERCENT = "percent"
    NUMBER = "number"  # no percent sign: counts only beside a fibre name
    NAME = "name"
    PART = "part"
    BARRIER = "barrier"  # an unknown word, a temperature or a number that is no percentage
    SEPARATOR = "separator"  # punctuation, line breaks, neutral words


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str
    name: str = ""  # canonical fibre or part
    percent: int | None = None  # None on a PERCENT token: a percentage we cannot use (decimal, 0, over 100)
    fuzzy: bool = False  # a name read through one OCR slip


@dataclass(frozen=True, slots=True)
class CompositionReading:
    parts: tuple[CompositionPart, ...]  # one part named "main" when the label lists no parts
    evidence: str


# --- text clean-up ------------------------------------------------------------------------------------------------

_PERCENT_WORDS = re.compile(r"\b(?:percent|per cent|procent|prozent|pour ?cent|por ?ciento|per ?cento|pct)\b")
_PERCENT_LOOKALIKES = re.compile(r"(?<=[\d\s])(?:°/o|o/o|°/0|0/o|°/°)(?![a-z])|[%％]")
_ZERO_IN_WORD = re.compile(r"(?<=[a-z])0+(?=[a-z])")
_ONE_IN_WORD = re.compile(r"(?<=[a-z])1(?=[a-z])")
_FIVE_IN_WORD = re.compile(r"(?<=[a-z])5(?=[a-z])")
_LETTER_THEN_DIGIT = re.compile(r"(?<=[a-z])(?=\d)")
_DIGIT_THEN_LETTER = re.compile(r"(?<=\d)(?=[a-z])")
_L_AS_ONE = re.compile(r"(?<![a-z0-9])l(?=[0o]{1,2} ?%)")
_O_IN_NUMBER = re.compile(r"(?<![a-z0-9])\d[\do]*(?![a-z0-9])")
_TOKEN = re.compile(r"(?P<number>\d+(?:[.,]\d+)?)|(?P<percent>%)|(?P<degree>°)|(?P<word>[a-zß]+)|(?P<other>\S)")


_WORD_WITH_EDGE_ONE = re.compile(r"(?<![a-z0-9])1?[a-z]{2,}1?(?![a-z0-9])")
_LONG_WORD = re.compile(r"[a-z]{7,}")


def _edge_one_as_l(match: re.Match[str]) -> str:
    """``1innen``, ``woo1``, ``1aine``: an l read as 1 at a word's edge, only where that makes a fibre name."""
    word = match.group(0)
    fixed = word.replace("1", "l")
    return fixed if fixed != word and _key(fixed) in _FIBRE_BY_KEY else word


def _split_joined_names(match: re.Match[str]) -> str:
    """``poliesterlpolyester``, ``wollelwol``: the slash between two names of one fibre read as an l (or i)."""
    word = match.group(0)
    if _key(word) in _FIBRE_BY_KEY:
        return word
    for at in range(3, len(word) - 2):
        left, right = _FIBRE_BY_KEY.get(_key(word[:at])), _FIBRE_BY_KEY.get(_key(word[at + 1 :]))
        if word[at] in "li" and left is not None and left == right:  # one fibre in two languages, as labels list
            return f"{word[:at]} / {word[at + 1 :]}"
    return word


def _clean(line: str) -> str:
    text = clean_line(line).casefold().replace("º", "o")
    text = _WORD_WITH_EDGE_ONE.sub(_edge_one_as_l, text)
    text = _LONG_WORD.sub(_split_joined_names, text)
    text = _PERCENT_WORDS.sub("%", text)
    text = _PERCENT_LOOKALIKES.sub(" % ", text)
    text = _ZERO_IN_WORD.sub(lambda m: "o" * len(m.group(0)), text)  # "c0tton"
    text = _ONE_IN_WORD.sub("l", _FIVE_IN_WORD.sub("s", text))  # "po1yester", "ela5tane"
    text = _L_AS_ONE.sub("1", text)  # "l00 %"
    text = _LETTER_THEN_DIGIT.sub(" ", text)  # "rayon30 %" -> "rayon 30 %"
    text = _O_IN_NUMBER.sub(lambda m: m.group(0).replace("o", "0"), text)  # "1oo", "7o"
    text = _DIGIT_THEN_LETTER.sub(" ", text)  # "100 %cotton" was split above; "10096cotton" -> "10096 cotton"
    return re.sub(r"['’`]|(?<=[a-z])-(?=[a-z])", " ", text)  # "d'agneau", "bord-cote"


# --- tokens -------------------------------------------------------------------------------------------------------


def _one_slip(word: str, name: str) -> bool:
    """``word`` and ``name`` differ by one substitution, insertion or deletion."""
    if abs(len(word) - len(name)) > 1 or word == name:
        return False
    if len(word) == len(name):
        return sum(a != b for a, b in zip(word, name, strict=True)) == 1
    short, long = sorted((word, name), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _fuzzy_fibre(word: str) -> str | None:
    if len(word) < _FUZZY_MIN_LENGTH or word in _NEUTRAL or word in _PART_BY_KEY or word in _EXCLUSION:
        return None
    fibres = {fibre for key, fibre in _FIBRE_BY_KEY.items() if " " not in key and _one_slip(word, key)}
    return fibres.pop() if len(fibres) == 1 else None


def _words_to_tokens(words: list[str], previous: list[str]) -> list[_Token]:
    """Fibre and part names (longest phrase first) among consecutive ``words``; ``previous``: the words before them."""
    tokens: list[_Token] = []
    i = 0
    while i < len(words):
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            if phrase in _FIBRE_BY_KEY:
                tokens.append(_Token(_Kind.NAME, phrase, _FIBRE_BY_KEY[phrase]))
                break
            if phrase in _PART_BY_KEY:
                before = (previous + words[:i])[-3:]  # "exclusive of decoration and trim"
                excluded = any(word in _EXCLUSION for word in before)
                kind = _Kind.SEPARATOR if excluded else _Kind.PART
                tokens.append(_Token(kind, phrase, _PART_BY_KEY[phrase]))
                break
        else:
            word = words[i]
            fibre = _fuzzy_fibre(word)
            if fibre is not None:
                tokens.append(_Token(_Kind.NAME, word, fibre, fuzzy=True))
            elif word in _NEUTRAL:
                tokens.append(_Token(_Kind.SEPARATOR, word))
            else:
                tokens.append(_Token(_Kind.BARRIER, word))
            size = 1
        i += size
    return tokens


def _number_token(text: str, following: list[str]) -> tuple[_Token, int]:
    """The token for a number and how many of the ``following`` raw tokens it used up."""
    if following[:1] == ["%"]:
        value = int(text) if text.isdigit() else 0
        return _Token(_Kind.PERCENT, f"{text}%", percent=value if 0 < value <= 100 else None), 1
    if following[:1] == ["°"] or (following and following[0] in _TEMPERATURE_WORDS):
        return _Token(_Kind.BARRIER, f"{text}°"), 1
    if not text.isdigit():
        return _Token(_Kind.BARRIER, text), 0
    value = int(text)
    if following[:1] == ["96"] and 0 < value <= 100:  # "100 96": the percent sign read as 96
        return _Token(_Kind.PERCENT, f"{text} 96", percent=value), 1
    if value > 100 and text.endswith("96") and 0 < int(text[:-2] or "0") <= 100:
        return _Token(_Kind.NUMBER, text, percent=int(text[:-2])), 0
    if 0 < value <= 100:
        return _Token(_Kind.NUMBER, text, percent=value), 0
    return _Token(_Kind.BARRIER, text), 0


def _tokenise(lines: Sequence[str]) -> list[_Token]:
    tokens: list[_Token] = []
    for line in lines:
        raw = [m.group(0) for m in _TOKEN.finditer(_clean(line))]
        words: list[str] = []
        seen: list[str] = []
        i = 0
        while i < len(raw):
            item = raw[i]
            if item.isalpha():
                words.append(item)
                i += 1
                continue
            tokens += _words_to_tokens(words, seen)
            seen += words
            words = []
            if item[0].isdigit():
                token, used = _number_token(item, raw[i + 1 : i + 2])
                tokens.append(token)
                i += 1 + used
            else:
                tokens.append(_Token(_Kind.SEPARATOR, item))
                i += 1
        tokens += _words_to_tokens(words, seen)
        tokens.append(_Token(_Kind.SEPARATOR, "\n"))
    return _promote_numbers(_confirm_fuzzy_names(tokens))


def _confirm_fuzzy_names(tokens: list[_Token]) -> list[_Token]:
    """A name read through an OCR slip counts only right beside a percentage ("100% polyestcr"): elsewhere an ordinary
    word one letter away from a fibre ("binnen" / linnen) would join the names of a multilingual run."""
    out = []
    for i, token in enumerate(tokens):
        beside = [_neighbour(tokens, i, step) for step in (-1, 1)]
        confirmed = not token.fuzzy or any(t is not None and t.kind is _Kind.PERCENT for t in beside)
        out.append(token if confirmed else _Token(_Kind.BARRIER, token.text))
    return out


def _promote_numbers(tokens: list[_Token]) -> list[_Token]:
    """A number without a percent sign is a percentage only right beside a fibre name (neutral words between are fine,
    punctuation and line breaks are not); otherwise it is something else (a size, a lot) and blocks pairing."""
    out = []
    for i, token in enumerate(tokens):
        if token.kind is not _Kind.NUMBER:
            out.append(token)
            continue
        beside = [_neighbour(tokens, i, step) for step in (-1, 1)]
        kind = _Kind.PERCENT if any(t is not None and t.kind is _Kind.NAME for t in beside) else _Kind.BARRIER
        out.append(_Token(kind, token.text, percent=token.percent))
    return out


def _neighbour(tokens: list[_Token], index: int, step: int) -> _Token | None:
    i = index + step
    while 0 <= i < len(tokens) and tokens[i].kind is _Kind.SEPARATOR and tokens[i].text.isalpha():
        i += step
    return tokens[i] if 0 <= i < len(tokens) else None


# --- structure ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _NameGroup:
    fibres: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Segment:
    part: str
    explicit: bool  # opened by a part header
    items: list[_Token | _NameGroup] = field(default_factory=list)  # percentages, name groups, barriers


def _segments(tokens: list[_Token]) -> list[_Segment] | None:
    """Split at part headers; ``None`` when two different headers follow each other with nothing between."""
    segments = [_Segment("main", explicit=False)]
    previous: _Token | _NameGroup | None = None  # the last token that was not a separator
    for token in tokens:
        current = segments[-1]
        if token.kind is _Kind.SEPARATOR:
            continue
        if token.kind is _Kind.PART:
            if isinstance(previous, _Token) and previous.kind is _Kind.PART:
                if previous.name != token.name:
                    return None
            else:
                segments.append(_Segment(token.name, explicit=True))
        elif token.kind is _Kind.NAME:
            if isinstance(previous, _NameGroup):
                previous.fibres.add(token.name)
                previous.texts.append(token.text)
                continue
            group = _NameGroup({token.name}, [token.text])
            current.items.append(group)
            previous = group
            continue
        else:
            current.items.append(token)
        previous = token
    return segments


def _pairs(segment: _Segment) -> list[tuple[_Token, _NameGroup]] | None:
    """Percentages paired with their names, or ``None`` when they do not pair up cleanly."""
    items = segment.items
    kept: list[_Token | _NameGroup] = []
    for i, item in enumerate(items):
        if isinstance(item, _NameGroup):
            around = items[i - 1 : i] + items[i + 1 : i + 2]
            if not any(isinstance(t, _Token) and t.kind is _Kind.PERCENT for t in around):
                continue  # a fibre named in a sentence, away from any percentage
        kept.append(item)
    significant = [i for i, item in enumerate(kept) if not (isinstance(item, _Token) and item.kind is _Kind.BARRIER)]
    if not significant:
        return []
    if len(significant) % 2:
        return None
    pairs = []
    for first, second in zip(significant[::2], significant[1::2], strict=True):
        if second != first + 1:  # an unknown word between a percentage and its name
            return None
        a, b = kept[first], kept[second]
        percent, names = (a, b) if isinstance(a, _Token) else (b, a)
        if not isinstance(percent, _Token) or not isinstance(names, _NameGroup):
            return None  # two percentages or two name groups in a row
        pairs.append((percent, names))
    first_kinds = {isinstance(kept[i], _Token) for i in significant[::2]}
    return pairs if len(first_kinds) == 1 else None  # one order for the whole part


@dataclass(slots=True)
class _PartReading:
    percents: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    problem: str = ""


def _add_pairs(reading: _PartReading, pairs: list[tuple[_Token, _NameGroup]]) -> None:
    for percent, names in pairs:
        if percent.percent is None:
            reading.problem = f"unusable percentage {percent.text}"
            return
        if len(names.fibres) != 1:
            reading.problem = f"several fibres for one percentage: {'/'.join(names.texts)}"
            return
        fibre = next(iter(names.fibres))
        if reading.percents.setdefault(fibre, percent.percent) != percent.percent:
            reading.problem = f"{fibre} listed with {reading.percents[fibre]}% and {percent.percent}%"
            return
        reading.texts.setdefault(fibre, f"{percent.percent}% {names.texts[0]}")


def read_composition(lines: Sequence[str]) -> CompositionReading | None:
    """The fibre composition on a care label from its OCR ``lines``, or ``None`` if it is not read whole."""
    segments = _segments(_tokenise(lines))
    if segments is None:
        logger.debug("two part headers without a composition between them")
        return None
    readings: dict[str, _PartReading] = {}
    for segment in segments:
        pairs = _pairs(segment)
        if segment.explicit and pairs == []:
            logger.debug("part header %s without a composition: order unclear", segment.part)
            return None
        reading = readings.setdefault(segment.part, _PartReading())
        if reading.problem:
            continue
        if pairs is None:
            reading.problem = "percentages and fibre names do not pair up"
        else:
            _add_pairs(reading, pairs)

    parts: list[CompositionPart] = []
    evidence: list[str] = []
    for part in sorted(readings, key=PART_ORDER.index):
        reading = readings[part]
        if not reading.problem and not reading.percents:
            continue
        if not reading.problem and sum(reading.percents.values()) != 100:
            reading.problem = f"percentages sum to {sum(reading.percents.values())}"
        if reading.problem:
            if part == "main":
                logger.debug("main part not read: %s", reading.problem)
                return None
            evidence.append(f"{part}: not read ({reading.problem})")
            continue
        fibres = sorted(reading.percents.items(), key=lambda item: (-item[1], item[0]))
        parts.append(CompositionPart(part=part, fibres=tuple(Fibre(fibre=f, percent=p) for f, p in fibres)))
        evidence.append(f"{part}: " + ", ".join(reading.texts[f] for f, _ in fibres))
    if not parts:
        return None
    return CompositionReading(parts=tuple(parts), evidence="; ".join(evidence))


def composition_readable(lines: Sequence[str]) -> bool:
    """Whether ``lines`` give a whole composition: what tells the OCR reader it need not try harder."""
    return read_composition(lines) is not None
