"""The CBS-style report: kg per municipality and stream, with totals both ways."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hub.reference import ReferenceData
from hub.reports.classify import Place, in_scope, municipality_key, stream_name
from hub.reports.table import Column, Kg, Note, Report, ReportKind, Row, RowKind, Text
from hub.reports.volumes import Volume


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
