"""Reference data for feeds and reports: sites to municipalities, categories to the R-ladder, CO2e factors."""

from __future__ import annotations

from hub.reference.data import (
    CategoryRef,
    Destination,
    Factor,
    Market,
    Municipality,
    ReferenceData,
    load_reference,
)

__all__ = ["CategoryRef", "Destination", "Factor", "Market", "Municipality", "ReferenceData", "load_reference"]
