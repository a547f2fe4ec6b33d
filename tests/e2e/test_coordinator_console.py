"""A coordinator runs a study's set-up in the browser: create, staff, upload, assign.

Debian's Chromium drives the pages against the live server; a real Celery worker process
ingests the upload (as in production), so the page's polling sees ``ready`` on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Pullback, Read, Study
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.integration.workers import running_worker

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker(transactional_db: Any, tmp_path: Path) -> Iterator[Any]:
    with running_worker(tmp_path / "worker.log") as proc:
        yield proc


@pytest.fixture
def people(transactional_db: Any) -> dict[str, Any]:
    users = {name: UserFactory(username=name) for name in ["coord", "ana", "ben", "senior"]}
    users["coord"].user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    return users


def test_coordinator_creates_a_study_uploads_and_assigns_in_the_browser(
    page: Any, people: Any, worker: Any, tmp_path: Path
) -> None:
    dicom = tmp_path / "pullback.dcm"
    make_synthetic_pullback(dicom, n_frames=24, rows=256, columns=256, seed=21)
    sign_in(page, "coord", PASSWORD)

    # Create the study.
    page.goto("/studies/new/")
    page.get_by_label("Name", exact=True).fill("Malapposition in calcified lesions")
    page.get_by_label("Code").fill("malapp-e2e")
    page.get_by_label("Strut malapposition threshold").fill("90")
    page.get_by_role("button", name="Create study").click()
    page.wait_for_url(re.compile(r"/studies/\d+/members/$"))
    study = Study.objects.get(code="malapp-e2e")
    assert study.get_settings().strut_threshold_um == 90

    # Two analysts and an adjudicator.
    for username, role in [("ana", "analyst"), ("ben", "analyst"), ("senior", "adjudicator")]:
        page.get_by_label("Username").fill(username)
        page.get_by_label("Role").select_option(role)
        page.get_by_role("button", name="Add member").click()
        page.wait_for_selector(f"#members td:text-is('{username}')")
    assert page.locator(".message-success").count() == 1

    # Upload through the page: XHR with a progress bar, then polling until the worker is done.
    page.get_by_role("link", name="Upload").click()
    page.wait_for_selector("#upload-form[data-enhanced=true]")
    page.set_input_files("#id_file", str(dicom))
    page.get_by_label("Subject code").fill("S-0001")
    page.get_by_label("Timepoint").select_option("post")
    page.get_by_label("Lesion").fill("LAD")
    page.get_by_role("button", name="Upload").click()
    row = page.locator("#upload-list li[data-file='pullback.dcm']")
    row.locator(".upload-percent:text-is('100 %')").wait_for(timeout=30_000)
    page.wait_for_selector(
        "#upload-list li[data-file='pullback.dcm'][data-status=ready]", timeout=90_000
    )
    assert "24 frames" in row.inner_text()
    page.screenshot(path=str(tmp_path / "coordinator-upload.png"), full_page=True)
    pullback = Pullback.objects.get(study=study)
    assert (pullback.status, pullback.subject.code, pullback.lesion) == ("ready", "S-0001", "LAD")

    # Balanced automatic assignment from the pullback list.
    page.get_by_role("link", name="Pullbacks").click()
    page.locator(f"tr[data-pullback='{pullback.pk}']").get_by_role(
        "button", name="Assign automatically"
    ).click()
    page.wait_for_selector(".message-success")
    readers = set(Read.objects.filter(pullback=pullback).values_list("reader__username", flat=True))
    assert readers == {"ana", "ben"}  # the two analysts, never the adjudicator

    # The dashboard shows the assignment and the workloads.
    page.get_by_role("link", name="Dashboard").click()
    recent = page.locator(f"#recent tr[data-pullback='{pullback.pk}']")
    assert "reading" in recent.inner_text()
    assert "Reader 1: ana" in recent.inner_text() and "Reader 2: ben" in recent.inner_text()
    for name in ["ana", "ben"]:
        assert page.locator(f"#readers tr[data-reader='{name}'] .open-reads").inner_text() == "1"
    page.screenshot(path=str(tmp_path / "coordinator-dashboard.png"), full_page=True)

    # Every step left its audit row with the coordinator as actor.
    actions = set(
        AuditEvent.objects.filter(study=study, actor=people["coord"]).values_list(
            "action", flat=True
        )
    )
    assert {"study.create", "membership.create", "pullback.create", "pullback.assign"} <= actions
    assert page.errors == []
