"""Polymer readings from OCR lines: ISO 11469 markings, triangle abbreviations, resin digits and OCR noise."""

from __future__ import annotations

import pytest

from edge.vision.markings.plastics import PolymerReading, read_polymer


def case(id_: str, lines: list[str], polymer: str, marks: int, resin: int | None = None) -> object:
    return pytest.param(lines, polymer, marks, resin, id=id_)


READ = [
    # ISO 11469 markings, clean
    case("iso-pp", [">PP<"], "pp", 1),
    case("iso-pe-hd", [">PE-HD<"], "hdpe", 1),
    case("iso-pe-ld", [">PE-LD<"], "ldpe", 1),
    case("iso-pe-lld", [">PE-LLD<"], "ldpe", 1),
    case("iso-ps", [">PS<"], "ps", 1),
    case("iso-ps-hi", [">PS-HI<"], "ps", 1),
    case("iso-pet", [">PET<"], "pet", 1),
    case("iso-pvc", [">PVC<"], "pvc", 1),
    case("iso-abs", [">ABS<"], "abs", 1),
    case("iso-pc", [">PC<"], "pc", 1),
    case("iso-pc-abs", [">PC+ABS<"], "pc-abs", 1),
    case("iso-abs-pc", [">ABS+PC<"], "pc-abs", 1),
    case("iso-pa6", [">PA6<"], "pa", 1),
    case("iso-pa66-gf30", [">PA66-GF30<"], "pa", 1),
    case("iso-pmma", [">PMMA<"], "pmma", 1),
    case("iso-pe-generic", [">PE<"], "pe", 1),
    case("iso-pom-is-other", [">POM<"], "other", 1),
    # fillers and blends
    case("filler-talc", [">PP-T20<"], "pp", 1),
    case("filler-glass", [">PP-GF30<"], "pp", 1),
    case("filler-mixed", [">PP-(GF+MD)30<"], "pp", 1),
    case("blend-pp-epdm-talc", [">PP+EPDM-T20<"], "pp", 1),
    # bracket misreads
    case("bracket-reversed", ["<PP>"], "pp", 1),
    case("bracket-guillemets", ["‹PE-HD›"], "hdpe", 1),
    case("bracket-double-guillemets", ["«PS»"], "ps", 1),
    case("bracket-cjk", ["〈PET〉"], "pet", 1),
    case("bracket-fullwidth", ["＞PP＜"], "pp", 1),
    case("bracket-parentheses", ["(PP)"], "pp", 1),
    case("bracket-square", ["[PVC]"], "pvc", 1),
    case("bracket-k-x", ["KPPX"], "pp", 1),
    case("bracket-k-closing-a-code-no-letter-lengthens", [">PPK"], "pp", 1),
    case("bracket-slashes", ["/PP/"], "pp", 1),
    case("bracket-backslashes", ["\\PE-LD\\"], "ldpe", 1),
    case("bracket-one-side", [">PP"], "pp", 1),
    case("bracket-spaces", ["> PP <"], "pp", 1),
    case("bracket-spaced-letters", ["> P P <"], "pp", 1),
    # OCR confusions
    case("pe-ho", [">PE-HO<"], "hdpe", 1),
    case("pe-h-zero", [">PE-H0<"], "hdpe", 1),
    case("pe-en-dash", [">PE–HD<"], "hdpe", 1),
    case("pe-underscore", [">PE_HD<"], "hdpe", 1),
    case("pe-space", [">PE HD<"], "hdpe", 1),
    case("pe-no-hyphen", [">PEHD<"], "hdpe", 1),
    case("hd-pe", [">HD-PE<"], "hdpe", 1),
    case("ps-as-p5", [">P5<"], "ps", 1),
    case("abs-as-a8s", [">A8S<"], "abs", 1),
    case("ps-hi-as-h1", [">PS-H1<"], "ps", 1),
    case("lower-case", [">pp<"], "pp", 1),
    # triangle abbreviations and resin digits
    case("abbr-pet-with-digit-line", ["PET", "1"], "pet", 2, 1),
    case("abbr-pete", ["PETE", "01"], "pet", 2, 1),
    case("abbr-spaced-pet", ["P E T"], "pet", 1),
    case("abbr-hdpe", ["HDPE"], "hdpe", 1),
    case("abbr-hd-pe-space", ["HD PE"], "hdpe", 1),
    case("abbr-ldpe-4", ["LDPE", "4"], "ldpe", 2, 4),
    case("abbr-pvc-3", ["PVC", "03"], "pvc", 2, 3),
    case("abbr-pp-lower", ["pp"], "pp", 1),
    case("abbr-ps-6", ["6", "PS"], "ps", 2, 6),
    case("abbr-recycle-word", ["PP recycle"], "pp", 1),
    case("glued-5pp", ["5PP"], "pp", 2, 5),
    case("glued-pp5", ["PP5"], "pp", 2, 5),
    case("glued-05-pp", ["05 PP"], "pp", 2, 5),
    case("glued-letter-o-5", ["O5 PP"], "pp", 2, 5),
    case("glued-hdpe-2-brand", ["HDPE 2 ACME"], "hdpe", 2, 2),
    case("glued-pet-1", ["PET1"], "pet", 2, 1),
    case("resin-symbol", ["♴ HDPE"], "hdpe", 2, 2),
    case("recycle-symbol-lines", ["♻", "05", "PP"], "pp", 2, 5),
    case("v-with-3", ["3V"], "pvc", 2, 3),
    case("v-line-beside-3", ["V", "3"], "pvc", 2, 3),
    case("hope-with-2", ["2 HOPE"], "hdpe", 2, 2),
    case("p5-with-6", ["P5", "6"], "ps", 2, 6),
    case("other-7", ["OTHER 7"], "other", 2, 7),
    case("other-alone-under-a-triangle", ["OTHER"], "other", 1, None),
    # a resin symbol is a digit MarkingOcr read inside a triangle it found: a marking on its own
    case("triangle-digit-alone", ["♵"], "pvc", 1, 3),
    case("triangle-digit-seven-alone", ["♹", "0"], "other", 1, 7),
    case("triangle-digit-beside-a-lot-number", ["♷", "LOT 2319"], "pp", 1, 5),
    case("triangle-digit-and-its-letter", ["♵", "V"], "pvc", 2, 3),
    case("triangle-digit-one-and-its-abbreviation", ["♳", "PETE"], "pet", 2, 1),
    # MarkingOcr writes a 1 only where its recogniser read it or PET was read under it (a turned 7 reads as 1 to OCR)
    case("triangle-digit-one-alone", ["♳"], "pet", 1, 1),
    case("brackets-read-as-letters", ["SPVCE"], "pvc", 1, None),
    case("closing-bracket-read-as-s", [">PETS"], "pet", 1, None),
    case("both-brackets-read-as-s", ["SPPS"], "pp", 1, None),
    case("closing-bracket-read-as-a", [">PE-LDA"], "ldpe", 1, None),
    case("brackets-read-as-dashes", ["-ABS-"], "abs", 1, None),
    case("hyphen-read-as-colon-and-dashes", [">PE:--HD<"], "hdpe", 1, None),
    case("o-line-beside-7", ["7", "O"], "other", 2, 7),
    case("pc-7", ["7", "PC"], "pc", 2, 7),
    case("pe-iso-with-2", [">PE<", "2"], "hdpe", 2, 2),
    case("pe-iso-with-4", [">PE< 04"], "ldpe", 2, 4),
    # several marks agreeing
    case("three-kinds", [">PE-HD<", "HDPE", "2"], "hdpe", 3, 2),
    case("iso-and-abbreviation", [">PP<", "05 PP"], "pp", 3, 5),
    case("same-iso-twice", [">PP<", ">PP<"], "pp", 1),
    case("pc-abs-with-other", [">PC+ABS<", "OTHER 07"], "pc-abs", 3, 7),
    # text around the marking
    case("brand-and-made-in", ["ACME", ">PP<", "MADE IN EU"], "pp", 1),
    case("marking-inside-line", ["ACME >PP< MADE IN EU"], "pp", 1),
    case("date-and-lot", [">PP<", "05/23", "LOT 12345"], "pp", 1),
    case("date-on-marking-line", [">PET< 05/23"], "pet", 1),
    case("unrelated-pet-word", [">PP<", "PET FOOD"], "pp", 1),
    case("bpa-free-beside", [">PP< BPA FREE"], "pp", 1),
    case("split-lines", [">PE-", "HD<"], "hdpe", 1),
    case("split-filler", [">PP-", "T20<"], "pp", 1),
    case("pc-slash-abs", ["PC/ABS"], "pc-abs", 1),
    case("material-word", ["Material: PP"], "pp", 1),
]


@pytest.mark.parametrize(("lines", "polymer", "marks", "resin"), READ)
def test_reads_polymer(lines: list[str], polymer: str, marks: int, resin: int | None) -> None:
    reading = read_polymer(lines)

    assert reading is not None
    assert (reading.polymer, reading.agreeing_marks, reading.resin_code) == (polymer, marks, resin)
    assert reading.evidence


ABSTAIN = [
    pytest.param([], id="no-lines"),
    pytest.param([""], id="empty-line"),
    # words that hold a code
    pytest.param(["APPLE"], id="apple"),
    pytest.param(["CAPS"], id="caps-is-no-bracketed-code"),
    pytest.param(["SPACE"], id="space-is-no-bracketed-code"),
    pytest.param(["PCK"], id="one-substitute-is-not-enough"),
    pytest.param(["other materials"], id="other-in-a-sentence"),
    pytest.param(["SUPPORT"], id="support"),
    pytest.param(["SHAMPOO"], id="shampoo"),
    pytest.param(["TIPS"], id="tips"),
    pytest.param(["PETER"], id="peter"),
    pytest.param(["CARPET"], id="carpet"),
    pytest.param(["HAPPY DAYS", "TOPPS"], id="happy-topps"),
    pytest.param(["PS: THANKS"], id="ps-in-a-sentence"),
    pytest.param(["PET FOOD"], id="pet-food"),
    pytest.param(["ACME PP BUCKET 10 L"], id="pp-in-a-sentence"),
    # negations
    pytest.param(["PVC FREE"], id="pvc-free"),
    pytest.param(["PVC-vrij"], id="pvc-vrij"),
    pytest.param(["zonder PVC"], id="zonder-pvc"),
    pytest.param(["sans PVC"], id="sans-pvc"),
    pytest.param(["0% PVC"], id="zero-percent-pvc"),
    # a digit alone, or with weak letters only
    pytest.param(["5"], id="lone-digit"),
    pytest.param(["♻", "5"], id="recycle-symbol-and-digit"),
    pytest.param(["3"], id="plain-triangle-digit-alone"),
    pytest.param(["♵", "♳"], id="two-triangles-disagree"),
    pytest.param(["♵", "PET"], id="triangle-digit-against-its-abbreviation"),
    pytest.param(["♵ 12"], id="resin-symbol-inside-a-line"),
    pytest.param(["05/23", "LOT 3"], id="date-and-lot"),
    pytest.param(["HOPE"], id="hope-word"),
    pytest.param(["V"], id="v-alone"),
    pytest.param(["ABS"], id="abs-bare-alone"),
    pytest.param(["PC"], id="pc-bare-alone"),
    pytest.param(["P5"], id="p5-alone"),
    # numbers glued to a code
    pytest.param(["12PP"], id="number-before-code"),
    pytest.param(["PP50"], id="number-after-code"),
    pytest.param(["PP 2023"], id="year-after-code"),
    # contradictions
    pytest.param([">PP<", "PET"], id="iso-pp-abbr-pet"),
    pytest.param(["1", "HDPE"], id="digit-1-hdpe"),
    pytest.param([">PP<", "1"], id="iso-pp-lone-digit-1"),
    pytest.param(["PP 2"], id="pp-glued-2"),
    pytest.param([">PVC<", ">PET<"], id="pvc-and-pet"),
    pytest.param([">PE-HD<", "4"], id="hdpe-with-4"),
    pytest.param([">PE-LD<", ">PE-HD<"], id="ldpe-and-hdpe"),
    pytest.param(["PET PP"], id="two-abbreviations-one-line"),
    pytest.param([">POM<", ">PBT<"], id="two-other-polymers"),
    pytest.param([">PC<", "5"], id="pc-with-5"),
    pytest.param([">PP<", "V", "3"], id="pp-and-v3"),
    pytest.param(["PP/PE"], id="pp-slash-pe"),
    # markings we cannot read
    pytest.param([">PP+PE<"], id="unknown-blend"),
    pytest.param([">PE-X<"], id="unknown-modifier"),
    pytest.param([">PBAT<", "PP"], id="unknown-code-vetoes"),
    pytest.param([">PP-"], id="half-split-marking"),
    # a closing K that may be the last letter of a longer code run into its bracket
    pytest.param([">PEK"], id="pet-bracket-read-as-k"),
]


@pytest.mark.parametrize("lines", ABSTAIN)
def test_abstains(lines: list[str]) -> None:
    assert read_polymer(lines) is None


def test_order_of_lines_does_not_matter() -> None:
    lines = ["ACME", ">PE-HD<", "2", "HDPE", "LOT 4411"]

    assert read_polymer(lines) == read_polymer(list(reversed(lines)))


def test_evidence_names_every_agreeing_mark() -> None:
    reading = read_polymer([">PE-HD<", "HDPE", "2"])

    assert reading == PolymerReading("hdpe", ">PE-HD< + HDPE + resin code 2", 2, 3)


def test_filler_suffix_is_kept_in_evidence() -> None:
    reading = read_polymer([">PP-GF30<"])

    assert reading is not None
    assert "GF30" in reading.evidence
