"""How numbers are shown to people: one helper for every page, driven by the metric catalogue.

``format_metric(value, metric)`` uses the metric's unit and display precision
(``MetricDef.display_digits``); ``format_quantity`` formats a bare value in a unit;
``format_calibration_mm`` prints a calibration (pixel or frame spacing) without float noise
(``0.11111000000000004`` → ``0.11111``). None, NaN and infinities read as an en dash
(undefined, never 0). Exports and the API keep full precision; this is display only.
"""

from __future__ import annotations

import math
from typing import Any

from adjudication.domain.metric_defs import (
    FRAME_METRIC_BY_NAME,
    READ_METRIC_BY_NAME,
    UNIT_PRECISION,
    Kind,
    MetricDef,
)

MISSING = "–"
UNIT_LABELS = {"mm2": "mm²", "um": "µm", "deg": "°", "pct": "%", "frame": "", "": ""}
# Units written straight after the number (no space): 270°.
UNIT_TIGHT = {"deg"}
CALIBRATION_DECIMALS = 6


def unit_label(unit: str) -> str:
    """``mm2`` → ``mm²``, ``um`` → ``µm``, ``deg`` → ``°``; a unitless value has none."""
    return UNIT_LABELS.get(unit, unit)


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_number(value: Any, digits: int) -> str:
    """Fixed decimals with a real minus sign and no ``-0.00``; an en dash when undefined."""
    number = _finite(value)
    if number is None:
        return MISSING
    text = f"{number:.{max(digits, 0)}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def format_quantity(value: Any, unit: str, digits: int | None = None) -> str:
    """``value`` in ``unit`` (catalogue unit codes), e.g. ``0.11 mm``, ``270°``, ``4.25 mm²``."""
    if digits is None:
        digits = UNIT_PRECISION.get(unit, 2)
    text = format_number(value, digits)
    label = unit_label(unit)
    if text == MISSING or not label:
        return text
    return f"{text}{label}" if unit in UNIT_TIGHT else f"{text} {label}"


def format_metric(value: Any, metric: MetricDef | str) -> str:
    """A metric's value as people read it: yes/no for booleans, whole scores and frame
    numbers, continuous values to the metric's precision with its unit."""
    if isinstance(metric, str):
        found = READ_METRIC_BY_NAME.get(metric) or FRAME_METRIC_BY_NAME.get(metric)
        if found is None:
            raise KeyError(f"unknown metric {metric!r}")
        metric = found
    if value is None:
        return MISSING
    if metric.kind is Kind.BOOLEAN:
        return "yes" if value else "no"
    if metric.kind is Kind.FRAME:
        number = _finite(value)
        # Frames are shown from 1 on every page, as the viewer counts them (data stay 0-based).
        return MISSING if number is None else f"frame {int(number) + 1}"
    if metric.kind in (Kind.ORDINAL, Kind.COUNT):
        number = _finite(value)
        # A consensus count is the mean of two reads: 12.5 struts is shown as such.
        return format_number(value, 0 if number is None or number.is_integer() else 1)
    return format_quantity(value, metric.unit, metric.display_digits)


def format_calibration_mm(value: Any) -> str:
    """A spacing in mm to at most 6 decimals, trailing zeros dropped: ``0.11111 mm``."""
    number = _finite(value)
    if number is None:
        return MISSING
    text = f"{number:.{CALIBRATION_DECIMALS}f}".rstrip("0").rstrip(".")
    return f"{text} mm"
