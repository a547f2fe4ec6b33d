"""Template filters for numbers on pages (``{% load numbers %}``), all through
``domain.number_format``: ``{{ v|metric:"mla_mm2" }}``, ``{{ v|quantity:"mm" }}``,
``{{ v|calibration_mm }}``, and the names people read: ``{{ "mla_mm2"|metric_name }}``,
``{{ "reader_a"|source_name }}``, ``{{ frame|frame_number }}``."""

from __future__ import annotations

from typing import Any

from django import template

from adjudication.domain import number_format
from adjudication.domain.metric_defs import metric_label

register = template.Library()


@register.filter
def metric(value: Any, name: str) -> str:
    return number_format.format_metric(value, name)


@register.filter
def quantity(value: Any, unit: str) -> str:
    return number_format.format_quantity(value, unit)


@register.filter
def calibration_mm(value: Any) -> str:
    return number_format.format_calibration_mm(value)


SOURCE_NAMES = {
    "reader_a": "Reader 1",
    "reader_b": "Reader 2",
    "adjudicator": "Adjudicator",
    "mean": "mean of both",
    "agreed": "agreed",
}


@register.filter
def metric_name(name: str) -> str:
    """``{{ "mla_mm2"|metric_name }}`` → "Minimum lumen area"."""
    return metric_label(name)


@register.filter
def source_name(source: str) -> str:
    """``reader_a`` → "Reader 1" (decisions and consensus sources as people say them)."""
    return SOURCE_NAMES.get(source, source)


@register.filter
def frame_number(frame: object) -> str:
    """A 0-based frame index as pages show it (from 1, as the viewer)."""
    return number_format.MISSING if frame is None or frame == "" else str(int(frame) + 1)  # type: ignore[call-overload]


@register.filter
def metric_difference(value: object, name: str) -> str:
    """A difference or tolerance: frames are compared in mm, other metrics in their own unit."""
    if value is None or value == "":
        return number_format.MISSING
    if name.endswith("_frame"):
        return f"{float(value):.1f} mm"  # type: ignore[arg-type]
    if name.startswith(("sm_", "underexp")):
        return number_format.MISSING
    return number_format.format_metric(value, name)
