"""A reader saves with optimistic concurrency and submits with a password re-check."""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.models import AuditEvent
from tests.conftest import sample_document

# The fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = {"allow_incomplete": True, "reason": "test fixture: partial document"}


def put(client: Any, read_id: int, version: int, doc: Any) -> Any:
    return client.put(
        f"/api/v1/reads/{read_id}/annotations/",
        {"version": version, "annotations": doc},
        format="json",
    )


def test_reader_can_save_and_gets_the_next_version(world: Any, reads: Any, api: Any) -> None:
    a, _ = reads
    r = put(api(world.reader_a), a.pk, 1, sample_document())
    assert r.status_code == 200, r.content
    assert r.json() == {"version": 2}
    a.refresh_from_db()
    assert a.status == "in_progress"
    assert a.annotations == sample_document()


def test_a_stale_version_is_a_409_with_the_current_version_and_stores_nothing(
    world: Any, reads: Any, api: Any
) -> None:
    a, _ = reads
    client = api(world.reader_a)
    assert put(client, a.pk, 1, sample_document(150)).status_code == 200
    r = put(client, a.pk, 1, sample_document(120))  # a second tab still holding version 1
    assert r.status_code == 409
    assert r.json()["version"] == 2
    assert r.json()["code"] == "conflict"
    a.refresh_from_db()
    assert a.annotations == sample_document(150)  # the first save was not overwritten


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"frames": {"12": {"lumen": [[1, 1], [2, 2]]}}}, "frames.12.lumen"),
        ({"frames": {"x": {}}}, "frames.x"),
        ({"stent": {"distal_frame": 90, "proximal_frame": 10}, "frames": {}}, "stent"),
        ({"frames": {}, "bogus": 1}, "bogus"),
    ],
)
def test_an_invalid_document_is_a_400_naming_the_field_and_stores_nothing(
    world: Any, reads: Any, api: Any, doc: Any, field: str
) -> None:
    a, _ = reads
    r = put(api(world.reader_a), a.pk, 1, doc)
    assert r.status_code == 400, r.content
    assert r.json()["field"].startswith(field)
    a.refresh_from_db()
    assert a.version == 1
    assert a.annotations == {"frames": {}}


def test_submit_with_a_wrong_password_is_403_changes_nothing_and_is_audited(
    world: Any, reads: Any, api: Any
) -> None:
    a, _ = reads
    client = api(world.reader_a)
    assert put(client, a.pk, 1, sample_document()).status_code == 200
    r = client.post(f"/api/v1/reads/{a.pk}/submit/", {"password": "nope"}, format="json")
    assert r.status_code == 403
    a.refresh_from_db()
    assert a.status == "in_progress"
    refused = AuditEvent.objects.filter(action="read.submit.refused", object_id=str(a.pk))
    assert refused.count() == 1
    assert refused.get().actor == world.reader_a


def test_a_submitted_read_is_immutable(world: Any, reads: Any, api: Any) -> None:
    a, _ = reads
    client = api(world.reader_a)
    assert put(client, a.pk, 1, sample_document()).status_code == 200
    r = client.post(
        f"/api/v1/reads/{a.pk}/submit/", {"password": world.password, **PARTIAL}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["status"] == "submitted"
    r = put(client, a.pk, 2, sample_document(100))
    assert r.status_code == 409
    a.refresh_from_db()
    assert a.annotations == sample_document()
    again = client.post(
        f"/api/v1/reads/{a.pk}/submit/", {"password": world.password, **PARTIAL}, format="json"
    )
    assert again.status_code == 409
