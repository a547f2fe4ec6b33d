"""Calibration tags → the plain mapping ``domain.calibration`` resolves (SPEC §3).

Values are parsed but not judged: numbers come back as floats, a value that does not parse as
a number comes back as its raw string so the domain resolver can refuse it *naming the field*.
Positivity and plausibility are the resolver's business, not this module's.

Where the longitudinal distance lives: PS3.3 "Intravascular Frame Content" functional group
macro — PerFrameFunctionalGroupsSequence[i] > Intravascular Frame Content Sequence (0052,0027)
> Intravascular Longitudinal Distance (0052,0028), in mm. Writers that put the value in the
Intravascular OCT Frame Content Sequence (0052,0029) or directly in the per-frame item are
tolerated (searched in that order).
"""

from __future__ import annotations

import re
import struct
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag, Tag

from . import rawdata

PIXEL_MEASURES = Tag(0x0028, 0x9110)  # Pixel Measures Sequence
PIXEL_SPACING = Tag(0x0028, 0x0030)
IMAGER_PIXEL_SPACING = Tag(0x0018, 0x1164)
FRAME_TIME = Tag(0x0018, 0x1063)
CINE_RATE = Tag(0x0018, 0x0040)
LONGITUDINAL_DISTANCE = Tag(0x0052, 0x0028)
INTRAVASCULAR_FRAME_CONTENT = Tag(0x0052, 0x0027)
INTRAVASCULAR_OCT_FRAME_CONTENT = Tag(0x0052, 0x0029)
SHARED_GROUPS = Tag(0x5200, 0x9229)
PER_FRAME_GROUPS = Tag(0x5200, 0x9230)

Parsed = float | str | None


def _parse_number(value: Any) -> float | str:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    text = str(value).strip().strip("\x00").strip()
    try:
        return float(text)
    except ValueError:
        return text


def _raw_values(ds: Dataset, tag: BaseTag) -> list[Any] | None:
    """The element's values as a list, falling back to the raw bytes when pydicom cannot
    convert them (an invalid DS such as ``"0.01mm"`` must reach the resolver, not crash)."""
    if tag not in ds:
        return None
    try:
        value = ds[tag].value
    except Exception:  # noqa: BLE001 - any conversion failure: use the raw bytes instead
        raw = ds.get_item(tag)
        data = getattr(raw, "value", b"") or b""
        if isinstance(data, bytes):
            data = data.decode("ascii", errors="replace")
        return [part for part in str(data).split("\\")]
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        return list(value)
    return [value]


def _pair(ds: Dataset | None, tag: BaseTag) -> list[float | str] | str | None:
    """A [row, column] spacing; a wrong multiplicity comes back as the raw text."""
    if ds is None:
        return None
    values = _raw_values(ds, tag)
    if values is None:
        return None
    if len(values) != 2:
        return "\\".join(str(v) for v in values)
    return [_parse_number(v) for v in values]


def _single(ds: Dataset | None, tag: BaseTag) -> Parsed:
    if ds is None:
        return None
    values = _raw_values(ds, tag)
    if not values:
        return None
    if len(values) != 1:
        return "\\".join(str(v) for v in values)
    return _parse_number(values[0])


def _first_item(ds: Dataset | None, tag: BaseTag) -> Dataset | None:
    if ds is None or tag not in ds:
        return None
    try:
        seq = ds[tag].value
    except Exception:  # noqa: BLE001 - an unreadable sequence counts as absent
        return None
    if not seq:
        return None
    item = seq[0]
    return item if isinstance(item, Dataset) else None


def _longitudinal_distance(frame_item: Dataset) -> Parsed:
    for container in (INTRAVASCULAR_FRAME_CONTENT, INTRAVASCULAR_OCT_FRAME_CONTENT):
        value = _single(_first_item(frame_item, container), LONGITUDINAL_DISTANCE)
        if value is not None:
            return value
    return _single(frame_item, LONGITUDINAL_DISTANCE)


def longitudinal_distances_mm(ds: Dataset) -> list[Parsed] | None:
    """Per-frame Intravascular Longitudinal Distance (mm), one entry per per-frame functional
    group item (``None`` where a frame lacks it); ``None`` when no frame has one."""
    if PER_FRAME_GROUPS not in ds:
        return None
    try:
        items = ds[PER_FRAME_GROUPS].value or []
    except Exception:  # noqa: BLE001
        return None
    values = [_longitudinal_distance(item) for item in items]
    if all(v is None for v in values):
        return None
    return values


def calibration_tags(ds: Dataset) -> dict[str, Any]:
    """Calibration-relevant tag values of ``ds`` (units as in DICOM: mm, ms, frames/s).

    Keys (``None`` when absent): ``shared_pixel_spacing`` and ``per_frame_pixel_spacing``
    ([row, column] mm from the Pixel Measures functional group, shared / first per-frame item),
    ``pixel_spacing`` (0028,0030), ``imager_pixel_spacing`` (0018,1164),
    ``longitudinal_distances_mm`` (per frame, see module doc), ``frame_time_ms`` (0018,1063),
    ``cine_rate_fps`` (0018,0040).
    """
    shared = _first_item(ds, SHARED_GROUPS)
    per_frame = per_frame_from_bytes(ds)
    if per_frame is None:
        per_frame = per_frame_from_dataset(ds)
    per_frame_spacing, distances = per_frame
    return {
        "shared_pixel_spacing": _pair(_first_item(shared, PIXEL_MEASURES), PIXEL_SPACING),
        "per_frame_pixel_spacing": per_frame_spacing,
        "pixel_spacing": _pair(ds, PIXEL_SPACING),
        "imager_pixel_spacing": _pair(ds, IMAGER_PIXEL_SPACING),
        "longitudinal_distances_mm": distances,
        "frame_time_ms": _single(ds, FRAME_TIME),
        "cine_rate_fps": _single(ds, CINE_RATE),
    }


PerFrame = tuple[list[float | str] | str | None, list[Parsed] | None]


def per_frame_from_dataset(ds: Dataset) -> PerFrame:
    """The first frame's Pixel Measures spacing and every frame's longitudinal distance,
    read through pydicom (which converts the whole per-frame sequence)."""
    first_frame = _first_item(ds, PER_FRAME_GROUPS)
    return (
        _pair(_first_item(first_frame, PIXEL_MEASURES), PIXEL_SPACING),
        longitudinal_distances_mm(ds),
    )


_DISTANCE_PATHS = (
    (int(INTRAVASCULAR_FRAME_CONTENT), int(LONGITUDINAL_DISTANCE)),
    (int(INTRAVASCULAR_OCT_FRAME_CONTENT), int(LONGITUDINAL_DISTANCE)),
    (int(LONGITUDINAL_DISTANCE),),
)
_SPACING_PATH = (int(PIXEL_MEASURES), int(PIXEL_SPACING))
# A DS value this module reads from bytes: a plain decimal, as pydicom would convert it.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class _NotPlain(Exception):
    pass


def per_frame_from_bytes(ds: Dataset) -> PerFrame | None:
    """What :func:`per_frame_from_dataset` gives, read from the per-frame sequence's bytes
    (``rawdata.item_values``) so the sequence stays unconverted; None — use the dataset —
    when the sequence was converted already or holds a value not in the plain form this reads
    (anything but FD, FL and plain-decimal DS of the expected multiplicity)."""
    raw = ds.get_item(PER_FRAME_GROUPS) if PER_FRAME_GROUPS in ds else None
    if raw is None:
        return None, None
    plain = rawdata.plain_sequence(raw)
    if plain is None:
        return None
    data, implicit = plain
    try:
        items = rawdata.item_values(
            data,
            implicit=implicit,
            vr_of=rawdata.dictionary_vr,
            paths=[_SPACING_PATH, *_DISTANCE_PATHS],
        )
        pair = _numbers(items[0][0], 2) if items else None
        spacing: list[float | str] | None = None if pair is None else list(pair)
        distances: list[Parsed] = []
        for found in items:
            value: Parsed = None
            for path_value in found[1:]:
                numbers = _numbers(path_value, 1)
                if numbers is not None:
                    value = numbers[0]
                    break
            distances.append(value)
    except (rawdata.Unhandled, _NotPlain):
        return None
    return spacing, (None if all(v is None for v in distances) else distances)


def _numbers(found: rawdata.Found | None, count: int) -> list[float] | None:
    """``count`` numbers from an FD, FL or DS value; None when absent or empty. Raises
    :class:`_NotPlain` for anything else (another VR, a multiplicity, a DS that is not a plain
    decimal): the dataset path then decides, as before."""
    if found is None:
        return None
    vr, data = found
    if len(data) == 0:
        return None
    if vr in ("FD", "FL"):
        size = 8 if vr == "FD" else 4
        if len(data) % size:
            raise _NotPlain
        code = "d" if vr == "FD" else "f"
        values = [float(v) for v in struct.unpack(f"<{len(data) // size}{code}", data)]
    elif vr == "DS":
        try:
            text = bytes(data).decode("ascii").strip(" \x00")
        except UnicodeDecodeError as exc:
            raise _NotPlain from exc
        parts = [part.strip(" ") for part in text.split("\\")]
        if not text or not all(_PLAIN_DECIMAL.fullmatch(part) for part in parts):
            raise _NotPlain
        values = [float(part) for part in parts]
    else:
        raise _NotPlain
    if len(values) != count:
        raise _NotPlain
    return values


# The calibration keys above (and the study settings the resolver also uses) as a coordinator
# knows them, for refusal messages that name the tag at fault (SPEC §3).
CALIBRATION_TAG_NAMES: dict[str, str] = {
    "shared_pixel_spacing": (
        "Pixel Spacing (0028,0030) in the shared Pixel Measures functional group (5200,9229)"
    ),
    "per_frame_pixel_spacing": (
        "Pixel Spacing (0028,0030) in the per-frame Pixel Measures functional group (5200,9230)"
    ),
    "pixel_spacing": "Pixel Spacing (0028,0030)",
    "imager_pixel_spacing": "Imager Pixel Spacing (0018,1164)",
    "longitudinal_distances_mm": "Intravascular Longitudinal Distance (0052,0028)",
    "frame_time_ms": "Frame Time (0018,1063)",
    "cine_rate_fps": "Cine Rate (0018,0040)",
    "pullback_speed_mm_s": "the study setting pullback_speed_mm_s",
    "default_frame_spacing_mm": "the study setting default_frame_spacing_mm",
}


def calibration_tag_name(key: str) -> str:
    """The DICOM name and tag of a ``calibration_tags`` key (the key itself if unknown)."""
    return CALIBRATION_TAG_NAMES.get(key, key)
