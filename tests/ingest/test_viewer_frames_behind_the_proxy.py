"""Behind nginx the viewers load single frames, not the batch (issue 13).

With ``FRAMES_VIA_PROXY`` single frames are files nginx sends after ``auth_request``, while
the batched endpoint still streams through Django; so the page bootstrap then carries an
explicit ``null`` batch template (a missing key would let the viewer derive the batch URL).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from adjudication.services.assignment import pullback_assign_readers
from tests.adjudicating.test_workbench_page import flagged  # noqa: F401  (fixture)
from tests.factories import PullbackFactory


def bootstrap(html: str, script_id: str) -> dict[str, Any]:
    match = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', html)
    assert match, f"no {script_id} in the page"
    return json.loads(match.group(1))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reading_page_boot(world: Any) -> dict[str, Any]:
    read, _ = pullback_assign_readers(
        pullback=PullbackFactory(study=world.study),
        actor=world.coordinator,
        usernames=["reader_a", "reader_b"],
    )
    response = logged_in(world.reader_a).get(f"/reads/{read.pk}/")
    assert response.status_code == 200
    return bootstrap(response.content.decode(), "viewer-bootstrap")


def workbench_boot(world: Any, adjudication_pk: int) -> dict[str, Any]:
    response = logged_in(world.adjudicator).get(f"/adjudications/{adjudication_pk}/")
    assert response.status_code == 200
    return bootstrap(response.content.decode(), "adjudication-bootstrap")


@pytest.mark.parametrize("via_proxy", [True, False])
def test_the_reading_page_offers_the_batch_only_without_the_proxy(
    world: Any, settings: Any, via_proxy: bool
) -> None:
    settings.FRAMES_VIA_PROXY = via_proxy
    boot = reading_page_boot(world)
    assert "{n}" in boot["frame_url_template"]
    if via_proxy:
        assert boot["frames_batch_url_template"] is None
    else:
        assert boot["frames_batch_url_template"].endswith("frames/?start={start}&count={count}")


@pytest.mark.parametrize("via_proxy", [True, False])
def test_the_workbench_offers_the_batch_only_without_the_proxy(
    world: Any,
    settings: Any,
    flagged: Any,  # noqa: F811
    via_proxy: bool,
) -> None:
    settings.FRAMES_VIA_PROXY = via_proxy
    boot = workbench_boot(world, flagged.pk)
    assert "{n}" in boot["frame_url_template"]
    if via_proxy:
        assert boot["frames_batch_url_template"] is None
    else:
        assert boot["frames_batch_url_template"].endswith("frames/?start={start}&count={count}")
