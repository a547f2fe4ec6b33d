"""Read-effort benchmark (issue 10): one full read of a synthetic pullback, by hand and with the
automatic proposal, counting the reader's clicks and key presses.

    bin/test-style environment, then:  .venv/bin/python bench/read_effort.py

It runs itself under pytest (Django's live server, a throwaway test database, Debian's
Chromium through Playwright as in ``tests/e2e``). The pullback is the phantom with every
artefact (60 frames, 512², 0.01 mm pixels, 0.2 mm frames). "Full read" is what SPEC §2
requires for a complete read: stent edges, a lumen on every analysis frame, struts inside the
stent (calcium is marked where present and is not required, so it is left out of both counts).

- by hand (Reader 1): E and Enter on each stent edge (frames reached with Page Down / arrows),
  then per analysis frame: I (next incomplete), L, 8 clicks on the lumen (the contour is a
  spline through them), Enter, one click per strut (the tool sequence selects Struts itself);
- with the proposal (Reader 2): "Accept all analysis frames", then the same manual work on the
  frames the proposal leaves for drawing by hand (low confidence).

Both reads must end complete (the frame list shows no incomplete frame). The figures are
printed; the goal is ≥ 10× fewer actions with the proposal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if __name__ == "__main__":  # run as a script: pytest (with Django's settings) imports this module
    sys.exit(
        pytest.main(
            [
                __file__,
                "-q",
                "-s",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(ROOT),
            ]
        )
    )

import tests.conftest  # noqa: E402, F401  (test connections may empty the audit table)
from tests.e2e.conftest import browser  # noqa: E402, F401  (fixtures)
from tests.e2e.reading import open_in_viewer, until, wait_saved  # noqa: E402

N_FRAMES = 60
SIZE = 512
PIXEL_SPACING_MM = 0.01
FRAME_SPACING_MM = 0.2
LUMEN_CLICKS = 8


@dataclass
class Actions:
    clicks: int = 0
    keys: int = 0

    @property
    def total(self) -> int:
        return self.clicks + self.keys


class Reader:
    """The reader's hands: every click and key press is counted."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.actions = Actions()

    def key(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.actions.keys += 1

    def click_image(self, point: list[float]) -> None:
        x, y = self.page.evaluate("([x, y]) => window.__viewer.imageToScreen(x, y)", point)
        box = self.page.locator(".vw-overlay").bounding_box()
        self.page.mouse.click(box["x"] + x, box["y"] + y)
        self.actions.clicks += 1

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.actions.clicks += 1

    def go_to(self, frame: int) -> None:
        """Keyboard navigation from the current frame: Page Down / Up, then arrows."""
        current = self.page.evaluate("() => window.__viewer.frame()")
        delta = frame - current
        step, big = (1, "PageDown") if delta > 0 else (-1, "PageUp")
        for _ in range(abs(delta) // 10):
            self.key(big)
        for _ in range(abs(delta) % 10):
            self.key("ArrowRight" if step > 0 else "ArrowLeft")
        until(self.page, f"() => window.__viewer.frame() === {frame}")

    def draw_frame(self, truth: dict[str, Any], frame: int, stented: bool) -> None:
        expected = truth["frames"][str(frame)]
        self.key("l")
        lumen = expected["lumen"]
        for point in lumen[:: max(1, len(lumen) // LUMEN_CLICKS)][:LUMEN_CLICKS]:
            self.click_image(point)
        self.key("Enter")
        if stented:
            if (
                self.page.locator(".vw-tool[data-tool=struts]").get_attribute("aria-pressed")
                != "true"
            ):
                self.key("s")
            for strut in expected.get("struts", []):
                self.click_image(strut)
                self.page.wait_for_timeout(420)  # single clicks wait out the double-click window


def incomplete_frames(page: Any) -> list[int]:
    return [
        int(f)
        for f in page.eval_on_selector_all(
            ".vw-frames li[data-complete=false]", "els => els.map(e => e.dataset.frame)"
        )
    ]


def finish_by_hand(reader: Reader, truth: dict[str, Any]) -> None:
    stent = truth["stent"]
    while frames := incomplete_frames(reader.page):
        before = len(frames)
        reader.key("i")
        frame = reader.page.evaluate("() => window.__viewer.frame()")
        reader.draw_frame(truth, frame, stent["distal_frame"] <= frame <= stent["proximal_frame"])
        wait_saved(reader.page)
        if len(incomplete_frames(reader.page)) >= before:
            raise AssertionError(f"frame {frame} did not become complete")


@pytest.fixture
def reads(transactional_db: Any, tmp_path: Path) -> tuple[Any, Any, dict[str, Any]]:
    from adjudication.services import assignment, auto_annotations
    from tests.e2e.reading import READERS, phantom_pullback

    pullback, truth, coordinator = phantom_pullback(
        "bench-effort",
        tmp_path / "p.dcm",
        frame_files=True,
        subject_code="S-0009",
        n_frames=N_FRAMES,
        rows=SIZE,
        columns=SIZE,
        seed=9,
        pixel_spacing_mm=PIXEL_SPACING_MM,
        frame_spacing_mm=FRAME_SPACING_MM,
        artefacts=True,
    )
    auto_annotations.pullback_auto_annotate(pullback_pk=pullback.pk)
    first, second = assignment.pullback_assign_readers(
        pullback=pullback, actor=coordinator, usernames=READERS
    )
    return first, second, truth


def test_read_effort(browser: Any, live_server: Any, reads: Any) -> None:  # noqa: F811
    first, second, truth = reads
    results: dict[str, Actions] = {}
    for label, read, username, accept in [
        ("by hand", first, "ana", False),
        ("with the proposal", second, "ben", True),
    ]:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1920, "height": 1080}
        )
        page = context.new_page()
        try:
            open_in_viewer(page, username, f"/reads/{read.pk}/")
            page.locator(".vw-overlay").focus()
            reader = Reader(page)
            if accept:
                until(
                    page,
                    "() => document.querySelector('[data-auto=status]')?.textContent.startsWith('Proposal ready')",
                    timeout_s=60,
                )
                reader.click("[data-auto=accept-all]")
                wait_saved(page)
                page.locator(".vw-overlay").focus()
            else:
                stent = truth["stent"]
                reader.go_to(stent["distal_frame"])
                reader.key("e")
                reader.key("Enter")
                reader.go_to(stent["proximal_frame"])
                reader.key("Enter")
                wait_saved(page)
            finish_by_hand(reader, truth)
            wait_saved(page)
            assert incomplete_frames(page) == []
            analysis = len(page.locator(".vw-frames li").all())
            results[label] = reader.actions
            print(
                f"{label:>18}: {reader.actions.clicks} clicks + {reader.actions.keys} keys "
                f"= {reader.actions.total} actions ({analysis} analysis frames)"
            )
        finally:
            context.close()
    hand, auto = results["by hand"], results["with the proposal"]
    print(f"{'ratio':>18}: {hand.total / max(1, auto.total):.1f}× fewer actions with the proposal")
