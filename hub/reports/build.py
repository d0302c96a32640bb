"""Report tables built from summed volumes and the reference data: pure functions, no I/O.

Every amount is an integer number of grams from the first sum to the last total; a share or a kilogram figure
is made only when a cell is written (hub/reports/render.py). So a report's totals equal the stored events to
the gram, and on paper the lines add up to the totals. A category the reference data does not know, a site
outside every municipality and a category without a CO2e factor are shown as such, never dropped: a report
that silently loses weight would be worse than one that says what it cannot classify.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from hub.reference import CategoryRef, Destination, Market, ReferenceData

# The R-ladder as the reports count it (docs/feeds.md, "Reports"): reuse is R3 reuse, R4 repair and
# R5 refurbish; recycling is R6 remanufacture, R7 repurpose and R8 recycle. The textile report shows R7
# (wipers, repurposing) apart from the rest of recycling, as UPV Textiel asks.
REUSE = frozenset({Destination.R3, Destination.R4, Destination.R5})
RECYCLING = frozenset({Destination.R6, Destination.R7, Destination.R8})
REPURPOSE = frozenset({Destination.R7})
DESTINATION_ORDER = (*sorted(REUSE), *sorted(RECYCLING), Destination.RESIDUAL)
TEXTILE = "textile"

# Streams by their Dutch and English names in headings; a stream not listed here is shown by its slug.
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
UNKNOWN_DESTINATION = "?"
# Between "R3" and "R5" in a heading: the dash stays on the line, so a narrow column never breaks "R3–/R5".
RANGE = "\u2060–\u2060"


class ReportKind(StrEnum):
    BKN = "bkn"
    UPV_TEXTIEL = "upv-textiel"
    CBS = "cbs"
    CO2E = "co2e"


# -- cells: what a table holds; render.py decides how each looks in CSV and HTML ------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Kg:
    grams: int


@dataclass(frozen=True, slots=True)
class Count:
    value: int


@dataclass(frozen=True, slots=True)
class KgShare:
    """An amount and its share of a whole (both grams): CSV writes two columns, kg and percent."""

    grams: int
    whole: int


@dataclass(frozen=True, slots=True)
class Factor:
    """kg CO2e avoided per kg, as written in the reference data; None: the category has no factor."""

    value: Decimal | None


Cell = Text | Kg | Count | KgShare | Factor


class RowKind(StrEnum):
    DATA = "data"
    SUBTOTAL = "subtotal"
    TOTAL = "total"
    GROUP = "group"  # a heading inside the table (a location, a month): HTML only, CSV rows carry it in columns


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the CSV header (English, snake_case); a KgShare column writes "<key>_kg" and pct_key
    nl: str
    en: str
    numeric: bool = False
    share: bool = False  # its cells are KgShare: kg and percent
    html: bool = True  # shown on the printed page
    csv: bool = True
    pct_key: str = ""  # header of a KgShare's percentage in CSV; default "<key>_pct"

    @property
    def percent_header(self) -> str:
        return self.pct_key or f"{self.key}_pct"


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    cells: tuple[Cell, ...]
    # On the page, a subtotal, total or group row shows this label across its leading text columns.
    label: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    nl: str
    en: str


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    title_nl: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[Note, ...] = ()
    landscape: bool = False

    def total(self, key: str) -> Cell:
        """The overall total row's cell in column ``key`` (tests and callers that want one figure)."""
        index = [c.key for c in self.columns].index(key)
        return next(r for r in self.rows if r.kind is RowKind.TOTAL).cells[index]


# -- input ----------------------------------------------------------------------------------------------------


class ThroughputLike(Protocol):
    @property
    def site(self) -> str: ...
    @property
    def stream(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def grams(self) -> int: ...
    @property
    def items(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Volume:
    """Summed grams and items of one site, stream and category: what every report is built from. Stations are
    summed away: a report says nothing about a single station or who sorted."""

    site: str
    stream: str
    category: str
    grams: int
    items: int


@dataclass(frozen=True, slots=True)
class MonthVolumes:
    """The volumes of one local month, or of the part of it that lies in the report's range.

    A month an admin has closed (hub/feeds/periods.py) holds its frozen figures; what arrived after closing
    is the adjustment (live minus frozen), which the page names but does not add in, as the feed does."""

    first: date  # first day in the range
    last: date  # last day in the range (inclusive)
    volumes: tuple[Volume, ...]
    closed: bool = False
    adjustment_grams: int = 0
    adjustment_items: int = 0

    @property
    def month(self) -> str:
        return f"{self.first:%Y-%m}"


def volumes(rows: Iterable[ThroughputLike]) -> list[Volume]:
    """Station rows (hub.storage.throughput, exact grams) summed per site, stream and category."""
    grams: dict[tuple[str, str, str], int] = defaultdict(int)
    items: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        key = (row.site, row.stream, row.category)
        grams[key] += row.grams
        items[key] += row.items
    return [Volume(*key, grams=grams[key], items=items[key]) for key in sorted(grams)]


# -- shared helpers -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """Where a site's figures are filed: its municipality, or a row of its own when it has none."""

    municipality: str  # the name, or "" when the site belongs to no municipality in the reference data
    site: str

    @property
    def label(self) -> str:
        return self.municipality or f"onbekend / unknown: {self.site}"

    @property
    def order(self) -> tuple[int, str, str]:
        return (0 if self.municipality else 1, self.municipality.casefold(), self.site)


def place(reference: ReferenceData, site: str) -> Place:
    found = reference.municipality_of(site)
    return Place(found.name if found else "", site)


def municipality_key(reference: ReferenceData, site: str) -> Place:
    """The municipality a site's figures count for; sites without one each keep a row of their own."""
    found = reference.municipality_of(site)
    return Place(found.name, "") if found else Place("", site)


def category_order(reference: ReferenceData) -> dict[tuple[str, str], int]:
    """Categories in the order the reference data lists them (crème before export before recycling ...)."""
    return {(c.stream, c.category): i for i, c in enumerate(reference.categories)}


def _sort_categories(keys: Iterable[tuple[str, str]], reference: ReferenceData) -> list[tuple[str, str]]:
    order = category_order(reference)
    return sorted(keys, key=lambda k: (k[0], order.get(k, len(order)), k[1]))


def stream_name(stream: str) -> tuple[str, str]:
    return STREAM_NAMES.get(stream, (stream, stream))


def destination_code(ref: CategoryRef | None) -> str:
    return ref.destination.value if ref else UNKNOWN_DESTINATION


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


# -- BKN ------------------------------------------------------------------------------------------------------


def bkn(rows: Sequence[Volume], reference: ReferenceData) -> Report:
    """Per location and category: intake, and the shares reused, recycled, residual and exported."""
    per_site: dict[str, dict[tuple[str, str], Split]] = defaultdict(lambda: defaultdict(Split))
    for volume in rows:
        ref = reference.category(volume.stream, volume.category)
        per_site[volume.site][(volume.stream, volume.category)].add(volume, ref)
    unclassified = any(s.unclassified for cats in per_site.values() for s in cats.values())
    columns = (
        Column("site", "Locatie", "Location", html=False),
        Column("municipality", "Gemeente", "Municipality", html=False),
        Column("stream", "Stroom", "Stream"),
        Column("category", "Categorie", "Category"),
        Column("category_name", "Omschrijving", "Description"),
        Column("destination", "R-code", "Destination"),
        Column("market", "Markt", "Market"),
        Column("intake_kg", "Inname kg", "Intake kg", numeric=True),
        Column("items", "Stuks", "Items", numeric=True),
        Column("reused", f"Hergebruik R3{RANGE}R5", "Reused", numeric=True, share=True),
        Column("recycled", f"Recycling R6{RANGE}R8", "Recycled", numeric=True, share=True),
        Column("residual", "Restafval", "Residual", numeric=True, share=True),
        Column("unclassified", "Niet ingedeeld", "Unclassified", numeric=True, share=True, html=unclassified),
        Column("exported", "Export", "Exported", numeric=True, share=True),
    )

    def figures(split: Split) -> tuple[Cell, ...]:
        whole = split.grams
        return (
            Kg(whole),
            Count(split.items),
            KgShare(split.reused, whole),
            KgShare(split.recycled, whole),
            KgShare(split.residual, whole),
            KgShare(split.unclassified, whole),
            KgShare(split.exported, whole),
        )

    out: list[Row] = []
    overall = Split()
    blank = (Text(""),) * 5
    for where in sorted((place(reference, s) for s in per_site), key=lambda p: p.order):
        categories = per_site[where.site]
        location = Split()
        head = (Text(where.site), Text(where.municipality))
        municipality = where.municipality or "onbekend / unknown"
        out.append(
            Row(RowKind.GROUP, (), label=f"Locatie / location {where.site} — gemeente / municipality {municipality}")
        )
        for key in _sort_categories(categories, reference):
            split = categories[key]
            location.merge(split)
            ref = reference.category(*key)
            out.append(
                Row(
                    RowKind.DATA,
                    (
                        *head,
                        Text(key[0]),
                        Text(key[1]),
                        Text(ref.name_nl if ref else "niet in referentiedata / not in reference data"),
                        Text(destination_code(ref)),
                        Text(ref.market.value if ref else ""),
                        *figures(split),
                    ),
                )
            )
        overall.merge(location)
        out.append(Row(RowKind.SUBTOTAL, (*head, *blank, *figures(location)), label=f"Totaal / total {where.site}"))
    out.append(Row(RowKind.TOTAL, (Text(""), Text(""), *blank, *figures(overall)), label="Totaal / total"))
    return Report(
        ReportKind.BKN,
        "BKN-rapportage: inname en bestemming per locatie",
        "BKN-style report: intake and destination per location",
        columns,
        tuple(out),
        notes=(
            Note(
                "Hergebruik telt R3 (hergebruik), R4 (reparatie) en R5 (opknappen); recycling telt R6 "
                "(hervervaardiging), R7 (herbestemming) en R8 (recycling). Restafval is alles zonder R-code.",
                "Reused counts R3 (reuse), R4 (repair) and R5 (refurbish); recycled counts R6 (remanufacture), "
                "R7 (repurpose) and R8 (recycle). Residual is everything without an R-code.",
            ),
            Note(
                "Export is het deel met markt 'export' (hergebruik of recycling buiten Nederland) en telt "
                "ook mee in hergebruik of recycling. Percentages zijn aandelen van de inname in kg.",
                "Exported is the part whose market is 'export' (reuse or recycling outside the Netherlands); it "
                "is also counted in reused or recycled. Percentages are shares of the intake in kg.",
            ),
        ),
        landscape=True,
    )


# -- UPV Textiel ----------------------------------------------------------------------------------------------


def in_scope(reference: ReferenceData, scope: frozenset[str] | None) -> list[Place]:
    """The municipalities a report covers, listed even when they delivered nothing: a municipality that files
    the report needs its zero as much as its neighbour's kilograms."""
    return [Place(m.name, "") for m in reference.municipalities if scope is None or scope & set(m.sites)]


def upv_textiel(rows: Sequence[Volume], reference: ReferenceData, scope: frozenset[str] | None = None) -> Report:
    """Textile only, per municipality: reuse in and outside the Netherlands, recycling (and its fibre-to-fibre
    part), wipers and repurposing, residual."""
    per_place: dict[Place, Split] = {where: Split() for where in in_scope(reference, scope)}
    for volume in rows:
        if volume.stream != TEXTILE:
            continue
        where = municipality_key(reference, volume.site)
        per_place.setdefault(where, Split()).add(volume, reference.category(volume.stream, volume.category))
    unclassified = any(s.unclassified for s in per_place.values())
    columns = (
        Column("municipality", "Gemeente", "Municipality"),
        Column("intake_kg", "Inname textiel kg", "Textile intake kg", numeric=True),
        Column("items", "Stuks", "Items", numeric=True),
        Column("reuse_nl", "Hergebruik in Nederland", "Reuse in the Netherlands", numeric=True, share=True),
        Column("reuse_export", "Hergebruik export", "Export reuse", numeric=True, share=True),
        Column("recycling", "Recycling R6, R8", "Recycling", numeric=True, share=True),
        Column(
            "fibre_to_fibre",
            "waarvan vezel-tot-vezel",
            "of which fibre-to-fibre (share of recycling)",
            numeric=True,
            share=True,
            pct_key="fibre_to_fibre_pct_of_recycling",
        ),
        Column("repurpose", "Poetslappen, herbestemming R7", "Wipers, repurpose", numeric=True, share=True),
        Column("residual", "Restafval", "Residual", numeric=True, share=True),
        Column("unclassified", "Niet ingedeeld", "Unclassified", numeric=True, share=True, html=unclassified),
    )

    def figures(split: Split) -> tuple[Cell, ...]:
        whole = split.grams
        return (
            Kg(whole),
            Count(split.items),
            KgShare(split.reuse_nl, whole),
            KgShare(split.reuse_export, whole),
            KgShare(split.recycling, whole),
            KgShare(split.fibre_to_fibre, split.recycling),
            KgShare(split.repurpose, whole),
            KgShare(split.residual, whole),
            KgShare(split.unclassified, whole),
        )

    out: list[Row] = []
    overall = Split()
    for where in sorted(per_place, key=lambda p: p.order):
        overall.merge(per_place[where])
        out.append(Row(RowKind.DATA, (Text(where.label), *figures(per_place[where]))))
    out.append(Row(RowKind.TOTAL, (Text(""), *figures(overall)), label="Totaal / total"))
    return Report(
        ReportKind.UPV_TEXTIEL,
        "UPV Textiel: bestemming van ingezameld textiel",
        "Dutch textile EPR scheme: destination of collected textile",
        columns,
        tuple(out),
        notes=(
            Note(
                "Alleen de stroom textiel. Hergebruik is R3–R5 (in Nederland of export); recycling is R6 en R8, "
                "waarvan vezel-tot-vezel als aandeel van de recycling; poetslappen en herbestemming zijn R7. "
                "Overige percentages zijn aandelen van de textielinname in kg.",
                "Textile stream only. Reuse is R3–R5 (in the Netherlands or exported); recycling is R6 and R8, "
                "fibre-to-fibre shown as a share of recycling; wipers and repurposing are R7. Other percentages "
                "are shares of the textile intake in kg.",
            ),
        ),
        landscape=True,
    )


# -- CBS ------------------------------------------------------------------------------------------------------


def cbs(rows: Sequence[Volume], reference: ReferenceData, scope: frozenset[str] | None = None) -> Report:
    """kg per municipality and stream, with totals both ways. Every stream the reference data knows gets a
    column, so the table keeps its shape from period to period."""
    streams = sorted({c.stream for c in reference.categories} | {v.stream for v in rows})
    grams: dict[Place, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for where in in_scope(reference, scope):
        grams[where] = defaultdict(int)
    for volume in rows:
        grams[municipality_key(reference, volume.site)][volume.stream] += volume.grams
    columns = (
        Column("municipality", "Gemeente", "Municipality"),
        *(Column(f"{s}_kg", f"{stream_name(s)[0]} kg", f"{stream_name(s)[1]} kg", numeric=True) for s in streams),
        Column("total_kg", "Totaal kg", "Total kg", numeric=True),
    )
    out: list[Row] = []
    for where in sorted(grams, key=lambda p: p.order):
        line = grams[where]
        out.append(Row(RowKind.DATA, (Text(where.label), *(Kg(line[s]) for s in streams), Kg(sum(line.values())))))
    per_stream = [sum(line[s] for line in grams.values()) for s in streams]
    out.append(Row(RowKind.TOTAL, (Text(""), *(Kg(g) for g in per_stream), Kg(sum(per_stream))), "Totaal / total"))
    return Report(
        ReportKind.CBS,
        "CBS-overzicht: kg per gemeente en stroom",
        "CBS-style breakdown: kg per municipality and stream",
        columns,
        tuple(out),
        notes=(
            Note(
                "Ingezameld gewicht per gemeente van de locatie, alle categorieën van een stroom samen.",
                "Collected weight by the municipality of the site, all categories of a stream together.",
            ),
        ),
    )


# -- CO2e -----------------------------------------------------------------------------------------------------

MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
NO_FACTOR = "geen factor / no factor"


def co2e_grams(grams: int, factor: Decimal) -> int:
    """CO2e avoided, in whole grams: the factor exactly as written in the reference data times the grams,
    rounded half up once per line (the totals are sums of the printed lines)."""
    return int((factor * grams).to_integral_value(ROUND_HALF_UP))


def exact_factor(value: float) -> Decimal:
    """The decimal the reference file wrote (0.53, not 0.530000000000000026645...): the shortest repr."""
    return Decimal(repr(value))


def month_label(first: date, last: date) -> str:
    """ "november 2026", or "november 2026 (3–30)" for the part of a month that lies in the range."""
    name = f"{MONTHS_NL[first.month - 1]} {first.year}"
    if first.day == 1 and last == month_end(last):
        return name
    return f"{name} ({first.day}–{last.day})"


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def local_months(first: date, last: date) -> list[tuple[date, date]]:
    """The local months of [first, last] (days, inclusive), the first and last possibly partial."""
    months = []
    start = first
    while start <= last:
        end = min(month_end(start), last)
        months.append((start, end))
        start = date.fromordinal(end.toordinal() + 1)
    return months


def co2e(months: Sequence[MonthVolumes], reference: ReferenceData) -> Report:
    """Per local month and destination/category: kg, factor, its source and kg CO2e avoided; totals per month
    and overall. A category without a factor is listed with "no factor" and counts 0."""
    columns = (
        Column("month", "Maand", "Month", html=False),
        Column("period_from", "Van", "From", html=False),
        Column("period_to", "Tot en met", "Through", html=False),
        Column("destination", "R-code", "Destination"),
        Column("stream", "Stroom", "Stream"),
        Column("category", "Categorie", "Category"),
        Column("category_name", "Omschrijving", "Description"),
        Column("kg", "Gewicht kg", "Weight kg", numeric=True),
        Column("factor", "Factor kg CO₂e/kg", "Factor", numeric=True),
        Column("source", "Bron factor", "Source of the factor"),
        Column("co2e_kg", "Vermeden kg CO₂e", "kg CO₂e avoided", numeric=True),
    )
    rank = {d.value: i for i, d in enumerate(DESTINATION_ORDER)}
    out: list[Row] = []
    total_grams = total_co2e = 0
    blank = (Text(""),) * 4
    for month in months:
        grams: dict[tuple[str, str], int] = defaultdict(int)
        for volume in month.volumes:
            grams[(volume.stream, volume.category)] += volume.grams
        head = (Text(month.month), Text(month.first.isoformat()), Text(month.last.isoformat()))
        state = "gesloten, bevroren / closed, frozen" if month.closed else "open: kan nog veranderen / can still change"
        out.append(Row(RowKind.GROUP, (), label=f"{month_label(month.first, month.last)} — {state}"))
        lines = []
        for key in _sort_categories(grams, reference):
            ref = reference.category(*key)
            lines.append((rank.get(destination_code(ref), len(rank)), key, ref))
        month_grams = month_co2e = 0
        for _rank, key, ref in sorted(lines, key=lambda line: line[0]):
            found = reference.factor(*key)
            factor = exact_factor(found.kg_co2e_per_kg) if found else None
            avoided = co2e_grams(grams[key], factor) if factor is not None else 0
            month_grams += grams[key]
            month_co2e += avoided
            out.append(
                Row(
                    RowKind.DATA,
                    (
                        *head,
                        Text(destination_code(ref)),
                        Text(key[0]),
                        Text(key[1]),
                        Text(ref.name_nl if ref else "niet in referentiedata / not in reference data"),
                        Kg(grams[key]),
                        Factor(factor),
                        Text(found.source if found else NO_FACTOR),
                        Kg(avoided),
                    ),
                )
            )
        total_grams += month_grams
        total_co2e += month_co2e
        out.append(
            Row(
                RowKind.SUBTOTAL,
                (*head, *blank, Kg(month_grams), Text(""), Text(""), Kg(month_co2e)),
                label=f"Totaal / total {month_label(month.first, month.last)}",
            )
        )
    out.append(
        Row(
            RowKind.TOTAL,
            (Text(""), Text(""), Text(""), *blank, Kg(total_grams), Text(""), Text(""), Kg(total_co2e)),
            label="Totaal / total",
        )
    )
    return Report(
        ReportKind.CO2E,
        "Vermeden CO₂e per maand",
        "CO₂e avoided per month",
        columns,
        tuple(out),
        notes=(
            Note(
                "Vermeden CO₂e = kg × factor: de uitstoot die vermeden wordt doordat het materiaal naar deze "
                "bestemming gaat in plaats van naar de verbrandingsoven. Een categorie zonder factor telt als 0.",
                "CO₂e avoided = kg × factor: the emissions avoided by sending the material to this destination "
                "instead of incineration. A category without a factor counts as 0.",
            ),
        ),
        landscape=True,
    )


# -- the report's frame: period, scope --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScopeLine:
    municipality: str  # "" for sites outside every municipality
    sites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MonthStatus:
    first: date
    last: date
    closed: bool
    adjustment_grams: int
    adjustment_items: int


@dataclass(frozen=True, slots=True)
class Meta:
    """What the page says about the report besides the table."""

    first: date
    last: date  # inclusive
    scope: tuple[ScopeLine, ...] | None  # None: every site
    reference_version: str
    generated: str  # local time, already formatted ("2026-11-15 14:03 CET")
    months: tuple[MonthStatus, ...]  # open (live, can still change) or closed (frozen)

    @property
    def open_months(self) -> tuple[MonthStatus, ...]:
        return tuple(m for m in self.months if not m.closed)

    @property
    def closed_months(self) -> tuple[MonthStatus, ...]:
        return tuple(m for m in self.months if m.closed)


def month_status(months: Sequence[MonthVolumes]) -> tuple[MonthStatus, ...]:
    return tuple(MonthStatus(m.first, m.last, m.closed, m.adjustment_grams, m.adjustment_items) for m in months)


def describe_scope(sites: frozenset[str] | None, reference: ReferenceData) -> tuple[ScopeLine, ...] | None:
    """The sites a report covers, by municipality, for the page's header."""
    if sites is None:
        return None
    grouped: dict[str, list[str]] = defaultdict(list)
    for site in sites:
        found = reference.municipality_of(site)
        grouped[found.name if found else ""].append(site)
    return tuple(
        ScopeLine(name, tuple(sorted(grouped[name]))) for name in sorted(grouped, key=lambda n: (n == "", n.casefold()))
    )


def build(
    kind: ReportKind, months: Sequence[MonthVolumes], reference: ReferenceData, scope: frozenset[str] | None = None
) -> Report:
    """Any report from the range's volumes split into local months (only CO2e shows the months). ``scope``: the
    sites the report covers (None: every site), so a municipality without figures still gets its row."""
    if kind is ReportKind.CO2E:
        return co2e(months, reference)
    merged = merge(v for m in months for v in m.volumes)
    if kind is ReportKind.BKN:
        return bkn(merged, reference)
    if kind is ReportKind.UPV_TEXTIEL:
        return upv_textiel(merged, reference, scope)
    return cbs(merged, reference, scope)


def merge(rows: Iterable[Volume]) -> list[Volume]:
    grams: dict[tuple[str, str, str], int] = defaultdict(int)
    items: dict[tuple[str, str, str], int] = defaultdict(int)
    for volume in rows:
        key = (volume.site, volume.stream, volume.category)
        grams[key] += volume.grams
        items[key] += volume.items
    return [Volume(*key, grams=grams[key], items=items[key]) for key in sorted(grams)]
