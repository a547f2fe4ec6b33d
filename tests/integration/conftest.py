"""A real ``celery worker`` process against real Redis and the test database.

Tests here use ``transactional_db`` so that what the test process writes is committed and
visible to the worker, and what the worker writes is visible back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _worker_env() -> dict[str, str]:
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
    consumes both queues (light and heavy); ``env`` adds variables (e.g. its role)."""
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
        env={**_worker_env(), **(env or {})},
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


@pytest.fixture
def celery_worker_process(
    transactional_db: Any, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("integration tests need PostgreSQL (set DATABASE_URL)")
    log_path = tmp_path / "worker.log"
    proc = start_worker(log_path)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    # Show the worker's log when a test failed (pytest prints captured output on failure).
    sys.stdout.write(log_path.read_text(errors="replace")[-8000:])


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    def _wait(predicate: Callable[[], Any], timeout_s: float = 60.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what or predicate}")

    return _wait
