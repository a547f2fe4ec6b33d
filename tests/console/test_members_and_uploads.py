"""Members by username and role; uploads through the page (the script-free path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Membership, Pullback
from tests.factories import PullbackFactory, UserFactory


def test_coordinator_can_add_an_analyst_and_it_is_audited(world: Any, browser_as: Any) -> None:
    UserFactory(username="carol")
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/members/", {"username": "carol", "role": "analyst"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(study=world.study, user__username="carol").role == "analyst"
    event = AuditEvent.objects.get(action="membership.create")
    assert (event.actor, event.after) == (
        world.coordinator,
        {"username": "carol", "role": "analyst"},
    )


def test_coordinator_sees_members_with_their_roles(world: Any, browser_as: Any) -> None:
    html = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/members/").content.decode()
    for name in ["reader_a", "reader_b", "adjudicator", "coordinator"]:
        assert f"<td>{name}</td>" in html
    assert "other_reader" not in html  # a member of the other study only


def test_adding_an_unknown_username_shows_the_error_on_the_username_field(
    world: Any, browser_as: Any
) -> None:
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/members/", {"username": "nobody", "role": "analyst"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["no active user with this username"]
    assert not AuditEvent.objects.filter(action="membership.create").exists()


def test_adding_an_existing_member_again_is_refused_on_the_form(
    world: Any, browser_as: Any
) -> None:
    # One role per person per study: the adjudicator can never become a reader of it.
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/members/", {"username": "adjudicator", "role": "analyst"}
    )
    assert response.status_code == 200
    assert "already a member" in str(response.context["form"].non_field_errors())


def test_upload_page_wires_the_api_for_the_progress_script(world: Any, browser_as: Any) -> None:
    html = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/upload/").content.decode()
    assert f'data-upload-url="/api/v1/studies/{world.study.pk}/pullbacks/"' in html
    assert 'data-pullback-base="/api/v1/pullbacks/"' in html
    assert 'type="file"' in html and "multiple" in html and 'accept=".dcm,.zip' in html
    assert 'src="/static/adjudication/upload.js"' in html
    assert " onclick=" not in html and " onsubmit=" not in html  # CSP: no inline handlers


def test_coordinator_can_upload_without_script_and_the_ingest_is_scheduled(
    world: Any, browser_as: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=8, rows=64, columns=64, seed=11)
    files = [SimpleUploadedFile("p.dcm", path.read_bytes(), content_type="application/dicom")]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser_as(world.coordinator).post(
            f"/studies/{world.study.pk}/upload/",
            {"file": files, "subject_code": "S-0007", "timepoint": "post", "lesion": "RCA"},
        )
    assert response.status_code == 302
    pullback = Pullback.objects.get(study=world.study)
    assert (pullback.subject.code, pullback.timepoint, pullback.status) == (
        "S-0007",
        "post",
        "ingesting",
    )
    assert AuditEvent.objects.filter(action="pullback.create", object_id=str(pullback.pk)).exists()
    assert len(callbacks) == 1  # the ingest task, on commit


def test_upload_with_a_bad_subject_code_is_refused_on_its_field(
    world: Any, browser_as: Any
) -> None:
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/upload/",
        {
            "file": [SimpleUploadedFile("p.dcm", b"DICM")],
            "subject_code": "Jane Doe",
            "timepoint": "post",
        },
    )
    assert response.status_code == 200
    assert "subject_code" in response.context["form"].errors
    assert not Pullback.objects.exists()


def test_pullback_list_shows_the_ingest_progress_of_ingesting_pullbacks(
    world: Any, browser_as: Any
) -> None:
    PullbackFactory(study=world.study, status="ingesting", n_frames=None)
    response = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/pullbacks/")
    (pullback,) = response.context["page"]
    assert pullback.ingest_pct == 0  # queued: the worker has not reported yet
