"""Reading-page viewer benchmark (issues 5, 13): first frame, whole pullback ready, scrubbing,
long main-thread tasks — in Debian's Chromium, headless, against the production topology.

    .venv/bin/python bench/viewer.py [--frames 540] [--size 1024] [--runs 2] [--no-proxy]
                                     [--viewport default|canvas] [--frames-on-main]
                                     [--workers 2] [--threads 8] [--breakdown]

What it does, all on loopback and in a throwaway world (cleaned up at the end):

1. the synthetic JPEG-baseline pullback of ``bench/frames.py``: ``--frames`` frames of
   ``--size``², ~100 KB each, written once and cached in ``var/bench/``;
2. creates the PostgreSQL database ``corelab_bench_viewer`` (or ``$BENCH_DB``), migrates it,
   and through the services creates a coordinator, two readers, a study, the upload, its ingest
   and the reader assignment; collects the static files (the built ``frontend/dist``) into a
   temporary STATIC_ROOT;
3. starts the production topology as ``bin/serve`` runs it: nginx (``deploy/render_nginx.py``)
   in front of gunicorn (gthread, DEBUG off) with ``FRAMES_VIA_PROXY=true``, so frames are
   files nginx sends after the app's grant, and static files come from nginx.
   ``--no-proxy``: gunicorn alone (WhiteNoise static files, frames sent by the app, batched);
4. drives Debian's Chromium headless (Playwright, the e2e tests' flags) as reader A: for each
   run a new browser context (an empty profile: no HTTP cache), signs in, opens the read and
   reads what the viewer measures about itself (``window.__viewerStats``; ms since navigation):
   - navigation → first frame painted (goal ≤ 200 ms): the frame's pixels on screen, whichever
     comes first (the page's poster, frame 0 as an image in the page, painted by the browser
     while the viewer's scripts load, its paint time from Element Timing; the interim canvas
     while Cornerstone starts; or the viewer); the mounted viewer's own first paint (from then
     on it takes input) is printed too;
   - navigation → all frames ready (goal ≤ 1.0 s). "Ready" is every frame's encoded bytes in
     the page's memory (a Blob per frame), so any frame shows without the network; decoded
     frames are kept only around the cursor within a memory budget (1024² RGBA is 4 MiB: a
     whole 540-frame pullback decoded would be 2.1 GiB). With Cornerstone the time until its
     decoded-image cache is warm is printed too;
   - scrubbing: one ``goTo(n+1)`` per display frame through the whole pullback (as Chromium
     delivers a wheel's or a pointer's events, aligned to animation frames), distinct frames
     painted per second (goal ≥ 60; the display's refresh caps it, so every frame asked for
     painted with no display frame dropped also meets it), and the display frames dropped;
   - long tasks (PerformanceObserver ``longtask``, installed before the page's own scripts):
     count and longest, during the load (navigation → ready + 0.5 s) and during the scrub
     (goal: none over 50 ms); for the load, each one's start and the viewer's performance marks
     (``viewer:*``: where its start-up stood, e.g. which Cornerstone chunk was being evaluated).
     ``--breakdown``: each cold run is traced (Chromium trace with V8's CPU profile, saved in
     ``var/bench/`` for DevTools) and each long task while loading is broken down into its
     trace events and its CPU time by package and function (``bench/long_tasks.py``); the
     tracing slows the page, so take the counts from runs without it.
   - what the first frame waited for: the page's requests that started before it was painted
     (start–end, ms since navigation; over HTTP/1.1 a browser opens 6 connections to a host, so
     a request may wait for a connection) and the browser's paint timings (first contentful
     paint; the poster image's load and render times, from Element Timing).
   Then the same page again in the same context (warm: HTTP cache). Before the first run the
   page is opened once, untimed, in a throwaway profile, so the server's workers are warm.
5. the reference, in each run just before the cold page, also in a new profile: the browser's
   floor on this machine, a static page served by the same server (no app, no script of ours)
   that holds nothing but frame 0 as an image at the viewer's size and fetches the pullback's
   aligned batches (the files the viewer downloads) into Blobs, 6 at a time. Its first paint
   and its "all bytes in memory" are what any page costs this browser here; the reading page
   is reported against them (ratio), as the server benchmarks report against nginx. Then the
   same scrub on it, drawn by the least a viewer does (30 frames decoded ahead into
   ImageBitmaps, one scaled ``drawImage`` per animation frame): the display frames this
   browser drops here on its own.

Client and server share the machine's CPUs, so the figures are a floor. Speed is measured here,
never asserted in tests. Build the viewer first: ``cd frontend && npm ci && npm run build``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common  # bench/common.py: ports, database, app server, nginx, cleanup
import long_tasks  # bench/long_tasks.py: what a long task is made of (--breakdown)

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = os.environ.get("BENCH_DB", "corelab_bench_viewer")  # one per engineer when shared
PASSWORD = "bench-pass-1234"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
GOALS = {"first_frame_ms": 200.0, "ready_ms": 1000.0, "scrub_fps": 60.0, "long_task_ms": 50.0}

# Installed before any script of the page (Playwright's init script, outside the page's CSP):
# every long task (> 50 ms on the main thread) from navigation on.
LONG_TASKS_JS = """
window.__benchLongTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__benchLongTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
} catch (err) { window.__benchLongTasks = null; }
"""

# Runs in the page: steps through the whole pullback like a reader's wheel or trackpad — one
# goTo per display frame, as Chromium delivers continuous input (wheel, pointer moves): aligned to
# animation frames, at most one event a frame. Each goTo is a task of its own, started right
# after a frame (a timer set from requestAnimationFrame), so the viewer has the whole frame
# interval to show it by the next one. (A free-running 16.7 ms timer instead lands two inputs in
# one display frame now and then — timer jitter — and the first of them can be shown by no
# viewer; calling goTo from inside requestAnimationFrame makes a library that renders on the next
# animation frame skip every other frame, which no input device does.)
# Reports the frames painted, the display frames the scrub took (a frame the browser could not
# produce in time shows as a gap of two refresh intervals or more: a dropped frame) and the
# display's refresh interval (the median of those gaps).
SCRUB_JS = """
async () => {
  const v = window.__viewer, s = window.__viewerStats;
  const n = v.frameCount;
  v.goTo(0);
  await new Promise((r) => setTimeout(r, 100));
  const paints0 = s.distinctPaints;
  const ticks = [];
  let i = 1;
  const t0 = await new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  await new Promise((done) => {
    const frame = (t) => {
      ticks.push(t);
      if (i >= n) return done();
      setTimeout(() => {
        v.goTo(i++);
        requestAnimationFrame(frame);
      }, 0);
    };
    requestAnimationFrame(frame);
  });
  // From the frame after which the first input came to the one that showed the last input.
  const seconds = (ticks[ticks.length - 1] - ticks[0]) / 1000;
  await new Promise((r) => setTimeout(r, 100));
  const gaps = ticks.slice(1).map((t, k) => t - ticks[k]).sort((x, y) => x - y);
  const refreshMs = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 1000 / 60;
  return {requested: n - 1, painted: s.distinctPaints - paints0, seconds, t0,
          t1: performance.now(), refreshMs,
          dropped: gaps.reduce((k, g) => k + Math.max(0, Math.round(g / refreshMs) - 1), 0)};
}
"""


def _world(dicom: Path) -> dict[str, Any]:
    """Study, people, upload, ingest and assignment, through the services."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from adjudication.services import assignment, ingest, studies

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    users = get_user_model().objects
    coordinator = users.create_superuser("bench-coordinator", password=PASSWORD)
    readers = [users.create_user(f"bench-reader-{c}", password=PASSWORD) for c in "ab"]
    study = studies.study_create(actor=coordinator, name="Bench", code="bench", description="")
    for reader in readers:
        studies.study_add_member(
            study=study, actor=coordinator, username=reader.username, role="analyst"
        )
    with open(dicom, "rb") as fh:
        [pullback] = ingest.pullbacks_create_from_upload(
            study=study,
            actor=coordinator,
            sources=[ingest.UploadSource(dicom.name, fh, dicom.stat().st_size)],
            subject_code="S-0001",
            timepoint="post",
            schedule_ingest=False,
        )
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    # The light task ready schedules: each frame as a file for nginx (the app sends them
    # from the index until then; a reader opens a pullback long after it is written).
    ingest.pullback_write_frame_files(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    if pullback.status != "ready":
        raise SystemExit(f"ingest failed: {pullback.error}")
    reads = assignment.pullback_assign_readers(
        pullback=pullback, actor=coordinator, usernames=[r.username for r in readers]
    )
    mine = next(r for r in reads if r.reader_id == readers[0].pk)
    return {"read": mine.pk, "username": readers[0].username, "n_frames": pullback.n_frames}


def _until(page: Any, js: str, timeout_s: float) -> Any:
    """Polls a function in the page (the page's CSP forbids Playwright's string eval)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(js)
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)


def _verdict(value: float | None, goal: float, higher_is_better: bool = False) -> str:
    if value is None:
        return "not reached"
    ok = value >= goal if higher_is_better else value <= goal
    return "meets the goal" if ok else "MISSES the goal"


def _long_tasks(tasks: list[list[float]] | None, start: float, end: float) -> str:
    if tasks is None:
        return "long tasks: not observable in this browser"
    inside = [(d, t) for t, d in tasks if start <= t < end]
    longest, at = max(inside, default=(0.0, 0.0))
    goal = GOALS["long_task_ms"]
    verdict = "meets the goal" if longest <= goal else "MISSES the goal"
    where = f" at {at:.0f} ms" if inside else ""
    return (
        f"long tasks: {len(inside)}, longest {longest:.0f} ms{where}"
        f"   ({verdict}: none > {goal:.0f} ms)"
    )


# The page's own requests that started before its first frame was painted: what the first
# frame waited for (the document, its styles and scripts, the frame itself).
EARLY_REQUESTS_JS = """
(until) => [performance.getEntriesByType('navigation')[0],
            ...performance.getEntriesByType('resource')]
  .filter((e) => e.startTime <= until)
  .map((e) => [e.name.split('/').filter(Boolean).pop().split('?')[0], e.startTime, e.responseEnd])
"""


# The browser's own paint timings: first paint, first contentful paint, and the poster image's
# load (bytes in) and render (on screen) times (Element Timing).
PAINTS_JS = """
() => new Promise((resolve) => {
  const out = performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) out.push([e.identifier + ' loaded', e.loadTime],
                                               [e.identifier + ' painted', e.renderTime]);
    resolve(out);
  }).observe({type: 'element', buffered: true});
  setTimeout(() => resolve(out), 200);
})
"""


def _paints(page: Any) -> str:
    return ", ".join(f"{name} {t:.0f}" for name, t in page.evaluate(PAINTS_JS)) or "—"


def _early_requests(page: Any, until_ms: float | None) -> str:
    if until_ms is None:
        return "—"
    entries = page.evaluate(EARLY_REQUESTS_JS, until_ms)
    return ", ".join(f"{name} {start:.0f}–{end:.0f}" for name, start, end in entries)


def _open_read(page: Any, url: str, n: int, label: str) -> dict[str, Any]:
    page.goto(url)
    mounted = _until(
        page, "() => window.__viewerStats && window.__viewerStats.firstFramePaintedMs", 30
    )
    first = page.evaluate(
        "() => window.__viewerStats.firstPixelsMs ?? window.__viewerStats.firstFramePaintedMs"
    )
    ready = _until(page, "() => window.__viewerStats && window.__viewerStats.allCachedMs", 60)
    stats = page.evaluate(
        "() => ({viewport: window.__viewerStats.viewport,"
        " cached: window.__viewerStats.framesCached})"
    )
    decoded = None
    if stats["viewport"].startswith("cornerstone"):
        # Cornerstone scrubs from its decoded-image cache, filled in the background.
        decoded = _until(
            page, "() => window.__viewerStats && window.__viewerStats.allDecodedMs", 120
        )
    # Let the L-mode request and any decoding settle before scrubbing.
    page.wait_for_timeout(500)
    load_end = page.evaluate("() => performance.now()")
    scrub = page.evaluate(SCRUB_JS)
    tasks = page.evaluate("() => window.__benchLongTasks")
    fps = scrub["painted"] / scrub["seconds"] if scrub["seconds"] else None
    # One input per display frame: every frame asked for painted, and no display frame dropped,
    # is the display's rate — the most any page shows, so it meets the goal (60 fps at 60 Hz).
    every = _at_display_rate(scrub)
    fps_verdict = "meets the goal" if every else _verdict(fps, GOALS["scrub_fps"], True)
    print(f"  {label} (viewport: {stats['viewport']}):")
    first_s = "—" if first is None else f"{first:.0f} ms"
    print(
        f"    navigation → first frame painted: {first_s:>9}"
        f"   ({_verdict(first, GOALS['first_frame_ms'])} ≤ {GOALS['first_frame_ms']:.0f} ms)"
    )
    mounted_s = "—" if mounted is None else f"{mounted:.0f} ms"
    print(f"    navigation → the mounted viewer's first paint (takes input): {mounted_s}")
    ready_s = f"{ready:.0f} ms" if ready else f"only {stats['cached']} / {n} frames in 60 s"
    print(
        f"    navigation → all {n} frames ready (bytes in memory): {ready_s:>9}"
        f"   ({_verdict(ready, GOALS['ready_ms'])} ≤ {GOALS['ready_ms']:.0f} ms)"
    )
    if decoded is not None:
        print(f"    navigation → all frames decoded into Cornerstone's cache: {decoded:.0f} ms")
    print(f"    load: {_long_tasks(tasks, 0.0, load_end)}")
    # Where the viewer's start-up stood (performance marks, ms): which step a long task was.
    marks = page.evaluate(
        "() => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('viewer:'))"
        ".map((m) => [m.name.slice(7), m.startTime])"
    )
    inside = sorted((t, d) for t, d in tasks or [] if t < load_end)
    print("    long tasks at: " + (", ".join(f"{t:.0f} ({d:.0f} ms)" for t, d in inside) or "—"))
    print("    marks: " + ", ".join(f"{name} {t:.0f}" for name, t in marks if t < load_end))
    print("    requests until the first frame (start–end, ms): " + _early_requests(page, first))
    print("    paints: " + _paints(page))
    print(
        f"    scrubbing (1 frame per display frame's input): {fps or 0:.1f} frames/s painted"
        f"   ({scrub['painted']} of {scrub['requested']} frames in {scrub['seconds']:.2f} s,"
        f" display frames dropped: {scrub['dropped']}, refresh {scrub['refreshMs']:.1f} ms;"
        f" {fps_verdict} ≥ {GOALS['scrub_fps']:.0f}, or every frame asked for at the display's rate)"
    )
    print(f"    scrub: {_long_tasks(tasks, scrub['t0'], scrub['t1'])}")
    longest = {
        when: max((d for t, d in tasks or [] if start <= t < end), default=0.0)
        for when, start, end in (("load", 0.0, load_end), ("scrub", scrub["t0"], scrub["t1"]))
    }
    return {
        "first_ms": first,
        "ready_ms": ready,
        "scrub_fps": fps,
        "scrub_every": every,
        "longest_load_ms": longest["load"],
        "longest_scrub_ms": longest["scrub"],
        "load_end_ms": load_end,
    }


# The reference page (5. above): frame 0 at the viewer's size, and every aligned batch fetched
# into a Blob, 6 at a time, as soon as the page runs; Element Timing gives the paint. The script
# is a file of its own, so a Content-Security-Policy of the app's (--no-proxy) allows it.
FLOOR_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>reference</title></head>
<body style="margin:0;background:#000">
<img src="0.jpg" alt="" elementtiming="floor" width="700" height="700">
<script src="floor.js"></script>
</body></html>
"""
FLOOR_JS = """window.__floor = {};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__floor.paintedMs = e.renderTime || e.loadTime;
}).observe({type: "element", buffered: true});
const names = %(batches)s;
let next = 0;
const blobs = [];
async function fetcher() {
  while (next < names.length) blobs.push(await (await fetch(names[next++])).blob());
}
Promise.all([1, 2, 3, 4, 5, 6].map(fetcher)).then(() => {
  window.__floor.readyMs = performance.now();
  window.__floor.bytes = blobs.reduce((n, b) => n + b.size, 0);
});
// For the scrub, afterwards: the least a viewer does, as a window.__viewer for SCRUB_JS. The
// first frames decoded ahead into ImageBitmaps, the canvas at the viewer's size in the
// picture's place, one drawImage (scaled) per animation frame for the frame last asked for.
window.__floorViewer = async () => {
  const bitmaps = [];
  for (let n = 0; n < %(decoded)d; n++)
    bitmaps.push(await createImageBitmap(await (await fetch(n + ".jpg")).blob()));
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 700;
  document.querySelector("img").replaceWith(canvas);
  const g = canvas.getContext("2d");
  const stats = {distinctPaints: 0};
  let wanted = 0, shown = -1, pending = false;
  const draw = () => {
    pending = false;
    g.drawImage(bitmaps[wanted %% bitmaps.length], 0, 0, 700, 700);
    if (wanted !== shown) stats.distinctPaints++;
    shown = wanted;
  };
  window.__viewerStats = stats;
  window.__viewer = {frameCount: %(frames)d, goTo(n) {
    wanted = n;
    if (!pending) { pending = true; requestAnimationFrame(draw); }
  }};
};
"""
FLOOR_DECODED = 30  # 1024² RGBA: 4 MiB each
FLOOR_PATH = "bench-floor"


def _write_floor(static_root: Path, frame_files: Path, n_frames: int) -> int:
    """The reference page in STATIC_ROOT (served as static files by nginx, or WhiteNoise with
    --no-proxy), beside hard links to the first frames (frame 0 its picture, the first
    FLOOR_DECODED its scrub's) and the pullback's batch files; returns the batches' bytes, which
    the page must hold in the end."""
    folder = static_root / FLOOR_PATH
    folder.mkdir()
    batches = sorted(frame_files.glob("batch-*.bin"), key=lambda p: int(p.name.split("-")[1]))
    if not batches:
        raise SystemExit(f"no batch files in {frame_files}")
    pictures = [frame_files / f"{n}.jpg" for n in range(min(FLOOR_DECODED, n_frames))]
    for source in [*pictures, *batches]:
        try:
            os.link(source, folder / source.name)
        except OSError:
            shutil.copyfile(source, folder / source.name)
    (folder / "index.html").write_text(FLOOR_HTML)
    names = json.dumps([p.name for p in batches])
    (folder / "floor.js").write_text(
        FLOOR_JS % {"batches": names, "decoded": len(pictures), "frames": n_frames}
    )
    (folder / "start.html").write_text('<!doctype html><html lang="en"><title>start</title>')
    return sum(p.stat().st_size for p in batches)


def _floor(browser: Any, base: str, n_bytes: int) -> dict[str, Any]:
    """The reference page in a new profile, after a first page of the same site (as the
    reading page comes after the sign-in); then its scrub, as the reading page's."""
    context = _new_profile(browser)
    page = context.new_page()
    page.goto(f"{base}/static/{FLOOR_PATH}/start.html")
    page.goto(f"{base}/static/{FLOOR_PATH}/index.html")
    got = _until(
        page, "() => window.__floor.readyMs && window.__floor.paintedMs && window.__floor", 60
    )
    if not got or got["bytes"] != n_bytes:
        raise SystemExit(f"the reference page did not load every batch: {got}")
    page.evaluate("() => window.__floorViewer()")
    page.wait_for_timeout(500)
    scrub = page.evaluate(SCRUB_JS)
    context.close()
    return {"first_ms": got["paintedMs"], "ready_ms": got["readyMs"], "scrub": scrub}


def _scrubbed(scrub: dict[str, Any]) -> str:
    fps = scrub["painted"] / scrub["seconds"] if scrub["seconds"] else 0.0
    return (
        f"scrubbing {fps:.1f} frames/s ({scrub['painted']} of"
        f" {scrub['requested']} frames, display frames dropped: {scrub['dropped']})"
    )


def _at_display_rate(scrub: dict[str, Any]) -> bool:
    """Every frame asked for painted, and no display frame dropped: the display's rate."""
    return bool(scrub["painted"] >= scrub["requested"] and scrub["dropped"] == 0)


def _ratio(ours: float | None, floor: float) -> str:
    return "—" if ours is None or floor <= 0 else f"{ours / floor:.2f}×"


def _new_profile(browser: Any) -> Any:
    """A browser context with an empty profile (no HTTP cache), at the window size of every run."""
    return browser.new_context(viewport={"width": 1400, "height": 900})


def _sign_in(page: Any, base: str, world: dict[str, Any]) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", world["username"])
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _browse(base: str, world: dict[str, Any], runs: int, query: str, breakdown: bool) -> None:
    from playwright.sync_api import sync_playwright

    url = f"{base}/reads/{world['read']}/{query}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Untimed: the server's workers import their code and open their database connections on
        # first use; "cold" below means a new browser profile, not a server that just started.
        context = _new_profile(browser)
        page = context.new_page()
        _sign_in(page, base, world)
        page.goto(url)
        _until(page, "() => window.__viewerStats && window.__viewerStats.allCachedMs", 60)
        context.close()
        rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
        loads: list[dict[str, Any]] = []
        for run in range(1, runs + 1):
            floor = _floor(browser, base, world["batch_bytes"])
            print(
                f"  run {run}, reference (static page, new browser profile): frame 0 painted"
                f" {floor['first_ms']:.0f} ms, all {world['n_frames']} frames' bytes in memory"
                f" {floor['ready_ms']:.0f} ms; {_scrubbed(floor['scrub'])}"
            )
            context = _new_profile(browser)
            context.add_init_script(LONG_TASKS_JS)
            page = context.new_page()
            _sign_in(page, base, world)
            n = world["n_frames"]
            if breakdown:
                browser.start_tracing(page=page, categories=long_tasks.CATEGORIES)
            cold = _open_read(page, url, n, f"run {run}, cold (new browser profile)")
            if breakdown:
                trace = browser.stop_tracing()
                saved = ROOT / "var" / "bench" / f"viewer-trace-cold-{run}.json"
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_bytes(trace)
                print(f"    trace of the cold run (DevTools, Performance panel): {saved}")
                long_tasks.report(trace, ROOT / "frontend" / "dist", 0.0, cold["load_end_ms"])
            print(
                f"    against the reference: first frame {_ratio(cold['first_ms'], floor['first_ms'])},"
                f" all frames ready {_ratio(cold['ready_ms'], floor['ready_ms'])}"
            )
            rows.append((floor, cold))
            loads += [cold, _open_read(page, url, n, f"run {run}, warm (same profile, HTTP cache)")]
            context.close()
        browser.close()
    _summary(rows, loads)


def _summary(
    rows: list[tuple[dict[str, Any], dict[str, Any]]], loads: list[dict[str, Any]]
) -> None:
    """Cold runs: the reading page and the reference, medians and the ratio of the medians;
    every load, cold and warm: how many met the scrubbing and long-task goals."""
    print(f"  cold, {len(rows)} run(s), median (reading page / reference static page):")
    for key, label, goal in (
        ("first_ms", "first frame painted", GOALS["first_frame_ms"]),
        ("ready_ms", "all frames ready", GOALS["ready_ms"]),
    ):
        ours = [c[key] for _, c in rows if c[key] is not None]
        ref = [f[key] for f, _ in rows]
        if not ours:
            print(f"    {label}: not reached")
            continue
        mine, theirs = statistics.median(ours), statistics.median(ref)
        print(
            f"    {label}: {mine:.0f} ms / {theirs:.0f} ms = {_ratio(mine, theirs)};"
            f" goal ≤ {goal:.0f} ms: ours over in {sum(v > goal for v in ours)} of {len(ours)},"
            f" the reference over in {sum(v > goal for v in ref)} of {len(ref)}"
        )
    goal = GOALS["long_task_ms"]
    print(f"  every load, cold and warm ({len(loads)}):")
    print(
        f"    scrubbing, every frame at the display's rate: {sum(x['scrub_every'] for x in loads)}"
        f" of {len(loads)}; frames/s {min(x['scrub_fps'] or 0 for x in loads):.1f}"
        f"–{max(x['scrub_fps'] or 0 for x in loads):.1f}; the reference page in"
        f" {sum(_at_display_rate(f['scrub']) for f, _ in rows)} of {len(rows)} runs"
    )
    for key, when in (("longest_scrub_ms", "scrubbing"), ("longest_load_ms", "loading")):
        over = [x[key] for x in loads if x[key] > goal]
        worst = f", the longest {max(over):.0f} ms" if over else ""
        print(
            f"    a long task > {goal:.0f} ms while {when}: in {len(over)} of {len(loads)}{worst}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=540)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--quality", type=int, default=55, help="JPEG quality (~100 KB)")
    parser.add_argument("--runs", type=int, default=2, help="cold + warm page opens, each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--viewport",
        choices=("default", "canvas"),
        default="default",
        help="the page's own choice (Cornerstone3D), or ?viewport=canvas",
    )
    parser.add_argument(
        "--frames-on-main",
        action="store_true",
        help="?frames=main: download and decode on the page's thread (no frame worker)",
    )
    parser.add_argument(
        "--no-proxy", action="store_true", help="gunicorn alone (no nginx), as before issue 13"
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="trace each cold run (Chromium trace + CPU profile, saved in var/bench/) and print"
        " what each long task while loading is made of (bench/long_tasks.py; tracing slows the"
        " page ~1.3x)",
    )
    args = parser.parse_args()
    if not (ROOT / "frontend" / "dist" / "read.js").exists():
        raise SystemExit("frontend/dist/read.js is missing: cd frontend && npm ci && npm run build")
    if common.NGINX is None and not args.no_proxy:
        raise SystemExit("nginx is not installed (bin/lib.sh ensure_nginx), or use --no-proxy")
    work = Path(tempfile.mkdtemp(prefix="corelab-bench-viewer-"))
    media = work / "media"
    (media / "pullbacks").mkdir(parents=True)
    prefix = f"corelab-bench-viewer-{os.getpid()}"
    env = {
        **os.environ,
        **common.APP_ENV,
        "DATABASE_URL": f"{common.PG_URL}/{BENCH_DB}",
        "MEDIA_ROOT": str(media),
        "STATIC_ROOT": str(work / "static"),
        "CACHE_KEY_PREFIX": prefix,
        "FRAMES_VIA_PROXY": "false" if args.no_proxy else "true",
        "TRUSTED_PROXY_COUNT": "0" if args.no_proxy else "1",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT / "deploy"))
    import django

    topology = "gunicorn alone" if args.no_proxy else "nginx → gunicorn (FRAMES_VIA_PROXY)"
    print(
        f"viewer benchmark: {args.frames} frames of {args.size}², JPEG baseline (q{args.quality}),"
        f" {topology}, viewport {args.viewport}"
        + (", frames on the page's thread" if args.frames_on_main else "")
    )
    common.recreate_database(BENCH_DB)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        django.setup()
        from frames import _synthetic  # the ~100 KB-frame pullback bench/frames.py caches

        dicom = _synthetic(args.frames, args.size, args.quality)
        world = _world(dicom)
        from adjudication.models import Pullback

        key = Pullback.objects.get().storage_key
        frame_files = media / "pullbacks" / str(key) / "frames.files"
        frame_kb = (frame_files / "0.jpg").stat().st_size / 1e3
        world["batch_bytes"] = _write_floor(work / "static", frame_files, world["n_frames"])
        from django.db import connections

        connections.close_all()
        app_port = port = common.free_port()
        log = work / "gunicorn.log"
        gunicorn = common.run_logged(
            common.gunicorn_command(app_port, args.workers, args.threads), env, log
        )
        procs.append(gunicorn)
        common.wait_port(app_port, gunicorn, "gunicorn", log)
        if not args.no_proxy:
            port = common.free_port()
            nginx, _ = common.start_nginx(
                work / "nginx",
                port=port,
                app_port=app_port,
                media_root=media,
                static_root=work / "static",
            )
            procs.append(nginx)
        print(
            f"  frame 0: {frame_kb:.0f} KB; {topology} on 127.0.0.1:{port}: gunicorn "
            f"{args.workers} gthread workers × {args.threads} threads, {os.cpu_count()} CPUs;"
            " Chromium headless, 1400×900"
        )
        params = (["viewport=canvas"] if args.viewport == "canvas" else []) + (
            ["frames=main"] if args.frames_on_main else []
        )
        query = "?" + "&".join(params) if params else ""
        _browse(f"http://127.0.0.1:{port}", world, args.runs, query, args.breakdown)
    finally:
        for proc in reversed(procs):
            common.stop(proc)
        from django.db import connections

        connections.close_all()
        common.drop_database(BENCH_DB)
        common.drop_redis_keys(f"{prefix}*")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
