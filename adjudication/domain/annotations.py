"""The annotation document (SPEC §4): validation into frozen plain values.

``parse_document`` is the one gate for a read's JSON: it refuses anything outside the contract
with ``AnnotationInvalid`` naming the field as a JSON-ish path (``frames.128.lumen[3]``,
``stent.distal_frame``), so the API answers 400 and nothing is stored. Points stay in pixels
here; metrics convert them to mm with the pullback's calibration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import AnnotationInvalid
from .geometry import dedupe_closed, is_simple_polygon, polygon_centroid

Point = tuple[float, float]

# Sane limits: a pullback has a few hundred frames; anything far beyond is a broken client.
MAX_FRAMES = 2000
MAX_POLYGON_POINTS = 1000
MAX_STRUTS_PER_FRAME = 500
MAX_CALCIUM_PER_FRAME = 20
MAX_CALCIUM_SEGMENTS = 100

TOP_LEVEL_KEYS = frozenset({"stent", "calcium_segments", "frames"})
FRAME_KEYS = frozenset({"lumen", "stent", "struts", "calcium"})
CALCIUM_KEYS = frozenset({"arc", "thickness", "center"})
_FRAME_KEY = re.compile(r"(0|[1-9][0-9]{0,8})")


@dataclass(frozen=True)
class CalciumEntry:
    """One calcium deposit on a frame: ``arc`` swept clockwise from first to second point (px),
    an optional ``thickness`` caliper (px) and an optional ``center`` (px; default: the frame's
    lumen centroid)."""

    arc: tuple[Point, Point]
    thickness: tuple[Point, Point] | None
    center: Point | None


@dataclass(frozen=True)
class FrameAnnotation:
    """One annotated frame, in pixels: lumen and stent polygons (None when not drawn), strut
    centres and calcium entries (empty when none)."""

    lumen: tuple[Point, ...] | None
    stent: tuple[Point, ...] | None
    struts: tuple[Point, ...]
    calcium: tuple[CalciumEntry, ...]


@dataclass(frozen=True)
class AnnotationDocument:
    """A validated read. ``calcium_segments`` is None when the key is absent or null, ``()`` when
    the reader sent an empty list; ``frames`` is keyed by 0-based frame index, ascending."""

    stent_distal_frame: int | None
    stent_proximal_frame: int | None
    calcium_segments: tuple[tuple[int, int], ...] | None
    frames: Mapping[int, FrameAnnotation]


def empty_document() -> dict[str, Any]:
    """The JSON of a read nobody has annotated yet (SPEC §4)."""
    return {"frames": {}}


def _fail(field: str, message: str) -> AnnotationInvalid:
    return AnnotationInvalid(field, message)


def _check_object(value: Any, field: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field or "annotations", "must be an object")
    for key in value:
        if key not in allowed:
            name = str(key) if key else '""'  # an empty key still gets a visible name
            path = f"{field}.{name}" if field else name
            raise _fail(path, f"unknown key (allowed: {', '.join(sorted(allowed))})")
    return value


def _frame_index(value: Any, field: str, n_frames: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, "must be an integer frame index")
    if value < 0:
        raise _fail(field, "must not be negative")
    if n_frames is not None and value >= n_frames:
        raise _fail(field, f"must be below the pullback's {n_frames} frames")
    if value >= MAX_FRAMES * 1000:
        raise _fail(field, "is beyond any pullback")
    return value


def _point(
    value: Any, field: str, rows: int | None, columns: int | None, index: int | None = None
) -> Point:
    """One ``[x, y]`` within the frame; the error names ``field[index]`` (built on failure
    only: documents hold thousands of points)."""

    # Fast path for the usual valid point (plain numbers inside the frame); anything else,
    # including NaN and infinities (every comparison with NaN is false), takes the checks below.
    if type(value) is list and len(value) == 2:
        x, y = value
        if (
            (type(x) is float or type(x) is int)
            and (type(y) is float or type(y) is int)
            and 0 <= x <= (columns if columns is not None else math.inf)
            and 0 <= y <= (rows if rows is not None else math.inf)
            and x != math.inf
            and y != math.inf
        ):
            return (float(x), float(y))

    def fail(message: str) -> AnnotationInvalid:
        return _fail(field if index is None else f"{field}[{index}]", message)

    if not isinstance(value, list | tuple) or len(value) != 2:
        raise fail("must be a point [x, y]")
    x, y = value
    for coord in (x, y):
        if isinstance(coord, bool) or not isinstance(coord, int | float):
            raise fail("coordinates must be numbers")
        if not math.isfinite(coord):
            raise fail("coordinates must be finite")
    if columns is not None and not 0 <= x <= columns:
        raise fail(f"x must be within [0, {columns}]")
    if rows is not None and not 0 <= y <= rows:
        raise fail(f"y must be within [0, {rows}]")
    return (float(x), float(y))


def _points(
    value: Any, field: str, *, limit: int, rows: int | None, columns: int | None
) -> tuple[Point, ...]:
    if not isinstance(value, list | tuple):
        raise _fail(field, "must be a list of points")
    if len(value) > limit:
        raise _fail(field, f"has more than {limit} points")
    return tuple(_point(p, field, rows, columns, i) for i, p in enumerate(value))


def _polygon(value: Any, field: str, rows: int | None, columns: int | None) -> tuple[Point, ...]:
    points = _points(value, field, limit=MAX_POLYGON_POINTS, rows=rows, columns=columns)
    if len(dedupe_closed(points)) < 3:
        raise _fail(field, "a polygon needs at least 3 distinct points")
    if not is_simple_polygon(points):
        raise _fail(field, "the polygon crosses itself")
    return points


def _point_pair(
    value: Any, field: str, rows: int | None, columns: int | None
) -> tuple[Point, Point]:
    points = _points(value, field, limit=2, rows=rows, columns=columns)
    if len(points) != 2:
        raise _fail(field, "must be two points")
    return (points[0], points[1])


def _calcium_entry(
    value: Any,
    field: str,
    lumen: tuple[Point, ...] | None,
    rows: int | None,
    columns: int | None,
) -> CalciumEntry:
    entry = _check_object(value, field, CALCIUM_KEYS)
    if entry.get("arc") is None:
        raise _fail(f"{field}.arc", "is required")
    arc = _point_pair(entry["arc"], f"{field}.arc", rows, columns)
    if arc[0] == arc[1]:
        raise _fail(f"{field}.arc", "the two arc points are identical")
    thickness = None
    if entry.get("thickness") is not None:
        thickness = _point_pair(entry["thickness"], f"{field}.thickness", rows, columns)
    center = None
    if entry.get("center") is not None:
        center = _point(entry["center"], f"{field}.center", rows, columns)
        seen_from = center
    elif lumen is not None:
        seen_from = polygon_centroid(lumen)
    else:
        raise _fail(f"{field}.center", "required on a frame without a lumen contour")
    for i, p in enumerate(arc):
        if p == seen_from:
            raise _fail(f"{field}.arc[{i}]", "coincides with the arc's centre")
    return CalciumEntry(arc=arc, thickness=thickness, center=center)


def _frame(value: Any, field: str, rows: int | None, columns: int | None) -> FrameAnnotation:
    frame = _check_object(value, field, FRAME_KEYS)
    lumen = None
    if frame.get("lumen") is not None:
        lumen = _polygon(frame["lumen"], f"{field}.lumen", rows, columns)
    stent = None
    if frame.get("stent") is not None:
        stent = _polygon(frame["stent"], f"{field}.stent", rows, columns)
    struts: tuple[Point, ...] = ()
    if frame.get("struts") is not None:
        struts = _points(
            frame["struts"],
            f"{field}.struts",
            limit=MAX_STRUTS_PER_FRAME,
            rows=rows,
            columns=columns,
        )
    calcium: list[CalciumEntry] = []
    raw_calcium = frame.get("calcium")
    if raw_calcium is not None:
        if not isinstance(raw_calcium, list):
            raise _fail(f"{field}.calcium", "must be a list")
        if len(raw_calcium) > MAX_CALCIUM_PER_FRAME:
            raise _fail(f"{field}.calcium", f"has more than {MAX_CALCIUM_PER_FRAME} entries")
        for i, raw in enumerate(raw_calcium):
            calcium.append(_calcium_entry(raw, f"{field}.calcium[{i}]", lumen, rows, columns))
    return FrameAnnotation(lumen=lumen, stent=stent, struts=struts, calcium=tuple(calcium))


def _stent(value: Any, n_frames: int | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    stent = _check_object(value, "stent", frozenset({"distal_frame", "proximal_frame"}))
    for key in ("distal_frame", "proximal_frame"):
        if stent.get(key) is None:
            raise _fail(f"stent.{key}", "is required")
    distal = _frame_index(stent["distal_frame"], "stent.distal_frame", n_frames)
    proximal = _frame_index(stent["proximal_frame"], "stent.proximal_frame", n_frames)
    if distal > proximal:
        raise _fail(
            "stent.distal_frame", "must not be after proximal_frame (frames run distal → proximal)"
        )
    return distal, proximal


def _segments(value: Any, n_frames: int | None) -> tuple[tuple[int, int], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _fail("calcium_segments", "must be a list")
    if len(value) > MAX_CALCIUM_SEGMENTS:
        raise _fail("calcium_segments", f"has more than {MAX_CALCIUM_SEGMENTS} segments")
    segments = []
    for i, raw in enumerate(value):
        field = f"calcium_segments[{i}]"
        seg = _check_object(raw, field, frozenset({"start_frame", "end_frame"}))
        for key in ("start_frame", "end_frame"):
            if seg.get(key) is None:
                raise _fail(f"{field}.{key}", "is required")
        start = _frame_index(seg["start_frame"], f"{field}.start_frame", n_frames)
        end = _frame_index(seg["end_frame"], f"{field}.end_frame", n_frames)
        if start > end:
            raise _fail(f"{field}.start_frame", "must not be after end_frame")
        segments.append((start, end))
    return tuple(segments)


def parse_document(
    data: Any,
    *,
    n_frames: int | None = None,
    rows: int | None = None,
    columns: int | None = None,
) -> AnnotationDocument:
    """Validate a read's annotation JSON (SPEC §4) and return it as frozen values (pixels).

    Refuses with ``AnnotationInvalid(field, message)``: a non-object; unknown keys at any level;
    frame keys that are not canonical non-negative integer strings or not below ``n_frames``;
    points that are not finite ``[x, y]`` numbers or fall outside ``[0, columns] × [0, rows]``;
    polygons with fewer than 3 distinct points or crossing themselves; ``stent.distal_frame`` after
    ``proximal_frame``; a calcium segment starting after its end; a calcium arc with identical
    points, or without ``center`` on a frame without lumen; more than 2000 frames, 1000 points per
    polygon, 500 struts or 20 calcium entries per frame. Bounds are checked only when given.
    """
    doc = _check_object(data, "", TOP_LEVEL_KEYS) if isinstance(data, dict) else None
    if doc is None:
        raise _fail("annotations", "must be an object")
    distal, proximal = _stent(doc.get("stent"), n_frames)
    segments = _segments(doc.get("calcium_segments"), n_frames)
    raw_frames = doc.get("frames")
    if raw_frames is None:
        raw_frames = {}
    if not isinstance(raw_frames, dict):
        raise _fail("frames", "must be an object keyed by frame index")
    if len(raw_frames) > MAX_FRAMES:
        raise _fail("frames", f"has more than {MAX_FRAMES} frames")
    frames: dict[int, FrameAnnotation] = {}
    for key, raw in raw_frames.items():
        field = f"frames.{key}"
        if not isinstance(key, str) or not _FRAME_KEY.fullmatch(key):
            raise _fail(field, "frame keys must be non-negative integers written as strings")
        index = _frame_index(int(key), field, n_frames)
        frames[index] = _frame(raw, field, rows, columns)
    return AnnotationDocument(
        stent_distal_frame=distal,
        stent_proximal_frame=proximal,
        calcium_segments=segments,
        frames={k: frames[k] for k in sorted(frames)},
    )
