"""What a long main-thread task is made of, from a Chromium trace (``bench/viewer.py
--breakdown``): for each task over 50 ms on the page's main thread, its largest trace events
(module evaluation, script compilation, animation-frame callbacks, layout, garbage collection)
and the V8 CPU profile's samples inside it, by package and by function, mapped through the
viewer's source maps (``frontend/dist``) back to the npm package or our source file.

The trace's CPU profiler slows the page (about 1.3×; it also re-parses every script on the main
thread for its source positions, V8.CollectSourcePositions): read the shares, not the times, and
take the long-task counts from runs without ``--breakdown``.

Imported by ``bench/viewer.py`` as ``long_tasks`` (it puts ``bench/`` on ``sys.path``)."""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

# Categories for ``browser.start_tracing``: tasks, V8 compile/evaluate/GC, the CPU profile.
CATEGORIES = [
    "toplevel",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8",
    "v8.execute",
    "disabled-by-default-v8.compile",
    "disabled-by-default-v8.cpu_profiler",
    "disabled-by-default-v8.gc",
    "blink.user_timing",
    "loading",
]
LONG_US = 50_000
# Trace events worth naming inside a task (the rest are wrappers or too fine).
SHOWN = {
    "v8.evaluateModule",
    "v8.compileModule",
    "v8.compile",
    "EvaluateScript",
    "FunctionCall",
    "TimerFire",
    "FireAnimationFrame",
    "EventDispatch",
    "RunMicrotasks",
    "ParseHTML",
    "UpdateLayoutTree",
    "Layout",
    "Paint",
    "MajorGC",
    "MinorGC",
    "V8.CompileCode",
    # Inside a module's compilation on the main thread: the profiler's own cost (it wants the
    # source positions), absent when the page is not traced.
    "V8.CollectSourcePositions",
}
_B64 = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


def _vlq(segment: str) -> list[int]:
    values, value, shift = [], 0, 0
    for ch in segment:
        digit = _B64[ch]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    return values


class SourceMap:
    """Generated (line, column) → original source file, from a source map's ``mappings``."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.sources: list[str] = data["sources"]
        self.lines: list[tuple[list[int], list[int]]] = []
        source = 0
        for line in data["mappings"].split(";"):
            columns: list[int] = []
            sources: list[int] = []
            column = 0
            for segment in filter(None, line.split(",")):
                fields = _vlq(segment)
                column += fields[0]
                if len(fields) >= 4:
                    source += fields[1]
                    columns.append(column)
                    sources.append(source)
            self.lines.append((columns, sources))

    def source(self, line: int, column: int) -> str | None:
        if not 0 <= line < len(self.lines):
            return None
        columns, sources = self.lines[line]
        i = bisect.bisect_right(columns, column) - 1
        return self.sources[sources[i]] if i >= 0 else None


class _Maps:
    """The source map of a script URL of the viewer (``…/static/viewer/<path>[.<hash>].js``)."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist
        self.maps: dict[str, SourceMap | None] = {}

    def origin(self, frame: dict[str, Any], file: bool = False) -> str:
        """npm package (``file``: and its module) or our source file of a profile's call frame,
        else the script's name."""
        url = frame.get("url") or ""
        if not url:
            name = frame.get("functionName") or "native"
            return name if name.startswith("(") else f"({name})"
        name = re.sub(r"\.[0-9a-f]{12}\.js$", ".js", url.rsplit("/static/viewer/", 1)[-1])
        if name not in self.maps:
            path = self.dist / f"{name}.map"
            self.maps[name] = SourceMap(path) if "://" not in name and path.exists() else None
        smap = self.maps[name]
        source = smap.source(frame["lineNumber"], frame["columnNumber"]) if smap else None
        if source is None:
            return url.rsplit("/", 1)[-1]
        package = re.search(
            r"node_modules/((?:@[^/]+/)?[^/]+)/(?:dist/(?:esm/)?|lib/)?(.*)", source
        )
        if package:
            return f"{package.group(1)}: {package.group(2)}" if file else package.group(1)
        return "ours: " + source.split("/src/", 1)[-1]


def _main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    mains = {k for k, v in names.items() if v == "CrRendererMain"}
    counts = Counter((e["pid"], e["tid"]) for e in events if (e["pid"], e["tid"]) in mains)
    return counts.most_common(1)[0][0]


def _samples(events: list[dict[str, Any]], main: tuple[int, int]) -> tuple[dict, list]:
    """The main thread's CPU profile: nodes by id, and (time µs, node id) per sample."""
    profiles = {
        e["id"]: e["args"]["data"]["startTime"]
        for e in events
        if e.get("name") == "Profile" and (e["pid"], e["tid"]) == main
    }
    nodes: dict[int, dict[str, Any]] = {}
    samples: list[tuple[int, int]] = []
    clock = dict(profiles)
    for e in events:
        if e.get("name") != "ProfileChunk" or e.get("id") not in profiles or e["pid"] != main[0]:
            continue
        data = e["args"]["data"]
        profile = data.get("cpuProfile", {})
        for node in profile.get("nodes", []):
            nodes[node["id"]] = node
        for node_id, delta in zip(
            profile.get("samples", []), data.get("timeDeltas", []), strict=True
        ):
            clock[e["id"]] += delta
            samples.append((clock[e["id"]], node_id))
    samples.sort()
    return nodes, samples


def report(
    trace: bytes,
    dist: Path,
    start_ms: float,
    end_ms: float,
    indent: str = "    ",
    longer_than_ms: float = LONG_US / 1000,
) -> None:
    """Prints each task over ``longer_than_ms`` on the page's main thread between ``start_ms``
    and ``end_ms`` (ms since the last navigation)."""
    data = json.loads(trace)
    events = data["traceEvents"] if isinstance(data, dict) else data
    main = _main_thread(events)
    navigations = [
        e["ts"] for e in events if e.get("name") == "navigationStart" and e["pid"] == main[0]
    ]
    t0 = max(navigations) if navigations else 0
    on_main = [e for e in events if (e["pid"], e["tid"]) == main and e.get("ph") == "X"]
    tasks = [
        e
        for e in on_main
        if e["name"] == "RunTask"
        and e.get("dur", 0) > longer_than_ms * 1000
        and start_ms <= (e["ts"] - t0) / 1000 < end_ms
    ]
    nodes, samples = _samples(events, main)
    maps = _Maps(dist)
    times = [t for t, _ in samples]
    marks = sorted(
        (e["ts"], e["name"])
        for e in events
        if "blink.user_timing" in e.get("cat", "")
        and e.get("name", "").startswith("viewer:")
        and e["pid"] == main[0]
        and e["ts"] >= t0
    )
    if marks:
        print(
            f"{indent}trace: marks " + ", ".join(f"{n[7:]} {(t - t0) / 1000:.0f}" for t, n in marks)
        )
    if not tasks:
        print(f"{indent}trace: no task over {longer_than_ms:.0f} ms")
    for task in tasks:
        begin, end = task["ts"], task["ts"] + task["dur"]
        print(
            f"{indent}trace: long task at {(begin - t0) / 1000:.0f} ms, {task['dur'] / 1000:.0f} ms"
        )
        inner = [e for e in on_main if begin <= e["ts"] < end and e is not task]
        shown = 0
        for e in sorted(inner, key=lambda e: e["ts"]):
            if e.get("dur", 0) < 3_000 or e["name"] not in SHOWN or shown >= 12:
                continue
            shown += 1
            args = e.get("args", {}).get("data", {}) or {}
            what = args.get("functionName") or args.get("type") or args.get("url") or ""
            print(
                f"{indent}  +{(e['ts'] - begin) / 1000:5.0f} ms {e['dur'] / 1000:5.1f} ms"
                f"  {e['name']} {what}"[: 110 + len(indent)]
            )
        lo, hi = bisect.bisect_left(times, begin), bisect.bisect_left(times, end)
        by_origin: Counter[str] = Counter()
        by_function: Counter[str] = Counter()
        for i in range(lo, hi):
            dt = (samples[i + 1][0] if i + 1 < len(samples) else end) - samples[i][0]
            stack, node_id = [], samples[i][1]
            while node_id is not None:
                stack.append(nodes[node_id]["callFrame"])
                node_id = nodes[node_id].get("parent")
            script = next((f for f in stack if f.get("url")), stack[0])
            origin = maps.origin(script)
            by_origin[origin] += dt
            name = stack[0].get("functionName") or "(top level)"
            if stack[0].get("url"):
                by_function[f"{name} [{maps.origin(stack[0], file=True)}]"] += dt
            else:
                by_function[f"{name} in {maps.origin(script, file=True)}"] += dt
        if hi > lo:
            print(f"{indent}  CPU profile ({hi - lo} samples), self time by package:")
            for origin, us in by_origin.most_common(8):
                print(f"{indent}    {us / 1000:5.1f} ms  {origin}")
            print(f"{indent}  by function:")
            for name, us in by_function.most_common(8):
                print(f"{indent}    {us / 1000:5.1f} ms  {name}"[: 110 + len(indent)])
