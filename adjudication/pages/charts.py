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
MARGIN_RIGHT = 112
# Label sizes in SVG units at the plot's font sizes (11 px ticks, 10 px line labels).
TICK_CHAR_PX = 6.6
TICK_MIN_GAP_PX = 8.0
Y_TICK_MIN_GAP_PX = 14.0
LINE_LABEL_GAP_PX = 12.0
MARGIN_TOP = 18
MARGIN_BOTTOM = 52


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class RefLine:
    """A horizontal line (bias or a limit of agreement) with its label at the right edge;
    ``label_y`` is moved off ``y`` when labels of close lines would overlap."""

    y: float
    label: str
    css: str
    label_y: float = 0.0


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


def _decimals(step: float) -> int:
    return max(0, min(6, -math.floor(math.log10(step) + 1e-9) if step < 1 else 0))


def fmt(value: float, step: float | None = None, digits: int | None = None) -> str:
    """A short label: ``digits`` decimals, else as many as the tick step needs, else 3
    significant digits; a real minus sign and never ``-0``."""
    if digits is not None:
        text = f"{value:.{digits}f}"
    elif step is None:
        text = f"{value:.3g}"
    else:
        text = f"{value:.{_decimals(step)}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def tick_labels(values: list[float], step: float) -> list[str]:
    """Labels for ``values`` with the fewest decimals (from the step's) that keep every label
    distinct and exact (no repeated tick such as ``0.1 0.1 0.2``, no ``1.2`` for 1.25)."""
    decimals = _decimals(step)
    while True:
        labels = [fmt(v, digits=decimals) for v in values]
        exact = all(
            abs(float(label.replace("−", "-")) - v) <= 1e-9 * max(1.0, abs(v))
            for label, v in zip(labels, values, strict=True)
        )
        if (exact and len(set(labels)) == len(labels)) or decimals >= 6:
            return labels
        decimals += 1


def thin_ticks(ticks: list[Tick], min_gap: float, *, horizontal: bool) -> list[Tick]:
    """Every k-th tick, the smallest k for which neighbouring labels do not overlap
    (x: label widths plus a gap; y: a fixed line height)."""
    for k in range(1, max(2, len(ticks) + 1)):
        kept = ticks[::k]
        if all(
            abs(b.pos - a.pos)
            >= (
                (len(a.label) + len(b.label)) / 2 * TICK_CHAR_PX + min_gap
                if horizontal
                else min_gap
            )
            for a, b in zip(kept, kept[1:], strict=False)
        ):
            return kept
    return ticks[:1]


def spread_labels(ys: list[float], gap: float, top: float, bottom: float) -> list[float]:
    """Label positions near ``ys`` at least ``gap`` apart, kept within [top, bottom]
    (labels of close reference lines would otherwise print over each other)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [ys[i] for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - bottom if placed else 0.0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = [max(y, top) for y in placed]
    out = [0.0] * len(ys)
    for rank, i in enumerate(order):
        out[i] = round(placed[rank], 2)
    return out


def bland_altman_plot(
    *,
    metric: str,
    unit: str,
    result: dict[str, Any],
    unit_label: str | None = None,
    digits: int | None = None,
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
    x_values, y_values = nice_ticks(x_lo, x_hi), nice_ticks(y_lo, y_hi)
    x_ticks = [
        Tick(sx(v), label) for v, label in zip(x_values, tick_labels(x_values, x_step), strict=True)
    ]
    y_ticks = [
        Tick(sy(v), label) for v, label in zip(y_values, tick_labels(y_values, y_step), strict=True)
    ]
    plot.x_ticks = thin_ticks(x_ticks, TICK_MIN_GAP_PX, horizontal=True)
    plot.y_ticks = thin_ticks(y_ticks, Y_TICK_MIN_GAP_PX, horizontal=False)
    plot.zero_y = sy(0.0)
    bias, lower, upper = result.get("bias"), result.get("loa_lower"), result.get("loa_upper")

    def value(v: float) -> str:
        return fmt(v, digits=digits)

    if upper is not None:
        plot.lines.append(RefLine(sy(upper), f"+1.96 SD {value(upper)}", "ba-loa"))
    if bias is not None:
        plot.lines.append(RefLine(sy(bias), f"bias {value(bias)}", "ba-bias"))
    if lower is not None:
        plot.lines.append(RefLine(sy(lower), f"−1.96 SD {value(lower)}", "ba-loa"))
    label_ys = spread_labels(
        [line.y for line in plot.lines], LINE_LABEL_GAP_PX, plot.top + 5, plot.bottom - 5
    )
    plot.lines = [
        RefLine(line.y, line.label, line.css, label_y)
        for line, label_y in zip(plot.lines, label_ys, strict=True)
    ]
    described = f"Bland-Altman plot of {metric}: {len(pairs)} pullbacks"
    if bias is not None:
        described += f", bias {value(bias)}{suffix}"
    if lower is not None and upper is not None:
        described += f", limits of agreement {value(lower)} to {value(upper)}{suffix}"
    plot.description = described + "."
    return plot
