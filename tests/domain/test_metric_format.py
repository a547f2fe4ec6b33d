"""One formatter for metric values on every page (issue 14): precision and unit from the catalogue."""

from __future__ import annotations

from adjudication.domain.metric_defs import format_metric, metric_label


def test_values_are_rounded_to_the_metric_precision_with_the_unit() -> None:
    assert format_metric("mla_mm2", 318.7596188723374) == "318.76 mm²"
    assert format_metric("calcium_max_arc_deg", 187.46) == "187°"
    assert format_metric("max_malapposition_um", 412.6) == "413 µm"
    assert format_metric("stent_expansion_pct", 81.234) == "81.2%"
    assert format_metric("calcium_max_thickness_mm", 0.11111000000000004) == "0.11 mm"


def test_frames_count_from_one_booleans_read_yes_no_and_none_is_a_dash() -> None:
    assert format_metric("mla_frame", 0) == "frame 1"
    assert format_metric("sm_significant", True) == "yes"
    assert format_metric("underexpansion", False) == "no"
    assert format_metric("mla_mm2", None) == "—"
    assert format_metric("ref_count", 2) == "2"
    assert format_metric("ref_count", 1.5) == "1.5"


def test_metrics_have_human_names() -> None:
    assert metric_label("mla_mm2") == "Minimum lumen area"
    assert metric_label("some_new_metric") == "Some new metric"
