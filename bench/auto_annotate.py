"""Benchmark: the automatic pre-annotation's speed and accuracy against ground truth (issue 10).

Synthetic pullbacks with every artefact the phantom has (blood residue, side-branch ostia,
guidewire shadow, struts with shadows, malapposed struts, calcium, a stenosis) are rendered in
memory (not timed), then analysed by ``adjudication.imaging.analyse_pullback`` in this one
process (one core), as the worker does. Figures: ms per frame and frames/s; lumen Dice
(median, 5th percentile), lumen area error, mean contour distance; strut sensitivity and
precision within 50 µm; stent area from the detected struts against the spline through the
true struts; confidence. Goals (issue 10): Dice median ≥ 0.97 and p5 ≥ 0.92, area error median
≤ 2 %, struts sensitivity ≥ 0.95 and precision ≥ 0.90, stent area within 2 %, ≤ 20 ms per
1024² frame (a 540-frame pullback in ≤ 10 s). Prints figures only (no asserts).

    .venv/bin/python bench/auto_annotate.py [--frames 540] [--size 1024] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adjudication.dicom.synthetic import synthetic_frames  # noqa: E402
from adjudication.imaging import LOW_CONFIDENCE, analyse_pullback  # noqa: E402
from adjudication.imaging.evaluation import (  # noqa: E402
    dice,
    match_points,
    mean_contour_distance_px,
    polygon_area_px2,
)
from adjudication.imaging.spline import sample_closed_spline  # noqa: E402


def run(n_frames: int, size: int, seed: int, pixel_spacing_mm: float) -> dict[str, float]:
    t0 = time.perf_counter()
    frames = list(
        synthetic_frames(
            n_frames=n_frames,
            rows=size,
            columns=size,
            seed=seed,
            pixel_spacing_mm=pixel_spacing_mm,
        )
    )
    render_s = time.perf_counter() - t0
    images = [f[0] for f in frames]
    truth = [f[1] for f in frames]
    t0 = time.perf_counter()
    proposal = analyse_pullback(images, pixel_spacing_mm=pixel_spacing_mm)
    analyse_s = time.perf_counter() - t0
    center = ((size - 1) / 2.0, (size - 1) / 2.0)
    dices, area_err, mcd, conf, stent_err = [], [], [], [], []
    tp = fp = fn = 0
    for i, t in enumerate(truth):
        lumen = proposal.frames[i].lumen
        true_lumen = np.array(t["lumen"])
        dices.append(dice(lumen.contour_px, true_lumen, center))
        true_area = polygon_area_px2(true_lumen)
        area_err.append(100 * (polygon_area_px2(lumen.contour_px) - true_area) / true_area)
        mcd.append(1000 * pixel_spacing_mm * mean_contour_distance_px(lumen.contour_px, true_lumen))
        conf.append(lumen.confidence)
        found = np.array([[s.x_px, s.y_px] for s in proposal.struts(i)]).reshape(-1, 2)
        a, b, c = match_points(found, np.array(t.get("struts", [])), 0.05 / pixel_spacing_mm)
        tp, fp, fn = tp + a, fp + b, fn + c
        entry = proposal.frame_entry(i)
        if "stent" in entry and t.get("stent"):
            true_stent = sample_closed_spline(
                np.array(t["stent"]), pixel_spacing_mm=pixel_spacing_mm
            )
            ta = polygon_area_px2(true_stent)
            stent_err.append(100 * abs(polygon_area_px2(np.array(entry["stent"])) - ta) / ta)
    d, e = np.array(dices), np.abs(np.array(area_err))
    return {
        "render_s": render_s,
        "analyse_s": analyse_s,
        "ms_per_frame": 1000 * analyse_s / n_frames,
        "dice_median": float(np.median(d)),
        "dice_p5": float(np.percentile(d, 5)),
        "area_err_median_pct": float(np.median(e)),
        "area_err_p95_pct": float(np.percentile(e, 95)),
        "area_bias_pct": float(np.mean(area_err)),
        "mcd_median_um": float(np.median(mcd)),
        "strut_sensitivity": tp / max(tp + fn, 1),
        "strut_precision": tp / max(tp + fp, 1),
        "struts_true": tp + fn,
        "stent_area_err_median_pct": float(np.median(stent_err)) if stent_err else float("nan"),
        "low_confidence_frames": sum(c < LOW_CONFIDENCE for c in conf),
        "confidence_median": float(np.median(conf)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=540)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--pixel-spacing-mm", type=float, default=0.01)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    for seed in args.seeds:
        r = run(args.frames, args.size, seed, args.pixel_spacing_mm)
        print(
            f"seed {seed}: {args.frames} frames {args.size}² analysed in {r['analyse_s']:.2f} s "
            f"({r['ms_per_frame']:.1f} ms/frame, {1000 / r['ms_per_frame']:.0f} frames/s; "
            f"rendering the phantom took {r['render_s']:.1f} s, not counted)"
        )
        print(
            f"  lumen: Dice median {r['dice_median']:.4f}, p5 {r['dice_p5']:.4f}; "
            f"|area error| median {r['area_err_median_pct']:.2f} %, p95 "
            f"{r['area_err_p95_pct']:.2f} %, bias {r['area_bias_pct']:+.2f} %; "
            f"mean contour distance median {r['mcd_median_um']:.1f} µm"
        )
        print(
            f"  struts: sensitivity {r['strut_sensitivity']:.3f}, precision "
            f"{r['strut_precision']:.3f} within 50 µm ({r['struts_true']} true struts); stent "
            f"area error median {r['stent_area_err_median_pct']:.2f} %"
        )
        print(
            f"  confidence: median {r['confidence_median']:.3f}, "
            f"{r['low_confidence_frames']} frames below {LOW_CONFIDENCE}"
        )


if __name__ == "__main__":
    main()
