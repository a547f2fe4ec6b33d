"""Frames and ingest side by side (issue 13): ours through the production topology, nginx
serving the same bytes statically, and Orthanc — in ONE run, reported as ratios.

    .venv/bin/python bench/frames.py [--frames 540] [--size 1024] [--rounds 3]

All on loopback, in a throwaway world (database ``corelab_bench`` or ``$BENCH_DB``, dropped at
the end; a temporary MEDIA_ROOT, removed at the end):

1. a synthetic JPEG-baseline pullback of ``--frames`` × ``--size``² with ~100 KB frames (the
   anchors' size), written once and cached in ``var/bench/``;
2. the production topology: nginx (``deploy/render_nginx.py``, the configuration ``bin/serve``
   runs) in front of gunicorn (gthread) with ``FRAMES_VIA_PROXY=true``: the app authorises each
   frame and nginx sends the file. The same nginx also serves the pullback's frame files as
   plain static files (``/static/<key>/frames.files/NNNNN.jpg``): byte-identical frames, the
   "nginx static" reference;
3. Orthanc (``/usr/sbin/Orthanc``, Debian's ``orthanc``) on loopback with its own temporary
   storage, no plugins; skipped with a message when absent;
4. ingest, upload → ready: ours is one HTTP upload through nginx (``--upload raw``, the default:
   the DICOM as an ``application/dicom`` body, as Orthanc takes it; or ``multipart``), then
   the ingest service run by the bench as soon as the upload answers (what the worker runs
   for the queued task, without the queue's wait; de-identification, frame rewrite and frame
   index all on); Orthanc's is ``POST /instances``;
   ``--rounds`` interleaved repeats, medians. The per-frame files nginx sends are written by
   a light task after ready (the app sends frames from the index until then): the bench runs
   it after each ready and prints its time beside the ingest's;
5. frames, as reader A with ``Authorization: Token`` (ours) / no auth (nginx static, Orthanc
   ``/instances/{id}/frames/{n}/raw``), interleaved per round, medians over rounds:
   - c=1: every frame in order on one keep-alive connection, p50/p95;
   - c=8: every frame, 8 client *processes* with one keep-alive connection each, frames/s;
   - whole pullback as the viewer loads it: 540 frames over 6 connections (a browser's
     per-host limit), wall time.

The client is Python (``http.client``) for every server alike, so the ratios compare servers,
but on a 2-core machine the clients share the CPUs with the servers: absolute figures are a
floor. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import common  # bench/common.py: ports, database, app server, nginx, cleanup

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = os.environ.get("BENCH_DB", "corelab_bench")  # one per engineer on a shared machine
ORTHANC = shutil.which("Orthanc") or (
    "/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None
)
GOALS = {"c1_p50": 1.5, "c8_fps": 0.7, "pullback": 1.3, "ingest": 1.0}


def _synthetic(frames: int, size: int, quality: int) -> Path:
    """The bench pullback: synthetic frames re-encoded at ``quality`` (~100 KB at 1024²)."""
    path = ROOT / "var" / "bench" / f"jpeg-baseline-{frames}x{size}-q{quality}.dcm"
    if path.exists():
        return path
    import pydicom
    from PIL import Image
    from pydicom.encaps import encapsulate, generate_frames

    from adjudication.dicom.synthetic import make_synthetic_pullback

    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    raw = path.with_suffix(".raw.tmp")
    make_synthetic_pullback(
        raw, n_frames=frames, rows=size, columns=size, encoding="jpeg_baseline", seed=540
    )
    ds = pydicom.dcmread(raw)
    out = []
    for fragment in generate_frames(ds.PixelData, number_of_frames=frames):
        buffer = io.BytesIO()
        Image.open(io.BytesIO(fragment)).save(buffer, "JPEG", quality=quality)
        out.append(buffer.getvalue())
    ds.PixelData = encapsulate(out)
    ds.save_as(path.with_suffix(".tmp"), enforce_file_format=False)
    path.with_suffix(".tmp").rename(path)
    raw.unlink()
    print(f"  wrote {path.name} in {time.perf_counter() - t0:.1f} s (cached for next runs)")
    return path


def _people() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from adjudication.tokens import token_issue

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    coordinator = users.create_superuser("bench-coordinator", password="bench-pass-1234")
    readers = [users.create_user(f"bench-reader-{c}", password="bench-pass-1234") for c in "ab"]
    return {
        "coordinator": coordinator,
        "readers": readers,
        "coordinator_token": token_issue(user=coordinator),
        "reader_token": token_issue(user=readers[0]),
    }


def _study(people: dict[str, Any], code: str) -> Any:
    from adjudication.services import studies

    study = studies.study_create(
        actor=people["coordinator"], name=f"Bench {code}", code=code, description=""
    )
    for reader in people["readers"]:
        studies.study_add_member(
            study=study, actor=people["coordinator"], username=reader.username, role="analyst"
        )
    return study


def _multipart(path: Path, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/dicom\r\n\r\n".encode()
    )
    parts.append(path.read_bytes())
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _ingest_ours(
    port: int, people: dict[str, Any], dicom: Path, code: str, upload: str
) -> tuple[float, int]:
    study = _study(people, code)
    fields = {"subject_code": "S-0001", "timepoint": "post"}
    url = f"/api/v1/studies/{study.pk}/pullbacks/"
    if upload == "raw":  # the file as the body, its fields in the query string
        body, ctype = dicom.read_bytes(), "application/dicom"
        url += "?" + urlencode({**fields, "filename": dicom.name})
    else:
        body, ctype = _multipart(dicom, fields)
    headers = {"Authorization": f"Token {people['coordinator_token']}", "Content-Type": ctype}
    from adjudication.models import Pullback
    from adjudication.services import ingest

    t0 = time.perf_counter()
    status, data = _request(port, "POST", url, body, headers)
    t1 = time.perf_counter()
    if status != 202:
        raise SystemExit(f"our upload was refused: {status} {data[:300]!r}")
    pk = int(json.loads(data)["id"])
    ingest.pullback_ingest(pullback_pk=pk)  # what the worker runs for the queued task
    seconds = time.perf_counter() - t0
    pullback = Pullback.objects.get(pk=pk)
    if pullback.status != "ready":
        raise SystemExit(f"our ingest did not end ready: {pullback.error}")
    # After ready, the light task ready scheduled: each frame as a file for nginx (the app
    # sends the frames from the index until then). Timed and shown, not part of the goal.
    t2 = time.perf_counter()
    ingest.pullback_write_frame_files(pullback_pk=pk)
    print(
        f"    ours ({upload}): upload {t1 - t0:.2f} s + ingest {seconds - (t1 - t0):.2f} s"
        f" = ready; then per-frame files {time.perf_counter() - t2:.2f} s (light task)"
    )
    return seconds, pk


def _ingest_orthanc(port: int, data: bytes) -> tuple[float, str]:
    t0 = time.perf_counter()
    status, answer = _request(
        port, "POST", "/instances", data, {"Content-Type": "application/dicom"}
    )
    seconds = time.perf_counter() - t0
    if status != 200:
        raise SystemExit(f"Orthanc refused the upload: {status} {answer[:300]!r}")
    return seconds, json.loads(answer)["ID"]


# --- frame clients -------------------------------------------------------------------------


def _fetch_all(port: int, urls: list[str], headers: dict[str, str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for url in urls:
        t0 = time.perf_counter()
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        body = response.read()
        out.append(time.perf_counter() - t0)
        if response.status not in (200, 204) or (response.status == 200 and not body):
            raise RuntimeError(f"{url}: {response.status}")
    conn.close()
    return out


def _process_client(args: tuple[int, list[str], dict[str, str], Any]) -> tuple[float, float]:
    port, urls, headers, barrier = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", urls[0], headers=headers)  # connect and warm outside the timed part
    conn.getresponse().read()
    barrier.wait()
    t0 = time.perf_counter()
    for url in urls:
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status not in (200, 204) or (response.status == 200 and not body):
            raise RuntimeError(f"{url}: {response.status}")
    t1 = time.perf_counter()
    conn.close()
    return t0, t1


def _parallel(port: int, urls: list[str], headers: dict[str, str], n: int) -> float:
    """Wall time for all ``urls`` over ``n`` processes (one keep-alive connection each)."""
    manager = mp.Manager()
    barrier = manager.Barrier(n)
    with mp.get_context("fork").Pool(n) as pool:
        spans = pool.map(_process_client, [(port, urls[i::n], headers, barrier) for i in range(n)])
    manager.shutdown()
    return max(t1 for _, t1 in spans) - min(t0 for t0, _ in spans)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- servers -------------------------------------------------------------------------------


def _start_orthanc(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = common.free_port()
    folder.mkdir(parents=True)
    config = {
        "Name": "corelab-bench",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "HttpPort": port,
        "HttpServerEnabled": True,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomServerEnabled": False,
        "Plugins": [],
        "StorageCompression": False,
        "HttpCompressionEnabled": False,
        "KeepAlive": True,
        "TcpNoDelay": True,
    }
    (folder / "orthanc.json").write_text(json.dumps(config))
    log = folder / "orthanc.log"
    proc = subprocess.Popen(
        [ORTHANC, str(folder / "orthanc.json")],
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )
    common.wait_port(port, proc, "Orthanc", log)
    return proc, port


def _drop_queue() -> None:
    """The bench queue's pending messages (the ingest ran in-process already), its bindings
    and the run's cache keys (grants, progress): every key that names this run."""
    common.drop_redis_keys(f"*{os.environ['CELERY_QUEUE']}*")


def _measure_frames(
    servers: dict[str, tuple[int, list[str], dict[str, str]]], n: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Checks every server answers the same frame, warms each, then ``rounds`` interleaved
    rounds of c=1, c=8 and the whole pullback over 6 connections."""
    # Same bytes everywhere (Orthanc's raw frame is the stored fragment).
    reference = None
    for name, (port, urls, headers) in servers.items():
        if name == "app grant":  # 204, no body
            continue
        status, body = _request(port, "GET", urls[7], headers=headers)
        if status != 200:
            raise SystemExit(f"{name}: frame 7 answered {status}")
        if reference is None:
            reference = body
        elif body.rstrip(b"\0") != reference.rstrip(b"\0"):
            print(f"  note: {name}'s frame 7 differs from ours ({len(body)} B)")
    for port, urls, headers in servers.values():  # warm every server
        _fetch_all(port, urls, headers)

    results: dict[str, dict[str, list[float]]] = {
        name: {"p50": [], "p95": [], "fps": [], "pullback": []} for name in servers
    }
    for _ in range(rounds):
        for name, (port, urls, headers) in servers.items():
            latencies = _fetch_all(port, urls, headers)
            results[name]["p50"].append(_pct(latencies, 0.5))
            results[name]["p95"].append(_pct(latencies, 0.95))
            results[name]["fps"].append(n / _parallel(port, urls, headers, 8))
            results[name]["pullback"].append(_parallel(port, urls, headers, 6))

    return results


def _report_batches(port: int, pk: int, key: str, n: int, token: str, rounds: int) -> None:
    """The whole pullback as the viewer loads it now: aligned batches of
    FRAMES_BATCH_MAX_COUNT over 6 connections, ours (nginx sends each batch file after the
    grant) against the same files as nginx static files; interleaved rounds, medians."""
    from django.conf import settings

    size = settings.FRAMES_BATCH_MAX_COUNT
    starts = range(0, n, size)
    servers = {
        "ours": (
            [f"/api/v1/pullbacks/{pk}/frames/?start={s}&count={size}" for s in starts],
            {"Authorization": f"Token {token}"},
        ),
        "nginx": ([f"/static/{key}/frames.files/batch-{s}-{size}.bin" for s in starts], {}),
    }
    bodies = {
        name: _request(port, "GET", urls[1], headers=h)[1] for name, (urls, h) in servers.items()
    }
    if bodies["ours"] != bodies["nginx"]:
        raise SystemExit("our batch differs from the batch file")
    walls: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(rounds + 1):  # the first round warms
        for name, (urls, headers) in servers.items():
            walls[name].append(_parallel(port, urls, headers, 6))
    ours, ng = (statistics.median(walls[name][1:]) for name in ("ours", "nginx"))
    verdict = "met" if ours / ng <= GOALS["pullback"] else "MISSED"
    print(
        f"  whole pullback as the viewer loads it ({len(starts)} batches of {size}, 6 "
        f"connections): ours {ours * 1000:.1f} ms vs nginx static {ng * 1000:.1f} ms: "
        f"{ours / ng:.2f}× → {verdict} (≤ {GOALS['pullback']}×)"
    )


def _report(
    results: dict[str, dict[str, list[float]]],
    ours_ingest: list[float],
    orthanc_ingest: list[float],
) -> None:
    """The side-by-side table (medians over rounds) and each goal met or missed."""
    med = {name: {k: statistics.median(v) for k, v in r.items()} for name, r in results.items()}
    ingest_ours = statistics.median(ours_ingest)
    ingest_orthanc = statistics.median(orthanc_ingest) if orthanc_ingest else None

    def ratio(a: float, b: float | None) -> str:
        return f"{a / b:.2f}×" if b else "—"

    print()
    print("| measure | ours | nginx static | Orthanc | ours / nginx | ours / Orthanc | goal |")
    print("|---|---|---|---|---|---|---|")
    rows = [
        (
            "frame p50, c=1 (ms)",
            "c1_p50",
            [med[s]["p50"] * 1000 if s in med else None for s in ("ours", "nginx", "orthanc")],
            "≤ 1.5× nginx",
            False,
        ),
        (
            "frame p95, c=1 (ms)",
            None,
            [med[s]["p95"] * 1000 if s in med else None for s in ("ours", "nginx", "orthanc")],
            "",
            False,
        ),
        (
            "c=8 throughput (frames/s)",
            "c8_fps",
            [med[s]["fps"] if s in med else None for s in ("ours", "nginx", "orthanc")],
            "≥ 0.7× nginx",
            True,
        ),
        (
            "whole pullback, 6 connections (ms)",
            "pullback",
            [med[s]["pullback"] * 1000 if s in med else None for s in ("ours", "nginx", "orthanc")],
            "≤ 1.3× nginx",
            False,
        ),
        (
            "ingest, upload → ready (s)",
            "ingest",
            [ingest_ours, None, ingest_orthanc],
            "≤ 1.0× Orthanc",
            False,
        ),
    ]
    verdicts = []
    for label, goal, (ours, ng, orth), goal_text, higher_better in rows:

        def fmt(x: float | None) -> str:
            return "—" if x is None else (f"{x:.0f}" if x >= 100 else f"{x:.3g}")

        print(
            f"| {label} | {fmt(ours)} | {fmt(ng)} | {fmt(orth)} | {ratio(ours, ng)} | "
            f"{ratio(ours, orth)} | {goal_text} |"
        )
        if goal:
            reference_value = orth if goal == "ingest" else ng
            if reference_value:
                value = ours / reference_value
                met = value >= GOALS[goal] if higher_better else value <= GOALS[goal]
                verdicts.append(f"{label}: {value:.2f}× → {'met' if met else 'MISSED'}")
    print()
    for verdict in verdicts:
        print("  " + verdict)
    print(
        "  ingest rounds (s): ours "
        + ", ".join(f"{x:.2f}" for x in ours_ingest)
        + ("; Orthanc " + ", ".join(f"{x:.2f}" for x in orthanc_ingest) if orthanc_ingest else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=540)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--quality", type=int, default=55, help="JPEG quality (~100 KB)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--upload",
        choices=["raw", "multipart"],
        default="raw",
        help="ingest upload: the DICOM as an application/dicom body, or a multipart form",
    )
    parser.add_argument(
        "--ingest-only", action="store_true", help="measure the ingest rounds only (no frames)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--app-server",
        choices=("gunicorn", "granian"),
        default="gunicorn",
        help="the WSGI server behind nginx (granian: pip install granian; not a requirement)",
    )
    args = parser.parse_args()
    if common.NGINX is None:
        raise SystemExit("nginx is not installed (bin/lib.sh ensure_nginx: Debian nginx-light)")
    work = Path(tempfile.mkdtemp(prefix="corelab-bench-frames-"))
    media = work / "media"
    (media / "pullbacks").mkdir(parents=True)
    env = {
        **os.environ,
        **common.APP_ENV,
        "DATABASE_URL": f"{common.PG_URL}/{BENCH_DB}",
        "MEDIA_ROOT": str(media),
        "CACHE_KEY_PREFIX": f"corelab-bench-{os.getpid()}",
        "FRAMES_VIA_PROXY": "true",
        "TRUSTED_PROXY_COUNT": "1",
        # A queue of its own: the upload's ingest task is run by this process (the worker's
        # service, timed without the queue's wait); the queue is deleted at the end.
        "CELERY_QUEUE": f"corelab-bench-{os.getpid()}",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "deploy"))
    import django

    print(
        f"frames side by side: {args.frames} frames of {args.size}², JPEG baseline, "
        f"{os.cpu_count()} CPUs, {args.rounds} interleaved rounds"
    )
    common.recreate_database(BENCH_DB)
    procs: list[subprocess.Popen[bytes] | None] = []
    try:
        django.setup()
        from django.db import connections

        dicom = _synthetic(args.frames, args.size, args.quality)
        people = _people()
        connections.close_all()
        app_port, http_port = common.free_port(), common.free_port()
        log = work / "gunicorn.log"
        command = common.gunicorn_command(
            app_port, args.workers, args.threads, "--timeout=300", "--preload"
        )
        if args.app_server == "granian":
            command = [
                str(ROOT / ".venv" / "bin" / "granian"),
                "--interface=wsgi",
                "--host=127.0.0.1",
                f"--port={app_port}",
                f"--workers={args.workers}",
                f"--blocking-threads={args.threads}",
                "--no-ws",
                "--log-level=warning",
                "corelab.wsgi:application",
            ]
        gunicorn = common.run_logged(command, env, log)
        procs.append(gunicorn)
        common.wait_port(app_port, gunicorn, "gunicorn", log)
        nginx, _ = common.start_nginx(
            work / "nginx",
            port=http_port,
            app_port=app_port,
            media_root=media,
            static_root=media / "pullbacks",  # the frame files, as static files
            workers=args.workers,
        )
        procs.append(nginx)
        orthanc = orthanc_port = None
        if ORTHANC:
            orthanc, orthanc_port = _start_orthanc(work / "orthanc")
            procs.append(orthanc)
        else:
            print("  Orthanc: not installed (Debian package 'orthanc'): its columns are skipped")
        print(
            f"  ours: nginx :{http_port} → {args.app_server} {args.workers}×{args.threads} "
            f"(FRAMES_VIA_PROXY); Orthanc: {'port ' + str(orthanc_port) if orthanc else '—'}"
        )

        # ---- ingest, interleaved ----
        dicom_bytes = dicom.read_bytes()
        ours_ingest: list[float] = []
        orthanc_ingest: list[float] = []
        pullback_pk = orthanc_id = None
        # One untimed round each first: a long-running server has imported its upload path
        # (pydicom, the decoders) before its first real upload; so has Orthanc.
        _ingest_ours(http_port, people, dicom, "warmup", args.upload)
        if orthanc_port:
            _, warm_id = _ingest_orthanc(orthanc_port, dicom_bytes)
            _request(orthanc_port, "DELETE", f"/instances/{warm_id}")
        print("    (the rounds above were the untimed warm-up)")
        for r in range(args.rounds):
            seconds, pullback_pk = _ingest_ours(http_port, people, dicom, f"bench{r}", args.upload)
            ours_ingest.append(seconds)
            if orthanc_port:
                if orthanc_id:
                    _request(orthanc_port, "DELETE", f"/instances/{orthanc_id}")
                seconds, orthanc_id = _ingest_orthanc(orthanc_port, dicom_bytes)
                orthanc_ingest.append(seconds)
        if args.ingest_only:
            _report({}, ours_ingest, orthanc_ingest)
            return
        from adjudication.models import Pullback
        from adjudication.services import assignment

        pullback = Pullback.objects.get(pk=pullback_pk)
        assignment.pullback_assign_readers(
            pullback=pullback,
            actor=people["coordinator"],
            usernames=[r.username for r in people["readers"]],
        )
        connections.close_all()
        n = pullback.n_frames
        key = str(pullback.storage_key)
        frame_bytes = (media / "pullbacks" / key / "frames.files" / "0.jpg").stat().st_size
        print(
            f"  pullback: {dicom.stat().st_size / 1e6:.0f} MB, {n} frames, "
            f"frame 0 = {frame_bytes / 1024:.0f} KiB"
        )

        servers: dict[str, tuple[int, list[str], dict[str, str]]] = {
            "ours": (
                http_port,
                [f"/api/v1/pullbacks/{pullback_pk}/frames/{i}" for i in range(n)],
                {"Authorization": f"Token {people['reader_token']}"},
            ),
            "nginx": (
                http_port,
                [f"/static/{key}/frames.files/{i}.jpg" for i in range(n)],
                {},
            ),
        }
        if orthanc_port:
            servers["orthanc"] = (
                orthanc_port,
                [f"/instances/{orthanc_id}/frames/{i}/raw" for i in range(n)],
                {},
            )
        # What still goes through the app server: the frame grant nginx asks for on a cache
        # miss (short path, frames_auth's warm grant), straight to the app server.
        servers["app grant"] = (
            app_port,
            [f"/api/v1/pullbacks/{pullback_pk}/frame-grant"] * n,
            {"Authorization": f"Token {people['reader_token']}"},
        )
        results = _measure_frames(servers, n, args.rounds)
        grant = results.pop("app grant")
        _report(results, ours_ingest, orthanc_ingest)
        _report_batches(http_port, pullback_pk, key, n, people["reader_token"], args.rounds)
        print(
            f"  app server ({args.app_server}) alone, frame grant: p50 c=1 "
            f"{statistics.median(grant['p50']) * 1000:.3f} ms, p95 "
            f"{statistics.median(grant['p95']) * 1000:.3f} ms, c=8 "
            f"{statistics.median(grant['fps']):.0f} requests/s"
        )
    finally:
        for proc in reversed(procs):
            common.stop(proc)
        from django.db import connections

        connections.close_all()
        common.drop_database(BENCH_DB)
        shutil.rmtree(work, ignore_errors=True)
        _drop_queue()


if __name__ == "__main__":
    main()
