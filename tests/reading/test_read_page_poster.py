"""The reading page carries frame 0 as a plain image (issue 13): the browser fetches, decodes and
paints it while the viewer's scripts still load, and the viewer replaces it when it mounts. It
is the reader's own pullback's frame URL — the same authorised, blinded endpoint the viewer
uses — and only when the pullback has frames to show."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from adjudication.models import Pullback, Read
from tests.factories import write_frames

FRAMES = [b"\xff\xd8frame0\xff\xd9", b"\xff\xd8frame1\xff\xd9"]


def poster_urls(html: str) -> list[str]:
    return re.findall(r'<img class="vw-poster" src="([^"]+)"', html)


def open_read(world: Any, read: Read, **pullback: Any) -> tuple[Client, str, Any]:
    """reader_a's page of ``read`` (the ``reads`` fixture's first), its pullback updated with
    ``pullback`` first (after the assignment, which only a showable pullback takes)."""
    Pullback.objects.filter(pk=read.pullback_id).update(**pullback)
    client = Client()
    client.force_login(world.reader_a)
    response = client.get(f"/reads/{read.pk}/")
    assert response.status_code == 200
    return client, response.content.decode(), read.pullback


def open_read_with_frames(world: Any, read: Read, settings: Any) -> tuple[Client, str, Any]:
    """``open_read`` of a pullback with two frames on disk, sent by the app (no proxy)."""
    settings.FRAMES_VIA_PROXY = False
    client, html, pullback = open_read(world, read, n_frames=2)
    write_frames(str(pullback.storage_key), FRAMES)
    return client, html, pullback


def test_the_poster_is_frame_0_of_the_readers_own_pullback(
    world: Any, reads: Any, settings: Any
) -> None:
    client, html, pullback = open_read_with_frames(world, reads[0], settings)

    [url] = poster_urls(html)

    assert url == f"/api/v1/pullbacks/{pullback.pk}/frames/0"
    frame = client.get(url)
    assert frame.status_code == 200
    assert frame["Content-Type"] == "image/jpeg"
    assert b"".join(frame) == FRAMES[0]
    # Painted by the browser, timed by Element Timing (src/ui/stats.ts).
    assert 'elementtiming="viewer-poster"' in html


def test_opening_the_page_grants_its_frames_ahead(
    world: Any, reads: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    client, _, pullback = open_read_with_frames(world, reads[0], settings)

    # The full check was made by the page: the poster's request is answered from the cache.
    with django_assert_num_queries(0):
        frame = client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/0")
    assert frame.status_code == 200
    assert b"".join(frame) == FRAMES[0]


def test_the_grant_made_ahead_is_for_the_pages_session_alone(
    world: Any, reads: Any, settings: Any
) -> None:
    _, _, pullback = open_read_with_frames(world, reads[0], settings)
    # Another session's request is checked in full and finds nothing, as without the page.
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.get(f"/api/v1/pullbacks/{pullback.pk}/frames/0").status_code == 404


@pytest.mark.parametrize(
    "pullback",
    [{"status": "ingesting", "n_frames": None}, {"status": "failed"}, {"n_frames": 0}],
    ids=["ingesting", "failed", "no-frames"],
)
def test_no_poster_without_a_frame_to_show(
    world: Any, reads: Any, pullback: dict[str, Any]
) -> None:
    _, html, _ = open_read(world, reads[0], **pullback)

    assert poster_urls(html) == []
    assert 'id="viewer-root"' in html
