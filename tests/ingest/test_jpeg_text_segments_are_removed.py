"""Text hidden inside JPEG frames (COM / APPn segments) never reaches readers or storage."""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate, generate_frames

from adjudication import storage
from adjudication.dicom.jpeg_text import strip_text_segments
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services import ingest
from adjudication.services.assignment import pullback_assign_readers

SECRET = b"PATIENT DOE^JANE 1947-11-23"


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_text(frame: bytes) -> bytes:
    """The frame with a comment and an EXIF-like APP1 segment right after SOI."""
    return frame[:2] + segment(0xFE, SECRET) + segment(0xE1, b"Exif\x00\x00" + SECRET) + frame[2:]


def test_it_removes_comment_and_app1_but_keeps_the_image(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.arange(64 * 64, dtype=np.uint8).reshape(64, 64)).save(buffer, "JPEG")
    plain = buffer.getvalue()
    dirty = with_text(plain)
    cleaned = strip_text_segments(dirty)
    assert SECRET not in cleaned
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(cleaned))), np.asarray(Image.open(io.BytesIO(plain)))
    )


def test_a_frame_without_text_is_left_byte_for_byte() -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(buffer, "JPEG")
    frame = buffer.getvalue()
    assert strip_text_segments(frame) is frame or strip_text_segments(frame) == frame


@pytest.fixture
def dirty_pullback(world: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "dirty.dcm"
    make_synthetic_pullback(path, n_frames=5, rows=64, columns=64, encoding="jpeg_baseline")
    ds = pydicom.dcmread(path)
    frames = [with_text(bytes(f)) for f in generate_frames(ds.PixelData, number_of_frames=5)]
    ds.PixelData = encapsulate(frames, has_bot=True)
    ds.save_as(path, enforce_file_format=False)
    with open(path, "rb") as fh:
        pullback = ingest.pullback_create_from_upload(
            study=world.study,
            actor=world.coordinator,
            fileobj=fh,
            filename="dirty.dcm",
            size_bytes=path.stat().st_size,
            subject_code="S-0007",
            timepoint="post",
        )
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    assert pullback.status == "ready", pullback.error
    pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return pullback


def test_frames_served_to_readers_and_the_stored_file_carry_no_embedded_text(
    world: Any, api: Any, dirty_pullback: Any
) -> None:
    assert SECRET not in storage.source_path(dirty_pullback).read_bytes()
    client = api(world.reader_a)
    for n in range(5):
        response = client.get(f"/api/v1/pullbacks/{dirty_pullback.pk}/frames/{n}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body[:2] == b"\xff\xd8"
        assert SECRET not in body
