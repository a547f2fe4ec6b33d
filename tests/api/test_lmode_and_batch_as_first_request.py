"""A signed-in reader's very first request may be the L-mode or a frame batch (no warm grant)."""

from __future__ import annotations

import struct
from typing import Any

from django.test import Client

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services import assignment
from tests.uploads import ingested


def test_session_reader_gets_lmode_and_batch_without_fetching_a_frame_first(
    world: Any, tmp_path: Any
) -> None:
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=20, rows=128, columns=128, seed=5)
    pullback = ingested(world.study, world.coordinator, path, frame_files=False, subject_code="S-1")
    assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    client = Client()
    client.force_login(world.reader_a)
    lmode = client.get(f"/api/v1/pullbacks/{pullback.pk}/lmode/?angle_deg=90")
    assert lmode.status_code == 200
    assert lmode.content[:8] == b"\x89PNG\r\n\x1a\n"
    client = Client()
    client.force_login(world.reader_b)
    batch = client.get(f"/api/v1/pullbacks/{pullback.pk}/frames/?start=3&count=4")
    assert batch.status_code == 200
    index, length = struct.unpack(">II", batch.content[:8])
    assert index == 3
    assert batch.content[8 : 8 + length][:2] == b"\xff\xd8"
