"""A worker killed with SIGKILL in the middle of an ingest leaves the pullback re-runnable
(issue 12: the decode runs outside any transaction, claimed by an advisory lock that dies
with the worker's database connection).

The task is acknowledged late and rejected on worker loss, so Celery delivers it again at
once; the killed worker's claim is gone with its connection, the upload is still there, and
the re-run ends ``ready`` with one ``ready`` audit event and the frames of an undisturbed run.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from adjudication import storage
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Pullback
from adjudication.services.ingest.progress import _progress_key
from tests.factories import study_with_coordinator
from tests.integration.workers import pool_children, running_worker
from tests.uploads import uploaded

pytestmark = pytest.mark.integration
FRAMES = 200


@pytest.fixture
def slow_worker(transactional_db: Any, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery worker`` whose frame rewrite takes 10 ms a frame (``slow_ingest_worker``),
    so that the kill lands in the middle of the ingest on any machine."""
    log_path = tmp_path / "worker.log"
    with running_worker(
        log_path, app="tests.integration.slow_ingest_worker", show_log=True
    ) as proc:
        yield proc


def test_sigkill_mid_ingest_redelivers_and_ends_ready(
    slow_worker: Any, wait_until: Any, tmp_path: Path
) -> None:
    study, coordinator = study_with_coordinator()
    path = tmp_path / "big.dcm"
    make_synthetic_pullback(
        path, n_frames=FRAMES, rows=128, columns=128, encoding="jpeg_baseline", seed=3
    )
    # Schedules pullback_ingest_task on commit (transactional test: commits now).
    pullback = uploaded(study, coordinator, path)
    wait_until(
        lambda: (cache.get(_progress_key(pullback.pk)) or 0) > 0,
        timeout_s=60,
        what="the worker to be in the middle of the frame rewrite",
    )
    pullback.refresh_from_db()
    assert pullback.status == "ingesting", "ingest ended before the kill"
    (child,) = pool_children(slow_worker.pid)
    os.kill(child, signal.SIGKILL)

    wait_until(
        lambda: Pullback.objects.get(pk=pullback.pk).status != "ingesting",
        timeout_s=120,
        what="the redelivered ingest to finish",
    )
    pullback.refresh_from_db()
    assert pullback.status == "ready", pullback.error
    assert pullback.n_frames == FRAMES
    log = (tmp_path / "worker.log").read_bytes()
    assert b"SIGKILL" in log  # the worker saw its process die
    assert (
        AuditEvent.objects.filter(action="pullback.ready", object_id=str(pullback.pk)).count() == 1
    )
    key = str(pullback.storage_key)
    assert len(storage.read_frames(key, 0, FRAMES, "image/jpeg") or []) == FRAMES
    # The staged upload is removed right after the finishing transaction commits (the status
    # can be seen as ready a moment before): it must be gone, not left behind.
    wait_until(
        lambda: not storage.upload_path(pullback).exists(),
        timeout_s=30,
        what="the staged upload to be removed after ingest",
    )
    # Each frame as a file for the proxy: a light task scheduled when ingest committed.
    wait_until(
        lambda: (storage.pullback_dir(pullback) / storage.FRAME_FILES_NAME).is_dir(),
        timeout_s=60,
        what="the per-frame files to be written after ready",
    )
    assert sorted(p.name for p in storage.pullback_dir(pullback).iterdir()) == [
        "frames.files",  # each frame as a file for the proxy (issue 13); no temporaries left
        "frames.idx",
        "source.dcm",
    ]
    files = storage.pullback_dir(pullback) / storage.FRAME_FILES_NAME
    assert len(list(files.glob("*.jpg"))) == FRAMES
    batch = settings.FRAMES_BATCH_MAX_COUNT  # and again in aligned batches for the viewer
    assert sorted(p.name for p in files.glob("batch-*.bin")) == sorted(
        f"batch-{start}-{batch}.bin" for start in range(0, FRAMES, batch)
    )
