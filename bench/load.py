"""Load benchmark (issues 7, 13): simulated readers against the production topology — nginx
(frames sent by nginx after the app's grant, ``FRAMES_VIA_PROXY``) in front of gunicorn — with
a real Celery worker. ``--no-proxy`` measures gunicorn alone, as before issue 13.

Creates a throwaway PostgreSQL database (``corelab_bench_load``), seeds one study with
``--readers`` analysts, each assigned one read of a synthetic JPEG-baseline pullback, starts
gunicorn and a Celery worker on loopback. Every reader signs in first (untimed: a password
hash each), then all run concurrently for ``--duration`` seconds. Each reader, in a loop:
fetches frames (mostly sequential, as when scrolling, sometimes jumping), saves its annotation
document with the version it holds (as the viewer's autosave does), and now and then reloads
its worklist. Prints p50/p95 per request type and the error count. Goals: annotation save
p95 ≤ 50 ms, frame p95 ≤ 5 ms, zero errors. Bounded in time and count; traffic goes to
127.0.0.1 only. Cleans up after itself: the database, the media folder, nginx's files and
every Redis key of the run.

    .venv/bin/python bench/load.py [--readers 20] [--duration 60] [--gunicorn-workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import common  # noqa: E402 - bench/common.py: ports, database, app server, nginx, cleanup

BENCH_DB = os.environ.get("BENCH_DB", "corelab_bench_load")  # one per engineer when shared
BENCH_URL = common.database_url(BENCH_DB)
SERVER_URL = common.database_url("")
PASSWORD = "load-bench-password-1"


def server_env(media_root: str, queue: str) -> dict[str, str]:
    return {
        **os.environ,
        **common.APP_ENV,
        "DATABASE_URL": BENCH_URL,
        "MEDIA_ROOT": media_root,
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": queue,
        "FRAMES_VIA_PROXY": "true",
        "TRUSTED_PROXY_COUNT": "1",
    }


def seed(env: dict[str, str], readers: int, n_frames: int) -> list[dict[str, Any]]:
    """Create users, a study and readers/2 pullbacks with two reads each; return read info."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from adjudication.dicom.synthetic import make_synthetic_pullback
    from adjudication.models import Membership, Study
    from adjudication.services import assignment, auto_annotations, ingest

    call_command("migrate", verbosity=0)
    User = get_user_model()
    coordinator = User.objects.create_user("coordinator", password=PASSWORD)
    study = Study.objects.create(name="Load", code="load")
    Membership.objects.create(study=study, user=coordinator, role="coordinator")
    names = [f"reader{i:02d}" for i in range(readers)]
    for name in names:
        user = User.objects.create_user(name, password=PASSWORD)
        Membership.objects.create(study=study, user=user, role="analyst")
    info = []
    with tempfile.TemporaryDirectory() as tmp:
        for p in range(math.ceil(readers / 2)):
            path = Path(tmp) / f"p{p}.dcm"
            make_synthetic_pullback(
                path, n_frames=n_frames, rows=512, columns=512, encoding="jpeg_baseline", seed=p
            )
            with open(path, "rb") as fh:
                pullback = ingest.pullback_create_from_upload(
                    study=study,
                    actor=coordinator,
                    fileobj=fh,
                    filename=path.name,
                    size_bytes=path.stat().st_size,
                    subject_code=f"S-{p:04d}",
                    timepoint="post",
                )
            # The ingest's tasks, here and now: the worker finds them done when it starts, so the
            # timed phase measures the readers, not a backlog of image analysis beside them.
            ingest.pullback_ingest(pullback_pk=pullback.pk)
            ingest.pullback_write_frame_files(pullback_pk=pullback.pk)  # ready's light task
            auto_annotations.pullback_auto_annotate(pullback_pk=pullback.pk)  # proposals
            pair = names[2 * p : 2 * p + 2]
            if len(pair) < 2:
                pair = [pair[0], names[0]]
            reads = assignment.pullback_assign_readers(
                pullback=pullback, actor=coordinator, usernames=pair
            )
            for read in reads:
                if read.reader.username in names[2 * p : 2 * p + 2]:
                    info.append(
                        {
                            "username": read.reader.username,
                            "read": read.pk,
                            "pullback": pullback.pk,
                            "n_frames": n_frames,
                        }
                    )
    return info


def document(n_frames: int, tick: int) -> dict[str, Any]:
    """A realistic autosave: a few frames with a 64-point lumen and struts, growing."""
    frames = {}
    for f in range(10, min(n_frames, 10 + 5 * (1 + tick % 8)), 5):
        r = 140 + (tick % 7)
        frames[str(f)] = {
            "lumen": [
                [256 + r * math.cos(2 * math.pi * i / 64), 256 + r * math.sin(2 * math.pi * i / 64)]
                for i in range(64)
            ],
            "struts": [
                [256 + (r - 3) * math.cos(a), 256 + (r - 3) * math.sin(a)]
                for a in [k * math.pi / 5 for k in range(10)]
            ],
        }
    return {"frames": frames}


class Connection:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: one process drives every
    simulated reader, so the load generator does not compete with the server for the CPU
    as much as a process per reader would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        fields = {}
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip()
        if fields.get("transfer-encoding") == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# The request kinds a reader times, with each one's goal for p95 in ms (None: none set).
GOAL_P95_MS: dict[str, float | None] = {"frame": 5.0, "save": 50.0, "worklist": None}


class Reader:
    """One simulated reader: its connection, its timings and errors."""

    def __init__(self, port: int, read: dict[str, Any]) -> None:
        self.read = read
        self.conn = Connection(port)
        self.timings: dict[str, list[float]] = {kind: [] for kind in GOAL_P95_MS}
        self.errors: list[str] = []
        self.auth: dict[str, str] = {}
        self.version = 0

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict | None = None
    ) -> tuple[int | None, bytes, float, str | None]:
        start = time.perf_counter()
        try:
            status, data = await self.conn.request(method, path, body, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.conn.close()
            return None, b"", time.perf_counter() - start, repr(exc)
        return status, data, time.perf_counter() - start, None

    async def sign_in(self) -> bool:
        """Signs in (a password hash: tens of ms of CPU each) and loads the read, untimed."""
        status, data, _, err = await self.call(
            "POST",
            "/api/v1/auth/token/",
            {"username": self.read["username"], "password": PASSWORD},
        )
        if status != 200:
            self.errors.append(f"sign-in failed: {status} {err or data[:200]!r}")
            return False
        self.auth = {"Authorization": f"Token {json.loads(data)['token']}"}
        status, data, _, err = await self.call(
            "GET", f"/api/v1/reads/{self.read['read']}/", headers=self.auth
        )
        if status != 200:
            self.errors.append(f"read: {status} {err or data[:200]!r}")
            return False
        self.version = json.loads(data)["version"]
        return True


async def reader_loop(
    reader: Reader, duration_s: float, seed_value: int, pace: dict[str, float]
) -> None:
    rng = random.Random(seed_value)
    read, auth, timings, errors = reader.read, reader.auth, reader.timings, reader.errors
    frame = rng.randrange(read["n_frames"])
    tick = 0
    now = time.monotonic()
    deadline = now + duration_s
    # Each request type has its own pace (a reader scrolls, autosaves and glances at the
    # worklist); jitter keeps the readers from marching in step.
    due = {k: now + rng.random() * v for k, v in pace.items()}
    while True:
        kind = min(due, key=due.__getitem__)
        if due[kind] >= deadline:
            break
        wait = due[kind] - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        due[kind] += pace[kind] * rng.uniform(0.8, 1.2)
        if kind == "frame":
            jump = rng.random() < 0.1
            frame = rng.randrange(read["n_frames"]) if jump else (frame + 1) % read["n_frames"]
            status, data, elapsed, err = await reader.call(
                "GET", f"/api/v1/pullbacks/{read['pullback']}/frames/{frame}", headers=auth
            )
            ok = status == 200 and data[:2] == b"\xff\xd8"
        elif kind == "save":
            tick += 1
            status, data, elapsed, err = await reader.call(
                "PUT",
                f"/api/v1/reads/{read['read']}/annotations/",
                {"version": reader.version, "annotations": document(read["n_frames"], tick)},
                headers=auth,
            )
            ok = status == 200
            if ok:
                reader.version = json.loads(data)["version"]
        else:
            status, data, elapsed, err = await reader.call("GET", "/api/v1/reads/", headers=auth)
            ok = status == 200
        timings[kind].append(elapsed)
        if not ok:
            errors.append(f"{kind}: {status} {err or data[:120]!r}")
    await reader.conn.close()


async def run_readers(
    port: int, reads: list[dict[str, Any]], duration_s: float, pace: dict[str, float]
) -> tuple[list[Reader], float]:
    """Every reader signs in first, then all run together for ``duration_s`` (steady state:
    twenty password hashes at once would otherwise sit in the first seconds' timings).
    Returns the readers and the load generator's CPU seconds in the timed phase."""
    readers = [Reader(port, read) for read in reads]
    signed_in = await asyncio.gather(*(reader.sign_in() for reader in readers))
    cpu_start_s = time.process_time()
    await asyncio.gather(
        *(
            reader_loop(reader, duration_s, i, pace)
            for i, (reader, ok) in enumerate(zip(readers, signed_in, strict=True))
            if ok
        )
    )
    return readers, time.process_time() - cpu_start_s


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=8)
    parser.add_argument(
        "--frames-per-s", type=float, default=30.0, help="per reader, scrolling uncached frames"
    )
    parser.add_argument("--save-every-s", type=float, default=1.0, help="per reader (autosave)")
    parser.add_argument("--worklist-every-s", type=float, default=10.0, help="per reader")
    parser.add_argument("--no-proxy", action="store_true", help="gunicorn alone, no nginx")
    args = parser.parse_args()
    if not 1 <= args.readers <= 200 or not 1 <= args.duration <= 600:
        parser.error("readers in [1, 200], duration in [1, 600] s")

    queue = f"corelab-bench-load-{uuid.uuid4().hex[:8]}"
    media = tempfile.mkdtemp(prefix="corelab-bench-load-")
    env = server_env(media, queue)
    if args.no_proxy:
        env["FRAMES_VIA_PROXY"] = "false"
        env["TRUSTED_PROXY_COUNT"] = "0"
    common.recreate_database(BENCH_DB, SERVER_URL)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.perf_counter()
        with mp.get_context("spawn").Pool(1) as pool:  # keep Django out of this process
            reads = pool.apply(seed, (env, args.readers, args.frames))
        print(f"seeded {len(reads)} reads in {time.perf_counter() - t0:.1f} s")
        port = app_port = common.free_port()
        python = sys.executable
        if not args.no_proxy:
            port = common.free_port()
            serve = Path(media) / "_serve"
            (serve / "static").mkdir(parents=True)
            nginx, _ = common.start_nginx(
                serve / "nginx",
                port=port,
                app_port=app_port,
                media_root=Path(media),
                static_root=serve / "static",
            )
            procs.append(nginx)
        log = Path(media) / "gunicorn.log"
        gunicorn = common.run_logged(
            common.gunicorn_command(app_port, args.gunicorn_workers, args.gunicorn_threads),
            env,
            log,
        )
        procs.append(gunicorn)
        procs.append(
            subprocess.Popen(
                [python, "-m", "celery", "-A", "corelab", "worker", "-Q", f"{queue},{queue}.heavy",
                 "--concurrency=1", "--loglevel=WARNING"],
                cwd=ROOT, env=env,
            )
        )  # fmt: skip
        common.wait_port(app_port, gunicorn, "gunicorn", log)
        pace = {
            "frame": 1.0 / args.frames_per_s,
            "save": args.save_every_s,
            "worklist": args.worklist_every_s,
        }
        print(
            f"{len(reads)} readers for {args.duration:.0f} s, each {args.frames_per_s:g} frames/s, "
            f"a save every {args.save_every_s:g} s, the worklist every {args.worklist_every_s:g} s"
        )
        print(
            ("against gunicorn " if args.no_proxy else "against nginx → gunicorn ")
            + f"({args.gunicorn_workers} workers × {args.gunicorn_threads} threads) + 1 Celery worker"
        )
        readers, client_cpu_s = asyncio.run(run_readers(port, reads, args.duration, pace))
    finally:
        for proc in procs:
            common.stop(proc)
        common.drop_database(BENCH_DB, SERVER_URL)
        common.drop_redis_keys(f"*{queue}*")
        import shutil

        shutil.rmtree(media, ignore_errors=True)
    merged: dict[str, list[float]] = {kind: [] for kind in GOAL_P95_MS}
    errors: list[str] = []
    for reader in readers:
        for kind, values in reader.timings.items():
            merged[kind].extend(values)
        errors.extend(reader.errors)
    print(f"{'request':<10}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'goal p95':>10}")
    for kind, values in merged.items():
        goal = GOAL_P95_MS[kind]
        print(
            f"{kind:<10}{len(values):>8}{percentile(values, 50) * 1000:>10.2f}"
            f"{percentile(values, 95) * 1000:>10.2f}{(f'≤ {goal:.0f}' if goal else '—'):>10}"
        )
    total = sum(len(v) for v in merged.values())
    print(f"requests: {total} ({total / args.duration:.0f}/s), errors: {len(errors)}")
    for line in errors[:10]:
        print("  error:", line)
    if merged["frame"]:
        print(f"frame mean {statistics.mean(merged['frame']) * 1000:.2f} ms")
    # On a shared machine the simulated readers compete with the servers for the CPU.
    print(
        f"load generator CPU: {client_cpu_s:.1f} s ({100 * client_cpu_s / args.duration:.0f}% of a core)"
    )


if __name__ == "__main__":
    main()
