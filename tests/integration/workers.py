"""Real ``celery worker`` processes for tests: started against the test database and Redis,
stopped, their pool processes (to kill one mid-task), and work that keeps one busy for
seconds (a read whose metrics take that long)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from adjudication.models import Read, ReadMetrics
from adjudication.tasks import read_compute_metrics as read_compute_metrics_task
from tests.factories import PullbackFactory, ReadFactory, StudyFactory, UserFactory
from tests.serve_topology import stop_process

ROOT = Path(__file__).resolve().parents[2]


def worker_env() -> dict[str, str]:
    """This process's environment with what a worker needs to share its test database, media
    folder, Redis and queue."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            ),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def start_worker(
    log_path: Path,
    concurrency: int = 1,
    *,
    queues: tuple[str, ...] = (),
    app: str = "corelab",
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``celery worker`` and wait until it says it is ready (60 s at most). By default it
    consumes both queues (light and heavy); ``app`` is the Celery app's module (a test one
    such as ``tests.integration.slow_ingest_worker``); ``env`` adds variables (e.g. its role)."""
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "-Q",
            ",".join(queues or (settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_HEAVY_QUEUE)),
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env={**worker_env(), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{log_path.read_text()}")
        if b"ready." in log_path.read_bytes():
            return proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """A warm shutdown (20 s at most), else SIGKILL; nothing if it is already gone."""
    stop_process(proc, timeout_s=20)


@contextmanager
def running_worker(
    log_path: Path,
    *,
    queues: tuple[str, ...] = (),
    app: str = "corelab",
    env: dict[str, str] | None = None,
    show_log: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """``start_worker`` for the ``with`` block, stopped after it whatever happens; with
    ``show_log`` its log's tail goes to stdout then (pytest shows it when the test failed)."""
    proc = start_worker(log_path, queues=queues, app=app, env=env)
    try:
        yield proc
    finally:
        stop_worker(proc)
        if show_log:
            sys.stdout.write(log_path.read_text(errors="replace")[-8000:])


def pool_children(pid: int) -> list[int]:
    """The pids of worker ``pid``'s pool processes (where its tasks run)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


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


def submitted_heavy_read(username: str) -> Read:
    """A submitted read of ``username`` (a new study's) with a ``heavy_document``."""
    return ReadFactory(
        pullback=PullbackFactory(study=StudyFactory(), status="reading"),
        reader=UserFactory(username=username),
        slot=1,
        status="submitted",
        annotations=heavy_document(),
    )


def metrics_under_way(read: Read, log_path: Path, wait_until: Callable[..., Any]) -> None:
    """Queues ``read``'s metrics and returns once the worker logging to ``log_path`` has taken
    the task and is inside the computation (about 3 s on a ``heavy_document``)."""
    read_compute_metrics_task.delay(read_pk=read.pk)
    wait_until(lambda: b"read_compute_metrics" in log_path.read_bytes(), what="task received")
    time.sleep(0.3)
    assert not ReadMetrics.objects.filter(read=read).exists(), "computation ended too soon"
