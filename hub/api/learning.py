"""Training at the hub and model rollouts, for admins (docs/fleet.md):

POST /api/fleet/train       train a site's model for a stream in the background (409 while one runs)
GET  /api/fleet/train       the running or last training run, with its comparison to the current model
GET  /api/fleet/rollouts    the latest rollouts, their state and the canary's decision with its figures
POST /api/fleet/rollouts    send an offered model to the canary stations first
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import AdminDep, StateDep
from hub.api.errors import ErrorOut
from hub.fleet.canary import Rollout
from hub.fleet.learning import LearningLoop, RolloutRefusedError
from hub.fleet.rollouts import RolloutError

router = APIRouter(prefix="/api/fleet", tags=["fleet"])

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
# A site has tens of stations; this bounds what one request can make the hub store and send.
MAX_STATIONS = 500


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: Slug = Field(description="whose captures to train on")
    stream: Slug = Field(description="which stream's classifier")


class TrainingOut(BaseModel):
    state: str = Field(description="idle, running, done or failed")
    site: str | None
    stream: str | None
    started: datetime | None
    finished: datetime | None
    error: str | None
    result: dict[str, Any] | None = Field(
        description="version, held-out figures of the new and the current model, offerable and why"
    )


class RolloutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: Slug
    stream: Slug
    version: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9-]+@[A-Za-z0-9._-]+$")
    canary: list[Slug] = Field(min_length=1, max_length=MAX_STATIONS, description="stations that get it first")
    others: list[Slug] = Field(
        default_factory=list, max_length=MAX_STATIONS, description="the site's other stations, once the canary passed"
    )


class RolloutOut(BaseModel):
    id: int
    site: str
    stream: str
    new_version: str
    previous_version: str | None
    canary: list[str]
    others: list[str]
    items_needed: int
    state: str = Field(description="canary, rolled_on or rolled_back")
    started: datetime
    decided: datetime | None
    reason: str = Field(description="the last decision (or wait) with the figures compared")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


BAD_BODY: dict[int | str, dict[str, Any]] = {400: _error("a body that is not JSON")}
NO_LOOP: dict[int | str, dict[str, Any]] = {503: _error("this hub does not train models")}


def _loop(state: StateDep) -> LearningLoop:
    if state.learning is None:
        raise HTTPException(503, "this hub does not train models (no learning loop)")
    return state.learning


def rollout_out(r: Rollout) -> RolloutOut:
    return RolloutOut(
        id=r.id,
        site=r.site,
        stream=r.stream,
        new_version=r.new_version,
        previous_version=r.previous_version,
        canary=list(r.canary),
        others=list(r.others),
        items_needed=r.items_needed,
        state=r.state.value,
        started=r.started,
        decided=r.decided,
        reason=r.reason,
    )


def _training(loop: LearningLoop) -> TrainingOut:
    return TrainingOut.model_validate(loop.status().as_dict())


@router.post(
    "/train",
    status_code=202,
    response_model=TrainingOut,
    responses={**BAD_BODY, 409: _error("a training run is going on already"), **NO_LOOP},
)
def post_train(body: TrainIn, state: StateDep, _admin: AdminDep) -> TrainingOut:
    loop = _loop(state)
    if not loop.start_training(body.site, body.stream):
        raise HTTPException(409, "a training run is going on already; GET /api/fleet/train says how far")
    return _training(loop)


@router.get("/train", response_model=TrainingOut, responses=NO_LOOP)
def get_train(state: StateDep, _admin: AdminDep) -> TrainingOut:
    return _training(_loop(state))


@router.get("/rollouts", response_model=list[RolloutOut], responses=NO_LOOP)
def get_rollouts(
    state: StateDep, _admin: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RolloutOut]:
    return [rollout_out(r) for r in _loop(state).rollouts.recent(limit)]


@router.post(
    "/rollouts",
    status_code=201,
    response_model=RolloutOut,
    responses={
        **BAD_BODY,
        409: _error(
            "the model is not offered or not known here, a rollout of the site and stream is open, or this hub "
            "has no model publisher"
        ),
        502: _error("the model could not be sent to the canary: no rollout was kept"),
        **NO_LOOP,
    },
)
def post_rollout(body: RolloutIn, state: StateDep, _admin: AdminDep) -> RolloutOut:
    loop = _loop(state)
    try:
        rollout = loop.start_rollout(body.site, body.stream, body.version, body.canary, body.others)
    except (RolloutRefusedError, RolloutError) as exc:
        raise HTTPException(409, str(exc)) from None
    except Exception as exc:  # the publisher failed: nothing reached a station and the rollout was not kept
        raise HTTPException(502, f"the model could not be sent to the canary: {exc}") from None
    return rollout_out(rollout)
