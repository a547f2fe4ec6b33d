"""One formatter for metric values on every page (issue 14): precision and unit from the catalogue."""

from __future__ import annotations

from adjudication.domain.metric_defs import metric_label
from adjudication.domain.number_format import MISSING, format_metric


def test_values_are_rounded_to_the_metric_precision_with_the_unit() -> None:
    assert format_metric(318.7596188723374, "mla_mm2") == "318.76 mm²"
    assert format_metric(187.46, "calcium_max_arc_deg") == "187°"
    assert format_metric(412.6, "max_malapposition_um") == "413 µm"
    assert format_metric(81.234, "stent_expansion_pct") == "81.2 %"
    assert format_metric(0.11111000000000004, "calcium_max_thickness_mm") == "0.11 mm"


def test_frames_count_from_one_booleans_read_yes_no_and_none_is_a_dash() -> None:
    assert format_metric(0, "mla_frame") == "frame 1"
    assert format_metric(True, "sm_significant") == "yes"
    assert format_metric(False, "underexpansion") == "no"
    assert format_metric(None, "mla_mm2") == MISSING
    assert format_metric(2, "ref_count") == "2"
    assert format_metric(1.5, "ref_count") == "1.5"


def test_metrics_have_human_names() -> None:
    assert metric_label("mla_mm2") == "Minimum lumen area"
    assert metric_label("some_new_metric") == "Some new metric"
