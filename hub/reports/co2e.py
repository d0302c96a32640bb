"""The CO2e report: per local month and destination/category, kg, the factor, its source and kg CO2e avoided."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from hub.reference import ReferenceData
from hub.reports.classify import DESTINATION_ORDER, category_names, destination_code, sort_categories, stream_name
from hub.reports.meta import month_label
from hub.reports.table import Column, Factor, Kg, Note, Report, ReportKind, Row, RowKind, Text
from hub.reports.volumes import MonthVolumes

NO_FACTOR = "geen factor / no factor"


def co2e_grams(grams: int, factor: Decimal) -> int:
    """CO2e avoided, in whole grams: the factor exactly as written in the reference data times the grams,
    rounded half up once per line (the totals are sums of the printed lines)."""
    return int((factor * grams).to_integral_value(ROUND_HALF_UP))


def exact_factor(value: float) -> Decimal:
    """The decimal the reference file wrote (0.53, not 0.530000000000000026645...): the shortest repr."""
    return Decimal(repr(value))


def co2e(months: Sequence[MonthVolumes], reference: ReferenceData) -> Report:
    """Per local month and destination/category: kg, factor, its source and kg CO2e avoided; totals per month
    and overall. A category without a factor is listed with "no factor" and counts 0."""
    columns = (
        Column("month", "Maand", "Month", html=False),
        Column("period_from", "Van", "From", html=False),
        Column("period_to", "Tot en met", "Through", html=False),
        Column("destination", "R-code", "Destination"),
        Column("stream", "Stroom", "Stream", html=False),
        Column("stream_name", "Stroom", "Stream", csv=False),
        Column("category", "Categorie", "Category", html=False),
        Column("category_name", "Categorie", "Category"),
        Column("kg", "Gewicht kg", "Weight kg", numeric=True),
        Column("factor", "Factor kg CO₂e/kg", "Factor", numeric=True),
        # The sources are long citations: on the page a footnote number, the texts in a list below the table.
        Column("source", "Bron factor", "Source of the factor", html=False),
        Column("source_nl", "Bron factor (Nederlands)", "Source of the factor in Dutch", html=False),
        Column("source_note", "Bron", "Source", csv=False),
        Column("co2e_kg", "Vermeden kg CO₂e", "kg CO₂e avoided", numeric=True),
    )
    rank = {d.value: i for i, d in enumerate(DESTINATION_ORDER)}
    sources: dict[tuple[str, str], int] = {}  # (Dutch, English) -> footnote number, in order of first use
    out: list[Row] = []
    total_grams = total_co2e = 0
    blank = (Text(""),) * 5
    no_source = (Text(""),) * 3
    for month in months:
        grams: dict[tuple[str, str], int] = defaultdict(int)
        for volume in month.volumes:
            grams[(volume.stream, volume.category)] += volume.grams
        head = (Text(month.month), Text(month.first.isoformat()), Text(month.last.isoformat()))
        state = "gesloten, bevroren / closed, frozen" if month.closed else "open: kan nog veranderen / can still change"
        out.append(Row(RowKind.GROUP, (), label=f"{month_label(month.first, month.last)} — {state}"))
        lines = []
        for key in sort_categories(grams, reference):
            ref = reference.category(*key)
            lines.append((rank.get(destination_code(ref), len(rank)), key, ref))
        month_grams = month_co2e = 0
        for _rank, key, ref in sorted(lines, key=lambda line: line[0]):
            found = reference.factor(*key)
            factor = exact_factor(found.kg_co2e_per_kg) if found else None
            avoided = co2e_grams(grams[key], factor) if factor is not None else 0
            month_grams += grams[key]
            month_co2e += avoided
            if found:
                texts = (found.source_nl or found.source, found.source)
                number = sources.setdefault(texts, len(sources) + 1)
                source = (Text(found.source), Text(texts[0]), Text(f"[{number}]"))
            else:
                source = (Text(NO_FACTOR), Text(NO_FACTOR), Text("–"))
            out.append(
                Row(
                    RowKind.DATA,
                    (
                        *head,
                        Text(destination_code(ref)),
                        Text(key[0]),
                        Text(*stream_name(key[0])),
                        Text(key[1]),
                        Text(*category_names(ref, key[1])),
                        Kg(grams[key]),
                        Factor(factor),
                        *source,
                        Kg(avoided),
                    ),
                )
            )
        total_grams += month_grams
        total_co2e += month_co2e
        out.append(
            Row(
                RowKind.SUBTOTAL,
                (*head, *blank, Kg(month_grams), Text(""), *no_source, Kg(month_co2e)),
                label=f"Totaal / total {month_label(month.first, month.last)}",
            )
        )
    out.append(
        Row(
            RowKind.TOTAL,
            (Text(""), Text(""), Text(""), *blank, Kg(total_grams), Text(""), *no_source, Kg(total_co2e)),
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
        sources=tuple(Note(f"[{n}] {nl}", f"[{n}] {en}") for (nl, en), n in sources.items()),
        landscape=True,
    )
