"""The viewers load frames in aligned batches, with or without nginx (issue 13).

Behind nginx (``FRAMES_VIA_PROXY``) each aligned batch of ``FRAMES_BATCH_MAX_COUNT`` frames is a
file nginx sends after ``auth_request``, like a single frame (tests/blinding/
test_frames_through_nginx.py); so both pages give the viewer the batch URL and the batch size
the files are written for.
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


def assert_batches(boot: dict[str, Any], batch: int) -> None:
    assert "{n}" in boot["frame_url_template"]
    assert boot["frames_batch_url_template"].endswith("frames/?start={start}&count={count}")
    assert boot["frames_batch_size"] == batch


@pytest.mark.parametrize("via_proxy", [True, False])
def test_the_reading_page_offers_batches_of_the_size_the_files_are_written_for(
    world: Any, settings: Any, via_proxy: bool
) -> None:
    settings.FRAMES_VIA_PROXY = via_proxy
    settings.FRAMES_BATCH_MAX_COUNT = 48
    assert_batches(reading_page_boot(world), 48)


@pytest.mark.parametrize("via_proxy", [True, False])
def test_the_workbench_offers_batches_of_the_size_the_files_are_written_for(
    world: Any,
    settings: Any,
    flagged: Any,  # noqa: F811
    via_proxy: bool,
) -> None:
    settings.FRAMES_VIA_PROXY = via_proxy
    settings.FRAMES_BATCH_MAX_COUNT = 48
    assert_batches(workbench_boot(world, flagged.pk), 48)
