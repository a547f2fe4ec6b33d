"""The autosave finds a read by the rule of ``Read.objects.visible_to``, asked of one read.

Issue 13: the save no longer compiles ``visible_to``'s correlated subqueries on every request;
it locks the actor's own read by its key with their role in its study (``own_with_role``, one
query) and asks ``read_kind_allowed`` whether that role allows the read's kind.
These tests hold the two to the same answer for every role (or none), read kind and owner, and
check through the API that what ``visible_to`` hides answers 404 on save and stays unchanged.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from adjudication.models import Membership, Read
from adjudication.models.choices import ReadKind
from adjudication.models.querysets import read_kind_allowed
from adjudication.roles import Role
from tests.conftest import sample_document
from tests.factories import MembershipFactory, PullbackFactory, ReadFactory, UserFactory

ROLES = [None, *(role.value for role in Role)]
KINDS = [kind.value for kind in ReadKind]


@pytest.mark.django_db
def test_own_with_role_agrees_with_visible_to_for_every_role_kind_and_owner(
    world: Any,
) -> None:
    person, someone_else = UserFactory(username="person"), UserFactory(username="someone")
    answers = []
    for role, kind, own in product(ROLES, KINDS, [True, False]):
        Membership.objects.filter(user=person).delete()
        if role is not None:
            MembershipFactory(study=world.study, user=person, role=role)
        # The person's role in another study never counts for this one.
        MembershipFactory(study=world.other, user=person, role="analyst")
        slot = 3 if kind == ReadKind.ADJUDICATOR else 1
        read = ReadFactory(
            pullback=PullbackFactory(study=world.study),
            reader=person if own else someone_else,
            kind=kind,
            slot=slot,
        )
        listed = Read.objects.visible_to(person).filter(pk=read.pk).exists()
        found = Read.objects.own_with_role(person).filter(pk=read.pk).first()
        asked = found is not None and read_kind_allowed(found.kind, found.role_in_study)
        assert asked == listed, (role, kind, own)
        answers.append(((role, kind, own), asked))
    # Not vacuous: exactly the owner with the kind's role sees a read.
    assert {case for case, seen in answers if seen} == {
        ("analyst", "reader", True),
        ("adjudicator", "adjudicator", True),
    }


@pytest.mark.django_db
def test_a_save_of_a_read_visible_to_hides_answers_404_and_changes_nothing(
    world: Any, api: Any
) -> None:
    own = ReadFactory(pullback=PullbackFactory(study=world.study), reader=world.reader_a)
    others = ReadFactory(pullback=own.pullback, reader=world.reader_b, slot=2)
    client = api(world.reader_a)
    body = {"version": 1, "annotations": sample_document()}
    url = "/api/v1/reads/{}/annotations/"
    # Another reader's read, and one that does not exist, answer alike.
    assert client.put(url.format(others.pk), body, format="json").status_code == 404
    assert client.put(url.format(10**9), body, format="json").status_code == 404
    # Their own read, once their role no longer allows reading, is hidden too.
    Membership.objects.filter(study=world.study, user=world.reader_a).update(role="adjudicator")
    assert client.put(url.format(own.pk), body, format="json").status_code == 404
    for read in (own, others):
        read.refresh_from_db()
        assert (read.version, read.annotations) == (1, {"frames": {}})
    # With the role back, the same save lands.
    Membership.objects.filter(study=world.study, user=world.reader_a).update(role="analyst")
    assert client.put(url.format(own.pk), body, format="json").status_code == 200
    own.refresh_from_db()
    assert own.version == 2
