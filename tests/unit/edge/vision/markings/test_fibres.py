"""Fibre compositions from OCR lines of care labels, in five languages, with OCR noise, parts and washing text."""

from __future__ import annotations

import pytest

from edge.vision.dataset import CompositionPart, Fibre
from edge.vision.markings.fibres import FIBRE_NAMES, read_composition

Parts = dict[str, list[tuple[str, int]]]


def case(id_: str, lines: list[str], parts: Parts) -> object:
    return pytest.param(lines, parts, id=id_)


def main(*fibres: tuple[str, int]) -> Parts:
    return {"main": list(fibres)}


READ = [
    # plain formats
    case("en-100-cotton", ["100% cotton"], main(("cotton", 100))),
    case("en-two-fibres", ["65% polyester 35% cotton"], main(("polyester", 65), ("cotton", 35))),
    case("en-slash-caps", ["65% POLYESTER / 35% COTTON"], main(("polyester", 65), ("cotton", 35))),
    case("en-name-first", ["cotton 100%"], main(("cotton", 100))),
    case("en-name-first-two", ["POLYESTER 65% COTTON 35%"], main(("polyester", 65), ("cotton", 35))),
    case("fr-space-before-percent", ["100 % coton"], main(("cotton", 100))),
    case("nl-katoen", ["100% katoen"], main(("cotton", 100))),
    case("de-baumwolle", ["100% Baumwolle"], main(("cotton", 100))),
    case("es-algodon-accent", ["100% algodón"], main(("cotton", 100))),
    case("es-algodon-no-accent", ["100% algodon"], main(("cotton", 100))),
    case("es-wool-polyamide", ["80% lana 20% poliamida"], main(("wool", 80), ("polyamide", 20))),
    case("es-elastano", ["95% algodón 5% elastano"], main(("cotton", 95), ("elastane", 5))),
    case("fr-lin-coton", ["55% lin 45% coton"], main(("linen", 55), ("cotton", 45))),
    case("fr-elasthanne-no-accent", ["92% coton 8% elasthanne"], main(("cotton", 92), ("elastane", 8))),
    case("nl-wol-acryl", ["50% wol 50% acryl"], main(("acrylic", 50), ("wool", 50))),
    case("nl-linnen", ["100% linnen"], main(("linen", 100))),
    case("nl-zijde", ["100% zijde"], main(("silk", 100))),
    case("nl-elastaan", ["97% katoen 3% elastaan"], main(("cotton", 97), ("elastane", 3))),
    case("de-seide-kaschmir", ["70% Seide 30% Kaschmir"], main(("silk", 70), ("cashmere", 30))),
    case("de-viskose-elasthan", ["95% Viskose 5% Elasthan"], main(("viscose", 95), ("elastane", 5))),
    case("en-rayon-spandex", ["96% rayon 4% spandex"], main(("viscose", 96), ("elastane", 4))),
    case("en-nylon", ["100% nylon"], main(("polyamide", 100))),
    case("fr-soie", ["100% soie"], main(("silk", 100))),
    case("es-acrilico-no-accent", ["60% acrilico 40% lana"], main(("acrylic", 60), ("wool", 40))),
    case("es-cachemir", ["100% cachemir"], main(("cashmere", 100))),
    case("en-lyocell-tencel", ["100% Tencel"], main(("lyocell", 100))),
    case("en-modal", ["50% modal 50% cotton"], main(("cotton", 50), ("modal", 50))),
    case("en-lycra", ["98% cotton 2% lycra"], main(("cotton", 98), ("elastane", 2))),
    case("en-three-fibres", ["50% viscose 45% polyamide 5% elastane"], main(
        ("viscose", 50), ("polyamide", 45), ("elastane", 5))),
    case("nl-other-fibres", ["95% wol 5% overige vezels"], main(("wool", 95), ("other", 5))),
    case("fr-autres-fibres", ["90% laine 10% autres fibres"], main(("wool", 90), ("other", 10))),
    case("es-otras-fibras", ["90% lana 10% otras fibras"], main(("wool", 90), ("other", 10))),
    case("de-sonstige-fasern", ["90% Wolle 10% sonstige Fasern"], main(("wool", 90), ("other", 10))),
    case("en-alpaca-mohair", ["40% alpaca 30% mohair 30% wool"], main(("alpaca", 40), ("mohair", 30), ("wool", 30))),
    case("en-hemp-acetate-pp", ["50% hemp 30% acetate 20% polypropylene"], main(
        ("hemp", 50), ("acetate", 30), ("polypropylene", 20))),
    case("en-angora", ["70% angora 30% polyamide"], main(("angora", 70), ("polyamide", 30))),
    # qualifiers and wool variants
    case("merino-wool", ["100% merino wool"], main(("wool", 100))),
    case("lambswool", ["100% lambswool"], main(("wool", 100))),
    case("laine-d-agneau", ["100% laine d'agneau"], main(("wool", 100))),
    case("schurwolle", ["100% Schurwolle"], main(("wool", 100))),
    case("recycled-polyester", ["100% recycled polyester"], main(("polyester", 100))),
    case("organic-and-gerecycled", ["60% organic cotton 40% gerecycled polyester"], main(
        ("cotton", 60), ("polyester", 40))),
    case("polyester-recycle-fr", ["100% polyester recyclé"], main(("polyester", 100))),
    # multilingual lists
    case("multilingual-run", ["65% polyester/polyester/Polyester 35% katoen/cotton/Baumwolle/coton/algodón"], main(
        ("polyester", 65), ("cotton", 35))),
    case("multilingual-lines-per-language", [
        "NL 100% katoen", "EN 100% cotton", "DE 100% Baumwolle", "FR 100% coton", "ES 100% algodón",
    ], main(("cotton", 100))),
    case("multilingual-names-on-lines", ["100%", "katoen", "cotton", "Baumwolle", "coton", "algodón"], main(
        ("cotton", 100))),
    case("multilingual-two-fibres-per-language", [
        "60% katoen 40% polyester", "60% cotton 40% polyester", "60% Baumwolle 40% Polyester",
    ], main(("cotton", 60), ("polyester", 40))),
    # OCR noise in numbers and percent signs
    case("ocr-1OO", ["1OO% COTTON"], main(("cotton", 100))),
    case("ocr-7O-3O", ["7O% COTTON 3O% POLYESTER"], main(("cotton", 70), ("polyester", 30))),
    case("ocr-5O-lines", ["5O% wol", "5O% acryl"], main(("acrylic", 50), ("wool", 50))),
    case("ocr-l00", ["l00% cotton"], main(("cotton", 100))),
    case("ocr-degree-slash-o", ["100 °/o katoen"], main(("cotton", 100))),
    case("ocr-o-slash-o", ["65 o/o polyester 35 o/o cotton"], main(("polyester", 65), ("cotton", 35))),
    case("ocr-percent-as-96-glued", ["10096 COTTON"], main(("cotton", 100))),
    case("ocr-percent-as-96-two", ["6596 POLYESTER 3596 COTTON"], main(("polyester", 65), ("cotton", 35))),
    case("ocr-percent-as-96-spaced", ["100 96 cotton"], main(("cotton", 100))),
    case("ocr-no-percent-100", ["100 cotton"], main(("cotton", 100))),
    case("ocr-no-spaces", ["70%RAYON30%NYLON"], main(("viscose", 70), ("polyamide", 30))),
    case("ocr-no-spaces-elastane", ["95%COTTON5%ELASTANE"], main(("cotton", 95), ("elastane", 5))),
    case("ocr-zero-in-word", ["100% C0TTON"], main(("cotton", 100))),
    case("ocr-one-slip", ["100% polyestcr"], main(("polyester", 100))),
    case("ocr-stray-punctuation", ["* 65% polyester ; 35% cotton ."], main(("polyester", 65), ("cotton", 35))),
    case("ocr-fullwidth-percent", ["100％ cotton"], main(("cotton", 100))),
    case("ocr-percent-word", ["100 percent cotton"], main(("cotton", 100))),
    # lines split, joined and reversed
    case("percent-and-name-on-lines", ["65%", "polyester", "35%", "cotton"], main(("polyester", 65), ("cotton", 35))),
    case("reversed-percent-and-name", ["cotton", "35%", "polyester", "65%"], main(("polyester", 65), ("cotton", 35))),
    case("reversed-self-contained-lines", ["35% cotton", "65% polyester"], main(("polyester", 65), ("cotton", 35))),
    case("joined-lines", ["100% cotton made in Portugal RN 12345"], main(("cotton", 100))),
    # washing text beside the composition
    case("washing-text", ["100% cotton", "wash at 30°", "niet in de droger", "30°C"], main(("cotton", 100))),
    case("washing-text-first", ["Maschinenwäsche 40 °C", "nicht im Trockner", "80% Wolle 20% Polyamid"], main(
        ("wool", 80), ("polyamide", 20))),
    case("fibre-in-a-sentence", ["100% polyester", "use the wool programme"], main(("polyester", 100))),
    case("word-one-slip-from-a-fibre", ["100% katoen", "binnen 30 dagen"], main(("cotton", 100))),
    case("made-in-and-rn", ["100% cotton", "made in China", "RN 12345", "CA 56789"], main(("cotton", 100))),
    case("exclusive-of-trim", ["100% cotton", "exclusive of trim"], main(("cotton", 100))),
    case("exclusief-garnering", ["100% katoen", "exclusief garnering"], main(("cotton", 100))),
    # parts
    case("shell-lining", ["Shell: 100% cotton", "Lining: 100% polyester"], {
        "main": [("cotton", 100)], "lining": [("polyester", 100)]}),
    case("multilingual-part-headers", [
        "Bovenstof/Outer/Obermaterial: 100% katoen/cotton/Baumwolle",
        "Voering/Lining/Futter: 100% polyester",
    ], {"main": [("cotton", 100)], "lining": [("polyester", 100)]}),
    case("de-obermaterial-futter", ["Obermaterial: 70% Baumwolle 30% Polyamid", "Futter: 100% Viskose"], {
        "main": [("cotton", 70), ("polyamide", 30)], "lining": [("viscose", 100)]}),
    case("fr-tissu-principal-doublure", ["tissu principal : 100 % coton", "doublure : 100 % polyester"], {
        "main": [("cotton", 100)], "lining": [("polyester", 100)]}),
    case("es-exterior-forro-relleno", ["Exterior: 100% poliamida", "Forro: 100% poliéster",
                                       "Relleno: 100% poliéster"], {
        "main": [("polyamide", 100)], "lining": [("polyester", 100)], "filling": [("polyester", 100)]}),
    case("nl-bovenstof-boord", ["bovenstof 90% polyester 10% elastaan", "boord 97% katoen 3% elastaan"], {
        "main": [("polyester", 90), ("elastane", 10)], "rib": [("cotton", 97), ("elastane", 3)]}),
    case("unlabelled-main-then-rib", ["90% polyester 10% elastane", "Rib: 97% cotton 3% elastane"], {
        "main": [("polyester", 90), ("elastane", 10)], "rib": [("cotton", 97), ("elastane", 3)]}),
    case("de-besatz-fullung", ["Obermaterial: 100% Polyamid", "Besatz: 100% Polyester", "Füllung: 100% Polyester"], {
        "main": [("polyamide", 100)], "trim": [("polyester", 100)], "filling": [("polyester", 100)]}),
    case("fr-garniture-rembourrage", ["Extérieur: 100% polyamide", "Garniture: 100% polyester",
                                      "Rembourrage: 100% polyester"], {
        "main": [("polyamide", 100)], "trim": [("polyester", 100)], "filling": [("polyester", 100)]}),
    case("pocket-lining", ["Body: 100% cotton", "Pocket lining: 65% polyester 35% cotton"], {
        "main": [("cotton", 100)], "pocket": [("polyester", 65), ("cotton", 35)]}),
    case("header-on-its-own-line", ["Shell", "100% cotton", "Lining", "100% polyester"], {
        "main": [("cotton", 100)], "lining": [("polyester", 100)]}),
    case("parts-per-language-lines", [
        "NL: Bovenstof: 100% katoen, Voering: 100% polyester",
        "EN: Shell: 100% cotton, Lining: 100% polyester",
    ], {"main": [("cotton", 100)], "lining": [("polyester", 100)]}),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "parts"), READ)
def test_reads_composition(lines: list[str], parts: Parts) -> None:
    reading = read_composition(lines)

    assert reading is not None
    got = {part.part: [(fibre.fibre, fibre.percent) for fibre in part.fibres] for part in reading.parts}
    assert got == parts
    assert reading.evidence


ABSTAIN = [
    pytest.param([], id="no-lines"),
    pytest.param(["ACME", "MADE IN PORTUGAL", "RN 12345"], id="no-composition"),
    pytest.param(["wash at 30°", "40 °C", "niet in de droger", "do not tumble dry"], id="washing-text-only"),
    pytest.param(["Wolwasprogramma 30", "max 30"], id="washing-numbers"),
    pytest.param(["cotton"], id="name-without-percent"),
    pytest.param(["cotton/polyester"], id="names-without-percent"),
    # sums
    pytest.param(["60% cotton 30% polyester"], id="sum-below-100"),
    pytest.param(["70% cotton 40% polyester"], id="sum-over-100"),
    pytest.param(["65% polyester 35%"], id="percent-without-name"),
    pytest.param(["65% polyester cotton"], id="fibre-without-percent"),
    pytest.param(["65% polyester", "cotton 35%"], id="mixed-orders"),
    pytest.param(["100% cotton", "100% polyester"], id="two-compositions-without-headers"),
    pytest.param(["2,5% elastane 97,5% cotton"], id="decimal-percentages"),
    pytest.param(["0% cotton 100% polyester"], id="zero-percent"),
    pytest.param(["65%", "35%", "polyester", "cotton"], id="column-wise-table"),
    # contradictions
    pytest.param(["50% cotton 50% polyester", "60% cotton 40% polyester"], id="same-fibre-two-percentages"),
    pytest.param(["50% cotton 30% polyester 20% cotton"], id="fibre-twice-in-part"),
    pytest.param(["65% polyester/cotton 35% cotton"], id="two-fibres-one-percent"),
    # unreadable words
    pytest.param(["100% bamboo"], id="unknown-fibre"),
    pytest.param(["100% qiviut"], id="fibre-outside-the-list"),
    pytest.param(["50% cotton 50% xyzzy"], id="one-unknown-fibre"),
    pytest.param(["Made with 30% less water", "100% cotton"], id="percent-in-a-sentence"),
    pytest.param(["Shell: 100% qiviut", "Lining: 100% polyester"], id="spoilt-main-part"),
    pytest.param(["Shell: 100% cotton", "Lining: 100% qiviut"], id="spoilt-lining"),
    pytest.param(["Shell: 100% cotton", "Lining: 60% polyester 30% elastane"], id="lining-sum-below-100"),
    # parts in an order we cannot trust
    pytest.param(["100% polyester", "Lining:", "100% cotton", "Shell:"], id="reversed-header-lines"),
    pytest.param(["Shell:", "Lining:", "100% cotton"], id="two-headers-one-composition"),
    pytest.param(["Lining:"], id="header-only"),
    pytest.param(["laver à la main", "30°"], id="fr-hand-wash-is-no-part"),
]


@pytest.mark.parametrize("lines", ABSTAIN)
def test_abstains(lines: list[str]) -> None:
    assert read_composition(lines) is None


def test_parts_are_composition_parts_sorted_by_percent_then_name() -> None:
    reading = read_composition(["5% elastane 50% wool 45% acrylic", "Lining: 50% viscose 50% acetate"])

    assert reading is not None
    assert reading.parts == (
        CompositionPart(part="main", fibres=(Fibre(fibre="wool", percent=50), Fibre(fibre="acrylic", percent=45),
                                             Fibre(fibre="elastane", percent=5))),
        CompositionPart(part="lining", fibres=(Fibre(fibre="acetate", percent=50), Fibre(fibre="viscose", percent=50))),
    )  # fmt: skip


def test_self_contained_lines_read_the_same_in_any_order() -> None:
    lines = ["Shell: 65% polyester 35% cotton", "Lining: 100% polyester", "wash at 30°"]

    assert read_composition(lines) == read_composition(list(reversed(lines)))


@pytest.mark.parametrize("fibre", sorted(FIBRE_NAMES))
def test_every_listed_name_reads_as_its_fibre(fibre: str) -> None:
    for language, names in FIBRE_NAMES[fibre].items():
        for name in names:
            reading = read_composition([f"100% {name}"])

            assert reading is not None, (language, name)
            assert reading.parts[0].fibres == (Fibre(fibre=fibre, percent=100),), (language, name)


def test_names_cover_the_five_languages() -> None:
    for fibre, languages in FIBRE_NAMES.items():
        assert {"nl", "en", "de", "fr", "es"} <= set(languages), fibre


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["80% poliesterlpolyester", "20% algodón/cotton"], {"polyester": 80, "cotton": 20}, id="slash-as-l"
        ),
        pytest.param(["50% Wollelwol 50% acrylic"], {"wool": 50, "acrylic": 50}, id="slash-as-l-german-dutch"),
        pytest.param(["100% 1innen"], {"linen": 100}, id="leading-l-as-1"),
        pytest.param(["100% woo1"], {"wool": 100}, id="trailing-l-as-1"),
        pytest.param(["100% 1aine"], {"wool": 100}, id="french-l-as-1"),
    ],
)
def test_slashes_and_ls_misread(lines: list[str], expected: dict[str, int]) -> None:
    reading = read_composition(lines)
    assert reading is not None
    assert {f.fibre: f.percent for part in reading.parts for f in part.fibres} == expected


def test_two_different_fibres_glued_by_an_l_are_not_split() -> None:
    assert read_composition(["100% cottonlpolyester"]) is None
