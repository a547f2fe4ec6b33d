"""Submitting checks completeness after the password (SPEC §2, issue 11).

Fixture pullbacks are ``post`` at 0.2 mm per frame: k = 5 frames per 1 mm and 25 frames per
5 mm of reference, so ``sample_document`` (stent 50–110, frames 40–120 every 5) leaves the
analysis frames 25, 30, 35 and 125, 130, 135 without a lumen.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from adjudication.models import AuditEvent, Read
from adjudication.services.assignment import pullback_assign_readers
from tests.conftest import circle, sample_document
from tests.factories import PullbackFactory

MISSING = [25, 30, 35, 125, 130, 135]


def complete_document() -> dict:
    doc = sample_document()
    for f in MISSING:
        doc["frames"][str(f)] = {"lumen": circle(256, 256, 150)}
    return doc


@pytest.fixture
def read_a(world: Any) -> Read:
    pullback = PullbackFactory(study=world.study)
    a, _ = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return a


def save(client: Any, read: Read, doc: dict) -> None:
    r = client.put(
        f"/api/v1/reads/{read.pk}/annotations/",
        {"version": Read.objects.get(pk=read.pk).version, "annotations": doc},
        format="json",
    )
    assert r.status_code == 200, r.content


def submit(client: Any, read: Read, **body: Any) -> Any:
    return client.post(f"/api/v1/reads/{read.pk}/submit/", body, format="json")


def test_read_detail_lists_its_own_analysis_frames(world: Any, read_a: Read, api: Any) -> None:
    client = api(world.reader_a)
    save(client, read_a, sample_document())
    body = client.get(f"/api/v1/reads/{read_a.pk}/").json()
    assert body["analysis_frames"] == list(range(25, 136, 5))
    moved = sample_document()
    moved["stent"] = {"distal_frame": 52, "proximal_frame": 110}
    save(client, read_a, moved)
    frames = client.get(f"/api/v1/reads/{read_a.pk}/").json()["analysis_frames"]
    # From the read's own distal edge (52 + 5j, from 27), plus the proximal edge 110.
    assert frames[:2] == [27, 32] and 110 in frames and frames[-1] == 132


def test_an_incomplete_read_is_refused_with_the_frames_and_stays_editable(
    world: Any, read_a: Read, api: Any
) -> None:
    client = api(world.reader_a)
    save(client, read_a, sample_document())
    r = submit(client, read_a, password=world.password)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "incomplete"
    assert body["frames"] == MISSING
    assert "25" in body["detail"]
    assert Read.objects.get(pk=read_a.pk).status == "in_progress"


def test_the_password_is_checked_before_completeness(world: Any, read_a: Read, api: Any) -> None:
    client = api(world.reader_a)
    save(client, read_a, sample_document())
    assert submit(client, read_a, password="wrong").status_code == 403


def test_struts_missing_inside_the_stent_and_stent_edges_missing_are_incomplete(
    world: Any, read_a: Read, api: Any
) -> None:
    client = api(world.reader_a)
    doc = complete_document()
    del doc["frames"]["75"]["struts"]  # inside the stent: needs struts or a stent contour
    save(client, read_a, doc)
    body = submit(client, read_a, password=world.password).json()
    assert body["frames"] == [75]
    assert body["missing"] == [{"frame": 75, "missing": ["struts_or_stent"]}]
    no_edges = copy.deepcopy(doc)
    del no_edges["stent"]
    save(client, read_a, no_edges)
    body = submit(client, read_a, password=world.password).json()
    assert body["code"] == "incomplete" and body["stent_edges_missing"] is True


def test_allow_incomplete_needs_a_reason_and_the_read_keeps_it(
    world: Any, read_a: Read, api: Any
) -> None:
    client = api(world.reader_a)
    save(client, read_a, sample_document())
    r = submit(client, read_a, password=world.password, allow_incomplete=True, reason="  ")
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = submit(
        client,
        read_a,
        password=world.password,
        allow_incomplete=True,
        reason="frames 25-35 out of the pullback's image quality",
    )
    assert r.status_code == 200, r.content
    read = Read.objects.get(pk=read_a.pk)
    assert read.status == "submitted"
    assert read.incomplete_reason == "frames 25-35 out of the pullback's image quality"
    assert read.incomplete_frames == MISSING
    detail = client.get(f"/api/v1/reads/{read_a.pk}/").json()
    assert detail["incomplete_reason"] == read.incomplete_reason
    assert detail["incomplete_frames"] == MISSING
    event = AuditEvent.objects.get(action="read.submitted", object_id=str(read_a.pk))
    assert event.after["incomplete_reason"] == read.incomplete_reason
    assert event.after["incomplete_frames"] == MISSING


def test_a_complete_read_submits_without_a_reason(world: Any, read_a: Read, api: Any) -> None:
    client = api(world.reader_a)
    save(client, read_a, complete_document())
    r = submit(client, read_a, password=world.password)
    assert r.status_code == 200, r.content
    assert Read.objects.get(pk=read_a.pk).incomplete_reason == ""


def test_a_pre_pullback_needs_lumens_on_its_whole_grid_but_no_stent(world: Any, api: Any) -> None:
    pullback = PullbackFactory(study=world.study, timepoint="pre", n_frames=20)
    a, _ = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    client = api(world.reader_a)
    save(client, a, {"frames": {"0": {"lumen": circle(256, 256, 150)}}})
    body = submit(client, a, password=world.password).json()
    assert body["frames"] == [5, 10, 15] and body["stent_edges_missing"] is False
    save(
        client,
        a,
        {"frames": {str(f): {"lumen": circle(256, 256, 150)} for f in (0, 5, 10, 15)}},
    )
    assert submit(client, a, password=world.password).status_code == 200
