"""Every console page renders for the study's coordinator and is 404 for everyone else.

404, never 403: a reader, the adjudicator, an outsider or another study's coordinator must
not even learn that the study (or its pullbacks and reads) exists (SPEC §9).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import (
    MembershipFactory,
    PullbackFactory,
    ReadFactory,
    StudyFactory,
    UserFactory,
)

OTHER_PERSONAS = ["reader_a", "reader_b", "adjudicator", "outsider", "other_reader"]


@pytest.fixture
def urls(world: Any) -> dict[str, str]:
    pullback = PullbackFactory(study=world.study, status="reading")
    read = ReadFactory(pullback=pullback, reader=world.reader_a, slot=1)
    ReadFactory(pullback=pullback, reader=world.reader_b, slot=2)
    s, p = world.study.pk, pullback.pk
    return {
        "dashboard": f"/studies/{s}/",
        "settings": f"/studies/{s}/settings/",
        "members": f"/studies/{s}/members/",
        "upload": f"/studies/{s}/upload/",
        "pullbacks": f"/studies/{s}/pullbacks/",
        "pullback": f"/studies/{s}/pullbacks/{p}/",
        "agreement": f"/studies/{s}/agreement/",
        "exports": f"/studies/{s}/exports/",
        "audit": f"/studies/{s}/audit/",
        "assign": f"/studies/{s}/pullbacks/{p}/assign/",
        "calibration": f"/studies/{s}/pullbacks/{p}/calibration/",
        "reassign": f"/studies/{s}/pullbacks/{p}/reads/{read.pk}/reassign/",
    }


PAGES = [
    "dashboard",
    "settings",
    "members",
    "upload",
    "pullbacks",
    "pullback",
    "agreement",
    "exports",
    "audit",
]
POSTS = ["settings", "members", "upload", "assign", "calibration", "reassign"]


@pytest.mark.parametrize("page", PAGES)
def test_coordinator_can_open_every_console_page(
    world: Any, urls: dict[str, str], browser_as: Any, page: str
) -> None:
    response = browser_as(world.coordinator).get(urls[page])
    assert response.status_code == 200
    assert world.study.code in response.content.decode()


@pytest.mark.parametrize("persona", OTHER_PERSONAS)
@pytest.mark.parametrize("page", PAGES)
def test_others_cannot_open_coordinator_pages_404(
    world: Any, urls: dict[str, str], browser_as: Any, persona: str, page: str
) -> None:
    response = browser_as(getattr(world, persona)).get(urls[page])
    assert response.status_code == 404


@pytest.mark.parametrize("persona", OTHER_PERSONAS)
@pytest.mark.parametrize("action", POSTS)
def test_others_cannot_post_to_coordinator_pages_404(
    world: Any, urls: dict[str, str], browser_as: Any, persona: str, action: str
) -> None:
    # The refusal comes before any validation: an empty body must not produce a form error
    # that would reveal the object exists.
    response = browser_as(getattr(world, persona)).post(urls[action], {"mode": "auto"})
    assert response.status_code == 404


def test_reader_cannot_open_coordinator_pages_404(
    world: Any, urls: dict[str, str], browser_as: Any
) -> None:
    client = browser_as(world.reader_a)
    assert [client.get(urls[p]).status_code for p in PAGES] == [404] * len(PAGES)


def test_coordinator_of_another_study_gets_404(
    world: Any, urls: dict[str, str], browser_as: Any
) -> None:
    stranger = UserFactory(username="elsewhere")
    MembershipFactory(study=StudyFactory(code="elsewhere"), user=stranger, role="coordinator")
    client = browser_as(stranger)
    assert [client.get(urls[p]).status_code for p in PAGES] == [404] * len(PAGES)


def test_a_pullback_of_another_study_is_404_inside_this_study(world: Any, browser_as: Any) -> None:
    # The coordinator coordinates both studies, but the URL must pair a study with its own
    # pullbacks.
    foreign = PullbackFactory(study=world.other)
    response = browser_as(world.coordinator).get(
        f"/studies/{world.study.pk}/pullbacks/{foreign.pk}/"
    )
    assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(
    world: Any, urls: dict[str, str], client: Any
) -> None:
    response = client.get(urls["dashboard"])
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["coordinator", "reader_a", "adjudicator", "outsider"])
def test_study_creation_page_is_404_without_the_add_study_permission(
    world: Any, browser_as: Any, persona: str
) -> None:
    assert browser_as(getattr(world, persona)).get("/studies/new/").status_code == 404
