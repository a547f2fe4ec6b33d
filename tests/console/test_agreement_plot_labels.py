"""Bland-Altman plots: tick labels never repeat or overlap, reference-line labels never
print over each other, and values use the metric's precision."""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.pages.charts import (
    TICK_CHAR_PX,
    bland_altman_plot,
    spread_labels,
    thin_ticks,
    tick_labels,
)


def result(means: list[float], diffs: list[float], bias: float, sd: float) -> dict[str, Any]:
    return {
        "bland_altman": [{"mean": m, "diff": d} for m, d in zip(means, diffs, strict=True)],
        "bias": bias,
        "loa_lower": bias - 1.96 * sd,
        "loa_upper": bias + 1.96 * sd,
    }


def test_tick_labels_gain_decimals_until_distinct() -> None:
    assert tick_labels([0.1, 0.15, 0.2], 0.05) == ["0.10", "0.15", "0.20"]
    assert tick_labels([1.0, 1.25, 1.5], 0.5) == ["1.00", "1.25", "1.50"]
    assert tick_labels([-0.0, 1.0], 1.0) == ["0", "1"]


def test_spread_labels_keeps_a_gap_and_stays_inside() -> None:
    ys = spread_labels([100.0, 101.0, 102.0], 12.0, 10.0, 300.0)
    assert sorted(ys) == ys and ys[1] - ys[0] >= 12 and ys[2] - ys[1] >= 12
    bottom = spread_labels([299.0, 299.5], 12.0, 10.0, 300.0)
    assert max(bottom) <= 300 and abs(bottom[1] - bottom[0]) >= 12


@pytest.mark.parametrize(
    ("means", "diffs", "bias", "sd"),
    [
        ([5.1, 5.2, 5.3, 5.25], [0.001, -0.002, 0.0, 0.001], 0.0, 0.0005),  # LoA ≈ bias
        ([1000.0, 2500.0, 8000.0, 9999.5], [10.0, -30.0, 5.0, 2.0], -3.25, 17.0),  # long labels
        ([0.11111000000000004, 0.11112, 0.1111], [1e-5, -1e-5, 0.0], 0.0, 1e-5),
    ],
)
def test_no_label_overlaps_and_no_tick_repeats(
    means: list[float], diffs: list[float], bias: float, sd: float
) -> None:
    plot = bland_altman_plot(
        metric="m", unit="mm", unit_label="mm", result=result(means, diffs, bias, sd), digits=3
    )
    assert plot is not None
    for ticks in (plot.x_ticks, plot.y_ticks):
        labels = [t.label for t in ticks]
        assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    for a, b in zip(plot.x_ticks, plot.x_ticks[1:], strict=False):
        assert b.pos - a.pos >= (len(a.label) + len(b.label)) / 2 * TICK_CHAR_PX
    label_ys = sorted(line.label_y for line in plot.lines)
    assert len(label_ys) == 3
    assert all(b - a >= 12 for a, b in zip(label_ys, label_ys[1:], strict=False))
    assert all(plot.top <= y <= plot.bottom for y in label_ys)
    assert all(len(line.label.split()[-1].split(".")[-1]) == 3 for line in plot.lines)


def test_thin_ticks_drops_every_other_label_when_crowded() -> None:
    from adjudication.pages.charts import Tick

    crowded = [Tick(float(i * 20), f"{i * 1000.5:.1f}") for i in range(8)]
    kept = thin_ticks(crowded, 8.0, horizontal=True)
    assert 1 < len(kept) < len(crowded) and kept[0] == crowded[0]


def test_the_pullback_page_prints_calibration_without_float_noise(
    world: Any, browser_as: Any
) -> None:
    from tests.factories import PullbackFactory

    pullback = PullbackFactory(
        study=world.study,
        pixel_spacing_row_mm=0.11111000000000004,
        pixel_spacing_col_mm=0.11111000000000004,
        frame_spacing_mm=0.2,
    )
    html = (
        browser_as(world.coordinator)
        .get(f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/")
        .content.decode()
    )
    assert "0.11111 mm × 0.11111 mm" in html and "0.2 mm" in html
    assert "0.11111000000000004" not in html
