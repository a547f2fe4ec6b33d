"""DICOMweb benchmark (issue 16): WADO-RS frames side by side with our own frame endpoint.

    .venv/bin/python bench/dicomweb.py [--frames 540] [--size 1024] [--workers 2] [--threads 4]

Same world as ``bench/frames.py`` (a synthetic JPEG-baseline pullback, ingested through the
services into a throwaway database ``corelab_bench_dicomweb``, served by gunicorn on
loopback with production settings), then, as reader A with ``Authorization: Token``:

1. per frame, every frame in sequential order at concurrency 1 and 8: our
   ``/api/v1/pullbacks/{id}/frames/{n}`` and WADO-RS ``…/instances/{i}/frames/{n+1}``
   (``Accept: multipart/related; type="image/jpeg"``) — p50/p95 and the ratio;
2. the whole pullback: our batched endpoint (``count=64``) and WADO-RS frame lists of 64
   (``frames/1,2,…,64``), 4 requests in flight — wall time and the ratio;
3. QIDO-RS and metadata latency, for the record.

The goal (issue 16) is WADO-RS within 1.5× of our own endpoint. Each WADO-RS body is checked
to carry the same JPEG bytes as our endpoint's (so the comparison is like for like).
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import frames as frames_bench  # noqa: E402 - bench/frames.py: world, client, server helpers

BENCH_DB = "corelab_bench_dicomweb"
JPEG_FRAMES = 'multipart/related; type="image/jpeg"'
BATCH = 64


class Client(frames_bench.Client):
    def __init__(self, port: int, token: str, accept: str = "*/*") -> None:
        super().__init__(port, token)
        self.headers = {**self.headers, "Accept": accept}


def _run(port: int, token: str, urls: list[str], concurrency: int, accept: str) -> Any:
    """``frames_bench._run_frames`` with our Accept header on every connection."""
    original = frames_bench.Client
    frames_bench.Client = lambda p, t: Client(p, t, accept)  # type: ignore[assignment,misc]
    try:
        return frames_bench._run_frames(port, token, urls, concurrency)
    finally:
        frames_bench.Client = original  # type: ignore[misc]


def _parts(body: bytes) -> list[bytes]:
    """The part bodies of a multipart/related body (boundary from its first line)."""
    boundary = body.split(b"\r\n", 1)[0]
    out = []
    for piece in body.split(boundary)[1:-1]:
        out.append(piece.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n"))
    return out


def _uids(port: int, token: str) -> tuple[str, str, str]:
    import json

    client = Client(port, token, "application/dicom+json")
    status, body, _ = client.get("/dicomweb/instances")
    client.close()
    assert status == 200, (status, body[:200])
    [instance] = json.loads(body)
    return tuple(instance[t]["Value"][0] for t in ("0020000D", "0020000E", "00080018"))  # type: ignore[return-value]


def _measure(port: int, world: dict[str, Any]) -> None:
    pk, n, token = world["pullback"], world["n_frames"], world["token"]
    ours = f"/api/v1/pullbacks/{pk}/frames"
    study, series, sop = _uids(port, token)
    wado = f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames"

    # Like for like: the WADO-RS part is our endpoint's body, byte for byte.
    check = Client(port, token, JPEG_FRAMES)
    _, mine, _ = check.get(f"{ours}/{n // 2}")
    _, theirs, _ = check.get(f"{wado}/{n // 2 + 1}")
    check.close()
    assert _parts(theirs) == [mine], "WADO-RS frame differs from our frame endpoint"

    pct = frames_bench._pct
    print("  per frame, whole pullback each run (sequential order):")
    print("    endpoint            conc   p50 ms   p95 ms   frames/s")
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    for concurrency in (1, 8):
        for name, urls, accept in (
            ("our frame endpoint", [f"{ours}/{i}" for i in range(n)], "*/*"),
            ("WADO-RS frames", [f"{wado}/{i + 1}" for i in range(n)], JPEG_FRAMES),
        ):
            _run(port, token, urls[:16], concurrency, accept)  # warm grants and connections
            latencies, wall, _size = _run(port, token, urls, concurrency, accept)
            p50, p95, rate = pct(latencies, 0.5), pct(latencies, 0.95), n / wall
            results[(name, concurrency)] = (p50, p95, rate)
            print(
                f"    {name:<19} {concurrency:>4} {p50 * 1000:>8.2f} {p95 * 1000:>8.2f} "
                f"{rate:>10.0f}"
            )
        ratio = (
            results[("WADO-RS frames", concurrency)][0]
            / results[("our frame endpoint", concurrency)][0]
        )
        print(f"    ratio WADO-RS / ours, p50 at concurrency {concurrency}: {ratio:.2f}×")

    print(f"  whole pullback ({n} frames), 4 requests in flight:")
    batched = [f"{ours}/?start={s}&count={BATCH}" for s in range(0, n, BATCH)]
    lists = [
        f"{wado}/{','.join(str(f + 1) for f in range(s, min(s + BATCH, n)))}"
        for s in range(0, n, BATCH)
    ]
    walls = {}
    for name, urls, accept in (
        (f"our batched endpoint (count={BATCH})", batched, "*/*"),
        (f"WADO-RS frame lists of {BATCH}", lists, JPEG_FRAMES),
    ):
        best = min(_run(port, token, urls, 4, accept)[1] for _ in range(3))
        walls[name] = best
        print(f"    {name:<36} {best * 1000:>6.0f} ms (best of 3)")
    first, second = walls.values()
    print(f"    ratio WADO-RS / ours: {second / first:.2f}×")

    client = Client(port, token, "application/dicom+json")
    for label, path in (
        ("QIDO-RS studies", "/dicomweb/studies"),
        ("QIDO-RS instances with includefield=all", "/dicomweb/instances?includefield=all"),
        (
            "WADO-RS instance metadata",
            f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/metadata",
        ),
    ):
        times = []
        for _ in range(20):
            status, _body, seconds = client.get(path)
            assert status == 200, (path, status)
            times.append(seconds)
        print(f"  {label}: p50 {pct(times, 0.5) * 1000:.2f} ms")
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=540)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    media = Path(tempfile.mkdtemp(prefix="corelab-bench-dicomweb-"))
    pg = frames_bench.PG_URL
    env = {
        **os.environ,
        "DATABASE_URL": f"{pg}/{BENCH_DB}",
        "MEDIA_ROOT": str(media),
        "CACHE_KEY_PREFIX": f"corelab-bench-dicomweb-{os.getpid()}",
        "DJANGO_SETTINGS_MODULE": "corelab.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
        "FRAMES_BATCH_MAX_COUNT": str(BATCH),
    }
    os.environ.update(env)
    import django

    print(f"DICOMweb benchmark: {args.frames} frames of {args.size}×{args.size}, JPEG baseline")
    frames_bench._admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    frames_bench._admin_sql(f"CREATE DATABASE {BENCH_DB}")
    proc: subprocess.Popen[bytes] | None = None
    try:
        django.setup()
        world = frames_bench._world(frames_bench._synthetic(args.frames, args.size))
        from django.db import connections

        connections.close_all()
        port = frames_bench._free_port()
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
        frames_bench._wait_for_server(port, proc, log)
        print(
            f"  gunicorn on 127.0.0.1:{port}: {args.workers} gthread workers × "
            f"{args.threads} threads, {os.cpu_count()} CPUs"
        )
        t0 = time.perf_counter()
        _measure(port, world)
        print(f"  (measured in {time.perf_counter() - t0:.1f} s)")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        from django.db import connections

        connections.close_all()
        frames_bench._admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
