"""Frame-delivery benchmark (issue 4): ingest, first frame, per-frame latency, whole pullback.

    .venv/bin/python bench/frames.py [--frames 540] [--size 1024] [--workers 2] [--threads 4]

What it does, all on loopback and in a throwaway world:

1. writes (once, cached in ``var/bench/``) a synthetic JPEG-baseline pullback of
   ``--frames`` frames of ``--size``² pixels;
2. creates the PostgreSQL database ``corelab_bench`` (dropped again at the end), migrates it,
   and through the services creates a coordinator, two readers, a study, the upload and its
   ingest (timed in-process: the same service the worker runs) and the reader assignment;
3. starts gunicorn on 127.0.0.1 at a free port (``gthread`` workers, so HTTP keep-alive
   works) against that database, a temporary MEDIA_ROOT and its own cache key prefix;
4. as reader A with ``Authorization: Token``: the first frame after ingest (cold grant), then
   every frame in sequential and in random order at concurrency 1 and 8 (p50/p95 per frame,
   frames/s), then the whole pullback through the batched endpoint, then one L-mode image
   (computed on first request, then cached);
5. compares with Orthanc only when an ``orthanc`` binary is installed (otherwise says so).

Clients are threads of this process with one keep-alive connection each; on a 2-core machine
client and server share the CPUs, so figures at concurrency 8 are a floor, not a ceiling.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = os.environ.get("BENCH_DB", "corelab_bench")  # one per engineer on a shared machine
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@localhost:5432")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _synthetic(frames: int, size: int) -> Path:
    path = ROOT / "var" / "bench" / f"jpeg-baseline-{frames}x{size}.dcm"
    if not path.exists():
        from adjudication.dicom.synthetic import make_synthetic_pullback

        path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        make_synthetic_pullback(
            path.with_suffix(".tmp"),
            n_frames=frames,
            rows=size,
            columns=size,
            encoding="jpeg_baseline",
            seed=540,
        )
        path.with_suffix(".tmp").rename(path)
        print(f"  wrote {path.name} in {time.perf_counter() - t0:.1f} s (cached for next runs)")
    return path


def _world(dicom: Path) -> dict[str, Any]:
    """Study, people, upload, ingest (timed) and assignment, through the services."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from adjudication.services import assignment, ingest, studies
    from adjudication.tokens import token_issue

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    coordinator = users.create_superuser("bench-coordinator", password="bench-pass-1234")
    readers = [users.create_user(f"bench-reader-{c}", password="bench-pass-1234") for c in "ab"]
    study = studies.study_create(actor=coordinator, name="Bench", code="bench", description="")
    for reader in readers:
        studies.study_add_member(
            study=study, actor=coordinator, username=reader.username, role="analyst"
        )
    t0 = time.perf_counter()
    with open(dicom, "rb") as fh:
        [pullback] = ingest.pullbacks_create_from_upload(
            study=study,
            actor=coordinator,
            sources=[ingest.UploadSource(dicom.name, fh, dicom.stat().st_size)],
            subject_code="S-0001",
            timepoint="post",
            schedule_ingest=False,
        )
    t1 = time.perf_counter()
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    t2 = time.perf_counter()
    pullback.refresh_from_db()
    if pullback.status != "ready":
        raise SystemExit(f"ingest failed: {pullback.error}")
    assignment.pullback_assign_readers(
        pullback=pullback, actor=coordinator, usernames=[r.username for r in readers]
    )
    token = token_issue(user=readers[0])
    return {
        "pullback": pullback.pk,
        "n_frames": pullback.n_frames,
        "token": token,
        "upload_s": t1 - t0,
        "ingest_s": t2 - t1,
    }


class Client:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}"}

    def get(self, path: str) -> tuple[int, bytes, float]:
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - t0

    def close(self) -> None:
        self.conn.close()


def _wait_for_server(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start within 30 s")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _run_frames(
    port: int, token: str, urls: list[str], concurrency: int
) -> tuple[list[float], float, int]:
    """Fetch every url once, spread over ``concurrency`` threads (one connection each)."""
    chunks = [urls[i::concurrency] for i in range(concurrency)]
    latencies: list[list[float]] = [[] for _ in chunks]
    sizes = [0] * concurrency
    errors: list[str] = []
    clients = [Client(port, token) for _ in chunks]
    for client in clients:  # connect outside the timed part
        client.get(urls[0])

    def worker(i: int) -> None:
        for url in chunks[i]:
            status, body, seconds = clients[i].get(url)
            if status != 200:
                errors.append(f"{url}: {status}")
                return
            latencies[i].append(seconds)
            sizes[i] += len(body)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    for client in clients:
        client.close()
    if errors:
        raise SystemExit(f"frame requests failed: {errors[:3]}")
    return [x for chunk in latencies for x in chunk], wall, sum(sizes)


def _measure(port: int, world: dict[str, Any], args: argparse.Namespace) -> None:
    pk, n, token = world["pullback"], world["n_frames"], world["token"]
    base = f"/api/v1/pullbacks/{pk}"
    for _ in range(4):  # load the URLconf, the cache client and a DB connection per worker
        warm = Client(port, "not-a-token")
        warm.get("/api/v1/me/")
        warm.get(f"{base}/frames/0")  # 401: the grant cache is looked up, nothing cached
        warm.close()
    client = Client(port, token)
    status, body, first = client.get(f"{base}/frames/0")  # cold: full auth + visibility check
    assert status == 200, (status, body[:200])
    client.close()
    print(
        f"  first frame after ingest (cold grant: token + visibility queries): {first * 1000:.2f} ms"
    )
    print(f"  frame size: {len(body) / 1024:.0f} KiB (JPEG baseline fragment)")
    sequential = [f"{base}/frames/{i}" for i in range(n)]
    shuffled = random.Random(1).sample(sequential, n)
    print("  per frame (whole pullback each run):")
    print("    order       conc   p50 ms   p95 ms   frames/s   MB/s")
    for order, urls in (("sequential", sequential), ("random", shuffled)):
        for concurrency in (1, 8):
            latencies, wall, size = _run_frames(port, token, urls, concurrency)
            print(
                f"    {order:<11} {concurrency:>4} {_pct(latencies, 0.5) * 1000:>8.2f} "
                f"{_pct(latencies, 0.95) * 1000:>8.2f} {len(urls) / wall:>10.0f} "
                f"{size / wall / 1e6:>6.0f}"
            )
    for batch in (args.batch, 2 * args.batch):
        urls = [f"{base}/frames/?start={s}&count={batch}" for s in range(0, n, batch)]
        for concurrency in (1, 4):
            if batch > args.max_batch:
                continue
            _lat, wall, size = _run_frames(port, token, urls, concurrency)
            print(
                f"  whole pullback via batched endpoint (count={batch}, concurrency "
                f"{concurrency}): {wall * 1000:.0f} ms for {n} frames, {size / 1e6:.1f} MB"
            )
    client = Client(port, token)
    for label in ("first request (computed)", "second request (from disk)"):
        status, body, seconds = client.get(f"{base}/lmode/?angle_deg=30")
        assert status == 200, status
        print(f"  L-mode {label}: {seconds * 1000:.0f} ms ({len(body) / 1024:.0f} KiB PNG)")
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=540)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    media = Path(tempfile.mkdtemp(prefix="corelab-bench-media-"))
    prefix = f"corelab-bench-{os.getpid()}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG_URL}/{BENCH_DB}",
        "MEDIA_ROOT": str(media),
        "CACHE_KEY_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "corelab.settings",
        # Production settings (DEBUG off: no WhiteNoise autorefresh lookups, no query log),
        # minus HTTPS, which loopback does not have.
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
        "FRAMES_BATCH_MAX_COUNT": str(2 * args.batch),
    }
    os.environ.update(env)
    args.max_batch = 2 * args.batch
    sys.path.insert(0, str(ROOT))
    import django

    print(f"frame benchmark: {args.frames} frames of {args.size}×{args.size}, JPEG baseline")
    _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    _admin_sql(f"CREATE DATABASE {BENCH_DB}")
    proc: subprocess.Popen[bytes] | None = None
    try:
        django.setup()
        dicom = _synthetic(args.frames, args.size)
        world = _world(dicom)
        size_mb = dicom.stat().st_size / 1e6
        print(f"  upload (stage + create row, {size_mb:.0f} MB): {world['upload_s']:.2f} s")
        print(
            f"  ingest (inspect, verify, de-identify, write source.dcm + frame index): "
            f"{world['ingest_s']:.2f} s"
        )
        from django.db import connections

        connections.close_all()
        port = _free_port()
        log = media / "gunicorn.log"
        proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "corelab.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--keep-alive",
                "30",
                "--preload",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(log, "wb"),
            stderr=subprocess.STDOUT,
        )
        _wait_for_server(port, proc, log)
        print(
            f"  gunicorn on 127.0.0.1:{port}: {args.workers} gthread workers × "
            f"{args.threads} threads, {os.cpu_count()} CPUs"
        )
        _measure(port, world, args)
        if shutil.which("orthanc"):
            print("  orthanc is installed, but the side-by-side run is not implemented here")
        else:
            print("  orthanc: not installed (Debian package 'orthanc'); comparison skipped")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        from django.db import connections

        # Cache entries need no cleanup: grants expire after FRAME_GRANT_TTL_S and the
        # ingest progress key is deleted when ingest commits.
        connections.close_all()
        _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
