"""In the browser: a coordinator uploads several files with a manifest in one go; a bad
manifest shows its per-row errors and stores nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def study(transactional_db: Any) -> Any:
    study = StudyFactory(code="manifest-e2e")
    MembershipFactory(study=study, user=UserFactory(username="coord"), role="coordinator")
    return study


def test_upload_page_sends_files_with_a_manifest(
    page: Any, study: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    files = []
    for i in range(3):
        path = tmp_path / f"run-{i}.dcm"
        make_synthetic_pullback(path, n_frames=2, rows=32, columns=32, seed=i)
        files.append(str(path))
    bad = tmp_path / "bad.csv"
    bad.write_text("file,subject_code,timepoint\nrun-0.dcm,S-1,post\nrun-1.dcm,S 2,later\n")
    good = tmp_path / "manifest.csv"
    good.write_text(
        "file,subject_code,timepoint,lesion\n"
        "run-0.dcm,S-0100,pre,LAD\nrun-1.dcm,S-0101,post,RCA\nrun-2.dcm,S-0102,followup,\n"
    )
    sign_in(page, "coord", PASSWORD)
    page.goto(f"/studies/{study.pk}/upload/")
    page.wait_for_selector("#upload-form[data-enhanced=true]")

    page.set_input_files("#id_file", files)
    page.set_input_files("#id_manifest", str(bad))
    page.get_by_role("button", name="Upload").click()
    failed = page.locator("#upload-list li[data-status=failed]")
    failed.wait_for(timeout=30_000)
    text = failed.inner_text()
    assert "row 3: subject_code 'S 2'" in text and "timepoint 'later'" in text
    assert not Pullback.objects.exists()

    page.set_input_files("#id_file", files)
    page.set_input_files("#id_manifest", str(good))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#upload-list li[data-status=uploaded]", timeout=30_000)
    page.wait_for_function(
        "document.querySelectorAll('#upload-list li[data-file^=\"pullback \"]').length === 3"
    )
    got = sorted(Pullback.objects.values_list("subject__code", "timepoint", "lesion"))
    assert got == [("S-0100", "pre", "LAD"), ("S-0101", "post", "RCA"), ("S-0102", "followup", "")]
    assert page.errors == []
