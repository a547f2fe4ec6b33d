"""Server-rendered Bland-Altman plots: plain geometry for an inline SVG template (SPEC §7).

No plotting library: the picture is a handful of lines, circles and labels, so the template
draws it from the numbers computed here (in SVG user units, y down).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

WIDTH = 520
HEIGHT = 320
MARGIN_LEFT = 64
MARGIN_RIGHT = 92
MARGIN_TOP = 18
MARGIN_BOTTOM = 52


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class RefLine:
    """A horizontal line (bias or a limit of agreement) with its label at the right edge."""

    y: float
    label: str
    css: str


@dataclass
class BlandAltmanPlot:
    metric: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    left: float = MARGIN_LEFT
    right: float = WIDTH - MARGIN_RIGHT
    top: float = MARGIN_TOP
    bottom: float = HEIGHT - MARGIN_BOTTOM
    points: list[tuple[float, float]] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    lines: list[RefLine] = field(default_factory=list)
    zero_y: float | None = None
    x_label: str = ""
    y_label: str = ""
    description: str = ""

    @property
    def x_label_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def y_label_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def label_x(self) -> float:
        return self.right + 6


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A 1-2-5 × 10^k step giving about ``target_ticks`` ticks over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target_ticks)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def nice_ticks(lo: float, hi: float, target_ticks: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    step = nice_step(hi - lo, target_ticks)
    first = math.ceil(lo / step - 1e-9) * step
    ticks: list[float] = []
    value = first
    while value <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _padded(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo <= 1e-12:
        pad = max(abs(lo) * 0.1, 1.0)
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def fmt(value: float, step: float | None = None) -> str:
    """A short label: as many decimals as the tick step needs (at most 4)."""
    if step is None:
        return f"{value:.3g}"
    decimals = max(0, min(4, -math.floor(math.log10(step)) if step < 1 else 0))
    return f"{value:.{decimals}f}"


def bland_altman_plot(
    *, metric: str, unit: str, result: dict[str, Any], unit_label: str | None = None
) -> BlandAltmanPlot | None:
    """Geometry of the Bland-Altman plot of one metric, or None when there is no pair.

    ``result`` is one metric of ``domain.agreement.continuous_agreement``: ``bland_altman``
    pairs ``{mean, diff}`` (reader 1 − reader 2), ``bias``, ``loa_lower``, ``loa_upper``.
    """
    pairs = [
        (float(p["mean"]), float(p["diff"]))
        for p in result.get("bland_altman") or []
        if p.get("mean") is not None and p.get("diff") is not None
    ]
    if not pairs:
        return None
    shown_unit = unit_label if unit_label is not None else unit
    suffix = f" ({shown_unit})" if shown_unit else ""
    plot = BlandAltmanPlot(
        metric=metric,
        unit=shown_unit,
        x_label=f"Mean of Reader 1 and Reader 2{suffix}",
        y_label=f"Reader 1 − Reader 2{suffix}",
    )
    means = [m for m, _ in pairs]
    diffs = [d for _, d in pairs]
    refs = [
        v
        for v in (result.get("bias"), result.get("loa_lower"), result.get("loa_upper"))
        if v is not None
    ]
    x_lo, x_hi = _padded(min(means), max(means))
    y_lo, y_hi = _padded(min([*diffs, *refs, 0.0]), max([*diffs, *refs, 0.0]))

    def sx(x: float) -> float:
        return round(plot.left + (x - x_lo) / (x_hi - x_lo) * (plot.right - plot.left), 2)

    def sy(y: float) -> float:
        return round(plot.bottom - (y - y_lo) / (y_hi - y_lo) * (plot.bottom - plot.top), 2)

    plot.points = [(sx(m), sy(d)) for m, d in pairs]
    x_step = nice_step(x_hi - x_lo)
    y_step = nice_step(y_hi - y_lo)
    plot.x_ticks = [Tick(sx(v), fmt(v, x_step)) for v in nice_ticks(x_lo, x_hi)]
    plot.y_ticks = [Tick(sy(v), fmt(v, y_step)) for v in nice_ticks(y_lo, y_hi)]
    plot.zero_y = sy(0.0)
    bias, lower, upper = result.get("bias"), result.get("loa_lower"), result.get("loa_upper")
    if bias is not None:
        plot.lines.append(RefLine(sy(bias), f"bias {fmt(bias)}", "ba-bias"))
    if upper is not None:
        plot.lines.append(RefLine(sy(upper), f"+1.96 SD {fmt(upper)}", "ba-loa"))
    if lower is not None:
        plot.lines.append(RefLine(sy(lower), f"−1.96 SD {fmt(lower)}", "ba-loa"))
    described = f"Bland-Altman plot of {metric}: {len(pairs)} pullbacks"
    if bias is not None:
        described += f", bias {fmt(bias)}{suffix}"
    if lower is not None and upper is not None:
        described += f", limits of agreement {fmt(lower)} to {fmt(upper)}{suffix}"
    plot.description = described + "."
    return plot
