"""Members can be removed or change role (issue 12, finding 7): API and console, audited;
an analyst's unsubmitted reads are handed on like a reassignment; submitted reads stay; the
study keeps a coordinator; a removed person loses access."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from adjudication.models import AuditEvent, Membership, Read
from adjudication.services.assignment import pullback_assign_readers
from adjudication.services.reads import read_save_annotations, read_submit
from tests.conftest import sample_document
from tests.factories import MembershipFactory, PullbackFactory, UserFactory


def member_url(world: Any, username: str) -> str:
    return f"/api/v1/studies/{world.study.pk}/members/{username}/"


@pytest.fixture
def carol(world: Any) -> Any:
    """A third analyst who can take reads over."""
    user = UserFactory(username="carol")
    MembershipFactory(study=world.study, user=user, role="analyst")
    return user


@pytest.fixture
def reading(world: Any) -> dict[str, Read]:
    """Reader A has submitted one read and holds an unsubmitted one (with work in it)."""
    done, open_ = PullbackFactory(study=world.study), PullbackFactory(study=world.study)
    a1, _ = pullback_assign_readers(
        pullback=done, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    read_save_annotations(read=a1, actor=world.reader_a, version=1, annotations=sample_document())
    read_submit(
        read=a1,
        actor=world.reader_a,
        password=world.password,
        allow_incomplete=True,
        reason="test fixture: partial document",
    )
    a2, _ = pullback_assign_readers(
        pullback=open_, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    read_save_annotations(read=a2, actor=world.reader_a, version=1, annotations=sample_document())
    return {"submitted": a1, "open": a2}


def test_coordinator_removes_an_analyst_and_open_reads_go_to_another_analyst(
    world: Any, api: Any, carol: Any, reading: dict[str, Read]
) -> None:
    r = api(world.coordinator).delete(
        member_url(world, "reader_a"), {"reason": "left the core lab"}, format="json"
    )
    assert r.status_code == 204, r.content
    assert not Membership.objects.filter(study=world.study, user=world.reader_a).exists()
    # The unsubmitted read went to carol as a fresh, empty read in the same slot.
    assert not Read.objects.filter(pk=reading["open"].pk).exists()
    handed = Read.objects.get(pullback=reading["open"].pullback, slot=reading["open"].slot)
    assert handed.reader == carol
    assert handed.annotations == {"frames": {}}
    # The submitted read stays, immutable, for the comparison and consensus.
    assert Read.objects.get(pk=reading["submitted"].pk).status == "submitted"
    removal = AuditEvent.objects.get(action="membership.delete")
    assert removal.actor == world.coordinator
    assert removal.before == {"username": "reader_a", "role": "analyst"}
    assert removal.reason == "left the core lab"
    assert AuditEvent.objects.filter(action="read.reassign").count() == 1


def test_a_removed_reader_sees_nothing_of_the_study_any_more(
    world: Any, api: Any, carol: Any, reading: dict[str, Read]
) -> None:
    api(world.coordinator).delete(member_url(world, "reader_a"))
    client = api(world.reader_a)
    assert client.get(f"/api/v1/reads/{reading['submitted'].pk}/").status_code == 404
    assert client.get(f"/api/v1/pullbacks/{reading['submitted'].pullback_id}/").status_code == 404
    assert client.get("/api/v1/reads/").json()["count"] == 0


def test_removal_is_refused_when_nobody_can_take_the_open_reads(
    world: Any, api: Any, reading: dict[str, Read]
) -> None:
    r = api(world.coordinator).delete(member_url(world, "reader_a"))
    assert r.status_code == 409
    assert r.json()["code"] == "no_analyst_to_take_over"
    assert Membership.objects.filter(study=world.study, user=world.reader_a).exists()
    assert Read.objects.filter(pk=reading["open"].pk).exists()


def test_role_change_is_audited_and_hands_on_open_reads(
    world: Any, api: Any, carol: Any, reading: dict[str, Read]
) -> None:
    r = api(world.coordinator).patch(
        member_url(world, "reader_a"), {"role": "adjudicator", "reason": "senior now"}, "json"
    )
    assert r.status_code == 200
    assert r.json() == {"username": "reader_a", "role": "adjudicator"}
    assert Read.objects.get(pullback=reading["open"].pullback, slot=1).reader == carol
    event = AuditEvent.objects.get(action="membership.update")
    assert (event.before["role"], event.after["role"]) == ("analyst", "adjudicator")


def test_the_last_coordinator_cannot_leave_or_change_role(world: Any, api: Any) -> None:
    client = api(world.coordinator)
    assert client.delete(member_url(world, "coordinator")).status_code == 409
    r = client.patch(member_url(world, "coordinator"), {"role": "analyst"}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "last_coordinator"
    second = UserFactory(username="dana")
    MembershipFactory(study=world.study, user=second, role="coordinator")
    assert client.delete(member_url(world, "coordinator")).status_code == 204


@pytest.mark.parametrize("persona", ["reader_a", "adjudicator", "outsider", "other_reader"])
def test_only_the_studys_coordinators_manage_members(world: Any, api: Any, persona: str) -> None:
    client = api(getattr(world, persona))
    assert client.delete(member_url(world, "reader_b")).status_code == 404
    r = client.patch(member_url(world, "reader_b"), {"role": "coordinator"}, format="json")
    assert r.status_code == 404
    assert Membership.objects.get(study=world.study, user=world.reader_b).role == "analyst"


def test_unknown_member_answers_400_with_the_field(world: Any, api: Any) -> None:
    r = api(world.coordinator).delete(member_url(world, "nobody"))
    assert r.status_code == 400
    assert r.json()["field"] == "username"


def test_console_members_page_changes_roles_and_removes_members(
    world: Any, carol: Any, reading: dict[str, Read]
) -> None:
    # Two analysts to take reader A's and reader B's open reads over.
    MembershipFactory(study=world.study, user=UserFactory(username="dave"), role="analyst")
    browser = Client()
    browser.force_login(world.coordinator)
    page = f"/studies/{world.study.pk}/members/"
    html = browser.get(page).content.decode()
    assert f"{page}reader_a/remove/" in html and f"{page}reader_a/role/" in html
    r = browser.post(f"{page}reader_b/role/", {"role": "adjudicator", "reason": "promoted"})
    assert r.status_code == 302
    assert Membership.objects.get(study=world.study, user=world.reader_b).role == "adjudicator"
    r = browser.post(f"{page}reader_a/remove/", {"reason": "left"})
    assert r.status_code == 302
    assert not Membership.objects.filter(study=world.study, user=world.reader_a).exists()
    r = browser.post(f"{page}coordinator/remove/", {"reason": "x"}, follow=True)
    assert "at least one coordinator" in r.content.decode()
    assert Membership.objects.filter(study=world.study, user=world.coordinator).exists()
