"""The UPV Textiel report: textile only, per municipality, split over reuse, recycling, repurposing and residual
the way the Dutch textile EPR scheme asks."""

from __future__ import annotations

from collections.abc import Sequence

from hub.reference import ReferenceData
from hub.reports.classify import Place, Split, in_scope, municipality_key
from hub.reports.table import Cell, Column, Count, Kg, KgShare, Note, Report, ReportKind, Row, RowKind, Text
from hub.reports.volumes import Volume

TEXTILE = "textile"


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
