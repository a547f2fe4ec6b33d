"""An adjudicator may never adjudicate a pullback they read themselves (SPEC §1).

Roles are per study and a person holds one role per study, so this happens when an analyst
who already read a pullback is later made the study's adjudicator. The adjudication of that
pullback must then not exist for them: 404 on the workbench page and on every API endpoint,
and the page's viewer bootstrap never reaches them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from adjudication.models import Membership
from tests.adjudicating.test_workbench_page import flagged  # noqa: F401  (fixture)


@pytest.fixture
def reader_turned_adjudicator(world: Any, flagged: Any) -> Any:  # noqa: F811
    # Re-staffing is data here: no service changes a member's role (one role per study).
    Membership.objects.filter(study=world.study, user=world.reader_a).update(role="adjudicator")
    return world.reader_a


def test_adjudicator_who_read_the_pullback_cannot_open_its_workbench_404(
    flagged: Any,  # noqa: F811
    reader_turned_adjudicator: Any,
) -> None:
    client = Client()
    client.force_login(reader_turned_adjudicator)
    response = client.get(f"/adjudications/{flagged.pk}/")
    assert response.status_code == 404
    assert "adjudication-bootstrap" not in response.content.decode()
    response = client.post(f"/adjudications/{flagged.pk}/", {"password": "x"})
    assert response.status_code == 404


def test_adjudicator_who_read_the_pullback_cannot_see_or_resolve_it_through_the_api_404(
    world: Any,
    flagged: Any,  # noqa: F811
    reader_turned_adjudicator: Any,
    api: Any,
) -> None:
    client = api(reader_turned_adjudicator)
    assert client.get(f"/api/v1/adjudications/{flagged.pk}/").status_code == 404
    listed = client.get("/api/v1/adjudications/").json()
    assert flagged.pk not in [a["id"] for a in listed["results"]]
    decisions = [
        {"group": g, "source": "reader_a", "reason": "mine"}
        for g in set(flagged.flags.values_list("group", flat=True))
    ]
    response = client.post(
        f"/api/v1/adjudications/{flagged.pk}/resolve/",
        {"password": world.password, "decisions": decisions},
        format="json",
    )
    assert response.status_code == 404
    flagged.refresh_from_db()
    assert flagged.status == "open"


def test_the_study_adjudicator_who_did_not_read_it_still_can(
    world: Any,
    flagged: Any,  # noqa: F811
    reader_turned_adjudicator: Any,
) -> None:
    # The control: the rule hides the pullback from the person who read it, not from the role.
    client = Client()
    client.force_login(world.adjudicator)
    assert client.get(f"/adjudications/{flagged.pk}/").status_code == 200
