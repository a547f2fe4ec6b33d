"""The data dictionary, generated from the same metric catalogue the code computes with."""

from __future__ import annotations

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS, MetricDef

IDENTITY_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "pullback": [
        ("pullback", "", "Pullback id."),
        ("subject_code", "", "Pseudonymous subject code."),
        ("timepoint", "", "pre | post | followup."),
        ("lesion", "", "Lesion label."),
        ("status", "", "Workflow state of the pullback."),
    ],
    "frame": [
        ("pullback", "", "Pullback id."),
        ("subject_code", "", "Pseudonymous subject code."),
        ("timepoint", "", "pre | post | followup."),
        ("lesion", "", "Lesion label."),
        ("reader", "", "Reader 1, Reader 2 or Adjudicator."),
        ("frame", "frame", "0-based frame index, distal to proximal."),
        ("is_analysis_frame", "", "True when the frame is on the sampling grid (SPEC §5)."),
    ],
    "reader": [
        ("pullback", "", "Pullback id."),
        ("subject_code", "", "Pseudonymous subject code."),
        ("timepoint", "", "pre | post | followup."),
        ("lesion", "", "Lesion label."),
        ("reader", "", "Reader 1 or Reader 2."),
        ("analyst", "", "Username of the analyst (coordinator exports only)."),
    ],
}


def _metric_row(metric: MetricDef) -> dict[str, str]:
    return {"name": metric.name, "unit": metric.unit, "definition": metric.definition}


def data_dictionary(level: str) -> list[dict[str, str]]:
    """Rows ``{name, unit, definition}`` for every column of an export at ``level``."""
    rows = [{"name": n, "unit": u, "definition": d} for n, u, d in IDENTITY_COLUMNS[level]]
    if level == "pullback":
        for metric in READ_METRICS:
            rows.append(_metric_row(metric))
            rows.append(
                {
                    "name": f"{metric.name}_source",
                    "unit": "",
                    "definition": f"Source of {metric.name}: mean, agreed, reader_a, reader_b "
                    "or adjudicator.",
                }
            )
    elif level == "frame":
        rows.extend(_metric_row(m) for m in FRAME_METRICS)
    else:
        rows.extend(_metric_row(m) for m in READ_METRICS)
    return rows
