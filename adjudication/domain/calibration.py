"""Calibration of a pullback: pixel spacing and frame spacing, with their sources (SPEC §3).

``resolve_calibration`` takes plain tag values already read from the DICOM header (the
``dicom`` package does the reading) and applies the SPEC's resolution order, recording which
source won. A tag that is present but unusable is refused (``CalibrationInvalid`` naming the
tag) instead of silently falling through, so a broken header never becomes a wrong mm value.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import CalibrationInvalid

# Pixel spacing tags in resolution order, with the source name recorded for each.
PIXEL_SPACING_SOURCES: tuple[tuple[str, str], ...] = (
    ("shared_pixel_spacing", "pixel_measures_shared"),
    ("per_frame_pixel_spacing", "pixel_measures_per_frame"),
    ("pixel_spacing", "pixel_spacing"),
    ("imager_pixel_spacing", "imager_pixel_spacing"),
)


@dataclass(frozen=True)
class Calibration:
    """Pixel spacing ``(row, column)`` in mm per pixel (None when unknown) and frame spacing in mm.

    ``pixel_spacing_source`` is one of ``pixel_measures_shared``, ``pixel_measures_per_frame``,
    ``pixel_spacing``, ``imager_pixel_spacing``, ``manual``, ``none``; ``frame_spacing_source``
    one of ``longitudinal_distance``, ``frame_time``, ``cine_rate``, ``study_default``,
    ``manual``.
    """

    pixel_spacing_mm: tuple[float, float] | None
    frame_spacing_mm: float
    pixel_spacing_source: str
    frame_spacing_source: str

    @property
    def calibration_source(self) -> str:
        """Both sources as stored on the pullback: ``"<pixel source>; <frame source>"``."""
        return f"{self.pixel_spacing_source}; {self.frame_spacing_source}"


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise CalibrationInvalid(field, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise CalibrationInvalid(field, "must be finite")
    return number


def _positive(value: Any, field: str) -> float:
    number = _number(value, field)
    if number <= 0:
        raise CalibrationInvalid(field, "must be greater than 0")
    return number


def _spacing_pair(value: Any, field: str) -> tuple[float, float]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise CalibrationInvalid(field, "must be two numbers [row, column]")
    return (_positive(value[0], field), _positive(value[1], field))


def resolve_pixel_spacing(tags: Mapping[str, Any]) -> tuple[tuple[float, float] | None, str]:
    """Pixel spacing ``(row, column)`` in mm and its source, in SPEC §3 order.

    Pixel Measures functional group (shared, then per-frame) → Pixel Spacing (0028,0030) →
    Imager Pixel Spacing (0018,1164). ``(None, "none")`` when no tag is present; a present but
    invalid tag raises ``CalibrationInvalid`` naming it.
    """
    for tag, source in PIXEL_SPACING_SOURCES:
        value = tags.get(tag)
        if value is not None:
            return _spacing_pair(value, tag), source
    return None, "none"


def frame_spacing_from_longitudinal_distances_mm(distances_mm: Any) -> float | None:
    """Frame spacing in mm from per-frame Intravascular Longitudinal Distance (0052,0028).

    The median of the absolute differences of consecutive values (robust to one odd frame).
    None with fewer than two values; raises ``CalibrationInvalid`` for non-numeric values or a
    median of 0.
    """
    field = "longitudinal_distances_mm"
    if isinstance(distances_mm, str | bytes) or not isinstance(distances_mm, Sequence):
        raise CalibrationInvalid(field, "must be a list of numbers")
    values = [_number(v, field) for v in distances_mm]
    if len(values) < 2:
        return None
    spacing = statistics.median(abs(b - a) for a, b in zip(values, values[1:], strict=False))
    if spacing <= 0:
        raise CalibrationInvalid(field, "consecutive frames must be apart (median step is 0)")
    return float(spacing)


def resolve_frame_spacing(
    tags: Mapping[str, Any], *, pullback_speed_mm_s: float, default_frame_spacing_mm: float
) -> tuple[float, str]:
    """Frame spacing in mm and its source, in SPEC §3 order.

    Longitudinal distance differences → pullback speed × Frame Time (0018,1063) → pullback
    speed ÷ Cine Rate → the study default (20 mm/s ÷ 180 fps = 0.1111 mm). Never None.
    """
    distances = tags.get("longitudinal_distances_mm")
    if distances is not None:
        spacing = frame_spacing_from_longitudinal_distances_mm(distances)
        if spacing is not None:
            return spacing, "longitudinal_distance"
    speed = _positive(pullback_speed_mm_s, "pullback_speed_mm_s")
    frame_time_ms = tags.get("frame_time_ms")
    if frame_time_ms is not None:
        return speed * _positive(frame_time_ms, "frame_time_ms") / 1000.0, "frame_time"
    cine_rate_fps = tags.get("cine_rate_fps")
    if cine_rate_fps is not None:
        return speed / _positive(cine_rate_fps, "cine_rate_fps"), "cine_rate"
    return _positive(default_frame_spacing_mm, "default_frame_spacing_mm"), "study_default"


def resolve_calibration(
    tags: Mapping[str, Any], *, pullback_speed_mm_s: float, default_frame_spacing_mm: float
) -> Calibration:
    """Resolve a pullback's calibration from its header tag values (SPEC §3).

    ``tags`` keys (all optional, None when absent): ``shared_pixel_spacing``,
    ``per_frame_pixel_spacing``, ``pixel_spacing``, ``imager_pixel_spacing`` (each
    ``[row, column]`` mm), ``longitudinal_distances_mm`` (one per frame), ``frame_time_ms``,
    ``cine_rate_fps``. ``pixel_spacing_mm`` is None (source ``none``) when no spacing tag is
    present; mm metrics then refuse to run until a coordinator enters one.
    """
    pixel_spacing_mm, pixel_source = resolve_pixel_spacing(tags)
    frame_spacing_mm, frame_source = resolve_frame_spacing(
        tags,
        pullback_speed_mm_s=pullback_speed_mm_s,
        default_frame_spacing_mm=default_frame_spacing_mm,
    )
    return Calibration(
        pixel_spacing_mm=pixel_spacing_mm,
        frame_spacing_mm=frame_spacing_mm,
        pixel_spacing_source=pixel_source,
        frame_spacing_source=frame_source,
    )
