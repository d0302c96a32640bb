"""Textile grade suggestion: a care label's fibre composition plus the condition cues measured on the mat.

Grades (station category ids, renamable per site in ``GradingRules.labels``): ``creme`` (reuse in the shop here),
``export`` (export reuse), ``recycling`` (fibre-to-fibre recycling), ``wipers`` (cleaning cloths), ``residual``.

Rules, first match wins. Every threshold is a field of :class:`GradingRules` (default in brackets) that a site can set
in its station config.

| # | when | grade |
|---|---|---|
| 0 | no garment found on the mat | no suggestion |
| 1 | hole area >= ``shredded_hole_share`` (10%): shredded | damaged: rules 4-7 |
| 2 | holes <= ``creme_max_holes`` (0), stain <= ``creme_max_stain_share`` (0.2%), | creme |
|   | pilling <= ``creme_max_pilling`` (0.7), fading <= ``creme_max_fading`` (0.4) | |
| 3 | holes <= ``export_max_holes`` (1), hole area <= ``export_max_hole_share`` (0.3%), | export |
|   | stain <= ``export_max_stain_share`` (1%); any pilling or fading | |
| 4 | damaged; elastic fibre (``elastic_fibres``) in any part > ``max_elastane_percent`` (5%) | ``elastane_grade`` |
| 5 | damaged; absorbent fibres >= ``wipers_min_absorbent_percent`` (90%) | wipers |
|   | and elastic <= ``wipers_max_elastane_percent`` (2%) | |
| 6 | damaged; one fibre of ``recyclable_mono_fibres`` (cotton, polyester) | recycling |
|   | >= ``mono_min_percent`` (95%), and the same main fibre in every part | |
| 7 | damaged; any other composition | ``blend_grade`` |
| - | no care label read: rules 2-3 at lower confidence; shredded | ``shredded_without_label_grade`` |
| - | no care label read and damaged but not shredded | no suggestion |

``elastane_grade`` is residual, ``blend_grade`` recycling and ``shredded_without_label_grade`` residual by default.

Why: crème sells in the shop as it is; export takes wearable clothes that are worn, faded or pilled or have one small
flaw; elastane blocks fibre-to-fibre recycling and makes poor wipers; absorbent cloth (``absorbent_fibres``: cotton,
linen, viscose, hemp) reused as wipers ranks above recycling; mono-material cotton or polyester is the feedstock that
fibre-to-fibre recyclers take; other blends still go to (mechanical) recycling. Rules 4-7 read the main part's fibres
(a label without parts has one main part); elastic fibre counts in every part.

Without a care label the fibre is unknown, but it does not decide whether a garment is wearable: rules 2 and 3 still
apply (if ``grade_without_label``, on) with confidence times ``without_label_factor`` (0.75). A damaged garment then
gets no suggestion (the fibre decides, and the sorter can feel it), unless it is shredded. The source is always
``Source.CARE_LABEL``; the evidence says "no care label" when none was read.

Confidence is rule-based, not calibrated, and kept conservative: ``max_confidence`` (0.8) x (0.5 + 0.5 m), where m
(0..1) is how far the deciding cue lies from the nearest threshold that would change the grade, in units of that cue's
band: holes half a hole (counts are discrete, so a count at its limit is far from it); shares the threshold itself;
pilling 0.4 (a weak cue); fading 0.2; fibre percentages 10 points; a blend (rule 7) 0.5. Below ``min_confidence``
(0.35) the answer is "no suggestion" with the candidates still listed. The runner-up is the grade across that nearest
threshold; the rest of the probability is split so that the order holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from config.vision import Grade, GradingRules
from edge.vision.answer import Candidate, NoSuggestion, Prediction, Source
from edge.vision.dataset import CompositionPart
from edge.vision.textile.condition import ConditionCues

logger = logging.getLogger(__name__)

DAMAGED_GRADES: tuple[Grade, ...] = ("wipers", "recycling", "residual")
_EXPORT: Grade = "export"

# Bands that turn "how far from the threshold" into 0..1 (see the module docstring).
PILLING_BAND = 0.4
FADING_BAND = 0.2
HOLE_BAND = 0.5
FIBRE_BAND_PERCENT = 10.0


@dataclass(frozen=True, slots=True)
class _Decision:
    grade: Grade
    margin: float  # 0..1, how far from the nearest threshold that would change the grade
    runner_up: Grade  # the grade across that threshold
    third: Grade
    rule: str


def grade(
    composition: tuple[CompositionPart, ...] | None, cues: ConditionCues, rules: GradingRules
) -> Prediction | NoSuggestion:
    """Suggest a textile grade; see the module docstring for the rules and how confidence is set."""
    if not cues.garment_found:
        return NoSuggestion("no garment found on the mat", evidence=cues.describe())
    if composition is not None and not any(part.fibres for part in composition):
        composition = None  # a label that parsed to nothing is no label
    label_text = _describe_composition(composition)
    wearable = _wearability(cues, rules)
    fibre = _fibre_rule(composition, rules) if composition is not None else None

    if wearable is not None:
        decision = _Decision(
            wearable.grade,
            wearable.margin,
            wearable.runner_up if wearable.runner_up != "recycling" or fibre is None else fibre.grade,
            wearable.third if fibre is None or wearable.third not in DAMAGED_GRADES else fibre.grade,
            wearable.rule,
        )
        if composition is None and not rules.grade_without_label:
            return NoSuggestion("no care label read", evidence=f"{cues.describe()}; {label_text}")
    elif fibre is not None:
        damage = _damage_margin(cues, rules)
        runner_up, third = (_EXPORT, fibre.runner_up) if damage < fibre.margin else (fibre.runner_up, _EXPORT)
        decision = _Decision(fibre.grade, min(damage, fibre.margin), runner_up, third, f"damaged; {fibre.rule}")
    elif cues.hole_area_share >= rules.shredded_hole_share and rules.shredded_without_label_grade is not None:
        shredded = rules.shredded_without_label_grade
        others = [g for g in DAMAGED_GRADES if g != shredded]
        margin = _over(cues.hole_area_share, rules.shredded_hole_share, rules.shredded_hole_share)
        decision = _Decision(shredded, margin, others[0], others[1], "shredded, fibre unknown")
    else:
        return NoSuggestion(
            "damaged and no care label read: the fibre decides", evidence=f"{cues.describe()}; {label_text}"
        )

    confidence = rules.max_confidence * (0.5 + 0.5 * decision.margin)
    if composition is None:
        confidence *= rules.without_label_factor
    top = _top(decision, confidence, rules)
    evidence = f"{cues.describe()}; {label_text} -> {top[0].label} ({decision.rule})"
    if confidence < rules.min_confidence:
        return NoSuggestion("cues too close to the grading thresholds", evidence=evidence, top=top)
    return Prediction(
        label=top[0].label,
        confidence=confidence,
        source=Source.CARE_LABEL,
        model_version=rules.version,
        top=top,
        evidence=evidence,
    )


def _top(decision: _Decision, confidence: float, rules: GradingRules) -> tuple[Candidate, ...]:
    rest = 1.0 - confidence
    second = min(0.6 * rest, 0.9 * confidence)
    third = min(rest - second, second) * 0.5
    return (
        Candidate(rules.labels.of(decision.grade), confidence),
        Candidate(rules.labels.of(decision.runner_up), second),
        Candidate(rules.labels.of(decision.third), third),
    )


def _under(value: float, threshold: float, band: float) -> float:
    """Headroom below an upper limit, 0..1 in units of ``band``."""
    return min(1.0, max(0.0, (threshold - value) / band)) if band > 0 else 1.0


def _over(value: float, threshold: float, band: float) -> float:
    """How far past an upper limit, 0..1 in units of ``band``."""
    return min(1.0, max(0.0, (value - threshold) / band)) if band > 0 else 1.0


def _share_band(threshold: float) -> float:
    # A threshold of zero still needs a band: a hundredth of a percent of the garment.
    return max(threshold, 0.0001)


def _wearability(cues: ConditionCues, rules: GradingRules) -> _Decision | None:
    """Rules 1-3: crème or export, or None when the garment is damaged (not wearable)."""
    if cues.hole_area_share >= rules.shredded_hole_share:
        return None
    # cue -> (value, creme limit, band)
    creme_checks = {
        "holes": (cues.holes, rules.creme_max_holes + 0.5, HOLE_BAND),
        "stain": (cues.stain_area_share, rules.creme_max_stain_share, _share_band(rules.creme_max_stain_share)),
        "pilling": (cues.pilling, rules.creme_max_pilling, PILLING_BAND),
        "fading": (cues.fading, rules.creme_max_fading, FADING_BAND),
    }
    export_checks = {
        "holes": (cues.holes, rules.export_max_holes + 0.5, HOLE_BAND),
        "hole area": (cues.hole_area_share, rules.export_max_hole_share, _share_band(rules.export_max_hole_share)),
        "stain": (cues.stain_area_share, rules.export_max_stain_share, _share_band(rules.export_max_stain_share)),
    }
    export_fails = [name for name, (value, limit, _) in export_checks.items() if value > limit]
    if export_fails:
        return None
    export_headroom = min(_under(v, limit, band) for v, limit, band in export_checks.values())
    creme_fails = [name for name, (value, limit, _) in creme_checks.items() if value > limit]
    if not creme_fails:
        headroom = min(_under(v, limit, band) for v, limit, band in creme_checks.values())
        return _Decision("creme", headroom, "export", "recycling", "no damage over the crème limits")
    # Every failing cue would have to come back under its limit for crème: the largest excess is the distance.
    excess = max(_over(*creme_checks[name]) for name in creme_fails)
    nearer_creme = excess <= export_headroom
    return _Decision(
        "export",
        min(excess, export_headroom),
        "creme" if nearer_creme else "recycling",
        "recycling" if nearer_creme else "creme",
        f"{', '.join(creme_fails)} over crème",
    )


def _damage_margin(cues: ConditionCues, rules: GradingRules) -> float:
    """How far a damaged garment is from the export limits (the largest excess: all must come back)."""
    if cues.hole_area_share >= rules.shredded_hole_share:
        return 1.0
    return max(
        _over(cues.holes, rules.export_max_holes + 0.5, HOLE_BAND),
        _over(cues.hole_area_share, rules.export_max_hole_share, _share_band(rules.export_max_hole_share)),
        _over(cues.stain_area_share, rules.export_max_stain_share, _share_band(rules.export_max_stain_share)),
    )


def _fibre_rule(composition: tuple[CompositionPart, ...], rules: GradingRules) -> _Decision:
    """Rules 4-7: the grade of a damaged garment by its fibres."""
    main = next((p for p in composition if p.part == "main" and p.fibres), next(p for p in composition if p.fibres))
    shares: dict[str, int] = {}
    for fibre in main.fibres:
        shares[fibre.fibre.lower()] = shares.get(fibre.fibre.lower(), 0) + fibre.percent
    elastic_names = {f.lower() for f in rules.elastic_fibres}
    elastic = max(sum(f.percent for f in p.fibres if f.fibre.lower() in elastic_names) for p in composition)
    absorbent = sum(v for k, v in shares.items() if k in {f.lower() for f in rules.absorbent_fibres})
    top_fibre, top_percent = max(shares.items(), key=lambda kv: kv[1])
    part_fibres = [max(p.fibres, key=lambda f: f.percent).fibre.lower() for p in composition if p.fibres]
    mono = top_percent >= rules.mono_min_percent and all(f == top_fibre for f in part_fibres)
    recyclable_mono = mono and top_fibre in {f.lower() for f in rules.recyclable_mono_fibres}

    if elastic > rules.max_elastane_percent:
        margin = _over(elastic, rules.max_elastane_percent, FIBRE_BAND_PERCENT)
        return _Decision(rules.elastane_grade, margin, rules.blend_grade, "wipers", f"elastic {elastic}% > limit")
    if absorbent >= rules.wipers_min_absorbent_percent and elastic <= rules.wipers_max_elastane_percent:
        margin = min(
            _under(rules.wipers_min_absorbent_percent - 0.5, absorbent, FIBRE_BAND_PERCENT),
            _under(elastic, rules.wipers_max_elastane_percent + 0.5, FIBRE_BAND_PERCENT),
        )
        return _Decision("wipers", margin, "recycling", "residual", f"absorbent {absorbent}%")
    if recyclable_mono:
        margin = _under(rules.mono_min_percent - 0.5, top_percent, FIBRE_BAND_PERCENT)
        return _Decision("recycling", margin, "wipers", "residual", f"mono-material {top_fibre} {top_percent}%")
    others = [g for g in DAMAGED_GRADES if g != rules.blend_grade]
    return _Decision(rules.blend_grade, 0.5, others[0], others[1], "blend")


def _describe_composition(composition: tuple[CompositionPart, ...] | None) -> str:
    if composition is None:
        return "no care label"
    texts = []
    for part in composition:
        fibres = ", ".join(f"{f.percent}% {f.fibre}" for f in sorted(part.fibres, key=lambda f: -f.percent))
        texts.append(fibres if len(composition) == 1 else f"{part.part}: {fibres}")
    return "; ".join(texts)
