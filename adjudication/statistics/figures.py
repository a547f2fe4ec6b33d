"""Forest, ROC and Kaplan-Meier figures drawn by matplotlib from a ``statistics.json`` document.

Figures depend on the document only, so the app and ``manage.py study_statistics`` draw the
same pictures. SVG output is deterministic (fixed hash salt, no date), PNG is 150 dpi.
Colours are the Okabe-Ito colour-blind-safe palette.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .options import OUTCOME_LABELS  # noqa: E402

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
OR_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def figure_names(statistics: dict[str, Any]) -> list[str]:
    """Every figure the document supports: ``forest-<o>``, ``roc-<o>``, ``km-<o>-<event>``."""
    names = []
    for outcome, block in statistics.get("outcomes", {}).items():
        if any(v for v in block.get("univariable", {}).values()):
            names.append(f"forest-{outcome}")
        if any(v for v in block.get("roc", {}).values()):
            names.append(f"roc-{outcome}")
        for event, surv in block.get("survival", {}).items():
            if surv:
                names.append(f"km-{outcome}-{event}")
    return names


def render(statistics: dict[str, Any], name: str, fmt: str) -> bytes:
    """The figure ``name`` (one of :func:`figure_names`) as SVG or PNG bytes; KeyError if unknown."""
    if fmt not in FORMATS or name not in figure_names(statistics):
        raise KeyError(name)
    kind, _, rest = name.partition("-")
    outcomes = statistics["outcomes"]
    if kind == "km":
        outcome = next(o for o in outcomes if rest.startswith(f"{o}-"))
        figure = _km(outcome, rest[len(outcome) + 1 :], outcomes[outcome])
    elif kind == "forest":
        figure = _forest(rest, outcomes[rest])
    else:
        figure = _roc(rest, outcomes[rest])
    figure.text(0.0, -0.02, _footer(statistics), fontsize=6, color="#666666", va="top")
    return _save(figure, fmt)


def _footer(statistics: dict[str, Any]) -> str:
    """The settings and software behind the figure, printed under it."""
    settings = statistics.get("settings", {})
    software = ", ".join(f"{k} {v}" for k, v in statistics.get("software", {}).items())
    return (
        f"{statistics.get('n_pullbacks')} pullbacks, {statistics.get('n_subjects')} subjects; "
        f"timepoint {settings.get('timepoint')}; predictors {settings.get('predictor_rule')}\n"
        f"{software}"
    )


def _save(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "corelab", "svg.fonttype": "none"}):
        figure.savefig(
            buffer,
            format=fmt,
            dpi=150,
            bbox_inches="tight",
            metadata={"Date": None} if fmt == "svg" else None,
        )
    plt.close(figure)
    return buffer.getvalue()


def _forest(outcome: str, block: dict[str, Any]) -> Figure:
    rows: list[tuple[str, dict[str, Any], str]] = []
    for term, entry in block.get("univariable", {}).items():
        if entry:
            rows.append((term, entry, "univariable"))
    for term, entry in (block.get("multivariable") or {}).items():
        if entry:
            rows.append((term, entry, "multivariable"))
    height = 1.2 + 0.32 * len(rows)
    figure, axes = plt.subplots(figsize=(7.5, height))
    for i, (_term, entry, model) in enumerate(rows):
        y = len(rows) - i
        colour = OKABE_ITO[0] if model == "univariable" else OKABE_ITO[1]
        marker = "s" if model == "univariable" else "D"
        axes.plot([entry["ci_low"], entry["ci_high"]], [y, y], color=colour, linewidth=1.5)
        axes.plot([entry["or"]], [y], marker=marker, color=colour, markersize=6)
    axes.axvline(1.0, color="#555555", linewidth=0.8, linestyle="--")
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(ticker.FixedLocator(OR_TICKS))
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axes.xaxis.set_minor_locator(ticker.NullLocator())
    axes.set_yticks([len(rows) - i for i in range(len(rows))])
    axes.set_yticklabels(
        [f"{term} ({'uni' if model == 'univariable' else 'multi'})" for term, _, model in rows]
    )
    axes.set_xlabel("Odds ratio (95 % CI, log scale)")
    axes.set_title(f"Predictors of {OUTCOME_LABELS.get(outcome, outcome)} ({block.get('model')})")
    axes.set_ylim(0.4, len(rows) + 0.6)
    lows = [e["ci_low"] for _, e, _ in rows if e.get("ci_low")]
    highs = [e["ci_high"] for _, e, _ in rows if e.get("ci_high")]
    if lows and highs:
        axes.set_xlim(min(min(lows), 0.9) / 1.3, max(max(highs), 1.1) * 1.3)
    axes.grid(axis="x", which="major", color="#dddddd", linewidth=0.6)
    return figure


def _roc(outcome: str, block: dict[str, Any]) -> Figure:
    figure, axes = plt.subplots(figsize=(5.6, 5.2))
    axes.plot([0, 1], [0, 1], color="#888888", linestyle=":", linewidth=0.8)
    for i, (name, entry) in enumerate((n, e) for n, e in block.get("roc", {}).items() if e):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        curve = entry["curve"]
        label = f"{name}: AUC {entry['auc']:.2f}"
        if entry.get("ci_low") is not None and entry.get("ci_high") is not None:
            label += f" ({entry['ci_low']:.2f}–{entry['ci_high']:.2f})"
        axes.plot(curve["fpr"], curve["tpr"], color=colour, linewidth=1.4, label=label)
        axes.plot(
            [1 - entry["specificity"]],
            [entry["sensitivity"]],
            marker="o",
            color=colour,
            markersize=5,
        )
    axes.set_xlabel("1 − specificity")
    axes.set_ylabel("Sensitivity")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.01)
    axes.set_aspect("equal")
    axes.set_title(f"ROC: {OUTCOME_LABELS.get(outcome, outcome)}")
    axes.legend(loc="lower right", fontsize=7, frameon=False)
    return figure


def _km(outcome: str, event: str, block: dict[str, Any]) -> Figure:
    surv = block["survival"][event]
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    label = OUTCOME_LABELS.get(outcome, outcome)
    for colour, group in ((OKABE_ITO[1], "yes"), (OKABE_ITO[0], "no")):
        curve = surv["curves"][group]
        times = (
            [0.0, *curve["time_days"]] if curve["time_days"][:1] != [0.0] else curve["time_days"]
        )
        values = (
            [1.0, *curve["survival"]] if len(times) > len(curve["survival"]) else curve["survival"]
        )
        n = surv["n_by_group"][group]
        events = surv["events_by_group"][group]
        axes.step(
            times,
            values,
            where="post",
            color=colour,
            linewidth=1.5,
            label=f"{'with' if group == 'yes' else 'without'} {label} (n={n}, events={events})",
        )
    p = surv.get("logrank_p")
    p_text = (
        "p < 0.001" if p is not None and p < 0.001 else f"p = {p:.3f}" if p is not None else "p n/a"
    )
    axes.text(0.02, 0.04, f"log-rank {p_text}", transform=axes.transAxes)
    axes.set_ylim(0, 1.02)
    axes.set_xlim(left=0)
    axes.set_xlabel("Days")
    axes.set_ylabel(f"{event.upper()}-free survival")
    axes.set_title(f"Kaplan-Meier: {event} by {label}")
    axes.legend(loc="lower right", fontsize=7, frameon=False)
    if not math.isfinite(axes.get_xlim()[1]):
        axes.set_xlim(0, 1)
    return figure
