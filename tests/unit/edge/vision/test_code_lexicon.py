"""The code look's decoder on recogniser outputs made by hand: each step says how sure the recogniser is of which
characters, so each rule of ``code_lexicon`` can be shown to hold (and to fail the way it should)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from edge.vision import code_lexicon
from edge.vision.code_lexicon import ANSWERING, COMPETING, IsoCodeLexicon
from edge.vision.markings.plastics import read_polymer
from tests.unit.edge.vision.recogniser_output import Step, recogniser_output

# A recogniser's classes: the blank, Latin letters in both cases, digits, signs, the space.
CHARSET = ["", *"abcdefghijklmnopqrstuvwxyz", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ", *"0123456789", *"<>()+-/.", " "]
LEXICON = IsoCodeLexicon(CHARSET)


def _output(steps: list[Step]) -> npt.NDArray[np.float32]:
    return recogniser_output(CHARSET, steps)


def test_every_code_is_one_the_parser_reads_and_names_its_polymer() -> None:
    assert not set(ANSWERING) & set(COMPETING)
    for code in LEXICON.codes:
        reading = read_polymer([f">{code}<"])
        assert reading is not None
        assert LEXICON.polymers[code] == reading.polymer
    assert LEXICON.polymers["PE-HD"] == "hdpe"
    assert LEXICON.polymers["PC+ABS"] == "pc-abs"


@pytest.mark.parametrize(
    ("read", "code"),
    [
        ("SPE-HD-", ">PE-HD<"),  # brackets read as a letter and a dash
        ("VPETK", ">PET<"),
        ("-PA6G", ">PA6<"),
        (">PVC-", ">PVC<"),
        ("spp-t20s", ">PP-T20<"),  # lower case counts as upper case
        ("SPES", None),  # a bare PE says too little: it competes, never answers
        ("YSANK", None),  # a rare code: noise decodes to it too easily
        ("SPPS", ">PP<"),
        ("APPLES", None),  # no code, however the brackets are taken
        ("MADE IN EU", None),
        ("LOT-2319-PET-05", None),  # longer than any code
    ],
)
def test_a_line_read_for_sure_decodes_to_its_code_or_to_nothing(read: str, code: str | None) -> None:
    assert LEXICON.decode(_output(list(read))) == code


def test_a_letter_slip_the_recogniser_supports_is_undone() -> None:
    # ">RETK": the R was nearly a P.
    assert LEXICON.decode(_output([">", {"R": 0.7, "P": 0.28}, *"ETK"])) == ">PET<"
    # ... but not where it saw no P at all: the code would lose too much against what was read.
    assert code_lexicon.SLACK < 8
    assert LEXICON.decode(_output([">", {"R": 0.98, "P": 0.0005}, *"ETK"])) is None


def test_two_slips_or_a_slip_in_a_two_letter_code_is_no_code() -> None:
    # ">RFTK": two letters of PET wrong, however much the recogniser also saw them.
    assert LEXICON.decode(_output([">", {"R": 0.6, "P": 0.38}, {"F": 0.6, "E": 0.38}, "T", "K"])) is None
    # ">PBK": PS with its S as a B is one slip in two letters.
    assert LEXICON.decode(_output([">", "P", {"B": 0.7, "S": 0.28}, "K"])) is None


def test_a_code_another_polymer_nearly_matches_stays_unread() -> None:
    # >PP< or >PS<: the recogniser is torn; a wrong polymer costs more than no answer.
    assert LEXICON.decode(_output([">", "P", {"P": 0.5, "S": 0.48}, "<"])) is None
    assert LEXICON.decode(_output([">", "P", {"P": 0.96, "S": 0.02}, "<"])) == ">PP<"


def test_a_code_the_parser_cannot_read_is_refused_when_the_lexicon_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_lexicon, "COMPETING", (*COMPETING, "EVA"))
    with pytest.raises(ValueError, match="EVA"):
        IsoCodeLexicon(CHARSET)
