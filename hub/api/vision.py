"""GET /api/v1/vision/agreement: how often sorters took the vision suggestion, per model version and suggested
label, what it was corrected to, and the share of items without one (definitions: docs/dashboard.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import StateDep, UserDep
from hub.api.errors import STORE_ERRORS, store_error
from hub.storage.agreement import PERIODS, Agreement, agreement
from hub.storage.influx_v1 import InfluxError
from hub.storage.throughput import Period

router = APIRouter(prefix="/api/v1/vision", tags=["vision"])


class ShareOut(BaseModel):
    items: int
    share: float


class CategoryAgreementOut(BaseModel):
    category: str  # the suggested label
    items: int
    accepted: int
    accepted_share: float


class ConfusionOut(BaseModel):
    suggested: str
    chosen: str
    items: int


class ModelAgreementOut(BaseModel):
    model_version: str
    items: int
    accepted: int
    accepted_share: float
    categories: list[CategoryAgreementOut]
    confusion: list[ConfusionOut]


class AgreementOut(BaseModel):
    period: Period
    start: datetime
    end: datetime
    total_items: int
    no_suggestion: ShareOut
    models: list[ModelAgreementOut]


def as_json(found: Agreement) -> AgreementOut:
    return AgreementOut(
        period=found.period,
        start=found.start,
        end=found.end,
        total_items=found.total_items,
        no_suggestion=ShareOut(items=found.no_suggestion, share=found.no_suggestion_share),
        models=[
            ModelAgreementOut(
                model_version=m.model_version,
                items=m.total.items,
                accepted=m.total.accepted,
                accepted_share=m.total.accepted_share,
                categories=[
                    CategoryAgreementOut(
                        category=label, items=c.items, accepted=c.accepted, accepted_share=c.accepted_share
                    )
                    for label, c in m.categories
                ],
                confusion=[ConfusionOut(suggested=s, chosen=c, items=n) for s, c, n in m.confusion],
            )
            for m in found.models
        ],
    )


@router.get("/agreement", response_model=AgreementOut, responses=STORE_ERRORS)
def get_agreement(
    state: StateDep,
    user: UserDep,
    period: Annotated[Period, Query(description="day (today), week (7 local days) or month (30)")] = Period.DAY,
    site: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="only this site")] = None,
) -> AgreementOut:
    scope = user.scope(site)
    if period not in PERIODS:
        allowed = ", ".join(p.value for p in PERIODS)
        raise HTTPException(
            400, f"agreement is counted from the raw events, at most a month of them: period must be {allowed}"
        )
    try:
        found = agreement(state.store, period, scope)
    except InfluxError as exc:
        raise store_error(exc) from None
    return as_json(found)
