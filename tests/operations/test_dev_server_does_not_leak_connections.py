"""``make run``'s development server leaves no idle database connections behind (issue 12,
finding 6: 62 idle after 40 parallel requests, then 500s once Postgres ran out).

The development server starts a thread per request; with persistent connections
(``CONN_MAX_AGE`` > 0) each thread opened its own connection and nobody closed it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from adjudication.tokens import token_issue
from tests.factories import UserFactory
from tests.integration.workers import worker_env

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND application_name = 'corelab-devserver-test'"
        )
        return int(cursor.fetchone()[0])


@pytest.fixture
def dev_server(transactional_db: Any, tmp_path: Path) -> Any:
    port = _free_port()
    env = worker_env()
    env["PGAPPNAME"] = "corelab-devserver-test"  # libpq names the server's connections
    env.pop("DB_CONN_MAX_AGE", None)  # the defaults `make run` gets
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def _get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_forty_parallel_requests_leave_no_idle_connection(dev_server: str) -> None:
    token = token_issue(user=UserFactory())
    urls = [f"{dev_server}{path}" for path in ["/api/v1/me/", "/api/v1/studies/"] * 20]
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda url: _get(url, token), urls))
    assert statuses == [200] * 40  # each one queried the database
    # Connections close as their request ends; give the last ones a moment to go.
    deadline = time.monotonic() + 10
    while _server_connections() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _server_connections() == 0
