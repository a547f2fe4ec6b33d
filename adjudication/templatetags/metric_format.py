"""Template filters printing metrics from the catalogue (``domain.metric_defs``): one formatter."""

from __future__ import annotations

from django import template

from adjudication.domain.metric_defs import format_metric, metric_label

register = template.Library()

SOURCE_NAMES = {
    "reader_a": "Reader 1",
    "reader_b": "Reader 2",
    "adjudicator": "Adjudicator",
    "mean": "mean of both",
    "agreed": "agreed",
}


@register.filter
def metric(value: object, name: str) -> str:
    """``{{ value|metric:"mla_mm2" }}`` → "5.43 mm²"."""
    return format_metric(name, value)


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
    return "—" if frame is None or frame == "" else str(int(frame) + 1)  # type: ignore[call-overload]


@register.filter
def metric_difference(value: object, name: str) -> str:
    """A difference or tolerance: frames are compared in mm, other metrics in their own unit."""
    if value is None or value == "":
        return "—"
    if name.endswith("_frame"):
        return f"{float(value):.1f} mm"  # type: ignore[arg-type]
    return format_metric(name, value) if not name.startswith(("sm_", "underexp")) else "—"
