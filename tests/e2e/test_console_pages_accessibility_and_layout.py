"""Every console page, the sign-in page and the worklist: WCAG 2 A/AA checks (axe-core, run
in Chromium from the npm package's file, no CDN) and layout facts at 1366×768 and 1920×1080
(no horizontal overflow, every table inside the viewport), with a screenshot of each.

``UPDATE_SCREENSHOTS=1`` writes the 1366×768 screenshots to ``docs/screenshots/`` (the
README's "Screenshots" section); otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from adjudication.models import AuditEvent, AutoAnnotation, Read, ReadMetrics
from adjudication.services.reads import read_save_annotations
from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    PullbackFactory,
    ReadFactory,
    StudyFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "screenshots"
SIZES = [(1366, 768), (1920, 1080)]
MLA = [(5.0, 5.2), (6.1, 6.0), (4.4, 4.9), (7.0, 6.6), (5.5, 5.5)]


@pytest.fixture
def study(transactional_db: Any) -> Any:
    """A study in full swing: compared pullbacks, open and overdue reads, a failed upload,
    a proposal running, and autosaves in the audit log."""
    study = StudyFactory(code="console-a11y", name="Calcified lesions")
    people = {n: UserFactory(username=n) for n in ["coord", "ana", "ben", "senior"]}
    MembershipFactory(study=study, user=people["coord"], role="coordinator")
    people["coord"].user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    MembershipFactory(study=study, user=people["ana"], role="analyst")
    MembershipFactory(study=study, user=people["ben"], role="analyst")
    MembershipFactory(study=study, user=people["senior"], role="adjudicator")
    now = timezone.now()
    for i, (a, b) in enumerate(MLA):
        pullback = PullbackFactory(study=study, status="consensus")
        for slot, reader, value in [(1, people["ana"], a), (2, people["ben"], b)]:
            read = ReadFactory(pullback=pullback, reader=reader, slot=slot, status="submitted")
            Read.objects.filter(pk=read.pk).update(
                created_at=now - dt.timedelta(minutes=40 + 10 * i), submitted_at=now
            )
            ReadMetrics.objects.create(
                read=read,
                mla_mm2=value,
                msa_mm2=value + 1,
                calcium_max_arc_deg=180 + 37.3 * slot + i,
                sm_present=bool(i % 2),
            )
    reading = PullbackFactory(study=study, status="reading", n_frames=20)
    open_read = Read.objects.create(
        pullback=reading, reader=people["ana"], slot=1, annotations={"frames": {}}
    )
    for version in range(1, 6):
        open_read = read_save_annotations(
            read=open_read, actor=people["ana"], version=version, annotations={"frames": {}}
        )
    late = Read.objects.create(
        pullback=reading, reader=people["ben"], slot=2, annotations={"frames": {}}
    )
    Read.objects.filter(pk=late.pk).update(created_at=now - dt.timedelta(days=12))
    ready = PullbackFactory(
        study=study, pixel_spacing_row_mm=0.11111000000000004, pixel_spacing_col_mm=0.11111
    )
    AutoAnnotation.objects.create(pullback=ready, status="running", progress_pct=40)
    PullbackFactory(study=study, status="failed", error="not an IVOCT pullback")
    PullbackFactory(study=study, status="ingesting", n_frames=None)
    AuditEvent.objects.create(
        study=study,
        actor=people["coord"],
        action="study.update",
        object_type="study",
        object_id=str(study.pk),
        before={"settings": {"strut_threshold_um": 100}},
        after={"settings": {"strut_threshold_um": 80}},
        reason="protocol amendment 2",
    )
    study.ready_pk = ready.pk
    return study


def console_pages(study: Any) -> list[tuple[str, str]]:
    base = f"/studies/{study.pk}"
    return [
        ("dashboard", f"{base}/"),
        ("pullbacks", f"{base}/pullbacks/"),
        ("pullback", f"{base}/pullbacks/{study.ready_pk}/"),
        ("upload", f"{base}/upload/"),
        ("members", f"{base}/members/"),
        ("settings", f"{base}/settings/"),
        ("agreement", f"{base}/agreement/"),
        ("statistics", f"{base}/statistics/"),
        ("exports", f"{base}/exports/"),
        ("audit", f"{base}/audit/"),
        ("study-create", "/studies/new/"),
    ]


@pytest.fixture
def open_page(browser: Any, app_url: str) -> Any:
    contexts = []

    def make(width: int, height: int) -> Any:
        # bypass_csp: the page's policy allows scripts from 'self' only; axe is injected from
        # the local npm file by the test, never fetched from anywhere.
        context = browser.new_context(
            base_url=app_url, viewport={"width": width, "height": height}, bypass_csp=True
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def axe_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
          return r.violations.map(v => ({id: v.id, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}));
        }"""
    )
    return [json.dumps(v, ensure_ascii=False) for v in result]


LAYOUT = """() => {
  const width = document.documentElement.clientWidth;
  const overflow = document.documentElement.scrollWidth - width;
  // A table (or the scrolling box around it) lies inside the viewport and inside its card.
  const tables = [...document.querySelectorAll('table')].map(t => {
    const box = (t.closest('.table-scroll') || t).getBoundingClientRect();
    const card = (t.closest('.card') || document.body).getBoundingClientRect();
    return {id: t.id || t.closest('section')?.id || '?', left: box.left, right: box.right,
            cardLeft: card.left, cardRight: card.right};
  }).filter(t => t.left < -1 || t.right > width + 1
                 || t.left < t.cardLeft - 1 || t.right > t.cardRight + 1);
  return {overflow, tables};
}"""


def check(page: Any, name: str, width: int, height: int, out: Path) -> list[str]:
    problems = [f"{name}: {v}" for v in axe_violations(page)]
    layout = page.evaluate(LAYOUT)
    if layout["overflow"] > 1:
        problems.append(f"{name} {width}×{height}: scrolls sideways by {layout['overflow']} px")
    for table in layout["tables"]:
        problems.append(f"{name} {width}×{height}: table {table} outside the viewport")
    page.screenshot(path=str(out / f"console-{name}-{width}x{height}.png"))
    return problems


def shots_folder(tmp_path: Path, width: int) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and width == SIZES[0][0]:
        SHOTS.mkdir(parents=True, exist_ok=True)
        return SHOTS
    return tmp_path


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_console_pages_pass_axe_and_fit_the_screen(
    study: Any, open_page: Any, tmp_path: Path, width: int, height: int
) -> None:
    assert AXE.exists(), "axe-core is a dev dependency of frontend/ (npm ci installs it)"
    out = shots_folder(tmp_path, width)
    page = open_page(width, height)
    problems = check_anonymous(page, width, height, out)
    sign_in(page, "coord", PASSWORD)
    for name, url in console_pages(study):
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, response)
        problems += check(page, name, width, height, out)
    assert problems == [], "\n".join(problems)
    assert page.errors == []


def check_anonymous(page: Any, width: int, height: int, out: Path) -> list[str]:
    page.goto("/login/")
    return check(page, "login", width, height, out)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_worklist_passes_axe_and_fits_the_screen(
    study: Any, open_page: Any, tmp_path: Path, width: int, height: int
) -> None:
    out = shots_folder(tmp_path, width)
    page = open_page(width, height)
    sign_in(page, "ana", PASSWORD)
    page.goto("/")
    assert page.locator("main").count() == 1
    problems = check(page, "worklist", width, height, out)
    assert problems == [], "\n".join(problems)
