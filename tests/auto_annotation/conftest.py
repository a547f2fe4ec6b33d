"""A synthetic pullback with every artefact, uploaded and ingested through the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from adjudication.services import assignment, ingest
from tests.uploads import uploaded

N_FRAMES = 16
SIZE = 256
PIXEL_SPACING_MM = 0.02


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def phantom(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "pullback.dcm"
    truth = make_synthetic_pullback(
        path,
        n_frames=N_FRAMES,
        rows=SIZE,
        columns=SIZE,
        pixel_spacing_mm=PIXEL_SPACING_MM,
        seed=21,
        artefacts=True,
    )
    return path, truth


@pytest.fixture
def ready_pullback(
    world: Any,
    media: Path,
    phantom: tuple[Path, dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> Pullback:
    pullback = uploaded(world.study, world.coordinator, phantom[0])
    with django_capture_on_commit_callbacks(execute=False):
        ingest.pullback_ingest(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    pullback.refresh_from_db()
    return pullback
