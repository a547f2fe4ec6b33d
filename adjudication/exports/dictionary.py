"""The data dictionary, generated from the same metric catalogue the code computes with.

Every export column has one entry ``{name, unit, definition}`` (SPEC §10); metric entries come
straight from ``domain.metric_defs``, so a renamed or added metric cannot drift from its
documentation.
"""

from __future__ import annotations

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS, MetricDef

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


# What each study setting means (SPEC §3, §5, §6): the settings part of every export names the
# values; these rows say what they do. A test keeps them in step with ``StudySettings``.
SETTING_DEFINITIONS: dict[str, tuple[str, str]] = {
    "sampling_interval_mm": (
        "mm",
        "Distance between analysis frames: k = round(interval / frame spacing) frames.",
    ),
    "reference_length_mm": (
        "mm",
        "Reference segment length beyond each stent edge, rounded to frames.",
    ),
    "strut_threshold_um": (
        "um",
        "Malapposition threshold (strut + polymer thickness) when the pullback names no device.",
    ),
    "underexpansion_msa_mm2": ("mm2", "underexpansion when msa_mm2 is below this."),
    "calcium_arc_threshold_deg": (
        "deg",
        "calcium_arc_gt_270 when calcium_max_arc_deg exceeds this.",
    ),
    "calcium_thickness_threshold_mm": (
        "mm",
        "calcium_thickness_gt_1mm when calcium_max_thickness_mm exceeds this.",
    ),
    "calcium_length_threshold_mm": (
        "mm",
        "calcium_length_gt_15mm when calcium_length_mm exceeds this.",
    ),
    "sm_significant_distance_um": (
        "um",
        "sm_significant distance threshold for max_malapposition_um.",
    ),
    "sm_significant_length_mm": (
        "mm",
        "sm_significant length threshold for malapposition_length_mm.",
    ),
    "sm_significant_rule": (
        "",
        "any: distance OR length above threshold (reference study); all: both.",
    ),
    "expansion_needs_both_references": (
        "",
        "true: one reference segment alone gives no ref_mean_lumen_area_mm2 and no stent_expansion_pct.",
    ),
    "frame_position_tol_mm": (
        "mm",
        "mla_frame / msa_frame further apart than this are flagged (never averaged).",
    ),
    "pullback_speed_mm_s": ("mm/s", "Study default pullback speed (frame spacing fallback)."),
    "frame_rate_fps": ("frames/s", "Study default frame rate (frame spacing = speed / rate)."),
    "devices": (
        "um",
        "Device table {device: strut + polymer thickness}; a pullback's device sets its malapposition threshold.",
    ),
    "tolerances": (
        "",
        "Per metric {abs, rel}: flagged when |A - B| > max(abs, rel x mean(A, B)); frame edges in mm.",
    ),
}


def settings_dictionary() -> list[dict[str, str]]:
    """Rows ``{name, unit, definition}`` for every study setting (the settings part's key)."""
    return [
        {"name": name, "unit": unit, "definition": definition}
        for name, (unit, definition) in SETTING_DEFINITIONS.items()
    ]
