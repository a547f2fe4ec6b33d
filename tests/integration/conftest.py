"""A real ``celery worker`` process against real Redis and the test database.

Tests here use ``transactional_db`` so that what the test process writes is committed and
visible to the worker, and what the worker writes is visible back.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.integration.workers import running_worker, worker_env
from tests.integration.workers import start_worker as start_worker  # named in serve_topology

# tests/e2e/conftest.py imports the worker environment from here by this name.
_worker_env = worker_env


@pytest.fixture
def celery_worker_process(
    transactional_db: Any, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("integration tests need PostgreSQL (set DATABASE_URL)")
    # Its log is shown when a test failed (pytest prints captured output on failure).
    with running_worker(tmp_path / "worker.log", show_log=True) as proc:
        yield proc


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
