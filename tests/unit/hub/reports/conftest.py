"""A small hand-made reference and volume set whose every figure is worked out in the tests by hand."""

from __future__ import annotations

import pytest

from hub.reference import CategoryRef, Destination, Factor, Market, Municipality, ReferenceData
from hub.reports.volumes import Volume


@pytest.fixture
def reference() -> ReferenceData:
    def cat(stream: str, category: str, destination: Destination, **more: object) -> CategoryRef:
        return CategoryRef.model_validate(
            {"stream": stream, "category": category, "name_nl": f"{category} nl", "name_en": f"{category} en"}
            | {"destination": destination}
            | more
        )

    return ReferenceData(
        version="test-1",
        municipalities=[
            Municipality(slug="dalfsen", name="Dalfsen", sites=["dalfsen", "nieuwleusen"]),
            Municipality(slug="ommen", name="Ommen", sites=["ommen"]),
            Municipality(slug="staphorst", name="Staphorst", sites=["staphorst"]),
        ],
        categories=[
            cat("textile", "creme", Destination.R3),
            cat("textile", "export", Destination.R3, market=Market.EXPORT),
            cat("textile", "recycling", Destination.R8),
            cat("textile", "f2f", Destination.R8, fibre_to_fibre=True),
            cat("textile", "wipers", Destination.R7),
            cat("textile", "residual", Destination.RESIDUAL),
            cat("plastic", "pp", Destination.R8),
            cat("plastic", "mixed", Destination.RESIDUAL),
        ],
        factors={
            "textile/creme": Factor(kg_co2e_per_kg=10.0, source="creme source"),
            "textile": Factor(kg_co2e_per_kg=1.5, source="textile source"),
            "R8": Factor(kg_co2e_per_kg=0.333, source="R8 source"),
        },
    )


@pytest.fixture
def rows() -> list[Volume]:
    return [
        Volume("dalfsen", "textile", "creme", 1000, 2),
        Volume("dalfsen", "textile", "export", 2500, 3),
        Volume("nieuwleusen", "textile", "recycling", 3000, 1),
        Volume("nieuwleusen", "textile", "f2f", 1500, 1),
        Volume("ommen", "textile", "wipers", 700, 1),
        Volume("ommen", "textile", "residual", 300, 1),
        Volume("ommen", "plastic", "pp", 1234567, 10),
        Volume("elsewhere", "textile", "mystery", 5, 1),  # a site and a category the reference data lacks
    ]
