"""A reader completes a read mostly by accepting the automatic proposal (SPEC §11, issue 10).

The pullback is a synthetic phantom with every artefact; the worker's service computes the
proposal (called directly: the browser test needs no worker process). In Chromium the reader
accepts the proposal on every analysis frame with one click, reshapes one lumen by dragging a
control point of its spline, and submits. The saved document carries the provenance, the
edited contour and its control points; the metrics match the phantom's truth and
``auto_accepted_pct`` counts the contours accepted unedited.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from adjudication.domain.annotations import parse_document
from adjudication.domain.geometry import polygon_area
from adjudication.models import FrameMetrics, Read, ReadMetrics
from adjudication.services import auto_annotations, metrics
from tests.e2e.reading import (
    assign_ana,
    go_to,
    open_in_viewer,
    phantom_pullback,
    until,
    wait_saved,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

N_FRAMES = 60
SIZE = 512
PIXEL_SPACING_MM = 0.01
FRAME_SPACING_MM = 0.2
DRAG_SCREEN_PX = 14


@pytest.fixture
def read_with_proposal(transactional_db: Any, tmp_path: Path) -> tuple[Read, dict[str, Any]]:
    pullback, truth, coordinator = phantom_pullback(
        "e2e-auto",
        tmp_path / "p.dcm",
        frame_files=False,
        subject_code="S-0003",
        n_frames=N_FRAMES,
        rows=SIZE,
        columns=SIZE,
        seed=9,
        pixel_spacing_mm=PIXEL_SPACING_MM,
        frame_spacing_mm=FRAME_SPACING_MM,
        artefacts=True,
    )
    auto_annotations.pullback_auto_annotate(pullback_pk=pullback.pk)
    return assign_ana(pullback, coordinator), truth


def test_reader_accepts_the_proposal_edits_one_contour_and_submits(
    page: Any, read_with_proposal: tuple[Read, dict[str, Any]], tmp_path: Path
) -> None:
    read, truth = read_with_proposal
    open_in_viewer(page, "ana", f"/reads/{read.pk}/")
    until(
        page,
        "() => document.querySelector('[data-auto=status]')?.textContent.startsWith('Proposal ready')",
    )
    page.click("[data-auto=accept-all]")
    wait_saved(page)
    saved = Read.objects.get(pk=read.pk).annotations
    accepted = [k for k, e in saved["frames"].items() if e.get("source", {}).get("lumen") == "auto"]
    assert saved["stent"] == truth["stent"] or all(
        abs(saved["stent"][k] - truth["stent"][k]) <= 1 for k in truth["stent"]
    )
    assert len(accepted) >= 10
    assert page.locator("[data-auto=status]").get_attribute("data-needs-manual") == ""

    # Reshape one lumen: drag its first control point outwards with the Lumen tool.
    frame = min(int(k) for k in accepted)
    before = saved["frames"][str(frame)]
    go_to(page, frame)
    page.keyboard.press("l")
    handle = before["lumen_ctrl"][0]
    x, y = page.evaluate("([x, y]) => window.__viewer.imageToScreen(x, y)", handle)
    cx, cy = page.evaluate("([x, y]) => window.__viewer.imageToScreen(x, y)", [255.5, 255.5])
    norm = math.hypot(x - cx, y - cy)
    box = page.locator(".vw-overlay").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.down()
    for step in range(1, 8):
        f = DRAG_SCREEN_PX * step / 7 / norm
        page.mouse.move(box["x"] + x + (x - cx) * f, box["y"] + y + (y - cy) * f)
    page.mouse.up()
    wait_saved(page)
    _until_saved_source(read, frame)
    edited = Read.objects.get(pk=read.pk).annotations["frames"][str(frame)]
    assert edited["source"]["lumen"] == "auto_edited"
    moved = edited["lumen_ctrl"][0]
    assert math.hypot(moved[0] - handle[0], moved[1] - handle[1]) > 5
    assert min(math.hypot(p[0] - moved[0], p[1] - moved[1]) for p in edited["lumen"]) < 0.05
    assert polygon_area([tuple(p) for p in edited["lumen"]]) > polygon_area(
        [tuple(p) for p in before["lumen"]]
    )

    # Submit with the password, then the metrics.
    page.click(".vw-submit-button")
    page.fill("#vw-submit-password", PASSWORD)
    page.click("text=Sign and submit")
    until(page, "() => document.querySelector('.vw-submit-button').disabled")
    read.refresh_from_db()
    assert read.status == "submitted"
    parse_document(read.annotations, n_frames=N_FRAMES, rows=SIZE, columns=SIZE)
    metrics.read_compute_metrics(read_pk=read.pk)
    values = ReadMetrics.objects.get(read=read)
    n_lumens = sum(1 for e in read.annotations["frames"].values() if e.get("lumen"))
    assert values.auto_accepted_pct == pytest.approx(100 * (n_lumens - 1) / n_lumens)
    for row in FrameMetrics.objects.filter(read=read).exclude(frame=frame):
        true_area = truth["frames"][str(row.frame)]["lumen_area_mm2"]
        assert row.lumen_area_mm2 == pytest.approx(true_area, rel=0.05), row.frame
    assert page.errors == []  # type: ignore[attr-defined]
    page.screenshot(path=str(tmp_path / "reader-accepted-proposal.png"))


def _until_saved_source(read: Read, frame: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entry = Read.objects.get(pk=read.pk).annotations["frames"].get(str(frame), {})
        if entry.get("source", {}).get("lumen") == "auto_edited":
            return
        time.sleep(0.1)
    raise AssertionError("the edited contour was not saved")
