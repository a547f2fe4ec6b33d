"""Objects a caller may not see answer 404, not 403 (SPEC §9)."""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.services.assignment import pullback_assign_readers
from tests.factories import PullbackFactory


@pytest.fixture
def assigned(world: Any) -> Any:
    pullback = PullbackFactory(study=world.study)
    a, b = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return pullback, a, b


@pytest.mark.parametrize("persona", ["outsider", "other_reader", "adjudicator"])
def test_people_outside_the_read_get_404_for_the_pullback_and_reads(
    world: Any, assigned: Any, api: Any, persona: str
) -> None:
    pullback, a, _ = assigned
    client = api(getattr(world, persona))
    assert client.get(f"/api/v1/pullbacks/{pullback.pk}/").status_code == 404
    assert client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/0").status_code == 404
    assert client.get(f"/api/v1/reads/{a.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["reader_a", "adjudicator", "outsider", "other_reader"])
def test_only_coordinators_see_the_study_and_its_outputs(
    world: Any, api: Any, persona: str
) -> None:
    client = api(getattr(world, persona))
    sid = world.study.pk
    for url in [
        f"/api/v1/studies/{sid}/",
        f"/api/v1/studies/{sid}/members/",
        f"/api/v1/studies/{sid}/consensus/",
        f"/api/v1/studies/{sid}/export/?format=csv",
        f"/api/v1/studies/{sid}/agreement/",
        f"/api/v1/audit/?study={sid}",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/studies/").json()["count"] == 0


def test_anonymous_callers_are_asked_to_sign_in(world: Any, api: Any) -> None:
    r = api(None).get("/api/v1/reads/")
    assert r.status_code in (401, 403)
    assert r.json()["code"] == "not_authenticated"


def test_a_reader_cannot_assign_even_a_pullback_they_read(
    world: Any, assigned: Any, api: Any
) -> None:
    pullback, _, _ = assigned
    r = api(world.reader_a).post(f"/api/v1/pullbacks/{pullback.pk}/assign/", {}, format="json")
    assert r.status_code == 403
