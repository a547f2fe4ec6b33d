"""Crash safety: a worker process killed with SIGKILL mid-computation loses nothing.

The task is acknowledged late and rejected on worker loss, so Celery delivers it again;
the service's transaction died with the process, so the re-run starts clean and the result
is the same as an undisturbed computation, with no duplicated rows.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from adjudication.domain.annotations import parse_document
from adjudication.domain.metrics import compute_read_metrics
from adjudication.domain.settings import StudySettings
from adjudication.models import AuditEvent, FrameMetrics, ReadMetrics
from adjudication.services.metrics import pullback_calibration
from tests.integration.workers import metrics_under_way, pool_children, submitted_heavy_read

pytestmark = pytest.mark.integration


def test_sigkill_mid_metrics_redelivers_and_gives_the_same_rows(
    celery_worker_process: Any, wait_until: Any, tmp_path: Path
) -> None:
    read = submitted_heavy_read("heavy")
    pullback = read.pullback
    expected = compute_read_metrics(
        parse_document(read.annotations, n_frames=pullback.n_frames),
        calibration=pullback_calibration(pullback),
        settings=StudySettings.from_dict(pullback.study.settings),
        n_frames=pullback.n_frames,
    )

    log = tmp_path / "worker.log"  # written by the celery_worker_process fixture
    metrics_under_way(read, log, wait_until)
    (child,) = pool_children(celery_worker_process.pid)
    os.kill(child, signal.SIGKILL)

    wait_until(
        lambda: ReadMetrics.objects.filter(read=read).exists(),
        timeout_s=120,
        what="the redelivered task to finish",
    )
    assert b"SIGKILL" in log.read_bytes()  # the worker saw its process die
    metrics = ReadMetrics.objects.get(read=read)
    for name, value in expected.values.items():
        got = getattr(metrics, name)
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, name
    assert FrameMetrics.objects.filter(read=read).count() == len(expected.frames)
    assert (
        AuditEvent.objects.filter(action="read.compute_metrics", object_id=str(read.pk)).count()
        == 1
    )
