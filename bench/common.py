"""Set-up the benchmarks share: loopback ports, the throwaway database, the app server and
nginx as ``bin/serve`` runs them, stopping processes, removing a run's Redis keys.

Imported by the benchmarks as ``common`` (each puts ``bench/`` on ``sys.path``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@localhost:5432")
# The app's own database: the benchmarks that take its server from it (consensus, load,
# save_cost) put their throwaway database beside it.
APP_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/corelab")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

# The app's production switches for a run on loopback (plain HTTP), as ``bin/serve`` sets them.
APP_ENV = {
    "DJANGO_SETTINGS_MODULE": "corelab.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "k" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
    # nginx writes raw uploads to files the app takes by name, as bin/serve has it.
    "UPLOAD_PROXY_TOKEN": "bench-upload-" + "t" * 40,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def admin_sql(sql: str, server_url: str = PG_URL) -> None:
    """``sql`` on the server's ``postgres`` database (create and drop the run's database)."""
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_url(name: str, base: str = APP_DATABASE_URL) -> str:
    """``base`` naming the database ``name`` instead; ``""``: the server alone."""
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}" if name else ""))


def drop_database(name: str, server_url: str = PG_URL) -> None:
    """Drop the run's database ``name`` if it is there, closing its connections."""
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', server_url)


def recreate_database(name: str, server_url: str = PG_URL) -> None:
    """A new, empty database ``name`` for the run (an earlier run's left-over dropped first)."""
    drop_database(name, server_url)
    admin_sql(f'CREATE DATABASE "{name}"', server_url)


def wait_port(
    port: int, proc: subprocess.Popen[bytes], name: str, log: Path, timeout_s: float = 60
) -> None:
    """Until ``proc`` accepts connections on ``port``; exits with its log's tail if it ends."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not start within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen[bytes] | None, timeout_s: float = 15) -> None:
    """SIGTERM, then SIGKILL after ``timeout_s``."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def drop_redis_keys(pattern: str) -> None:
    """Every Redis key of the run matching ``pattern`` (its queue, bindings, cache entries)."""
    try:
        import redis

        client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
        names = list(client.scan_iter(match=pattern, count=1000))
        if names:
            client.delete(*names)
    except Exception as exc:  # cleanup only: say so, never hide the figures
        print(f"  note: the run's Redis keys could not be removed: {exc}")


def start_nginx(
    folder: Path, *, port: int, app_port: int, media_root: Path, static_root: Path, workers: int = 1
) -> tuple[subprocess.Popen[bytes], Path]:
    """nginx with the configuration ``bin/serve`` runs (``deploy/render_nginx.py``) on
    ``port`` in front of the app on ``app_port``; returns it and its log once it listens."""
    if NGINX is None:
        raise SystemExit("nginx is not installed (bin/lib.sh ensure_nginx: Debian nginx-light)")
    sys.path.insert(0, str(ROOT / "deploy"))
    from render_nginx import render

    conf = render(
        folder,
        {
            "LISTEN": f"127.0.0.1:{port}",
            "APP_UPSTREAM": f"127.0.0.1:{app_port}",
            "MEDIA_ROOT": str(media_root),
            "STATIC_ROOT": str(static_root),
            "UPLOAD_PROXY_TOKEN": APP_ENV["UPLOAD_PROXY_TOKEN"],
        },
        workers=workers,
        user="root" if os.geteuid() == 0 else None,
    )
    log = folder / "nginx.log"
    proc: subprocess.Popen[bytes] = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(folder), "-e", str(folder / "nginx.err")],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),
    )
    wait_port(port, proc, "nginx", log)
    return proc, log


def gunicorn_command(port: int, workers: int, threads: int, *extra: str) -> list[str]:
    """gunicorn as ``bin/serve`` runs it (``deploy/gunicorn.conf.py``), with the run's workers
    and threads and any ``extra`` flags."""
    return [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "corelab.wsgi:application",
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--log-level=warning",
        *extra,
    ]


def run_logged(command: list[str], env: dict[str, Any], log: Path) -> subprocess.Popen[bytes]:
    """``command`` from the project folder, its output into ``log``."""
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT
    )
