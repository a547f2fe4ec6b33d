"""The autosave path (issue 13): few queries, compare-and-set, an audit row that lets a reviewer
rebuild every version, and a read outside the reader's reach answering 404."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from adjudication.domain.annotation_changes import (
    apply_changes,
    document_changes,
    document_digest,
)
from adjudication.models import AuditEvent, Membership, Read
from adjudication.tokens import token_issue
from tests.conftest import circle, sample_document


def token_client(user: Any) -> APIClient:
    """A client signed in the way the viewer and the load benchmark are: with a token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    return client


def put(client: Any, read_id: int, version: int, doc: Any) -> Any:
    return client.put(
        f"/api/v1/reads/{read_id}/annotations/",
        {"version": version, "annotations": doc},
        format="json",
    )


def save_events(read: Read) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="read.save_annotations", object_type="read", object_id=str(read.pk)
        ).order_by("id")
    )


def test_an_autosave_costs_four_simple_statements(
    world: Any, reads: Any, django_assert_num_queries: Any
) -> None:
    """The token, then inside the transaction: the read looked up among the reader's own by
    its key and locked, with the reader's role in its study read by a simple subquery of the
    same statement (not ``visible_to``'s correlated ones, nor a round trip of its own: issue
    13), the UPDATE and the audit INSERT. The savepoint pair is the test's own transaction
    standing in for BEGIN/COMMIT."""
    a, _ = reads
    client = token_client(world.reader_a)
    assert put(client, a.pk, 1, sample_document(150)).status_code == 200
    with django_assert_num_queries(6):  # + SAVEPOINT and RELEASE around the atomic block
        r = put(client, a.pk, 2, sample_document(151))
    assert r.status_code == 200, r.content
    assert r.json() == {"version": 3}


def test_a_stale_version_still_answers_409_and_leaves_the_document_and_audit_alone(
    world: Any, reads: Any
) -> None:
    a, _ = reads
    client = token_client(world.reader_a)
    assert put(client, a.pk, 1, sample_document(150)).status_code == 200
    r = put(client, a.pk, 1, sample_document(120))
    assert r.status_code == 409
    assert r.json()["version"] == 2
    a.refresh_from_db()
    assert a.annotations == sample_document(150)
    assert len(save_events(a)) == 1


def test_the_audit_keeps_only_what_changed_and_rebuilds_every_version(
    world: Any, reads: Any
) -> None:
    a, _ = reads
    client = token_client(world.reader_a)
    first = sample_document(150)
    second = copy.deepcopy(first)
    second["frames"]["80"]["lumen"] = circle(256, 256, 120)  # one frame redrawn
    third = copy.deepcopy(second)
    del third["frames"]["40"]  # one frame cleared
    third["frames"]["41"] = {"lumen": circle(250, 250, 100)}  # one frame added
    third["stent"] = {"distal_frame": 45, "proximal_frame": 110}
    del third["calcium_segments"]
    versions = [{"frames": {}}, first, second, third]
    for version, doc in enumerate(versions[1:], start=1):
        assert put(client, a.pk, version, doc).status_code == 200

    events = save_events(a)
    assert [e.actor.username for e in events] == ["reader_a"] * 3
    assert events[1].after["changes"] == {"set": {"frames.80": second["frames"]["80"]}, "unset": []}
    assert events[2].after["changes"] == {
        "set": {"frames.41": third["frames"]["41"], "stent": third["stent"]},
        "unset": ["calcium_segments", "frames.40"],
    }
    rebuilt: Any = {"frames": {}}
    assert events[0].before == {"version": 1, "sha256": document_digest(rebuilt), "frames": 0}
    for event, expected in zip(events, versions[1:], strict=True):
        assert event.before["sha256"] == document_digest(rebuilt)
        rebuilt = apply_changes(rebuilt, event.after["changes"])
        assert rebuilt == expected
        assert event.after["sha256"] == document_digest(expected)
        assert event.after["version"] == event.before["version"] + 1
        assert event.after["frames"] == len(expected["frames"])


def test_document_changes_replay_for_whole_values_and_odd_shapes() -> None:
    cases = [
        ({}, {"frames": {"3": {"lumen": [[1, 1], [2, 1], [2, 2]]}}}),
        ({"frames": {"3": {}}}, {}),
        ({"frames": {"1": {}, "2": {}}}, {"frames": {"2": {}, "1": {}}}),
        ({"frames": None}, {"frames": {"1": {}}}),
        ({"stent": None, "frames": {}}, {"frames": {}}),
    ]
    for before, after in cases:
        changes = document_changes(before, after)
        assert apply_changes(before, changes) == after
        assert document_digest(apply_changes(before, changes)) == document_digest(after)
    assert document_changes({"frames": {"1": {}}}, {"frames": {"1": {}}}) == {
        "set": {},
        "unset": [],
    }


@pytest.mark.parametrize("body", [{"version": 1}, {"version": 1, "annotations": {"frames": 3}}])
def test_another_readers_read_answers_404_whatever_the_body(
    world: Any, reads: Any, body: Any
) -> None:
    a, b = reads
    client = token_client(world.reader_b)
    full = {"version": 1, "annotations": sample_document()}
    for payload in (body, full):
        r = client.put(f"/api/v1/reads/{a.pk}/annotations/", payload, format="json")
        assert r.status_code == 404, r.content
    assert client.put("/api/v1/reads/x1/annotations/", full, format="json").status_code == 404
    a.refresh_from_db()
    assert a.version == 1
    assert save_events(a) == []


def test_a_reader_who_lost_the_role_cannot_save_their_read(world: Any, reads: Any) -> None:
    a, _ = reads
    client = token_client(world.reader_a)
    assert put(client, a.pk, 1, sample_document(150)).status_code == 200
    Membership.objects.filter(study=world.study, user=world.reader_a).delete()
    assert put(client, a.pk, 2, sample_document(151)).status_code == 404
    a.refresh_from_db()
    assert a.version == 2
