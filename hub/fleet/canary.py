"""The canary decision of a staged model rollout, as a pure function of counts (docs/fleet.md, "Canary and rollback").

A rollout sends a new model version to the canary stations first; the other stations of the site keep the previous
version. Once the canary stations have made ``items_needed`` items with a suggestion of the new version, the new
version's figures on the canary are compared with the previous version's:

    shown acceptance   accepted / shown suggestions            (the sorter took what the screen showed)
    blind accuracy     correct / blind items                   (no suggestion shown; the sorter's choice equals the
                                                                 label the model would have suggested)

Rule (:func:`decide`), with ``m_a`` = ``acceptance_margin`` and ``m_b`` = ``blind_margin``:

1. fewer than ``items_needed`` new-version items (shown + blind) on the canary: **wait**;
2. no figures of the previous version (a first model, or it never made a suggestion): **roll on**, nothing to
   compare with (the model already passed the held-out check at training, hub/fleet/training.py);
3. roll **back** when the new acceptance < the previous acceptance - m_a (both need at least one shown item);
4. roll **back** when both versions have at least ``min_blind`` blind items and the new blind accuracy < the
   previous blind accuracy - m_b; with fewer blind items blind accuracy is reported but does not decide (a handful
   of blind items is noise, and at a 5% blind share a site needs a while to collect them);
5. otherwise **roll on**.

The margins allow for sampling noise: with 200 shown items and an acceptance near 0.9 the standard error is about
0.02, so the default margin of 0.05 is about two and a half standard errors; a real drop of that size is caught, a
chance dip is not. Acceptance is biased toward whatever the screen shows, which is why blind accuracy, free of that
bias, can roll back a model that sorters merely go along with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    WAIT = "wait"
    ROLL_ON = "roll_on"
    ROLL_BACK = "roll_back"


@dataclass(frozen=True, slots=True)
class VersionCounts:
    """Items of one model version (summed over the stations that count), from the stored events."""

    shown: int = 0  # items whose suggestion was shown
    accepted: int = 0  # of those, the sorter chose the suggested label
    blind: int = 0  # items whose suggestion was computed but not shown (blind checks)
    blind_correct: int = 0  # of those, the sorter's choice equals the hidden suggestion

    @property
    def items(self) -> int:
        return self.shown + self.blind

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.shown if self.shown > 0 else None

    @property
    def blind_accuracy(self) -> float | None:
        return self.blind_correct / self.blind if self.blind > 0 else None

    def __add__(self, other: VersionCounts) -> VersionCounts:
        return VersionCounts(
            self.shown + other.shown,
            self.accepted + other.accepted,
            self.blind + other.blind,
            self.blind_correct + other.blind_correct,
        )


@dataclass(frozen=True, slots=True)
class CanaryRule:
    items_needed: int  # new-version items on the canary before deciding (the rollout's N)
    acceptance_margin: float = 0.05
    blind_margin: float = 0.05
    min_blind: int = 20  # blind items each version needs before blind accuracy can roll back


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def figures(new: VersionCounts, previous: VersionCounts | None) -> str:
    """``canary acceptance 0.91 (n=212) vs previous 0.88 (n=1,530); blind accuracy 0.90 (n=11) vs 0.86 (n=80)``."""
    acceptance = f"canary acceptance {_share(new.acceptance)} (n={new.shown:,})"
    blind = f"blind accuracy {_share(new.blind_accuracy)} (n={new.blind:,})"
    if previous is not None:
        acceptance += f" vs previous {_share(previous.acceptance)} (n={previous.shown:,})"
        blind += f" vs {_share(previous.blind_accuracy)} (n={previous.blind:,})"
    return f"{acceptance}; {blind}"


def decide(new: VersionCounts, previous: VersionCounts | None, rule: CanaryRule) -> Decision:
    """``new``: the new version on the canary stations; ``previous``: the previous version's (None: there is no
    previous version). The rule is in the module docstring; the reason names the figures it compared."""
    if new.items < rule.items_needed:
        return Decision(
            Action.WAIT,
            f"waiting: {new.items:,} of {rule.items_needed:,} items on the new version; {figures(new, previous)}",
        )
    if previous is None or previous.items == 0:
        return Decision(Action.ROLL_ON, f"{figures(new, None)}; no figures of a previous model to compare: roll on")
    shown = figures(new, previous)
    if (
        new.acceptance is not None
        and previous.acceptance is not None
        and new.acceptance < previous.acceptance - rule.acceptance_margin
    ):
        return Decision(
            Action.ROLL_BACK,
            f"{shown}: acceptance more than {rule.acceptance_margin:.2f} below the previous model's: roll back",
        )
    blind_counts = new.blind >= rule.min_blind and previous.blind >= rule.min_blind
    if (
        blind_counts
        and new.blind_accuracy is not None
        and previous.blind_accuracy is not None
        and new.blind_accuracy < previous.blind_accuracy - rule.blind_margin
    ):
        return Decision(
            Action.ROLL_BACK,
            f"{shown}: blind accuracy more than {rule.blind_margin:.2f} below the previous model's: roll back",
        )
    note = "" if blind_counts else f" (blind items too few to count: fewer than {rule.min_blind} each)"
    return Decision(Action.ROLL_ON, f"{shown}{note}: roll on")


class State(StrEnum):
    CANARY = "canary"  # the canary stations run the new version; the others the previous one
    ROLLED_ON = "rolled_on"  # every station of the rollout was sent the new version
    ROLLED_BACK = "rolled_back"  # the canary stations were sent the previous version again


@dataclass(frozen=True, slots=True)
class Rollout:
    """One staged rollout. Versions are as the stations report them in events (``NAME@VERSION``)."""

    id: int
    site: str
    stream: str
    new_version: str
    previous_version: str | None  # None: the stations ran no model of this stream before
    canary: tuple[str, ...]  # station ids that get the new version first
    others: tuple[str, ...]  # the site's other stations, which get it once the canary passed
    items_needed: int  # N: new-version items on the canary before deciding
    state: State
    started: datetime
    decided: datetime | None = None
    reason: str = ""  # the last decision, or the last wait, with its figures

    @property
    def open(self) -> bool:
        return self.state is State.CANARY


Counts = Mapping[tuple[str, str], VersionCounts]  # (station, model version) -> counts


@dataclass(frozen=True, slots=True)
class Step:
    rollout: Rollout  # with its new state and reason
    decision: Decision
    publish: tuple[str, tuple[str, ...]] | None  # (version, stations) to send, or nothing to send


def counts_of(stations: tuple[str, ...], version: str, counts: Counts) -> VersionCounts:
    total = VersionCounts()
    for station in stations:
        total += counts.get((station, version), VersionCounts())
    return total


def step(
    rollout: Rollout,
    counts: Counts,
    now: datetime,
    *,
    acceptance_margin: float = 0.05,
    blind_margin: float = 0.05,
    min_blind: int = 20,
) -> Step:
    """The next state of an open rollout from the counts of its stations.

    The new version counts on the canary stations only; the previous version on all the rollout's stations (the
    others keep running it during the canary, so its figures are of the same days). A decided rollout is left as
    it is. On roll on the other stations are sent the new version; on roll back the canary the previous one.
    """
    rule = CanaryRule(rollout.items_needed, acceptance_margin, blind_margin, min_blind)
    if not rollout.open:
        return Step(rollout, Decision(Action.WAIT, rollout.reason), None)
    new = counts_of(rollout.canary, rollout.new_version, counts)
    previous = (
        None
        if rollout.previous_version is None
        else counts_of(rollout.canary + rollout.others, rollout.previous_version, counts)
    )
    decision = decide(new, previous, rule)
    if decision.action is Action.WAIT:
        return Step(replace(rollout, reason=decision.reason), decision, None)
    if decision.action is Action.ROLL_ON:
        state, send = State.ROLLED_ON, (rollout.new_version, rollout.others)
    else:
        # decide() only rolls back when there were previous figures, so there is a previous version.
        assert rollout.previous_version is not None
        state, send = State.ROLLED_BACK, (rollout.previous_version, rollout.canary)
    decided = replace(rollout, state=state, decided=now, reason=decision.reason)
    return Step(decided, decision, send if send[1] else None)
