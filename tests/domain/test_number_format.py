"""Numbers on pages come from one helper driven by the metric catalogue (units, precision)."""

from __future__ import annotations

import math

import pytest

from adjudication.domain.metric_defs import READ_METRICS, MetricDef
from adjudication.domain.number_format import (
    format_calibration_mm,
    format_metric,
    format_number,
    format_quantity,
)


@pytest.mark.parametrize(
    ("value", "metric", "shown"),
    [
        (318.7596188723374, "calcium_max_arc_deg", "319°"),
        (4.256789, "mla_mm2", "4.26 mm²"),
        (0.11111000000000004, "calcium_max_thickness_mm", "0.11 mm"),
        (412.6, "max_malapposition_um", "413 µm"),
        (87.349, "stent_expansion_pct", "87.3 %"),
        (True, "underexpansion", "yes"),
        (False, "sm_present", "no"),
        (3, "mla_frame", "frame 4"),
        (12.5, "strut_count", "12.5"),
        (12, "strut_count", "12"),
        (None, "mla_mm2", "–"),
        (math.nan, "mla_mm2", "–"),
        (-0.0001, "calcium_max_thickness_mm", "0.00 mm"),
        (-1.5, "lumen_area_mm2", "−1.50 mm²"),
    ],
)
def test_metric_values_use_the_catalogue_unit_and_precision(
    value: object, metric: str, shown: str
) -> None:
    assert format_metric(value, metric) == shown


def test_every_catalogue_metric_has_a_display_precision() -> None:
    for metric in READ_METRICS:
        assert 0 <= metric.display_digits <= 3, metric.name


def test_a_metric_precision_overrides_its_units() -> None:
    metric = MetricDef("x_mm", "mm", READ_METRICS[0].kind, READ_METRICS[0].group, "", precision=3)
    assert format_metric(1.23456, metric) == "1.235 mm"


def test_unknown_metric_names_are_an_error_not_a_silent_raw_value() -> None:
    with pytest.raises(KeyError):
        format_metric(1.0, "no_such_metric")


def test_calibrations_print_without_float_noise() -> None:
    assert format_calibration_mm(0.11111000000000004) == "0.11111 mm"
    assert format_calibration_mm(0.2) == "0.2 mm"
    assert format_calibration_mm(0.0123456789) == "0.012346 mm"
    assert format_calibration_mm(None) == "–"


def test_quantities_and_bare_numbers() -> None:
    assert format_quantity(80, "um") == "80 µm"
    assert format_quantity(12.345, "mm") == "12.35 mm"
    assert format_number(2.5, 1) == "2.5"
    assert format_number("x", 1) == "–"
