"""Labels that give one composition once per language where OCR garbled some of the copies, qualifiers read with
one slip, and a percent sign whose number was lost. The strings are what OCR returned on the tuning care labels
(``scripts/render_label_tuning.py``: woven and washed-pale labels in the tuning fonts) or could return; none may
become a wrong composition."""

from __future__ import annotations

import pytest

from edge.vision.markings.fibres import read_composition

Parts = dict[str, dict[str, int]]


def read(lines: list[str]) -> Parts | None:
    reading = read_composition(lines)
    if reading is None:
        return None
    for part in reading.parts:
        assert sum(fibre.percent for fibre in part.fibres) == 100, reading
    return {part.part: {fibre.fibre: fibre.percent for fibre in part.fibres} for part in reading.parts}


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        # "organic" and "recycled" with one letter misread are still qualifiers
        (["97% organlc cotton", "3% elastane"], {"main": {"cotton": 97, "elastane": 3}}),
        (["100% crganic cotton"], {"main": {"cotton": 100}}),
        (["60% recyled polyester 40% cotton"], {"main": {"polyester": 60, "cotton": 40}}),
    ],
)
def test_a_qualifier_with_one_slip_is_a_qualifier(lines: list[str], want: Parts) -> None:
    assert read(lines) == want


def test_an_unknown_word_far_from_any_qualifier_still_spoils_the_pair() -> None:
    assert read(["100% bamboo cotton"]) is None
    assert read(["60% organically grown cotton", "40% polyester"]) is None


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (  # the last copy's "Baumwolle" read with an m too many, within two slips of Lammwolle as well
            ["65% poliestere 35% cotone", "65% polyester 35% cotton", "65%Polyester", "35% Baummwolle"],
            {"main": {"polyester": 65, "cotton": 35}},
        ),
        (  # four languages, two copies garbled ("Elastliall", "cotol")
            [
                "niet bleken",
                "95%Baumwolle5%Elastliall",
                "95%algodon",
                "5%clastano",
                "95%katoen5%elastaan",
                "95%cotol",
                "5%elastan",
            ],
            {"main": {"cotton": 95, "elastane": 5}},
        ),
        (  # the first copy's polyester garbled
            ["45% acrilico", "35% lana", "20% poliesicr", "45% acrylic", "35% wool", "20% polyester", "wash at 30°C"],
            {"main": {"acrylic": 45, "wool": 35, "polyester": 20}},
        ),
    ],
)
def test_one_composition_repeated_per_language_reads_when_a_copy_is_garbled(lines: list[str], want: Parts) -> None:
    assert read(lines) == want


@pytest.mark.parametrize(
    "lines",
    [
        # a lining whose header was lost: the second line names another fibre (read through slips)
        ["100% cotton", "100% pqlyestxr"],
        ["100% cotton", "100% wolle"],
        # copies that do not agree
        ["60% cotton", "40% polyester", "100% viscose"],
        ["60% cotton 40% polyester", "40% cotton 60% polyester"],
        # a garbled line with a percentage the composition does not have
        ["60% cotton 40% polyester", "55% cotton 45% p0lyest#r"],
        # a garbled line with nothing to show it is a copy
        ["100% cotton", "1oo% #### xqzt"],
        # part headers: a garbled line may be a part of its own
        ["Shell: 100% cotton", "Lining: 100% p#lyes#re"],
        ["Shell: 65% polyester 35% cotton", "65% polyester 35% cottn", "Lining: 100% viscose"],
        # a garbled line naming a fibre nearer to another fibre than to the composition's
        ["100% cotton", "100% linnon"],
        # a lining whose header OCR garbled and whose percentage did not read (the copies would hide the lining)
        ["1% ED/elastodiene", "99% acetaat/acetate", "VoeringaLining:", "000% acetaat/acetate"],
        ["95% cotton 5% elastane", "Lininq:", "95% katoen 5% elastaan", "100% cotlon"],
        # a garbled copy whose percentage did not read as one: nothing to check it against
        ["100% cotton", "183% katoen"],
    ],
)
def test_garbled_copies_never_hide_a_different_composition(lines: list[str]) -> None:
    assert read(lines) is None


def test_a_label_that_reads_whole_is_read_as_before() -> None:
    assert read(["Shell: 100% cotton", "Lining: 100% polyester"]) == {
        "main": {"cotton": 100},
        "lining": {"polyester": 100},
    }


def test_a_percent_sign_without_its_number_spoils_the_part() -> None:
    # "1%" read as "l%": the alpaca names then paired with the next line's 1%, angora with 98%, and the slash read
    # as 1 in "WS1cashmere" with cashmere: 98% angora, a wrong composition that added up to 100
    lines = ["l% alpaca/alpaca/Alpaka/alpaga", "1% angora/angora/angora/angora", "98% WS1cashmere1Kaschmir1cachemire"]
    assert read(lines) is None
    assert read(["% cotton"]) is None
    assert read(["100 % cotton"]) == {"main": {"cotton": 100}}


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        # the zeros of 100 read as other round glyphs: a percentage is at most 100
        (
            ["shell:1oe% organic cotton", "Lining: 1eo% recycled polyester"],
            {"main": {"cotton": 100}, "lining": {"polyester": 100}},
        ),
        (["188% viscosa"], {"main": {"viscose": 100}}),
        (["108% cotton"], {"main": {"cotton": 100}}),
        # the percent sign read as a letter, with a fibre name or a qualifier after it
        (
            ["Obermaterial:", "100g Leinen", "Futter:", "100g Baumwolle"],
            {"main": {"linen": 100}, "lining": {"cotton": 100}},
        ),
        (
            ["Forro: 1oox poliester", "Tejido principal: 100% algodon"],
            {"main": {"cotton": 100}, "lining": {"polyester": 100}},
        ),
        (
            [
                "Tissu principal:",
                "45% acrylique",
                "35% laine",
                "20% recycle polyester",
                "Doublure: leos recycle polyester",
            ],
            {"main": {"acrylic": 45, "wool": 35, "polyester": 20}, "lining": {"polyester": 100}},
        ),
        (["60h cotton", "40x polyester"], {"main": {"cotton": 60, "polyester": 40}}),
    ],
)
def test_a_hundred_or_a_percent_sign_read_as_other_glyphs(lines: list[str], want: Parts) -> None:
    assert read(lines) == want


@pytest.mark.parametrize(
    "lines",
    [
        ["188 viscosa"],  # no percent sign: 188 is no percentage (an article number, a size)
        ["100g"],  # nothing named after it
        ["100g per m2", "100% cotton"],  # a weight before a word that is no fibre stays a weight
        ["2x wash 30", "100% cotton"],
        ["30h Futter:", "100% cotton"],  # a part header after it is no fibre
        ["150g cotton"],  # more than 100 is no percentage
    ],
)
def test_glyphs_read_as_a_percentage_only_where_one_can_be(lines: list[str]) -> None:
    got = read(lines)
    assert got in (None, {"main": {"cotton": 100}}), got
