"""The proposed lumen against the phantom's ground truth, frame by frame (SPEC §11)."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from adjudication.domain.geometry import is_simple_polygon
from adjudication.imaging import LOW_CONFIDENCE, analyse_frame, analyse_pullback
from adjudication.imaging.evaluation import dice, mean_contour_distance_px, polygon_area_px2

from .conftest import PIXEL_SPACING_MM, Analysed


def _errors(a: Analysed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dices, area_errors_pct, distances_um = [], [], []
    for frame, truth in zip(a.proposal.frames, a.truth, strict=True):
        contour, true_lumen = frame.lumen.contour_px, np.array(truth["lumen"])
        dices.append(dice(contour, true_lumen, a.center))
        true_area = polygon_area_px2(true_lumen)
        area_errors_pct.append(100 * (polygon_area_px2(contour) - true_area) / true_area)
        distances_um.append(1000 * PIXEL_SPACING_MM * mean_contour_distance_px(contour, true_lumen))
    return np.array(dices), np.array(area_errors_pct), np.array(distances_um)


def test_lumen_area_is_within_a_few_percent_of_the_truth_on_typical_frames(
    analysed: Analysed,
) -> None:
    _, area_errors_pct, _ = _errors(analysed)
    assert np.median(np.abs(area_errors_pct)) <= 2.0
    assert np.percentile(np.abs(area_errors_pct), 90) <= 4.0
    assert abs(np.mean(area_errors_pct)) <= 1.5  # no systematic bias


def test_lumen_dice_and_contour_distance_meet_the_goals(analysed: Analysed) -> None:
    dices, _, distances_um = _errors(analysed)
    assert np.median(dices) >= 0.97
    assert np.percentile(dices, 5) >= 0.92
    assert np.median(distances_um) <= 20.0
    assert distances_um.max() <= 60.0


def test_side_branch_ostia_and_blood_residue_are_bridged(analysed: Analysed) -> None:
    dices, area_errors_pct, _ = _errors(analysed)
    ostia = [i for i, t in enumerate(analysed.truth) if t["side_branch"]]
    blood = [i for i, t in enumerate(analysed.truth) if t["blood_residue"]]
    assert len(ostia) >= 3 and len(blood) >= 5  # the phantom really has them
    for i in ostia + blood:
        assert dices[i] >= 0.95, (i, dices[i])
        assert abs(area_errors_pct[i]) <= 6.0, (i, area_errors_pct[i])


def test_a_catheter_against_the_wall_still_gives_the_lumen(analysed: Analysed) -> None:
    dices, area_errors_pct, _ = _errors(analysed)
    eccentric = [i for i, t in enumerate(analysed.truth) if t["eccentric"]]
    assert len(eccentric) >= 2
    for i in eccentric:
        assert dices[i] >= 0.97, (i, dices[i])
        assert abs(area_errors_pct[i]) <= 3.0, (i, area_errors_pct[i])
        assert analysed.proposal.frames[i].lumen.confidence >= LOW_CONFIDENCE


def test_jpeg_and_colour_mapped_frames_give_the_same_lumen(analysed: Analysed) -> None:
    """What ingest stores: lossy JPEG, and consoles' bronze colour map (RGB)."""
    from adjudication.dicom.synthetic import _to_pixels

    def jpeg(pixels: np.ndarray) -> np.ndarray:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
        return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))

    frames = range(20, 32)  # stented, stenotic, calcified frames
    for variant in (
        [jpeg(analysed.images[i]) for i in frames],
        [jpeg(_to_pixels(analysed.images[i] / np.float32(255), "RGB", 8)) for i in frames],
    ):
        proposal = analyse_pullback(variant, pixel_spacing_mm=PIXEL_SPACING_MM)
        for frame, i in zip(proposal.frames, frames, strict=True):
            true_lumen = np.array(analysed.truth[i]["lumen"])
            assert dice(frame.lumen.contour_px, true_lumen, analysed.center) >= 0.97


def test_contour_is_a_closed_simple_curve_with_vertices_at_most_0_1_mm_apart(
    analysed: Analysed,
) -> None:
    for frame in analysed.proposal.frames:
        contour = frame.lumen.contour_px
        steps = np.hypot(*np.diff(np.vstack([contour, contour[:1]]), axis=0).T)
        assert steps.max() * PIXEL_SPACING_MM <= 0.1
        assert is_simple_polygon([tuple(p) for p in contour.tolist()])
        assert len(frame.lumen.control_px) >= 8
    # the control points lie on the curve they define
    frame = analysed.proposal.frames[0]
    for x, y in frame.lumen.control_px:
        assert np.hypot(*(frame.lumen.contour_px - [x, y]).T).min() < 1.0


def test_typical_frames_are_confident(analysed: Analysed) -> None:
    confidences = [f.lumen.confidence for f in analysed.proposal.frames]
    assert min(confidences) >= LOW_CONFIDENCE
    assert np.median(confidences) >= 0.9


def _blood_filled(image: np.ndarray, level: float, seed: int) -> np.ndarray:
    """A flush failure: the lumen full of blood, from the sheath almost to the wall."""
    rows, columns = image.shape
    yy, xx = np.mgrid[0:rows, 0:columns]
    r = np.hypot(xx - (columns - 1) / 2, yy - (rows - 1) / 2)
    inside = (r > 45) & (r < 140)
    out = image.astype(float)
    blood = np.random.default_rng(seed).gamma(4.0, 0.25, inside.sum()) * level
    out[inside] = np.maximum(out[inside], blood)
    return np.clip(out, 0, 255).astype(np.uint8)


def test_bad_images_get_a_low_confidence_never_a_confident_wrong_contour(
    analysed: Analysed,
) -> None:
    rng = np.random.default_rng(3)
    noise = np.clip(rng.gamma(4.0, 0.25, (512, 512)) * 60, 0, 255).astype(np.uint8)
    blank = np.zeros((512, 512), dtype=np.uint8)
    flush_failures = [_blood_filled(analysed.images[0], level, 5) for level in (100, 150, 240)]
    for image in [noise, blank, *flush_failures]:
        frame = analyse_frame(image, pixel_spacing_mm=PIXEL_SPACING_MM)
        assert frame.lumen.confidence < LOW_CONFIDENCE
        assert len(frame.lumen.contour_px) >= 3  # a low-confidence frame still has a contour


def test_a_bad_frame_does_not_derail_its_neighbours(analysed: Analysed) -> None:
    """The sequence constrains each frame, but an unusable frame must not drag the next ones."""
    images = list(analysed.images[:12])
    images[5] = np.zeros_like(images[5])
    proposal = analyse_pullback(images, pixel_spacing_mm=PIXEL_SPACING_MM)
    assert proposal.frames[5].lumen.confidence < LOW_CONFIDENCE
    for i in (6, 7, 8):
        true_lumen = np.array(analysed.truth[i]["lumen"])
        assert dice(proposal.frames[i].lumen.contour_px, true_lumen, analysed.center) >= 0.97


def test_angles_follow_spec_geometry_clockwise_from_three_o_clock() -> None:
    """A lumen shifted right of the catheter comes out right of it (x = column, y = row)."""
    size = 256
    yy, xx = np.mgrid[0:size, 0:size]
    c = (size - 1) / 2
    # an eccentric disc lumen (radius 60 px, centre 20 px right and 10 px below the catheter)
    wall = np.hypot(xx - (c + 20), yy - (c + 10)) > 60
    image = np.where(wall, 200, 5).astype(np.uint8)
    image[np.abs(np.hypot(xx - c, yy - c) - 18) < 1.5] = 220  # the sheath
    frame = analyse_frame(image, pixel_spacing_mm=0.02)
    cx, cy = np.mean(frame.lumen.contour_px, axis=0)
    assert math.isclose(cx, c + 20, abs_tol=2.0)
    assert math.isclose(cy, c + 10, abs_tol=2.0)
    area = polygon_area_px2(frame.lumen.contour_px)
    assert math.isclose(area, math.pi * 60**2, rel_tol=0.04)
