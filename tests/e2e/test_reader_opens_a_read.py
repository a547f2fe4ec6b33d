"""A reader signs in, finds the read on the worklist and the viewer shows its frames."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.reading import assign_ana, phantom_pullback, until
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def assigned_read(transactional_db: Any, tmp_path: Path) -> Any:
    pullback, _, coordinator = phantom_pullback(
        "e2e",
        tmp_path / "p.dcm",
        frame_files=False,
        subject_code="S-0001",
        n_frames=30,
        rows=256,
        columns=256,
        seed=1,
    )
    return assign_ana(pullback, coordinator)


def test_reader_signs_in_and_the_viewer_paints_the_first_frame(
    page: Any, assigned_read: Any, tmp_path: Path
) -> None:
    sign_in(page, "ana", PASSWORD)
    link = page.locator(f"a[href='/reads/{assigned_read.pk}/']")
    assert link.count() == 1
    with page.expect_response(lambda r: "/frames/0" in r.url and r.status == 200):
        link.click()
    page.wait_for_selector("#viewer-root canvas")
    until(page, "() => window.__viewerStats?.firstFramePaintedMs != null")
    page.screenshot(path=str(tmp_path / "reader-viewer.png"))
    # Frame 0 was on screen first as the page's own image (its paint timed by Element Timing),
    # which the mounted viewer replaced.
    first_pixels, viewer_paint = page.evaluate(
        "[__viewerStats.firstPixelsMs, __viewerStats.firstFramePaintedMs]"
    )
    assert first_pixels is not None and first_pixels <= viewer_paint
    assert page.locator("img.vw-poster").count() == 0
    # Frame 0 crossed the network once: the viewer's own request for it (to decode it for the
    # viewer) came from the HTTP cache (transfer size 0), which frames must be cacheable for.
    transfers = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter((e) => /\\/frames\\/0$/.test(e.name)).map((e) => e.transferSize)"
    )
    assert len(transfers) == 2 and sorted(transfers)[0] == 0 and sorted(transfers)[1] > 0
    assert page.errors == []


def test_the_pullback_downloads_before_cornerstone_starts(page: Any, assigned_read: Any) -> None:
    """Frames first (issue 13): the batches are requested before the viewer mounts; no
    Cornerstone chunk is requested, nor Cornerstone evaluated, before every frame is in (or the
    wait for that has run out, CORNERSTONE_AFTER_MS after the page's script started); the viewer
    still mounts with Cornerstone."""
    sign_in(page, "ana", PASSWORD)
    # The frame worker's requests (they are not in the page's resource timing).
    batches: list[Any] = []
    page.on("requestfinished", lambda r: batches.append(r) if "/frames/?start=" in r.url else None)
    page.goto(f"/reads/{assigned_read.pk}/")
    until(page, "() => window.__viewerStats?.firstFramePaintedMs != null")

    stats = page.evaluate(
        "({cached: __viewerStats.allCachedMs, mounted: __viewerStats.firstFramePaintedMs, viewport: __viewerStats.viewport,"
        " evaluated: performance.getEntriesByName('viewer:cs-import')[0].startTime,"
        " origin: performance.timeOrigin,"
        " requests: performance.getEntriesByType('resource').map((e) => [e.name, e.startTime])})"
    )
    chunks = [t for name, t in stats["requests"] if "/viewer/chunks/cs-" in name]
    assert stats["viewport"].startswith("cornerstone")
    assert batches  # the request's start, like the page's clock, in ms since the epoch
    assert max(r.timing["startTime"] for r in batches) < stats["origin"] + stats["mounted"]
    gate = min(stats["cached"] or math.inf, 1500)  # CORNERSTONE_AFTER_MS after the script ran
    assert chunks and min(chunks) >= gate
    assert stats["evaluated"] >= gate


def test_the_viewer_mounts_when_no_frame_arrives(page: Any, assigned_read: Any) -> None:
    """Cornerstone waits for the frames only so long: with every frame request failing (the
    poster's too), it is still tried once the wait has run out, and the viewer mounts (on the
    canvas viewport, as whenever Cornerstone cannot start) saying that the frames failed."""
    sign_in(page, "ana", PASSWORD)
    page.route("**/frames/**", lambda route: route.abort())
    page.goto(f"/reads/{assigned_read.pk}/")

    until(page, "() => window.__viewerStats?.viewport")
    assert page.evaluate("__viewerStats.allCachedMs") is None
    tried = page.evaluate(
        "performance.getEntriesByName('viewer:cs-import').map((m) => m.startTime)"
    )
    assert len(tried) == 1 and tried[0] >= 1500
    until(page, "() => document.body.innerText.includes('30 failed')")


def test_frame_0_is_painted_without_the_viewers_scripts(page: Any, assigned_read: Any) -> None:
    sign_in(page, "ana", PASSWORD)
    page.route("**/viewer/read*.js", lambda route: route.abort())  # the viewer never starts
    page.goto(f"/reads/{assigned_read.pk}/")

    until(page, "() => document.querySelector('img.vw-poster')?.complete")

    poster = page.locator("img.vw-poster")
    assert poster.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [256, 256]
    box = poster.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200


def test_a_wrong_password_keeps_the_sign_in_page_with_a_message(
    page: Any, assigned_read: Any
) -> None:
    page.goto("/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "did not match" in page.locator("[role=alert]").inner_text()
