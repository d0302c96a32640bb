"""The BKN report: per location and category, intake and the shares reused, recycled, residual and exported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hub.reference import ReferenceData
from hub.reports.classify import (
    MARKET_NAMES,
    Split,
    category_names,
    destination_code,
    place,
    site_name,
    sort_categories,
    stream_name,
)
from hub.reports.table import Cell, Column, Count, Kg, KgShare, Note, Report, ReportKind, Row, RowKind, Text
from hub.reports.volumes import Volume

# Between "R3" and "R5" in a heading: the dash stays on the line, so a narrow column never breaks "R3–/R5".
RANGE = "\u2060–\u2060"


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
        # The page shows names (Kunststof, PP (polypropeen)); the CSV keeps the slugs a program joins on.
        Column("stream", "Stroom", "Stream", html=False),
        Column("stream_name", "Stroom", "Stream", csv=False),
        Column("category", "Categorie", "Category", html=False),
        Column("category_name", "Categorie", "Category"),
        Column("destination", "R-code", "Destination"),
        Column("market", "Markt", "Market", html=False),
        Column("market_name", "Markt", "Market", csv=False),
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
    blank = (Text(""),) * 7
    for where in sorted((place(reference, s) for s in per_site), key=lambda p: p.order):
        categories = per_site[where.site]
        location = Split()
        head = (Text(where.site), Text(where.municipality))
        name = site_name(reference, where.site)
        if where.municipality and where.municipality != name:
            name = f"{name} (gemeente / municipality {where.municipality})"
        elif not where.municipality:
            name = f"{name} (geen gemeente / no municipality)"
        out.append(Row(RowKind.GROUP, (), label=name))
        for key in sort_categories(categories, reference):
            split = categories[key]
            location.merge(split)
            ref = reference.category(*key)
            market = MARKET_NAMES[ref.market] if ref else ("", "")
            out.append(
                Row(
                    RowKind.DATA,
                    (
                        *head,
                        Text(key[0]),
                        Text(*stream_name(key[0])),
                        Text(key[1]),
                        Text(*category_names(ref, key[1])),
                        Text(destination_code(ref)),
                        Text(ref.market.value if ref else ""),
                        Text(*market),
                        *figures(split),
                    ),
                )
            )
        overall.merge(location)
        out.append(
            Row(
                RowKind.SUBTOTAL,
                (*head, *blank, *figures(location)),
                label=f"Totaal / total {site_name(reference, where.site)}",
            )
        )
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
