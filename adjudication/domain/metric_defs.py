"""The metric catalogue: names, units, kinds, adjudication groups and definitions (SPEC §5–§6).

This one table drives the database columns (``ReadMetrics``, ``FrameMetrics``, ``Consensus``),
the comparison (which metrics are compared, how), consensus, agreement and the exports' data
dictionary, so a metric is defined exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CONTINUOUS = "continuous"  # float, compared with max(abs_tol, rel_tol × mean)
    COUNT = "count"  # integer count; not compared (informational), consensus = mean
    FRAME = "frame"  # 0-based frame index; compared in mm when it has a tolerance
    BOOLEAN = "boolean"  # categorical yes/no, compared for equality
    ORDINAL = "ordinal"  # categorical integer score, compared for equality


class Group(StrEnum):
    LUMEN = "lumen"
    EXPANSION = "expansion"
    CALCIUM = "calcium"
    MALAPPOSITION = "malapposition"


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: str  # "" for unitless
    kind: Kind
    group: Group
    definition: str
    compared: bool = True
    # An ordinal metric's whole scale (weighted kappa weights distances on it, SPEC §7).
    levels: tuple[int, ...] | None = None
    # Decimal places shown to people (pages; exports keep full precision). None: the unit's.
    precision: int | None = None

    @property
    def is_categorical(self) -> bool:
        return self.kind in (Kind.BOOLEAN, Kind.ORDINAL)

    @property
    def display_digits(self) -> int:
        """Decimal places on pages: ``precision``, else the unit's (``UNIT_PRECISION``)."""
        if self.precision is not None:
            return self.precision
        return UNIT_PRECISION.get(self.unit, 2)


# Display precision per unit: areas and lengths to 0.01, µm, degrees and frames whole, % to 0.1.
UNIT_PRECISION: dict[str, int] = {
    "mm2": 2,
    "mm": 2,
    "um": 0,
    "deg": 0,
    "%": 1,
    "frame": 0,
    "struts": 0,
    "": 0,
}


C, N, F, B, ORD = Kind.CONTINUOUS, Kind.COUNT, Kind.FRAME, Kind.BOOLEAN, Kind.ORDINAL
LU, EX, CA, MA = Group.LUMEN, Group.EXPANSION, Group.CALCIUM, Group.MALAPPOSITION

READ_METRICS: tuple[MetricDef, ...] = (
    MetricDef("mla_mm2", "mm2", C, LU, "Minimum lumen area over annotated frames."),
    MetricDef(
        "mla_frame",
        "frame",
        F,
        LU,
        "Frame of the minimum lumen area (the most distal on ties). Compared in mm with "
        "frame_position_tol_mm, never averaged: the consensus takes the frame of the smaller "
        "mla_mm2 (Reader 1's on a tie).",
    ),
    MetricDef(
        "msa_mm2",
        "mm2",
        C,
        EX,
        "Minimum stent area over stented frames (annotated frames from the distal to the "
        "proximal stent edge).",
    ),
    MetricDef(
        "msa_frame",
        "frame",
        F,
        EX,
        "Frame of the minimum stent area (the most distal on ties). Compared in mm with "
        "frame_position_tol_mm, never averaged: the consensus takes the frame of the smaller "
        "msa_mm2 (Reader 1's on a tie).",
    ),
    MetricDef(
        "stent_distal_frame", "frame", F, EX, "Frame of the stent's distal edge (compared in mm)."
    ),
    MetricDef(
        "stent_proximal_frame",
        "frame",
        F,
        EX,
        "Frame of the stent's proximal edge (compared in mm).",
    ),
    MetricDef(
        "ref_proximal_lumen_area_mm2",
        "mm2",
        C,
        EX,
        "Largest lumen area within the proximal reference segment.",
    ),
    MetricDef(
        "ref_distal_lumen_area_mm2",
        "mm2",
        C,
        EX,
        "Largest lumen area within the distal reference segment.",
    ),
    MetricDef(
        "ref_mean_lumen_area_mm2",
        "mm2",
        C,
        EX,
        "Mean of the available reference lumen areas; null with one reference alone when "
        "expansion_needs_both_references is true.",
    ),
    MetricDef(
        "ref_count",
        "references",
        N,
        EX,
        "How many reference lumen areas (0-2) were available for ref_mean_lumen_area_mm2.",
        compared=False,
    ),
    MetricDef("stent_expansion_pct", "%", C, EX, "msa_mm2 / ref_mean_lumen_area_mm2 x 100."),
    MetricDef("underexpansion", "", B, EX, "msa_mm2 < underexpansion_msa_mm2."),
    MetricDef("calcium_max_arc_deg", "deg", C, CA, "Maximum calcium arc over frames."),
    MetricDef("calcium_max_thickness_mm", "mm", C, CA, "Maximum calcium thickness over frames."),
    MetricDef(
        "calcium_length_mm",
        "mm",
        C,
        CA,
        "Longest calcium segment, (end_frame - start_frame) x frame_spacing_mm; without "
        "calcium_segments, (last - first frame) x frame_spacing_mm of the longest run of "
        "consecutive calcified annotated frames (neighbours at most 1.5 sampling intervals "
        "apart): two deposits are never merged into one.",
    ),
    MetricDef("calcium_arc_gt_270", "", B, CA, "calcium_max_arc_deg > calcium_arc_threshold_deg."),
    MetricDef(
        "calcium_thickness_gt_1mm",
        "",
        B,
        CA,
        "calcium_max_thickness_mm > calcium_thickness_threshold_mm.",
    ),
    MetricDef(
        "calcium_length_gt_15mm", "", B, CA, "calcium_length_mm > calcium_length_threshold_mm."
    ),
    MetricDef(
        "fujino_calcium_score",
        "points",
        ORD,
        CA,
        "0-4: 2 if max arc > 180 deg, 1 if max thickness > 0.5 mm, 1 if length > 5.0 mm "
        "(Fujino 2018). Agreement: Cohen's kappa and linearly weighted kappa.",
        levels=(0, 1, 2, 3, 4),
    ),
    MetricDef("strut_count", "struts", N, MA, "Struts over stented frames.", compared=False),
    MetricDef(
        "malapposed_strut_count",
        "struts",
        N,
        MA,
        "Malapposed struts over stented frames.",
        compared=False,
    ),
    MetricDef(
        "malapposed_strut_pct",
        "%",
        C,
        MA,
        "malapposed_strut_count / strut_count x 100.",
        compared=False,
    ),
    MetricDef(
        "max_malapposition_um",
        "um",
        C,
        MA,
        "Largest strut malapposition distance (0 when no strut is malapposed).",
    ),
    MetricDef(
        "malapposition_length_mm",
        "mm",
        C,
        MA,
        "Longest run of consecutive annotated stented frames (neighbours at most 1.5 sampling "
        "intervals apart) with a malapposed strut, in frames, x the mean spacing between "
        "consecutive annotated stented frames of the read (sampling_interval_mm with one "
        "stented frame). Frames need not lie on the analysis grid; never 0 with a malapposed "
        "strut.",
    ),
    MetricDef("sm_present", "", B, MA, "malapposed_strut_count > 0."),
    MetricDef(
        "sm_significant",
        "",
        B,
        MA,
        "max_malapposition_um > sm_significant_distance_um or (sm_significant_rule = all: "
        "and) malapposition_length_mm > sm_significant_length_mm.",
    ),
    MetricDef(
        "auto_accepted_pct",
        "%",
        C,
        LU,
        "Annotated lumen contours accepted from the automatic proposal unedited "
        "(source.lumen = auto) x 100 / annotated lumen contours. Where both readers accepted "
        "one proposal unedited, their measurements are not independent (SPEC 11).",
        compared=False,
    ),
)

FRAME_METRICS: tuple[MetricDef, ...] = (
    MetricDef("lumen_area_mm2", "mm2", C, LU, "Area of the lumen contour."),
    MetricDef(
        "lumen_min_diameter_mm", "mm", C, LU, "Shortest diameter through the lumen centroid."
    ),
    MetricDef("lumen_max_diameter_mm", "mm", C, LU, "Longest diameter through the lumen centroid."),
    MetricDef(
        "stent_area_mm2",
        "mm2",
        C,
        EX,
        "Area of the stent contour, else of the closed periodic cubic spline (chord-length "
        "parameterised) through the struts ordered by angle around the lumen centroid (>= 3).",
    ),
    MetricDef("calcium_arc_deg", "deg", C, CA, "Sum of the frame's calcium arcs, capped at 360."),
    MetricDef("calcium_thickness_mm", "mm", C, CA, "Largest calcium thickness caliper."),
    MetricDef("strut_count", "struts", N, MA, "Struts marked on the frame."),
    MetricDef(
        "malapposed_strut_count",
        "struts",
        N,
        MA,
        "Struts on the frame whose distance to the lumen contour (along the ray from the lumen "
        "centroid) exceeds the strut threshold: the pullback's device's strut + polymer "
        "thickness from the study's device table, else strut_threshold_um.",
    ),
    MetricDef("max_malapposition_um", "um", C, MA, "Largest strut malapposition distance."),
)

READ_METRIC_BY_NAME: dict[str, MetricDef] = {m.name: m for m in READ_METRICS}
FRAME_METRIC_BY_NAME: dict[str, MetricDef] = {m.name: m for m in FRAME_METRICS}


# --- Display (issue 14): one formatter for every page, from this catalogue -----------------

# Human names; a metric not listed is shown by its name with underscores as spaces.
METRIC_LABELS: dict[str, str] = {
    "mla_mm2": "Minimum lumen area",
    "mla_frame": "MLA frame",
    "msa_mm2": "Minimum stent area",
    "msa_frame": "MSA frame",
    "stent_distal_frame": "Stent distal edge",
    "stent_proximal_frame": "Stent proximal edge",
    "ref_proximal_lumen_area_mm2": "Proximal reference lumen area",
    "ref_distal_lumen_area_mm2": "Distal reference lumen area",
    "ref_mean_lumen_area_mm2": "Mean reference lumen area",
    "ref_count": "References",
    "stent_expansion_pct": "Stent expansion",
    "underexpansion": "Underexpansion",
    "calcium_max_arc_deg": "Maximum calcium arc",
    "calcium_max_thickness_mm": "Maximum calcium thickness",
    "calcium_length_mm": "Calcium length",
    "calcium_arc_gt_270": "Calcium arc > 270°",
    "calcium_thickness_gt_1mm": "Calcium thickness > 1 mm",
    "calcium_length_gt_15mm": "Calcium length > 15 mm",
    "fujino_calcium_score": "Calcium score (Fujino)",
    "strut_count": "Struts",
    "malapposed_strut_count": "Malapposed struts",
    "malapposed_strut_pct": "Malapposed struts (%)",
    "max_malapposition_um": "Maximum malapposition",
    "malapposition_length_mm": "Malapposition length",
    "sm_present": "Malapposition present",
    "sm_significant": "Significant malapposition",
    "auto_accepted_pct": "Proposal accepted",
}


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name) or name.replace("_", " ").capitalize()
