"""The L-mode cache is per user (issue 12, finding 3: a blinding side channel).

With one cache shared by everyone, an angle the other reader already viewed answered in
2 ms and any other angle in 80 ms: one probe of angle 0 (the reading page requests it on
open) told a reader whether the other reader had started. Now each user's images are
computed for and cached for that user only, so what another user viewed changes nothing a
user can observe — not the files their request reads, not whether it computes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from adjudication import storage
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services.assignment import pullback_assign_readers
from adjudication.services.ingest import lmode as lmode_service
from adjudication.tokens import token_issue
from tests.uploads import ingested


@pytest.fixture
def pullback(world: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=5, rows=64, columns=64, encoding="jpeg_baseline")
    pullback = ingested(
        world.study, world.coordinator, path, frame_files=False, subject_code="S-0042"
    )
    pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    pullback.refresh_from_db()
    return pullback


def token_client(user: Any) -> Client:
    token = token_issue(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_reader_b_computes_their_own_lmode_even_after_reader_a_viewed_the_angle(
    world: Any, pullback: Any, monkeypatch: Any
) -> None:
    computed: list[int] = []
    real = lmode_service.lmode_array

    def spy(*args: Any, **kwargs: Any) -> Any:
        computed.append(kwargs["angle_deg"])
        return real(*args, **kwargs)

    monkeypatch.setattr(lmode_service, "lmode_array", spy)
    url = f"/api/v1/pullbacks/{pullback.pk}/lmode/"
    a = token_client(world.reader_a).get(url, {"angle_deg": 0})
    assert a.status_code == 200 and computed == [0]
    assert token_client(world.reader_a).get(url, {"angle_deg": 0}).status_code == 200
    assert computed == [0]  # reader A's second request comes from reader A's cache
    b = token_client(world.reader_b).get(url, {"angle_deg": 0})
    assert b.status_code == 200
    assert computed == [0, 0]  # reader B's first request computes, as if A had never looked
    assert b.content == a.content  # the same image, just not the same cache


def test_cached_images_live_in_one_folder_per_user(world: Any, pullback: Any) -> None:
    key = str(pullback.storage_key)
    token_client(world.reader_a).get(f"/api/v1/pullbacks/{pullback.pk}/lmode/", {"angle_deg": 30})
    folder = storage.pullback_dir(pullback) / "lmode"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.png"))
    a = f"u{world.reader_a.pk}"
    assert files == [f"{a}/030.png", f"{a}/210.png"]  # the angle and its mirror, A's only
    assert not storage.lmode_path(key, 30, user_pk=world.reader_b.pk).exists()
