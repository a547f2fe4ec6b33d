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
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402 - bench/common.py: ports, database, app server, cleanup
import frames as frames_bench  # noqa: E402 - bench/frames.py: people, study, cached pullback

BENCH_DB = "corelab_bench_dicomweb"
JPEG_FRAMES = 'multipart/related; type="image/jpeg"'
BATCH = 64


class Client:
    """One keep-alive HTTP/1.1 connection as reader A (token), with an Accept header."""

    def __init__(self, port: int, token: str, accept: str = "*/*") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Accept": accept}

    def get(self, path: str) -> tuple[int, bytes, float]:
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - t0

    def close(self) -> None:
        self.conn.close()


def _run(
    port: int, token: str, urls: list[str], concurrency: int, accept: str
) -> tuple[list[float], float]:
    """Every url once over ``concurrency`` threads (one connection each): latencies, wall."""
    chunks = [urls[i::concurrency] for i in range(concurrency)]
    latencies: list[list[float]] = [[] for _ in chunks]
    errors: list[str] = []
    clients = [Client(port, token, accept) for _ in chunks]
    for client in clients:  # connect outside the timed part
        client.get(urls[0])

    def worker(i: int) -> None:
        for url in chunks[i]:
            status, _body, seconds = clients[i].get(url)
            if status != 200:
                errors.append(f"{url}: {status}")
                return
            latencies[i].append(seconds)

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
        raise SystemExit(f"requests failed: {errors[:3]}")
    return [x for chunk in latencies for x in chunk], wall


def _world(dicom: Path) -> dict[str, Any]:
    """bench/frames.py's people and study, the pullback ingested and assigned to both."""
    from adjudication.models import Pullback
    from adjudication.services import assignment, ingest

    people = frames_bench._people()
    study = frames_bench._study(people, "dicomweb")
    with open(dicom, "rb") as fh:
        [pullback] = ingest.pullbacks_create_from_upload(
            study=study,
            actor=people["coordinator"],
            sources=[ingest.UploadSource(dicom.name, fh, dicom.stat().st_size)],
            subject_code="S-0001",
            timepoint="post",
            schedule_ingest=False,
        )
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    pullback = Pullback.objects.get(pk=pullback.pk)
    if pullback.status != "ready":
        raise SystemExit(f"ingest failed: {pullback.error}")
    assignment.pullback_assign_readers(
        pullback=pullback,
        actor=people["coordinator"],
        usernames=[r.username for r in people["readers"]],
    )
    return {"pullback": pullback.pk, "n_frames": pullback.n_frames, "token": people["reader_token"]}


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
            latencies, wall = _run(port, token, urls, concurrency, accept)
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
    parser.add_argument("--quality", type=int, default=55, help="JPEG quality (~100 KB)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    media = Path(tempfile.mkdtemp(prefix="corelab-bench-dicomweb-"))
    env = {
        **os.environ,
        **common.APP_ENV,
        "DATABASE_URL": f"{common.PG_URL}/{BENCH_DB}",
        "MEDIA_ROOT": str(media),
        "CACHE_KEY_PREFIX": f"corelab-bench-dicomweb-{os.getpid()}",
        "FRAMES_BATCH_MAX_COUNT": str(BATCH),
        # The tasks ready schedules go to a queue of the run's own, removed at the end.
        "CELERY_QUEUE": f"corelab-bench-dicomweb-{os.getpid()}",
    }
    os.environ.update(env)
    import django

    print(f"DICOMweb benchmark: {args.frames} frames of {args.size}×{args.size}, JPEG baseline")
    common.recreate_database(BENCH_DB)
    proc: subprocess.Popen[bytes] | None = None
    try:
        django.setup()
        world = _world(frames_bench._synthetic(args.frames, args.size, args.quality))
        from django.db import connections

        connections.close_all()
        port = common.free_port()
        log = media / "gunicorn.log"
        proc = common.run_logged(
            common.gunicorn_command(port, args.workers, args.threads, "--preload"), env, log
        )
        common.wait_port(port, proc, "gunicorn", log)
        print(
            f"  gunicorn on 127.0.0.1:{port}: {args.workers} gthread workers × "
            f"{args.threads} threads, {os.cpu_count()} CPUs"
        )
        t0 = time.perf_counter()
        _measure(port, world)
        print(f"  (measured in {time.perf_counter() - t0:.1f} s)")
    finally:
        common.stop(proc)
        from django.db import connections

        connections.close_all()
        common.drop_database(BENCH_DB)
        shutil.rmtree(media, ignore_errors=True)
        frames_bench._drop_queue()


if __name__ == "__main__":
    main()
