"""Ingest through the services (upload → worker step), as the API and the CLI run it (SPEC §8).

Every accepted variant becomes ``ready`` with the right frame count, photometric handling and
``calibration_source``; every broken file becomes ``failed`` with a readable reason — or is
refused at upload — and leaves no ready row and no file under MEDIA_ROOT.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import generate_frames
from pydicom.pixels import get_encoder

from adjudication import storage
from adjudication.dicom.synthetic import (
    ENCODINGS,
    make_synthetic_pullback,
)
from adjudication.domain.errors import DomainError
from adjudication.models import AuditEvent, Pullback
from adjudication.services import ingest
from adjudication.services.ingest import progress
from tests import uploads
from tests.broken_files import rewrite_dataset, write_truncated

SIZE = 64
FRAMES = 4


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload(world: Any, path: Path) -> Pullback:
    return uploads.uploaded(world.study, world.coordinator, path)


def upload_and_ingest(world: Any, path: Path) -> Pullback:
    """Upload, ingest, and the light task ``ready`` schedules (the per-frame files)."""
    return uploads.ingested(world.study, world.coordinator, path, frame_files=True)


def stored_frame(pullback: Pullback, n: int) -> bytes:
    data = storage.read_frame(str(pullback.storage_key), n, pullback.frame_content_type)
    assert data is not None
    return data


def _encoder_missing(encoding: str) -> bool:
    if encoding in ("explicit_little", "implicit_little", "jpeg_baseline"):
        return False
    return not get_encoder(ENCODINGS[encoding]).is_available


ACCEPTED = [
    # encoding, photometric, bits, sop class, spacing location, pixel spacing source
    ("explicit_little", "MONOCHROME2", 8, "ivoct_presentation", "shared_functional_group", "pixel_measures_shared"),
    ("implicit_little", "MONOCHROME2", 8, "ivoct_processing", "per_frame_functional_group", "pixel_measures_per_frame"),
    ("explicit_little", "MONOCHROME2", 16, "sc_word", "pixel_spacing", "pixel_spacing"),
    ("explicit_little", "RGB", 8, "sc_color", "shared_functional_group", "pixel_measures_shared"),
    ("explicit_little", "YBR_FULL", 8, "us_multiframe", "none", "none"),
    ("explicit_little", "YBR_FULL_422", 8, "us_multiframe", "shared_functional_group", "pixel_measures_shared"),
    ("jpeg_baseline", "MONOCHROME2", 8, "ivoct_presentation", "shared_functional_group", "pixel_measures_shared"),
    ("jpeg_baseline", "RGB", 8, "sc_color", "pixel_spacing", "pixel_spacing"),
    ("rle", "MONOCHROME2", 8, "sc_byte", "shared_functional_group", "pixel_measures_shared"),
    ("rle", "RGB", 8, "sc_color", "shared_functional_group", "pixel_measures_shared"),
    ("jpeg2000", "MONOCHROME2", 8, "ivoct_presentation", "shared_functional_group", "pixel_measures_shared"),
    ("jpeg2000_lossless", "MONOCHROME2", 16, "ivoct_processing", "shared_functional_group", "pixel_measures_shared"),
    ("jpegls", "MONOCHROME2", 8, "ivoct_presentation", "shared_functional_group", "pixel_measures_shared"),
    ("jpegls_near", "MONOCHROME2", 8, "ivoct_presentation", "shared_functional_group", "pixel_measures_shared"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "photometric", "bits", "sop_class", "location", "pixel_source"), ACCEPTED
)
def test_each_accepted_variant_becomes_ready_with_its_frames_and_calibration(
    world: Any, media: Path, tmp_path: Path, encoding, photometric, bits, sop_class, location,
    pixel_source,
) -> None:  # fmt: skip
    if _encoder_missing(encoding):
        pytest.skip(f"no {encoding} encoder installed here")
    path = tmp_path / "in.dcm"
    make_synthetic_pullback(
        path, n_frames=FRAMES, rows=SIZE, columns=SIZE, encoding=encoding,
        photometric=photometric, bits_allocated=bits, sop_class=sop_class,
        spacing_location=location,
    )  # fmt: skip
    pullback = upload_and_ingest(world, path)
    assert pullback.status == "ready", pullback.error
    assert (pullback.n_frames, pullback.rows, pullback.columns) == (FRAMES, SIZE, SIZE)
    assert pullback.calibration_source == f"{pixel_source}; longitudinal_distance"
    assert pullback.frame_spacing_mm == pytest.approx(0.2)
    if pixel_source == "none":
        assert pullback.pixel_spacing_mm is None  # never a guessed mm value
    else:
        assert pullback.pixel_spacing_mm == [0.01, 0.01]
    assert pullback.frame_content_type == "image/jpeg"
    # Photometric handling: grayscale stays one channel; colour (RGB, YBR) is shown as RGB
    # with the source's colours, whatever its stored colour space.
    source = pydicom.dcmread(storage.source_path(pullback))
    for n in (0, FRAMES - 1):
        with Image.open(io.BytesIO(stored_frame(pullback, n))) as image:
            shown = np.asarray(image).astype(np.int16)
            assert image.size == (SIZE, SIZE)
            assert image.mode == ("L" if photometric == "MONOCHROME2" else "RGB")
        if bits == 8:
            # pydicom decodes YBR to RGB: what the viewer must show, within JPEG error.
            expected = source.pixel_array[n].astype(np.int16)
            assert np.abs(shown - expected).mean() < 8  # a JPEG of the same picture
    # Frames are indexed in source.dcm itself for passed-through JPEG baseline, in one
    # frames.bin for re-encoded sources, and each is a file of its own under frames.files/ for
    # the proxy's sendfile (and in aligned batches); the upload (with PHI) is gone; nothing else lies around.
    served_from_source = (
        encoding == "jpeg_baseline" and source.PhotometricInterpretation != "RGB"
    )  # the synthetic "RGB" JPEG is stored as YBR_FULL_422, as JPEG colour usually is
    assert files_under(media) == sorted(
        f"pullbacks/{pullback.storage_key}/{name}"
        for name in ["source.dcm", "frames.idx"]
        + ([] if served_from_source else ["frames.bin"])
        + [f"frames.files/{n}.jpg" for n in range(FRAMES)]
        + ["frames.files/batch-0-64.bin"]  # and again as aligned batches for the viewer
    )


def test_frame_spacing_falls_back_to_frame_time_then_cine_rate_then_the_study_default(
    world: Any, media: Path, tmp_path: Path
) -> None:
    base = tmp_path / "base.dcm"
    make_synthetic_pullback(base, n_frames=FRAMES, rows=SIZE, columns=SIZE, seed=1)
    cases = [
        ({"PerFrameFunctionalGroupsSequence": None}, "frame_time", 0.2),
        ({"PerFrameFunctionalGroupsSequence": None, "FrameTime": None}, "cine_rate", 0.2),
        (
            {"PerFrameFunctionalGroupsSequence": None, "FrameTime": None, "CineRate": None},
            "study_default",
            20.0 / 180.0,
        ),
    ]
    for seed, (changes, source, spacing) in enumerate(cases, start=10):
        path = tmp_path / f"{source}.dcm"
        rewrite_dataset(base, path, SOPInstanceUID=f"1.2.3.{seed}", **changes)
        pullback = upload_and_ingest(world, path)
        assert pullback.status == "ready", pullback.error
        assert pullback.calibration_source == f"pixel_measures_shared; {source}"
        assert pullback.frame_spacing_mm == pytest.approx(spacing, rel=1e-3)


def test_jpeg_baseline_frames_are_stored_as_the_source_fragments_byte_for_byte(
    world: Any, media: Path, tmp_path: Path
) -> None:
    path = tmp_path / "jpeg.dcm"
    make_synthetic_pullback(
        path, n_frames=FRAMES, rows=SIZE, columns=SIZE, encoding="jpeg_baseline"
    )
    original = pydicom.dcmread(path)
    fragments = list(generate_frames(original.PixelData, number_of_frames=FRAMES))
    pullback = upload_and_ingest(world, path)
    assert [stored_frame(pullback, n) for n in range(FRAMES)] == fragments


# ------------------------------------------------------------------------------------------
# Refusals: a failed pullback with a readable reason, no files, never ready
# ------------------------------------------------------------------------------------------


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.dcm"
    make_synthetic_pullback(path, n_frames=5, rows=SIZE, columns=SIZE, encoding="explicit_little")
    return path


def _broken(kind: str, good: Path, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.dcm"
    if kind == "truncated header":
        write_truncated(good, path, 300)
    elif kind == "truncated pixel data":
        write_truncated(good, path, -301)
    elif kind == "more frames declared than data":
        rewrite_dataset(good, path, NumberOfFrames=8)
    elif kind == "zero frames":
        rewrite_dataset(good, path, NumberOfFrames=0)
    elif kind == "no pixel data":
        rewrite_dataset(good, path, PixelData=None)
    elif kind == "unsupported bit depth":
        rewrite_dataset(good, path, BitsAllocated=12, BitsStored=12, HighBit=11)
    elif kind == "CT single frame":
        make_synthetic_pullback(path, n_frames=1, rows=SIZE, columns=SIZE, sop_class="ct")
    elif kind == "65535x65535x9999 declared":
        rewrite_dataset(good, path, Rows=65535, Columns=65535, NumberOfFrames=9999)
    elif kind == "burned-in annotation":
        make_synthetic_pullback(
            path, n_frames=3, rows=SIZE, columns=SIZE, burned_in_annotation=True
        )
    else:  # pragma: no cover - a typo in the table below
        raise AssertionError(kind)
    return path


REFUSALS = {
    "truncated header": "truncated",
    "truncated pixel data": "truncated",
    "more frames declared than data": "Number of Frames",
    "zero frames": "Number of Frames",
    "no pixel data": "no pixel data",
    "unsupported bit depth": "Bits allocated 12",
    "CT single frame": "CT",
    "65535x65535x9999 declared": "65535×65535",
    "burned-in annotation": "urned-in annotation",
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_broken_file_fails_with_a_readable_reason_and_leaves_nothing(
    world: Any, media: Path, tmp_path: Path, good: Path, kind: str
) -> None:
    pullback = upload_and_ingest(world, _broken(kind, good, tmp_path))
    assert pullback.status == "failed"
    assert REFUSALS[kind] in pullback.error
    assert files_under(media) == []
    assert not Pullback.objects.filter(status="ready").exists()
    assert AuditEvent.objects.filter(object_id=str(pullback.pk), action="pullback.failed").exists()


@pytest.mark.parametrize(
    ("changes", "tag"),
    [
        ({"spacing_location": "pixel_spacing", "PixelSpacing": ["0", "0.01"]}, "(0028,0030)"),
        ({"spacing_location": "pixel_spacing", "PixelSpacing": ["-0.01", "0.01"]}, "(0028,0030)"),
        ({"spacing_location": "pixel_spacing", "PixelSpacing": ["0.01"]}, "(0028,0030)"),
        ({"PerFrameFunctionalGroupsSequence": None, "FrameTime": "0"}, "Frame Time (0018,1063)"),
    ],
)
def test_bad_spacing_fails_naming_the_tag(
    world: Any, media: Path, tmp_path: Path, changes: dict, tag: str
) -> None:
    src, path = tmp_path / "src.dcm", tmp_path / "bad.dcm"
    location = changes.pop("spacing_location", "shared_functional_group")
    make_synthetic_pullback(src, n_frames=3, rows=SIZE, columns=SIZE, spacing_location=location)
    rewrite_dataset(src, path, **changes)
    pullback = upload_and_ingest(world, path)
    assert pullback.status == "failed"
    assert "Calibration refused" in pullback.error and tag in pullback.error
    assert files_under(media) == []


def test_a_second_copy_of_a_dicom_fails_as_a_duplicate(
    world: Any, media: Path, tmp_path: Path, good: Path
) -> None:
    first = upload_and_ingest(world, good)
    second = upload_and_ingest(world, good)
    assert first.status == "ready"
    assert second.status == "failed"
    assert "Duplicate" in second.error and f"pullback {first.pk}" in second.error
    assert not (media / "pullbacks" / str(second.storage_key)).exists()


@pytest.mark.parametrize("encoding", ["explicit_little", "jpeg_baseline"])
@pytest.mark.parametrize("cut", [-301, -9, 0.5])
def test_a_truncated_copy_of_a_known_dicom_is_named_truncated_not_duplicate(
    world: Any, media: Path, tmp_path: Path, encoding: str, cut: float
) -> None:
    """Issue 12, finding 8: the truncation check runs before the duplicate check."""
    src, copy = tmp_path / "src.dcm", tmp_path / "cut.dcm"
    make_synthetic_pullback(src, n_frames=3, rows=SIZE, columns=SIZE, encoding=encoding)
    keep = int(src.stat().st_size * cut) if isinstance(cut, float) else int(cut)
    write_truncated(src, copy, keep)
    assert upload_and_ingest(world, src).status == "ready"
    second = upload_and_ingest(world, copy)
    assert second.status == "failed"
    assert "truncated" in second.error and "Duplicate" not in second.error


def test_the_same_dicom_in_another_study_is_not_a_duplicate(
    world: Any, media: Path, good: Path
) -> None:
    upload_and_ingest(world, good)
    other = uploads.uploaded(world.other, world.coordinator, good, timepoint="pre")
    ingest.pullback_ingest(pullback_pk=other.pk)
    other.refresh_from_db()
    assert other.status == "ready"


@pytest.mark.parametrize(
    ("content", "code"), [(b"", "empty"), (b"Patient DOE^JANE, LAD\n" * 20, "not_dicom")]
)
def test_empty_and_non_dicom_files_are_refused_at_upload_and_store_nothing(
    world: Any, media: Path, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "x.dcm"
    path.write_bytes(content)
    with pytest.raises(DomainError) as info:
        upload(world, path)
    assert info.value.code == code
    assert not Pullback.objects.exists()
    assert files_under(media) == []


def test_ingest_runs_once_even_when_the_task_is_delivered_twice(
    world: Any, media: Path, good: Path
) -> None:
    pullback = upload(world, good)
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    ingest.pullback_ingest(pullback_pk=pullback.pk)  # nothing to do: already ready
    assert (
        AuditEvent.objects.filter(object_id=str(pullback.pk), action="pullback.ready").count() == 1
    )


def test_ingest_progress_is_published_while_ingesting_and_complete_after(
    world: Any, media: Path, good: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.INGEST_PROGRESS_EVERY_FRAMES = 1
    settings.INGEST_PROGRESS_EVERY_MS = 0
    pullback = upload(world, good)
    assert ingest.ingest_progress_pct(pullback) == 0  # queued, the worker has not started
    seen: list[int] = []
    real = progress.set_progress

    def spy(pk: int, pct: int) -> None:
        seen.append(pct)
        real(pk, pct)

    monkeypatch.setattr(progress, "set_progress", spy)
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 100
    assert len(set(seen)) >= 5 + 2  # one step per frame (5) plus inspected and done
    pullback.refresh_from_db()
    assert ingest.ingest_progress_pct(pullback) == 100
