"""Frames reach the viewer fast, exactly and only for people who may see them (issue 4).

Single frames, batched frames and the L-mode image of an ingested synthetic pullback; the
permission check runs on every request but, with a warm grant, without a database query.
"""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from django.test import Client
from PIL import Image
from pydicom.encaps import generate_frames

from adjudication import storage
from adjudication.dicom.lmode import lmode_sample_points
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Read
from adjudication.services.assignment import pullback_assign_readers
from adjudication.tokens import token_issue
from tests import uploads

N_FRAMES = 12
SIZE = 96


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def ingested(world: Any, path: Path) -> Any:
    pullback = uploads.ingested(
        world.study, world.coordinator, path, frame_files=False, subject_code="S-0042"
    )
    assert pullback.status == "ready", pullback.error
    pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    pullback.refresh_from_db()
    return pullback


@pytest.fixture
def jpeg_pullback(world: Any, media: Path, tmp_path: Path) -> tuple[Any, list[bytes]]:
    path = tmp_path / "jpeg.dcm"
    make_synthetic_pullback(
        path, n_frames=N_FRAMES, rows=SIZE, columns=SIZE, encoding="jpeg_baseline", seed=4
    )
    fragments = list(generate_frames(pydicom.dcmread(path).PixelData, number_of_frames=N_FRAMES))
    return ingested(world, path), fragments


def token_client(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")


def session_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def frame_url(pullback: Any, n: int) -> str:
    return f"/api/v1/pullbacks/{pullback.pk}/frames/{n}"


# ------------------------------------------------------------------------------------------
# One frame
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_client", [token_client, session_client])
def test_reader_gets_the_jpeg_baseline_fragment_byte_for_byte(
    world: Any, jpeg_pullback: Any, make_client: Any
) -> None:
    pullback, fragments = jpeg_pullback
    client = make_client(world.reader_a)
    for n in (0, 5, N_FRAMES - 1):
        r = client.get(frame_url(pullback, n))
        assert r.status_code == 200
        assert r["Content-Type"] == "image/jpeg"
        assert r.content == fragments[n]  # no decode, no re-encode


def test_frames_are_cacheable_with_a_strong_etag_and_answer_304(
    world: Any, jpeg_pullback: Any
) -> None:
    pullback, _ = jpeg_pullback
    client = token_client(world.reader_a)
    r = client.get(frame_url(pullback, 3))
    etag = r["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    cache_control = [part.strip() for part in r["Cache-Control"].split(",")]
    assert "private" in cache_control and "immutable" in cache_control
    assert any(part.startswith("max-age=") and int(part[8:]) > 0 for part in cache_control)
    again = client.get(frame_url(pullback, 3), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    other = client.get(frame_url(pullback, 4), HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200 and other["ETag"] != etag


def test_past_the_last_frame_is_404(world: Any, jpeg_pullback: Any) -> None:
    pullback, _ = jpeg_pullback
    client = token_client(world.reader_a)
    assert client.get(frame_url(pullback, N_FRAMES - 1)).status_code == 200
    assert client.get(frame_url(pullback, N_FRAMES)).status_code == 404
    assert client.get(frame_url(pullback, 10**6)).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "other_reader", "adjudicator"])
def test_people_who_may_not_see_the_pullback_get_404_for_its_frames(
    world: Any, jpeg_pullback: Any, persona: str
) -> None:
    pullback, _ = jpeg_pullback
    for client in (token_client(getattr(world, persona)), session_client(getattr(world, persona))):
        assert client.get(frame_url(pullback, 0)).status_code == 404
        assert client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/?start=0").status_code == 404
        assert client.get(f"/api/v1/pullbacks/{pullback.pk}/lmode/").status_code == 404


def test_anonymous_and_bad_tokens_are_not_authenticated(world: Any, jpeg_pullback: Any) -> None:
    pullback, _ = jpeg_pullback
    assert Client().get(frame_url(pullback, 0)).status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert bad.get(frame_url(pullback, 0)).status_code == 401


@pytest.mark.parametrize("make_client", [token_client, session_client])
def test_a_warm_frame_fetch_costs_no_database_query(
    world: Any, jpeg_pullback: Any, django_assert_num_queries: Any, make_client: Any
) -> None:
    pullback, fragments = jpeg_pullback
    client = make_client(world.reader_b)
    assert client.get(frame_url(pullback, 0)).status_code == 200  # warms the grant
    with django_assert_num_queries(0):
        r = client.get(frame_url(pullback, 7))
    assert r.status_code == 200 and r.content == fragments[7]
    with django_assert_num_queries(0):
        assert client.get(frame_url(pullback, N_FRAMES)).status_code == 404


def test_losing_access_stops_frames_once_the_grant_expires(
    world: Any, jpeg_pullback: Any, settings: Any
) -> None:
    settings.FRAME_GRANT_TTL_S = 1
    pullback, _ = jpeg_pullback
    client = token_client(world.reader_a)
    assert client.get(frame_url(pullback, 0)).status_code == 200
    Read.objects.filter(pullback=pullback, reader=world.reader_a).delete()  # unassigned
    time.sleep(1.2)  # the documented window (FRAME_GRANT_TTL_S) has passed
    assert client.get(frame_url(pullback, 0)).status_code == 404


# ------------------------------------------------------------------------------------------
# Batched frames
# ------------------------------------------------------------------------------------------


def parse_batch(body: bytes) -> list[tuple[int, bytes]]:
    """The documented format: per frame a big-endian u32 index, u32 length, then the bytes."""
    frames, offset = [], 0
    while offset < len(body):
        index, length = struct.unpack_from(">II", body, offset)
        offset += 8
        frames.append((index, body[offset : offset + length]))
        offset += length
    assert offset == len(body)
    return frames


def test_a_batch_holds_the_same_bytes_as_the_single_frames(world: Any, jpeg_pullback: Any) -> None:
    pullback, fragments = jpeg_pullback
    client = token_client(world.reader_a)
    r = client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/?start=2&count=5")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.corelab.frames"
    assert (r["X-Frame-Start"], r["X-Frame-Count"]) == ("2", "5")
    assert r["X-Frame-Content-Type"] == "image/jpeg"
    assert parse_batch(r.content) == [(n, fragments[n]) for n in range(2, 7)]
    assert "immutable" in r["Cache-Control"]
    assert (
        client.get(
            r.request["PATH_INFO"] + "?start=2&count=5", HTTP_IF_NONE_MATCH=r["ETag"]
        ).status_code
        == 304
    )


def test_a_batch_running_past_the_end_is_clipped_and_the_whole_pullback_can_be_fetched(
    world: Any, jpeg_pullback: Any
) -> None:
    pullback, fragments = jpeg_pullback
    client = session_client(world.reader_b)
    got: list[tuple[int, bytes]] = []
    start = 0
    while start < N_FRAMES:
        r = client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/?start={start}&count=5")
        got += parse_batch(r.content)
        start += int(r["X-Frame-Count"])
    assert got == list(enumerate(fragments))


def test_batch_limits_are_explicit(world: Any, jpeg_pullback: Any, settings: Any) -> None:
    settings.FRAMES_BATCH_MAX_COUNT = 4
    pullback, _ = jpeg_pullback
    client = token_client(world.reader_a)
    url = f"/api/v1/pullbacks/{pullback.pk}/frames/"
    too_many = client.get(url, {"start": 0, "count": 5})
    assert too_many.status_code == 400 and too_many.json()["field"] == "count"
    assert client.get(url, {"start": 0}).headers["X-Frame-Count"] == "4"  # default: the cap
    assert client.get(url, {"start": N_FRAMES}).status_code == 404
    assert client.get(url, {"start": -1}).status_code == 400


def test_a_warm_batch_costs_no_database_query(
    world: Any, jpeg_pullback: Any, django_assert_num_queries: Any
) -> None:
    pullback, _ = jpeg_pullback
    client = token_client(world.reader_a)
    client.get(frame_url(pullback, 0))
    with django_assert_num_queries(0):
        r = client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/?start=0&count=3")
    assert r.status_code == 200


# ------------------------------------------------------------------------------------------
# L-mode
# ------------------------------------------------------------------------------------------


@pytest.fixture
def raw_pullback(world: Any, media: Path, tmp_path: Path) -> Any:
    path = tmp_path / "raw.dcm"
    make_synthetic_pullback(path, n_frames=N_FRAMES, rows=SIZE, columns=SIZE + 32, seed=5)
    return ingested(world, path)


def decoded_frames(pullback: Any) -> list[np.ndarray]:
    out = []
    for n in range(pullback.n_frames):
        data = storage.read_frame(str(pullback.storage_key), n, pullback.frame_content_type)
        out.append(np.asarray(Image.open(io.BytesIO(data))).astype(np.float64))
    return out


def bilinear(image: np.ndarray, x: float, y: float) -> float:
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    x1, y1 = min(x0 + 1, image.shape[1] - 1), min(y0 + 1, image.shape[0] - 1)
    fx, fy = x - x0, y - y0
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return float(top * (1 - fy) + bottom * fy)


@pytest.mark.parametrize("angle_deg", [0, 90, 33])
def test_lmode_samples_the_line_through_the_centre_at_the_angle(
    world: Any, raw_pullback: Any, angle_deg: int
) -> None:
    pullback = raw_pullback
    r = token_client(world.reader_a).get(
        f"/api/v1/pullbacks/{pullback.pk}/lmode/", {"angle_deg": angle_deg}
    )
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    lmode = np.asarray(Image.open(io.BytesIO(r.content))).astype(np.float64)
    radius = min(SIZE, SIZE + 32) // 2
    assert lmode.shape == (2 * radius, N_FRAMES)  # width = frames, height = 2 × radius
    cx, cy = (SIZE + 32 - 1) / 2, (SIZE - 1) / 2
    theta = np.radians(angle_deg)
    frames = decoded_frames(pullback)
    for f in (0, N_FRAMES // 2, N_FRAMES - 1):
        for i in (0, 7, radius - 1, radius, 2 * radius - 1):
            t = radius - 0.5 - i  # row 0 is the border at angle_deg (see dicom.lmode)
            x, y = cx + t * np.cos(theta), cy + t * np.sin(theta)
            assert abs(lmode[i, f] - bilinear(frames[f], x, y)) <= 1.0, (f, i)


def test_lmode_at_the_opposite_angle_is_the_same_line_upside_down(
    world: Any, raw_pullback: Any
) -> None:
    client = token_client(world.reader_a)
    url = f"/api/v1/pullbacks/{raw_pullback.pk}/lmode/"
    a = np.asarray(Image.open(io.BytesIO(client.get(url, {"angle_deg": 20}).content)))
    b = np.asarray(Image.open(io.BytesIO(client.get(url, {"angle_deg": 200}).content)))
    assert np.array_equal(a[::-1], b)


def test_lmode_angles_follow_spec_geometry_and_are_cached(
    world: Any, raw_pullback: Any, media: Path
) -> None:
    client = token_client(world.reader_a)
    url = f"/api/v1/pullbacks/{raw_pullback.pk}/lmode/"
    first = client.get(url, {"angle_deg": -90.2})  # = 270° (12 o'clock), whole degrees
    assert first["X-Angle-Deg"] == "270"
    assert storage.lmode_path(
        str(raw_pullback.storage_key), 270, user_pk=world.reader_a.pk
    ).exists()
    again = client.get(url, {"angle_deg": 270}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.get(url, {"angle_deg": "north"}).status_code == 400
    # 270° points up the screen (y down): row 0 samples above the centre.
    points = lmode_sample_points(rows=SIZE, columns=SIZE + 32, angle_deg=270)
    assert points[0][1] < (SIZE - 1) / 2 < points[-1][1]
