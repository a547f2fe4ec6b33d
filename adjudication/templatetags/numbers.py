"""Template filters for numbers on pages (``{% load numbers %}``), all through
``domain.number_format``: ``{{ v|metric:"mla_mm2" }}``, ``{{ v|quantity:"mm" }}``,
``{{ v|calibration_mm }}``."""

from __future__ import annotations

from typing import Any

from django import template

from adjudication.domain import number_format

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
