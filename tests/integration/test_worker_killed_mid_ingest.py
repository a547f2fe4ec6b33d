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
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from adjudication import storage
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Pullback
from adjudication.services import ingest
from adjudication.services.ingest import UploadSource
from adjudication.services.ingest.progress import _progress_key
from tests.factories import MembershipFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.integration


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def test_sigkill_mid_ingest_redelivers_and_ends_ready(
    celery_worker_process: Any, wait_until: Any, tmp_path: Path
) -> None:
    study = StudyFactory()
    coordinator = UserFactory(username="coord")
    MembershipFactory(study=study, user=coordinator, role="coordinator")
    path = tmp_path / "big.dcm"
    # Large enough that the rewrite and the writing take a while on a loaded machine.
    make_synthetic_pullback(
        path, n_frames=240, rows=512, columns=512, encoding="jpeg_baseline", seed=3
    )
    with open(path, "rb") as fh:
        [pullback] = ingest.pullbacks_create_from_upload(
            study=study,
            actor=coordinator,
            sources=[UploadSource(path.name, fh, None)],
            subject_code="S-0001",
            timepoint="post",
        )  # schedules pullback_ingest_task on commit (transactional test: commits now)
    wait_until(
        lambda: cache.get(_progress_key(pullback.pk)) is not None,
        timeout_s=60,
        what="the worker to start the ingest",
    )
    time.sleep(0.05)
    pullback.refresh_from_db()
    assert pullback.status == "ingesting", "ingest ended before the kill"
    (child,) = _children(celery_worker_process.pid)
    os.kill(child, signal.SIGKILL)

    wait_until(
        lambda: Pullback.objects.get(pk=pullback.pk).status != "ingesting",
        timeout_s=120,
        what="the redelivered ingest to finish",
    )
    pullback.refresh_from_db()
    assert pullback.status == "ready", pullback.error
    assert pullback.n_frames == 240
    log = (tmp_path / "worker.log").read_bytes()
    assert b"SIGKILL" in log  # the worker saw its process die
    assert (
        AuditEvent.objects.filter(action="pullback.ready", object_id=str(pullback.pk)).count() == 1
    )
    key = str(pullback.storage_key)
    assert len(storage.read_frames(key, 0, 240, "image/jpeg") or []) == 240
    assert not storage.upload_path(pullback).exists()
    assert sorted(p.name for p in storage.pullback_dir(pullback).iterdir()) == [
        "frames.idx",
        "source.dcm",
    ]
