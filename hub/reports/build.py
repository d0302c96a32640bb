"""Any report from the range's volumes and the reference data: pure, no I/O.

Each report is a module of its own (bkn, upv_textiel, cbs, co2e) over the shared cell model (table.py), the
summed volumes (volumes.py) and the reference data's classification (classify.py); this one picks the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.reference import ReferenceData
from hub.reports.bkn import bkn
from hub.reports.cbs import cbs
from hub.reports.co2e import co2e
from hub.reports.table import Report, ReportKind
from hub.reports.upv_textiel import upv_textiel
from hub.reports.volumes import MonthVolumes, volumes


def build(
    kind: ReportKind, months: Sequence[MonthVolumes], reference: ReferenceData, scope: frozenset[str] | None = None
) -> Report:
    """Any report from the range's volumes split into local months (only CO2e shows the months). ``scope``: the
    sites the report covers (None: every site), so a municipality without figures still gets its row."""
    if kind is ReportKind.CO2E:
        return co2e(months, reference)
    merged = volumes(v for m in months for v in m.volumes)
    if kind is ReportKind.BKN:
        return bkn(merged, reference)
    if kind is ReportKind.UPV_TEXTIEL:
        return upv_textiel(merged, reference, scope)
    return cbs(merged, reference, scope)
