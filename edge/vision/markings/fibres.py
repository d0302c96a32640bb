"""Read a textile care label's fibre composition from the OCR lines of one frame (Dutch, English, German, French,
Spanish and Italian, the main fibres also in Portuguese, Polish, Czech, Swedish, Danish, Finnish, Hungarian, Romanian
and Turkish, because EU labels list them side by side).

A wrong composition costs more than none, so ``read_composition`` returns ``None`` whenever the label is not read whole
and consistent. The rules (docs/vision.md, "Care labels as they really are", says why each is safe):

Percentages
    ``65%``, ``65 %``, ``65°/o``, ``65 o/o``, ``65 percent``. Digits read as letters right before a percent sign:
    O/o as 0, l/I/i/|/! as 1, S as 5, B as 8, Z as 2 (``1OO%``, ``l00%``, ``S0%``, ``1B%``); it must hold a digit or an
    o, so a word stays a word. ``100`` read as letters without a percent sign (``loo``, ``I00``, ``1OO``) is 100.
    A number *without* a percent sign counts only right beside a fibre name (``100 cotton``, ``cotton 100``), and only
    as part of a composition that sums to 100, which is the real evidence. The percent sign read as digits: a number
    followed by a separate ``96`` (``100 96 cotton``) is that number; a bare number may also be itself less a trailing
    ``96`` or ``9`` (``10096``, ``1009``, ``59`` for 5%), and a bare number over 100 itself less a trailing ``6`` or
    ``0`` (``1006``, ``1000``). Such a reading is taken only through the sum (see Validation). Decimals (``2,5%``), 0
    and numbers over 100 with a percent sign spoil the part they are in. A digit lost or misread is never repaired.
    ``1 00%``/``5 0%`` (a space inside the number, whose second half is no percentage alone) is joined; ``‰`` is ``%``.
    A bare number ending a header's line with a fibre name starting the next (``Doublure: 100`` / ``viscose``)
    counts as that name's percentage. A digit 0, 6 or 9 glued right after a percent sign, before a letter or a space
    and a letter (``30%6polyamide``), is the sign's ring read once more, not a number.
Fibre names
    See ``FIBRE_NAMES`` (accents optional, any case; ł, ø, æ, œ as l, o, ae, oe) and, in capitals only,
    ``ABBREVIATIONS`` (CO, PES, WO, PA, EL/EA, VI, LI, SE, ...; AC, PE, PC, PL, CA, HA name two different fibres on real
    labels and are not read). An abbreviation counts only right beside a percentage and never beside an unknown word
    (``TENC EL``: a word OCR broke up), never right after a digit that follows a letter (``VISC0SE``: viscose with
    its O read as 0, not ``VISC 0 SE``, silk), never before a colon (``SE:`` is Sweden) and never before a percentage
    followed by an unknown word (``EL 100% XYZ`` is a Greek block OCR could not read). A run of names of the same
    fibre, separated by ``/ , - |``, spaces or line breaks, is one fibre named in several languages
    (``polyester/polyester/Polyester``, ``katoen`` / ``cotton``), and so is a word of such names glued together, with
    or without a slash read as l, i or 1 (``katoencotton``, ``BaumwolleCotton``, ``viskoselviscoselviscose``,
    ``katoen1cotton``) when every way to cut it names the same one fibre. A digit inside a
    word, or rn/vv/cl/ii/li, is read back as the letter it looks like only where that makes one name (``algod6n``,
    ``v1scose``, ``rnerino``, ``VVolle``). Words that make a name when written together, the first of them unknown,
    are that name (``Baum wolle``); names and headers of several words also read without their spaces
    (``Tejidoprincipal``, ``otherfibres``), and a header of two words split over two lines (``Tejido`` above
    ``principal:``) is joined into one line before anything else. An unknown
    word inside a slash run of one fibre's names, one OCR slip from a name of that fibre and of no other, is that fibre
    (``cotton/cotor/Baumwolle``), and so is one between two names of that fibre joined by ``· , -`` or a space
    (``viscose·viscDsa-viscosa``); one slip from another fibre's name, it is that fibre, and the run spoils its part. A
    run that mixes fibres without a percentage between them (``polyester/cotton``, ``cottonpolyester``) spoils its part.
    Qualifiers (``QUALIFIERS``: recycled, organic, bio, pima, supima, Egyptian, combed, mercerised, mulberry, baby,
    virgin, pure, new, certified, GOTS, ... in the label languages) are skipped and the composition keeps the base
    fibre: ``60% recycled polyester`` is 60% polyester; a word of 6 letters or more one slip from a qualifier and within
    two slips of no fibre or part name is one too (``organlc``). Lambswool, merino, virgin wool, Schurwolle, laine
    d'agneau: wool. Lycra, spandex: elastane. Tencel: lyocell. Lurex, metallised fibre: metallic. Words of 6 letters or
    more that are one OCR slip (one letter changed, added, missing, or two swapped) from exactly one fibre are read as
    that fibre (``polyestcr``), right beside a percentage only, and only if no other fibre's name is within two slips
    (``iacetaat``: acetate, or triacetate with its start lost). A name, as it stands or by one slip, right after or
    right before an unknown word is no name when the two written together are within two slips of another fibre
    (``aod acryl``: modacryl split and its m misread; ``tr aacetaat``; ``elastam ultiester``, ``elasta dieen``). A
    fibre the table does not know is an unknown word.
Pairing
    Names and percentages pair in the order the label uses, decided by which comes first in a part: ``65% polyester 35%
    cotton`` or ``polyester 65% cotton 35%``. Lines read upside down arrive in reverse order; that flips the order of a
    percentage and its name on the next line consistently, so those still pair right. Names before their percentages
    never take one from the next line where that line goes on to name a fibre right after it (``lana`` above ``82%
    polyamide 18%``: that line pairs the other way; the part is spoilt). Pairs must alternate strictly: two
    percentages in a row (a table read column by column) spoil the part. An unknown word between a percentage and its
    name (``100% bamboo``, ``30% less water``) spoils the part. A fibre name inside a sentence (between unknown words
    and away from any percentage: ``use the wool programme``) is ignored. Temperatures (``30°``, ``40 °C``, ``30
    graden``) and washing text are unknown words, never percentages; so is a number right after a washing word
    (``_WASHING``, glued to it or one slip off: ``lavara400`` is ``lavare a 40°`` with its degree sign read as 0).
Exclusions
    After "exclusive of", "excluding", "exclusief", "zonder", "ohne", "sauf", "sans", "hors", "excepto", "sin",
    "escluso", "senza"... (``_EXCLUSION``) the rest of the line, up to a number or a colon, is what the composition
    leaves out (``exclusive of trims, elastic and decoration``, ``exclusief garnering``, ``ohne Zutaten``, ``hors
    garnitures``): no fibre name or header there counts. A word of 6 letters or more one slip from such a word, and
    within two slips of no fibre or part name, is one too (``exceplo adornos``), and so is a word that starts with
    one of 6 letters or more (``exclusiveof trims``). After a comma in such a list, a header with its colon starts a
    part again (``exclusive of trim, Lining: 100% polyester``).
Parts
    Headers name a part: main (shell, outer, body, main fabric, bovenstof, buitenstof, Obermaterial, Oberstoff,
    Außenmaterial, tissu principal, tissu extérieur, extérieur, tejido principal, exterior, tessuto principale,
    esterno), lining, trim, rib, pocket and filling, each in the five languages (see ``PART_NAMES``). A composition
    before any header is the main part; a label with no header has one part, ``main``. Several headers of the same part
    in a row (``Bovenstof/Outer/Obermaterial:``) are one header. A word of 5 letters or more one slip from exactly one
    header, right before a colon or alone on its line, is that header (``Linlng:``, ``Futten``), and so are the last
    words before a colon one slip from exactly one header of as many words (``Tissu prlncipal:``), or making up their
    line but for specks of one character (``1 issu principal``). A line's first words right before a percentage end
    where a colon would (``Forroi 100%algodon``, ``Lning 100% polyamide``: a colon lost or read as a letter). A
    header of 8 letters or more may be two slips off, where every other part's header is 5 slips or more away and no
    fibre's name within two (``Bovenslol:``, ``Garnenng``, ``Tissu pnncipal:``). An unknown word in a slash run of one
    part's headers, one slip from a header of that part and of no other (``Lining / ooublure / Voering:``, ``Trin /
    Garniture``), is that header. An unknown word
    before a colon and a composition is a header OCR garbled and gives ``None`` (read as nothing, the second
    composition would join the first, and two equal ones would hide a part; before the first percentage, a lining
    under a shell that did not read would pass for the main part), and so does a qualifier there (``pur.`` alone on
    its line for ``Futter:``); titles (``_TITLES``: Composition, Samenstelling,
    ..., and words two slips from one), words of two letters (language codes) and an article number's abbreviation
    with its full stop (``art.``, ``ref.``) are not headers. A colon first on its line, or a single letter and a colon
    first on its line (``:100%Baumwolle``, ``r:100%``), before a composition is what is left of a header that faded or
    was cut off, and gives ``None`` as a garbled header does. A header with no
    composition after it gives ``None`` for the whole label: that is what a label read upside down looks like (its
    headers come after their compositions), and guessing would put the lining's fibres in the shell.
Validation
    Each part must sum to exactly 100. A fibre without a percentage, or a missing percentage, is not guessed: the part
    is spoilt. The same fibre twice in one part with the same percentage is one fibre (multilingual labels repeat the
    whole list per language, so a label saying one composition in five languages is one composition); with different
    percentages the part is spoilt. Where the plain readings do not add up to 100 but some percentage may have had its
    percent sign read as a digit, every combination of readings is tried, and the part is read only if exactly one
    composition adds up to 100; a sum below 100 is never repaired that way (a line OCR lost explains it as well). A
    spoilt part, of any kind, gives ``None`` for the whole label (a lining left out may be where the elastane is), and
    so does a label whose main part was not read, and one with a line holding nothing but the beginning or the end of
    the name of a fibre it did not read (``elas``, ``kose``): that fibre's line was cut, and maybe its part.
Garbled copies
    A label with no part header that does not read whole may still give the one composition it repeats per language
    when some copies are garbled (``_read_copies``): the runs of lines that read whole must all agree, no unknown
    word may stand before a colon, and every other line with a percentage or a fibre name must be evidently a
    garbled piece of that composition (its percentages the composition's, its words nearest the composition's
    fibres, at least one within two slips of one of them).
Output
    Parts in the order main, lining, trim, rib, pocket, filling; fibres by percentage, highest first, then by name.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from itertools import product

from edge.vision.dataset import CompositionPart, Fibre
from edge.vision.markings.normalise import clean_line, edit_distance, fold_letters

logger = logging.getLogger(__name__)

FIBRE_NAMES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "cotton": {
        "nl": ("katoen",),
        "en": ("cotton",),
        "de": ("Baumwolle",),
        "fr": ("coton",),
        "es": ("algodón",),
        "it": ("cotone",),
        "pt": ("algodão",),
        "pl": ("bawełna",),
        "cs": ("bavlna",),
        "sv": ("bomull",),
        "da": ("bomuld",),
        "fi": ("puuvilla",),
        "hu": ("pamut",),
        "ro": ("bumbac",),
        "tr": ("pamuk",),
    },
    "polyester": {
        "nl": ("polyester",),
        "en": ("polyester",),
        "de": ("Polyester",),
        "fr": ("polyester",),
        "es": ("poliéster",),
        "it": ("poliestere",),
        "pt": ("poliéster",),
        "pl": ("poliester",),
        "fi": ("polyesteri",),
        "hu": ("poliészter",),
    },
    "wool": {
        "nl": ("wol", "scheerwol", "lamswol", "merinowol", "merino"),
        "en": ("wool", "lambswool", "lambs wool", "lamb's wool", "merino", "virgin wool"),
        "de": ("Wolle", "Schurwolle", "Lammwolle", "Merinowolle", "Merino"),
        "fr": ("laine", "laine d'agneau", "mérinos"),
        "es": ("lana", "lana de cordero", "merino"),
        "it": ("lana", "lana vergine", "merino"),
        "pl": ("wełna",),
        "cs": ("vlna",),
        "sv": ("ull",),
        "da": ("uld",),
        "fi": ("villa",),
        "hu": ("gyapjú",),
        "ro": ("lână",),
        "tr": ("yün",),
    },
    "viscose": {
        "nl": ("viscose",),
        "en": ("viscose", "rayon"),
        "de": ("Viskose",),
        "fr": ("viscose", "rayonne"),
        "es": ("viscosa", "rayón"),
        "it": ("viscosa", "rayon"),
        "pl": ("wiskoza",),
        "cs": ("viskóza",),
        "sv": ("viskos",),
        "fi": ("viskoosi",),
        "hu": ("viszkóz",),
        "ro": ("vâscoză",),
        "tr": ("viskon",),
    },
    "polyamide": {
        "nl": ("polyamide", "nylon"),
        "en": ("polyamide", "nylon"),
        "de": ("Polyamid", "Nylon"),
        "fr": ("polyamide", "nylon"),
        "es": ("poliamida", "nylon", "nailon"),
        "it": ("poliammide", "nylon"),
        "pl": ("poliamid",),
        "fi": ("polyamidi",),
    },
    "elastane": {
        "nl": ("elastaan", "elastan", "lycra"),
        "en": ("elastane", "spandex", "lycra"),
        "de": ("Elasthan", "Elastan", "Lycra"),
        "fr": ("élasthanne", "élasthane", "lycra"),
        "es": ("elastano", "elastán", "lycra"),
        "it": ("elastan", "elastam", "lycra"),
        "fi": ("elastaani",),
        "hu": ("elasztán",),
    },
    "acrylic": {
        "nl": ("acryl", "polyacryl"),
        "en": ("acrylic", "polyacrylic"),
        "de": ("Polyacryl", "Acryl"),
        "fr": ("acrylique", "polyacrylique"),
        "es": ("acrílico", "acrílica", "poliacrílico"),
        "it": ("acrilico", "acrilica"),
        "pl": ("akryl",),
        "fi": ("akryyli",),
        "tr": ("akrilik",),
    },
    "linen": {
        "nl": ("linnen", "vlas"),
        "en": ("linen", "flax"),
        "de": ("Leinen", "Flachs"),
        "fr": ("lin",),
        "es": ("lino",),
        "it": ("lino",),
        "pt": ("linho",),
        "pl": ("len",),
        "fi": ("pellava",),
        "tr": ("keten",),
    },
    "silk": {
        "nl": ("zijde",),
        "en": ("silk",),
        "de": ("Seide",),
        "fr": ("soie",),
        "es": ("seda",),
        "it": ("seta",),
        "pl": ("jedwab",),
        "cs": ("hedvábí",),
        "sv": ("siden",),
        "da": ("silke",),
        "fi": ("silkki",),
        "hu": ("selyem",),
        "ro": ("mătase",),
        "tr": ("ipek",),
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
        "pt": ("caxemira",),
        "pl": ("kaszmir",),
        "sv": ("kashmir",),
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
    "triacetate": {
        "nl": ("triacetaat",),
        "en": ("triacetate",),
        "de": ("Triacetat",),
        "fr": ("triacétate",),
        "es": ("triacetato",),
        "it": ("triacetato",),
    },
    "cupro": {lang: ("cupro", "bemberg") for lang in ("nl", "en", "de", "fr", "es", "it")},
    "hemp": {
        "nl": ("hennep",),
        "en": ("hemp",),
        "de": ("Hanf",),
        "fr": ("chanvre",),
        "es": ("cáñamo",),
        "it": ("canapa",),
    },
    "ramie": {lang: ("ramie", "ramié", "ramio", "ramia") for lang in ("nl", "en", "de", "fr", "es", "it")},
    "jute": {lang: ("jute", "yute", "iuta") for lang in ("nl", "en", "de", "fr", "es", "it")},
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
    "modacrylic": {
        "nl": ("modacryl",),
        "en": ("modacrylic",),
        "de": ("Modacryl",),
        "fr": ("modacrylique",),
        "es": ("modacrílico", "modacrílica"),
        "it": ("modacrilica", "modacrilico"),
    },
    "elastomultiester": {
        lang: ("elastomultiester", "elastomultiéster") for lang in ("nl", "en", "de", "fr", "es", "it")
    },
    "elastodiene": {
        "nl": ("elastodieen",),
        "en": ("elastodiene",),
        "de": ("Elastodien",),
        "fr": ("élastodiène",),
        "es": ("elastodieno",),
        "it": ("elastodiene",),
    },
    "polyurethane": {
        "nl": ("polyurethaan",),
        "en": ("polyurethane",),
        "de": ("Polyurethan",),
        "fr": ("polyuréthane",),
        "es": ("poliuretano",),
        "it": ("poliuretano",),
    },
    "metallic": {
        "nl": ("metaal", "metaalvezel", "metaaldraad", "metallic", "gemetalliseerde vezel"),
        "en": (
            "metallic", "metallic fibre", "metallic fiber", "metallised fibre", "metallized fiber", "metallised",
            "metallized", "metal fibre", "metal fiber", "metal", "lurex",
        ),
        "de": ("Metall", "Metallfaser", "Metallic", "metallisierte Faser", "Metallgarn", "Lurex"),
        "fr": ("métal", "fibre métallique", "fibre métallisée", "métallique", "métallisé", "lurex"),
        "es": ("metal", "fibra metálica", "fibra metalizada", "metálico", "metalizado", "lúrex"),
        "it": ("metallo", "fibra metallica", "fibra metallizzata", "metallizzato", "metallizzata", "lurex"),
    },
    "other": {
        "nl": ("overige vezels", "andere vezels", "overige"),
        "en": ("other fibres", "other fibers", "other fibre", "other fiber", "others"),
        "de": ("sonstige Fasern", "andere Fasern", "sonstige"),
        "fr": ("autres fibres", "autres"),
        "es": ("otras fibras", "otras"),
        "it": ("altre fibre",),
        "pt": ("outras fibras",),
    },
}  # fmt: skip

# EU textile abbreviations (EN ISO 2076 / BISFA, and DIN 60001 where they agree), counted only when printed in capitals
# (``CO`` is cotton, ``co`` is nothing). Left out because they name two different fibres on real labels: AC (acetate in
# DIN 60001, acrylic in trade use), PC (acrylic in DIN, polycarbonate elsewhere), PE (polyethylene in ISO, polyester in
# some countries), PL (polyester or polypropylene), CA (acetate, but also the Canadian CA number on the same labels),
# HA (hemp or hair), ME (metal or Spanish "me").
ABBREVIATIONS: Mapping[str, str] = {
    "CO": "cotton",
    "PES": "polyester",
    "WO": "wool",
    "WV": "wool",
    "VI": "viscose",
    "CV": "viscose",
    "PA": "polyamide",
    "EL": "elastane",
    "EA": "elastane",
    "PAN": "acrylic",
    "LI": "linen",
    "SE": "silk",
    "CMD": "modal",
    "MD": "modal",
    "CLY": "lyocell",
    "WS": "cashmere",
    "PP": "polypropylene",
    "CTA": "triacetate",
    "CU": "cupro",
    "CUP": "cupro",
    "WP": "alpaca",
    "WM": "mohair",
    "WA": "angora",
    "MAC": "modacrylic",
    "PU": "polyurethane",
    "PUR": "polyurethane",
    "ED": "elastodiene",
    "MTF": "metallic",
    "MET": "metallic",
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

# Words that say what kind of a fibre it is without changing which fibre: the composition keeps the base fibre only
# (``60% recycled polyester`` is 60% polyester), so the fibre names the rest of the project uses stay as they are.
QUALIFIERS = frozenset(
    """
    recycled gerecycled gerecycleerd gerecyclede gerecycleerde recycelt recyceltes recycelter recyceltem recycle
    recyclee recycles recicla reciclado reciclada riciclato riciclata organic biologisch biologische bio organique
    biologique organico organica biologico biologica virgin vierge virgen vergine scheer new nieuw nieuwe neue neuve
    nueva nuevo pure puur zuiver zuivere rein reine reiner pur puro pura pima supima egyptian egyptisch egyptische
    agyptisch agyptische agyptischer agyptischem egyptien egyptienne egipcio egipcia egiziano egiziana peruvian combed
    gekamd gekamde gekammt gekammte peigne peignee peinado peinada pettinato pettinata mercerised mercerized
    gemerceriseerd merzerisiert mercerise mercerisee mercerizado mercerizzato extrafine superfine extra fine mulberry
    baby certified gecertificeerd zertifiziert certifie certificado gots grs ocs bci
    """.split()  # noqa: SIM905  (a word list reads best as words)
)
# Words that sit inside a composition without changing it: qualifiers, language codes, conjunctions, "fibre".
_NEUTRAL = QUALIFIERS | frozenset(
    """
    fibre fibres fiber fibers vezel vezels faser fasern fibra fibras fibre and en und et y e of de di aus
    nl gb uk d fr f es it i pt pl cz cs sk hu ro tr gr ru se dk no fi sv da el ee lt lv si hr bg
    """.split()  # noqa: SIM905
)
# After one of these words, the rest of the line (up to a number or a colon) names what the composition leaves out:
# "exclusive of trims", "exclusive of elastic", "exclusief garnering", "ohne Zutaten", "hors garnitures".
_EXCLUSION = frozenset(
    """
    exclusive excluding except excl exc exclusief exkl exklusive behalve zonder ausgenommen ausser ohne sauf sans
    hors excepto excluyendo excluidos excluido sin escluso esclusi esclusa escluse senza without
    """.split()  # noqa: SIM905
)
_TEMPERATURE_WORDS = frozenset(("c", "f", "graden", "grad", "degrees", "degres", "grados", "gradi"))
# Washing words: a number right after one is a temperature (``lavar a 40°`` read as ``lavara400``), never a percentage.
_WASHING = ("wash", "washing", "wassen", "waschen", "wasche", "laver", "lavage", "lavar", "lavare", "lavaggio")
_MAX_PHRASE = 3
_FUZZY_MIN_LENGTH = 6  # shorter names are too close to ordinary words (wol/wal, lin/lijn) for one-slip matching
_FUZZY_PART_MIN_LENGTH = 5
_TWO_SLIP_PART_LENGTH = 8  # letters a part header needs to be read through two OCR slips ...
_OTHER_PART_SLIPS = 5  # ... when every other part's header is at least this many slips away
_MAX_SLIP_READINGS = 8  # percentages with more than one reading in one part: beyond this, abstain (and stay fast)


def _key(text: str) -> str:
    """A name as it is compared: no accents, folded case, apostrophes and hyphens as spaces."""
    return " ".join(re.sub(r"['’`\-]", " ", fold_letters(clean_line(text)).casefold()).split())


# Names of several words also without their spaces, as OCR often returns them ("Tejidoprincipal", "otherfibres").
_FIBRE_BY_KEY: dict[str, str] = {
    key: fibre
    for fibre, languages in FIBRE_NAMES.items()
    for names in languages.values()
    for name in names
    for key in (_key(name), _key(name).replace(" ", ""))
}
_PART_BY_KEY: dict[str, str] = {
    key: part
    for part, names in PART_NAMES.items()
    for name in names
    for key in (_key(name), _key(name).replace(" ", ""))
}
_SPLIT_HEADERS = frozenset(key for key in _PART_BY_KEY if " " in key)  # see _join_split_headers
# Words that title a composition ("Composition: 100% cotton"); any other unknown word before a colon that a
# composition follows is taken for a part header OCR garbled (see ``_garbled_header``).
_TITLES = frozenset(
    """
    composition compositions composicion composizione composicao zusammensetzung materialzusammensetzung samenstelling
    materiaal materialen material materials materiale materiali materiales fabric fabrics content contents stoff
    tissu tejido tessuto sklad slozeni koostumus osszetetel compozitie icerik materialsammansattning
    """.split()  # noqa: SIM905
)
# An abbreviation in capitals survives case folding as this prefix and its letters ("CO" -> "qabbrco"): no word in
# any label language starts so.
_ABBREVIATION_MARK = "qabbr"
_ABBREVIATION_BY_KEY: dict[str, str] = {_ABBREVIATION_MARK + abbr.casefold(): f for abbr, f in ABBREVIATIONS.items()}
# Pieces a word of glued names is cut into: one-word fibre names and qualifiers (a qualifier names no fibre).
_GLUED_PIECES: dict[str, str] = {key: fibre for key, fibre in _FIBRE_BY_KEY.items() if " " not in key} | {
    word: "" for word in QUALIFIERS if len(word) >= 3
}
_MIN_PIECE = 3
_MAX_GLUED = 64


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
    percent: int | None = None  # the plain reading; None: none usable (decimal, 0, over 100), see ``alternatives``
    alternatives: tuple[int, ...] = ()  # readings with the percent sign read as a digit (``59`` as 5%, ``1009``)
    fuzzy: bool = False  # a name read through one OCR slip
    weak: bool = False  # an abbreviation (``CO``, ``EL``): a name only right beside its percentage


@dataclass(frozen=True, slots=True)
class CompositionReading:
    parts: tuple[CompositionPart, ...]  # one part named "main" when the label lists no parts
    evidence: str


# --- text clean-up ------------------------------------------------------------------------------------------------

_ABBREVIATION = re.compile(
    r"(?<![A-Za-z])(?<![A-Za-z]\d)(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![A-Za-z])(?!\s*:)"
)
_PERCENT_WORDS = re.compile(r"\b(?:percent|per cent|procent|prozent|pour ?cent|por ?ciento|per ?cento|pct)\b")
_PERCENT_LOOKALIKES = re.compile(r"(?<=[\d\s])(?:o/o|0/o)(?![a-z])|(?<=[\do\s])°/[o0°](?![a-z])|[%％‰]")
_ZERO_IN_WORD = re.compile(r"(?<=[a-z])0+(?=[a-z])")
_ONE_IN_WORD = re.compile(r"(?<=[a-z])1(?=[a-z])")
_FIVE_IN_WORD = re.compile(r"(?<=[a-z])5(?=[a-z])")
_LETTER_THEN_DIGIT = re.compile(r"(?<=[a-z])(?=\d)")
_DIGIT_THEN_LETTER = re.compile(r"(?<=\d)(?=[a-z])")
# A percentage read (partly) as letters, right before its percent sign: "l00%", "1OO%", "S0%", "lo %". It must hold
# a digit or an o, so a word before a percent sign ("is %") stays a word.
_LETTERS_BEFORE_PERCENT = re.compile(r"(?<![a-z0-9|!])(?=[a-z0-9|!]*[0-9o])[0-9oilsbz|!]{1,3}(?= *%)")
_LETTERS_AS_DIGITS = str.maketrans("oilsbz|!", "01158211")
# "100" read as letters without a percent sign ("loo", "I00", "ioo"): the number, which counts only beside a fibre name.
_HUNDRED_AS_LETTERS = re.compile(r"(?<![a-z0-9|!])[li|!][o0]{2}(?![a-z0-9])")
# "100" with its zeros read as other round glyphs ("1oe", "188", "108", "leo"): before a percent sign it can only be
# 100, since a percentage is at most 100.
_HUNDRED_LOOKALIKE = r"[1li|!][0o8e][0o8e]"
_HUNDRED_BEFORE_PERCENT = re.compile(rf"(?<![a-z0-9|!]){_HUNDRED_LOOKALIKE}(?= *%)")
# A percent sign read as a letter right after the number ("100g Leinen", "1oox poliester", "leos recycle"): only
# where a fibre name or a qualifier follows (``_percent_as_letter``).
_PERCENT_AS_LETTER = re.compile(rf"(?<![a-z0-9|!])(\d{{1,3}}|{_HUNDRED_LOOKALIKE})[gxhs] +(?=([a-zß]+))")
# A percent sign whose lower ring OCR read once more as a digit, glued to it before the fibre's name ("30%6polyamide",
# "40%6 katoen"): no number stands between a percentage and its name.
_DIGIT_AFTER_PERCENT = re.compile(r"(?<=\d)%[069](?= ?[a-z])")
_O_IN_NUMBER = re.compile(r"(?<![a-z0-9])\d[\do]*(?![a-z0-9])")
_TOKEN = re.compile(r"(?P<number>\d+(?:[.,]\d+)?)|(?P<percent>%)|(?P<degree>°)|(?P<word>[a-zß]+)|(?P<other>\S)")

_WORD_WITH_EDGE_ONE = re.compile(r"(?<![a-z0-9])1?[a-z]{2,}1?(?![a-z0-9])")
_WORD_WITH_DIGITS = re.compile(r"(?<![a-z0-9])[a-z]+(?:\d{1,2}[a-z]+)+(?![a-z0-9])")
_DIGIT_LOOKALIKES = dict(zip("0123456789", ("o", "li", "z", "e", "a", "s", "ob", "t", "b", "g"), strict=True))
_LONG_WORD = re.compile(r"[a-z]{6,}")
_WORD = re.compile(r"[a-z]{3,}")
_LETTER_LOOKALIKES = (("rn", "m"), ("m", "rn"), ("vv", "w"), ("cl", "d"), ("ii", "u"), ("li", "h"))
# A space read inside a percentage: "1 00%", "5 0%" (a lone "00%" or "0%" is no percentage, so nothing is lost).
_SPACE_IN_NUMBER = re.compile(r"(?<![\d.,])(\d{1,2}) (0\d?)(?= *%)")
_RUN_MARKS = frozenset("/|·,-")  # what separates one fibre's names in a run, besides a space
_SLASH_LOOKALIKES = "li"  # a slash between two glued names, read as a letter


def _edge_one_as_l(match: re.Match[str]) -> str:
    """``1innen``, ``woo1``, ``1aine``: an l read as 1 at a word's edge, only where that makes a fibre name."""
    word = match.group(0)
    fixed = word.replace("1", "l")
    return fixed if fixed != word and _key(fixed) in _FIBRE_BY_KEY else word


def _meaning(word: str) -> str | None:
    """What ``word`` names as a whole: a fibre, a part header, a run of glued names of one fibre, or nothing."""
    if word in _FIBRE_BY_KEY:
        return _FIBRE_BY_KEY[word]
    if word in _PART_BY_KEY:
        return "part:" + _PART_BY_KEY[word]
    pieces = _glued_names(word)
    return next(_GLUED_PIECES[piece] for piece in pieces if _GLUED_PIECES[piece]) if pieces else None


def _letters_misread(match: re.Match[str]) -> str:
    """``rnerino``, ``VVolle``, ``cotlon``-like pairs OCR confuses (rn/m, vv/w, cl/d, ii/u), undone only where that
    makes a name, and only one name."""
    word = match.group(0)
    if _meaning(word) is not None:
        return word
    found: dict[str, str] = {}
    for wrong, right in _LETTER_LOOKALIKES:
        start = word.find(wrong)
        while start >= 0:
            fixed = word[:start] + right + word[start + len(wrong) :]
            meaning = _meaning(fixed)
            if meaning is not None:
                found.setdefault(meaning, fixed)
            start = word.find(wrong, start + 1)
    return next(iter(found.values())) if len(found) == 1 else word


def _digits_as_letters(match: re.Match[str]) -> str:
    """``algod6n``, ``v1scose``, ``po1yester``: letters read as digits inside a word, only where every way of reading
    the digits back as letters that makes a name makes the same name."""
    word = match.group(0)
    at = [i for i, char in enumerate(word) if char.isdigit()]
    if len(at) > 3:
        return word
    found: dict[str, str] = {}
    for letters in product(*(_DIGIT_LOOKALIKES[word[i]] for i in at)):
        chars = list(word)
        for i, letter in zip(at, letters, strict=True):
            chars[i] = letter
        fixed = "".join(chars)
        meaning = _meaning(fixed)
        if meaning is not None:
            found.setdefault(meaning, fixed)
    return next(iter(found.values())) if len(found) == 1 else word


@cache
def _glued_cuts(word: str) -> tuple[tuple[str, ...], ...]:
    """Every way to cut ``word`` whole into ``_GLUED_PIECES``, with at most one slash look-alike between pieces."""
    ways: list[tuple[str, ...]] = []
    for end in range(_MIN_PIECE, len(word) + 1):
        piece = word[:end]
        if piece not in _GLUED_PIECES:
            continue
        if end == len(word):
            ways.append((piece,))
            continue
        rests = list(_glued_cuts(word[end:]))
        if word[end] in _SLASH_LOOKALIKES:
            rests += _glued_cuts(word[end + 1 :])
        ways += [(piece, *rest) for rest in rests]
    return tuple(ways)


def _glued_names(word: str) -> tuple[str, ...] | None:
    """The pieces of a word of several names glued together (``katoencotton``, ``polyesterpolyester``,
    ``viskoselviscoselviscose`` with each slash read as an l, ``biokatoen``), if every way to cut it names the same one
    fibre: one fibre in several languages, as labels list it. Names of different fibres glued together are left as
    they are (an unknown word), so the part they are in is not read."""
    if len(word) > _MAX_GLUED or word in _FIBRE_BY_KEY:
        return None
    ways = [way for way in _glued_cuts(word) if len(way) > 1]
    fibres = {frozenset(_GLUED_PIECES[piece] for piece in way) - {""} for way in ways}
    if len(fibres) != 1 or len(next(iter(fibres))) != 1:
        return None
    return min(ways, key=len)


def _split_glued(match: re.Match[str]) -> str:
    pieces = _glued_names(match.group(0))
    return " / ".join(pieces) if pieces else match.group(0)


def _percent_as_letter(match: re.Match[str]) -> str:
    number, following = match.group(1), match.group(2)
    value = int(number) if number.isdigit() else 100
    meaning = _meaning(following)
    named = following in QUALIFIERS or (meaning is not None and not meaning.startswith("part:"))
    return f"{value} % " if named and 0 < value <= 100 else match.group(0)


def _join_number(match: re.Match[str]) -> str:
    joined = match.group(1) + match.group(2)
    return joined if int(joined) <= 100 else match.group(0)


def _clean(line: str) -> str:
    text = fold_letters(clean_line(line)).replace("º", "o")
    text = _ABBREVIATION.sub(lambda m: f" {_ABBREVIATION_MARK}{m.group(1).casefold()} ", text)
    text = text.casefold()
    text = _WORD_WITH_DIGITS.sub(_digits_as_letters, text)  # "algod6n", "katoen1cotton"
    text = _WORD_WITH_EDGE_ONE.sub(_edge_one_as_l, text)
    text = _WORD.sub(_letters_misread, text)  # "rnerino", "vvool"
    text = _LONG_WORD.sub(_split_glued, text)
    text = _PERCENT_WORDS.sub("%", text)
    text = _DIGIT_AFTER_PERCENT.sub("%", text)  # "30%6polyamide"
    text = _PERCENT_LOOKALIKES.sub(" % ", text)
    text = _SPACE_IN_NUMBER.sub(_join_number, text)  # "1 00 %"
    text = _ZERO_IN_WORD.sub(lambda m: "o" * len(m.group(0)), text)  # "c0tton"
    text = _ONE_IN_WORD.sub("l", _FIVE_IN_WORD.sub("s", text))  # "po1yester", "ela5tane"
    text = _PERCENT_AS_LETTER.sub(_percent_as_letter, text)  # "100g leinen"
    text = _HUNDRED_BEFORE_PERCENT.sub("100", text)  # "1oe %", "188 %"
    text = _LETTERS_BEFORE_PERCENT.sub(lambda m: m.group(0).translate(_LETTERS_AS_DIGITS), text)  # "l00 %", "s0 %"
    text = _HUNDRED_AS_LETTERS.sub("100", text)  # "loo cotton"
    text = _LETTER_THEN_DIGIT.sub(" ", text)  # "rayon30 %" -> "rayon 30 %"
    text = _O_IN_NUMBER.sub(lambda m: m.group(0).replace("o", "0"), text)  # "1oo", "7o"
    text = _DIGIT_THEN_LETTER.sub(" ", text)  # "100 %cotton" was split above; "10096cotton" -> "10096 cotton"
    return re.sub(r"['’`]|(?<=[a-z])-(?=[a-z])", " ", text)  # "d'agneau", "bord-cote"


# --- tokens -------------------------------------------------------------------------------------------------------


def _one_slip(word: str, name: str) -> bool:
    """``word`` and ``name`` differ by one substitution, insertion, deletion or swap of two neighbouring letters."""
    if abs(len(word) - len(name)) > 1 or word == name:
        return False
    if len(word) == len(name):
        differ = [i for i, (a, b) in enumerate(zip(word, name, strict=True)) if a != b]
        if len(differ) == 2 and differ[1] == differ[0] + 1:
            i = differ[0]
            return word[i] == name[i + 1] and word[i + 1] == name[i]
        return len(differ) == 1
    short, long = sorted((word, name), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@cache
def _fuzzy_fibre(word: str) -> str | None:
    """The one fibre ``word`` is one OCR slip from, if no other fibre's name is within two slips: ``iacetaat`` is one
    slip from acetaat but two from triacetaat (its start lost), so it is neither."""
    if len(word) < _FUZZY_MIN_LENGTH or word in _NEUTRAL or word in _PART_BY_KEY or word in _EXCLUSION:
        return None
    fibres = {fibre for key, fibre in _FIBRE_BY_KEY.items() if " " not in key and _one_slip(word, key)}
    if len(fibres) != 1:
        return None
    fibre = fibres.pop()
    near = {f for key, f in _FIBRE_BY_KEY.items() if f != fibre and " " not in key and _within_two(word, key)}
    return None if near else fibre


@cache
def _glued_to_another(before: str, word: str, fibre: str) -> bool:
    """``word`` read as ``fibre`` by one slip, yet together with the word before it within two slips of another
    fibre: OCR may have split that one and slipped a letter too (``tr aacetaat``: triacetaat, where ``tr`` is also a
    country code and ``aacetaat`` one slip from acetaat). Then neither reading is safe."""
    glued = before + word
    return any(f != fibre and " " not in key and _within_two(glued, key) for key, f in _FIBRE_BY_KEY.items())


def _within_two(word: str, name: str) -> bool:
    """Levenshtein distance of at most 2."""
    return edit_distance(word, name, cap=3) <= 2


class _Exclusion(Enum):
    NONE = 0
    OPEN = 1  # right after "exclusive of": what follows is left out ("exclusive of trims: 100% cotton")
    LISTED = 2  # after a comma in an open exclusion: a header with a colon here starts a part again


def _words_to_tokens(words: list[str], excluded: _Exclusion, before_colon: bool) -> tuple[list[_Token], _Exclusion]:
    """Fibre and part names (longest phrase first) among consecutive ``words``, and whether an exclusion ("exclusive
    of") is open after them; ``excluded``: whether one is open before them. Excluded words are barriers, except a part
    header right before a colon after a comma (``exclusive of trim, Lining: 100% polyester``)."""
    tokens: list[_Token] = []
    i = 0
    while i < len(words):
        header = " ".join(words[i:])
        rescued = excluded is _Exclusion.LISTED and before_colon and len(words) - i <= _MAX_PHRASE
        if rescued and header in _PART_BY_KEY:
            tokens.append(_Token(_Kind.PART, header, _PART_BY_KEY[header]))
            return tokens, _Exclusion.NONE
        if excluded is not _Exclusion.NONE or words[i] in _EXCLUSION or _fuzzy_exclusion(words[i]):
            excluded = excluded if excluded is not _Exclusion.NONE else _Exclusion.OPEN
            tokens.append(_Token(_Kind.BARRIER, words[i]))
            i += 1
            continue
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            if phrase in _FIBRE_BY_KEY:
                fibre = _FIBRE_BY_KEY[phrase]
                after_unknown = bool(tokens) and tokens[-1].kind is _Kind.BARRIER
                unknown_after = i + 1 < len(words) and words[i + 1] not in _FIBRE_BY_KEY
                glued_before = after_unknown and _glued_to_another(words[i - 1], phrase, fibre)
                glued_after = unknown_after and _glued_to_another(phrase, words[i + 1], fibre)
                if size == 1 and (glued_before or glued_after):
                    # "aod acryl": modacryl split and slipped (m read as a), not acryl; "elastam ultiester":
                    # elastomultiester split and slipped, not elastam (elastane). Neither reading is safe.
                    tokens.append(_Token(_Kind.BARRIER, phrase))
                else:
                    tokens.append(_Token(_Kind.NAME, phrase, fibre))
                break
            if phrase in _PART_BY_KEY:
                tokens.append(_Token(_Kind.PART, phrase, _PART_BY_KEY[phrase]))
                break
        else:
            word = words[i]
            fuzzy_header = _fuzzy_phrase_part(words[i:]) if before_colon else None
            if fuzzy_header is not None:
                tokens.append(_Token(_Kind.PART, " ".join(words[i:]), fuzzy_header))
                return tokens, excluded
            split = _split_name(words, i)
            last = i == len(words) - 1
            if split:
                joined = "".join(words[i : i + split])
                kind = _Kind.NAME if joined in _FIBRE_BY_KEY else _Kind.PART
                name = _FIBRE_BY_KEY.get(joined) or _PART_BY_KEY[joined]
                tokens.append(_Token(kind, joined, name))
                i += split
                continue
            token = _word_token(word, header=last and before_colon)
            glued_before = token.fuzzy and i > 0 and _glued_to_another(words[i - 1], word, token.name)
            if glued_before or (token.fuzzy and not last and _glued_to_another(word, words[i + 1], token.name)):
                # "tr aacetaat": triacetaat split and slipped, not acetaat; "elasta dieen": elastodieen, not elastan
                token = _Token(_Kind.BARRIER, word)
            tokens.append(token)
            size = 1
        i += size
    return tokens, excluded


def _word_token(word: str, header: bool) -> _Token:
    """The token for one word that is no name as it stands; ``header``: it ends a line's words before a colon, or is
    its line's only word."""
    part = _fuzzy_part(word) if header else None
    fibre = _fuzzy_fibre(word)
    if part is not None:
        return _Token(_Kind.PART, word, part)
    if word in _ABBREVIATION_BY_KEY:
        return _Token(_Kind.NAME, word.removeprefix(_ABBREVIATION_MARK).upper(), _ABBREVIATION_BY_KEY[word], weak=True)
    if fibre is not None:
        return _Token(_Kind.NAME, word, fibre, fuzzy=True)
    if word in _NEUTRAL or _fuzzy_qualifier(word):
        return _Token(_Kind.SEPARATOR, word)
    return _Token(_Kind.BARRIER, word)


@cache
def _fuzzy_exclusion(word: str) -> bool:
    """``word`` is one OCR slip from an exclusion word (``exceplo``, ``exclusiet``; see ``_one_slip_from_only``), or
    starts with one of 6 letters or more, the next word glued on (``exclusiveof trims``: left a word, ``trims`` was a
    trim header with no composition after it): what follows it is left out, as after the word itself."""
    glued = any(len(term) >= _FUZZY_MIN_LENGTH and word.startswith(term) for term in _EXCLUSION)
    return glued or _one_slip_from_only(word, _EXCLUSION)


@cache
def _fuzzy_qualifier(word: str) -> bool:
    """``word`` is one OCR slip from a qualifier (``organlc``, ``crganic``, ``recyled``; see ``_one_slip_from_only``).
    Safe: a qualifier never changes the composition, it only stops an unknown word from sitting between a percentage
    and its fibre."""
    return word not in _EXCLUSION and word not in _PART_BY_KEY and _one_slip_from_only(word, QUALIFIERS)


def _one_slip_from_only(word: str, terms: frozenset[str]) -> bool:
    """``word`` (6 letters or more) is one OCR slip from one of ``terms`` of 6 letters or more, and not within two
    slips of any fibre or part name."""
    if len(word) < _FUZZY_MIN_LENGTH:
        return False
    if not any(len(term) >= _FUZZY_MIN_LENGTH and _one_slip(word, term) for term in terms):
        return False
    return not any(_within_two(word, key) for key in (*_FIBRE_BY_KEY, *_PART_BY_KEY) if " " not in key)


def _split_name(words: list[str], at: int) -> int:
    """How many words from ``at`` make one fibre or part name when written together (``Baum wolle``, ``poly ester``,
    ``Voe ring``, ``tr iacetaat``: OCR put a space inside the word), where the first of them is no name; else 0."""
    first = words[at]
    if first in _FIBRE_BY_KEY or first in _PART_BY_KEY or first in _ABBREVIATION_BY_KEY:
        return 0
    for size in (2, 3):
        joined = "".join(words[at : at + size])
        if at + size <= len(words) and (joined in _FIBRE_BY_KEY or joined in _PART_BY_KEY):
            return size
    return 0


def _fuzzy_part(word: str) -> str | None:
    """A part header one OCR slip from ``word`` (``Linlng:``), only for words of 5 letters or more before a colon."""
    if len(word) < _FUZZY_PART_MIN_LENGTH or word in _NEUTRAL or word in _EXCLUSION or _fuzzy_fibre(word):
        return None
    parts = {part for key, part in _PART_BY_KEY.items() if " " not in key and _one_slip(word, key)}
    if not parts:
        return _two_slips_from_one_part(word)
    return parts.pop() if len(parts) == 1 else None


@cache
def _two_slips_from_one_part(text: str) -> str | None:
    """The part whose header ``text`` is two OCR slips from, for a header of ``_TWO_SLIP_PART_LENGTH`` letters or
    more (``Bovenslol``, ``Garnenng``, ``Tissu pnncipal``) where every header of another part is at least
    ``_OTHER_PART_SLIPS`` away and no fibre's name within two: left unread, such a header is a garbled one, and the
    label gives nothing."""
    if len(text.replace(" ", "")) < _TWO_SLIP_PART_LENGTH or any(_within_two(text, key) for key in _FIBRE_BY_KEY):
        return None
    distance = {key: edit_distance(text, key, cap=_OTHER_PART_SLIPS) for key in _PART_BY_KEY}
    close = {_PART_BY_KEY[key] for key, slips in distance.items() if slips <= 2}
    if len(close) != 1:
        return None
    part = close.pop()
    return part if all(s >= _OTHER_PART_SLIPS for key, s in distance.items() if _PART_BY_KEY[key] != part) else None


def _fuzzy_phrase_part(words: list[str]) -> str | None:
    """A part header of several words one OCR slip from ``words`` (``Tissu prlncipal:``), which end a line's words
    before a colon; None for a single word (``_fuzzy_part``) or more words than a header has."""
    if not 2 <= len(words) <= _MAX_PHRASE:
        return None
    phrase = " ".join(words)
    parts = {part for key, part in _PART_BY_KEY.items() if key.count(" ") == len(words) - 1 and _one_slip(phrase, key)}
    if not parts:
        return _two_slips_from_one_part(phrase)
    return parts.pop() if len(parts) == 1 else None


def _bare_readings(text: str) -> list[int]:
    """The percentages a number printed without a percent sign may be: itself, and itself less a percent sign read
    as ``96`` or ``9`` (``10096``, ``1009``, ``59`` for 5%), or, for a number that is no percentage, as ``6`` or
    ``0`` (``1006``, ``1000``)."""
    value = int(text)
    readings = [value] if 0 < value <= 100 else []
    for suffix in ("96", "9", "6", "0") if value > 100 else ("96", "9"):
        head = text.removesuffix(suffix)
        if head != text and head and 0 < int(head) <= 100 and int(head) not in readings:
            readings.append(int(head))
    return readings


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
    readings = _bare_readings(text)
    if not readings:
        return _Token(_Kind.BARRIER, text), 0
    plain = readings[0] if 0 < value <= 100 or len(readings) == 1 else None
    others = tuple(reading for reading in readings if reading != plain)
    return _Token(_Kind.NUMBER, text, percent=plain, alternatives=others), 0


def _tokenise(lines: Sequence[str]) -> list[_Token]:
    tokens: list[_Token] = []
    for line in lines:
        raw = [m.group(0) for m in _TOKEN.finditer(_clean(line))]
        words: list[str] = []
        excluded = _Exclusion.NONE
        i = 0
        while i < len(raw):
            item = raw[i]
            if item.isalpha():
                words.append(item)
                i += 1
                continue
            # A line's first words right before a percentage end where a header's colon would (``Forroi 100%``: the
            # colon read as a letter): left a word, the lining's ``100% algodon`` joined the shell's equal one.
            opens = len(words) == i and raw[i + 1 : i + 2] == ["%"]
            found, excluded = _words_to_tokens(words, excluded, before_colon=item == ":" or opens)
            tokens += found
            words = []
            if item[0].isdigit():
                excluded = _Exclusion.NONE  # a number ends an exclusion
                token, used = _number_token(item, raw[i + 1 : i + 2])
                tokens.append(token)
                i += 1 + used
            elif item == "%":
                # A percent sign with no number before it (``l% alpaca``): a percentage OCR lost. Read as punctuation,
                # the names around it paired with the next line's percentages, one place off, and made a wrong
                # composition that still added up to 100; as a percentage without a value it spoils its part.
                tokens.append(_Token(_Kind.PERCENT, item))
                i += 1
            else:
                if item == ":":
                    excluded = _Exclusion.NONE
                elif excluded is _Exclusion.OPEN and item in ",;":
                    excluded = _Exclusion.LISTED
                tokens.append(_Token(_Kind.SEPARATOR, item))
                i += 1
        # A line of one word is read as a header may be, one slip off (``Futten``, ``Lininq``): a lining header whose
        # colon was lost, read as nothing, would let the lining's composition pass for the shell's, or hide it. So is
        # a line of a header's words after nothing but a speck OCR saw beside them (``1 issu principal``): its
        # composition passed for the label's with its lining left out.
        specks = all(len(item) == 1 for item in raw[: len(raw) - len(words)])
        header = len(raw) == 1 or (specks and _fuzzy_phrase_part(words) is not None)
        tokens += _words_to_tokens(words, excluded, before_colon=header)[0]
        tokens.append(_Token(_Kind.SEPARATOR, "\n"))
    return _promote_numbers(_join_header_runs(_join_runs(_confirm_names(tokens))))


def _is_percentage(token: _Token | None) -> bool:
    return token is not None and (
        token.kind is _Kind.PERCENT
        or (token.kind is _Kind.NUMBER and (token.percent is not None or bool(token.alternatives)))
    )


def _confirm_names(tokens: list[_Token]) -> list[_Token]:
    """A name read through an OCR slip counts only right beside a percentage ("100% polyestcr"): elsewhere an ordinary
    word one letter away from a fibre ("binnen" / linnen) would join the names of a multilingual run. An abbreviation
    counts only right beside a percentage too, not right beside an unknown word (``TENC EL 1%``: a piece of a word OCR
    broke up), and not before a percentage that an unknown word follows on its line: ``EL 100% XYZ`` is the Greek
    block of a label (EL, language code) whose fibre name OCR could not read."""
    out = []
    for i, token in enumerate(tokens):
        if token.fuzzy:
            beside = [_neighbour(tokens, i, step) for step in (-1, 1)]
            confirmed = any(t is not None and t.kind is _Kind.PERCENT for t in beside)
        elif token.weak:
            before, after = _neighbour_at(tokens, i, -1), _neighbour_at(tokens, i, 1)
            confirmed = before is not None and _is_percentage(tokens[before])
            if not confirmed and after is not None and _is_percentage(tokens[after]):
                beyond = _neighbour_at(tokens, after, 1)
                confirmed = beyond is None or tokens[beyond].kind is not _Kind.BARRIER
            # "TENC EL 1%", "5% CO TTON": capitals beside an unknown word may be a piece of a word OCR broke up
            confirmed = confirmed and not any(
                at is not None and tokens[at].kind is _Kind.BARRIER and tokens[at].text.isalpha()
                for at in (before, after)
            )
        else:
            confirmed = True
        out.append(token if confirmed else _Token(_Kind.BARRIER, token.text))
    return out


def _join_runs(tokens: list[_Token]) -> list[_Token]:
    """An unknown word inside a run of names of one fibre joined by slashes (``cotton/cotor/Baumwolle``,
    ``acrilico/acry/Polyacryl``), or between two names of one fibre joined otherwise (``viscose·viscDsa-viscosa``:
    ``_RUN_MARKS`` or a space on each side), one OCR slip from a name of that fibre and from no other fibre's, is that
    fibre. One OCR slip from another fibre's name (``cotton/polyestr``), it is that other fibre, so the run names two
    fibres and its part is not read; an unknown word further from every name (a language the table lacks) stays a
    barrier."""
    out = list(tokens)
    for i, token in enumerate(out):
        if token.kind is not _Kind.BARRIER or not token.text.isalpha() or len(token.text) < _MIN_PIECE:
            continue
        sides = [_run_side(out, i, step) for step in (-1, 1)]
        slashed = {fibre for fibre, mark in filter(None, sides) if mark in ("/", "|")}
        joined = slashed or ({fibre for fibre, _ in filter(None, sides)} if None not in sides else set())
        if len(joined) != 1:
            continue
        near = {fibre for key, fibre in _FIBRE_BY_KEY.items() if " " not in key and _one_slip(token.text, key)}
        if near == joined:
            out[i] = _Token(_Kind.NAME, token.text, near.pop())
        elif near:
            out[i] = _Token(_Kind.NAME, token.text, "/".join(sorted(near)))  # never one fibre: spoils the pair
    return out


def _join_header_runs(tokens: list[_Token]) -> list[_Token]:
    """An unknown word in a run of one part's headers joined by slashes (``Lining / ooublure / Voering:``, ``Trin /
    Garniture / Garnering:``), one OCR slip from a header of that part and from no other part's, is that part's
    header in another language. Left unknown, it stood between the part's header and its composition, and the part
    did not read."""
    out = list(tokens)
    for i, token in enumerate(out):
        if token.kind is not _Kind.BARRIER or not token.text.isalpha() or len(token.text) < _MIN_PIECE:
            continue
        sides = {part for part in (_header_side(out, i, step) for step in (-1, 1)) if part}
        if len(sides) != 1:
            continue
        near = {part for key, part in _PART_BY_KEY.items() if " " not in key and _one_slip(token.text, key)}
        if near == sides:
            out[i] = _Token(_Kind.PART, token.text, near.pop())
    return out


def _header_side(tokens: list[_Token], index: int, step: int) -> str:
    """The part of the header next to ``tokens[index]`` on one side past a slash, or ""."""
    mark, near = index + step, index + 2 * step
    if not (0 <= near < len(tokens) and tokens[mark].text in ("/", "|")):
        return ""
    return tokens[near].name if tokens[near].kind is _Kind.PART else ""


def _run_side(tokens: list[_Token], index: int, step: int) -> tuple[str, str] | None:
    """The fibre of the name next to ``tokens[index]`` on one side, right beside it or past one of ``_RUN_MARKS``, and
    that mark ("" for none); None where no name is there."""
    near, mark = index + step, ""
    if 0 <= near < len(tokens) and tokens[near].text in _RUN_MARKS:
        near, mark = near + step, tokens[near].text
    if 0 <= near < len(tokens) and tokens[near].kind is _Kind.NAME and not tokens[near].weak:
        return tokens[near].name, mark
    return None


def _promote_numbers(tokens: list[_Token]) -> list[_Token]:
    """A number without a percent sign is a percentage only right beside a fibre name (neutral words between are fine,
    punctuation and line breaks are not); otherwise it is something else (a size, a lot) and blocks pairing. Except a
    number that only reads as a percentage through a percent sign read as digits (``10096``, ``1009``), right beside
    an unknown word: a percentage whose fibre name did not read, which leaves its part unread."""
    out = []
    for i, token in enumerate(tokens):
        if token.kind is not _Kind.NUMBER:
            out.append(token)
            continue
        beside = [_neighbour(tokens, i, step) for step in (-1, 1)]
        named = any(t is not None and t.kind is _Kind.NAME for t in beside) or _header_number(tokens, i)
        unnamed = int(token.text) > 100 and any(  # a percentage only through a slip
            t is not None and t.kind is _Kind.BARRIER and t.text.isalpha() and len(t.text) > _MIN_PIECE for t in beside
        )
        # ... except right after a washing word: "lavare a 40°" read as "lavara400" is a temperature.
        unnamed = unnamed and not (beside[0] is not None and _washing(beside[0].text))
        kind = _Kind.PERCENT if named or unnamed else _Kind.BARRIER
        out.append(_Token(kind, token.text, percent=token.percent, alternatives=token.alternatives))
    return out


@cache
def _washing(word: str) -> bool:
    """Whether ``word`` is a washing word, maybe glued to what follows it or one OCR slip off (``washat``,
    ``lavara``)."""
    return any(word.startswith(term) or _one_slip(word, term) for term in _WASHING)


def _header_number(tokens: list[_Token], index: int) -> bool:
    """A bare number that ends a header's line, with a fibre name starting the next line (``Doublure: 100`` /
    ``viscose``): the percent sign lost at the end of a line."""
    before = index - 1
    while before >= 0 and tokens[before].kind is _Kind.SEPARATOR and tokens[before].text != "\n":
        before -= 1
    if before < 0 or tokens[before].kind is not _Kind.PART:
        return False
    if index + 1 >= len(tokens) or tokens[index + 1].text != "\n":
        return False
    after = _neighbour(tokens, index + 1, 1)
    return after is not None and after.kind is _Kind.NAME


def _neighbour_at(tokens: list[_Token], index: int, step: int) -> int | None:
    """The index of the next token from ``index`` in direction ``step``, past neutral words only."""
    i = index + step
    while 0 <= i < len(tokens) and tokens[i].kind is _Kind.SEPARATOR and tokens[i].text.isalpha():
        i += step
    return i if 0 <= i < len(tokens) else None


def _neighbour(tokens: list[_Token], index: int, step: int) -> _Token | None:
    at = _neighbour_at(tokens, index, step)
    return tokens[at] if at is not None else None


# --- structure ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _NameGroup:
    fibres: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    qualifiers: list[str] = field(default_factory=list)  # kept for the evidence only ("100% pima cotton")


@dataclass(slots=True)
class _Segment:
    part: str
    explicit: bool  # opened by a part header
    items: list[_Token | _NameGroup] = field(default_factory=list)  # percentages, name groups, barriers
    lines: list[int] = field(default_factory=list)  # the line of each of ``items``


def _segments(tokens: list[_Token]) -> list[_Segment] | None:
    """Split at part headers; ``None`` when two different headers follow each other with nothing between."""
    segments = [_Segment("main", explicit=False)]
    previous: _Token | _NameGroup | None = None  # the last token that was not a separator
    qualifiers: list[str] = []  # qualifiers since it
    line = 0
    for token in tokens:
        current = segments[-1]
        line += token.text == "\n"
        if token.kind is _Kind.SEPARATOR:
            if token.text in QUALIFIERS:
                qualifiers.append(token.text)
            continue
        if isinstance(previous, _NameGroup):  # "polyester recycle", "algodon organico"
            previous.qualifiers += qualifiers
        before, qualifiers = qualifiers, []
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
            group = _NameGroup({token.name}, [token.text], before)
            current.items.append(group)
            current.lines.append(line)
            previous = group
            continue
        else:
            current.items.append(token)
            current.lines.append(line)
        previous = token
    if isinstance(previous, _NameGroup):
        previous.qualifiers += qualifiers
    return segments


def _pairs(segment: _Segment) -> list[tuple[_Token, _NameGroup]] | None:
    """Percentages paired with their names, or ``None`` when they do not pair up cleanly."""
    items = segment.items
    kept: list[_Token | _NameGroup] = []
    lines: list[int] = []
    for i, item in enumerate(items):
        if isinstance(item, _NameGroup):
            around = items[i - 1 : i] + items[i + 1 : i + 2]
            if not any(isinstance(t, _Token) and t.kind is _Kind.PERCENT for t in around):
                continue  # a fibre named in a sentence, away from any percentage
        kept.append(item)
        lines.append(segment.lines[i])
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
    if len(first_kinds) != 1:
        return None  # one order for the whole part
    if first_kinds == {False} and _torn_from_its_line(kept, lines, significant):
        return None
    return pairs


def _torn_from_its_line(kept: list[_Token | _NameGroup], lines: list[int], significant: list[int]) -> bool:
    """Whether names paired before their percentages (``polyester 65%``) took a percentage from the next line that
    its own line goes on to name (``lana`` above ``82% polyamide 18%``): that line pairs the other way, so a fibre
    took another's percentage (wool 82 %, polyamide 18 % for 82 % polyamide, 18 % elastane, the elastane cut)."""
    for k in range(0, len(significant) - 2, 2):  # a pair with something after it
        name_at, percent_at, following = significant[k : k + 3]
        if lines[name_at] != lines[percent_at] == lines[following] and isinstance(kept[following], _NameGroup):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Entry:
    fibre: str
    readings: tuple[int, ...]  # the plain reading first (when there is one), then readings through a slip
    plain: bool  # readings[0] is the plain reading
    text: str


@dataclass(slots=True)
class _PartReading:
    entries: list[_Entry] = field(default_factory=list)
    problem: str = ""


def _add_pairs(reading: _PartReading, pairs: list[tuple[_Token, _NameGroup]]) -> None:
    for percent, names in pairs:
        readings = ((percent.percent,) if percent.percent is not None else ()) + percent.alternatives
        if not readings:
            reading.problem = f"unusable percentage {percent.text}"
            return
        if len(names.fibres) != 1:
            reading.problem = f"several fibres for one percentage: {'/'.join(names.texts)}"
            return
        text = " ".join([*names.qualifiers, names.texts[0]])
        reading.entries.append(_Entry(next(iter(names.fibres)), readings, percent.percent is not None, text))


def _combine(fibres: Sequence[str], values: Sequence[int]) -> dict[str, int] | None:
    """One percentage per fibre; ``None`` when a fibre is listed twice with different ones. The same fibre twice with
    the same percentage is one fibre: multilingual labels repeat the whole list per language."""
    combined: dict[str, int] = {}
    for fibre, value in zip(fibres, values, strict=True):
        if combined.setdefault(fibre, value) != value:
            return None
    return combined


def _settle(entries: list[_Entry]) -> dict[str, int] | str:
    """The percentage of each fibre, or what is wrong. The plain readings, if they add up to 100; else, where some
    percentage may have had its percent sign read as a digit, the one combination of readings that adds up to 100,
    if exactly one composition does. A sum below 100 is never repaired: a line OCR lost explains it as well."""
    fibres = [entry.fibre for entry in entries]
    plain = _combine(fibres, [entry.readings[0] for entry in entries]) if all(e.plain for e in entries) else None
    if plain is not None and sum(plain.values()) == 100:
        return plain
    slips = [entry for entry in entries if len(entry.readings) > 1 or not entry.plain]
    if plain is not None and (not slips or sum(plain.values()) < 100):
        return f"percentages sum to {sum(plain.values())}"
    if not slips:
        return "one fibre listed with two percentages"
    if len(slips) > _MAX_SLIP_READINGS:
        return "too many percentages read through a slip"
    found = set()
    for values in product(*(entry.readings for entry in entries)):
        combined = _combine(fibres, values)
        if combined is not None and sum(combined.values()) == 100:
            found.add(tuple(sorted(combined.items())))
    if len(found) == 1:
        return dict(found.pop())
    return "no reading adds up to 100" if not found else "several readings add up to 100"


def _garbled_header(tokens: list[_Token]) -> str:
    """An unknown word before a colon and a composition: a part header OCR garbled (``Shell: 100% polyester`` /
    ``Lnirg: 100% polyester``). Read as nothing, the second composition would join the first, and where the two are
    the same, a part of the label would silently go missing. Before the first percentage too: a lining whose header
    is garbled (``ruhlure/FncerVhering: 100% coton``) under a shell that did not read at all would pass for the main
    part. A word within two slips of a title is that title (``Composiion:``).

    A header first on its line may end in a full stop instead of the colon, alone there (``Ietler.`` for ``Futter:``)
    or before a percentage (``Farro.100%``; ``_ends_header``), and what follows the colon may be a percentage whose
    sign did not read (``Lnirg: 100polammde``). A header may also have faded or been cut off but for its colon,
    or its last letter and its colon, first on its line (``:100%Baumwolle``, ``r:100%Baumwolle``:
    ``_header_remains``)."""
    for i, token in enumerate(tokens[:-1]):
        if _header_remains(tokens, i):
            after = i + 1 if token.text == ":" else i + 2
        elif _garbled_word(tokens, i):
            after = i + 2
        else:
            continue
        first = _significant(tokens, after)  # "Lnirg: 100% ...", "Trlrn: aernp 10096"
        second = _significant(tokens, first + 1) if first is not None else None
        if any(at is not None and _part_of_composition(tokens[at]) for at in (first, second)):
            return token.text
    return ""


def _garbled_word(tokens: list[_Token], at: int) -> bool:
    """Whether the word at ``at`` may be a garbled part header by its letters and where it ends (see
    ``_garbled_header``): unknown, three letters or more, no title nor a title two slips off. A qualifier counts as
    unknown there, since none ends a header: ``pur.`` alone on its line above a lining's ``10% polyamid`` is
    ``Futter:`` garbled into the French for pure (the shell's second fibre lost, the lining's 10 % made it add up)."""
    word = tokens[at].text
    unknown = tokens[at].kind is _Kind.BARRIER or (tokens[at].kind is _Kind.SEPARATOR and word in QUALIFIERS)
    if not (unknown and word.isalpha() and _ends_header(tokens, at)):
        return False
    if len(word) < _MIN_PIECE or word in _TITLES or word in _PART_BY_KEY:
        return False  # a title, or a header named in an exclusion ("Exclusive of trims: 100% cotton")
    return all(_slips(word, title) >= _SLIPS_CAP for title in _TITLES)


def _first_on_line(tokens: list[_Token], at: int) -> bool:
    return at == 0 or tokens[at - 1].text == "\n"


def _header_remains(tokens: list[_Token], at: int) -> bool:
    """A colon first on its line, or a single letter first on its line before a colon (``:100%Baumwolle``,
    ``r:100%Baumwolle``): what is left of a header whose rest faded or was cut off (``Futter:``), not a word. Two
    letters may be a language code (``EN: 100% cotton``)."""
    text = tokens[at].text
    return _first_on_line(tokens, at) and (
        text == ":" or (len(text) == 1 and text.isalpha() and tokens[at + 1].text == ":")
    )


# Abbreviations a label writes before its article, model or lot number (``art. 4471-02``, ``RN 52469``): before a
# full stop they are no part header (see ``_ends_header``).
_NUMBER_ABBREVIATIONS = frozenset(("art", "nr", "no", "ref", "mod", "lot", "rn", "col"))


def _ends_header(tokens: list[_Token], at: int) -> bool:
    """Whether the word at ``at`` ends the way a part header does: before a colon, or first on its line before a
    full stop that ends the line (``Ietler.``) or that a percentage with its sign follows (``Farro.100% poliamida``;
    not ``art.4471-02``). An abbreviation before a number (``art.``, ``ref.``, ``nr.``: ``_NUMBER_ABBREVIATIONS``)
    is no header, alone on its line too (``art.`` above the article number)."""
    after = tokens[at + 1].text
    if after == ":":
        return True
    if not _first_on_line(tokens, at) or after != "." or tokens[at].text in _NUMBER_ABBREVIATIONS:
        return False
    return at + 2 == len(tokens) or tokens[at + 2].text == "\n" or tokens[at + 2].text.endswith("%")


_BARE_PERCENT = re.compile(r"(\d{1,3})(?!\d)")  # a number at most 100 leading a word: a percentage without its sign


def _part_of_composition(token: _Token) -> bool:
    """A percentage or a fibre name, or a percentage whose sign did not read (``100polammde``)."""
    if token.kind in (_Kind.PERCENT, _Kind.NAME):
        return True
    number = _BARE_PERCENT.match(token.text) if token.kind is _Kind.BARRIER else None
    return number is not None and 0 < int(number.group(1)) <= 100


def _significant(tokens: list[_Token], start: int) -> int | None:
    """The index of the first token from ``start`` on that is no separator."""
    at = start
    while at < len(tokens) and tokens[at].kind is _Kind.SEPARATOR:
        at += 1
    return at if at < len(tokens) else None


def read_composition(lines: Sequence[str]) -> CompositionReading | None:
    """The fibre composition on a care label from its OCR ``lines``, or ``None`` if it is not read whole."""
    lines = _join_split_headers(lines)
    whole = _read_whole(lines)
    return whole if whole is not None else _read_copies(lines)


def _join_split_headers(lines: Sequence[str]) -> list[str]:
    """A part header of two words that OCR boxed as two lines (``Tejido`` above ``principal:``), joined into one line
    again: read apart, the first word is a title and the second an unknown word before a colon, a garbled header."""
    out = list(lines)
    at = 0
    while at + 1 < len(out):
        before, after = out[at].split(), out[at + 1].split()
        if before and after and _key(f"{before[-1]} {after[0].rstrip(':.')}") in _SPLIT_HEADERS:
            out[at : at + 2] = [f"{out[at]} {out[at + 1]}"]
        at += 1
    return out


_MAX_COPY_LINES = 6  # lines one copy of a composition may take (a fibre a line, a header, a qualifier line)
_SLIPS_CAP = 3  # distances from here on are "far"


def _read_copies(lines: Sequence[str]) -> CompositionReading | None:
    """A label that gives one composition once per language, one block after another, where OCR garbled some of
    the copies (``45% acrilico / 35% lana / 20% poliesicr`` then ``45% acrylic / 35% wool / 20% polyester``).

    Read only when all of this holds, else ``None``: the label has no part header (a lining whose header was lost
    could otherwise pass for a garbled copy); the lines that carry a percentage or a fibre name split, top to
    bottom, into runs that each read whole on their own (the copies, at least one) and lines that read nothing
    alone (the garbled ones); every copy reads the same composition; and every garbled line is evidently a
    garbled piece of it: each percentage it holds is one of the composition's, no word in it is a fibre name of a
    fibre outside the composition or nearer to one (by OCR slips) than to a name of the composition's fibres, and
    at least one word is within two slips of a name of one of the composition's fibres.
    """
    per_line = [_tokenise([line]) for line in lines]
    if any(token.kind is _Kind.PART for tokens in per_line for token in tokens) or _unknown_before_colon(per_line):
        return None
    relevant = [i for i, tokens in enumerate(per_line) if any(t.kind in (_Kind.PERCENT, _Kind.NAME) for t in tokens)]
    copies: list[CompositionReading] = []
    garbled: list[int] = []
    at = 0
    while at < len(relevant):
        for size in range(1, min(_MAX_COPY_LINES, len(relevant) - at) + 1):
            run = relevant[at : at + size]  # lines without a percentage or a name between are left out
            reading = _read_whole([lines[i] for i in run])
            if reading is not None:
                copies.append(reading)
                at += size
                break
        else:
            garbled.append(relevant[at])
            at += 1
    if not copies or not garbled:
        return None  # nothing read, or nothing to forgive (the whole label did not read for another reason)
    first = copies[0]
    if any(copy.parts != first.parts for copy in copies) or len(first.parts) != 1:
        return None
    composition = {fibre.fibre: fibre.percent for fibre in first.parts[0].fibres}
    if not all(_garbled_copy(per_line[i], lines[i], composition) for i in garbled):
        return None
    logger.debug("%s copies read whole, %s garbled lines of the same composition", len(copies), len(garbled))
    return CompositionReading(parts=first.parts, evidence=first.evidence + f" ({len(copies)} of the copies read)")


def _garbled_copy(tokens: list[_Token], line: str, composition: dict[str, int]) -> bool:
    """Whether one line that did not read is, by all it shows, a garbled piece of ``composition`` (see
    ``_read_copies``)."""
    values = set(composition.values())
    for token in tokens:
        if token.kind is _Kind.PERCENT and token.percent not in values:  # "000%", "188%": no value to check
            return False
        if token.kind is _Kind.NAME and token.name not in composition:
            return False
    evidence = False
    for word in re.findall(r"[a-z]{4,}", _clean(line)):
        ours = min(_slips(word, key) for key, fibre in _FIBRE_BY_KEY.items() if fibre in composition)
        others = min(_slips(word, key) for key, fibre in _FIBRE_BY_KEY.items() if fibre not in composition)
        if others < _SLIPS_CAP and others <= ours:
            return False
        evidence = evidence or ours <= 2  # two slips, as ``_fuzzy_fibre`` allows
    return evidence


def _unknown_before_colon(per_line: list[list[_Token]]) -> bool:
    """An unknown word right before a colon (other than a title such as ``Composition:``): maybe a part header OCR
    garbled (``VoeringaLining:``), whose part a garbled copy could otherwise hide."""
    for tokens in per_line:
        for before, token in itertools.pairwise(tokens):
            if (
                token.text == ":"
                and before.kind is _Kind.BARRIER
                and before.text.isalpha()
                and before.text not in _TITLES
            ):
                return True
    return False


@cache
def _slips(word: str, name: str) -> int:
    """Levenshtein distance between ``word`` and ``name``, capped at ``_SLIPS_CAP``."""
    return edit_distance(word, name, cap=_SLIPS_CAP)


def _read_whole(lines: Sequence[str]) -> CompositionReading | None:
    """The composition when the label reads whole and consistent as it stands (see the module's rules)."""
    tokens = _tokenise(lines)
    garbled = _garbled_header(tokens)
    if garbled:
        logger.debug("%r before a colon and a composition: a part header OCR garbled", garbled)
        return None
    segments = _segments(tokens)
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
        if not reading.problem and not reading.entries:
            continue
        settled = reading.problem or _settle(reading.entries)
        if isinstance(settled, str):
            # A label read in part is no answer: a lining left out may be the part that holds the elastane.
            logger.debug("%s part not read: %s", part, settled)
            return None
        texts: dict[str, str] = {}
        for entry in reading.entries:
            texts.setdefault(entry.fibre, entry.text)
        fibres = sorted(settled.items(), key=lambda item: (-item[1], item[0]))
        parts.append(CompositionPart(part=part, fibres=tuple(Fibre(fibre=f, percent=p) for f, p in fibres)))
        evidence.append(f"{part}: " + ", ".join(f"{p}% {texts[f]}" for f, p in fibres))
    read = {fibre.fibre for part in parts for fibre in part.fibres}
    if not parts or parts[0].part != "main" or _other_part_lost(parts, segments) or _fibre_cut_off(tokens, read):
        return None  # a lining without its shell, a shell named with nothing beside it, a fibre cut: a part was lost
    return CompositionReading(parts=tuple(parts), evidence="; ".join(evidence))


_CUT_NAME_MIN = 4  # letters of a fibre's name left on a line, at least, to count as that name cut off


def _fibre_cut_off(tokens: list[_Token], fibres: set[str]) -> bool:
    """Whether a line holds nothing but the beginning or the end of a fibre's name, and of no name of ``fibres``
    (``elas`` or ``kose`` alone on its line, for elastaan or Viskose): the rest of that fibre's line, and maybe its
    part, did not read, and what did read may be another part's composition passing for the label's (a lining's
    ``100% polyester`` under a lost shell)."""
    for i, token in enumerate(tokens):
        alone = _first_on_line(tokens, i) and (i + 1 == len(tokens) or tokens[i + 1].text == "\n")
        word = token.text
        if not (alone and token.kind is _Kind.BARRIER and word.isalpha() and len(word) >= _CUT_NAME_MIN):
            continue
        cut = {fibre for key, fibre in _FIBRE_BY_KEY.items() if key.startswith(word) or key.endswith(word)}
        if cut and not cut & fibres:
            return True
    return False


def _other_part_lost(parts: list[CompositionPart], segments: list[_Segment]) -> bool:
    """A label names its main part (``Shell:``, ``Bovenstof:``) when it has another. Where only the main part read,
    under its header, the other's header and composition were lost, or its header garbled and its composition taken
    for the main part's: the answer could leave out the part that holds the elastane, or be another part's."""
    return len(parts) == 1 and any(segment.explicit and segment.part == "main" for segment in segments)


def composition_readable(lines: Sequence[str]) -> bool:
    """Whether ``lines`` give a whole composition: what tells the OCR reader it need not try harder."""
    return read_composition(lines) is not None


@cache
def label_vocabulary() -> Mapping[str, str]:
    """The one-word terms of a care label, as ``_key`` writes them (no accents, lower case), each with what it means:
    ``fibre:<fibre>``, ``part:<part>``, ``qualifier``, ``title`` or ``exclusion``. Terms shorter than three letters
    are left out (too close to ordinary words). The OCR's lexicon look decodes a garbled word against these
    (``edge.vision.label_lexicon``); two terms with the same meaning are the same answer."""
    terms: dict[str, str] = {}
    for key, fibre in _FIBRE_BY_KEY.items():
        terms.setdefault(key, f"fibre:{fibre}")
    for key, part in _PART_BY_KEY.items():
        terms.setdefault(key, f"part:{part}")
    terms.update({word: "qualifier" for word in QUALIFIERS if word not in terms})
    terms.update({word: "title" for word in _TITLES if word not in terms})
    terms.update({word: "exclusion" for word in _EXCLUSION if word not in terms})
    return {term: meaning for term, meaning in terms.items() if len(term) >= 3 and term.isalpha() and " " not in term}
