"""GET /api/v1/vision/agreement: how often sorters took the vision suggestion, per model version and suggested
label, what it was corrected to, and the share of items without one; beside it the blind accuracy, from the
items whose suggestion was not shown (definitions: docs/dashboard.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import StateDep, UserDep
from hub.api.errors import STORE_ERRORS, store_error
from hub.storage.agreement import PERIODS, Agreement, Count, ModelAgreement, agreement
from hub.storage.influx_v1 import InfluxError
from hub.storage.throughput import Period

router = APIRouter(prefix="/api/v1/vision", tags=["vision"])


class ShareOut(BaseModel):
    items: int
    share: float


class CategoryAgreementOut(BaseModel):
    category: str  # the suggested label
    items: int  # shown suggestions
    accepted: int
    accepted_share: float  # shown acceptance: accepted / items
    blind_items: int = 0  # blind checks: the suggestion computed but not shown
    blind_correct: int = 0  # of those, the sorter chose the suggested label unprompted
    blind_accuracy: float = 0.0  # blind_correct / blind_items (0 without blind items)


class ConfusionOut(BaseModel):
    suggested: str
    chosen: str
    items: int


class ModelAgreementOut(BaseModel):
    model_version: str
    items: int  # shown suggestions
    accepted: int
    accepted_share: float  # shown acceptance
    blind_items: int = 0
    blind_correct: int = 0
    blind_accuracy: float = 0.0
    categories: list[CategoryAgreementOut]  # every label suggested, shown or blind
    confusion: list[ConfusionOut]  # shown suggestions


class AgreementOut(BaseModel):
    period: Period
    start: datetime
    end: datetime
    total_items: int
    no_suggestion: ShareOut
    models: list[ModelAgreementOut]


def _categories(model: ModelAgreement) -> list[CategoryAgreementOut]:
    """Shown and blind counts side by side per suggested label, the most suggested label first."""
    none = Count(0, 0)
    shown, blind = dict(model.categories), dict(model.blind_categories)
    labels = sorted(shown.keys() | blind.keys(), key=lambda label: (-shown.get(label, none).items, label))
    out = []
    for label in labels:
        s, b = shown.get(label, none), blind.get(label, none)
        out.append(
            CategoryAgreementOut(
                category=label,
                items=s.items,
                accepted=s.accepted,
                accepted_share=s.accepted_share,
                blind_items=b.items,
                blind_correct=b.accepted,
                blind_accuracy=b.accepted_share,
            )
        )
    return out


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
                blind_items=m.blind.items,
                blind_correct=m.blind.accepted,
                blind_accuracy=m.blind.accepted_share,
                categories=_categories(m),
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
