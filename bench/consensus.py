"""Benchmark: metrics, comparison and consensus of a study at the reference scale (issue 3).

A synthetic study like the reference one (384 pullbacks, two submitted reads each, ~40
annotated frames per read with a 64-point lumen, 8–12 struts on stented frames and calcium on
some frames) is written straight into a throwaway PostgreSQL database
(``corelab_bench_consensus``: created, migrated, dropped at the end). Then, with ONE worker:

1. every read's metrics, every comparison and every direct consensus, by calling the services
   in-process one after the other (what a ``--concurrency=1`` worker does, minus the broker);
2. the adjudicated consensus of the flagged pullbacks (decisions written directly: signing is
   a human step and its password hash is not what we measure);
3. the pullback-level CSV export (the API's writer, without HTTP);
4. optionally (``--worker``) the same pipeline through a real ``celery worker --concurrency=1``.

Goals on a 2-core machine: ≤ 20 s for the whole study, ≤ 1 s for the export. This script only
prints figures (no asserts); ``--profile`` prints the top of a cProfile of step 1.

    .venv/bin/python bench/consensus.py [--pullbacks 384] [--worker] [--profile] [--keep]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402 - bench/common.py: admin SQL

BENCH_DB = "corelab_bench_consensus"
BENCH_URL = common.database_url(BENCH_DB)
SERVER_URL = common.database_url("")
QUEUE = f"corelab-bench-{uuid.uuid4().hex[:8]}"

os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "corelab.settings"
# DEBUG off so Django does not keep every SQL statement in memory (it would skew the timing).
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-" + uuid.uuid4().hex)
os.environ["CELERY_QUEUE"] = QUEUE

N_FRAMES = 540  # 54 mm at 0.1111 mm/frame
FRAME_SPACING_MM = 20.0 / 180.0
PIXEL_SPACING_MM = 0.0146  # ~10 mm field of view over 704 px
SIZE_PX = 704
STENT_DISTAL, STENT_PROXIMAL = 100, 370  # a 30 mm stent → ~40 analysis frames with references


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    common.drop_database(BENCH_DB, SERVER_URL)


# Synthetic annotations -----------------------------------------------------------------------


def _contour(
    rng: random.Random, jitter: random.Random, cx: float, cy: float, r: float, n: int = 64
) -> list[list[float]]:
    wobble = [rng.uniform(-0.03, 0.03) for _ in range(4)]
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        rr = r * (1 + wobble[0] * math.cos(2 * t + wobble[1]) + wobble[2] * math.sin(3 * t))
        rr += jitter.uniform(-1.0, 1.0)
        pts.append([round(cx + rr * math.cos(t), 2), round(cy + rr * math.sin(t), 2)])
    return pts


def synthetic_document(seed: int, reader: int, lumen_scale: float = 1.0) -> dict[str, Any]:
    """One read: annotated frames every ~1 mm over stent ± 5 mm; struts on stented frames,
    calcium on a run of frames, a few malapposed struts.

    ``seed`` fixes the anatomy (shared by both readers of a pullback); ``reader`` seeds each
    reader's own tracing jitter (±1 px on contours, ±1.5 px on struts and calcium points).
    """
    rng = random.Random(seed)
    jitter = random.Random(seed * 10 + reader)
    frames: dict[str, Any] = {}
    cx = cy = SIZE_PX / 2
    step = 9  # 1.0 mm at 0.1111 mm/frame
    calcium_from = rng.randrange(140, 250, step)
    calcium_to = calcium_from + rng.randrange(18, 90, step)

    def j(value: float, amount: float = 1.5) -> float:
        return round(value + jitter.uniform(-amount, amount), 2)

    for f in range(STENT_DISTAL - 45, STENT_PROXIMAL + 46, step):
        r_px = lumen_scale * (150 + 25 * math.sin(f / 60.0) + rng.uniform(-3, 3))
        entry: dict[str, Any] = {"lumen": _contour(rng, jitter, cx, cy, r_px)}
        if STENT_DISTAL <= f <= STENT_PROXIMAL:
            n_struts = rng.randint(8, 12)
            struts = []
            for k in range(n_struts):
                a = 2 * math.pi * (k + rng.uniform(-0.2, 0.2)) / n_struts
                # Most struts sit on the wall; now and then one floats 0.3 mm off it.
                gap_px = 25.0 if rng.random() < 0.02 else rng.uniform(-1, 1)
                rr = r_px * 0.995 - gap_px
                struts.append([j(cx + rr * math.cos(a)), j(cy + rr * math.sin(a))])
            entry["struts"] = struts
        if calcium_from <= f <= calcium_to:
            start = rng.uniform(0, 360)
            sweep = rng.uniform(60, 200)
            r_out = r_px * 1.3

            def at(deg: float, radius: float) -> list[float]:
                rad = math.radians(deg)
                return [j(cx + radius * math.cos(rad)), j(cy + radius * math.sin(rad))]

            mid = start + sweep / 2
            thick_px = rng.uniform(20, 60)
            entry["calcium"] = [
                {
                    "arc": [at(start, r_out), at(start + sweep, r_out)],
                    "thickness": [at(mid, r_px * 1.05), at(mid, r_px * 1.05 + thick_px)],
                }
            ]
        frames[str(f)] = entry
    return {
        "stent": {"distal_frame": STENT_DISTAL, "proximal_frame": STENT_PROXIMAL},
        "calcium_segments": [{"start_frame": calcium_from, "end_frame": calcium_to}],
        "frames": frames,
    }


def build_study(n_pullbacks: int, code: str = "bench") -> Any:
    """Study, people, pullbacks in ``reading`` and their two submitted reads (bulk inserts)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from adjudication.domain.settings import StudySettings
    from adjudication.models import Membership, Pullback, Read, Study, Subject

    User = get_user_model()
    coordinator, ana, ben, senior = (
        User.objects.create(username=f"{code}-{name}")
        for name in ["coordinator", "ana", "ben", "senior"]
    )
    study = Study.objects.create(
        name=code, code=code, settings=StudySettings().to_dict(), created_by=coordinator
    )
    Membership.objects.bulk_create(
        [
            Membership(study=study, user=coordinator, role="coordinator"),
            Membership(study=study, user=ana, role="analyst"),
            Membership(study=study, user=ben, role="analyst"),
            Membership(study=study, user=senior, role="adjudicator"),
        ]
    )
    subjects = Subject.objects.bulk_create(
        Subject(study=study, code=f"S-{i:04d}") for i in range(1, n_pullbacks + 1)
    )
    pullbacks = Pullback.objects.bulk_create(
        Pullback(
            study=study,
            subject=subject,
            timepoint="post",
            lesion="LAD",
            status="reading",
            n_frames=N_FRAMES,
            rows=SIZE_PX,
            columns=SIZE_PX,
            pixel_spacing_row_mm=PIXEL_SPACING_MM,
            pixel_spacing_col_mm=PIXEL_SPACING_MM,
            frame_spacing_mm=FRAME_SPACING_MM,
            calibration_source="pixel_measures_shared; longitudinal_distance",
        )
        for subject in subjects
    )
    now = timezone.now()
    reads = []
    rng = random.Random(7)
    for i, pullback in enumerate(pullbacks):
        # About one pullback in four: reader B traces a clearly smaller lumen (→ flags).
        scale_b = 0.85 if rng.random() < 0.25 else 1.0
        for slot, reader, scale in [(1, ana, 1.0), (2, ben, scale_b)]:
            reads.append(
                Read(
                    pullback=pullback,
                    reader=reader,
                    slot=slot,
                    status="submitted",
                    version=2,
                    annotations=synthetic_document(i, slot, scale),
                    submitted_at=now,
                )
            )
    Read.objects.bulk_create(reads, batch_size=200)
    return study


def _resolve_flagged_directly(study: Any) -> list[int]:
    """Sign every open adjudication with ``reader_a`` (bench shortcut: no password hashing)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from adjudication.domain.workflow import AdjudicationState, PullbackState
    from adjudication.models import Adjudication, Decision
    from adjudication.services.workflow import transition

    senior = get_user_model().objects.get(username=f"{study.code}-senior")
    pks = []
    for adjudication in Adjudication.objects.filter(pullback__study=study).select_related(
        "pullback__study"
    ):
        with transaction.atomic(durable=True):
            groups = sorted(set(adjudication.flags.values_list("group", flat=True)))
            Decision.objects.bulk_create(
                Decision(adjudication=adjudication, group=g, source="reader_a", reason="bench")
                for g in groups
            )
            transition(
                adjudication,
                AdjudicationState.RESOLVED,
                actor=senior,
                fields={"adjudicator": senior},
            )
            transition(adjudication.pullback, PullbackState.ADJUDICATING, actor=senior)
        pks.append(adjudication.pullback_id)
    return pks


def run_in_process(study: Any, profile: bool) -> dict[str, float]:
    from unittest import mock

    from adjudication import tasks
    from adjudication.models import Pullback, Read
    from adjudication.services import metrics

    read_pks = list(
        Read.objects.filter(pullback__study=study)
        .order_by("pullback_id", "slot")
        .values_list("pk", flat=True)
    )
    pullback_pks = list(
        Pullback.objects.filter(study=study).order_by("pk").values_list("pk", flat=True)
    )
    profiler = cProfile.Profile() if profile else None
    # The services schedule the next task on commit; here we call each step ourselves, in the
    # order a single worker would run them, so the broker is kept out of the figure.
    with mock.patch.object(tasks.pullback_compare_reads, "delay"):
        t0, c0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for pk in read_pks:
            metrics.read_compute_metrics(read_pk=pk)
        t1, c1 = time.perf_counter(), time.process_time()
        for pk in pullback_pks:
            metrics.pullback_compare_reads(pullback_pk=pk)
        t2, c2 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.disable()
    flagged = _resolve_flagged_directly(study)
    t3, c3 = time.perf_counter(), time.process_time()
    for pk in flagged:
        metrics.pullback_write_consensus(pullback_pk=pk)
    t4, c4 = time.perf_counter(), time.process_time()
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("BENCH_SORT", "cumulative")
        ).print_stats(40)
        print(out.getvalue())
    return {
        "reads": len(read_pks),
        "flagged": len(flagged),
        "metrics_s": t1 - t0,
        "compare_s": t2 - t1,
        "adjudicated_consensus_s": t4 - t3,
        "metrics_cpu_s": c1 - c0,
        "compare_cpu_s": c2 - c1,
        "adjudicated_consensus_cpu_s": c4 - c3,
    }


def time_export(study: Any) -> tuple[float, int]:
    from adjudication.exports import tabular

    best = math.inf
    size = 0
    for _ in range(3):
        t0 = time.perf_counter()
        body = tabular.export_csv(study, "pullback")
        best = min(best, time.perf_counter() - t0)
        size = len(body)
    return best, size


def run_with_worker(n_pullbacks: int) -> float:
    """A fresh study processed by a real ``celery worker --concurrency=1`` (broker included).

    Celery's Django fixup closes the database connection before and after every task unless
    ``CELERY_DB_REUSE_MAX`` is set, so each task then opens a new PostgreSQL connection (and
    a backend with cold caches): measured here at ~10 ms per task, more than a read's metrics.
    """
    from django.db import connections

    from adjudication import tasks
    from adjudication.models import Pullback, Read

    study = build_study(n_pullbacks, "bench-worker")
    read_pks = list(Read.objects.filter(pullback__study=study).values_list("pk", flat=True))
    connections.close_all()
    env = dict(os.environ)
    log_path = Path(f"/tmp/{QUEUE}.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "corelab",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=1",
                "--pool=prefork",
                "-Q",
                f"{QUEUE},{QUEUE}.heavy",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"{QUEUE}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(4)  # let the worker boot before the clock starts
            t0 = time.perf_counter()
            for pk in read_pks:
                tasks.read_compute_metrics.delay(read_pk=pk)
            done_states = ("consensus", "flagged")
            while True:
                left = Pullback.objects.filter(study=study).exclude(status__in=done_states).count()
                if left == 0:
                    break
                if proc.poll() is not None:
                    raise RuntimeError(log_path.read_text())
                time.sleep(0.2)
            return time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pullbacks", type=int, default=384)
    parser.add_argument("--worker", action="store_true", help="also run through a real worker")
    parser.add_argument("--profile", action="store_true", help="cProfile the metrics step")
    parser.add_argument("--keep", action="store_true", help="do not drop the bench database")
    args = parser.parse_args()

    load_at_start = os.getloadavg()
    common.recreate_database(BENCH_DB, SERVER_URL)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from adjudication.models import Consensus, FrameMetrics

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        study = build_study(args.pullbacks)
        setup_s = time.perf_counter() - t0
        figures = run_in_process(study, args.profile)
        total = figures["metrics_s"] + figures["compare_s"] + figures["adjudicated_consensus_s"]
        export_s, export_bytes = time_export(study)
        n_frames = FrameMetrics.objects.filter(read__pullback__study=study).count()
        print(
            f"study: {args.pullbacks} pullbacks, {figures['reads']} reads, "
            f"{n_frames} frame rows (setup {setup_s:.1f} s)"
        )
        cpu = (
            figures["metrics_cpu_s"]
            + figures["compare_cpu_s"]
            + figures["adjudicated_consensus_cpu_s"]
        )
        consensus_direct = args.pullbacks - figures["flagged"]
        lines = [
            ("metrics of every read", "metrics", figures["reads"]),
            (f"comparisons + direct consensus ({consensus_direct})", "compare", args.pullbacks),
            (
                f"adjudicated consensus ({figures['flagged']})",
                "adjudicated_consensus",
                figures["flagged"],
            ),
        ]
        print(f"  {'step':45s} {'wall':>8s} {'cpu (this process)':>20s} {'wall per item':>14s}")
        for label, key, items in lines:
            wall, cpu_s = figures[key + "_s"], figures[key + "_cpu_s"]
            per_item_ms = wall / items * 1000 if items else 0.0
            print(f"  {label:45s} {wall:7.2f}s {cpu_s:19.2f}s {per_item_ms:11.1f} ms")
        print(f"  {'whole study, one worker (goal <= 20 s)':45s} {total:7.2f}s {cpu:19.2f}s")
        print(f"  {'pullback-level CSV export (goal <= 1 s)':45s} {export_s:7.3f}s")
        print(f"    ({export_bytes} bytes, {Consensus.objects.count()} rows; best of 3)")
        print(
            f"  load average (1 min) at the start {load_at_start[0]:.2f}, "
            f"at the end {os.getloadavg()[0]:.2f}, on {os.cpu_count()} cores"
        )
        if args.worker:
            worker_s = run_with_worker(args.pullbacks)
            print(f"  real celery worker (c=1), metrics+compare+direct consensus {worker_s:7.2f} s")
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
