"""The canary decision: a table of counts and what the controller does with them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.fleet.canary import Action, CanaryRule, Rollout, State, VersionCounts, decide, figures, step

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
NEW, OLD = "plastic-classifier@b", "plastic-classifier@a"
RULE = CanaryRule(items_needed=200, acceptance_margin=0.05, blind_margin=0.05, min_blind=20)


def counts(shown: int, accepted: int, blind: int = 0, blind_correct: int = 0) -> VersionCounts:
    return VersionCounts(shown, accepted, blind, blind_correct)


@pytest.mark.parametrize(
    ("new", "previous", "action", "says"),
    [
        # fewer than N items on the new version: wait, whatever the figures
        (counts(150, 10, 10, 1), counts(1500, 1400), Action.WAIT, "waiting: 160 of 200 items"),
        # as good or better: roll on
        (counts(212, 193, 30, 27), counts(1530, 1346, 80, 69), Action.ROLL_ON, ": roll on"),
        # acceptance inside the margin (0.85 vs 0.88): roll on
        (counts(200, 170), counts(1000, 880), Action.ROLL_ON, ": roll on"),
        # acceptance more than the margin below (0.80 vs 0.88): roll back
        (counts(200, 160), counts(1000, 880), Action.ROLL_BACK, "acceptance more than 0.05 below"),
        # acceptance fine, blind accuracy 0.70 vs 0.86 with enough blind items: roll back
        (counts(200, 180, 30, 21), counts(1000, 880, 80, 69), Action.ROLL_BACK, "blind accuracy more than 0.05 below"),
        # the same drop in blind accuracy on too few blind items does not count
        (counts(200, 180, 10, 7), counts(1000, 880, 80, 69), Action.ROLL_ON, "blind items too few to count"),
        (counts(200, 180, 30, 21), counts(1000, 880, 19, 17), Action.ROLL_ON, "blind items too few to count"),
        # blind items count toward N
        (counts(180, 170, 20, 19), counts(1000, 880, 80, 69), Action.ROLL_ON, ": roll on"),
        # nothing to compare with: roll on
        (counts(200, 100), None, Action.ROLL_ON, "no figures of a previous model"),
        (counts(200, 100), counts(0, 0), Action.ROLL_ON, "no figures of a previous model"),
    ],
)
def test_decide(new: VersionCounts, previous: VersionCounts | None, action: Action, says: str) -> None:
    decision = decide(new, previous, RULE)
    assert decision.action is action
    assert says in decision.reason


def test_the_reason_names_the_figures_compared() -> None:
    decision = decide(counts(212, 193, 11, 10), counts(1530, 1346, 80, 69), RULE)
    assert decision.reason == (
        "canary acceptance 0.91 (n=212) vs previous 0.88 (n=1,530); blind accuracy 0.91 (n=11) vs 0.86 (n=80) "
        "(blind items too few to count: fewer than 20 each): roll on"
    )
    assert figures(counts(0, 0), None) == "canary acceptance - (n=0); blind accuracy - (n=0)"


def rollout(previous: str | None = OLD) -> Rollout:
    return Rollout(
        id=1,
        site="zuid",
        stream="plastic",
        new_version=NEW,
        previous_version=previous,
        canary=("st-1",),
        others=("st-2", "st-3"),
        items_needed=200,
        state=State.CANARY,
        started=NOW,
    )


def test_step_rolls_on_to_the_other_stations() -> None:
    got = step(
        rollout(),
        {("st-1", NEW): counts(200, 190), ("st-2", OLD): counts(500, 440), ("st-1", OLD): counts(300, 260)},
        NOW,
    )
    assert got.decision.action is Action.ROLL_ON
    assert got.publish == (NEW, ("st-2", "st-3"))
    assert got.rollout.state is State.ROLLED_ON and got.rollout.decided == NOW
    assert "vs previous 0.88 (n=800)" in got.rollout.reason  # previous version over all the rollout's stations


def test_step_rolls_the_canary_back_to_the_previous_version() -> None:
    got = step(rollout(), {("st-1", NEW): counts(200, 120), ("st-2", OLD): counts(500, 440)}, NOW)
    assert got.decision.action is Action.ROLL_BACK
    assert got.publish == (OLD, ("st-1",))
    assert got.rollout.state is State.ROLLED_BACK


def test_step_waits_and_keeps_the_figures_for_the_dashboard() -> None:
    # Items of the new version at a station outside the canary do not count toward N.
    got = step(rollout(), {("st-1", NEW): counts(50, 45), ("st-2", NEW): counts(500, 500)}, NOW)
    assert got.decision.action is Action.WAIT and got.publish is None
    assert got.rollout.state is State.CANARY and got.rollout.decided is None
    assert got.rollout.reason.startswith("waiting: 50 of 200 items")


def test_a_decided_rollout_does_not_move_again() -> None:
    decided = step(rollout(), {("st-1", NEW): counts(200, 120), ("st-2", OLD): counts(500, 440)}, NOW).rollout
    again = step(decided, {("st-1", NEW): counts(5000, 5000)}, NOW)
    assert again.rollout == decided and again.publish is None


def test_a_first_model_rolls_on_without_a_previous_version() -> None:
    got = step(rollout(previous=None), {("st-1", NEW): counts(200, 150)}, NOW)
    assert got.rollout.state is State.ROLLED_ON and got.publish == (NEW, ("st-2", "st-3"))
