"""A reader signs in, finds the read on the worklist and the viewer shows its frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services import assignment, ingest
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def assigned_read(transactional_db: Any, tmp_path: Path) -> Any:
    study = StudyFactory(code="e2e")
    coordinator = UserFactory(username="coord")
    MembershipFactory(study=study, user=coordinator, role="coordinator")
    for name in ["ana", "ben"]:
        MembershipFactory(study=study, user=UserFactory(username=name), role="analyst")
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=30, rows=256, columns=256, seed=1)
    with open(path, "rb") as fh:
        pullback = ingest.pullback_create_from_upload(
            study=study,
            actor=coordinator,
            fileobj=fh,
            filename="p.dcm",
            size_bytes=path.stat().st_size,
            subject_code="S-0001",
            timepoint="post",
        )
    # The upload scheduled the ingest on commit (into Redis); run the same service here so
    # the test does not need a worker. The queued task later finds nothing to do.
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    reads = assignment.pullback_assign_readers(
        pullback=pullback, actor=coordinator, usernames=["ana", "ben"]
    )
    return reads[0]


def test_reader_signs_in_and_the_viewer_paints_the_first_frame(
    page: Any, assigned_read: Any, tmp_path: Path
) -> None:
    sign_in(page, "ana", PASSWORD)
    link = page.locator(f"a[href='/reads/{assigned_read.pk}/']")
    assert link.count() == 1
    with page.expect_response(lambda r: "/frames/0" in r.url and r.status == 200):
        link.click()
    page.wait_for_selector("#viewer-root canvas")
    page.screenshot(path=str(tmp_path / "reader-viewer.png"))
    assert page.errors == []


def test_a_wrong_password_keeps_the_sign_in_page_with_a_message(
    page: Any, assigned_read: Any
) -> None:
    page.goto("/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "did not match" in page.locator("[role=alert]").inner_text()
