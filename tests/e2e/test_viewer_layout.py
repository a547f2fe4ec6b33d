"""Layout facts of the reading page at the analysts' screen sizes, and axe-core (WCAG 2 AA).

Screenshots go to ``SCREENSHOT_DIR`` when set (``docs/screenshots`` is refreshed that way),
else to the test's temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.reading import assign_ana, go_to, open_in_viewer, page_of_size, phantom_pullback
from tests.uploads import ingested_synthetic

pytestmark = pytest.mark.e2e

SIZES = [(1366, 768), (1920, 1080)]
AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def screenshot_path(tmp_path: Path, name: str) -> Path:
    target = os.environ.get("SCREENSHOT_DIR")
    folder = Path(target) if target else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core from node_modules (no CDN), every WCAG 2 A/AA rule, colour contrast included."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
        "nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + "
        "(n.any.concat(n.all)[0] || {message: ''}).message)})))"
    )
    return list(result)


def layout_facts(page: Any, image_selector: str) -> dict[str, Any]:
    return page.evaluate(
        """(sel) => {
          const box = (q) => { const e = document.querySelector(q); if (!e) return null;
            const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, height: r.height, width: r.width}; };
          return {
            innerHeight: window.innerHeight,
            scrollHeight: document.scrollingElement.scrollHeight,
            status: box('.vw-statusbar'),
            image: box(sel),
          };
        }""",
        image_selector,
    )


@pytest.fixture
def assigned_read(transactional_db: Any, tmp_path: Path) -> Any:
    pullback, _, coordinator = phantom_pullback(
        "layout",
        tmp_path / "p.dcm",
        frame_files=True,
        subject_code="S-0001",
        n_frames=40,
        rows=256,
        columns=256,
        seed=3,
    )
    return assign_ana(pullback, coordinator)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_reading_page_fits_the_screen_and_passes_axe(
    browser: Any, app_url: str, assigned_read: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    width, height = size
    with page_of_size(browser, app_url, size) as page:
        open_in_viewer(page, "ana", f"/reads/{assigned_read.pk}/")
        # Complete text of the page: no raw template comment.
        assert "{#" not in page.locator("body").inner_text()
        page.wait_for_timeout(300)
        facts = layout_facts(page, ".vw-views .vw-viewport")
        page.screenshot(path=str(screenshot_path(tmp_path, f"reading-{width}x{height}.png")))
        assert facts["status"]["bottom"] <= facts["innerHeight"], facts
        assert facts["image"]["height"] >= 0.7 * facts["innerHeight"], facts
        if (width, height) == (1366, 768):
            assert facts["scrollHeight"] <= facts["innerHeight"], facts  # the page never scrolls
        # The frame counter is 1-based with the position in mm; the status line shows refusals.
        assert page.locator(".vw-counter").inner_text().startswith("frame 1 / 40 · 0.")
        page.locator(".vw-overlay").focus()
        page.keyboard.press("]")  # no stent edges yet: the status line says why it steps
        assert "stent edges" in page.locator(".vw-statusbar").inner_text()
        # The frame panel lists analysis frames once the stent edges are set.
        assert page.locator(".vw-framepanel").is_visible()
        # The help overlay shows the keyboard map.
        page.keyboard.press("?")
        assert page.locator(".vw-help[aria-labelledby=vw-help-title]").is_visible()
        assert (
            "next incomplete"
            in page.locator(".vw-help[aria-labelledby=vw-help-title]").inner_text().lower()
        )
        page.keyboard.press("Escape")
        assert axe_violations(page) == []


def test_the_lmode_cursor_follows_the_frame(browser: Any, app_url: str, assigned_read: Any) -> None:
    """The L-mode's frame cursor sits over the shown frame's column, and moves with it (an
    element of its own, moved without redrawing the L-mode's canvas)."""
    with page_of_size(browser, app_url, SIZES[0]) as page:
        open_in_viewer(page, "ana", f"/reads/{assigned_read.pk}/")
        where = """() => {
          const l = document.querySelector('.vw-lmode-canvas').getBoundingClientRect();
          const c = document.querySelector('.vw-lmode-cursor').getBoundingClientRect();
          return {x: (c.left + c.right) / 2 - l.left, width: l.width, cursor: c.width,
                  top: c.top - l.top, height: c.height - l.height};
        }"""
        for frame in (0, 25, 39):
            go_to(page, frame)
            page.wait_for_timeout(100)
            box = page.evaluate(where)
            expected = (frame + 0.5) / 40 * box["width"]
            assert abs(box["x"] - expected) < 1.0, (frame, box, expected)
            assert box["cursor"] > 0 and box["top"] == 0 and box["height"] == 0, box


@pytest.fixture
def open_adjudication(transactional_db: Any, world: Any, tmp_path: Path) -> Any:
    """Two reads that disagree on a real (synthetic, ingested) pullback: an open adjudication."""
    from tests.conftest import sample_document
    from tests.metrics_pipeline.pipeline import submit_and_compare

    pullback, _ = ingested_synthetic(
        world.study,
        world.coordinator,
        tmp_path / "p.dcm",
        frame_files=True,
        subject_code="S-0002",
        n_frames=130,
        rows=512,
        columns=512,
        seed=5,
    )
    submit_and_compare(world, pullback, sample_document(150), sample_document(100))
    return pullback.adjudication


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_adjudication_workbench_is_one_screen_and_passes_axe(
    browser: Any, app_url: str, open_adjudication: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    width, height = size
    with page_of_size(browser, app_url, size) as page:
        open_in_viewer(page, "adjudicator", f"/adjudications/{open_adjudication.pk}/")
        page.wait_for_timeout(300)
        facts = layout_facts(page, "#adjudication-viewer .ad-pane:not([hidden]) .vw-viewport")
        page.screenshot(path=str(screenshot_path(tmp_path, f"adjudication-{width}x{height}.png")))
        assert facts["scrollHeight"] <= facts["innerHeight"], facts  # no page scroll
        assert facts["status"]["bottom"] <= facts["innerHeight"], facts
        if (width, height) == (1920, 1080):
            assert facts["image"]["height"] >= 0.7 * facts["innerHeight"], facts
        overflow = page.evaluate(
            """() => [...document.querySelectorAll('#flags th, #flags td, #flags table')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""
        )
        assert overflow == []  # no text overflows the flag table
        flags = page.locator("#flags").inner_text()
        assert "Minimum lumen area" in flags and "mm²" in flags and "mla_mm2" not in flags
        # The automatic proposal is a third, optional layer: listed with its status, hidden at
        # first, nothing to accept on this page.
        auto = page.locator(".ad-root .vw-auto")
        assert "Proposal" in auto.inner_text()
        assert not auto.locator("[data-auto=show]").is_checked()
        assert auto.locator("[data-auto=accept-all]").count() == 0
        assert axe_violations(page) == []
