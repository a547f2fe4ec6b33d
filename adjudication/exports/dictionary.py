"""The data dictionary, generated from the same metric catalogue the code computes with.

Every export column has one entry ``{name, unit, definition}`` (SPEC §10); metric entries come
straight from ``domain.metric_defs``, so a renamed or added metric cannot drift from its
documentation.
"""

from __future__ import annotations

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS, MetricDef
from adjudication.domain.settings import SETTING_DEFS

LEVELS = ("pullback", "frame", "reader")

_PULLBACK_IDENTITY = [
    ("pullback", "", "Pullback id."),
    ("subject_code", "", "Pseudonymous subject code."),
    ("timepoint", "", "pre | post | followup."),
    ("lesion", "", "Lesion label."),
]
_SETTINGS_REF = (
    "settings_ref",
    "",
    "Key of the study settings this row was computed with (see the settings part).",
)

IDENTITY_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "pullback": [
        *_PULLBACK_IDENTITY,
        ("status", "", "Workflow state of the pullback."),
        _SETTINGS_REF,
    ],
    "frame": [
        *_PULLBACK_IDENTITY,
        ("reader", "", "Reader 1, Reader 2 or Adjudicator (the adjudicator's own read)."),
        _SETTINGS_REF,
        ("frame", "frame", "0-based frame index, distal to proximal."),
        ("is_analysis_frame", "", "True when the frame is on the sampling grid (SPEC §5)."),
    ],
    "reader": [
        *_PULLBACK_IDENTITY,
        ("reader", "", "Reader 1 or Reader 2."),
        ("analyst", "", "Username of the analyst (coordinator exports only)."),
        _SETTINGS_REF,
    ],
}

SOURCE_DEFINITION = (
    "Source of {name}: mean (mean of both readers), agreed (both readers' categorical value), "
    "reader_a, reader_b or adjudicator (chosen in adjudication)."
)


def _metric_row(metric: MetricDef) -> dict[str, str]:
    return {"name": metric.name, "unit": metric.unit, "definition": metric.definition}


def data_dictionary(level: str) -> list[dict[str, str]]:
    """Rows ``{name, unit, definition}`` for every column of an export at ``level``, in order.

    ``pullback``: identity, then each SPEC §5 metric followed by ``<metric>_source``;
    ``frame``: identity, then the per-frame metrics; ``reader``: identity, then the metrics.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown export level {level!r}")
    rows = [{"name": n, "unit": u, "definition": d} for n, u, d in IDENTITY_COLUMNS[level]]
    if level == "pullback":
        for metric in READ_METRICS:
            rows.append(_metric_row(metric))
            rows.append(
                {
                    "name": f"{metric.name}_source",
                    "unit": "",
                    "definition": SOURCE_DEFINITION.format(name=metric.name),
                }
            )
    elif level == "frame":
        rows.extend(_metric_row(m) for m in FRAME_METRICS)
    else:
        rows.extend(_metric_row(m) for m in READ_METRICS)
    return rows


def columns(level: str) -> list[str]:
    """The export's column names at ``level``, in order (the dictionary's names)."""
    return [row["name"] for row in data_dictionary(level)]


def settings_dictionary() -> list[dict[str, str]]:
    """Rows ``{name, unit, definition}`` for every study setting (the settings part's key).

    Read from ``domain.settings.SETTING_DEFS``, the same definitions the settings form shows.
    """
    return [{"name": d.name, "unit": d.unit, "definition": d.definition} for d in SETTING_DEFS]
