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
FRAME_KEYS = frozenset(
    {"lumen", "stent", "struts", "calcium", "lumen_ctrl", "stent_ctrl", "source"}
)
# Provenance of a frame's elements (SPEC §11): proposed and accepted unedited, proposed and
# corrected, or drawn by hand. ``source.<element>`` needs that element on the frame.
SOURCE_KEYS = frozenset({"lumen", "stent", "struts"})
SOURCE_VALUES = frozenset({"auto", "auto_edited", "manual"})
MAX_CONTROL_POINTS = 200
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
    centres and calcium entries (empty when none), and where each element came from."""

    lumen: tuple[Point, ...] | None
    stent: tuple[Point, ...] | None
    struts: tuple[Point, ...]
    calcium: tuple[CalciumEntry, ...]
    # SPEC §11 provenance, e.g. (("lumen", "auto"),); control points are not kept here (the
    # stored curve is what every consumer measures)
    source: tuple[tuple[str, str], ...] = ()

    def source_of(self, element: str) -> str | None:
        return dict(self.source).get(element)


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
    for curve in ("lumen", "stent"):
        ctrl = frame.get(f"{curve}_ctrl")
        if ctrl is None:
            continue
        if frame.get(curve) is None:
            raise _fail(f"{field}.{curve}_ctrl", f"control points need the {curve} curve")
        points = _points(
            ctrl, f"{field}.{curve}_ctrl", limit=MAX_CONTROL_POINTS, rows=rows, columns=columns
        )
        if len(points) < 3:
            raise _fail(f"{field}.{curve}_ctrl", "a closed curve needs at least 3 control points")
    source = _source(frame.get("source"), field, frame)
    return FrameAnnotation(
        lumen=lumen, stent=stent, struts=struts, calcium=tuple(calcium), source=source
    )


def _source(value: Any, field: str, frame: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    source = _check_object(value, f"{field}.source", SOURCE_KEYS)
    out = []
    for element in sorted(source):
        origin = source[element]
        if origin is None:
            continue
        if origin not in SOURCE_VALUES:
            raise _fail(
                f"{field}.source.{element}",
                f"must be one of {', '.join(sorted(SOURCE_VALUES))}",
            )
        if not frame.get(element):
            raise _fail(f"{field}.source.{element}", f"the frame has no {element}")
        out.append((element, str(origin)))
    return tuple(out)


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


# Trusted parsing of a submitted read (metrics path) -------------------------------------------

_NUMBER_TYPES = (int, float)


class _NotPlain(Exception):
    """The stored document is not in the plain shape ``parse_submitted_document`` expects."""


def _plain_point(p: Any) -> Point:
    if type(p) is not list or len(p) != 2:
        raise _NotPlain
    x, y = p
    if type(x) not in _NUMBER_TYPES or type(y) not in _NUMBER_TYPES:
        raise _NotPlain
    return (float(x), float(y))


def _plain_points(value: Any, limit: int) -> tuple[Point, ...]:
    if type(value) is not list or len(value) > limit:
        raise _NotPlain
    out = []
    for p in value:  # _plain_point inlined: documents hold thousands of points
        if type(p) is not list or len(p) != 2:
            raise _NotPlain
        x, y = p
        if type(x) not in _NUMBER_TYPES or type(y) not in _NUMBER_TYPES:
            raise _NotPlain
        out.append((float(x), float(y)))
    return tuple(out)


def _plain_pair(value: Any) -> tuple[Point, Point]:
    if type(value) is not list or len(value) != 2:
        raise _NotPlain
    return (_plain_point(value[0]), _plain_point(value[1]))


def _plain_calcium(entry: Any) -> CalciumEntry:
    if type(entry) is not dict or not entry.keys() <= CALCIUM_KEYS or entry.get("arc") is None:
        raise _NotPlain
    thickness, center = entry.get("thickness"), entry.get("center")
    return CalciumEntry(
        arc=_plain_pair(entry["arc"]),
        thickness=_plain_pair(thickness) if thickness is not None else None,
        center=_plain_point(center) if center is not None else None,
    )


def _plain_frame(raw: Any) -> FrameAnnotation:
    if type(raw) is not dict or not raw.keys() <= FRAME_KEYS:
        raise _NotPlain
    lumen, stent, struts = raw.get("lumen"), raw.get("stent"), raw.get("struts")
    calcium = raw.get("calcium")
    if calcium is None:
        calcium = []
    if type(calcium) is not list or len(calcium) > MAX_CALCIUM_PER_FRAME:
        raise _NotPlain
    source = raw.get("source")
    if source is not None and (
        type(source) is not dict
        or not source.keys() <= SOURCE_KEYS
        or not all(v is None or v in SOURCE_VALUES for v in source.values())
    ):
        raise _NotPlain
    return FrameAnnotation(
        lumen=_plain_points(lumen, MAX_POLYGON_POINTS) if lumen is not None else None,
        stent=_plain_points(stent, MAX_POLYGON_POINTS) if stent is not None else None,
        struts=_plain_points(struts, MAX_STRUTS_PER_FRAME) if struts is not None else (),
        calcium=tuple([_plain_calcium(entry) for entry in calcium]),
        source=tuple(sorted((k, str(v)) for k, v in source.items() if v is not None))
        if source
        else (),
    )


def parse_submitted_document(
    data: Any,
    *,
    n_frames: int | None = None,
    rows: int | None = None,
    columns: int | None = None,
) -> AnnotationDocument:
    """The same ``AnnotationDocument`` as :func:`parse_document`, for a document that
    :func:`parse_document` already accepted, without repeating its geometric checks.

    Invariant relied upon: a read's annotations are validated by ``parse_document`` on every
    save, at ``read_submit`` and at ``adjudication_resolve`` (the adjudicator's own read), and a
    submitted read is immutable (SPEC §4; STYLE "Workflow state machine"). The metrics of a
    submitted read can therefore skip what cannot have changed since: point bounds, polygon
    simplicity and distinct points, arc points coinciding with the arc's centre (about a third of
    the cost of measuring a read, issue 3 benchmark). What is kept is a cheap structural parse
    (known keys, lists of numeric ``[x, y]`` pairs, canonical frame keys, the stent and segment
    rules) so a document that is somehow not in that shape is never half-read: it goes through
    :func:`parse_document`, which refuses it with the usual ``AnnotationInvalid`` naming the field
    (or returns the same document when only the plain shape differed, e.g. tuples for lists).
    """
    try:
        return _parse_plain(data, n_frames)
    except _NotPlain:
        return parse_document(data, n_frames=n_frames, rows=rows, columns=columns)


def _parse_plain(data: Any, n_frames: int | None) -> AnnotationDocument:
    if type(data) is not dict or not data.keys() <= TOP_LEVEL_KEYS:
        raise _NotPlain
    try:
        # The non-geometric rules are cheap: the full parser's own functions check them.
        distal, proximal = _stent(data.get("stent"), n_frames)
        segments = _segments(data.get("calcium_segments"), n_frames)
    except AnnotationInvalid:
        raise _NotPlain from None
    raw_frames = data.get("frames")
    if raw_frames is None:
        raw_frames = {}
    if type(raw_frames) is not dict or len(raw_frames) > MAX_FRAMES:
        raise _NotPlain
    frames: dict[int, FrameAnnotation] = {}
    for key, raw in raw_frames.items():
        if type(key) is not str or not _FRAME_KEY.fullmatch(key):
            raise _NotPlain
        index = int(key)
        if (n_frames is not None and index >= n_frames) or index >= MAX_FRAMES * 1000:
            raise _NotPlain
        frames[index] = _plain_frame(raw)
    return AnnotationDocument(
        stent_distal_frame=distal,
        stent_proximal_frame=proximal,
        calcium_segments=segments,
        frames={k: frames[k] for k in sorted(frames)},
    )
