"""What one annotation save costs the app, in-process (issue 13): CPU and, under callgrind,
instructions, for this checkout and, side by side in one run, another commit.

Each side runs in a process of its own, with its own throwaway database (``corelab_bench_save_*``,
dropped afterwards): migrate, one analyst with one read of a 540-frame pullback, then autosaves
through the whole Django stack (middleware, token authentication, DRF, the service, the audit
row) with the documents ``bench/load.py`` sends (up to 8 frames of a 64-point lumen and 10 struts,
every frame changed at each save). ``--callgrind`` counts instructions instead of seconds: the
count repeats to ~0.5 % whatever else the machine does (valgrind; the difference of a short and
a long run, so that start-up cancels out). ``--against REV`` checks REV out in a temporary git
worktree and measures it with the same interpreter, one side after the other in each round.
``--profile N``: this checkout only, one round under cProfile; prints the N functions with the
most time of their own, and the N with the most time inside them (where the save's cost sits).

    .venv/bin/python bench/save_cost.py [--saves 150] [--rounds 5] [--callgrind] [--against REV]
                                        [--profile N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402 - bench/common.py: the app's production switches, admin SQL

SERVER_URL = common.database_url("")


def child(saves: int, warmup: int, rounds: int, profile: int = 0) -> None:
    """Runs inside the measured checkout (cwd): seed, warm up, then ``rounds`` × ``saves``."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from load import document  # bench/load.py's autosave documents

    from adjudication.models import Membership, Pullback, Read, Study, Subject
    from adjudication.tokens import token_issue

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("analyst", password="save-cost-password-1")
    study = Study.objects.create(name="Save cost", code="save-cost")
    Membership.objects.create(study=study, user=user, role="analyst")
    subject = Subject.objects.create(study=study, code="S-0001")
    pullback = Pullback.objects.create(
        study=study,
        subject=subject,
        timepoint="post",
        lesion="LAD",
        status="ready",
        n_frames=540,
        rows=1024,
        columns=1024,
        pixel_spacing_row_mm=0.01,
        pixel_spacing_col_mm=0.01,
        frame_spacing_mm=0.2,
    )
    read = Read.objects.create(pullback=pullback, reader=user, slot=1, annotations={"frames": {}})
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    url = f"/api/v1/reads/{read.pk}/annotations/"
    bodies = [json.dumps(document(540, tick)) for tick in range(16)]
    version = read.version

    def save(tick: int) -> None:
        nonlocal version
        body = f'{{"version": {version}, "annotations": {bodies[tick % 16]}}}'
        response = client.generic("PUT", url, body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"save answered {response.status_code}: {response.content[:200]!r}")
        version = response.json()["version"]

    for tick in range(warmup):
        save(tick)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [save(tick) for tick in range(saves)])
        stats = pstats.Stats(profiler).strip_dirs()
        for order in ("tottime", "cumulative"):
            stats.sort_stats(order).print_stats(profile)
        return
    per_save_ms = []
    for _ in range(rounds):
        started = time.process_time()
        for tick in range(saves):
            save(tick)
        per_save_ms.append((time.process_time() - started) / saves * 1000)
    print(json.dumps({"cpu_ms": per_save_ms}))


def run_side(tree: Path, db: str, args: list[str], callgrind_out: Path | None) -> str:
    env = {
        **os.environ,
        **common.APP_ENV,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": common.database_url(db),
        "PYTHONPATH": str(ROOT / "bench"),
    }
    command = [sys.executable, str(ROOT / "bench" / "save_cost.py"), "--child", *args]
    if callgrind_out is not None:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={callgrind_out}",
            *command,
        ]
    common.recreate_database(db, SERVER_URL)
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    finally:
        common.drop_database(db, SERVER_URL)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: the measurement failed:\n{done.stderr[-2000:]}")
    return done.stdout + done.stderr


def instructions(output: str) -> int:
    found = re.search(r"Collected : (\d+)", output)
    if found is None:
        raise SystemExit("callgrind printed no total (is valgrind installed?)")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=150, help="saves per round (CPU mode)")
    parser.add_argument("--rounds", type=int, default=5, help="measures of each side, interleaved")
    parser.add_argument("--callgrind", action="store_true", help="count instructions (valgrind)")
    parser.add_argument("--against", metavar="REV", help="also measure this commit, interleaved")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile this checkout, top N"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.saves, args.warmup, args.rounds, args.profile)
        return
    if args.profile:
        db = f"corelab_bench_save_{os.getpid()}_profile"
        print(
            run_side(ROOT, db, ["--saves", str(args.saves), "--profile", str(args.profile)], None)
        )
        return
    if args.callgrind and shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian's valgrind package)")
    sides: dict[str, Path] = {"this checkout": ROOT}
    scratch = Path(tempfile.mkdtemp(prefix="corelab-bench-save-"))
    try:
        if args.against:
            other = scratch / "against"
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "add",
                    "--detach",
                    "-q",
                    str(other),
                    args.against,
                ],
                check=True,
            )
            sides[args.against] = other
        results: dict[str, list[float]] = {name: [] for name in sides}
        for round_ in range(args.rounds):
            for index, (name, tree) in enumerate(sides.items()):
                db = f"corelab_bench_save_{os.getpid()}_{index}"
                if args.callgrind:
                    # Instructions of 16 and of 48 saves after the warm-up: the difference is 32.
                    counts = [
                        instructions(
                            run_side(
                                tree,
                                db,
                                ["--saves", str(n), "--rounds", "1", "--warmup", "16"],
                                scratch / "callgrind.out",
                            )
                        )
                        for n in (16, 48)
                    ]
                    results[name].append((counts[1] - counts[0]) / 32 / 1e6)
                else:
                    out = run_side(tree, db, ["--saves", str(args.saves), "--rounds", "1"], None)
                    line = next(x for x in out.splitlines() if x.startswith('{"cpu_ms"'))
                    results[name].extend(json.loads(line)["cpu_ms"])
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{name} {values[-1]:.2f}" for name, values in results.items()),
                flush=True,
            )
    finally:
        if args.against:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(scratch / "against")],
                check=False,
            )
        shutil.rmtree(scratch, ignore_errors=True)
    unit = "M instructions a save" if args.callgrind else "ms of CPU a save"
    for name, values in results.items():
        print(
            f"{name:<24} median {statistics.median(values):.2f} {unit} "
            f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} measures)"
        )
    if args.against:
        mine, theirs = (statistics.median(v) for v in results.values())
        print(f"this checkout / {args.against}: {mine / theirs:.2f}×")


if __name__ == "__main__":
    main()
