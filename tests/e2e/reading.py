"""The reading tests' shared steps: a study whose analysts ``ana`` and ``ben`` read one ingested
phantom, and what a reader does in the viewer (sign in, open, wait, navigate, click, save).

Waits poll a JavaScript function with ``page.evaluate``: ``wait_for_function`` evaluates strings
with ``eval``, which the pages' Content Security Policy (script-src 'self') rightly forbids.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adjudication.services import assignment
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory, study_with_coordinator
from tests.uploads import ingested_synthetic

READERS = ["ana", "ben"]


def reading_study(code: str) -> tuple[Any, Any]:
    """A study with the coordinator ``coord`` and the analysts ``ana`` and ``ben``."""
    study, coordinator = study_with_coordinator(code=code)
    for name in READERS:
        MembershipFactory(study=study, user=UserFactory(username=name), role="analyst")
    return study, coordinator


def phantom_pullback(
    code: str, path: Path, *, frame_files: bool, subject_code: str, **synthetic: Any
) -> tuple[Any, dict[str, Any], Any]:
    """A ``reading_study`` whose one pullback is the phantom (``synthetic`` goes to
    ``make_synthetic_pullback``), ingested here (``frame_files``: see ``tests.uploads``);
    returns it, the phantom's truth and the coordinator, before any reader is assigned."""
    study, coordinator = reading_study(code)
    pullback, truth = ingested_synthetic(
        study, coordinator, path, frame_files=frame_files, subject_code=subject_code, **synthetic
    )
    return pullback, truth, coordinator


def assign_ana(pullback: Any, coordinator: Any) -> Any:
    """Assigns ``ana`` and ``ben``; ``ana``'s read."""
    return assignment.pullback_assign_readers(
        pullback=pullback, actor=coordinator, usernames=READERS
    )[0]


def until(page: Any, js: str, timeout_s: float = 20.0) -> Any:
    """Polls ``js`` (a function) until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout_s
    while not (value := page.evaluate(js)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {js}")
        page.wait_for_timeout(50)
    return value


def painted(page: Any) -> None:
    """The viewer has painted its first frame."""
    until(page, "() => Boolean(window.__viewerStats && window.__viewerStats.firstFramePaintedMs)")


def open_in_viewer(page: Any, username: str, url: str) -> None:
    """Signs ``username`` in, opens ``url`` (a reading or adjudication page), waits for paint."""
    sign_in(page, username, PASSWORD)
    page.goto(url)
    painted(page)


@contextmanager
def page_of_size(browser: Any, app_url: str, size: tuple[int, int]) -> Iterator[Any]:
    """A page in a fresh browser context with a ``size`` (width, height) viewport."""
    width, height = size
    context = browser.new_context(base_url=app_url, viewport={"width": width, "height": height})
    try:
        yield context.new_page()
    finally:
        context.close()


def go_to(page: Any, frame: int) -> None:
    """Keyboard navigation only (what a reader does): Home, Page Down, arrows."""
    page.locator(".vw-overlay").focus()
    page.keyboard.press("Home")
    for _ in range(frame // 10):
        page.keyboard.press("PageDown")
    for _ in range(frame % 10):
        page.keyboard.press("ArrowRight")
    until(page, f"() => window.__viewer && window.__viewer.frame() === {frame}")


def click_image(page: Any, point: list[float]) -> None:
    """A click at ``point`` in image pixels, through the viewer's own transform."""
    x, y = page.evaluate("([x, y]) => window.__viewer.imageToScreen(x, y)", point)
    box = page.locator(".vw-overlay").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def wait_saved(page: Any) -> None:
    """The autosave indicator shows a saved version."""
    until(page, "() => document.querySelector('.vw-save')?.textContent.startsWith('saved v')")
