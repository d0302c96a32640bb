from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from config.vision import GradeLabels, GradingRules
from edge.vision.answer import NoSuggestion, Prediction, Source
from edge.vision.dataset import CompositionPart, Fibre
from edge.vision.textile.condition import ConditionCues
from edge.vision.textile.grading import grade

RULES = GradingRules()


def cues(
    holes: int = 0,
    hole_share: float = 0.0,
    stain: float = 0.0,
    pilling: float = 0.0,
    fading: float = 0.0,
    found: bool = True,
) -> ConditionCues:
    return ConditionCues(
        garment_area_px=50_000,
        holes=holes,
        hole_area_share=hole_share,
        stain_area_share=stain,
        pilling=pilling,
        fading=fading,
        garment_found=found,
    )


def label(*fibres: tuple[str, int], part: str = "main") -> tuple[CompositionPart, ...]:
    return (CompositionPart(part=part, fibres=tuple(Fibre(fibre=f, percent=p) for f, p in fibres)),)


COTTON = label(("cotton", 100))
DAMAGED = cues(holes=2, hole_share=0.013, stain=0.004)


def suggested(answer: Prediction | NoSuggestion) -> Prediction:
    assert isinstance(answer, Prediction), answer
    return answer


def test_clean_garment_with_label_is_creme() -> None:
    answer = suggested(grade(COTTON, cues(), RULES))
    assert answer.label == "creme"
    assert answer.source is Source.CARE_LABEL
    assert answer.model_version == RULES.version
    assert [c.label for c in answer.top] == ["creme", "export", "wipers"]
    assert answer.confidence == pytest.approx(RULES.max_confidence)
    assert "100% cotton" in answer.evidence
    assert "-> creme" in answer.evidence


@pytest.mark.parametrize(
    ("condition", "rule"),
    [
        (cues(pilling=0.9), "pilling over crème"),
        (cues(fading=0.7), "fading over crème"),
        (cues(holes=1, hole_share=0.001), "holes over crème"),
        (cues(stain=0.006), "stain over crème"),
    ],
)
def test_worn_but_wearable_is_export(condition: ConditionCues, rule: str) -> None:
    answer = suggested(grade(COTTON, condition, RULES))
    assert answer.label == "export"
    assert rule in answer.evidence


def test_damaged_cotton_rich_is_wipers_with_the_cues_in_the_evidence() -> None:
    answer = suggested(grade(label(("cotton", 95), ("polyester", 5)), DAMAGED, RULES))
    assert answer.label == "wipers"
    assert "holes 2 (1.3%), stain 0.4%" in answer.evidence
    assert "95% cotton, 5% polyester -> wipers" in answer.evidence
    assert answer.top[1].label in {"export", "recycling"}


def test_damaged_mono_polyester_is_recycling() -> None:
    assert suggested(grade(label(("polyester", 100)), DAMAGED, RULES)).label == "recycling"


def test_cotton_with_stretch_is_not_wipers() -> None:
    # 5% elastane is too much for wipers but within the recycling limit: mono-material cotton.
    answer = suggested(grade(label(("cotton", 95), ("elastane", 5)), DAMAGED, RULES))
    assert answer.label == "recycling"
    assert "mono-material cotton 95%" in answer.evidence


def test_too_much_elastane_is_residual_and_the_limit_is_per_site() -> None:
    jeans = label(("cotton", 60), ("polyester", 32), ("elastane", 8))
    assert suggested(grade(jeans, DAMAGED, RULES)).label == "residual"
    lenient = GradingRules(max_elastane_percent=10)
    assert suggested(grade(jeans, DAMAGED, lenient)).label == "recycling"  # a blend


def test_elastane_in_a_trim_part_counts_too() -> None:
    composition = (
        CompositionPart(part="main", fibres=(Fibre(fibre="polyester", percent=100),)),
        CompositionPart(part="trim", fibres=label(("polyamide", 80), ("elastane", 20))[0].fibres),
    )
    answer = suggested(grade(composition, DAMAGED, RULES))
    assert answer.label == "residual"
    assert "main: 100% polyester; trim: 80% polyamide, 20% elastane" in answer.evidence


def test_a_lining_of_another_fibre_is_not_mono_material() -> None:
    composition = (
        CompositionPart(part="main", fibres=(Fibre(fibre="polyester", percent=100),)),
        CompositionPart(part="lining", fibres=(Fibre(fibre="viscose", percent=100),)),
    )
    rules = GradingRules(blend_grade="residual")
    assert suggested(grade(composition, DAMAGED, rules)).label == "residual"
    assert suggested(grade(composition[:1], DAMAGED, rules)).label == "recycling"


def test_wearability_without_label_has_lower_confidence() -> None:
    with_label = suggested(grade(COTTON, cues(), RULES))
    without = suggested(grade(None, cues(), RULES))
    assert without.label == "creme"
    assert without.confidence == pytest.approx(with_label.confidence * RULES.without_label_factor)
    assert "no care label" in without.evidence


def test_damaged_without_label_is_left_to_the_sorter() -> None:
    answer = grade(None, DAMAGED, RULES)
    assert isinstance(answer, NoSuggestion)
    assert "fibre decides" in answer.reason


def test_shredded_without_label_is_residual_unless_the_site_says_otherwise() -> None:
    shredded = cues(holes=9, hole_share=0.25, stain=0.02)
    assert suggested(grade(None, shredded, RULES)).label == "residual"
    assert isinstance(grade(None, shredded, GradingRules(shredded_without_label_grade=None)), NoSuggestion)
    # With a label the fibre still decides, shredded or not.
    assert suggested(grade(COTTON, shredded, RULES)).label == "wipers"


def test_no_garment_no_suggestion() -> None:
    answer = grade(COTTON, cues(found=False), RULES)
    assert isinstance(answer, NoSuggestion)
    assert "no garment" in answer.reason


def test_a_label_that_parsed_to_nothing_is_no_label() -> None:
    empty = (CompositionPart(part="main", fibres=()),)
    assert "no care label" in suggested(grade(empty, cues(), RULES)).evidence


def test_site_can_turn_off_grading_without_label() -> None:
    assert isinstance(grade(None, cues(), GradingRules(grade_without_label=False)), NoSuggestion)


def test_cues_at_a_threshold_give_no_suggestion_but_keep_the_candidates() -> None:
    answer = grade(None, cues(stain=0.0021), RULES)  # just over the crème stain limit
    assert isinstance(answer, NoSuggestion)
    assert [c.label for c in answer.top][:2] == ["export", "creme"]
    assert "too close" in answer.reason


def test_confidence_grows_with_distance_from_the_threshold() -> None:
    near = suggested(grade(COTTON, cues(stain=0.0025), RULES))
    far = suggested(grade(COTTON, cues(stain=0.0045), RULES))
    assert near.label == far.label == "export"
    assert near.confidence < far.confidence


def test_top_three_are_ordered_and_never_sum_over_one() -> None:
    compositions = [None, COTTON, label(("polyester", 100)), label(("cotton", 50), ("polyester", 50))]
    grid = itertools.product(compositions, [0, 1, 3], [0.0, 0.002, 0.05], [0.0, 0.003, 0.02], [0.0, 0.8])
    for composition, holes, hole_share, stain, pilling in grid:
        answer = grade(composition, cues(holes, hole_share, stain, pilling), RULES)
        if isinstance(answer, Prediction):
            assert answer.top[0].label == answer.label
            assert answer.top[0].confidence == answer.confidence
            assert answer.confidence <= RULES.max_confidence
        probabilities = [c.confidence for c in answer.top]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) <= 1.0
        assert len({c.label for c in answer.top}) == len(answer.top)


def test_site_labels_are_used() -> None:
    rules = GradingRules(labels=GradeLabels(creme="kwaliteit-a", export="export-b"))
    answer = suggested(grade(COTTON, cues(), rules))
    assert answer.label == "kwaliteit-a"
    assert answer.top[1].label == "export-b"


def test_rules_forbid_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValidationError, match="creme_max_hole"):
        GradingRules.model_validate({"creme_max_hole": 1})
    with pytest.raises(ValidationError):
        GradingRules(blend_grade="landfill")  # type: ignore[arg-type]
    assert all(field.description for field in GradingRules.model_fields.values())
