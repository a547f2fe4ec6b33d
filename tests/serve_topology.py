"""The production topology of ``bin/serve`` for the tests: nginx (Debian's nginx-light, the
configuration ``deploy/render_nginx.py`` writes for ``bin/serve``) in front of an app server,
on free loopback ports.

- ``nginx_in_front``: nginx alone, in front of any app (the blinding tests put it in front of
  Django's live server).
- ``served_app``: the whole web part of ``bin/serve`` — collectstatic, gunicorn
  (``deploy/gunicorn.conf.py``) running ``corelab.wsgi`` with ``bin/serve``'s production
  switches (``SERVE_SWITCHES``: DEBUG off, frames sent by nginx), and nginx in front. The
  browser tests run against it (``tests/e2e/conftest.py``). No Celery worker: a test that
  needs one starts its own (``tests.integration.conftest.start_worker``), so no task of one
  test runs into the next.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

# The app's environment in bin/serve (its `export`s), minus what the caller gives (database,
# Redis, media, secret key): production switches, plain HTTP on loopback.
SERVE_SWITCHES = {
    "DEBUG": "false",
    "FRAMES_VIA_PROXY": "true",
    "TRUSTED_PROXY_COUNT": "1",
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    # nginx writes raw uploads to files the app takes by name (adjudication/uploads_proxy.py).
    "UPLOAD_PROXY_TOKEN": secrets.token_urlsafe(32),
}


@dataclass(frozen=True)
class ServedApp:
    url: str  # nginx, e.g. http://127.0.0.1:40123
    access_log: Path  # gunicorn's: every request that reached the app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60
) -> None:
    """Until something accepts connections on ``port``; raises with the log's tail if the
    process ends first or nothing listens within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"{process.args[0]} did not start:\n{tail}") from None
            time.sleep(0.05)


@contextmanager
def running(
    command: list[str], *, port: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[None]:
    """``command`` started (output to ``log``) and listening on ``port``; stopped on exit."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        yield
    finally:
        stop_process(process, timeout_s=30)


def stop_process(process: subprocess.Popen[bytes], *, timeout_s: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout_s``; nothing if it has ended already."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def nginx_in_front(
    folder: Path, *, app: str, media_root: Path, static_root: Path, upload_token: str = ""
) -> Iterator[str]:
    """nginx with bin/serve's configuration on a free loopback port, in front of ``app``
    (``host:port``); yields its base URL. ``upload_token``: nginx writes raw uploads to files
    for the app (``UPLOAD_PROXY_TOKEN``, which the app must have too); empty: off."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed (bin/test installs Debian's nginx-light)")
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from render_nginx import render
    finally:
        sys.path.pop(0)
    port = free_port()
    values = {
        "LISTEN": f"127.0.0.1:{port}",
        "APP_UPSTREAM": app,
        "MEDIA_ROOT": str(media_root),
        "STATIC_ROOT": str(static_root),
        "UPLOAD_PROXY_TOKEN": upload_token,
    }
    # Test folders are private to their owner: as root, nginx's workers run as that owner.
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
    conf = render(folder, values, user=user)
    error_log = folder / "logs" / "error.log"
    with running(
        [NGINX, "-c", str(conf), "-p", str(folder), "-e", str(error_log)],
        port=port,
        log=folder / "logs" / "nginx.out",
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def served_app(folder: Path, env: dict[str, str]) -> Iterator[ServedApp]:
    """bin/serve's web part for the app configured by ``env`` (settings module, database,
    Redis, MEDIA_ROOT, SECRET_KEY) with ``SERVE_SWITCHES`` on top: static files collected
    into ``folder``, gunicorn, nginx."""
    static_root = folder / "static"
    env = {**env, **SERVE_SWITCHES, "STATIC_ROOT": str(static_root), "PYTHONUNBUFFERED": "1"}
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    app_port = free_port()
    access_log = folder / "gunicorn-access.log"
    gunicorn = [sys.executable, "-m", "gunicorn", "corelab.wsgi", "--config"]
    gunicorn += [str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{app_port}"]
    gunicorn += ["--access-logfile", str(access_log)]
    with (
        running(gunicorn, port=app_port, log=folder / "gunicorn.log", env=env),
        nginx_in_front(
            folder / "nginx",
            app=f"127.0.0.1:{app_port}",
            media_root=Path(env["MEDIA_ROOT"]),
            static_root=static_root,
            upload_token=env["UPLOAD_PROXY_TOKEN"],
        ) as url,
    ):
        yield ServedApp(url=url, access_log=access_log)
