"""OCT metrics of one read: per frame and per pullback (SPEC §5).

Every point is converted to millimetres with the pullback's (possibly anisotropic) pixel
spacing *before* measuring, so areas, diameters, distances and calcium angles are physical.
A metric the annotations cannot support is None, never 0 or a guess. Decisions the SPEC leaves
open are stated in the docstrings below (and in :func:`compute_read_metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .annotations import AnnotationDocument, FrameAnnotation
from .calibration import Calibration
from .errors import CalibrationMissing
from .frames import analysis_frames as compute_analysis_frames
from .frames import reference_frame_ranges
from .geometry import (
    Point,
    angle_deg,
    arc_span_deg,
    diameters_through_many,
    distance,
    order_by_angle,
    periodic_spline_area_mm2,
    point_to_mm,
    points_to_mm,
    polygon_area_mm2,
    polygon_centroids,
    ray_polygon_distances,
)
from .metric_defs import FRAME_METRICS, READ_METRICS
from .provenance import auto_accepted_pct
from .settings import StudySettings

_FRAME_METRIC_NAMES = tuple(m.name for m in FRAME_METRICS)

# Fujino et al. (EuroIntervention 2018) calcium score thresholds (fixed by the SPEC, strict >).
FUJINO_ARC_DEG = 180.0
FUJINO_THICKNESS_MM = 0.5
FUJINO_LENGTH_MM = 5.0

Value = float | int | bool | None

# Thresholds are strict ("exceeds"); values within float noise of a threshold count as equal to
# it, so a strut drawn exactly 100 µm off the wall is not malapposed at a 100 µm threshold.
_REL_SLACK = 1e-9


def exceeds(value: float, threshold: float) -> bool:
    """``value > threshold`` beyond float noise (relative slack 1e-9), SPEC §5 thresholds."""
    return value > threshold + _REL_SLACK * max(1.0, abs(threshold))


@dataclass(frozen=True)
class ReadMetricsResult:
    """``values``: every ``READ_METRICS`` name; ``frames``: annotated frame → every
    ``FRAME_METRICS`` name; ``analysis_frames``: the proposed analysis frames (SPEC §5)."""

    values: dict[str, Value]
    frames: dict[int, dict[str, float | int | None]]
    analysis_frames: list[int]


@dataclass(frozen=True)
class StrutMeasure:
    """One strut's malapposition distance in µm (positive on the lumen side of the wall)."""

    strut_mm: Point
    distance_um: float | None
    malapposed: bool


def strut_malapposition_um(
    strut_mm: Point, lumen_mm: Sequence[Point], centroid_mm: Point
) -> float | None:
    """Malapposition distance of one strut in µm (SPEC §5).

    Along the ray from the lumen centroid through the strut: distance to the lumen contour minus
    distance to the strut, so positive when the strut lies on the lumen side of the wall, ~0 on
    the wall, negative when embedded. When the ray crosses the contour several times (a
    non-convex lumen) the crossing nearest the strut is used. A strut exactly on the centroid is
    measured towards 3 o'clock. None when the ray never meets the contour.
    """
    through = strut_mm if strut_mm != centroid_mm else (centroid_mm[0] + 1.0, centroid_mm[1])
    hits = ray_polygon_distances(centroid_mm, through, lumen_mm)
    if not hits:
        return None
    strut_t = distance(centroid_mm, strut_mm)
    wall_t = min(hits, key=lambda t: abs(t - strut_t))
    return (wall_t - strut_t) * 1000.0


def calcium_arc_deg(
    entries: Sequence[tuple[Point, Point, Point]],
) -> float | None:
    """Sum of clockwise calcium arcs in degrees, capped at 360 (SPEC §4, §5).

    Each entry is ``(centre, first, second)`` in mm; each arc is the clockwise sweep from the
    first to the second point seen from the centre. None when there is no entry.
    """
    if not entries:
        return None
    total = sum(arc_span_deg(angle_deg(c, p), angle_deg(c, q)) for c, p, q in entries)
    return min(360.0, total)


@dataclass(frozen=True)
class _Lumen:
    """A frame's lumen in mm: contour (n, 2), area centroid, area and min/max diameters."""

    points_mm: np.ndarray
    centroid_mm: Point
    area_mm2: float
    diameters_mm: tuple[float, float] | None


def _lumens(frames: Mapping[int, FrameAnnotation], scale: np.ndarray) -> dict[int, _Lumen]:
    """Every lumen contour measured, contours of equal vertex count stacked and measured together
    (``geometry.polygon_centroids``/``diameters_through_many``: the single-polygon results)."""
    by_size: dict[int, list[int]] = {}
    for index, frame in frames.items():
        if frame.lumen is not None:
            by_size.setdefault(len(frame.lumen), []).append(index)
    out: dict[int, _Lumen] = {}
    for indices in by_size.values():
        # x × column spacing, y × row spacing: the products of points_to_mm.
        stacked = np.array([frames[i].lumen for i in indices], dtype=float) * scale
        centroids = polygon_centroids(stacked)
        diameters = diameters_through_many(centroids, stacked)
        for row, index in enumerate(indices):
            points = stacked[row]
            out[index] = _Lumen(
                points_mm=points,
                centroid_mm=(float(centroids[row, 0]), float(centroids[row, 1])),
                area_mm2=polygon_area_mm2(points),
                diameters_mm=diameters[row],
            )
    return out


def _struts_malapposition_many(
    struts_mm: Mapping[int, np.ndarray], lumens: Mapping[int, _Lumen]
) -> dict[int, list[float | None]]:
    """:func:`strut_malapposition_um` of every strut of every frame with struts and a lumen,
    all at once.

    The struts of frames whose lumens have the same vertex count are cast in one array, each
    along the ray from its own frame's lumen centroid (``geometry.line_hits`` and
    ``ray_hits``); the nearest-crossing rule, ties (the nearer crossing to the centroid) and
    None for a ray that never meets the contour are those of the single-strut function
    (``tests/domain/test_fast_paths_equal_plain_references.py`` compares them).
    """
    by_size: dict[int, list[int]] = {}
    for index, struts in struts_mm.items():
        if len(struts) and index in lumens:
            by_size.setdefault(len(lumens[index].points_mm), []).append(index)
    out: dict[int, list[float | None]] = {}
    for indices in by_size.values():
        counts = [len(struts_mm[i]) for i in indices]
        owner = np.repeat(np.arange(len(indices)), counts)
        polygons = np.stack([lumens[i].points_mm for i in indices])
        centroids = np.array([lumens[i].centroid_mm for i in indices])
        struts = np.concatenate([struts_mm[i] for i in indices])
        c = centroids[owner]
        rel = struts - c
        strut_t = np.hypot(rel[:, 0], rel[:, 1])
        at_centre = strut_t == 0.0
        directions = np.where(at_centre[:, None], [1.0, 0.0], rel)
        norms = np.hypot(directions[:, 0], directions[:, 1])
        d = directions / norms[:, None]
        # line_hits, one contour per strut.
        a = (polygons - centroids[:, None, :])[owner]
        e = (np.concatenate((polygons[:, 1:], polygons[:, :1]), axis=1) - polygons)[owner]
        dx, dy = d[:, 0][:, None], d[:, 1][:, None]
        ex, ey = e[:, :, 0], e[:, :, 1]
        ax, ay = a[:, :, 0], a[:, :, 1]
        denom = dx * ey - dy * ex
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ax * ey - ay * ex) / denom
            s = (ax * dy - ay * dx) / denom
        ok = (denom != 0) & (s >= -1e-12) & (s <= 1 + 1e-12)
        t = np.where(ok, t, np.nan)
        # ray_hits: forward crossings only, beyond float noise of the contour's scale.
        scales = [max(1.0, float(np.abs(p).max())) for p in polygons]
        noise = np.array([1e-12 * scale for scale in scales])[owner][:, None]
        with np.errstate(invalid="ignore"):
            hits = np.sort(np.where(t > noise, t, np.inf), axis=1)
            nearest = np.argmin(np.abs(hits - strut_t[:, None]), axis=1)
        wall_t = hits[np.arange(len(hits)), nearest]
        distances = [
            float((w - st) * 1000.0) if math.isfinite(w) else None
            for w, st in zip(wall_t.tolist(), strut_t.tolist(), strict=True)
        ]
        offset = 0
        for index, count in zip(indices, counts, strict=True):
            out[index] = distances[offset : offset + count]
            offset += count
    return out


def _calcium_metrics(
    frame: FrameAnnotation, spacing: tuple[float, float], centroid_mm: Point | None
) -> tuple[float | None, float | None]:
    arcs = []
    for entry in frame.calcium:
        center = point_to_mm(entry.center, spacing) if entry.center is not None else centroid_mm
        if center is not None:
            first, second = points_to_mm(entry.arc, spacing)
            arcs.append((center, first, second))
    thicknesses = [
        distance(*points_to_mm(e.thickness, spacing)) for e in frame.calcium if e.thickness
    ]
    return calcium_arc_deg(arcs), (max(thicknesses) if thicknesses else None)


def stent_area_from_struts_mm2(struts_mm: Sequence[Point], centroid_mm: Point) -> float | None:
    """Stent area from struts in mm² (SPEC §5): the area of the closed periodic cubic spline
    through the struts ordered clockwise by angle around the lumen centroid.

    A straight polygon through the struts cuts every arc between two struts short (9 struts on
    a 3.0 mm circle read 6.51 mm² instead of 7.07, 6 struts 5.85); the spline follows the round
    stent (7.06 and 7.04 mm²). None with fewer than 3 struts.
    """
    if len(struts_mm) < 3:
        return None
    return periodic_spline_area_mm2(order_by_angle(centroid_mm, struts_mm))


def _frames_metrics(
    frames: Mapping[int, FrameAnnotation], spacing: tuple[float, float], threshold_um: float
) -> tuple[dict[int, dict[str, Any]], dict[int, list[StrutMeasure] | None]]:
    """Every annotated frame's ``FRAME_METRICS`` (mm, mm², deg, µm) and struts' measures (SPEC §5).

    Lumen metrics are None without a lumen contour; ``stent_area_mm2`` is None without a stent
    contour and without ≥ 3 struts around a lumen centroid; calcium metrics are None without a
    calcium entry (thickness: without a caliper). ``malapposed_strut_count`` is 0 without struts
    and None when struts have no lumen to measure against; ``max_malapposition_um`` is None in
    both cases, else the largest malapposed distance or 0.0. Strut measures are None when not
    measurable. The frames are measured together (one numpy pass per kind of measure rather than
    one per frame, issue 3 benchmark); each value is the one the single-frame definitions give.
    """
    row_mm, col_mm = spacing
    scale = np.array([col_mm, row_mm])
    lumens = _lumens(frames, scale)
    struts_mm = {
        index: np.array(frame.struts, dtype=float).reshape(-1, 2) * scale
        for index, frame in frames.items()
        if frame.struts
    }
    strut_distances = _struts_malapposition_many(struts_mm, lumens)
    values: dict[int, dict[str, Any]] = {}
    measures: dict[int, list[StrutMeasure] | None] = {}
    for index, frame in frames.items():
        out: dict[str, Any] = dict.fromkeys(_FRAME_METRIC_NAMES)
        lumen = lumens.get(index)
        centroid_mm = lumen.centroid_mm if lumen is not None else None
        if lumen is not None:
            out["lumen_area_mm2"] = lumen.area_mm2
            if lumen.diameters_mm is not None:
                out["lumen_min_diameter_mm"], out["lumen_max_diameter_mm"] = lumen.diameters_mm
        struts = [(x, y) for x, y in struts_mm[index].tolist()] if index in struts_mm else []
        if frame.stent is not None:
            out["stent_area_mm2"] = polygon_area_mm2(points_to_mm(frame.stent, spacing))
        elif len(struts) >= 3 and centroid_mm is not None:
            out["stent_area_mm2"] = stent_area_from_struts_mm2(struts, centroid_mm)
        if frame.calcium:
            out["calcium_arc_deg"], out["calcium_thickness_mm"] = _calcium_metrics(
                frame, spacing, centroid_mm
            )
        out["strut_count"] = len(struts)
        frame_measures: list[StrutMeasure] | None = None
        if not struts:
            out["malapposed_strut_count"] = 0
        elif lumen is not None:
            frame_measures = [
                StrutMeasure(s, d, d is not None and exceeds(d, threshold_um))
                for s, d in zip(struts, strut_distances[index], strict=True)
            ]
            # A malapposed strut always has a distance (see StrutMeasure).
            malapposed = [
                m.distance_um for m in frame_measures if m.malapposed and m.distance_um is not None
            ]
            out["malapposed_strut_count"] = len(malapposed)
            out["max_malapposition_um"] = max(malapposed, default=0.0)
        values[index], measures[index] = out, frame_measures
    return values, measures


def _within_gap(a: int, b: int, frame_spacing_mm: float, sampling_interval_mm: float) -> bool:
    """Neighbouring annotated frames ``a < b`` are "consecutive" when at most 1.5 sampling
    intervals apart (SPEC §5), beyond float noise."""
    return not exceeds((b - a) * frame_spacing_mm, 1.5 * sampling_interval_mm)


def consecutive_runs(
    annotated: Sequence[int],
    having: set[int],
    *,
    frame_spacing_mm: float,
    sampling_interval_mm: float,
) -> list[list[int]]:
    """Runs of consecutive annotated frames that all have a property (SPEC §5).

    ``annotated`` is every annotated frame considered (any order); ``having`` those with the
    property. A run is a stretch of neighbours in the sorted ``annotated`` list, each at most
    1.5 sampling intervals from the next, all in ``having``; an annotated frame without the
    property, or a longer gap, ends the run. Frames need not lie on the analysis grid.
    """
    runs: list[list[int]] = []
    run: list[int] = []
    for frame in sorted(set(annotated)):
        if frame not in having:
            run = []
            continue
        if run and not _within_gap(run[-1], frame, frame_spacing_mm, sampling_interval_mm):
            run = []
        if not run:
            runs.append(run)
        run.append(frame)
    return runs


def malapposition_length_mm(
    stented: Sequence[int],
    malapposed_frames: set[int],
    *,
    frame_spacing_mm: float,
    sampling_interval_mm: float,
) -> float:
    """Malapposition length in mm (SPEC §5).

    The longest run (:func:`consecutive_runs`) of annotated stented frames with ≥ 1 malapposed
    strut, counted in frames, × the mean spacing between consecutive annotated stented frames of
    the whole read (``sampling_interval_mm`` when only one stented frame is annotated). A read
    with a malapposed strut therefore never gets 0, wherever its frames lie; 0.0 when no
    stented frame has a malapposed strut.
    """
    frames = sorted(set(stented))
    runs = consecutive_runs(
        frames,
        malapposed_frames,
        frame_spacing_mm=frame_spacing_mm,
        sampling_interval_mm=sampling_interval_mm,
    )
    if not runs:
        return 0.0
    if len(frames) > 1:
        spacing_mm = (frames[-1] - frames[0]) * frame_spacing_mm / (len(frames) - 1)
    else:
        spacing_mm = sampling_interval_mm
    return max(len(run) for run in runs) * spacing_mm


def _min_with_frame(values: dict[int, float | None]) -> tuple[float | None, int | None]:
    present = [(v, f) for f, v in sorted(values.items()) if v is not None]
    if not present:
        return None, None
    value, frame = min(present, key=lambda vf: vf[0])  # ties: the most distal frame
    return value, frame


def calcium_length_mm(
    doc: AnnotationDocument, *, frame_spacing_mm: float, sampling_interval_mm: float
) -> float | None:
    """Calcium length in mm (SPEC §5).

    The longest calcium segment, ``(end_frame − start_frame) × frame_spacing_mm``; without
    ``calcium_segments``, ``(last − first frame) × frame_spacing_mm`` of the longest run
    (:func:`consecutive_runs`) of annotated frames carrying a calcium entry, so two separate
    deposits are never merged into one. 0.0 for an explicit "no calcium" (``calcium_segments:
    []`` and no calcium entry); None when the read says nothing about calcium.
    """
    if doc.calcium_segments:
        return max((end - start) * frame_spacing_mm for start, end in doc.calcium_segments)
    with_calcium = {f for f, fa in doc.frames.items() if fa.calcium}
    if with_calcium:
        runs = consecutive_runs(
            list(doc.frames),
            with_calcium,
            frame_spacing_mm=frame_spacing_mm,
            sampling_interval_mm=sampling_interval_mm,
        )
        return max((run[-1] - run[0]) * frame_spacing_mm for run in runs)
    return 0.0 if doc.calcium_segments == () else None


def _gt(value: float | None, threshold: float) -> bool | None:
    return None if value is None else exceeds(value, threshold)


def _calcium_values(
    doc: AnnotationDocument,
    frames: dict[int, dict[str, Any]],
    settings: StudySettings,
    frame_spacing_mm: float,
) -> dict[str, Value]:
    arcs = [v["calcium_arc_deg"] for v in frames.values() if v["calcium_arc_deg"] is not None]
    thick = [
        v["calcium_thickness_mm"] for v in frames.values() if v["calcium_thickness_mm"] is not None
    ]
    declared_none = doc.calcium_segments == () and not any(fa.calcium for fa in doc.frames.values())
    max_arc = max(arcs) if arcs else (0.0 if declared_none else None)
    max_thick = max(thick) if thick else (0.0 if declared_none else None)
    length = calcium_length_mm(
        doc, frame_spacing_mm=frame_spacing_mm, sampling_interval_mm=settings.sampling_interval_mm
    )
    fujino = None
    if max_arc is not None and max_thick is not None and length is not None:
        fujino = (
            (2 if exceeds(max_arc, FUJINO_ARC_DEG) else 0)
            + (1 if exceeds(max_thick, FUJINO_THICKNESS_MM) else 0)
            + (1 if exceeds(length, FUJINO_LENGTH_MM) else 0)
        )
    return {
        "calcium_max_arc_deg": max_arc,
        "calcium_max_thickness_mm": max_thick,
        "calcium_length_mm": length,
        "calcium_arc_gt_270": _gt(max_arc, settings.calcium_arc_threshold_deg),
        "calcium_thickness_gt_1mm": _gt(max_thick, settings.calcium_thickness_threshold_mm),
        "calcium_length_gt_15mm": _gt(length, settings.calcium_length_threshold_mm),
        "fujino_calcium_score": fujino,
    }


def _expansion_values(
    doc: AnnotationDocument,
    frames: dict[int, dict[str, Any]],
    settings: StudySettings,
    n_frames: int,
    frame_spacing_mm: float,
) -> dict[str, Value]:
    distal, proximal = doc.stent_distal_frame, doc.stent_proximal_frame
    out: dict[str, Value] = {
        "stent_distal_frame": distal,
        "stent_proximal_frame": proximal,
        "msa_mm2": None,
        "msa_frame": None,
        "ref_proximal_lumen_area_mm2": None,
        "ref_distal_lumen_area_mm2": None,
        "ref_mean_lumen_area_mm2": None,
        "ref_count": None,
        "stent_expansion_pct": None,
        "underexpansion": None,
    }
    if distal is None or proximal is None:
        return out
    stented = {f: v["stent_area_mm2"] for f, v in frames.items() if distal <= f <= proximal}
    out["msa_mm2"], out["msa_frame"] = _min_with_frame(stented)
    ranges = reference_frame_ranges(
        n_frames=n_frames,
        frame_spacing_mm=frame_spacing_mm,
        stent_distal_frame=distal,
        stent_proximal_frame=proximal,
        reference_length_mm=settings.reference_length_mm,
    )
    assert ranges is not None
    for name, frame_range in zip(
        ("ref_distal_lumen_area_mm2", "ref_proximal_lumen_area_mm2"), ranges, strict=True
    ):
        areas = [
            v["lumen_area_mm2"]
            for f, v in frames.items()
            if f in frame_range and v["lumen_area_mm2"] is not None
        ]
        out[name] = max(areas) if areas else None
    refs = [
        v
        for v in (out["ref_distal_lumen_area_mm2"], out["ref_proximal_lumen_area_mm2"])
        if v is not None
    ]
    out["ref_count"] = len(refs)
    # One reference alone may be refused by the protocol (expansion_needs_both_references).
    enough = len(refs) == 2 if settings.expansion_needs_both_references else bool(refs)
    ref_mean = sum(refs) / len(refs) if enough else None
    out["ref_mean_lumen_area_mm2"] = ref_mean
    msa = out["msa_mm2"]
    if msa is not None and ref_mean:
        out["stent_expansion_pct"] = msa / ref_mean * 100.0
    if msa is not None:
        out["underexpansion"] = exceeds(settings.underexpansion_msa_mm2, msa)
    return out


def sm_significant(max_um: float, length_mm: float, settings: StudySettings) -> bool:
    """Significant malapposition (SPEC §5): distance > ``sm_significant_distance_um`` or (rule
    ``all``: and) length > ``sm_significant_length_mm``. The default rule ``any`` is the
    reference study's."""
    deep = exceeds(max_um, settings.sm_significant_distance_um)
    long = exceeds(length_mm, settings.sm_significant_length_mm)
    return (deep and long) if settings.sm_significant_rule == "all" else (deep or long)


def _malapposition_values(
    doc: AnnotationDocument,
    frames: dict[int, dict[str, Any]],
    measures: dict[int, list[StrutMeasure] | None],
    settings: StudySettings,
    frame_spacing_mm: float,
) -> dict[str, Value]:
    out: dict[str, Value] = {
        "strut_count": None,
        "malapposed_strut_count": None,
        "malapposed_strut_pct": None,
        "max_malapposition_um": None,
        "malapposition_length_mm": None,
        "sm_present": None,
        "sm_significant": None,
    }
    distal, proximal = doc.stent_distal_frame, doc.stent_proximal_frame
    if distal is None or proximal is None:
        return out
    stented = [f for f in frames if distal <= f <= proximal]
    strut_count = sum(frames[f]["strut_count"] for f in stented)
    out["strut_count"] = strut_count
    with_struts = [f for f in stented if frames[f]["strut_count"] > 0]
    # No struts marked, or struts on a frame without lumen: malapposition is unknown, not zero.
    if not with_struts or any(measures[f] is None for f in with_struts):
        return out
    malapposed = [m for f in with_struts for m in measures[f] or [] if m.malapposed]
    count = len(malapposed)
    max_um = max((m.distance_um or 0.0 for m in malapposed), default=0.0)
    length = malapposition_length_mm(
        stented,
        {f for f in with_struts if frames[f]["malapposed_strut_count"]},
        frame_spacing_mm=frame_spacing_mm,
        sampling_interval_mm=settings.sampling_interval_mm,
    )
    out.update(
        malapposed_strut_count=count,
        malapposed_strut_pct=count / strut_count * 100.0,
        max_malapposition_um=max_um,
        malapposition_length_mm=length,
        sm_present=count > 0,
        sm_significant=sm_significant(max_um, length, settings),
    )
    return out


def compute_read_metrics(
    doc: AnnotationDocument,
    *,
    calibration: Calibration,
    settings: StudySettings,
    n_frames: int,
    timepoint: str | None = None,
    device: str | None = None,
) -> ReadMetricsResult:
    """All SPEC §5 metrics of one read, per annotated frame and per pullback.

    Raises ``CalibrationMissing`` when the pullback has no pixel spacing or no positive frame
    spacing (SPEC §3: no mm metric without a calibration source). Decisions:

    - Stented frames are annotated frames from the stent's distal to proximal edge inclusive;
      without both edges every stent, reference and malapposition metric is None.
    - Reference segments exclude the edge frames (see ``frames.reference_frame_ranges``).
    - Calcium: a read with no calcium entry is None throughout, unless it sends
      ``calcium_segments: []`` (the reader's explicit "no calcium"): then arc, thickness and
      length are 0, the dichotomies False and the Fujino score 0. Fujino is None when any of
      its three inputs is None.
    - Malapposition is None when no strut is marked on the stented frames or a stented frame has
      struts but no lumen contour (the distance cannot be measured); otherwise
      ``max_malapposition_um`` is 0.0 when no strut is malapposed.
    - Minimum areas on ties take the most distal frame.
    - ``timepoint`` ``pre``: the analysis frames cover the whole pullback (no stent);
      ``device``: the pullback's device, whose strut + polymer thickness from the study's
      device table is the malapposition threshold (else ``strut_threshold_um``).
    """
    if calibration.pixel_spacing_mm is None:
        raise CalibrationMissing(
            "This pullback has no pixel spacing; a coordinator must enter one first."
        )
    if not calibration.frame_spacing_mm or calibration.frame_spacing_mm <= 0:
        raise CalibrationMissing("This pullback has no frame spacing.")
    spacing = calibration.pixel_spacing_mm
    frame_spacing_mm = calibration.frame_spacing_mm
    frames, measures = _frames_metrics(doc.frames, spacing, settings.strut_threshold_for(device))
    analysis = compute_analysis_frames(
        n_frames=n_frames,
        frame_spacing_mm=frame_spacing_mm,
        stent_distal_frame=doc.stent_distal_frame,
        stent_proximal_frame=doc.stent_proximal_frame,
        sampling_interval_mm=settings.sampling_interval_mm,
        reference_length_mm=settings.reference_length_mm,
        whole_pullback=timepoint == "pre",
    )
    values: dict[str, Value] = {m.name: None for m in READ_METRICS}
    values["mla_mm2"], values["mla_frame"] = _min_with_frame(
        {f: v["lumen_area_mm2"] for f, v in frames.items()}
    )
    values.update(_expansion_values(doc, frames, settings, n_frames, frame_spacing_mm))
    values.update(_calcium_values(doc, frames, settings, frame_spacing_mm))
    values.update(_malapposition_values(doc, frames, measures, settings, frame_spacing_mm))
    values["auto_accepted_pct"] = auto_accepted_pct(doc)
    return ReadMetricsResult(values=values, frames=frames, analysis_frames=analysis)
