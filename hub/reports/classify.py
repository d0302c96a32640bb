"""How the reports file a volume by the reference data: its place on the R-ladder, the municipality its site
counts for, and the order its category is listed in.

A category the reference data does not know and a site outside every municipality are shown as such, never
dropped: a report that silently loses weight would be worse than one that says what it cannot classify.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.reference import CategoryRef, Destination, Market, ReferenceData
from hub.reports.volumes import Volume

# The R-ladder as the reports count it (docs/feeds.md, "Reports"): reuse is R3 reuse, R4 repair and
# R5 refurbish; recycling is R6 remanufacture, R7 repurpose and R8 recycle. The textile report shows R7
# (wipers, repurposing) apart from the rest of recycling, as UPV Textiel asks.
REUSE = frozenset({Destination.R3, Destination.R4, Destination.R5})
RECYCLING = frozenset({Destination.R6, Destination.R7, Destination.R8})
REPURPOSE = frozenset({Destination.R7})
DESTINATION_ORDER = (*sorted(REUSE), *sorted(RECYCLING), Destination.RESIDUAL)
UNKNOWN_DESTINATION = "?"
NOT_IN_REFERENCE = "niet in referentiedata / not in reference data"


def destination_code(ref: CategoryRef | None) -> str:
    return ref.destination.value if ref else UNKNOWN_DESTINATION


def category_name(ref: CategoryRef | None) -> str:
    return ref.name_nl if ref else NOT_IN_REFERENCE


@dataclass
class Split:
    """One location's, municipality's or category's intake split over the R-ladder, in grams."""

    grams: int = 0
    items: int = 0
    reuse_nl: int = 0
    reuse_export: int = 0
    recycling: int = 0  # R6 and R8 (R7 is kept in ``repurpose``)
    fibre_to_fibre: int = 0  # part of ``recycling``
    repurpose: int = 0  # R7
    residual: int = 0
    unclassified: int = 0  # a category the reference data does not know
    exported: int = 0  # any destination with market "export" (overlaps reuse and recycling)

    def add(self, volume: Volume, ref: CategoryRef | None) -> None:
        grams = volume.grams
        self.grams += grams
        self.items += volume.items
        if ref is None:
            self.unclassified += grams
            return
        if ref.market is Market.EXPORT:
            self.exported += grams
        if ref.destination in REUSE:
            if ref.market is Market.EXPORT:
                self.reuse_export += grams
            else:
                self.reuse_nl += grams
        elif ref.destination in REPURPOSE:
            self.repurpose += grams
        elif ref.destination in RECYCLING:
            self.recycling += grams
            if ref.fibre_to_fibre:
                self.fibre_to_fibre += grams
        else:
            self.residual += grams

    def merge(self, other: Split) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def reused(self) -> int:
        return self.reuse_nl + self.reuse_export

    @property
    def recycled(self) -> int:
        """All of R6 to R8, R7 included (the BKN view)."""
        return self.recycling + self.repurpose


@dataclass(frozen=True, slots=True)
class Place:
    """Where a site's figures are filed: its municipality, or a row of its own when it has none."""

    municipality: str  # the name, or "" when the site belongs to no municipality in the reference data
    site: str

    @property
    def label(self) -> str:
        return self.municipality or f"{slug_name(self.site)} (geen gemeente / no municipality)"

    @property
    def order(self) -> tuple[int, str, str]:
        return (0 if self.municipality else 1, self.municipality.casefold(), self.site)


def slug_name(slug: str) -> str:
    """A slug as a name: "nieuwleusen" -> "Nieuwleusen", "zwolle-noord" -> "Zwolle-Noord"."""
    return "-".join(part[:1].upper() + part[1:] for part in slug.split("-"))


def site_name(reference: ReferenceData, site: str) -> str:
    """A site's name for people: its municipality's name where the site is named after it (the reference data
    names municipalities, not sites), else the slug written as a name."""
    found = reference.municipality_of(site)
    return found.name if found is not None and found.slug == site else slug_name(site)


# Streams by their Dutch and English names; a stream not listed here is shown by its slug written as a name.
STREAM_NAMES: dict[str, tuple[str, str]] = {
    "plastic": ("Kunststof", "Plastic"),
    "textile": ("Textiel", "Textile"),
    "media": ("Cd's en dvd's", "CDs and DVDs"),
    "duvets": ("Dekbedden", "Duvets"),
    "bottles": ("Flessen", "Bottles"),
    "paper": ("Papier", "Paper"),
    "glass": ("Glas", "Glass"),
    "metal": ("Metaal", "Metal"),
    "electronics": ("Elektronica", "Electronics"),
}
MARKET_NAMES = {Market.NL: ("Nederland", "Netherlands"), Market.EXPORT: ("Export", "Export")}


def stream_name(stream: str) -> tuple[str, str]:
    return STREAM_NAMES.get(stream, (slug_name(stream), slug_name(stream)))


def category_names(ref: CategoryRef | None, category: str) -> tuple[str, str]:
    """Dutch and English names; a category the reference data lacks has only its slug, and says so."""
    if ref is None:
        return f"{category}: niet in referentiedata", f"{category}: not in reference data"
    return ref.name_nl, ref.name_en


def place(reference: ReferenceData, site: str) -> Place:
    found = reference.municipality_of(site)
    return Place(found.name if found else "", site)


def municipality_key(reference: ReferenceData, site: str) -> Place:
    """The municipality a site's figures count for; sites without one each keep a row of their own."""
    found = reference.municipality_of(site)
    return Place(found.name, "") if found else Place("", site)


def in_scope(reference: ReferenceData, scope: frozenset[str] | None) -> list[Place]:
    """The municipalities a report covers, listed even when they delivered nothing: a municipality that files
    the report needs its zero as much as its neighbour's kilograms."""
    return [Place(m.name, "") for m in reference.municipalities if scope is None or scope & set(m.sites)]


def category_order(reference: ReferenceData) -> dict[tuple[str, str], int]:
    """Categories in the order the reference data lists them (crème before export before recycling ...)."""
    return {(c.stream, c.category): i for i, c in enumerate(reference.categories)}


def sort_categories(keys: Iterable[tuple[str, str]], reference: ReferenceData) -> list[tuple[str, str]]:
    """(stream, category) keys by stream, then in the reference data's order, unknown categories last."""
    order = category_order(reference)
    return sorted(keys, key=lambda k: (k[0], order.get(k, len(order)), k[1]))
