"""Crash safety: a worker process killed with SIGKILL mid-computation loses nothing.

The task is acknowledged late and rejected on worker loss, so Celery delivers it again;
the service's transaction died with the process, so the re-run starts clean and the result
is the same as an undisturbed computation, with no duplicated rows.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from adjudication.domain.annotations import parse_document
from adjudication.domain.metrics import compute_read_metrics
from adjudication.domain.settings import StudySettings
from adjudication.models import AuditEvent, FrameMetrics, ReadMetrics
from adjudication.services.metrics import pullback_calibration
from adjudication.tasks import read_compute_metrics as read_compute_metrics_task
from tests.factories import PullbackFactory, ReadFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.integration


def heavy_document(n_frames: int = 300, points: int = 1000) -> dict[str, Any]:
    """Dense contours on many frames so that computing metrics takes seconds."""
    frames = {}
    for f in range(n_frames):
        r = 150 + 10 * math.sin(f / 7)
        lumen = [
            [
                256 + r * math.cos(2 * math.pi * i / points),
                256 + r * math.sin(2 * math.pi * i / points),
            ]
            for i in range(points)
        ]
        struts = [
            [256 + (r - 3) * math.cos(a), 256 + (r - 3) * math.sin(a)]
            for a in [k * math.pi / 6 for k in range(12)]
        ]
        frames[str(f)] = {"lumen": lumen, "struts": struts}
    return {"stent": {"distal_frame": 10, "proximal_frame": 110}, "frames": frames}


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def test_sigkill_mid_metrics_redelivers_and_gives_the_same_rows(
    celery_worker_process: Any, wait_until: Any, tmp_path: Path
) -> None:
    study = StudyFactory()
    pullback = PullbackFactory(study=study, status="reading")
    read = ReadFactory(
        pullback=pullback,
        reader=UserFactory(username="heavy"),
        slot=1,
        status="submitted",
        annotations=heavy_document(),
    )
    expected = compute_read_metrics(
        parse_document(read.annotations, n_frames=pullback.n_frames),
        calibration=pullback_calibration(pullback),
        settings=StudySettings.from_dict(study.settings),
        n_frames=pullback.n_frames,
    )

    read_compute_metrics_task.delay(read_pk=read.pk)
    log = tmp_path / "worker.log"  # written by the celery_worker_process fixture
    wait_until(lambda: b"read_compute_metrics" in log.read_bytes(), what="task received")
    time.sleep(0.3)  # inside the computation (about 3 s on this document)
    assert not ReadMetrics.objects.filter(read=read).exists(), "computation ended too soon"
    (child,) = _children(celery_worker_process.pid)
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
