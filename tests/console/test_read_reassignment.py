"""Reassigning an unsubmitted read: a fresh read for the new analyst, nothing of the old one.

The discarded annotations must never reach the new reader (blinding and independence), the
two readers stay distinct, an adjudicator is never chosen, and a submitted read is immutable.
"""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.domain.errors import FieldError, InvalidTransition, Refused
from adjudication.models import AuditEvent, Read
from adjudication.services import assignment, reads
from adjudication.services.reassignment import read_reassign
from tests.conftest import sample_document
from tests.factories import MembershipFactory, PullbackFactory, UserFactory

# Fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = "test fixture: partial document"


@pytest.fixture
def carol(world: Any) -> Any:
    user = UserFactory(username="carol")
    MembershipFactory(study=world.study, user=user, role="analyst")
    return user


@pytest.fixture
def started(world: Any) -> tuple[Any, Read, Read]:
    """A pullback being read; reader A has saved twice (version 3), reader B nothing yet."""
    pullback = PullbackFactory(study=world.study)
    a, b = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    reads.read_save_annotations(
        read=a, actor=world.reader_a, version=1, annotations=sample_document(150)
    )
    reads.read_save_annotations(
        read=a, actor=world.reader_a, version=2, annotations=sample_document(140)
    )
    pullback.refresh_from_db()
    return pullback, Read.objects.get(pk=a.pk), b


def reassign_url(world: Any, pullback: Any, read: Read) -> str:
    return f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/reads/{read.pk}/reassign/"


def test_coordinator_can_reassign_an_in_progress_read_through_the_page(
    world: Any, carol: Any, started: Any, browser_as: Any, api: Any
) -> None:
    pullback, a, _ = started
    response = browser_as(world.coordinator).post(
        reassign_url(world, pullback, a), {"username": "carol", "reason": "reader_a on leave"}
    )
    assert response.status_code == 302
    new = Read.objects.get(pullback=pullback, slot=a.slot)
    assert new.reader == carol
    assert (new.status, new.version, new.annotations) == ("assigned", 1, {"frames": {}})
    assert not Read.objects.filter(pk=a.pk).exists()  # the old work is discarded

    # The new reader gets a fresh read and nothing that hints at the previous one.
    (listed,) = api(carol).get("/api/v1/reads/").json()["results"]
    assert listed["id"] == new.pk and listed["version"] == 1
    detail = api(carol).get(f"/api/v1/reads/{new.pk}/").json()
    assert detail["annotations"] == {"frames": {}}
    assert "reader_a" not in str(detail)
    # The old reader no longer finds it.
    assert api(world.reader_a).get(f"/api/v1/reads/{a.pk}/").status_code == 404


def test_reassignment_is_audited_with_before_after_and_reason(
    world: Any, carol: Any, started: Any
) -> None:
    pullback, a, _ = started
    new = read_reassign(read=a, actor=world.coordinator, username="carol", reason="on leave")
    event = AuditEvent.objects.get(action="read.reassign")
    assert (event.actor, event.reason, event.object_id) == (
        world.coordinator,
        "on leave",
        str(new.pk),
    )
    assert event.before["read"] == a.pk
    assert event.before["reader"] == "reader_a"
    assert event.before["status"] == "in_progress"
    assert event.before["version"] == 3
    assert event.before["annotations"]["frames"] == len(sample_document(140)["frames"])
    assert event.after == {
        "read": new.pk,
        "slot": a.slot,
        "reader": "carol",
        "status": "assigned",
        "version": 1,
    }


def test_coordinator_cannot_reassign_to_the_other_reader(
    world: Any, started: Any, browser_as: Any
) -> None:
    pullback, a, _ = started
    with pytest.raises(FieldError, match="the two readers must differ"):
        read_reassign(read=a, actor=world.coordinator, username="reader_b", reason="x")
    # The page does not even offer them.
    response = browser_as(world.coordinator).post(
        reassign_url(world, pullback, a), {"username": "reader_b", "reason": "x"}
    )
    assert response.status_code == 400
    assert Read.objects.get(pk=a.pk).reader == world.reader_a


def test_coordinator_cannot_reassign_to_the_adjudicator(world: Any, started: Any) -> None:
    _, a, _ = started
    with pytest.raises(FieldError, match="not an analyst"):
        read_reassign(read=a, actor=world.coordinator, username="adjudicator", reason="x")


def test_coordinator_cannot_reassign_to_the_current_reader_or_an_outsider(
    world: Any, started: Any
) -> None:
    _, a, _ = started
    with pytest.raises(FieldError, match="already holds"):
        read_reassign(read=a, actor=world.coordinator, username="reader_a", reason="x")
    with pytest.raises(FieldError, match="not an analyst"):
        read_reassign(read=a, actor=world.coordinator, username="other_reader", reason="x")


def test_a_submitted_read_cannot_be_reassigned(world: Any, carol: Any, started: Any) -> None:
    _, a, _ = started
    reads.read_submit(
        read=a, actor=world.reader_a, password=world.password, allow_incomplete=True, reason=PARTIAL
    )
    with pytest.raises(InvalidTransition):
        read_reassign(read=a, actor=world.coordinator, username="carol", reason="x")
    assert Read.objects.get(pk=a.pk).status == "submitted"


def test_the_page_offers_no_reassignment_for_a_submitted_read(
    world: Any, carol: Any, started: Any, browser_as: Any
) -> None:
    pullback, a, b = started
    reads.read_submit(
        read=a, actor=world.reader_a, password=world.password, allow_incomplete=True, reason=PARTIAL
    )
    response = browser_as(world.coordinator).get(
        f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/"
    )
    forms = {read.pk: form for read, form in response.context["read_rows"]}
    assert forms[a.pk] is None
    assert [c[0] for c in forms[b.pk].fields["username"].choices] == ["", "carol"]


def test_reassignment_needs_a_reason(world: Any, carol: Any, started: Any, browser_as: Any) -> None:
    pullback, a, _ = started
    with pytest.raises(FieldError, match="reason"):
        read_reassign(read=a, actor=world.coordinator, username="carol", reason=" ")
    response = browser_as(world.coordinator).post(
        reassign_url(world, pullback, a), {"username": "carol", "reason": ""}
    )
    assert response.status_code == 400
    assert Read.objects.filter(pk=a.pk).exists()
    assert not AuditEvent.objects.filter(action="read.reassign").exists()


def test_only_a_coordinator_of_the_study_may_reassign(world: Any, carol: Any, started: Any) -> None:
    _, a, _ = started
    for actor in (world.reader_b, world.adjudicator, world.outsider):
        with pytest.raises(Refused):
            read_reassign(read=a, actor=actor, username="carol", reason="x")


def test_an_assigned_read_can_be_reassigned_too(world: Any, carol: Any, started: Any) -> None:
    _, _, b = started
    new = read_reassign(read=b, actor=world.coordinator, username="carol", reason="balance")
    assert (new.slot, new.reader, new.status) == (2, carol, "assigned")
